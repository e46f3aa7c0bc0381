/**
 * NodePorts: rejects nodes where a requested hostPort (ip, protocol, port) is
 * already used; 0.0.0.0 conflicts with every address (Unschedulable).
 */
import type { KObject } from "../../api/types.ts";
import type { CycleState } from "../framework/cycle_state.ts";
import type { ClusterEvent, EnqueueExtensions, FilterPlugin, PreFilterPlugin } from "../framework/interface.ts";
import { podHostPorts, type NodeInfo } from "../framework/node_info.ts";
import { Code, newStatus } from "../framework/status.ts";
import { Names } from "./names.ts";

export const ERR_REASON_PORTS = "node(s) didn't have free ports for the requested pod ports";
const KEY = "PreFilter" + Names.NodePorts;

type Ports = ReturnType<typeof podHostPorts>;

export function newNodePorts(): PreFilterPlugin & FilterPlugin & EnqueueExtensions {
  return {
    name: Names.NodePorts,
    preFilter(state: CycleState, pod: KObject) {
      const ports = podHostPorts(pod);
      if (ports.length === 0) return newStatus(Code.Skip);
      state.write(KEY, ports);
      return undefined;
    },
    filter(state: CycleState, pod: KObject, nodeInfo: NodeInfo) {
      const ports = state.read<Ports>(KEY) ?? podHostPorts(pod);
      for (const p of ports) {
        if (nodeInfo.usedPorts.conflicts(p.ip, p.protocol, p.port)) return newStatus(Code.Unschedulable, ERR_REASON_PORTS);
      }
      return undefined;
    },
    eventsToRegister: (): ClusterEvent[] => [{ resource: "AssignedPod", action: "Delete" }, { resource: "Node", action: "Add" }, { resource: "Node", action: "Update" }],
  } satisfies PreFilterPlugin & FilterPlugin & EnqueueExtensions;
}
