/**
 * Quota usage of one pod, as upstream's pod evaluator
 * (pkg/quota/v1/evaluator/core/pods.go) measures it: the object count is
 * always charged; compute resources (`pods`, `cpu`, `requests.*`,
 * `limits.*`, hugepages, extended `requests.<name>`) only while the pod is
 * not terminal and not stuck past its deletion grace period. Pod requests
 * and limits follow upstream's resource helper: the larger of (app
 * containers + restartable init containers) and the init-container peak,
 * plus overhead. Also the pod scope predicates (Terminating, BestEffort,
 * PriorityClass, CrossNamespacePodAffinity).
 */
import type { KObject } from "../types.ts";
import { Quantity, tryParseQuantity } from "../../machinery/quantity.ts";

/** A resource list with exact quantities. */
export type QuantityMap = Map<string, Quantity>;

/** A scope selector requirement (core/v1 ScopedResourceSelectorRequirement). */
export interface ScopeRequirement {
  scopeName: string;
  operator: string;
  values?: string[];
}

/** `a + b` keeping upstream's rule that a zero sum adopts the addend's format. */
export function addQuantity(a: Quantity | undefined, b: Quantity): Quantity {
  if (!a || a.isZero()) return b;
  return a.add(b);
}

/** Adds every entry of `b` into `a` (in place). */
export function addInto(a: QuantityMap, b: QuantityMap): void {
  for (const [k, v] of b) a.set(k, addQuantity(a.get(k), v));
}

function maxInto(a: QuantityMap, b: QuantityMap): void {
  for (const [k, v] of b) {
    const cur = a.get(k);
    if (!cur || v.cmp(cur) > 0) a.set(k, v);
  }
}

function toMap(list: Record<string, unknown> | undefined): QuantityMap {
  const m: QuantityMap = new Map();
  for (const [k, raw] of Object.entries(list ?? {})) {
    const q = tryParseQuantity(raw);
    if (q) m.set(k, q);
  }
  return m;
}

/** Requests of a container; a limit stands in for a missing request (API defaulting does the same). */
function containerRequests(c: KObject): QuantityMap {
  const res = c.resources ?? {};
  return toMap({ ...(res.limits ?? {}), ...(res.requests ?? {}) });
}

function containerLimits(c: KObject): QuantityMap {
  return toMap(c.resources?.limits);
}

function aggregate(pod: KObject, perContainer: (c: KObject) => QuantityMap, overheadOnlyIfPresent: boolean): QuantityMap {
  const spec = pod.spec ?? {};
  const sum: QuantityMap = new Map();
  for (const c of spec.containers ?? []) addInto(sum, perContainer(c));
  const sidecars: QuantityMap = new Map();
  const initPeak: QuantityMap = new Map();
  for (const c of spec.initContainers ?? []) {
    const cr = perContainer(c);
    if (c.restartPolicy === "Always") {
      addInto(sidecars, cr);
      maxInto(initPeak, sidecars);
    } else {
      addInto(cr, sidecars);
      maxInto(initPeak, cr);
    }
  }
  addInto(sum, sidecars);
  maxInto(sum, initPeak);
  for (const [k, v] of toMap(spec.overhead)) {
    if (overheadOnlyIfPresent && !sum.has(k)) continue;
    sum.set(k, addQuantity(sum.get(k), v));
  }
  return sum;
}

/** Effective requests of a pod (resource helper's PodRequests). */
export function podRequests(pod: KObject): QuantityMap {
  return aggregate(pod, containerRequests, false);
}

/** Effective limits of a pod (PodLimits: overhead only for resources that have a limit). */
export function podLimits(pod: KObject): QuantityMap {
  return aggregate(pod, containerLimits, true);
}

const one = (): Quantity => new Quantity(1n, 0, "DecimalSI");

/** True for names without a domain or in the kubernetes.io domain (helper.IsNativeResource). */
function isNative(name: string): boolean {
  return !name.includes("/") || name.includes("kubernetes.io/");
}

/** Extended resources are charged only as `requests.<name>` (IsExtendedResourceName). */
function isExtended(name: string): boolean {
  return !isNative(name) && !name.startsWith("requests.");
}

/** podComputeUsageHelper: quota names charged for the given requests and limits. */
export function computeUsage(requests: QuantityMap, limits: QuantityMap): QuantityMap {
  const out: QuantityMap = new Map([["pods", one()]]);
  for (const r of ["cpu", "memory", "ephemeral-storage"]) {
    const req = requests.get(r);
    if (req) {
      out.set(r, req);
      out.set(`requests.${r}`, req);
    }
    const lim = limits.get(r);
    if (lim) out.set(`limits.${r}`, lim);
  }
  for (const [name, q] of requests) {
    if (name.startsWith("hugepages-")) {
      out.set(name, q);
      out.set(`requests.${name}`, q);
    }
    if (isExtended(name)) out.set(`requests.${name}`, q);
  }
  return out;
}

/**
 * QuotaV1Pod: false for terminal pods and for pods whose deletion grace
 * period has passed (stuck terminating, e.g. on a lost node).
 */
export function isChargedPod(pod: KObject, now: number): boolean {
  const phase = pod.status?.phase;
  if (phase === "Succeeded" || phase === "Failed") return false;
  const expiry = chargeExpiry(pod);
  return expiry === undefined || now <= expiry;
}

/** When a deleting pod stops being charged (ms since the epoch), if it is deleting. */
export function chargeExpiry(pod: KObject): number | undefined {
  const ts = pod.metadata.deletionTimestamp;
  const grace = pod.metadata.deletionGracePeriodSeconds;
  if (!ts || typeof grace !== "number") return undefined;
  const t = Date.parse(ts);
  return Number.isNaN(t) ? undefined : t + grace * 1000;
}

/** Upstream PodUsageFunc: `count/pods` always, compute usage while charged. */
export function podUsage(pod: KObject, now: number): QuantityMap {
  const out: QuantityMap = new Map([["count/pods", one()]]);
  if (!isChargedPod(pod, now)) return out;
  addInto(out, computeUsage(podRequests(pod), podLimits(pod)));
  return out;
}

/** The pod's QoS class: status.qosClass when set, otherwise computed from cpu/memory requests and limits. */
export function isBestEffort(pod: KObject): boolean {
  const qos = pod.status?.qosClass;
  if (qos) return qos === "BestEffort";
  for (const c of [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])]) {
    for (const list of [c.resources?.requests, c.resources?.limits]) {
      for (const r of ["cpu", "memory"]) {
        const q = tryParseQuantity(list?.[r]);
        if (q && !q.isZero()) return false;
      }
    }
  }
  return true;
}

function isTerminating(pod: KObject): boolean {
  const ads = pod.spec?.activeDeadlineSeconds;
  return typeof ads === "number" && ads >= 0;
}

function crossNamespaceAffinity(pod: KObject): boolean {
  const cross = (t: KObject | undefined): boolean => !!t && ((t.namespaces ?? []).length > 0 || t.namespaceSelector != null);
  for (const kind of ["podAffinity", "podAntiAffinity"]) {
    const a = pod.spec?.affinity?.[kind];
    if (!a) continue;
    if ((a.requiredDuringSchedulingIgnoredDuringExecution ?? []).some(cross)) return true;
    if ((a.preferredDuringSchedulingIgnoredDuringExecution ?? []).some((w: KObject) => cross(w.podAffinityTerm))) return true;
  }
  return false;
}

function priorityClassMatches(pod: KObject, req: ScopeRequirement): boolean {
  const pc: string = pod.spec?.priorityClassName ?? "";
  const values = req.values ?? [];
  switch (req.operator) {
    case "Exists":
      return pc !== "";
    case "DoesNotExist":
      return pc === "";
    case "In":
      return pc !== "" && values.includes(pc);
    case "NotIn":
      return pc === "" || !values.includes(pc);
    default:
      return false;
  }
}

/** podMatchesScopeFunc: whether the pod falls under one scope requirement. */
export function podMatchesScope(pod: KObject, req: ScopeRequirement): boolean {
  switch (req.scopeName) {
    case "Terminating":
      return isTerminating(pod);
    case "NotTerminating":
      return !isTerminating(pod);
    case "BestEffort":
      return isBestEffort(pod);
    case "NotBestEffort":
      return !isBestEffort(pod);
    case "PriorityClass":
      return priorityClassMatches(pod, req);
    case "CrossNamespacePodAffinity":
      return crossNamespaceAffinity(pod);
    default:
      return false;
  }
}
