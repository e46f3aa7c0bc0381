/**
 * The node lifecycle controller ("nodelifecycle"): watches node heartbeats
 * (Leases in kube-node-lease and the Ready condition's lastHeartbeatTime);
 * a Node silent for nodeMonitorGracePeriod gets its kubelet-owned conditions
 * set to Unknown and its pods marked not ready. Taints follow the conditions
 * (NoExecute not-ready/unreachable, NoSchedule by condition) and go away when
 * the node recovers. Taint-based eviction: pods on a node with NoExecute
 * taints are deleted once their tolerations run out, with upstream's
 * DefaultTolerationSeconds admission emulated (see taints.ts).
 *
 * One periodic scan of the node and lease caches finds nodes needing work
 * and enqueues them; node sync reads caches and writes through the API.
 */
import { findResource } from "../../api/resources.ts";
import type { KObject } from "../../api/types.ts";
import { isConflict, isNotFound, runWorkers, WorkQueue, type EventRecorder, type Informer, type ReconcileResult } from "../../client/index.ts";
import type { Controller, ControllerContext, ControllerFactory } from "../types.ts";
import { conditionStatus, desiredManagedTaints, effectiveTolerations, evictionTime, reconcileTaints, type Taint } from "./taints.ts";
import { rfc3339 as stamp } from "../../machinery/time.ts";

const nodesRes = findResource("", "v1", "nodes")!;
const podsRes = findResource("", "v1", "pods")!;
const leasesRes = findResource("coordination.k8s.io", "v1", "leases")!;
const leaseNamespace = "kube-node-lease";
const podsByNode = "nodelifecycle/spec.nodeName";
/** How long a deleted pod's uid is remembered. */
const evictedMemoryMs = 60_000;
/** Conditions the kubelet owns; they go Unknown together when it goes silent. */
const kubeletConditions = ["Ready", "MemoryPressure", "DiskPressure", "PIDPressure"];

interface Health {
  /** Local time at which a heartbeat change was last observed. */
  probeAt: number;
  leaseRenew?: string;
  readyHeartbeat?: string;
}


function noExecuteTaints(node: KObject | undefined): Taint[] {
  return ((node?.spec?.taints ?? []) as Taint[]).filter((t) => t.effect === "NoExecute");
}

class NodeLifecycleController implements Controller {
  readonly name = "nodelifecycle";
  readonly #queue = new WorkQueue<string>();
  readonly #health = new Map<string, Health>();
  /** Per node, local time each NoExecute taint (key:effect) was first seen; eviction clocks start here. */
  readonly #taintSeen = new Map<string, Map<string, number>>();
  /** Pod uids deleted recently, so a cache that has not caught up does not evict them twice. */
  readonly #evicted = new Map<string, number>();
  #nodes!: Informer;
  #pods!: Informer;
  #leases!: Informer;
  #nodeEvents!: EventRecorder;
  #podEvents!: EventRecorder;

  init(ctx: ControllerContext): void {
    this.#nodes = ctx.informers.informerFor(nodesRes);
    this.#pods = ctx.informers.informerFor(podsRes);
    this.#leases = ctx.informers.informerFor(leasesRes, { namespace: leaseNamespace });
    this.#nodeEvents = ctx.recorder("node-controller");
    this.#podEvents = ctx.recorder("taint-eviction-controller");
    this.#pods.addIndexer(podsByNode, (p) => (p.spec?.nodeName ? [p.spec.nodeName] : []));
    const enqueue = (n: KObject): void => this.#queue.add(n.metadata.name!);
    this.#nodes.addEventHandler({ onAdd: enqueue, onUpdate: (o, n) => o !== n && enqueue(n), onDelete: enqueue });
    const podChanged = (p: KObject): void => {
      const node = p.spec?.nodeName;
      if (node && noExecuteTaints(this.#nodes.lister().get("", node)).length) this.#queue.add(node);
    };
    this.#pods.addEventHandler({ onAdd: podChanged, onUpdate: (o, n) => o !== n && podChanged(n) });
  }

  async run(ctx: ControllerContext, signal: AbortSignal): Promise<void> {
    const grace = ctx.settings.nodeMonitorGracePeriodMs;
    const period = Math.min(5000, Math.max(100, Math.floor(grace / 8)));
    const timer = setInterval(() => this.#monitor(grace), period);
    const stop = (): void => {
      clearInterval(timer);
      this.#queue.shutDown();
    };
    signal.addEventListener("abort", stop, { once: true });
    if (signal.aborted) stop();
    await runWorkers(this.#queue, ctx.settings.workers, (name) => this.#sync(ctx, name), (m, f) => ctx.log.warn(`nodelifecycle: ${m}`, f));
  }

  /** Updates the heartbeat record of `node` from its Lease and Ready condition; returns it. */
  #observe(node: KObject, now: number): Health {
    const name = node.metadata.name!;
    const renew = this.#leases.lister().get(leaseNamespace, name)?.spec?.renewTime as string | undefined;
    const hb = (node.status?.conditions ?? []).find((c: { type?: string }) => c.type === "Ready")?.lastHeartbeatTime as string | undefined;
    let h = this.#health.get(name);
    if (!h) {
      this.#health.set(name, (h = { probeAt: now, leaseRenew: renew, readyHeartbeat: hb }));
      return h;
    }
    if (renew !== h.leaseRenew || hb !== h.readyHeartbeat) {
      h.probeAt = now;
      h.leaseRenew = renew;
      h.readyHeartbeat = hb;
    }
    return h;
  }

  /** The periodic scan: enqueues nodes that went silent or whose taints lag their conditions. */
  #monitor(grace: number): void {
    const now = Date.now();
    const seen = new Set<string>();
    for (const node of this.#nodes.lister().list()) {
      const name = node.metadata.name!;
      seen.add(name);
      const h = this.#observe(node, now);
      const stale = now - h.probeAt > grace;
      if (stale && kubeletConditions.some((t) => conditionStatus(node, t) !== "Unknown")) {
        this.#queue.add(name);
        continue;
      }
      if (reconcileTaints((node.spec?.taints ?? []) as Taint[], desiredManagedTaints(node), "")) this.#queue.add(name);
    }
    for (const name of this.#health.keys()) if (!seen.has(name)) this.#health.delete(name);
  }

  async #sync(ctx: ControllerContext, name: string): Promise<ReconcileResult | void> {
    try {
      return await this.#reconcile(ctx, name);
    } catch (err) {
      if (isConflict(err)) return { requeueAfterMs: 100 };
      throw err;
    }
  }

  async #reconcile(ctx: ControllerContext, name: string): Promise<ReconcileResult | void> {
    let node = this.#nodes.lister().get("", name);
    if (!node) {
      this.#health.delete(name);
      this.#forgetTaints(name, []);
      return;
    }
    const now = Date.now();
    const h = this.#observe(node, now);
    if (now - h.probeAt > ctx.settings.nodeMonitorGracePeriodMs) {
      node = await this.#markUnknown(ctx, node, now);
      await this.#markPodsNotReady(ctx, name, now);
    }
    const taints = reconcileTaints((node.spec?.taints ?? []) as Taint[], desiredManagedTaints(node), stamp(now));
    if (taints) {
      const next = structuredClone(node);
      next.spec = { ...next.spec, taints };
      node = await ctx.client.resource(nodesRes).update("", next);
      ctx.log.info("node taints updated", { node: name, taints: taints.map((t) => `${t.key}:${t.effect}`) });
    }
    return this.#evictPods(ctx, node, now);
  }

  /** Sets the kubelet-owned conditions to Unknown (upstream's tryUpdateNodeHealth); returns the node as written. */
  async #markUnknown(ctx: ControllerContext, node: KObject, now: number): Promise<KObject> {
    const conditions = structuredClone((node.status?.conditions ?? []) as Record<string, unknown>[]);
    let changed = false;
    const wasReady = conditionStatus(node, "Ready") === "True";
    for (const type of kubeletConditions) {
      const c = conditions.find((x) => x.type === type);
      if (!c) {
        conditions.push({
          type,
          status: "Unknown",
          reason: "NodeStatusNeverUpdated",
          message: "Kubelet never posted node status.",
          lastHeartbeatTime: node.metadata.creationTimestamp,
          lastTransitionTime: stamp(now),
        });
        changed = true;
      } else if (c.status !== "Unknown") {
        Object.assign(c, { status: "Unknown", reason: "NodeStatusUnknown", message: "Kubelet stopped posting node status.", lastTransitionTime: stamp(now) });
        changed = true;
      }
    }
    if (!changed) return node;
    const next = structuredClone(node);
    next.status = { ...next.status, conditions };
    const written = await ctx.client.resource(nodesRes).updateStatus("", next);
    ctx.log.info("node stopped posting status", { node: node.metadata.name });
    if (wasReady) this.#nodeEvents.event(node, "Normal", "NodeNotReady", `Node ${node.metadata.name} status is now: NodeNotReady`);
    return written;
  }

  /** Sets the Ready condition of the node's pods to False with a NodeNotReady event each (upstream's MarkPodsNotReady). */
  async #markPodsNotReady(ctx: ControllerContext, nodeName: string, now: number): Promise<void> {
    for (const pod of this.#pods.byIndex(podsByNode, nodeName)) {
      const conditions = (pod.status?.conditions ?? []) as Record<string, unknown>[];
      const i = conditions.findIndex((c) => c.type === "Ready");
      if (i < 0 || conditions[i].status !== "True" || pod.metadata.deletionTimestamp) continue;
      const next = structuredClone(pod);
      next.status.conditions[i] = { ...conditions[i], status: "False", lastTransitionTime: stamp(now) };
      try {
        await ctx.client.resource(podsRes).updateStatus(pod.metadata.namespace!, next);
      } catch (err) {
        if (!isNotFound(err) && !isConflict(err)) throw err;
        continue;
      }
      // After the update, so the pod still exists (as upstream).
      this.#nodeEvents.event(pod, "Warning", "NodeNotReady", "Node is not ready");
    }
  }

  /** Drops the eviction clocks of NoExecute taints the node no longer has. */
  #forgetTaints(node: string, taints: Taint[]): void {
    const seen = this.#taintSeen.get(node);
    if (!seen) return;
    const live = new Set(taints.map((t) => `${t.key}:${t.effect}`));
    for (const k of seen.keys()) if (!live.has(k)) seen.delete(k);
    if (!seen.size) this.#taintSeen.delete(node);
  }

  /** Deletes pods whose tolerations of the node's NoExecute taints ran out; asks to come back at the next deadline. */
  async #evictPods(ctx: ControllerContext, node: KObject, now: number): Promise<ReconcileResult | void> {
    const name = node.metadata.name!;
    const taints = noExecuteTaints(node);
    this.#forgetTaints(name, taints);
    if (!taints.length) return;
    let seen = this.#taintSeen.get(name);
    if (!seen) this.#taintSeen.set(name, (seen = new Map()));
    const since = (t: Taint): number => {
      const k = `${t.key}:${t.effect}`;
      let at = seen.get(k);
      if (at === undefined) seen.set(k, (at = now));
      return at;
    };
    for (const [uid, at] of this.#evicted) if (now - at > evictedMemoryMs) this.#evicted.delete(uid);
    let next: number | undefined;
    for (const pod of this.#pods.byIndex(podsByNode, name)) {
      if (this.#evicted.has(pod.metadata.uid!) || pod.metadata.deletionTimestamp || pod.status?.phase === "Succeeded" || pod.status?.phase === "Failed") continue;
      const at = evictionTime(taints, effectiveTolerations(pod, ctx.settings.defaultTolerationSeconds), since);
      if (at === undefined) continue;
      if (at !== "now" && at > now) {
        next = next === undefined ? at : Math.min(next, at);
        continue;
      }
      await this.#evict(ctx, pod);
    }
    return next === undefined ? undefined : { requeueAfterMs: Math.max(10, next - now) };
  }

  async #evict(ctx: ControllerContext, pod: KObject): Promise<void> {
    const pods = ctx.client.resource(podsRes);
    const ns = pod.metadata.namespace!;
    const podName = pod.metadata.name!;
    this.#podEvents.event(pod, "Normal", "TaintManagerEviction", `Marking for deletion Pod ${ns}/${podName}`);
    try {
      const next = structuredClone(pod);
      const conditions = ((next.status ??= {}).conditions ??= []) as Record<string, unknown>[];
      if (!conditions.some((c) => c.type === "DisruptionTarget")) {
        conditions.push({
          type: "DisruptionTarget",
          status: "True",
          reason: "DeletionByTaintManager",
          message: "Taint manager: deleting due to NoExecute taint",
          lastTransitionTime: stamp(Date.now()),
        });
        await pods.updateStatus(ns, next);
      }
      await pods.delete(ns, podName, { preconditions: { uid: pod.metadata.uid } });
      this.#evicted.set(pod.metadata.uid!, Date.now());
      ctx.log.info("evicted pod for NoExecute taint", { pod: `${ns}/${podName}`, node: pod.spec?.nodeName });
    } catch (err) {
      if (!isNotFound(err) && !isConflict(err)) throw err;
    }
  }
}

/** Factory of the node lifecycle controller (with taint-based eviction). */
export const nodeLifecycleController: ControllerFactory = () => new NodeLifecycleController();
