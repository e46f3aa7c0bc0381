/**
 * PodDisruptionBudget arithmetic (pure; no I/O): scaled int-or-percent
 * values, the desired and current healthy counts, and the status the
 * disruption controller writes, as upstream's disruption controller computes
 * them.
 */
import { setStatusCondition, type StatusCondition } from "../../api/conditions.ts";
import type { KObject } from "../../api/types.ts";
import { isPodReady } from "../endpoints/pods.ts";

/** How long a pod listed in status.disruptedPods counts as disrupted (upstream's DeletionTimeout). */
export const disruptedPodTimeoutMs = 2 * 60 * 1000;

/**
 * An int-or-percent against `total` (upstream's GetScaledValueFromIntOrPercent):
 * ints as is, "N%" as N·total/100 rounded up or down. Throws on anything else.
 */
export function scaledValue(v: number | string, total: number, roundUp: boolean): number {
  if (typeof v === "number") return v;
  const m = /^(\d+)%$/.exec(v.trim());
  if (!m) {
    if (/^\d+$/.test(v.trim())) return Number(v);
    throw new Error(`invalid value for IntOrString: "${v}"`);
  }
  const x = (Number(m[1]) * total) / 100;
  return roundUp ? Math.ceil(x) : Math.floor(x);
}

/** True for minAvailable/maxUnavailable values given as percentages. */
export function isPercent(v: unknown): boolean {
  return typeof v === "string" && v.trim().endsWith("%");
}

/**
 * expectedPods and desiredHealthy of a budget. `expectedScale()` sums the
 * controllers' replicas; it is consulted only where upstream does (any
 * maxUnavailable, percentage minAvailable).
 */
export async function expectedAndDesired(pdb: KObject, pods: KObject[], expectedScale: () => Promise<number>): Promise<{ expected: number; desired: number }> {
  const spec = pdb.spec ?? {};
  if (spec.maxUnavailable !== undefined && spec.maxUnavailable !== null) {
    const expected = await expectedScale();
    const maxUnavailable = scaledValue(spec.maxUnavailable, expected, true);
    return { expected, desired: Math.max(0, expected - maxUnavailable) };
  }
  if (spec.minAvailable !== undefined && spec.minAvailable !== null) {
    if (!isPercent(spec.minAvailable)) return { expected: pods.length, desired: scaledValue(spec.minAvailable, pods.length, true) };
    const expected = await expectedScale();
    return { expected, desired: scaledValue(spec.minAvailable, expected, true) };
  }
  return { expected: pods.length, desired: 0 };
}

/**
 * status.disruptedPods without entries that expired or whose pod is gone or
 * terminating, and the earliest time a remaining entry expires.
 */
export function liveDisruptedPods(pdb: KObject, pods: KObject[], now: number): { map: Record<string, string>; nextExpiry?: number } {
  const byName = new Map(pods.map((p) => [p.metadata.name!, p]));
  const map: Record<string, string> = {};
  let nextExpiry: number | undefined;
  for (const [name, at] of Object.entries((pdb.status?.disruptedPods ?? {}) as Record<string, string>)) {
    const p = byName.get(name);
    const expires = Date.parse(at) + disruptedPodTimeoutMs;
    if (!p || p.metadata.deletionTimestamp || !(expires > now)) continue;
    map[name] = at;
    nextExpiry = nextExpiry === undefined ? expires : Math.min(nextExpiry, expires);
  }
  return { map, nextExpiry };
}

/** Ready pods that are neither terminating nor recently disrupted. */
export function countHealthy(pods: KObject[], disrupted: Record<string, string>): number {
  return pods.filter((p) => !p.metadata.deletionTimestamp && !(p.metadata.name! in disrupted) && isPodReady(p)).length;
}

/** The full status for the given counts, keeping the condition's lastTransitionTime when its status is unchanged. */
export function budgetStatus(
  pdb: KObject,
  c: { expected: number; desired: number; healthy: number; disrupted: Record<string, string> },
  now: string,
): Record<string, unknown> {
  let allowed = c.healthy - c.desired;
  if (c.expected <= 0 || allowed <= 0) allowed = 0;
  const status = allowed > 0 ? "True" : "False";
  const old = ((pdb.status?.conditions ?? []) as Record<string, unknown>[]).find((x) => x.type === "DisruptionAllowed");
  const generation = pdb.metadata.generation ?? 1;
  const condition = {
    type: "DisruptionAllowed",
    status,
    reason: allowed > 0 ? "SufficientPods" : "InsufficientPods",
    message: "",
    observedGeneration: generation,
    lastTransitionTime: old && old.status === status ? old.lastTransitionTime : now,
  };
  const others = ((pdb.status?.conditions ?? []) as Record<string, unknown>[]).filter((x) => x.type !== "DisruptionAllowed");
  const out: Record<string, unknown> = {
    observedGeneration: generation,
    disruptionsAllowed: allowed,
    currentHealthy: c.healthy,
    desiredHealthy: c.desired,
    expectedPods: c.expected,
    conditions: [...others, condition],
  };
  if (Object.keys(c.disrupted).length) out.disruptedPods = c.disrupted;
  return out;
}

/**
 * Upstream's failSafe: the status as it is, but no disruption allowed and
 * DisruptionAllowed=False with reason SyncFailed and the error as message.
 */
export function failSafeStatus(pdb: KObject, message: string, now: string): Record<string, unknown> {
  const st = (pdb.status ?? {}) as Record<string, unknown>;
  const condition = { type: "DisruptionAllowed", status: "False", reason: "SyncFailed", message, observedGeneration: (st.observedGeneration as number | undefined) ?? 0 };
  return { ...st, disruptionsAllowed: 0, conditions: setStatusCondition(st.conditions as StatusCondition[] | undefined, condition, now) };
}
