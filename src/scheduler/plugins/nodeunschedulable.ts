/**
 * NodeUnschedulable: rejects nodes with spec.unschedulable unless the pod
 * tolerates the `node.kubernetes.io/unschedulable:NoSchedule` taint.
 */
import type { KObject } from "../../api/types.ts";
import { toleratesTaint, type Toleration } from "../framework/helpers.ts";
import type { ClusterEvent, EnqueueExtensions, FilterPlugin } from "../framework/interface.ts";
import type { NodeInfo } from "../framework/node_info.ts";
import { Code, newStatus } from "../framework/status.ts";
import { Names } from "./names.ts";

export const ERR_REASON_UNSCHEDULABLE = "node(s) were unschedulable";
export const ERR_REASON_UNKNOWN_CONDITION = "node(s) had unknown conditions";
const UNSCHEDULABLE_TAINT = { key: "node.kubernetes.io/unschedulable", effect: "NoSchedule" };

export function newNodeUnschedulable(): FilterPlugin & EnqueueExtensions {
  return {
    name: Names.NodeUnschedulable,
    filter(_state, pod: KObject, nodeInfo: NodeInfo) {
      const node = nodeInfo.node;
      if (!node) return newStatus(Code.UnschedulableAndUnresolvable, ERR_REASON_UNKNOWN_CONDITION);
      if (!nodeInfo.unschedulable) return undefined;
      const tols: Toleration[] = pod.spec?.tolerations ?? [];
      if (tols.some((t) => toleratesTaint(t, UNSCHEDULABLE_TAINT))) return undefined;
      return newStatus(Code.UnschedulableAndUnresolvable, ERR_REASON_UNSCHEDULABLE);
    },
    eventsToRegister: (): ClusterEvent[] => [{ resource: "Node", action: "Add" }, { resource: "Node", action: "Update", label: "Taint" }],
  } satisfies FilterPlugin & EnqueueExtensions;
}
