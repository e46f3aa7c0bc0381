/**
 * Pod predicates and the deletion ranking of upstream controller_utils.go:
 * which pods count as active, ready and available, and which pods a
 * ReplicaSet gives up first when it scales down (ActivePodsWithRanks).
 * Pure functions of pod objects and the current time.
 */
import type { KObject } from "../../api/types.ts";

/** Pod annotation lowering the cost of deleting a pod (PodDeletionCost, GA). */
export const podDeletionCostAnnotation = "controller.kubernetes.io/pod-deletion-cost";

/** Not finished (Succeeded/Failed) and not being deleted. */
export function isPodActive(p: KObject): boolean {
  const phase = p.status?.phase;
  return phase !== "Succeeded" && phase !== "Failed" && !p.metadata.deletionTimestamp;
}

function readyCondition(p: KObject): { status?: string; lastTransitionTime?: string } | undefined {
  return (p.status?.conditions ?? []).find((c: { type?: string }) => c.type === "Ready");
}

/** The pod's Ready condition is True. */
export function isPodReady(p: KObject): boolean {
  return readyCondition(p)?.status === "True";
}

/** Milliseconds since the epoch at which the pod became Ready (undefined when not ready). */
export function podReadySince(p: KObject): number | undefined {
  const c = readyCondition(p);
  if (c?.status !== "True") return undefined;
  const t = Date.parse(c.lastTransitionTime ?? "");
  return Number.isNaN(t) ? undefined : t;
}

/** Ready for at least `minReadySeconds` at `now` (ready is enough when minReadySeconds is 0). */
export function isPodAvailable(p: KObject, minReadySeconds: number, now: number): boolean {
  if (!isPodReady(p)) return false;
  if (!minReadySeconds) return true;
  const since = podReadySince(p);
  return since !== undefined && since + minReadySeconds * 1000 <= now;
}

const phaseOrdinal: Record<string, number> = { Pending: 0, Unknown: 1, Running: 2 };

function deletionCost(p: KObject): number {
  const v = p.metadata.annotations?.[podDeletionCostAnnotation];
  const n = v === undefined ? 0 : Number(v);
  return Number.isInteger(n) ? n : 0;
}

function maxRestarts(p: KObject): number {
  let m = 0;
  for (const c of p.status?.containerStatuses ?? []) m = Math.max(m, Number(c.restartCount ?? 0));
  return m;
}

/** Logarithmic age bucket (LogarithmicScaleDown): pods within a factor of two of each other tie. */
function ageBucket(t: number, now: number): number {
  const secs = Math.max(0, (now - t) / 1000);
  return Math.floor(Math.log2(secs + 1));
}

/**
 * Orders pods so that the first ones are the best to delete:
 * unassigned < assigned; Pending < Unknown < Running; not ready < ready;
 * lower deletion cost first; higher `rank` (pods doubled up on one node)
 * first; ready for less time first; more restarts first; newer first (empty
 * creation time first). Age comparisons use logarithmic buckets, as upstream
 * with LogarithmicScaleDown. Returns a new array.
 */
export function rankPodsForDeletion(pods: KObject[], rank: (p: KObject) => number = () => 0, now = Date.now()): KObject[] {
  const cmp = (a: KObject, b: KObject): number => {
    const an = a.spec?.nodeName ? 1 : 0;
    const bn = b.spec?.nodeName ? 1 : 0;
    if (an !== bn) return an - bn;
    const ap = phaseOrdinal[a.status?.phase ?? "Pending"] ?? 0;
    const bp = phaseOrdinal[b.status?.phase ?? "Pending"] ?? 0;
    if (ap !== bp) return ap - bp;
    const ar = isPodReady(a) ? 1 : 0;
    const br = isPodReady(b) ? 1 : 0;
    if (ar !== br) return ar - br;
    const ac = deletionCost(a);
    const bc = deletionCost(b);
    if (ac !== bc) return ac - bc;
    const ak = rank(a);
    const bk = rank(b);
    if (ak !== bk) return bk - ak;
    if (ar && br) {
      const at = podReadySince(a);
      const bt = podReadySince(b);
      if (at !== bt) {
        if (at === undefined) return -1;
        if (bt === undefined) return 1;
        const d = ageBucket(at, now) - ageBucket(bt, now);
        if (d !== 0) return d;
      }
    }
    const rr = maxRestarts(b) - maxRestarts(a);
    if (rr !== 0) return rr;
    const act = Date.parse(a.metadata.creationTimestamp ?? "");
    const bct = Date.parse(b.metadata.creationTimestamp ?? "");
    if (act !== bct) {
      if (Number.isNaN(act)) return -1;
      if (Number.isNaN(bct)) return 1;
      const d = ageBucket(act, now) - ageBucket(bct, now);
      if (d !== 0) return d;
    }
    return 0;
  };
  return [...pods].sort(cmp);
}
