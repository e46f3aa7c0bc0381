/**
 * core/v1 defaulting of PodSpecs as upstream's SetDefaults_* functions:
 * pod spec scalars, containers (pull policy from the image tag, termination
 * message), ports, probes and HTTP actions, env field refs, volumes (empty
 * source -> emptyDir, file modes, hostPath type), resource lists (rounded up
 * to milli units, canonical form), and the Pod-only rules (requests from
 * limits, enableServiceLinks, host-network ports). Every function is
 * idempotent and tolerates missing or malformed sub-objects.
 */

import { tryParseQuantity } from "../../machinery/quantity.ts";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Obj = Record<string, any>;

export function isObj(v: unknown): v is Obj {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function list(v: unknown): any[] {
  return Array.isArray(v) ? v : [];
}

/** Sets `o[key] = value` when the field is absent (undefined or null). */
export function setDefault(o: Obj, key: string, value: unknown): void {
  if (o[key] === undefined || o[key] === null) o[key] = value;
}

/** Sets `o[key] = value` when the field is absent or an empty string. */
export function setDefaultString(o: Obj, key: string, value: string): void {
  if (o[key] === undefined || o[key] === null || o[key] === "") o[key] = value;
}

/**
 * Upstream's SetDefaults_ResourceList: each quantity rounded up to milli
 * precision and written in canonical form (as upstream serialises it).
 * Unparseable values are left for validation to report.
 */
export function defaultResourceList(rl: unknown): void {
  if (!isObj(rl)) return;
  for (const [k, v] of Object.entries(rl)) {
    const q = tryParseQuantity(v);
    if (q) rl[k] = q.roundUp(-3).toString();
  }
}

/** The tag `ParseImageName` would report: `latest` when neither tag nor digest, "" when unparseable. */
export function imageTag(image: string): string {
  if (!image || /\s/.test(image)) return "";
  let ref = image;
  let digest = "";
  const at = ref.indexOf("@");
  if (at >= 0) {
    digest = ref.slice(at + 1);
    ref = ref.slice(0, at);
    if (!digest) return "";
  }
  const slash = ref.lastIndexOf("/");
  const last = ref.slice(slash + 1);
  const colon = last.indexOf(":");
  let tag = "";
  let repoLast = last;
  if (colon >= 0) {
    tag = last.slice(colon + 1);
    repoLast = last.slice(0, colon);
    if (!/^[\w][\w.-]{0,127}$/.test(tag)) return "";
  }
  const path = (slash >= 0 ? ref.slice(0, slash + 1) : "") + repoLast;
  const firstSlash = path.indexOf("/");
  const first = firstSlash >= 0 ? path.slice(0, firstSlash) : "";
  const hasDomain = first !== "" && (first.includes(".") || first.includes(":") || first === "localhost" || first !== first.toLowerCase());
  const repo = hasDomain ? path.slice(firstSlash + 1) : path;
  if (!/^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/.test(repo)) return "";
  if (!tag && !digest) tag = "latest";
  return tag;
}

function defaultHTTPGet(h: unknown): void {
  if (!isObj(h)) return;
  setDefaultString(h, "path", "/");
  setDefaultString(h, "scheme", "HTTP");
}

function defaultProbe(p: unknown): void {
  if (!isObj(p)) return;
  for (const [k, v] of [
    ["timeoutSeconds", 1],
    ["periodSeconds", 10],
    ["successThreshold", 1],
    ["failureThreshold", 3],
  ] as const)
    if (!p[k]) p[k] = v;
  defaultHTTPGet(p.httpGet);
}

function defaultFieldRef(ref: unknown): void {
  if (isObj(ref)) setDefaultString(ref, "apiVersion", "v1");
}

/** SetDefaults_Container (also for init and ephemeral containers). */
function defaultContainer(c: unknown): void {
  if (!isObj(c)) return;
  if (!c.imagePullPolicy) c.imagePullPolicy = imageTag(typeof c.image === "string" ? c.image : "") === "latest" ? "Always" : "IfNotPresent";
  setDefaultString(c, "terminationMessagePath", "/dev/termination-log");
  setDefaultString(c, "terminationMessagePolicy", "File");
  for (const p of list(c.ports)) if (isObj(p)) setDefaultString(p, "protocol", "TCP");
  for (const probe of ["livenessProbe", "readinessProbe", "startupProbe"]) defaultProbe(c[probe]);
  if (isObj(c.lifecycle)) for (const hook of ["postStart", "preStop"]) if (isObj(c.lifecycle[hook])) defaultHTTPGet(c.lifecycle[hook].httpGet);
  for (const e of list(c.env)) if (isObj(e) && isObj(e.valueFrom)) defaultFieldRef(e.valueFrom.fieldRef);
  if (isObj(c.resources)) {
    defaultResourceList(c.resources.limits);
    defaultResourceList(c.resources.requests);
  }
}

const volumeSourceKeys = [
  "hostPath", "emptyDir", "gcePersistentDisk", "awsElasticBlockStore", "gitRepo", "secret", "nfs", "iscsi",
  "glusterfs", "persistentVolumeClaim", "rbd", "flexVolume", "cinder", "cephfs", "flocker", "downwardAPI", "fc",
  "azureFile", "configMap", "vsphereVolume", "quobyte", "azureDisk", "photonPersistentDisk", "projected",
  "portworxVolume", "scaleIO", "storageos", "csi", "ephemeral", "image",
];

/** Volume source defaults shared by pod volumes and PersistentVolume sources. */
export function defaultVolumeSource(v: Obj): void {
  if (isObj(v.hostPath)) setDefault(v.hostPath, "type", "");
  if (isObj(v.iscsi)) setDefaultString(v.iscsi, "iscsiInterface", "default");
  if (isObj(v.rbd)) {
    setDefaultString(v.rbd, "pool", "rbd");
    setDefaultString(v.rbd, "user", "admin");
    setDefaultString(v.rbd, "keyring", "/etc/ceph/keyring");
  }
  if (isObj(v.azureDisk)) {
    setDefault(v.azureDisk, "cachingMode", "ReadWrite");
    setDefault(v.azureDisk, "fsType", "ext4");
    setDefault(v.azureDisk, "readOnly", false);
    setDefault(v.azureDisk, "kind", "Shared");
  }
  if (isObj(v.scaleIO)) {
    setDefaultString(v.scaleIO, "storageMode", "ThinProvisioned");
    setDefaultString(v.scaleIO, "fsType", "xfs");
  }
}

function defaultVolume(v: unknown): void {
  if (!isObj(v)) return;
  if (!volumeSourceKeys.some((k) => v[k] !== undefined && v[k] !== null)) v.emptyDir = {};
  defaultVolumeSource(v);
  for (const k of ["secret", "configMap", "downwardAPI", "projected"]) if (isObj(v[k])) setDefault(v[k], "defaultMode", 420);
  if (isObj(v.downwardAPI)) for (const it of list(v.downwardAPI.items)) if (isObj(it)) defaultFieldRef(it.fieldRef);
  if (isObj(v.projected))
    for (const src of list(v.projected.sources)) {
      if (!isObj(src)) continue;
      if (isObj(src.serviceAccountToken)) setDefault(src.serviceAccountToken, "expirationSeconds", 3600);
      if (isObj(src.downwardAPI)) for (const it of list(src.downwardAPI.items)) if (isObj(it)) defaultFieldRef(it.fieldRef);
    }
  if (isObj(v.ephemeral) && isObj(v.ephemeral.volumeClaimTemplate)) {
    const spec = v.ephemeral.volumeClaimTemplate.spec;
    if (isObj(spec)) defaultPVCSpec(spec);
  }
}

/** SetDefaults_PersistentVolumeClaimSpec plus its resource lists. */
export function defaultPVCSpec(spec: Obj): void {
  setDefault(spec, "volumeMode", "Filesystem");
  if (isObj(spec.resources)) {
    defaultResourceList(spec.resources.limits);
    defaultResourceList(spec.resources.requests);
  }
}

/** SetDefaults_PodSpec and everything nested in it (used by pods and templates). */
export function defaultPodSpec(spec: unknown): void {
  if (!isObj(spec)) return;
  setDefaultString(spec, "dnsPolicy", "ClusterFirst");
  setDefaultString(spec, "restartPolicy", "Always");
  setDefault(spec, "securityContext", {});
  setDefault(spec, "terminationGracePeriodSeconds", 30);
  setDefaultString(spec, "schedulerName", "default-scheduler");
  for (const c of list(spec.containers)) defaultContainer(c);
  for (const c of list(spec.initContainers)) defaultContainer(c);
  for (const c of list(spec.ephemeralContainers)) defaultContainer(c);
  for (const v of list(spec.volumes)) defaultVolume(v);
  defaultResourceList(spec.overhead);
  if (isObj(spec.resources)) {
    defaultResourceList(spec.resources.limits);
    defaultResourceList(spec.resources.requests);
  }
}

/** A PodTemplateSpec: only the pod spec gets defaults. */
export function defaultPodTemplate(template: unknown): void {
  if (isObj(template)) defaultPodSpec(template.spec);
}

function requestsFromLimits(containers: unknown): void {
  for (const c of list(containers)) {
    if (!isObj(c) || !isObj(c.resources) || !isObj(c.resources.limits)) continue;
    if (!isObj(c.resources.requests)) c.resources.requests = {};
    for (const [k, v] of Object.entries(c.resources.limits)) if (!(k in c.resources.requests)) c.resources.requests[k] = v;
  }
}

function hostNetworkPorts(containers: unknown): void {
  for (const c of list(containers))
    for (const p of list(isObj(c) ? c.ports : undefined)) if (isObj(p) && !p.hostPort && p.containerPort) p.hostPort = p.containerPort;
}

/** SetDefaults_Pod plus the pod spec defaults. */
export function defaultPod(pod: Obj): void {
  if (!isObj(pod.spec)) return;
  defaultPodSpec(pod.spec);
  requestsFromLimits(pod.spec.containers);
  requestsFromLimits(pod.spec.initContainers);
  setDefault(pod.spec, "enableServiceLinks", true);
  if (pod.spec.hostNetwork === true) {
    hostNetworkPorts(pod.spec.containers);
    hostNetworkPorts(pod.spec.initContainers);
  }
}
