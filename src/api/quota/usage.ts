/**
 * Quota usage calculation (upstream quota.CalculateUsage with the core
 * evaluators): maps every resource named in a quota's spec.hard to the
 * evaluator that measures it (pods, services, persistentvolumeclaims, or a
 * generic object count), lists that evaluator's objects in the namespace,
 * keeps those matching the quota's scopes and scopeSelector, and sums their
 * usage. Every tracked resource starts at zero; names no evaluator knows are
 * left out. Pure: objects come from a caller-supplied lookup.
 */
import { findResource, preferredVersion, type ResourceInfo } from "../resources.ts";
import type { KObject } from "../types.ts";
import { Quantity, tryParseQuantity } from "../../machinery/quantity.ts";
import { addInto, chargeExpiry, isChargedPod, podMatchesScope, podUsage, type QuantityMap, type ScopeRequirement } from "./podusage.ts";

const podsRes = findResource("", "v1", "pods")!;
const servicesRes = findResource("", "v1", "services")!;
const pvcsRes = findResource("", "v1", "persistentvolumeclaims")!;

const storageClassSuffix = ".storageclass.storage.k8s.io/";

const podNames = new Set([
  "pods",
  "count/pods",
  "cpu",
  "memory",
  "ephemeral-storage",
  "requests.cpu",
  "requests.memory",
  "requests.ephemeral-storage",
  "limits.cpu",
  "limits.memory",
  "limits.ephemeral-storage",
]);
const serviceNames = new Set(["services", "count/services", "services.nodeports", "services.loadbalancers"]);
const pvcNames = new Set(["persistentvolumeclaims", "count/persistentvolumeclaims", "requests.storage"]);
/** Quota names that predate `count/…` and count objects of a core resource. */
const legacyCounts = new Set(["configmaps", "secrets", "replicationcontrollers", "resourcequotas"]);

type EvaluatorKind = "pod" | "service" | "pvc" | "count";

/** An evaluator: the resource whose objects it lists and how it measures them. */
export interface Evaluator {
  kind: EvaluatorKind;
  info: ResourceInfo;
}

/** The resource behind `count/<plural>[.<group>]` (preferred version), if served. */
export function countResource(name: string): ResourceInfo | undefined {
  if (!name.startsWith("count/")) return undefined;
  const rest = name.slice("count/".length);
  const dot = rest.indexOf(".");
  const plural = dot < 0 ? rest : rest.slice(0, dot);
  const group = dot < 0 ? "" : rest.slice(dot + 1);
  const version = preferredVersion(group);
  return version ? findResource(group, version, plural) : undefined;
}

function isNative(name: string): boolean {
  return !name.includes("/") || name.includes("kubernetes.io/");
}

/** The evaluator that measures quota resource `name`, or undefined when none does. */
export function evaluatorFor(name: string): Evaluator | undefined {
  if (podNames.has(name) || name.startsWith("hugepages-") || name.startsWith("requests.hugepages-")) return { kind: "pod", info: podsRes };
  if (name.startsWith("requests.") && !isNative(name)) return { kind: "pod", info: podsRes };
  if (serviceNames.has(name)) return { kind: "service", info: servicesRes };
  if (pvcNames.has(name)) return { kind: "pvc", info: pvcsRes };
  if (name.includes(storageClassSuffix)) {
    const what = name.slice(name.indexOf(storageClassSuffix) + storageClassSuffix.length);
    if (what === "requests.storage" || what === "persistentvolumeclaims") return { kind: "pvc", info: pvcsRes };
    return undefined;
  }
  if (legacyCounts.has(name)) return { kind: "count", info: findResource("", "v1", name)! };
  const info = countResource(name);
  return info ? { kind: "count", info } : undefined;
}

const one = (): Quantity => new Quantity(1n, 0, "DecimalSI");

function serviceUsage(svc: KObject): QuantityMap {
  const ports: KObject[] = svc.spec?.ports ?? [];
  const out: QuantityMap = new Map([
    ["count/services", one()],
    ["services", one()],
    ["services.loadbalancers", new Quantity(0n, 0)],
    ["services.nodeports", new Quantity(0n, 0)],
  ]);
  if (svc.spec?.type === "NodePort") out.set("services.nodeports", new Quantity(BigInt(ports.length), 0));
  if (svc.spec?.type === "LoadBalancer") {
    const n = svc.spec?.allocateLoadBalancerNodePorts === false ? ports.filter((p) => p.nodePort).length : ports.length;
    out.set("services.nodeports", new Quantity(BigInt(n), 0));
    out.set("services.loadbalancers", one());
  }
  return out;
}

/** The claim's storage class: the beta annotation wins over spec.storageClassName. */
function claimClass(pvc: KObject): string {
  return pvc.metadata.annotations?.["volume.beta.kubernetes.io/storage-class"] ?? pvc.spec?.storageClassName ?? "";
}

function pvcUsage(pvc: KObject): QuantityMap {
  const out: QuantityMap = new Map([
    ["persistentvolumeclaims", one()],
    ["count/persistentvolumeclaims", one()],
  ]);
  const cls = claimClass(pvc);
  if (cls) out.set(`${cls}${storageClassSuffix}persistentvolumeclaims`, one());
  let storage = tryParseQuantity(pvc.spec?.resources?.requests?.storage);
  const allocated = tryParseQuantity(pvc.status?.allocatedResources?.storage);
  if (allocated && (!storage || allocated.cmp(storage) > 0)) storage = allocated;
  if (storage) {
    out.set("requests.storage", storage);
    if (cls) out.set(`${cls}${storageClassSuffix}requests.storage`, storage);
  }
  return out;
}

/** The scope requirements of a quota: spec.scopes (as Exists) and spec.scopeSelector.matchExpressions. */
export function quotaScopes(quota: KObject): ScopeRequirement[] {
  const out: ScopeRequirement[] = ((quota.spec?.scopes ?? []) as string[]).map((s) => ({ scopeName: s, operator: "Exists" }));
  for (const e of (quota.spec?.scopeSelector?.matchExpressions ?? []) as ScopeRequirement[]) out.push(e);
  return out;
}

/** Whether an object falls under every scope; only pods can match a scoped quota. */
function matchesScopes(ev: Evaluator, obj: KObject, scopes: ScopeRequirement[]): boolean {
  if (scopes.length === 0) return true;
  if (ev.kind !== "pod") return false;
  return scopes.every((s) => podMatchesScope(obj, s));
}

function usageOf(ev: Evaluator, obj: KObject, now: number): QuantityMap {
  switch (ev.kind) {
    case "pod":
      return podUsage(obj, now);
    case "service":
      return serviceUsage(obj);
    case "pvc":
      return pvcUsage(obj);
    case "count":
      return new Map([[`count/${ev.info.plural}${ev.info.group ? `.${ev.info.group}` : ""}`, one()], [ev.info.plural, one()]]);
  }
}

/** Lists the objects of a resource in a namespace; undefined while the cache is not ready. */
export type ObjectLookup = (info: ResourceInfo, namespace: string) => KObject[] | undefined;

export interface UsageResult {
  /** Canonical quantity strings for every hard resource an evaluator measures. */
  used: Record<string, string>;
  /** Resources whose objects could not be listed yet (their usage is missing from `used`). */
  pending: ResourceInfo[];
  /** The earliest future time (ms) at which a pod stops being charged, if any. */
  nextChangeAt?: number;
}

/** Measures the usage of every resource in `quota.spec.hard` that an evaluator knows. */
export function calculateUsage(quota: KObject, lookup: ObjectLookup, now: number): UsageResult {
  const namespace = quota.metadata.namespace ?? "";
  const byEvaluator = new Map<string, { ev: Evaluator; names: string[] }>();
  for (const name of Object.keys(quota.spec?.hard ?? {})) {
    const ev = evaluatorFor(name);
    if (!ev) continue;
    const key = `${ev.kind}/${ev.info.group}/${ev.info.plural}`;
    const entry = byEvaluator.get(key) ?? { ev, names: [] };
    entry.names.push(name);
    byEvaluator.set(key, entry);
  }
  const scopes = quotaScopes(quota);
  const used: Record<string, string> = {};
  const pending: ResourceInfo[] = [];
  let nextChangeAt: number | undefined;
  for (const { ev, names } of byEvaluator.values()) {
    const objs = lookup(ev.info, namespace);
    if (!objs) {
      pending.push(ev.info);
      continue;
    }
    const sum: QuantityMap = new Map();
    for (const obj of objs) {
      if (!matchesScopes(ev, obj, scopes)) continue;
      addInto(sum, usageOf(ev, obj, now));
      if (ev.kind === "pod" && isChargedPod(obj, now)) {
        const expiry = chargeExpiry(obj);
        if (expiry !== undefined && (nextChangeAt === undefined || expiry < nextChangeAt)) nextChangeAt = expiry;
      }
    }
    for (const name of names) used[name] = (sum.get(name) ?? new Quantity(0n, 0)).toString();
  }
  return { used, pending, nextChangeAt };
}

/** spec.hard with every parsable quantity in canonical form. */
export function canonicalHard(hard: Record<string, unknown> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(hard ?? {})) out[k] = tryParseQuantity(v)?.toString() ?? String(v);
  return out;
}
