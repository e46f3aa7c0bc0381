/**
 * SchedulingQueue (upstream internal/queue PriorityQueue): activeQ (pods to
 * try now, QueueSort order: priority then timestamp), backoffQ (pods
 * waiting out a per-pod exponential back-off, 1 s doubling to 10 s by
 * attempts), and unschedulablePods (pods rejected by plugins, moved back on
 * a relevant cluster event via `moveAllToActiveOrBackoffQueue`, or after
 * 5 minutes by `flushUnschedulablePodsLeftover`). Also the Nominator:
 * pods nominated to nodes by preemption. Time comes from an injectable
 * clock; `run()` starts the periodic flushes (1 s and 30 s).
 */
import type { KObject } from "../api/types.ts";
import type { Nominator } from "./framework/framework.ts";
import type { ClusterEvent, QueuedPodInfo } from "./framework/interface.ts";
import { podPriority, podUID } from "./framework/pod_info.ts";
import type { Status } from "./framework/status.ts";
import { KeyedHeap } from "./heap.ts";

export interface Clock {
  now(): number;
  setInterval(fn: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
}

export const realClock: Clock = {
  now: () => Date.now(),
  setInterval: (fn, ms) => {
    const t = setInterval(fn, ms);
    t.unref?.();
    return t;
  },
  clearInterval: (h) => clearInterval(h as ReturnType<typeof setInterval>),
};

/** The event used for the 5-minute flush of unschedulable pods (matches every pod). */
export const UNSCHEDULABLE_TIMEOUT: ClusterEvent = { resource: "*", action: "*", label: "UnschedulableTimeout" };

export interface QueueOptions {
  clock?: Clock;
  /** QueueSort less (Framework.less); defaults to priority then timestamp. */
  less?: (a: QueuedPodInfo, b: QueuedPodInfo) => boolean;
  /** PreEnqueue check (Framework.runPreEnqueuePlugins); a failure gates the pod. */
  preEnqueue?: (pod: KObject) => Status | undefined;
  /** Plugin -> events it cares about (Framework.eventsToRegister()); plugins absent here match every event. */
  pluginEvents?: Map<string, ClusterEvent[]>;
  podInitialBackoffMs?: number;
  podMaxBackoffMs?: number;
  podMaxInUnschedulablePodsDurationMs?: number;
}

function defaultLess(a: QueuedPodInfo, b: QueuedPodInfo): boolean {
  const pa = podPriority(a.pod);
  const pb = podPriority(b.pod);
  return pa > pb || (pa === pb && a.timestamp < b.timestamp);
}

function eventMatches(want: ClusterEvent, got: ClusterEvent): boolean {
  return (want.resource === "*" || got.resource === "*" || want.resource === got.resource) && (want.action === "*" || got.action === "*" || want.action === got.action);
}

/** True when the update changed something other than status and bookkeeping metadata. */
export function isPodUpdated(oldPod: KObject, newPod: KObject): boolean {
  const strip = (p: KObject) => {
    const { status: _s, metadata, ...rest } = p;
    const { resourceVersion: _r, generation: _g, managedFields: _m, ...meta } = metadata ?? {};
    return JSON.stringify({ ...rest, metadata: meta });
  };
  return strip(oldPod) !== strip(newPod);
}

const NONE: KObject[] = [];

export class SchedulingQueue implements Nominator {
  readonly #clock: Clock;
  readonly #preEnqueue?: (pod: KObject) => Status | undefined;
  readonly #pluginEvents: Map<string, ClusterEvent[]>;
  readonly #initialBackoff: number;
  readonly #maxBackoff: number;
  readonly #maxUnschedulable: number;
  readonly #activeQ: KeyedHeap<QueuedPodInfo>;
  readonly #backoffQ: KeyedHeap<QueuedPodInfo>;
  readonly #unschedulable = new Map<string, QueuedPodInfo>();
  readonly #inFlight = new Map<string, QueuedPodInfo>();
  readonly #nominatedByUID = new Map<string, { pod: KObject; node: string }>();
  readonly #nominatedByNode = new Map<string, Map<string, KObject>>();
  #waiters: (() => void)[] = [];
  #closed = false;
  #schedulingCycle = 0;
  #moveRequestCycle = -1;
  #timers: unknown[] = [];

  constructor(opts: QueueOptions = {}) {
    this.#clock = opts.clock ?? realClock;
    this.#preEnqueue = opts.preEnqueue;
    this.#pluginEvents = opts.pluginEvents ?? new Map();
    this.#initialBackoff = opts.podInitialBackoffMs ?? 1000;
    this.#maxBackoff = opts.podMaxBackoffMs ?? 10_000;
    this.#maxUnschedulable = opts.podMaxInUnschedulablePodsDurationMs ?? 5 * 60_000;
    const key = (q: QueuedPodInfo) => podUID(q.pod);
    this.#activeQ = new KeyedHeap(key, opts.less ?? defaultLess);
    this.#backoffQ = new KeyedHeap(key, (a, b) => this.backoffExpiry(a) < this.backoffExpiry(b));
  }

  /** The number of pods popped so far (a pod's cycle is the value right after its pop). */
  get schedulingCycle(): number {
    return this.#schedulingCycle;
  }

  /** Back-off for a pod that has failed `attempts` times: initial * 2^(attempts-1), capped at max. */
  backoffDuration(q: QueuedPodInfo): number {
    let d = this.#initialBackoff;
    for (let i = 1; i < q.attempts; i++) {
      d *= 2;
      if (d > this.#maxBackoff) return this.#maxBackoff;
    }
    return d;
  }

  /** When the pod's back-off ends (ms). */
  backoffExpiry(q: QueuedPodInfo): number {
    return q.timestamp + this.backoffDuration(q);
  }

  #isBackingOff(q: QueuedPodInfo): boolean {
    return q.attempts > 0 && this.backoffExpiry(q) > this.#clock.now();
  }

  #newInfo(pod: KObject): QueuedPodInfo {
    const now = this.#clock.now();
    return { pod, timestamp: now, initialAttemptTimestamp: now, attempts: 0, unschedulablePlugins: new Set() };
  }

  /** Into activeQ unless PreEnqueue gates it (then unschedulablePods). Returns true when active. */
  #toActive(q: QueuedPodInfo): boolean {
    const s = this.#preEnqueue?.(q.pod);
    const uid = podUID(q.pod);
    if (s) {
      q.gatingPlugin = s.plugin || "PreEnqueue";
      this.#unschedulable.set(uid, q);
      return false;
    }
    q.gatingPlugin = undefined;
    this.#unschedulable.delete(uid);
    this.#backoffQ.delete(uid);
    this.#activeQ.addOrUpdate(q);
    this.#wake();
    return true;
  }

  #wake(): void {
    const w = this.#waiters;
    this.#waiters = [];
    for (const f of w) f();
  }

  /** A new pending pod (informer add). */
  add(pod: KObject): void {
    const uid = podUID(pod);
    this.#unschedulable.delete(uid);
    this.#backoffQ.delete(uid);
    this.#toActive(this.#newInfo(pod));
    this.#nominate(pod);
  }

  /** An update to a pending pod; a real spec change moves an unschedulable pod back. */
  update(oldPod: KObject | undefined, pod: KObject): void {
    const uid = podUID(pod);
    this.#nominate(pod);
    const active = this.#activeQ.get(uid);
    if (active) {
      active.pod = pod;
      this.#toActive(active);
      return;
    }
    const backoff = this.#backoffQ.get(uid);
    if (backoff) {
      backoff.pod = pod;
      this.#backoffQ.addOrUpdate(backoff);
      return;
    }
    const u = this.#unschedulable.get(uid);
    if (u) {
      const changed = !oldPod || isPodUpdated(oldPod, pod);
      u.pod = pod;
      if (!changed) return;
      if (this.#isBackingOff(u) && !u.gatingPlugin) {
        this.#unschedulable.delete(uid);
        this.#backoffQ.addOrUpdate(u);
      } else this.#toActive(u);
      return;
    }
    const inFlight = this.#inFlight.get(uid);
    if (inFlight) {
      inFlight.pod = pod;
      return;
    }
    this.#toActive(this.#newInfo(pod));
  }

  /** The pod was deleted or bound by someone else. */
  delete(pod: KObject): void {
    const uid = podUID(pod);
    this.#activeQ.delete(uid);
    this.#backoffQ.delete(uid);
    this.#unschedulable.delete(uid);
    this.deleteNominatedPodIfExists(pod);
  }

  /**
   * The next pod by QueueSort order; waits while activeQ is empty.
   * Resolves undefined once the queue is closed. Increments the pod's attempts.
   */
  async pop(): Promise<QueuedPodInfo | undefined> {
    while (this.#activeQ.size === 0) {
      if (this.#closed) return undefined;
      await new Promise<void>((r) => this.#waiters.push(r));
    }
    if (this.#closed) return undefined;
    const q = this.#activeQ.pop()!;
    q.attempts++;
    this.#schedulingCycle++;
    this.#inFlight.set(podUID(q.pod), q);
    return q;
  }

  /** The scheduling attempt of `uid` finished (bound or requeued). */
  done(uid: string): void {
    this.#inFlight.delete(uid);
  }

  /**
   * Requeues a pod that failed in cycle `podSchedulingCycle`: to backoffQ
   * when it failed with an error (no rejecting plugins) or a move request
   * arrived since its cycle started; else to unschedulablePods. Throws if
   * the pod is already queued.
   */
  addUnschedulableIfNotPresent(q: QueuedPodInfo, podSchedulingCycle: number): void {
    const uid = podUID(q.pod);
    if (this.#activeQ.has(uid) || this.#backoffQ.has(uid) || this.#unschedulable.has(uid)) throw new Error(`pod ${uid} is already present in the queue`);
    this.#inFlight.delete(uid);
    q.timestamp = this.#clock.now();
    if (this.#moveRequestCycle >= podSchedulingCycle || q.unschedulablePlugins.size === 0) this.#backoffQ.addOrUpdate(q);
    else this.#unschedulable.set(uid, q);
  }

  #interested(q: QueuedPodInfo, event: ClusterEvent): boolean {
    if (q.unschedulablePlugins.size === 0) return true;
    for (const p of q.unschedulablePlugins) {
      const evs = this.#pluginEvents.get(p);
      if (!evs) return true;
      if (evs.some((e) => eventMatches(e, event))) return true;
    }
    return false;
  }

  /**
   * A cluster event (node added/updated, pod deleted, ...): unschedulable
   * pods rejected by a plugin interested in it move to backoffQ (still
   * backing off) or activeQ. Gated pods stay unless PreEnqueue now passes.
   */
  moveAllToActiveOrBackoffQueue(event: ClusterEvent, preCheck?: (pod: KObject) => boolean): number {
    let moved = 0;
    for (const [uid, q] of [...this.#unschedulable]) {
      if (q.gatingPlugin) continue;
      if (preCheck && !preCheck(q.pod)) continue;
      if (!this.#interested(q, event)) continue;
      moved++;
      if (this.#isBackingOff(q)) {
        this.#unschedulable.delete(uid);
        this.#backoffQ.addOrUpdate(q);
      } else this.#toActive(q);
    }
    this.#moveRequestCycle = this.#schedulingCycle;
    return moved;
  }

  /** Moves pods whose back-off has expired to activeQ. */
  flushBackoffQCompleted(): void {
    const now = this.#clock.now();
    for (let q = this.#backoffQ.peek(); q && this.backoffExpiry(q) <= now; q = this.#backoffQ.peek()) {
      this.#backoffQ.pop();
      this.#toActive(q);
    }
  }

  /** Moves pods that stayed unschedulable longer than 5 minutes. */
  flushUnschedulablePodsLeftover(): void {
    const now = this.#clock.now();
    for (const [uid, q] of [...this.#unschedulable]) {
      if (q.gatingPlugin || now - q.timestamp <= this.#maxUnschedulable) continue;
      if (this.#isBackingOff(q)) {
        this.#unschedulable.delete(uid);
        this.#backoffQ.addOrUpdate(q);
      } else this.#toActive(q);
    }
  }

  /** Starts the periodic flushes (backoffQ every 1 s, unschedulable every 30 s). */
  run(): void {
    this.#timers.push(this.#clock.setInterval(() => this.flushBackoffQCompleted(), 1000));
    this.#timers.push(this.#clock.setInterval(() => this.flushUnschedulablePodsLeftover(), 30_000));
  }

  /** Stops timers and releases pending pop() calls with undefined. */
  close(): void {
    this.#closed = true;
    for (const t of this.#timers) this.#clock.clearInterval(t);
    this.#timers = [];
    this.#wake();
  }

  /** Counts per sub-queue (for metrics and tests). */
  stats(): { active: number; backoff: number; unschedulable: number; inFlight: number } {
    return { active: this.#activeQ.size, backoff: this.#backoffQ.size, unschedulable: this.#unschedulable.size, inFlight: this.#inFlight.size };
  }

  /** Where a pod currently is. */
  whereIs(pod: KObject): "active" | "backoff" | "unschedulable" | "inFlight" | undefined {
    const uid = podUID(pod);
    if (this.#activeQ.has(uid)) return "active";
    if (this.#backoffQ.has(uid)) return "backoff";
    if (this.#unschedulable.has(uid)) return "unschedulable";
    if (this.#inFlight.has(uid)) return "inFlight";
    return undefined;
  }

  /** All pending pods (activeQ, backoffQ, unschedulable). */
  pendingPods(): KObject[] {
    return [...this.#activeQ.list(), ...this.#backoffQ.list(), ...this.#unschedulable.values()].map((q) => q.pod);
  }

  #nominate(pod: KObject): void {
    const node = pod.status?.nominatedNodeName;
    if (node) this.addNominatedPod(pod, node);
    else this.deleteNominatedPodIfExists(pod);
  }

  /** Records `pod` as nominated to `nodeName` (replacing an earlier nomination). */
  addNominatedPod(pod: KObject, nodeName: string): void {
    this.deleteNominatedPodIfExists(pod);
    const uid = podUID(pod);
    this.#nominatedByUID.set(uid, { pod, node: nodeName });
    let m = this.#nominatedByNode.get(nodeName);
    if (!m) this.#nominatedByNode.set(nodeName, (m = new Map()));
    m.set(uid, pod);
  }

  deleteNominatedPodIfExists(pod: KObject): void {
    const uid = podUID(pod);
    const e = this.#nominatedByUID.get(uid);
    if (!e) return;
    this.#nominatedByUID.delete(uid);
    const m = this.#nominatedByNode.get(e.node);
    m?.delete(uid);
    if (m && m.size === 0) this.#nominatedByNode.delete(e.node);
  }

  /** Whether any pod is nominated to a node. */
  hasNominatedPods(): boolean {
    return this.#nominatedByNode.size > 0;
  }

  nominatedPodsForNode(nodeName: string): KObject[] {
    if (this.#nominatedByNode.size === 0) return NONE;
    const m = this.#nominatedByNode.get(nodeName);
    return m ? [...m.values()] : NONE;
  }
}
