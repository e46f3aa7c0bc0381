/**
 * InterPodAffinity: Filter enforces the incoming pod's required pod
 * affinity / anti-affinity and existing pods' required anti-affinity against
 * it, per topology domain (topologyKey=value pairs). Counts are computed in
 * PreFilter and updated incrementally by AddPod/RemovePod (preemption,
 * nominated pods). Score sums preferred term weights (both directions, plus
 * existing pods' required affinity at hardPodAffinityWeight) per domain and
 * min-max normalizes them.
 */
import type { KObject } from "../../api/types.ts";
import type { CycleState, StateData } from "../framework/cycle_state.ts";
import type { Framework } from "../framework/framework.ts";
import { MAX_NODE_SCORE, type NodeScore } from "../framework/helpers.ts";
import type { ClusterEvent, EnqueueExtensions, FilterPlugin, PreFilterPlugin, PreScorePlugin, ScorePlugin } from "../framework/interface.ts";
import type { NodeInfo } from "../framework/node_info.ts";
import { podInfoFor, termMatches, type AffinityTerm, type NamespaceLabels, type PodInfo, type WeightedAffinityTerm } from "../framework/pod_info.ts";
import { Code, newStatus } from "../framework/status.ts";
import { Names } from "./names.ts";

export const ERR_REASON_EXISTING_ANTI_AFFINITY = "node(s) didn't satisfy existing pods anti-affinity rules";
export const ERR_REASON_AFFINITY = "node(s) didn't match pod affinity rules";
export const ERR_REASON_ANTI_AFFINITY = "node(s) didn't match pod anti-affinity rules";

export interface InterPodAffinityArgs {
  hardPodAffinityWeight?: number;
  ignorePreferredTermsOfExistingPods?: boolean;
}

const FILTER_KEY = "PreFilter" + Names.InterPodAffinity;
const SCORE_KEY = "PreScore" + Names.InterPodAffinity;

/** Counts per topology pair, keyed `key\0value`. */
type Counts = Map<string, number>;

function bump(m: Counts, node: KObject, key: string, delta: number): void {
  const v = node.metadata.labels?.[key];
  if (v === undefined) return;
  const k = `${key}\0${v}`;
  const n = (m.get(k) ?? 0) + delta;
  if (n === 0) m.delete(k);
  else m.set(k, n);
}

function matchesAll(terms: AffinityTerm[], pod: KObject, ns?: NamespaceLabels): boolean {
  if (terms.length === 0) return false;
  return terms.every((t) => termMatches(t, pod, ns));
}

class FilterState implements StateData {
  podInfo: PodInfo;
  existingAnti: Counts = new Map();
  affinity: Counts = new Map();
  anti: Counts = new Map();
  ns?: NamespaceLabels;

  constructor(podInfo: PodInfo, ns?: NamespaceLabels) {
    this.podInfo = podInfo;
    this.ns = ns;
  }

  /** Accounts `other` (on `node`) with `sign` +1/-1. */
  update(other: PodInfo, node: KObject, sign: number): void {
    for (const t of other.requiredAntiAffinityTerms) if (termMatches(t, this.podInfo.pod, this.ns)) bump(this.existingAnti, node, t.topologyKey, sign);
    if (matchesAll(this.podInfo.requiredAffinityTerms, other.pod, this.ns)) {
      for (const t of this.podInfo.requiredAffinityTerms) bump(this.affinity, node, t.topologyKey, sign);
    }
    for (const t of this.podInfo.requiredAntiAffinityTerms) if (termMatches(t, other.pod, this.ns)) bump(this.anti, node, t.topologyKey, sign);
  }

  clone(): FilterState {
    const c = new FilterState(this.podInfo, this.ns);
    c.existingAnti = new Map(this.existingAnti);
    c.affinity = new Map(this.affinity);
    c.anti = new Map(this.anti);
    return c;
  }
}

function processTerms(score: Map<string, Map<string, number>>, terms: WeightedAffinityTerm[], pod: KObject, ns: NamespaceLabels | undefined, node: KObject, sign: number): void {
  for (const t of terms) processTerm(score, t, t.weight, pod, ns, node, sign);
}

function processTerm(score: Map<string, Map<string, number>>, t: AffinityTerm, weight: number, pod: KObject, ns: NamespaceLabels | undefined, node: KObject, sign: number): void {
  if (!termMatches(t, pod, ns)) return;
  const v = node.metadata.labels?.[t.topologyKey];
  if (v === undefined) return;
  let m = score.get(t.topologyKey);
  if (!m) score.set(t.topologyKey, (m = new Map()));
  m.set(v, (m.get(v) ?? 0) + weight * sign);
}

export function newInterPodAffinity(rawArgs: unknown, handle: Framework): PreFilterPlugin & FilterPlugin & PreScorePlugin & ScorePlugin & EnqueueExtensions {
  const args = (rawArgs ?? {}) as InterPodAffinityArgs;
  const hardWeight = args.hardPodAffinityWeight ?? 1;
  const ns = handle.handle.namespaceLabels;
  const extensions = {
    addPod(state: CycleState, _pod: KObject, pi: PodInfo, nodeInfo: NodeInfo) {
      state.read<FilterState>(FILTER_KEY)?.update(pi, nodeInfo.node!, 1);
      return undefined;
    },
    removePod(state: CycleState, _pod: KObject, pi: PodInfo, nodeInfo: NodeInfo) {
      state.read<FilterState>(FILTER_KEY)?.update(pi, nodeInfo.node!, -1);
      return undefined;
    },
  };
  return {
    name: Names.InterPodAffinity,
    preFilter(state: CycleState, pod: KObject, nodes: NodeInfo[]) {
      const pi = podInfoFor(pod);
      const snap = handle.snapshot;
      const withAnti = snap.havePodsWithRequiredAntiAffinityList;
      if (pi.requiredAffinityTerms.length === 0 && pi.requiredAntiAffinityTerms.length === 0 && withAnti.length === 0) return newStatus(Code.Skip);
      const s = new FilterState(pi, ns);
      for (const ni of withAnti) {
        for (const ex of ni.podsWithRequiredAntiAffinity) {
          for (const t of ex.requiredAntiAffinityTerms) if (termMatches(t, pod, ns)) bump(s.existingAnti, ni.node!, t.topologyKey, 1);
        }
      }
      if (pi.requiredAffinityTerms.length || pi.requiredAntiAffinityTerms.length) {
        for (const ni of nodes) {
          for (const ex of ni.pods) {
            if (matchesAll(pi.requiredAffinityTerms, ex.pod, ns)) for (const t of pi.requiredAffinityTerms) bump(s.affinity, ni.node!, t.topologyKey, 1);
            for (const t of pi.requiredAntiAffinityTerms) if (termMatches(t, ex.pod, ns)) bump(s.anti, ni.node!, t.topologyKey, 1);
          }
        }
      }
      state.write(FILTER_KEY, s);
      return undefined;
    },
    preFilterExtensions: () => extensions,
    filter(state: CycleState, _pod: KObject, nodeInfo: NodeInfo) {
      const s = state.read<FilterState>(FILTER_KEY);
      if (!s) return newStatus(Code.Error, `reading "${FILTER_KEY}" from cycleState: not found`);
      const labels: Record<string, string> = nodeInfo.node?.metadata.labels ?? {};
      if (s.existingAnti.size) {
        for (const k in labels) if ((s.existingAnti.get(`${k}\0${labels[k]}`) ?? 0) > 0) return newStatus(Code.Unschedulable, ERR_REASON_EXISTING_ANTI_AFFINITY);
      }
      const aff = s.podInfo.requiredAffinityTerms;
      if (aff.length) {
        let exist = true;
        for (const t of aff) {
          const v = labels[t.topologyKey];
          if (v === undefined) return newStatus(Code.UnschedulableAndUnresolvable, ERR_REASON_AFFINITY);
          if ((s.affinity.get(`${t.topologyKey}\0${v}`) ?? 0) <= 0) exist = false;
        }
        if (!exist && !(s.affinity.size === 0 && matchesAll(aff, s.podInfo.pod, ns))) return newStatus(Code.UnschedulableAndUnresolvable, ERR_REASON_AFFINITY);
      }
      for (const t of s.podInfo.requiredAntiAffinityTerms) {
        const v = labels[t.topologyKey];
        if (v !== undefined && (s.anti.get(`${t.topologyKey}\0${v}`) ?? 0) > 0) return newStatus(Code.Unschedulable, ERR_REASON_ANTI_AFFINITY);
      }
      return undefined;
    },
    preScore(state: CycleState, pod: KObject) {
      const pi = podInfoFor(pod);
      const snap = handle.snapshot;
      const hasConstraints = pi.preferredAffinityTerms.length + pi.preferredAntiAffinityTerms.length > 0;
      if (!hasConstraints && snap.havePodsWithAffinityList.length === 0) return newStatus(Code.Skip);
      const score = new Map<string, Map<string, number>>();
      const all = hasConstraints ? snap.nodeInfoList : snap.havePodsWithAffinityList;
      for (const ni of all) {
        const node = ni.node;
        if (!node?.metadata.labels || Object.keys(node.metadata.labels).length === 0) continue;
        for (const ex of hasConstraints ? ni.pods : ni.podsWithAffinity) {
          processTerms(score, pi.preferredAffinityTerms, ex.pod, undefined, node, 1);
          processTerms(score, pi.preferredAntiAffinityTerms, ex.pod, undefined, node, -1);
          if (hardWeight > 0) for (const t of ex.requiredAffinityTerms) processTerm(score, t, hardWeight, pod, ns, node, 1);
          if (!args.ignorePreferredTermsOfExistingPods) {
            processTerms(score, ex.preferredAffinityTerms, pod, ns, node, 1);
            processTerms(score, ex.preferredAntiAffinityTerms, pod, ns, node, -1);
          }
        }
      }
      state.write(SCORE_KEY, score);
      return undefined;
    },
    score(state: CycleState, _pod: KObject, nodeInfo: NodeInfo) {
      const score = state.read<Map<string, Map<string, number>>>(SCORE_KEY);
      if (!score) return 0;
      const labels = nodeInfo.node?.metadata.labels ?? {};
      let s = 0;
      for (const [k, m] of score) {
        const v = labels[k];
        if (v !== undefined) s += m.get(v) ?? 0;
      }
      return s;
    },
    normalizeScore(state: CycleState, _pod: KObject, scores: NodeScore[]) {
      if (!state.read(SCORE_KEY)) return undefined;
      let min = Infinity;
      let max = -Infinity;
      for (const s of scores) {
        if (s.score > max) max = s.score;
        if (s.score < min) min = s.score;
      }
      const diff = max - min;
      for (const s of scores) s.score = diff > 0 ? Math.trunc(MAX_NODE_SCORE * ((s.score - min) / diff)) : 0;
      return undefined;
    },
    eventsToRegister: (): ClusterEvent[] => [{ resource: "AssignedPod", action: "*" }, { resource: "Node", action: "Add" }, { resource: "Node", action: "Update", label: "Label" }],
  } satisfies PreFilterPlugin & FilterPlugin & PreScorePlugin & ScorePlugin & EnqueueExtensions;
}
