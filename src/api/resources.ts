/**
 * The table of every served resource: group/version/kind, plural and singular
 * names, scope, short names, categories and subresources, as upstream
 * Kubernetes publishes them in discovery. Discovery, routing, OpenAPI and the
 * registry are all driven from this one list.
 */

export type Subresource =
  | "status"
  | "scale"
  | "binding"
  | "eviction"
  | "log"
  | "exec"
  | "attach"
  | "portforward"
  | "proxy"
  | "finalize"
  | "token"
  | "ephemeralcontainers"
  | "approval";

export interface ResourceInfo {
  group: string;
  version: string;
  kind: string;
  /** Plural lower-case name used in URLs, e.g. `deployments`. */
  plural: string;
  singular: string;
  namespaced: boolean;
  shortNames: string[];
  categories: string[];
  subresources: Subresource[];
  verbs: string[];
  /** @kubernetes/client-node model class holding the kind's structure, e.g. `V1Pod`. */
  model: string;
  /**
   * Name of the storage bucket. Resources sharing storage across versions or
   * groups (HPA v1/v2, core and events.k8s.io Events) share it; the stored
   * form is that of `storageVersion`.
   */
  storage: string;
  /** `group/version` of the stored form (differs only for shared storage). */
  storageVersion: string;
}

const allVerbs = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"];

interface Spec {
  gv: string;
  kind: string;
  plural: string;
  ns?: boolean;
  short?: string[];
  cat?: string[];
  sub?: Subresource[];
  model: string;
  storage?: string;
  storageVersion?: string;
  verbs?: string[];
}

const specs: Spec[] = [
  { gv: "v1", kind: "Namespace", plural: "namespaces", ns: false, short: ["ns"], sub: ["status", "finalize"], model: "V1Namespace" },
  {
    gv: "v1",
    kind: "Pod",
    plural: "pods",
    short: ["po"],
    cat: ["all"],
    sub: ["status", "binding", "eviction", "log", "exec", "attach", "portforward", "proxy", "ephemeralcontainers"],
    model: "V1Pod",
  },
  { gv: "v1", kind: "Binding", plural: "bindings", model: "V1Binding", verbs: ["create"] },
  { gv: "v1", kind: "Service", plural: "services", short: ["svc"], cat: ["all"], sub: ["status", "proxy"], model: "V1Service" },
  { gv: "v1", kind: "Endpoints", plural: "endpoints", short: ["ep"], model: "V1Endpoints" },
  { gv: "v1", kind: "ConfigMap", plural: "configmaps", short: ["cm"], model: "V1ConfigMap" },
  { gv: "v1", kind: "Secret", plural: "secrets", model: "V1Secret" },
  { gv: "v1", kind: "ServiceAccount", plural: "serviceaccounts", short: ["sa"], sub: ["token"], model: "V1ServiceAccount" },
  { gv: "v1", kind: "Node", plural: "nodes", ns: false, short: ["no"], sub: ["status", "proxy"], model: "V1Node" },
  { gv: "v1", kind: "Event", plural: "events", short: ["ev"], model: "CoreV1Event", storage: "events" },
  { gv: "v1", kind: "PersistentVolume", plural: "persistentvolumes", ns: false, short: ["pv"], sub: ["status"], model: "V1PersistentVolume" },
  { gv: "v1", kind: "PersistentVolumeClaim", plural: "persistentvolumeclaims", short: ["pvc"], sub: ["status"], model: "V1PersistentVolumeClaim" },
  { gv: "v1", kind: "ResourceQuota", plural: "resourcequotas", short: ["quota"], sub: ["status"], model: "V1ResourceQuota" },
  { gv: "v1", kind: "LimitRange", plural: "limitranges", short: ["limits"], model: "V1LimitRange" },
  {
    gv: "v1",
    kind: "ReplicationController",
    plural: "replicationcontrollers",
    short: ["rc"],
    cat: ["all"],
    sub: ["status", "scale"],
    model: "V1ReplicationController",
  },
  { gv: "apps/v1", kind: "Deployment", plural: "deployments", short: ["deploy"], cat: ["all"], sub: ["status", "scale"], model: "V1Deployment" },
  { gv: "apps/v1", kind: "ReplicaSet", plural: "replicasets", short: ["rs"], cat: ["all"], sub: ["status", "scale"], model: "V1ReplicaSet" },
  { gv: "apps/v1", kind: "StatefulSet", plural: "statefulsets", short: ["sts"], cat: ["all"], sub: ["status", "scale"], model: "V1StatefulSet" },
  { gv: "apps/v1", kind: "DaemonSet", plural: "daemonsets", short: ["ds"], cat: ["all"], sub: ["status"], model: "V1DaemonSet" },
  { gv: "apps/v1", kind: "ControllerRevision", plural: "controllerrevisions", model: "V1ControllerRevision" },
  { gv: "batch/v1", kind: "Job", plural: "jobs", cat: ["all"], sub: ["status"], model: "V1Job" },
  { gv: "batch/v1", kind: "CronJob", plural: "cronjobs", short: ["cj"], cat: ["all"], sub: ["status"], model: "V1CronJob" },
  { gv: "discovery.k8s.io/v1", kind: "EndpointSlice", plural: "endpointslices", model: "V1EndpointSlice" },
  { gv: "coordination.k8s.io/v1", kind: "Lease", plural: "leases", model: "V1Lease" },
  { gv: "networking.k8s.io/v1", kind: "Ingress", plural: "ingresses", short: ["ing"], sub: ["status"], model: "V1Ingress" },
  { gv: "networking.k8s.io/v1", kind: "IngressClass", plural: "ingressclasses", ns: false, model: "V1IngressClass" },
  { gv: "networking.k8s.io/v1", kind: "NetworkPolicy", plural: "networkpolicies", short: ["netpol"], model: "V1NetworkPolicy" },
  { gv: "policy/v1", kind: "PodDisruptionBudget", plural: "poddisruptionbudgets", short: ["pdb"], sub: ["status"], model: "V1PodDisruptionBudget" },
  { gv: "storage.k8s.io/v1", kind: "StorageClass", plural: "storageclasses", ns: false, short: ["sc"], model: "V1StorageClass" },
  { gv: "scheduling.k8s.io/v1", kind: "PriorityClass", plural: "priorityclasses", ns: false, short: ["pc"], model: "V1PriorityClass" },
  {
    gv: "events.k8s.io/v1",
    kind: "Event",
    plural: "events",
    short: ["ev"],
    model: "EventsV1Event",
    storage: "events",
    storageVersion: "v1",
  },
  {
    gv: "autoscaling/v2",
    kind: "HorizontalPodAutoscaler",
    plural: "horizontalpodautoscalers",
    short: ["hpa"],
    cat: ["all"],
    sub: ["status"],
    model: "V2HorizontalPodAutoscaler",
    storage: "horizontalpodautoscalers",
  },
  {
    gv: "autoscaling/v1",
    kind: "HorizontalPodAutoscaler",
    plural: "horizontalpodautoscalers",
    short: ["hpa"],
    cat: ["all"],
    sub: ["status"],
    model: "V1HorizontalPodAutoscaler",
    storage: "horizontalpodautoscalers",
    storageVersion: "autoscaling/v2",
  },
  {
    gv: "certificates.k8s.io/v1",
    kind: "CertificateSigningRequest",
    plural: "certificatesigningrequests",
    ns: false,
    short: ["csr"],
    sub: ["status", "approval"],
    model: "V1CertificateSigningRequest",
  },
];

function build(s: Spec): ResourceInfo {
  const slash = s.gv.indexOf("/");
  const group = slash < 0 ? "" : s.gv.slice(0, slash);
  const version = slash < 0 ? s.gv : s.gv.slice(slash + 1);
  return {
    group,
    version,
    kind: s.kind,
    plural: s.plural,
    singular: s.kind.toLowerCase(),
    namespaced: s.ns ?? true,
    shortNames: s.short ?? [],
    categories: s.cat ?? [],
    subresources: s.sub ?? [],
    verbs: s.verbs ?? allVerbs,
    model: s.model,
    storage: s.storage ?? (group ? `${s.plural}.${group}` : s.plural),
    storageVersion: s.storageVersion ?? s.gv,
  };
}

/** Every served resource, in discovery order (groups in first-seen order). */
export const resources: readonly ResourceInfo[] = specs.map(build);

/** `group/version` string (`v1` for the core group). */
export function groupVersion(r: { group: string; version: string }): string {
  return r.group ? `${r.group}/${r.version}` : r.version;
}

/** The preferred version of each group is the first listed for that group. */
export function preferredVersion(group: string): string | undefined {
  return resources.find((r) => r.group === group)?.version;
}

const byPath = new Map<string, ResourceInfo>();
const byKind = new Map<string, ResourceInfo>();
for (const r of resources) {
  byPath.set(`${r.group}/${r.version}/${r.plural}`, r);
  byKind.set(`${groupVersion(r)}/${r.kind}`, r);
}

/** Looks up a resource by group, version and plural name. */
export function findResource(group: string, version: string, plural: string): ResourceInfo | undefined {
  return byPath.get(`${group}/${version}/${plural}`);
}

/** Looks up a resource by apiVersion (`apps/v1`) and kind. */
export function findByKind(apiVersion: string, kind: string): ResourceInfo | undefined {
  return byKind.get(`${apiVersion}/${kind}`);
}
