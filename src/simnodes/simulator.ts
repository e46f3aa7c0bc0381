/**
 * Simulated nodes: registers N Nodes through the API like kubelets would,
 * keeps their Leases and status fresh, and moves the pods bound to them
 * through their lifecycle (Pending → Running and Ready with a pod IP; pods
 * with restartPolicy OnFailure/Never exit after a while; terminating pods
 * are removed within their grace period) — without running containers.
 * One informer and one work queue serve every node, so a process holds
 * thousands of nodes. Everything it creates is labelled tskube.io/simulated.
 */
import { findResource } from "../api/resources.ts";
import type { KObject } from "../api/types.ts";
import { ApiClient, Informer, isAlreadyExists, isConflict, isNotFound, runWorkers, WorkQueue, splitKey } from "../client/index.ts";
import { log as rootLog } from "../machinery/log.ts";
import {
  annotationNumber,
  conditionsDrifted,
  fallbackPodCidr,
  finishedStatus,
  leaseObject,
  nodeAddress,
  nodeObject,
  runningStatus,
  simAnnotations,
  type SimNodeSpec,
} from "./objects.ts";
import { rfc3339 as nowStamp } from "../machinery/time.ts";

const log = rootLog.child("sim-nodes");
const nodesRes = findResource("", "v1", "nodes")!;
const podsRes = findResource("", "v1", "pods")!;
const leasesRes = findResource("coordination.k8s.io", "v1", "leases")!;

export interface SimulatorOptions {
  client: ApiClient;
  nodes: SimNodeSpec[];
  /** Lease renewal period (default 10 s, like the kubelet). */
  heartbeatMs?: number;
  /** Node status report period while nothing changes (default 5 min, the kubelet's nodeStatusReportFrequency). */
  statusReportMs?: number;
  /** Workers reconciling pods (default 16). */
  workers?: number;
}

interface NodeState {
  spec: SimNodeSpec;
  uid?: string;
  podCidrBase: number;
  usedIps: Set<number>;
  nextLeaseAt: number;
  nextStatusAt: number;
}


function cidrBase(cidr: string): number {
  const [ip] = cidr.split("/");
  const p = ip.split(".").map(Number);
  return ((p[0] << 24) >>> 0) + (p[1] << 16) + (p[2] << 8) + p[3];
}

function intToIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join(".");
}

/** Runs a set of simulated nodes until stop(). */
export class Simulator {
  private readonly client: ApiClient;
  private readonly nodes = new Map<string, NodeState>();
  private readonly heartbeatMs: number;
  private readonly statusReportMs: number;
  private readonly workers: number;
  private readonly queue = new WorkQueue<string>();
  private readonly pods: Informer;
  private readonly nodeInformer: Informer;
  private readonly podIps = new Map<string, { node: string; offset: number }>();
  private readonly terminatingSince = new Map<string, number>();
  /** When this process started each pod (status.startTime has only second precision). */
  private readonly startedAt = new Map<string, number>();
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private heartbeatsInFlight = 0;
  private workersDone: Promise<void> | undefined;
  private stopped = false;

  constructor(o: SimulatorOptions) {
    this.client = o.client;
    this.heartbeatMs = o.heartbeatMs ?? 10_000;
    this.statusReportMs = o.statusReportMs ?? 300_000;
    this.workers = o.workers ?? 16;
    for (const spec of o.nodes) {
      this.nodes.set(spec.name, {
        spec,
        podCidrBase: cidrBase(fallbackPodCidr(spec.name)),
        usedIps: new Set(),
        nextLeaseAt: 0,
        nextStatusAt: 0,
      });
    }
    this.pods = new Informer(this.client.resource(podsRes), { fieldSelector: "spec.nodeName!=" });
    const enqueue = (p: KObject): void => {
      if (this.nodes.has(p.spec?.nodeName)) this.queue.add(`${p.metadata.namespace}/${p.metadata.name}`);
    };
    this.pods.addEventHandler({ onAdd: enqueue, onUpdate: (_o, n) => enqueue(n), onDelete: (p) => this.forgetPod(p) });
    this.nodeInformer = new Informer(this.client.resource(nodesRes), { labelSelector: "tskube.io/simulated=true" });
    const cidr = (node: KObject): void => {
      const st = this.nodes.get(node.metadata.name!);
      if (st && node.spec?.podCIDR) {
        const base = cidrBase(node.spec.podCIDR);
        if (base !== st.podCidrBase && st.usedIps.size === 0) st.podCidrBase = base;
      }
    };
    this.nodeInformer.addEventHandler({ onAdd: cidr, onUpdate: (_o, n) => cidr(n) });
  }

  /** Registers every node (concurrently, bounded), then starts heartbeats and pod handling. */
  async start(): Promise<void> {
    const list = [...this.nodes.values()];
    let next = 0;
    await Promise.all(
      Array.from({ length: Math.min(32, list.length) }, async () => {
        while (next < list.length && !this.stopped) await this.register(list[next++]);
      }),
    );
    const spread = this.heartbeatMs / Math.max(1, list.length);
    const now = Date.now();
    list.forEach((n, i) => {
      n.nextLeaseAt = now + i * spread;
      n.nextStatusAt = now + this.statusReportMs + i * spread;
    });
    this.heartbeatTimer = setInterval(() => this.heartbeatTick(), 100);
    this.pods.start();
    this.nodeInformer.start();
    this.workersDone = runWorkers(this.queue, this.workers, (key) => this.syncPod(key), (msg, f) => log.warn(msg, f));
    log.info("simulated nodes registered", { count: list.length });
  }

  /** Stops heartbeats and pod handling (the nodes stay registered and go NotReady). */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.heartbeatTimer);
    this.pods.stop();
    this.nodeInformer.stop();
    this.queue.shutDown();
    await this.workersDone;
  }

  /** Names of the simulated nodes. */
  nodeNames(): string[] {
    return [...this.nodes.keys()];
  }

  private async register(n: NodeState): Promise<void> {
    const nodes = this.client.resource(nodesRes);
    const now = nowStamp();
    const want = nodeObject(n.spec, now);
    let node: KObject;
    try {
      node = await nodes.create("", want);
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
      node = await nodes.patch("", n.spec.name, "merge", { metadata: { labels: want.metadata.labels } });
      await nodes.patch("", n.spec.name, "merge", { status: want.status }, { subresource: "status" });
    }
    n.uid = node.metadata.uid;
    if (node.spec?.podCIDR) n.podCidrBase = cidrBase(node.spec.podCIDR);
    await this.renewLease(n);
  }

  private async renewLease(n: NodeState): Promise<void> {
    const leases = this.client.resource(leasesRes);
    const now = new Date().toISOString().replace("Z", "000Z");
    try {
      await leases.patch("kube-node-lease", n.spec.name, "merge", { spec: { holderIdentity: n.spec.name, renewTime: now, leaseDurationSeconds: 40 } });
    } catch (err) {
      if (!isNotFound(err)) throw err;
      await leases.create("kube-node-lease", leaseObject(n.spec.name, n.uid, now));
    }
  }

  private async reportStatus(n: NodeState): Promise<void> {
    const node = nodeObject(n.spec, nowStamp());
    await this.client.resource(nodesRes).patch("", n.spec.name, "merge", { status: { conditions: node.status.conditions } }, { subresource: "status" });
  }

  private heartbeatTick(): void {
    const now = Date.now();
    for (const n of this.nodes.values()) {
      if (this.heartbeatsInFlight >= 64) return;
      if (n.nextLeaseAt <= now) {
        n.nextLeaseAt = now + this.heartbeatMs;
        this.track(this.renewLease(n));
        const cached = this.nodeInformer.lister().get("", n.spec.name);
        if (cached && conditionsDrifted(cached)) n.nextStatusAt = now;
      }
      if (n.nextStatusAt <= now) {
        n.nextStatusAt = now + this.statusReportMs;
        this.track(this.reportStatus(n));
      }
    }
  }

  private track(p: Promise<void>): void {
    this.heartbeatsInFlight++;
    p.catch((err) => log.warn("heartbeat failed", { error: String(err) })).finally(() => this.heartbeatsInFlight--);
  }

  private forgetPod(p: KObject): void {
    const key = `${p.metadata.namespace}/${p.metadata.name}`;
    this.releaseIp(key);
    this.terminatingSince.delete(key);
    this.startedAt.delete(key);
  }

  private releaseIp(key: string): void {
    const held = this.podIps.get(key);
    if (!held) return;
    this.nodes.get(held.node)?.usedIps.delete(held.offset);
    this.podIps.delete(key);
  }

  private allocateIp(key: string, n: NodeState, existing: string | undefined): string {
    const held = this.podIps.get(key);
    if (held) return intToIp(n.podCidrBase + held.offset);
    if (existing) {
      const off = cidrBase(`${existing}/32`) - n.podCidrBase;
      if (off > 0 && off < 255 && !n.usedIps.has(off)) {
        n.usedIps.add(off);
        this.podIps.set(key, { node: n.spec.name, offset: off });
        return existing;
      }
    }
    for (let off = 2; off < 255; off++) {
      if (!n.usedIps.has(off)) {
        n.usedIps.add(off);
        this.podIps.set(key, { node: n.spec.name, offset: off });
        return intToIp(n.podCidrBase + off);
      }
    }
    throw new Error(`node ${n.spec.name} has no free pod IP`);
  }

  private async patchStatus(pod: KObject, status: Record<string, unknown>): Promise<void> {
    await this.client.resource(podsRes).patch(pod.metadata.namespace!, pod.metadata.name!, "merge", { status }, { subresource: "status" });
  }

  /** Reconciles one pod bound to a simulated node. */
  private async syncPod(key: string): Promise<{ requeueAfterMs?: number } | void> {
    const { namespace, name } = splitKey(key);
    const pod = this.pods.lister().get(namespace, name);
    if (!pod) return;
    const n = this.nodes.get(pod.spec?.nodeName);
    if (!n) return;
    const now = Date.now();
    try {
      if (pod.metadata.deletionTimestamp) return await this.terminate(key, pod, now);
      const phase = pod.status?.phase;
      if (phase === "Succeeded" || phase === "Failed") {
        this.releaseIp(key);
        return;
      }
      const readyAfter = annotationNumber(pod, simAnnotations.readySeconds, 0) * 1000;
      const finite = pod.spec?.restartPolicy && pod.spec.restartPolicy !== "Always";
      const runFor = annotationNumber(pod, simAnnotations.runSeconds, 1) * 1000;
      const started = this.startedAt.get(key) ?? (pod.status?.startTime ? Date.parse(pod.status.startTime) : now);
      const elapsed = now - started;
      if (phase !== "Running" || !pod.status?.podIP) {
        const ip = this.allocateIp(key, n, pod.status?.podIP);
        this.startedAt.set(key, now);
        await this.patchStatus(pod, runningStatus(pod, ip, nodeAddress(n.spec.name), nowStamp(), readyAfter === 0));
        const wait = Math.min(readyAfter > 0 ? readyAfter : Infinity, finite ? runFor : Infinity);
        return wait === Infinity ? undefined : { requeueAfterMs: wait };
      }
      if (finite && elapsed >= runFor) {
        const code = annotationNumber(pod, simAnnotations.exitCode, 0);
        await this.patchStatus(pod, finishedStatus(pod, code, nowStamp()));
        this.releaseIp(key);
        return;
      }
      const isReady = (pod.status?.conditions ?? []).some((c: { type: string; status: string }) => c.type === "Ready" && c.status === "True");
      if (!isReady && elapsed >= readyAfter) {
        await this.patchStatus(pod, runningStatus(pod, pod.status.podIP, nodeAddress(n.spec.name), nowStamp(), true));
      }
      const waits = [!isReady ? readyAfter - elapsed : Infinity, finite ? runFor - elapsed : Infinity].filter((w) => w > 0 && w !== Infinity);
      return waits.length ? { requeueAfterMs: Math.min(...waits) } : undefined;
    } catch (err) {
      if (isNotFound(err)) return;
      if (isConflict(err)) return { requeueAfterMs: 10 };
      throw err;
    }
  }

  private async terminate(key: string, pod: KObject, now: number): Promise<{ requeueAfterMs?: number } | void> {
    let since = this.terminatingSince.get(key);
    if (since === undefined) this.terminatingSince.set(key, (since = now));
    const grace = (pod.metadata.deletionGracePeriodSeconds ?? 30) * 1000;
    const stopAfter = Math.min(annotationNumber(pod, simAnnotations.stopSeconds, 0) * 1000, grace);
    if (now - since < stopAfter) return { requeueAfterMs: stopAfter - (now - since) };
    try {
      await this.client.resource(podsRes).delete(pod.metadata.namespace!, pod.metadata.name!, { gracePeriodSeconds: 0, preconditions: { uid: pod.metadata.uid } });
    } catch (err) {
      if (!isNotFound(err) && !isConflict(err)) throw err;
    }
    this.forgetPod(pod);
  }
}

/** Builds node specs `prefix0..prefix{count-1}` with the same shape. */
export function simNodeSpecs(o: {
  count: number;
  namePrefix: string;
  startIndex?: number;
  cpu: string;
  memory: string;
  pods: number;
  labels: Record<string, string>;
  taints: SimNodeSpec["taints"];
}): SimNodeSpec[] {
  const start = o.startIndex ?? 0;
  return Array.from({ length: o.count }, (_, i) => ({
    name: `${o.namePrefix}${start + i}`,
    index: start + i,
    cpu: o.cpu,
    memory: o.memory,
    pods: o.pods,
    labels: { ...o.labels },
    taints: o.taints.map((t) => ({ ...t })),
  }));
}
