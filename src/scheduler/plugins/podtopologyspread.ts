/**
 * PodTopologySpread: hard constraints (whenUnsatisfiable DoNotSchedule) are
 * enforced in Filter: skew = matching pods in the node's domain + 1 (if the
 * pod matches its own selector) - minimum over eligible domains must not
 * exceed maxSkew; a node lacking a topology key is
 * UnschedulableAndUnresolvable. Soft constraints (ScheduleAnyway) are
 * scored: fewer matching pods in the domain scores higher.
 *
 * Pods without constraints get the system defaults (zone maxSkew 5,
 * hostname maxSkew 3, ScheduleAnyway) with the selector of their owning
 * workload: `handle.workloadSelector(pod)` when the wiring supplies it;
 * otherwise APPROXIMATED as "the pod's own labels" for pods controlled by a
 * ReplicaSet, ReplicationController or StatefulSet (Services are not seen).
 */
import type { KObject, LabelSelector } from "../../api/types.ts";
import { type Selector, selectorFromLabelSelector } from "../../machinery/labels.ts";
import type { CycleState, StateData } from "../framework/cycle_state.ts";
import type { Framework } from "../framework/framework.ts";
import { findUntoleratedTaint, MAX_NODE_SCORE, podMatchesNodeSelectorAndAffinity, type NodeScore, type Taint } from "../framework/helpers.ts";
import type { ClusterEvent, EnqueueExtensions, FilterPlugin, PreFilterPlugin, PreScorePlugin, ScorePlugin } from "../framework/interface.ts";
import type { NodeInfo } from "../framework/node_info.ts";
import { labelsSelector, podNamespace, type PodInfo } from "../framework/pod_info.ts";
import { Code, newStatus } from "../framework/status.ts";
import { Names } from "./names.ts";

export const ERR_REASON_CONSTRAINTS_NOT_MATCH = "node(s) didn't match pod topology spread constraints";
export const ERR_REASON_NODE_LABEL_NOT_MATCH = ERR_REASON_CONSTRAINTS_NOT_MATCH + " (missing required label)";
const HOSTNAME = "kubernetes.io/hostname";

export interface TopologySpreadConstraintSpec {
  maxSkew: number;
  topologyKey: string;
  whenUnsatisfiable: "DoNotSchedule" | "ScheduleAnyway";
  labelSelector?: LabelSelector;
  minDomains?: number;
  nodeAffinityPolicy?: "Honor" | "Ignore";
  nodeTaintsPolicy?: "Honor" | "Ignore";
  matchLabelKeys?: string[];
}

export interface PodTopologySpreadArgs {
  defaultConstraints?: TopologySpreadConstraintSpec[];
  defaultingType?: "System" | "List";
}

export const SYSTEM_DEFAULT_CONSTRAINTS: TopologySpreadConstraintSpec[] = [
  { topologyKey: "topology.kubernetes.io/zone", whenUnsatisfiable: "ScheduleAnyway", maxSkew: 5 },
  { topologyKey: HOSTNAME, whenUnsatisfiable: "ScheduleAnyway", maxSkew: 3 },
];

interface Constraint {
  maxSkew: number;
  topologyKey: string;
  selector: Selector;
  /** The selector's canonical text (for NodeInfo.podsMemo keys). */
  selectorKey: string;
  minDomains: number;
  honorAffinity: boolean;
  honorTaints: boolean;
}

const WORKLOAD_KINDS = new Set(["ReplicaSet", "ReplicationController", "StatefulSet"]);

function toConstraint(pod: KObject, c: TopologySpreadConstraintSpec, selector?: Selector): Constraint {
  let sel = selector ?? selectorFromLabelSelector(c.labelSelector ?? null);
  const labels = pod.metadata.labels ?? {};
  const extra = (c.matchLabelKeys ?? []).filter((k) => k in labels).map((k) => ({ key: k, operator: "in" as const, values: [labels[k]] }));
  if (extra.length && !sel.isNothing()) sel = sel.add(...extra);
  return {
    maxSkew: c.maxSkew,
    topologyKey: c.topologyKey,
    selector: sel,
    selectorKey: sel.toString(),
    minDomains: c.minDomains ?? 1,
    honorAffinity: (c.nodeAffinityPolicy ?? "Honor") === "Honor",
    honorTaints: c.nodeTaintsPolicy === "Honor",
  };
}

function includes(c: Constraint, pod: KObject, node: KObject): boolean {
  if (c.honorAffinity && !podMatchesNodeSelectorAndAffinity(pod, node)) return false;
  if (c.honorTaints) {
    const taints: Taint[] = node.spec?.taints ?? [];
    if (findUntoleratedTaint(taints, pod.spec?.tolerations ?? [], (t) => t.effect === "NoSchedule" || t.effect === "NoExecute")) return false;
  }
  return true;
}

function hasAllKeys(node: KObject, cs: Constraint[]): boolean {
  const l = node.metadata.labels ?? {};
  return cs.every((c) => c.topologyKey in l);
}

function countMatching(pods: PodInfo[], sel: Selector, ns: string): number {
  let n = 0;
  for (const p of pods) {
    const m = p.pod.metadata;
    if (m.deletionTimestamp || (m.namespace || "default") !== ns) continue;
    if (sel.matches(m.labels)) n++;
  }
  return n;
}

/** Memo key of constraint `c`'s count in namespace `ns`. */
function countKey(c: Constraint, ns: string): string {
  return `spread\0${ns}\0${c.selectorKey}`;
}

/** countMatching over the node's pods, memoised on the node under `key` (from countKey). */
function countOnNode(ni: NodeInfo, c: Constraint, ns: string, key: string): number {
  if (ni.podCount === 0) return 0;
  const memo = ni.podsMemo();
  let n = memo.get(key);
  if (n === undefined) {
    n = countMatching(ni.pods, c.selector, ns);
    memo.set(key, n);
  }
  return n;
}

/**
 * The values one topology key takes, numbered. One instance per key is
 * shared by the scheduling cycles of a plugin instance, so that PreFilter
 * counts into an array indexed by domain instead of building a map of every
 * domain (every node, for kubernetes.io/hostname) for every pod.
 */
class Domains {
  readonly ids = new Map<string, number>();

  idOf(value: string): number {
    let i = this.ids.get(value);
    if (i === undefined) {
      i = this.ids.size;
      this.ids.set(value, i);
    }
    return i;
  }
}

/** One cycle's matching-pod counts per domain of one topology key (-1: the domain is not counted). */
class KeyCounts {
  readonly domains: Domains;
  counts: Float64Array;
  /** Domains with a count (the `key=value` pairs upstream has). */
  present = 0;

  constructor(domains: Domains, counts?: Float64Array, present = 0) {
    this.domains = domains;
    this.counts = counts ?? new Float64Array(domains.ids.size).fill(-1);
    this.present = present;
  }

  add(value: string, n: number): void {
    const i = this.domains.idOf(value);
    if (i >= this.counts.length) {
      const grown = new Float64Array(Math.max(i + 1, this.counts.length * 2)).fill(-1);
      grown.set(this.counts);
      this.counts = grown;
    }
    if (this.counts[i] < 0) {
      this.counts[i] = 0;
      this.present++;
    }
    this.counts[i] += n;
  }

  get(value: string): number {
    const i = this.domains.ids.get(value);
    return i === undefined || i >= this.counts.length || this.counts[i] < 0 ? 0 : this.counts[i];
  }

  min(): number {
    let min = Infinity;
    for (let i = 0; i < this.counts.length; i++) if (this.counts[i] >= 0 && this.counts[i] < min) min = this.counts[i];
    return min;
  }
}

class FilterState implements StateData {
  constraints: Constraint[];
  readonly #domains: (key: string) => Domains;
  /** Topology key -> matching pods per domain (the `key=value` pairs upstream counts). */
  readonly #counts = new Map<string, KeyCounts>();
  /** minMatch per constraint, computed on first use after a change (Filter asks once per node). */
  #minMatch = new Map<Constraint, number>();

  constructor(constraints: Constraint[], domains: (key: string) => Domains) {
    this.constraints = constraints;
    this.#domains = domains;
  }

  #keyCounts(key: string): KeyCounts {
    let kc = this.#counts.get(key);
    if (!kc) this.#counts.set(key, (kc = new KeyCounts(this.#domains(key))));
    return kc;
  }

  /** Adds `n` matching pods to the pair `key=value`. */
  add(key: string, value: string, n: number): void {
    this.#keyCounts(key).add(value, n);
    // clear() allocates a new table even when empty: PreFilter adds once per node.
    if (this.#minMatch.size) this.#minMatch.clear();
  }

  /** Matching pods in the pair `key=value`. */
  count(key: string, value: string): number {
    return this.#counts.get(key)?.get(value) ?? 0;
  }

  /** Minimum matching count over the key's domains (0 when fewer than minDomains). */
  minMatch(c: Constraint): number {
    let m = this.#minMatch.get(c);
    if (m === undefined) this.#minMatch.set(c, (m = this.#computeMinMatch(c)));
    return m;
  }

  #computeMinMatch(c: Constraint): number {
    const kc = this.#counts.get(c.topologyKey);
    const domains = kc?.present ?? 0;
    if (domains < c.minDomains || domains === 0) return 0;
    return kc!.min();
  }

  update(pod: KObject, other: KObject, node: KObject, sign: number): void {
    if (podNamespace(other) !== podNamespace(pod) || !hasAllKeys(node, this.constraints)) return;
    for (const c of this.constraints) {
      if (!includes(c, pod, node) || !c.selector.matches(other.metadata.labels)) continue;
      this.add(c.topologyKey, node.metadata.labels![c.topologyKey], sign);
    }
  }

  clone(): FilterState {
    const c = new FilterState(this.constraints, this.#domains);
    for (const [k, kc] of this.#counts) c.#counts.set(k, new KeyCounts(kc.domains, kc.counts.slice(), kc.present));
    return c;
  }
}

interface ScoreState {
  constraints: Constraint[];
  ignored: Set<string>;
  pairs: Map<string, number>;
  weights: number[];
  /** The pod's namespace and, per constraint, its countKey. */
  namespace: string;
  keys: string[];
}

const FILTER_KEY = "PreFilter" + Names.PodTopologySpread;
const SCORE_KEY = "PreScore" + Names.PodTopologySpread;

export function newPodTopologySpread(rawArgs: unknown, handle: Framework): PreFilterPlugin & FilterPlugin & PreScorePlugin & ScorePlugin & EnqueueExtensions {
  const args = (rawArgs ?? {}) as PodTopologySpreadArgs;
  const systemDefaulted = (args.defaultingType ?? "System") === "System";
  const defaults = systemDefaulted ? SYSTEM_DEFAULT_CONSTRAINTS : (args.defaultConstraints ?? []);

  const workloadSelector = (pod: KObject): Selector | undefined => {
    if (handle.handle.workloadSelector) return handle.handle.workloadSelector(pod);
    const owned = (pod.metadata.ownerReferences ?? []).some((o) => o.controller && WORKLOAD_KINDS.has(o.kind));
    const labels = pod.metadata.labels;
    if (!owned || !labels || Object.keys(labels).length === 0) return undefined;
    return labelsSelector(labels);
  };

  const constraintsFor = (pod: KObject, when: string): { cs: Constraint[]; defaulted: boolean } => {
    const specs: TopologySpreadConstraintSpec[] = pod.spec?.topologySpreadConstraints ?? [];
    if (specs.length) return { cs: specs.filter((c) => c.whenUnsatisfiable === when).map((c) => toConstraint(pod, c)), defaulted: false };
    const wanted = defaults.filter((c) => c.whenUnsatisfiable === when);
    if (wanted.length === 0) return { cs: [], defaulted: true };
    const sel = workloadSelector(pod);
    if (!sel || sel.empty()) return { cs: [], defaulted: true };
    return { cs: wanted.map((c) => toConstraint(pod, c, sel)), defaulted: true };
  };

  // Domain numbering per topology key, kept across cycles; renumbered from
  // scratch once it holds far more values than there are nodes (nodes come
  // and go), so it stays bounded.
  const domainsByKey = new Map<string, Domains>();
  const domainsFor = (key: string): Domains => {
    let d = domainsByKey.get(key);
    if (!d || d.ids.size > 2 * handle.snapshot.numNodes + 1024) domainsByKey.set(key, (d = new Domains()));
    return d;
  };

  const extensions = {
    addPod(state: CycleState, pod: KObject, pi: PodInfo, nodeInfo: NodeInfo) {
      state.read<FilterState>(FILTER_KEY)?.update(pod, pi.pod, nodeInfo.node!, 1);
      return undefined;
    },
    removePod(state: CycleState, pod: KObject, pi: PodInfo, nodeInfo: NodeInfo) {
      state.read<FilterState>(FILTER_KEY)?.update(pod, pi.pod, nodeInfo.node!, -1);
      return undefined;
    },
  };

  return {
    name: Names.PodTopologySpread,
    preFilter(state: CycleState, pod: KObject, nodes: NodeInfo[]) {
      const { cs } = constraintsFor(pod, "DoNotSchedule");
      if (cs.length === 0) return newStatus(Code.Skip);
      const s = new FilterState(cs, domainsFor);
      const ns = podNamespace(pod);
      const keys = cs.map((c) => countKey(c, ns));
      for (const ni of nodes) {
        const node = ni.node!;
        if (!hasAllKeys(node, cs)) continue;
        for (let i = 0; i < cs.length; i++) {
          const c = cs[i];
          if (!includes(c, pod, node)) continue;
          s.add(c.topologyKey, node.metadata.labels![c.topologyKey], countOnNode(ni, c, ns, keys[i]));
        }
      }
      state.write(FILTER_KEY, s);
      return undefined;
    },
    preFilterExtensions: () => extensions,
    filter(state: CycleState, pod: KObject, nodeInfo: NodeInfo) {
      const s = state.read<FilterState>(FILTER_KEY);
      if (!s) return newStatus(Code.Error, `reading "${FILTER_KEY}" from cycleState: not found`);
      const labels: Record<string, string> = nodeInfo.node?.metadata.labels ?? {};
      for (const c of s.constraints) {
        const v = labels[c.topologyKey];
        if (v === undefined) return newStatus(Code.UnschedulableAndUnresolvable, ERR_REASON_NODE_LABEL_NOT_MATCH);
        const self = c.selector.matches(pod.metadata.labels) ? 1 : 0;
        const skew = s.count(c.topologyKey, v) + self - s.minMatch(c);
        if (skew > c.maxSkew) return newStatus(Code.Unschedulable, ERR_REASON_CONSTRAINTS_NOT_MATCH);
      }
      return undefined;
    },
    preScore(state: CycleState, pod: KObject, filtered: NodeInfo[]) {
      const all = handle.snapshot.nodeInfoList;
      if (filtered.length === 0 || all.length === 0) return undefined;
      const { cs, defaulted } = constraintsFor(pod, "ScheduleAnyway");
      if (cs.length === 0) return newStatus(Code.Skip);
      const requireAll = !defaulted || !systemDefaulted;
      const ns = podNamespace(pod);
      const keys = cs.map((c) => countKey(c, ns));
      const st: ScoreState = { constraints: cs, ignored: new Set(), pairs: new Map(), weights: [], namespace: ns, keys };
      const sizes = cs.map(() => 0);
      for (const ni of filtered) {
        const node = ni.node!;
        if (requireAll && !hasAllKeys(node, cs)) {
          st.ignored.add(ni.name);
          continue;
        }
        cs.forEach((c, i) => {
          if (c.topologyKey === HOSTNAME) return;
          const k = `${c.topologyKey}\0${node.metadata.labels?.[c.topologyKey] ?? ""}`;
          if (!st.pairs.has(k)) {
            st.pairs.set(k, 0);
            sizes[i]++;
          }
        });
      }
      st.weights = cs.map((c, i) => Math.log((c.topologyKey === HOSTNAME ? filtered.length - st.ignored.size : sizes[i]) + 2));
      for (const ni of all) {
        const node = ni.node!;
        if (requireAll && !hasAllKeys(node, cs)) continue;
        for (let i = 0; i < cs.length; i++) {
          const c = cs[i];
          if (c.topologyKey === HOSTNAME || !includes(c, pod, node)) continue;
          const k = `${c.topologyKey}\0${node.metadata.labels?.[c.topologyKey] ?? ""}`;
          const cur = st.pairs.get(k);
          if (cur === undefined) continue;
          st.pairs.set(k, cur + countOnNode(ni, c, ns, keys[i]));
        }
      }
      state.write(SCORE_KEY, st);
      return undefined;
    },
    score(state: CycleState, pod: KObject, nodeInfo: NodeInfo) {
      const st = state.read<ScoreState>(SCORE_KEY);
      if (!st || st.ignored.has(nodeInfo.name)) return 0;
      const labels: Record<string, string> = nodeInfo.node?.metadata.labels ?? {};
      let score = 0;
      st.constraints.forEach((c, i) => {
        const v = labels[c.topologyKey];
        if (v === undefined) return;
        const cnt = c.topologyKey === HOSTNAME ? countOnNode(nodeInfo, c, st.namespace, st.keys[i]) : (st.pairs.get(`${c.topologyKey}\0${v}`) ?? 0);
        score += cnt * st.weights[i] + (c.maxSkew - 1);
      });
      return Math.round(score);
    },
    normalizeScore(state: CycleState, _pod: KObject, scores: NodeScore[]) {
      const st = state.read<ScoreState>(SCORE_KEY);
      if (!st) return undefined;
      let min = Infinity;
      let max = 0;
      for (const s of scores) {
        if (st.ignored.has(s.name)) continue;
        if (s.score < min) min = s.score;
        if (s.score > max) max = s.score;
      }
      for (const s of scores) {
        if (st.ignored.has(s.name)) s.score = 0;
        else if (max === 0) s.score = MAX_NODE_SCORE;
        else s.score = Math.trunc((MAX_NODE_SCORE * (max + min - s.score)) / max);
      }
      return undefined;
    },
    eventsToRegister: (): ClusterEvent[] => [{ resource: "AssignedPod", action: "*" }, { resource: "Node", action: "*" }],
  } satisfies PreFilterPlugin & FilterPlugin & PreScorePlugin & ScorePlugin & EnqueueExtensions;
}
