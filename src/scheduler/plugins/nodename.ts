/**
 * NodeName: a pod with spec.nodeName set only fits that node
 * (UnschedulableAndUnresolvable "node(s) didn't match the requested node name").
 */
import type { KObject } from "../../api/types.ts";
import type { ClusterEvent, EnqueueExtensions, FilterPlugin } from "../framework/interface.ts";
import type { NodeInfo } from "../framework/node_info.ts";
import { Code, newStatus } from "../framework/status.ts";
import { Names } from "./names.ts";

export const ERR_REASON_NODE_NAME = "node(s) didn't match the requested node name";

export function newNodeName(): FilterPlugin & EnqueueExtensions {
  return {
    name: Names.NodeName,
    filter(_state, pod: KObject, nodeInfo: NodeInfo) {
      const want = pod.spec?.nodeName;
      if (!want || want === nodeInfo.name) return undefined;
      return newStatus(Code.UnschedulableAndUnresolvable, ERR_REASON_NODE_NAME);
    },
    eventsToRegister: (): ClusterEvent[] => [{ resource: "Node", action: "Add" }, { resource: "Node", action: "Update" }],
  } satisfies FilterPlugin & EnqueueExtensions;
}
