/**
 * Plugin interfaces, one per extension point, following upstream's
 * framework/interface.go. Every method is synchronous except PreBind/Bind.
 * A plugin method may throw; the framework turns the exception into an
 * Error status attributed to the plugin. Returning undefined means Success.
 * Check implementations with `satisfies FilterPlugin` (etc.).
 */
import type { KObject } from "../../api/types.ts";
import type { CycleState } from "./cycle_state.ts";
import type { NodeScore } from "./helpers.ts";
import type { NodeInfo } from "./node_info.ts";
import type { PodInfo } from "./pod_info.ts";
import type { MaybeStatus, Status } from "./status.ts";

export interface Plugin {
  readonly name: string;
}

/** A pod as held by the scheduling queue. */
export interface QueuedPodInfo {
  pod: KObject;
  /** When the pod was (re)added to the queue, ms. */
  timestamp: number;
  /** When the pod was first added, ms. */
  initialAttemptTimestamp: number;
  /** Scheduling attempts so far (incremented on pop). */
  attempts: number;
  /** Plugins that rejected the pod in its last attempt. */
  unschedulablePlugins: Set<string>;
  /** Plugins whose PreEnqueue gated the pod. */
  gatingPlugin?: string;
}

export interface QueueSortPlugin extends Plugin {
  /** True when `a` should be popped before `b`. */
  less(a: QueuedPodInfo, b: QueuedPodInfo): boolean;
}

export interface PreEnqueuePlugin extends Plugin {
  /** Non-success keeps the pod out of activeQ until it is updated. */
  preEnqueue(pod: KObject): MaybeStatus;
}

/** Restricts the cycle to these nodes (intersection across plugins). */
export interface PreFilterResult {
  nodeNames: Set<string>;
}

/** Incremental updates to PreFilter state when preemption or nominated pods add/remove a pod. */
export interface PreFilterExtensions {
  addPod(state: CycleState, podToSchedule: KObject, podInfoToAdd: PodInfo, nodeInfo: NodeInfo): MaybeStatus;
  removePod(state: CycleState, podToSchedule: KObject, podInfoToRemove: PodInfo, nodeInfo: NodeInfo): MaybeStatus;
}

export interface PreFilterPlugin extends Plugin {
  /** Skip status skips this plugin's Filter for the cycle; a rejection fails every node. */
  preFilter(state: CycleState, pod: KObject, nodes: NodeInfo[]): PreFilterResult | MaybeStatus;
  preFilterExtensions?(): PreFilterExtensions | undefined;
}

export interface FilterPlugin extends Plugin {
  filter(state: CycleState, pod: KObject, nodeInfo: NodeInfo): MaybeStatus;
}

/** Per-node statuses of a failed Filter phase; nodes absent from the map take `absent`. */
export interface NodeToStatus {
  map: Map<string, Status>;
  absent?: Status;
}

export interface PostFilterResult {
  /** "" clears an existing nomination. */
  nominatedNodeName: string;
  /** Pods to delete so that the preemptor fits on the nominated node. */
  victims?: KObject[];
}

export interface PostFilterPlugin extends Plugin {
  postFilter(state: CycleState, pod: KObject, statuses: NodeToStatus): { result?: PostFilterResult; status: MaybeStatus };
}

export interface PreScorePlugin extends Plugin {
  /** `nodes` are the feasible nodes. Skip status skips this plugin's Score. */
  preScore(state: CycleState, pod: KObject, nodes: NodeInfo[]): MaybeStatus;
}

export interface ScorePlugin extends Plugin {
  /** A score in [0, 100] after normalization. */
  score(state: CycleState, pod: KObject, nodeInfo: NodeInfo): number;
  /** Rescales this plugin's raw scores in place to [0, 100]. */
  normalizeScore?(state: CycleState, pod: KObject, scores: NodeScore[]): MaybeStatus;
}

export interface ReservePlugin extends Plugin {
  reserve(state: CycleState, pod: KObject, nodeName: string): MaybeStatus;
  /** Must be idempotent and never fail. */
  unreserve(state: CycleState, pod: KObject, nodeName: string): void;
}

export interface PermitPlugin extends Plugin {
  /** Wait is not supported by this core (treated as a rejection). */
  permit(state: CycleState, pod: KObject, nodeName: string): MaybeStatus;
}

export interface PreBindPlugin extends Plugin {
  preBind(state: CycleState, pod: KObject, nodeName: string): Promise<MaybeStatus>;
}

export interface BindPlugin extends Plugin {
  /** Skip passes to the next Bind plugin. */
  bind(state: CycleState, pod: KObject, nodeName: string): Promise<MaybeStatus>;
}

/** A cluster change that may make unschedulable pods schedulable. */
export interface ClusterEvent {
  resource: "Node" | "Pod" | "AssignedPod" | "Namespace" | "PodDisruptionBudget" | "*";
  action: "Add" | "Update" | "Delete" | "*";
  /** For Node updates: what changed (e.g. "Label", "Taint", "Allocatable"). Informational. */
  label?: string;
}

export interface EnqueueExtensions extends Plugin {
  /** Events after which pods this plugin rejected are worth retrying. */
  eventsToRegister(): ClusterEvent[];
}

export type ExtensionPoint =
  | "queueSort"
  | "preEnqueue"
  | "preFilter"
  | "filter"
  | "postFilter"
  | "preScore"
  | "score"
  | "reserve"
  | "permit"
  | "preBind"
  | "bind";

/** The method that marks a plugin as implementing each extension point. */
export const extensionMethods: Record<ExtensionPoint, string> = {
  queueSort: "less",
  preEnqueue: "preEnqueue",
  preFilter: "preFilter",
  filter: "filter",
  postFilter: "postFilter",
  preScore: "preScore",
  score: "score",
  reserve: "reserve",
  permit: "permit",
  preBind: "preBind",
  bind: "bind",
};
