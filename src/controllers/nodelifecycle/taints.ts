/**
 * Node taints and pod tolerations for the node lifecycle controller (pure;
 * no I/O): the taints a Node's conditions call for (upstream's
 * taint-nodes-by-condition and NoExecute tainting), toleration matching, the
 * default not-ready/unreachable tolerations upstream's DefaultTolerationSeconds
 * admission plugin would have added, and when a pod must be evicted.
 */
import type { KObject } from "../../api/types.ts";

export const taintNotReady = "node.kubernetes.io/not-ready";
export const taintUnreachable = "node.kubernetes.io/unreachable";
export const taintUnschedulable = "node.kubernetes.io/unschedulable";

export interface Taint {
  key: string;
  value?: string;
  effect: string;
  timeAdded?: string;
}

export interface Toleration {
  key?: string;
  operator?: string;
  value?: string;
  effect?: string;
  tolerationSeconds?: number;
}

/** NoSchedule taints by condition type and status (upstream's nodeConditionToTaintKeyStatusMap). */
const noScheduleByCondition: { type: string; status: string; key: string }[] = [
  { type: "Ready", status: "False", key: taintNotReady },
  { type: "Ready", status: "Unknown", key: taintUnreachable },
  { type: "MemoryPressure", status: "True", key: "node.kubernetes.io/memory-pressure" },
  { type: "DiskPressure", status: "True", key: "node.kubernetes.io/disk-pressure" },
  { type: "PIDPressure", status: "True", key: "node.kubernetes.io/pid-pressure" },
  { type: "NetworkUnavailable", status: "True", key: "node.kubernetes.io/network-unavailable" },
];

/** Every key/effect pair this controller owns; other taints are never touched. */
const managed = new Set([
  ...noScheduleByCondition.map((c) => `${c.key}:NoSchedule`),
  `${taintUnschedulable}:NoSchedule`,
  `${taintNotReady}:NoExecute`,
  `${taintUnreachable}:NoExecute`,
]);

/** Status of the node condition `type`, if reported. */
export function conditionStatus(node: KObject, type: string): string | undefined {
  return (node.status?.conditions ?? []).find((c: { type?: string }) => c.type === type)?.status;
}

/** The managed taints (key:effect) the Node's conditions and spec.unschedulable call for. */
export function desiredManagedTaints(node: KObject): Set<string> {
  const want = new Set<string>();
  for (const c of noScheduleByCondition) if (conditionStatus(node, c.type) === c.status) want.add(`${c.key}:NoSchedule`);
  if (node.spec?.unschedulable) want.add(`${taintUnschedulable}:NoSchedule`);
  const ready = conditionStatus(node, "Ready");
  if (ready === "False") want.add(`${taintNotReady}:NoExecute`);
  if (ready === "Unknown") want.add(`${taintUnreachable}:NoExecute`);
  return want;
}

/**
 * The Node's taints with managed ones added or removed as `want` says
 * (others kept in place), or undefined when nothing changes. New NoExecute
 * taints get timeAdded `now`.
 */
export function reconcileTaints(current: Taint[], want: Set<string>, now: string): Taint[] | undefined {
  const have = new Set(current.map((t) => `${t.key}:${t.effect}`));
  const next = current.filter((t) => !managed.has(`${t.key}:${t.effect}`) || want.has(`${t.key}:${t.effect}`));
  for (const kv of want) {
    if (have.has(kv)) continue;
    const i = kv.lastIndexOf(":");
    const t: Taint = { key: kv.slice(0, i), effect: kv.slice(i + 1) };
    if (t.effect === "NoExecute") t.timeAdded = now;
    next.push(t);
  }
  return next.length === current.length && next.every((t, i) => t === current[i]) ? undefined : next;
}

/** Upstream's ToleratesTaint. */
export function tolerates(tol: Toleration, taint: Taint): boolean {
  if (tol.effect && tol.effect !== taint.effect) return false;
  if (tol.key && tol.key !== taint.key) return false;
  if (tol.operator === "Exists") return true;
  if (!tol.key) return false;
  return (tol.value ?? "") === (taint.value ?? "");
}

/**
 * The pod's tolerations plus, for not-ready and unreachable NoExecute taints
 * it does not already address, a toleration with `defaultSeconds` — what
 * upstream's DefaultTolerationSeconds admission plugin adds on create.
 */
export function effectiveTolerations(pod: KObject, defaultSeconds: number): Toleration[] {
  const tols = (pod.spec?.tolerations ?? []) as Toleration[];
  const addresses = (key: string): boolean => tols.some((t) => (!t.key || t.key === key) && (!t.effect || t.effect === "NoExecute"));
  const out = [...tols];
  for (const key of [taintNotReady, taintUnreachable]) {
    if (!addresses(key)) out.push({ key, operator: "Exists", effect: "NoExecute", tolerationSeconds: defaultSeconds });
  }
  return out;
}

/**
 * When a pod on a node with these NoExecute taints must go: "now" when a
 * taint is not tolerated, else the earliest `taintSince(taint) +
 * min tolerationSeconds` over the taints, or undefined (tolerated forever).
 */
export function evictionTime(taints: Taint[], tolerations: Toleration[], taintSince: (t: Taint) => number): number | "now" | undefined {
  let at: number | undefined;
  for (const taint of taints) {
    if (taint.effect !== "NoExecute") continue;
    const matching = tolerations.filter((t) => tolerates(t, taint));
    if (!matching.length) return "now";
    const secs = Math.min(...matching.map((t) => (typeof t.tolerationSeconds === "number" ? Math.max(0, t.tolerationSeconds) : Infinity)));
    if (secs === Infinity) continue;
    const deadline = taintSince(taint) + secs * 1000;
    at = at === undefined ? deadline : Math.min(at, deadline);
  }
  return at;
}
