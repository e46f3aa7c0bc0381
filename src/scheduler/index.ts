/**
 * kube-scheduler core: framework, plugins, algorithm, preemption, cache and
 * queue, without API wiring. See scheduler.ts for the intended loop.
 */
export { Cache, type CacheOptions } from "./cache.ts";
export { CycleState } from "./framework/cycle_state.ts";
export { Framework, type HandleOptions, type Nominator, type Profile, type PluginRef, type Registry } from "./framework/framework.ts";
export type * from "./framework/interface.ts";
export { NodeInfo } from "./framework/node_info.ts";
export { podInfoFor, podKey, podUID, podPriority } from "./framework/pod_info.ts";
export { podRequests, Resource } from "./framework/resources.ts";
export { Snapshot } from "./framework/snapshot.ts";
export { Code, Status, newStatus } from "./framework/status.ts";
export { Names } from "./plugins/names.ts";
export { inTreeRegistry } from "./plugins/registry.ts";
export { buildFrameworks, DEFAULT_SCHEDULER_NAME, defaultProfile, parseSchedulerConfig, resolveProfile, type SchedulerConfig } from "./profile.ts";
export { realClock, SchedulingQueue, type Clock, type QueueOptions } from "./queue.ts";
export { FitError, numFeasibleNodesToFind, schedulePod, selectHost, type ScheduleResult } from "./schedule.ts";
export { Scheduler, type ScheduleOneResult, type SchedulerOptions } from "./scheduler.ts";
