/**
 * Per-kind defaulting, called by the apiserver on create and on every
 * update/patch result, before validation. Mirrors upstream's versioned
 * SetDefaults_* functions (plus a few registry-level preparations noted on
 * the functions: Job generated selector, Service clusterIPs normalisation,
 * Secret stringData). Idempotent: applying it twice equals applying it once.
 */

import type { ResourceInfo } from "../resources.ts";
import type { KObject } from "../types.ts";
import * as core from "./core.ts";
import { defaultPod, isObj, list, setDefault, setDefaultString } from "./podspec.ts";
import * as wl from "./workloads.ts";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Obj = Record<string, any>;

function defaultNetworkPolicy(np: Obj): void {
  if (!isObj(np.spec)) np.spec = {};
  const s = np.spec;
  for (const rule of [...list(s.ingress), ...list(s.egress)])
    for (const p of list(isObj(rule) ? rule.ports : undefined)) if (isObj(p)) setDefaultString(p, "protocol", "TCP");
  if (list(s.policyTypes).length === 0) {
    s.policyTypes = ["Ingress"];
    if (list(s.egress).length > 0) s.policyTypes.push("Egress");
  }
}

function defaultEndpointSlice(es: Obj): void {
  for (const p of list(es.ports)) {
    if (!isObj(p)) continue;
    setDefault(p, "name", "");
    setDefault(p, "protocol", "TCP");
  }
}

function defaultIngressClass(ic: Obj): void {
  if (isObj(ic.spec) && isObj(ic.spec.parameters)) setDefault(ic.spec.parameters, "scope", "Cluster");
}

function defaultStorageClass(sc: Obj): void {
  setDefault(sc, "reclaimPolicy", "Delete");
  setDefault(sc, "volumeBindingMode", "Immediate");
}

function defaultPriorityClass(pc: Obj): void {
  setDefault(pc, "preemptionPolicy", "PreemptLowerPriority");
}

/** autoscaling/v2: minReplicas 1 and an 80% CPU utilization metric when none is given. */
function defaultHPA(hpa: Obj, version: string): void {
  if (!isObj(hpa.spec)) hpa.spec = {};
  setDefault(hpa.spec, "minReplicas", 1);
  const v1 = hpa.apiVersion ? hpa.apiVersion === "autoscaling/v1" : version === "v1";
  if (!v1 && list(hpa.spec.metrics).length === 0)
    hpa.spec.metrics = [{ type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 80 } } }];
}

/** certificates.k8s.io/v1: a condition without status is "True". */
function defaultCertificateSigningRequest(csr: Obj): void {
  if (!isObj(csr.status)) return;
  for (const c of list(csr.status.conditions)) if (isObj(c)) setDefaultString(c, "status", "True");
}

type Defaulter = (o: Obj, info: ResourceInfo) => void;

const defaulters: Record<string, Defaulter> = {
  "/Pod": defaultPod,
  "/Service": core.defaultService,
  "/Secret": core.defaultSecret,
  "/Namespace": core.defaultNamespace,
  "/Node": core.defaultNode,
  "/PersistentVolume": core.defaultPersistentVolume,
  "/PersistentVolumeClaim": core.defaultPersistentVolumeClaim,
  "/Endpoints": core.defaultEndpoints,
  "/LimitRange": core.defaultLimitRange,
  "/ResourceQuota": core.defaultResourceQuota,
  "/ReplicationController": core.defaultReplicationController,
  "apps/Deployment": wl.defaultDeployment,
  "apps/ReplicaSet": wl.defaultReplicaSet,
  "apps/StatefulSet": wl.defaultStatefulSet,
  "apps/DaemonSet": wl.defaultDaemonSet,
  "batch/Job": wl.defaultJob,
  "batch/CronJob": wl.defaultCronJob,
  "discovery.k8s.io/EndpointSlice": defaultEndpointSlice,
  "networking.k8s.io/NetworkPolicy": defaultNetworkPolicy,
  "networking.k8s.io/IngressClass": defaultIngressClass,
  "storage.k8s.io/StorageClass": defaultStorageClass,
  "scheduling.k8s.io/PriorityClass": defaultPriorityClass,
  "autoscaling/HorizontalPodAutoscaler": (o, info) => defaultHPA(o, info.version),
  "certificates.k8s.io/CertificateSigningRequest": defaultCertificateSigningRequest,
};

/**
 * Applies upstream defaults for `info`'s kind to `obj`, in place. Safe on
 * malformed input (validation reports it). Reads `obj.metadata.uid` for the
 * Job selector, so the apiserver assigns the uid first.
 */
export function applyDefaults(info: ResourceInfo, obj: KObject): void {
  if (!isObj(obj)) return;
  if (!isObj(obj.metadata)) obj.metadata = {};
  defaulters[`${info.group}/${info.kind}`]?.(obj, info);
}
