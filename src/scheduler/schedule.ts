/**
 * The scheduling algorithm for one pod (upstream schedule_one.go
 * schedulePod): PreFilter, Filter over a rotating window of nodes until
 * `numFeasibleNodesToFind` feasible ones are found, PreScore/Score with
 * normalization and weights, and `selectHost` with random tie-breaking.
 * Failures come back as a FitError whose message matches upstream's
 * "0/N nodes are available: ..." format.
 */
import type { KObject } from "../api/types.ts";
import type { CycleState } from "./framework/cycle_state.ts";
import type { Framework, ScoreResult } from "./framework/framework.ts";
import type { NodeToStatus } from "./framework/interface.ts";
import type { NodeInfo } from "./framework/node_info.ts";
import type { Snapshot } from "./framework/snapshot.ts";
import { Code, newStatus, type Status } from "./framework/status.ts";

export const MIN_FEASIBLE_NODES_TO_FIND = 100;
export const MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND = 5;
export const NO_NODES_AVAILABLE_MSG = "no nodes available to schedule pods";

/**
 * How many feasible nodes to look for: all below 100 nodes; otherwise
 * `percentage` of them (adaptive 50 - nodes/125, at least 5%) but never
 * fewer than 100.
 */
export function numFeasibleNodesToFind(percentageOfNodesToScore: number | undefined, numAllNodes: number): number {
  if (numAllNodes < MIN_FEASIBLE_NODES_TO_FIND) return numAllNodes;
  let pct = percentageOfNodesToScore ?? 0;
  if (pct <= 0) {
    pct = 50 - Math.trunc(numAllNodes / 125);
    if (pct < MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND) pct = MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND;
  }
  const n = Math.trunc((numAllNodes * Math.min(pct, 100)) / 100);
  return n < MIN_FEASIBLE_NODES_TO_FIND ? MIN_FEASIBLE_NODES_TO_FIND : n;
}

/** Why the pod did not fit: per-node statuses and the PreFilter/PostFilter messages. */
export interface Diagnosis {
  nodeToStatus: NodeToStatus;
  unschedulablePlugins: Set<string>;
  preFilterMsg: string;
  postFilterMsg: string;
}

/** The pod fits no node (upstream framework.FitError). */
export class FitError extends Error {
  readonly pod: KObject;
  readonly numAllNodes: number;
  readonly diagnosis: Diagnosis;

  constructor(pod: KObject, numAllNodes: number, diagnosis: Diagnosis) {
    super("");
    this.name = "FitError";
    this.pod = pod;
    this.numAllNodes = numAllNodes;
    this.diagnosis = diagnosis;
    Object.defineProperty(this, "message", { get: () => this.render(), configurable: true, enumerable: false });
  }

  /**
   * "0/N nodes are available: <prefilter msg | sorted 'count reason' list>.
   * <postfilter msg>." exactly as upstream composes it (also `message`).
   */
  render(): string {
    const d = this.diagnosis;
    if (this.numAllNodes === 0 && !d.preFilterMsg) return NO_NODES_AVAILABLE_MSG;
    let msg = `0/${this.numAllNodes} nodes are available:`;
    if (d.preFilterMsg) msg += ` ${d.preFilterMsg}.`;
    else {
      const hist = reasonHistogram(d.nodeToStatus, this.numAllNodes);
      if (hist.length) msg += ` ${hist.join(", ")}.`;
    }
    if (d.postFilterMsg) msg += ` ${d.postFilterMsg}.`;
    return msg;
  }
}

/** "count reason" strings, sorted as strings, counting absent nodes with the absent status. */
export function reasonHistogram(nts: NodeToStatus, numAllNodes: number): string[] {
  const counts = new Map<string, number>();
  for (const s of nts.map.values()) for (const r of s.reasons) counts.set(r, (counts.get(r) ?? 0) + 1);
  const absent = numAllNodes - nts.map.size;
  if (absent > 0 && nts.absent) for (const r of nts.absent.reasons) counts.set(r, (counts.get(r) ?? 0) + absent);
  return [...counts].map(([r, n]) => `${n} ${r}`).sort();
}

/** Mutable state carried across cycles (the rotating start index). */
export interface ScheduleCursor {
  nextStartNodeIndex: number;
}

export interface ScheduleOptions {
  cursor?: ScheduleCursor;
  /** Global percentageOfNodesToScore (the profile's value wins when set). */
  percentageOfNodesToScore?: number;
}

export type ScheduleResult =
  | { node: string; evaluatedNodes: number; feasibleNodes: number }
  | { failure: FitError }
  | { error: Status };

function emptyDiagnosis(): Diagnosis {
  return { nodeToStatus: { map: new Map() }, unschedulablePlugins: new Set(), preFilterMsg: "", postFilterMsg: "" };
}

/**
 * Finds a node for `pod` in `snapshot` (sets `fwk.snapshot`). Does not run
 * PostFilter (preemption); the caller does that on `failure`.
 */
export function schedulePod(fwk: Framework, state: CycleState, pod: KObject, snapshot: Snapshot, opts: ScheduleOptions = {}): ScheduleResult {
  fwk.snapshot = snapshot;
  const all = snapshot.nodeInfoList;
  const diagnosis = emptyDiagnosis();
  if (all.length === 0) return { failure: new FitError(pod, 0, diagnosis) };
  const found = findNodesThatFitPod(fwk, state, pod, snapshot, diagnosis, opts);
  if ("error" in found) return found;
  const feasible = found.feasible;
  if (feasible.length === 0) return { failure: new FitError(pod, all.length, diagnosis) };
  const evaluatedNodes = feasible.length + diagnosis.nodeToStatus.map.size;
  if (feasible.length === 1) return { node: feasible[0].name, evaluatedNodes, feasibleNodes: 1 };
  const pre = fwk.runPreScorePlugins(state, pod, feasible);
  if (pre) return { error: pre };
  const totals = fwk.runScorePluginsTotals(state, pod, feasible);
  if (!(totals instanceof Float64Array)) return { error: totals };
  return { node: selectHostByTotals(feasible, totals, fwk.random), evaluatedNodes, feasibleNodes: feasible.length };
}

/**
 * selectHost over node-ordered totals (what schedulePod uses; no per-node
 * objects): the top total's nodes are counted, then one of them is drawn
 * uniformly with a single random number (with many equal scores, one draw
 * per tie would cost a boxed number each).
 */
function selectHostByTotals(nodes: NodeInfo[], totals: Float64Array, random: () => number): string {
  let max = totals[0];
  let ties = 1;
  for (let i = 1; i < nodes.length; i++) {
    const t = totals[i];
    if (t > max) {
      max = t;
      ties = 1;
    } else if (t === max) ties++;
  }
  let k = Math.min(ties - 1, Math.floor(random() * ties));
  for (let i = 0; i < nodes.length; i++) {
    if (totals[i] === max && k-- === 0) return nodes[i].name;
  }
  return nodes[0].name;
}

/** The highest-scoring node; ties broken uniformly at random (reservoir sampling). */
export function selectHost(scores: ScoreResult[], random: () => number = Math.random): string {
  let best = scores[0].name;
  let max = scores[0].total;
  let ties = 1;
  for (let i = 1; i < scores.length; i++) {
    const s = scores[i];
    if (s.total > max) {
      max = s.total;
      best = s.name;
      ties = 1;
    } else if (s.total === max) {
      ties++;
      if (random() * ties < 1) best = s.name;
    }
  }
  return best;
}

function findNodesThatFitPod(
  fwk: Framework,
  state: CycleState,
  pod: KObject,
  snapshot: Snapshot,
  diagnosis: Diagnosis,
  opts: ScheduleOptions,
): { feasible: NodeInfo[] } | { error: Status } {
  const all = snapshot.nodeInfoList;
  const pre = fwk.runPreFilterPlugins(state, pod, all);
  if (pre.status) {
    if (!pre.status.isRejected()) return { error: pre.status };
    diagnosis.nodeToStatus.absent = pre.status;
    diagnosis.preFilterMsg = pre.status.message();
    if (pre.status.plugin) diagnosis.unschedulablePlugins.add(pre.status.plugin);
    return { feasible: [] };
  }
  const nominated: string | undefined = pod.status?.nominatedNodeName;
  if (nominated) {
    const ni = snapshot.get(nominated);
    if (ni && (!pre.result || pre.result.nodeNames.has(nominated))) {
      const s = fwk.runFilterPluginsWithNominatedPods(state, pod, ni);
      if (!s) return { feasible: [ni] };
      if (!s.isRejected()) return { error: s };
    }
  }
  let nodes = all;
  if (pre.result) {
    nodes = [];
    for (const n of pre.result.nodeNames) {
      const ni = snapshot.get(n);
      if (ni) nodes.push(ni);
    }
    diagnosis.nodeToStatus.absent = newStatus(Code.UnschedulableAndUnresolvable, `node(s) didn't satisfy plugin(s) [${pre.resultPlugins.join(" ")}]`);
  }
  return findNodesThatPassFilters(fwk, state, pod, nodes, diagnosis, opts);
}

function findNodesThatPassFilters(
  fwk: Framework,
  state: CycleState,
  pod: KObject,
  nodes: NodeInfo[],
  diagnosis: Diagnosis,
  opts: ScheduleOptions,
): { feasible: NodeInfo[] } | { error: Status } {
  const n = nodes.length;
  if (n === 0) return { feasible: [] };
  const cursor = opts.cursor ?? { nextStartNodeIndex: 0 };
  const want = numFeasibleNodesToFind(fwk.percentageOfNodesToScore || opts.percentageOfNodesToScore, n);
  const start = cursor.nextStartNodeIndex % n;
  // Sized up front: growing by push would allocate about three times the final size.
  const feasible: NodeInfo[] = new Array(Math.min(want, n));
  let found = 0;
  let processed = 0;
  const filters = fwk.hasFilterPlugins();
  // Nominations cannot change during this loop: without any, skip the per-node lookup.
  const nominated = filters && fwk.hasNominatedPods();
  for (let i = 0; i < n && found < want; i++) {
    const ni = nodes[(start + i) % n];
    processed++;
    const s = !filters ? undefined : nominated ? fwk.runFilterPluginsWithNominatedPods(state, pod, ni) : fwk.runFilterPlugins(state, pod, ni);
    if (!s) {
      feasible[found++] = ni;
      continue;
    }
    if (!s.isRejected()) return { error: s };
    diagnosis.nodeToStatus.map.set(ni.name, s);
    if (s.plugin) diagnosis.unschedulablePlugins.add(s.plugin);
  }
  cursor.nextStartNodeIndex = (start + processed) % n;
  feasible.length = found;
  return { feasible };
}
