/**
 * Scheduler: ties cache, queue and per-profile frameworks together into the
 * scheduling cycle (`scheduleOne`, synchronous) and the binding cycle
 * (`bind`, async), plus informer event handlers. No API calls happen here:
 * the wiring supplies `handle.binder` (POST pods/binding), and on an
 * "unschedulable" result patches the pod's PodScheduled condition and
 * nominatedNodeName and deletes the returned victims.
 *
 *   const s = new Scheduler({ handle: { binder, pdbs } });
 *   informers -> s.onNodeAdd / onNodeUpdate / onNodeDelete / onPodAdd / onPodUpdate / onPodDelete
 *   for (;;) { const q = await s.queue.pop(); if (!q) break;
 *     const r = s.scheduleOne(q);
 *     if (r.kind === "scheduled") void s.bind(r);
 *     else if (r.kind === "unschedulable") { patch status (r.message, r.nominatedNodeName); delete r.victims } }
 */
import type { KObject } from "../api/types.ts";
import { Cache } from "./cache.ts";
import type { CycleState } from "./framework/cycle_state.ts";
import type { Framework, HandleOptions, Profile } from "./framework/framework.ts";
import type { QueuedPodInfo } from "./framework/interface.ts";
import { podUID } from "./framework/pod_info.ts";
import { Snapshot } from "./framework/snapshot.ts";
import { buildFrameworks, DEFAULT_SCHEDULER_NAME, defaultProfile, type SchedulerConfig } from "./profile.ts";
import { realClock, SchedulingQueue, type Clock } from "./queue.ts";
import { FitError, schedulePod, type ScheduleCursor } from "./schedule.ts";

export interface SchedulerOptions {
  profiles?: Profile[];
  handle?: HandleOptions;
  clock?: Clock;
  percentageOfNodesToScore?: number;
  podInitialBackoffSeconds?: number;
  podMaxBackoffSeconds?: number;
  /** Assumed-pod expiry after finishBinding (ms, 0 = never). */
  assumedPodTtlMs?: number;
}

export type ScheduleOneResult =
  | { kind: "scheduled"; q: QueuedPodInfo; pod: KObject; node: string; state: CycleState; fwk: Framework; cycle: number }
  | {
      kind: "unschedulable";
      q: QueuedPodInfo;
      pod: KObject;
      /** PodScheduled condition reason: "Unschedulable" or "SchedulerError". */
      reason: "Unschedulable" | "SchedulerError";
      message: string;
      /** undefined: leave as is; "": clear; else set status.nominatedNodeName. */
      nominatedNodeName?: string;
      /** Pods to delete (preemption victims). */
      victims: KObject[];
    }
  | { kind: "skipped"; q: QueuedPodInfo; why: string };

export class Scheduler {
  readonly cache: Cache;
  readonly queue: SchedulingQueue;
  readonly frameworks: Map<string, Framework>;
  readonly snapshot = new Snapshot();
  readonly cursor: ScheduleCursor = { nextStartNodeIndex: 0 };
  readonly percentageOfNodesToScore: number;
  readonly #clock: Clock;
  #cleanupTimer: unknown;

  /** A scheduler for a parsed KubeSchedulerConfiguration. */
  static fromConfig(cfg: SchedulerConfig, handle: HandleOptions = {}, clock?: Clock): Scheduler {
    return new Scheduler({
      profiles: cfg.profiles,
      handle,
      clock,
      percentageOfNodesToScore: cfg.percentageOfNodesToScore,
      podInitialBackoffSeconds: cfg.podInitialBackoffSeconds,
      podMaxBackoffSeconds: cfg.podMaxBackoffSeconds,
    });
  }

  constructor(opts: SchedulerOptions = {}) {
    this.#clock = opts.clock ?? realClock;
    const profiles = opts.profiles ?? [defaultProfile()];
    this.cache = new Cache({ ttlMs: opts.assumedPodTtlMs, now: opts.clock ? () => opts.clock!.now() : undefined });
    let queue: SchedulingQueue | undefined;
    const handle: HandleOptions = { ...opts.handle, nominator: { nominatedPodsForNode: (n) => queue?.nominatedPodsForNode(n) ?? [], hasNominatedPods: () => queue?.hasNominatedPods() ?? false } };
    this.frameworks = buildFrameworks(profiles, handle);
    const first = this.frameworks.values().next().value!;
    const events = new Map([...this.frameworks.values()].flatMap((f) => [...f.eventsToRegister()]));
    queue = new SchedulingQueue({
      clock: opts.clock,
      less: (a, b) => first.less(a, b),
      preEnqueue: (pod) => this.frameworkFor(pod)?.runPreEnqueuePlugins(pod),
      pluginEvents: events,
      podInitialBackoffMs: (opts.podInitialBackoffSeconds ?? 1) * 1000,
      podMaxBackoffMs: (opts.podMaxBackoffSeconds ?? 10) * 1000,
    });
    this.queue = queue;
    this.percentageOfNodesToScore = opts.percentageOfNodesToScore ?? 0;
  }

  /** Starts the queue flushes and the 1 s assumed-pod expiry sweep. */
  start(): void {
    this.queue.run();
    this.#cleanupTimer = this.#clock.setInterval(() => this.cache.cleanupAssumedPods(), 1000);
  }

  /** Stops timers and closes the queue (pending pop() resolves undefined). */
  stop(): void {
    if (this.#cleanupTimer !== undefined) this.#clock.clearInterval(this.#cleanupTimer);
    this.#cleanupTimer = undefined;
    this.queue.close();
  }

  /** The framework for the pod's spec.schedulerName (default-scheduler when unset). */
  frameworkFor(pod: KObject): Framework | undefined {
    return this.frameworks.get(pod.spec?.schedulerName || DEFAULT_SCHEDULER_NAME);
  }

  onNodeAdd(node: KObject): void {
    this.cache.addNode(node);
    this.queue.moveAllToActiveOrBackoffQueue({ resource: "Node", action: "Add" });
  }

  onNodeUpdate(oldNode: KObject | undefined, node: KObject): void {
    this.cache.updateNode(oldNode, node);
    this.queue.moveAllToActiveOrBackoffQueue({ resource: "Node", action: "Update" });
  }

  onNodeDelete(node: KObject): void {
    this.cache.removeNode(node);
  }

  /** Assigned pods go to the cache, unassigned pods of our profiles to the queue. */
  onPodAdd(pod: KObject): void {
    if (pod.spec?.nodeName) {
      this.cache.addPod(pod);
      this.queue.moveAllToActiveOrBackoffQueue({ resource: "AssignedPod", action: "Add" });
    } else if (this.frameworkFor(pod) && !isTerminal(pod)) this.queue.add(pod);
  }

  onPodUpdate(oldPod: KObject | undefined, pod: KObject): void {
    if (pod.spec?.nodeName) {
      if (!oldPod?.spec?.nodeName) this.queue.delete(pod);
      if (isTerminal(pod)) return this.onPodDelete(pod);
      this.cache.updatePod(oldPod ?? pod, pod);
      this.queue.moveAllToActiveOrBackoffQueue({ resource: "AssignedPod", action: "Update" });
    } else if (this.frameworkFor(pod)) this.queue.update(oldPod, pod);
  }

  onPodDelete(pod: KObject): void {
    if (pod.spec?.nodeName || this.cache.getPod(pod)) {
      this.cache.removePod(pod);
      this.queue.moveAllToActiveOrBackoffQueue({ resource: "AssignedPod", action: "Delete" });
    }
    this.queue.delete(pod);
  }

  /**
   * One scheduling cycle for a popped pod. On success the pod is assumed in
   * the cache and reserved; call `bind(result)`. On failure the pod is
   * already requeued and nominations updated.
   */
  scheduleOne(q: QueuedPodInfo): ScheduleOneResult {
    const pod = q.pod;
    const cycle = this.queue.schedulingCycle;
    const fwk = this.frameworkFor(pod);
    if (!fwk) {
      this.queue.done(podUID(pod));
      return { kind: "skipped", q, why: `no profile for schedulerName "${pod.spec?.schedulerName}"` };
    }
    if (pod.metadata.deletionTimestamp || this.cache.getPod(pod)) {
      this.queue.done(podUID(pod));
      return { kind: "skipped", q, why: "pod is being deleted or already assumed" };
    }
    this.cache.updateSnapshot(this.snapshot);
    const state = fwk.newCycleState();
    const r = schedulePod(fwk, state, pod, this.snapshot, { cursor: this.cursor, percentageOfNodesToScore: this.percentageOfNodesToScore });
    if ("error" in r) return this.#fail(q, cycle, "SchedulerError", r.error.message(), new Set());
    if ("failure" in r) {
      const fe = r.failure;
      let nominated: string | undefined;
      let victims: KObject[] = [];
      if (fwk.postFilterPlugins.length && this.snapshot.numNodes > 0) {
        const pf = fwk.runPostFilterPlugins(state, pod, fe.diagnosis.nodeToStatus);
        const msg = pf.status?.message();
        if (msg) fe.diagnosis.postFilterMsg = msg;
        if (pf.result) {
          nominated = pf.result.nominatedNodeName;
          victims = pf.result.victims ?? [];
        }
      }
      if (nominated) this.queue.addNominatedPod(pod, nominated);
      else if (nominated === "") this.queue.deleteNominatedPodIfExists(pod);
      return this.#fail(q, cycle, "Unschedulable", fe.message, fe.diagnosis.unschedulablePlugins, nominated, victims);
    }
    const assumed: KObject = { ...pod, spec: { ...pod.spec, nodeName: r.node } };
    this.cache.assumePod(assumed);
    this.queue.deleteNominatedPodIfExists(pod);
    const rs = fwk.runReservePluginsReserve(state, assumed, r.node) ?? fwk.runPermitPlugins(state, assumed, r.node);
    if (rs) {
      fwk.runReservePluginsUnreserve(state, assumed, r.node);
      this.cache.forgetPod(assumed);
      const plugins = rs.isRejected() && rs.plugin ? new Set([rs.plugin]) : new Set<string>();
      return this.#fail(q, cycle, rs.isRejected() ? "Unschedulable" : "SchedulerError", rs.message(), plugins);
    }
    return { kind: "scheduled", q, pod: assumed, node: r.node, state, fwk, cycle };
  }

  #fail(
    q: QueuedPodInfo,
    cycle: number,
    reason: "Unschedulable" | "SchedulerError",
    message: string,
    plugins: Set<string>,
    nominatedNodeName?: string,
    victims: KObject[] = [],
  ): ScheduleOneResult {
    q.unschedulablePlugins = reason === "Unschedulable" ? plugins : new Set();
    this.queue.addUnschedulableIfNotPresent(q, cycle);
    return { kind: "unschedulable", q, pod: q.pod, reason, message, nominatedNodeName, victims };
  }

  /**
   * The binding cycle: PreBind and Bind plugins (DefaultBinder calls
   * `handle.binder`). On success the assumed pod starts its expiry clock; on
   * failure it is forgotten, unreserved and requeued with back-off.
   */
  async bind(r: Extract<ScheduleOneResult, { kind: "scheduled" }>): Promise<{ ok: true } | { ok: false; message: string }> {
    const { fwk, state, pod, node, q } = r;
    const s = (await fwk.runPreBindPlugins(state, pod, node)) ?? (await fwk.runBindPlugins(state, pod, node));
    if (!s) {
      this.cache.finishBinding(pod);
      this.queue.done(podUID(pod));
      return { ok: true };
    }
    fwk.runReservePluginsUnreserve(state, pod, node);
    this.cache.forgetPod(pod);
    this.queue.moveAllToActiveOrBackoffQueue({ resource: "AssignedPod", action: "Delete" });
    q.unschedulablePlugins = new Set();
    if (!this.queue.whereIs(q.pod) || this.queue.whereIs(q.pod) === "inFlight") this.queue.addUnschedulableIfNotPresent(q, r.cycle);
    return { ok: false, message: `binding rejected: ${s.message()}` };
  }
}

function isTerminal(pod: KObject): boolean {
  const phase = pod.status?.phase;
  return phase === "Succeeded" || phase === "Failed";
}

export { FitError };
