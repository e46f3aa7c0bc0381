/**
 * TaintToleration: Filter rejects nodes with an untolerated NoSchedule or
 * NoExecute taint (UnschedulableAndUnresolvable, "node(s) had untolerated
 * taint {key: value}"); Score counts untolerated PreferNoSchedule taints and
 * normalizes reversed (fewer is better).
 */
import type { KObject } from "../../api/types.ts";
import type { CycleState } from "../framework/cycle_state.ts";
import { defaultNormalizeScore, findUntoleratedTaint, MAX_NODE_SCORE, toleratesTaint, type NodeScore, type Taint, type Toleration } from "../framework/helpers.ts";
import type { ClusterEvent, EnqueueExtensions, FilterPlugin, PreScorePlugin, ScorePlugin } from "../framework/interface.ts";
import type { NodeInfo } from "../framework/node_info.ts";
import { Code, newStatus } from "../framework/status.ts";
import { Names } from "./names.ts";

const KEY = "PreScore" + Names.TaintToleration;

export function newTaintToleration(): FilterPlugin & PreScorePlugin & ScorePlugin & EnqueueExtensions {
  return {
    name: Names.TaintToleration,
    filter(_state, pod: KObject, nodeInfo: NodeInfo) {
      if (nodeInfo.hardTaints === 0) return undefined;
      const taints: Taint[] = nodeInfo.node?.spec?.taints ?? [];
      const t = findUntoleratedTaint(taints, pod.spec?.tolerations ?? [], (x) => x.effect === "NoSchedule" || x.effect === "NoExecute");
      if (!t) return undefined;
      return newStatus(Code.UnschedulableAndUnresolvable, `node(s) had untolerated taint {${t.key}: ${t.value ?? ""}}`);
    },
    preScore(state: CycleState, pod: KObject) {
      const tols: Toleration[] = (pod.spec?.tolerations ?? []).filter((t: Toleration) => !t.effect || t.effect === "PreferNoSchedule");
      state.write(KEY, tols);
      return undefined;
    },
    score(state: CycleState, pod: KObject, nodeInfo: NodeInfo) {
      if (nodeInfo.softTaints === 0) return 0;
      const tols: Toleration[] = state.read<Toleration[]>(KEY) ?? pod.spec?.tolerations ?? [];
      let n = 0;
      for (const taint of (nodeInfo.node?.spec?.taints ?? []) as Taint[]) {
        if (taint.effect !== "PreferNoSchedule") continue;
        if (!tols.some((t) => toleratesTaint(t, taint))) n++;
      }
      return n;
    },
    normalizeScore(_state, _pod, scores: NodeScore[]) {
      defaultNormalizeScore(MAX_NODE_SCORE, true, scores);
      return undefined;
    },
    eventsToRegister: (): ClusterEvent[] => [{ resource: "Node", action: "Add" }, { resource: "Node", action: "Update", label: "Taint" }],
  } satisfies FilterPlugin & PreScorePlugin & ScorePlugin & EnqueueExtensions;
}
