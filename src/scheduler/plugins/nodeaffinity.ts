/**
 * NodeAffinity: Filter enforces spec.nodeSelector, required node affinity and
 * the profile's optional `addedAffinity` (args.addedAffinity, a v1
 * NodeAffinity); PreFilter narrows the cycle to nodes named by
 * `matchFields metadata.name In`. Score sums the weights of matching
 * preferred terms (pod's and added), normalized to [0, 100].
 */
import type { KObject } from "../../api/types.ts";
import type { CycleState } from "../framework/cycle_state.ts";
import {
  defaultNormalizeScore,
  MAX_NODE_SCORE,
  nodeSelectorMatches,
  nodeSelectorTermMatches,
  podMatchesNodeSelectorAndAffinity,
  type NodeScore,
  type NodeSelectorTerm,
} from "../framework/helpers.ts";
import type { ClusterEvent, EnqueueExtensions, FilterPlugin, PreFilterPlugin, PreScorePlugin, ScorePlugin } from "../framework/interface.ts";
import type { NodeInfo } from "../framework/node_info.ts";
import { Code, newStatus } from "../framework/status.ts";
import { Names } from "./names.ts";

export const ERR_REASON_POD = "node(s) didn't match Pod's node affinity/selector";
export const ERR_REASON_ENFORCED = "node(s) didn't match scheduler-enforced node affinity";
export const ERR_REASON_CONFLICT = "pod affinity terms conflict";

export interface NodeAffinityArgs {
  addedAffinity?: {
    requiredDuringSchedulingIgnoredDuringExecution?: { nodeSelectorTerms?: NodeSelectorTerm[] };
    preferredDuringSchedulingIgnoredDuringExecution?: { weight: number; preference: NodeSelectorTerm }[];
  };
}

interface Preferred {
  weight: number;
  preference: NodeSelectorTerm;
}

const SCORE_KEY = "PreScore" + Names.NodeAffinity;

function namedNodes(terms: NodeSelectorTerm[]): Set<string> | undefined {
  let names: Set<string> | undefined;
  for (const t of terms) {
    let termNames: Set<string> | undefined;
    for (const r of t.matchFields ?? []) {
      if (r.key !== "metadata.name" || r.operator !== "In") continue;
      const s = new Set(r.values ?? []);
      termNames = termNames ? new Set([...termNames].filter((n) => s.has(n))) : s;
    }
    if (!termNames) return undefined;
    names = new Set([...(names ?? []), ...termNames]);
  }
  return names;
}

export function newNodeAffinity(rawArgs: unknown): PreFilterPlugin & FilterPlugin & PreScorePlugin & ScorePlugin & EnqueueExtensions {
  const args = (rawArgs ?? {}) as NodeAffinityArgs;
  const addedRequired = args.addedAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
  const addedPreferred: Preferred[] = args.addedAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? [];
  return {
    name: Names.NodeAffinity,
    preFilter(_state, pod: KObject) {
      const required = pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
      if (!required && !addedRequired && !pod.spec?.nodeSelector) return newStatus(Code.Skip);
      const terms: NodeSelectorTerm[] = required?.nodeSelectorTerms ?? [];
      if (terms.length === 0) return undefined;
      const names = namedNodes(terms);
      if (!names) return undefined;
      if (names.size === 0) return newStatus(Code.UnschedulableAndUnresolvable, ERR_REASON_CONFLICT);
      return { nodeNames: names };
    },
    filter(_state, pod: KObject, nodeInfo: NodeInfo) {
      const node = nodeInfo.node!;
      if (addedRequired && !nodeSelectorMatches(addedRequired, node)) return newStatus(Code.UnschedulableAndUnresolvable, ERR_REASON_ENFORCED);
      if (!podMatchesNodeSelectorAndAffinity(pod, node)) return newStatus(Code.UnschedulableAndUnresolvable, ERR_REASON_POD);
      return undefined;
    },
    preScore(state: CycleState, pod: KObject) {
      const preferred: Preferred[] = [...(pod.spec?.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []), ...addedPreferred];
      if (preferred.length === 0) return newStatus(Code.Skip);
      state.write(SCORE_KEY, preferred);
      return undefined;
    },
    score(state: CycleState, pod: KObject, nodeInfo: NodeInfo) {
      const preferred =
        state.read<Preferred[]>(SCORE_KEY) ?? [...(pod.spec?.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []), ...addedPreferred];
      let s = 0;
      for (const p of preferred) if (p.weight && nodeSelectorTermMatches(p.preference ?? {}, nodeInfo.node!)) s += p.weight;
      return s;
    },
    normalizeScore(_state, _pod, scores: NodeScore[]) {
      defaultNormalizeScore(MAX_NODE_SCORE, false, scores);
      return undefined;
    },
    eventsToRegister: (): ClusterEvent[] => [{ resource: "Node", action: "Add" }, { resource: "Node", action: "Update", label: "Label" }],
  } satisfies PreFilterPlugin & FilterPlugin & PreScorePlugin & ScorePlugin & EnqueueExtensions;
}
