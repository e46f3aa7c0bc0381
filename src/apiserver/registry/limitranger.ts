/**
 * Admission of new pods against the LimitRanges of their namespace, as
 * upstream's LimitRanger plugin: containers without a request or limit get
 * the Container item's defaultRequest / default (noted in the
 * kubernetes.io/limit-ranger annotation), then every Container and Pod item's
 * min, max and maxLimitRequestRatio must hold, or the pod is refused with 403
 * and upstream's messages.
 */
import type { KObject } from "../../api/types.ts";
import { forbidden } from "../../machinery/errors.ts";
import { tryParseQuantity, type Quantity } from "../../machinery/quantity.ts";
import type { CacheView } from "./admission.ts";

type ResourceList = Record<string, string | number>;
interface Requirements {
  requests?: ResourceList;
  limits?: ResourceList;
}
interface LimitItem {
  type?: string;
  min?: ResourceList;
  max?: ResourceList;
  default?: ResourceList;
  defaultRequest?: ResourceList;
  maxLimitRequestRatio?: ResourceList;
}

const ANNOTATION = "kubernetes.io/limit-ranger";

function limitRangesOf(cache: CacheView, storage: string, namespace: string): LimitItem[] {
  return cache.list(storage, `/registry/${storage}/${namespace}/`).flatMap((c) => (c.obj.spec?.limits ?? []) as LimitItem[]);
}

/** Fills missing requests/limits of one container from the Container items; returns the annotation parts. */
function applyDefaults(c: { name: string; resources?: Requirements }, items: LimitItem[], prefix: string): string[] {
  const limits: ResourceList = {};
  const requests: ResourceList = {};
  for (const it of items) {
    if (it.type !== "Container") continue;
    Object.assign(requests, it.defaultRequest ?? {});
    Object.assign(limits, it.default ?? {});
  }
  const res: Requirements = (c.resources ??= {});
  const setLimits: string[] = [];
  const setRequests: string[] = [];
  for (const [k, v] of Object.entries(limits)) {
    if (res.limits?.[k] !== undefined) continue;
    (res.limits ??= {})[k] = v;
    setLimits.push(k);
  }
  for (const [k, v] of Object.entries(requests)) {
    if (res.requests?.[k] !== undefined) continue;
    (res.requests ??= {})[k] = v;
    setRequests.push(k);
  }
  const out: string[] = [];
  if (setRequests.length) out.push(`${setRequests.sort().join(", ")} request for ${prefix} ${c.name}`);
  if (setLimits.length) out.push(`${setLimits.sort().join(", ")} limit for ${prefix} ${c.name}`);
  return out;
}

const q = (v: unknown): Quantity | undefined => tryParseQuantity(v);

/** Upstream's quantity printing for messages (the value as written). */
const show = (v: unknown): string => String(v);

/** min / max / maxLimitRequestRatio of `item` for one container's (or the pod's) request and limit. */
function check(item: LimitItem, kind: string, requests: Record<string, Quantity>, limits: Record<string, Quantity>, errs: string[]): void {
  for (const [r, min] of Object.entries(item.min ?? {})) {
    const m = q(min);
    if (!m) continue;
    const req = requests[r];
    const lim = limits[r];
    if (!req) errs.push(`minimum ${r} usage per ${kind} is ${show(min)}.  No request is specified`);
    else if (req.cmp(m) < 0) errs.push(`minimum ${r} usage per ${kind} is ${show(min)}, but request is ${req.toString()}`);
    if (lim && lim.cmp(m) < 0) errs.push(`minimum ${r} usage per ${kind} is ${show(min)}, but limit is ${lim.toString()}`);
  }
  for (const [r, max] of Object.entries(item.max ?? {})) {
    const m = q(max);
    if (!m) continue;
    const lim = limits[r];
    if (!lim) errs.push(`maximum ${r} usage per ${kind} is ${show(max)}.  No limit is specified`);
    else if (lim.cmp(m) > 0) errs.push(`maximum ${r} usage per ${kind} is ${show(max)}, but limit is ${lim.toString()}`);
  }
  for (const [r, ratio] of Object.entries(item.maxLimitRequestRatio ?? {})) {
    const m = q(ratio);
    const lim = limits[r];
    const req = requests[r];
    if (!m || !lim) continue;
    if (!req || req.isZero()) {
      errs.push(`${r} max limit to request ratio per ${kind} is ${show(ratio)}, but no request is specified or request is 0`);
      continue;
    }
    const actual = lim.milliValue() / req.milliValue();
    if (actual > m.milliValue() / 1000) errs.push(`${r} max limit to request ratio per ${kind} is ${show(ratio)}, but provided ratio is ${actual.toFixed(6)}`);
  }
}

function parsed(list: ResourceList | undefined): Record<string, Quantity> {
  const out: Record<string, Quantity> = {};
  for (const [k, v] of Object.entries(list ?? {})) {
    const x = q(v);
    if (x) out[k] = x;
  }
  return out;
}

/** Sum of the app containers, or the largest init container where that is more (the pod's effective request/limit). */
function podTotals(containers: Requirements[], inits: Requirements[], field: "requests" | "limits"): Record<string, Quantity> {
  const sum: Record<string, Quantity> = {};
  for (const c of containers) for (const [k, v] of Object.entries(parsed(c[field]))) sum[k] = sum[k] ? sum[k].add(v) : v;
  for (const c of inits) for (const [k, v] of Object.entries(parsed(c[field]))) if (!sum[k] || v.cmp(sum[k]) > 0) sum[k] = v;
  return sum;
}

/**
 * Applies the namespace's LimitRanges to a new pod (in place): defaults,
 * then the min/max/ratio checks. Throws 403 Forbidden when one fails.
 */
export function admitPodLimits(cache: CacheView, limitRangesStorage: string, pod: KObject): void {
  const items = limitRangesOf(cache, limitRangesStorage, pod.metadata.namespace ?? "");
  if (!items.length) return;
  const containers = (pod.spec?.containers ?? []) as { name: string; resources?: Requirements }[];
  const inits = (pod.spec?.initContainers ?? []) as { name: string; resources?: Requirements }[];
  const notes = [...inits.flatMap((c) => applyDefaults(c, items, "init container")), ...containers.flatMap((c) => applyDefaults(c, items, "container"))];
  if (notes.length) pod.metadata.annotations = { ...(pod.metadata.annotations ?? {}), [ANNOTATION]: `LimitRanger plugin set: ${notes.join("; ")}` };
  const errs: string[] = [];
  for (const item of items) {
    if (item.type === "Container") {
      for (const c of [...inits, ...containers]) check(item, "Container", parsed(c.resources?.requests), parsed(c.resources?.limits), errs);
    } else if (item.type === "Pod") {
      const res = (cs: typeof containers) => cs.map((c) => c.resources ?? {});
      check(item, "Pod", podTotals(res(containers), res(inits), "requests"), podTotals(res(containers), res(inits), "limits"), errs);
    }
  }
  if (errs.length) throw forbidden({ group: "", resource: "pods" }, pod.metadata.name ?? "", errs.length === 1 ? errs[0] : `[${errs.join(", ")}]`);
}
