/**
 * core/v1 defaults other than pod specs, as upstream: Service (types,
 * affinity, ports, traffic policies, clusterIP/clusterIPs normalisation and
 * IP families for a single-stack IPv4 cluster), Secret (type, stringData),
 * Namespace, Node, PersistentVolume(Claim), Endpoints, LimitRange,
 * ResourceQuota and ReplicationController.
 */

import { isIPv4Address, isIPv6Address } from "../../machinery/validation.ts";
import {
  defaultPVCSpec,
  defaultPodTemplate,
  defaultResourceList,
  defaultVolumeSource,
  isObj,
  list,
  setDefault,
  setDefaultString,
} from "./podspec.ts";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Obj = Record<string, any>;

function ipFamily(ip: unknown): string | undefined {
  if (typeof ip !== "string") return undefined;
  if (isIPv4Address(ip)) return "IPv4";
  if (isIPv6Address(ip)) return "IPv6";
  return undefined;
}

/**
 * SetDefaults_Service plus the registry's clusterIP/clusterIPs normalisation.
 * IP families: policy SingleStack (RequireDualStack for selectorless headless
 * services); families derived from allocated clusterIPs, `[IPv4]` for
 * headless ones; left unset while no clusterIP is allocated.
 */
export function defaultService(svc: Obj): void {
  if (!isObj(svc.spec)) svc.spec = {};
  const s = svc.spec;
  setDefaultString(s, "sessionAffinity", "None");
  if (s.sessionAffinity === "None") delete s.sessionAffinityConfig;
  if (s.sessionAffinity === "ClientIP") {
    const t = isObj(s.sessionAffinityConfig) && isObj(s.sessionAffinityConfig.clientIP) ? s.sessionAffinityConfig.clientIP.timeoutSeconds : undefined;
    if (t === undefined || t === null) s.sessionAffinityConfig = { clientIP: { timeoutSeconds: 10800 } };
  }
  setDefaultString(s, "type", "ClusterIP");
  for (const p of list(s.ports)) {
    if (!isObj(p)) continue;
    setDefaultString(p, "protocol", "TCP");
    if (p.targetPort === undefined || p.targetPort === null || p.targetPort === 0 || p.targetPort === "") p.targetPort = p.port;
  }
  const external = s.type === "NodePort" || s.type === "LoadBalancer" || (s.type === "ClusterIP" && list(s.externalIPs).length > 0);
  if (external) setDefaultString(s, "externalTrafficPolicy", "Cluster");
  if (s.type === "NodePort" || s.type === "LoadBalancer" || s.type === "ClusterIP") setDefault(s, "internalTrafficPolicy", "Cluster");
  if (s.type === "LoadBalancer") {
    setDefault(s, "allocateLoadBalancerNodePorts", true);
    for (const ing of list(isObj(svc.status) && isObj(svc.status.loadBalancer) ? svc.status.loadBalancer.ingress : undefined))
      if (isObj(ing) && ing.ip) setDefault(ing, "ipMode", "VIP");
  }
  if (s.type === "ExternalName") return;
  if (s.clusterIP && list(s.clusterIPs).length === 0) s.clusterIPs = [s.clusterIP];
  if (!s.clusterIP && list(s.clusterIPs).length > 0) s.clusterIP = s.clusterIPs[0];
  const headless = s.clusterIP === "None";
  const selectorless = !isObj(s.selector) || Object.keys(s.selector).length === 0;
  if (headless && selectorless) setDefault(s, "ipFamilyPolicy", "RequireDualStack");
  else setDefault(s, "ipFamilyPolicy", "SingleStack");
  if (list(s.ipFamilies).length === 0) {
    if (headless) s.ipFamilies = ["IPv4"];
    else {
      const fams = list(s.clusterIPs).map(ipFamily);
      if (fams.length > 0 && fams.every((f) => f !== undefined)) s.ipFamilies = fams;
    }
  }
}

/** SetDefaults_Secret, plus merging write-only `stringData` into base64 `data`. */
export function defaultSecret(sec: Obj): void {
  setDefaultString(sec, "type", "Opaque");
  if (isObj(sec.stringData)) {
    if (!isObj(sec.data)) sec.data = {};
    for (const [k, v] of Object.entries(sec.stringData)) sec.data[k] = Buffer.from(String(v ?? ""), "utf8").toString("base64");
    delete sec.stringData;
  }
}

/** SetDefaults_Namespace (`kubernetes.io/metadata.name` label) and status phase. */
export function defaultNamespace(ns: Obj): void {
  const meta = ns.metadata;
  if (isObj(meta) && meta.name) {
    if (!isObj(meta.labels)) meta.labels = {};
    meta.labels["kubernetes.io/metadata.name"] = meta.name;
  }
  if (!isObj(ns.status)) ns.status = {};
  setDefaultString(ns.status, "phase", "Active");
}

export function defaultNode(node: Obj): void {
  const st = node.status;
  if (!isObj(st)) return;
  defaultResourceList(st.capacity);
  defaultResourceList(st.allocatable);
  if ((st.allocatable === undefined || st.allocatable === null) && isObj(st.capacity)) st.allocatable = { ...st.capacity };
}

export function defaultPersistentVolume(pv: Obj): void {
  if (!isObj(pv.spec)) pv.spec = {};
  setDefaultString(pv.spec, "persistentVolumeReclaimPolicy", "Retain");
  setDefault(pv.spec, "volumeMode", "Filesystem");
  defaultResourceList(pv.spec.capacity);
  defaultVolumeSource(pv.spec);
  if (!isObj(pv.status)) pv.status = {};
  setDefaultString(pv.status, "phase", "Pending");
}

/** A PVC (also a StatefulSet volumeClaimTemplate): spec defaults and Pending phase. */
export function defaultPersistentVolumeClaim(pvc: Obj): void {
  if (!isObj(pvc.spec)) pvc.spec = {};
  defaultPVCSpec(pvc.spec);
  if (!isObj(pvc.status)) pvc.status = {};
  setDefaultString(pvc.status, "phase", "Pending");
  defaultResourceList(pvc.status.capacity);
}

export function defaultEndpoints(ep: Obj): void {
  for (const ss of list(ep.subsets)) for (const p of list(isObj(ss) ? ss.ports : undefined)) if (isObj(p)) setDefaultString(p, "protocol", "TCP");
}

/** SetDefaults_LimitRangeItem: Container limits get default and defaultRequest filled from max/default/min. */
export function defaultLimitRange(lr: Obj): void {
  for (const item of list(isObj(lr.spec) ? lr.spec.limits : undefined)) {
    if (!isObj(item)) continue;
    for (const f of ["max", "min", "default", "defaultRequest", "maxLimitRequestRatio"]) defaultResourceList(item[f]);
    if (item.type !== "Container") continue;
    if (!isObj(item.default)) item.default = {};
    if (!isObj(item.defaultRequest)) item.defaultRequest = {};
    for (const [k, v] of Object.entries(isObj(item.max) ? item.max : {})) if (!(k in item.default)) item.default[k] = v;
    for (const [k, v] of Object.entries(item.default)) if (!(k in item.defaultRequest)) item.defaultRequest[k] = v;
    for (const [k, v] of Object.entries(isObj(item.min) ? item.min : {})) if (!(k in item.defaultRequest)) item.defaultRequest[k] = v;
  }
}

export function defaultResourceQuota(rq: Obj): void {
  if (isObj(rq.spec)) defaultResourceList(rq.spec.hard);
  if (isObj(rq.status)) {
    defaultResourceList(rq.status.hard);
    defaultResourceList(rq.status.used);
  }
}

/** SetDefaults_ReplicationController: selector and labels from the template, replicas 1. */
export function defaultReplicationController(rc: Obj): void {
  if (!isObj(rc.spec)) rc.spec = {};
  const tmpl = rc.spec.template;
  const labels = isObj(tmpl) && isObj(tmpl.metadata) && isObj(tmpl.metadata.labels) ? tmpl.metadata.labels : undefined;
  if (labels) {
    if (!isObj(rc.spec.selector) || Object.keys(rc.spec.selector).length === 0) rc.spec.selector = { ...labels };
    if (!isObj(rc.metadata.labels) || Object.keys(rc.metadata.labels).length === 0) rc.metadata.labels = { ...labels };
  }
  setDefault(rc.spec, "replicas", 1);
  defaultPodTemplate(tmpl);
}
