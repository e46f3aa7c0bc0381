/**
 * Node registration and heartbeats: creates (or reconciles) this kubelet's
 * Node object — labels, addresses, capacity/allocatable, nodeInfo, daemon
 * endpoint, images (largest first, at most 50) — keeps its conditions
 * current (Ready only once the runtime answers and the pod network is
 * configured; Memory/Disk/PIDPressure from the eviction signals measured on
 * every status update, see pressure.ts), renews the node Lease
 * in kube-node-lease, and waits for spec.podCIDR (from the nodeipam
 * controller) to write the node's CNI config.
 */
import { createHash } from "node:crypto";
import { readFileSync, statfsSync } from "node:fs";
import { arch, cpus, release, totalmem } from "node:os";
import { join } from "node:path";
import { findResource } from "../api/resources.ts";
import type { KObject } from "../api/types.ts";
import { isAlreadyExists, isNotFound, type ApiClient } from "../client/index.ts";
import { kubeVersion } from "../api/version.ts";
import type { Logger } from "../machinery/log.ts";
import { rfc3339 } from "../machinery/time.ts";
import type { ReclaimResult } from "../network/rangeconflicts.ts";
import type { CriClient } from "./cri/client.ts";
import { imageFsMountpoint } from "./imagegc.ts";
import { measureNodeSignals, pressureConditions, PressureTracker, type NodeSignals, type PressureCondition, type Thresholds } from "./pressure.ts";

const nodesRes = findResource("", "v1", "nodes")!;
const leasesRes = findResource("coordination.k8s.io", "v1", "leases")!;

export interface NodeManagerOptions {
  client: ApiClient;
  cri: CriClient;
  nodeName: string;
  nodeIP: string;
  port: number;
  maxPods: number;
  rootDir: string;
  /** Where to write the CNI conflist once the pod CIDR is known; no CNI handling when absent. */
  cniConfDir?: string;
  /** node capacity (cpu, memory, ephemeral-storage); measured when absent. */
  capacity?: () => Record<string, string>;
  writeCni?: (o: { confDir: string; networkName: string; bridge: string; podCidr: string; ipamDataDir: string }) => Promise<string>;
  /**
   * Called with the pod CIDR and the node's bridge before the CNI config is
   * written: removes idle bridges of earlier agents that hold addresses in the
   * range and returns them, with the interfaces it left that still do.
   */
  reclaimPodRange?: (podCidr: string, bridge: string) => Promise<ReclaimResult>;
  statusIntervalMs?: number;
  leaseIntervalMs?: number;
  /** Measures the eviction signals (default: /proc and statfs of rootDir and the image filesystem). */
  signals?: () => NodeSignals | Promise<NodeSignals>;
  /** Hard eviction thresholds for the pressure conditions (default DEFAULT_EVICTION_HARD). */
  evictionHard?: Thresholds;
  /** How long a pressure condition stays True after its threshold was last met (default 5 min). */
  pressureTransitionMs?: number;
  /** Node events (NodeHasSufficientMemory, NodeHasDiskPressure, ...). */
  onEvent?(type: "Normal" | "Warning", reason: string, message: string): void;
  /** Time source of the pressure transition period (default Date.now). */
  now?: () => number;
  log: Logger;
}

/** upstream's nodeStatusMaxImages and the names kept per image. */
const MAX_IMAGES = 50;
const MAX_NAMES_PER_IMAGE = 5;

/** Kubernetes' name for Node's architecture. */
export function goArch(a: string = arch()): string {
  return a === "x64" ? "amd64" : a === "ia32" ? "386" : a;
}

function readTrim(path: string): string {
  try {
    return readFileSync(path, "utf8").trim();
  } catch {
    return "";
  }
}

function osImage(): string {
  const text = readTrim("/etc/os-release");
  const m = /^PRETTY_NAME="?([^"\n]*)"?/m.exec(text);
  return m?.[1] ?? "Linux";
}

/** Capacity measured from the host (used when the cgroups module gives none). */
export function hostCapacity(rootDir: string): Record<string, string> {
  let storage = "0";
  try {
    const s = statfsSync(rootDir);
    storage = `${Math.floor((s.blocks * s.bsize) / 1024)}Ki`;
  } catch {
    /* unknown */
  }
  return { cpu: String(cpus().length), memory: `${Math.floor(totalmem() / 1024)}Ki`, "ephemeral-storage": storage };
}

/** Event reasons of each pressure condition: [when False, when True]. */
const nodeEventReason: Record<PressureCondition, [string, string]> = {
  MemoryPressure: ["NodeHasSufficientMemory", "NodeHasInsufficientMemory"],
  DiskPressure: ["NodeHasNoDiskPressure", "NodeHasDiskPressure"],
  PIDPressure: ["NodeHasSufficientPID", "NodeHasInsufficientPID"],
};

/** The per-node CNI bridge device (≤15 chars) and network name. */
export function cniNames(nodeName: string): { bridge: string; networkName: string } {
  const h = createHash("sha256").update(nodeName).digest("hex").slice(0, 8);
  return { bridge: `tsk${h}`, networkName: `tskube-${nodeName.replace(/[^A-Za-z0-9_.-]/g, "-")}` };
}

function microTime(): string {
  return new Date().toISOString().replace("Z", "000Z");
}

/** Registers the node and keeps its status and Lease fresh. */
export class NodeManager {
  #port: number | undefined;
  #o: NodeManagerOptions;
  #uid: string | undefined;
  #podCidr: string | undefined;
  #cniWritten = false;
  #runtimeVersion = "containerd://unknown";
  #runtimeReady = false;
  #netReady = false;
  #runtimeMessage = "container runtime is down";
  #netMessage = "container runtime network not ready";
  #lastConditions: Record<string, any>[] = [];
  readonly #pressureTracker: PressureTracker;
  #pressure = new Set<PressureCondition>();
  #pressureMeasured = false;
  #lastStatusJson = "";
  #lastStatusAt = 0;
  #timers: NodeJS.Timeout[] = [];
  #stopped = false;
  #busy = false;

  constructor(o: NodeManagerOptions) {
    this.#o = { ...o };
    this.#pressureTracker = new PressureTracker({ thresholds: o.evictionHard, transitionMs: o.pressureTransitionMs });
  }


  /** Sets the port the kubelet API actually listens on (reported in status.daemonEndpoints; before start). */
  setKubeletPort(port: number): void {
    this.#port = port;
  }

  /** Sets the capacity source (before start). */
  setCapacity(fn: (() => Record<string, string>) | undefined): void {
    if (fn) this.#o.capacity = fn;
  }

  /** True once the runtime answers and the pod network is configured. */
  ready(): boolean {
    return this.#runtimeReady && this.#netReady && (this.#cniWritten || !this.#o.cniConfDir);
  }

  podCidr(): string | undefined {
    return this.#podCidr;
  }

  /** Registers the node (retrying until it works or stop()), then starts heartbeats. */
  async start(): Promise<void> {
    for (let i = 0; !this.#stopped; i++) {
      try {
        await this.#checkRuntime();
        await this.#register();
        break;
      } catch (err) {
        this.#o.log.warn("node registration failed, retrying", { error: String((err as Error).message ?? err) });
        await new Promise((r) => setTimeout(r, Math.min(7000, 500 * 2 ** i)));
      }
    }
    if (this.#stopped) return;
    await this.#tick().catch(() => undefined);
    this.#timers.push(setInterval(() => void this.#renewLease().catch((err) => this.#o.log.warn("lease renewal failed", { error: String(err) })), this.#o.leaseIntervalMs ?? 10_000));
    this.#timers.push(setInterval(() => void this.#tick(), this.#o.statusIntervalMs ?? 10_000));
    this.#timers.push(setInterval(() => { if (!this.ready()) void this.#tick(); }, 1000));
  }

  stop(): void {
    this.#stopped = true;
    for (const t of this.#timers) clearInterval(t);
    this.#timers = [];
  }

  async #tick(): Promise<void> {
    if (this.#busy || this.#stopped) return;
    this.#busy = true;
    try {
      await this.#checkRuntime();
      await this.#ensureCni();
      await this.#measurePressure();
      await this.#updateStatus();
    } catch (err) {
      this.#o.log.warn("node status update failed", { error: String((err as Error).message ?? err) });
    } finally {
      this.#busy = false;
    }
  }

  async #checkRuntime(): Promise<void> {
    try {
      const v = await this.#o.cri.runtime.Version({}, 5000);
      this.#runtimeVersion = `${v.runtime_name || "containerd"}://${v.runtime_version}`;
      const st = await this.#o.cri.runtime.Status({}, 5000);
      const conds: any[] = st.status?.conditions ?? [];
      const rt = conds.find((c) => c.type === "RuntimeReady");
      this.#runtimeReady = !rt || rt.status === true;
      this.#runtimeMessage = this.#runtimeReady ? "" : `container runtime not ready: ${rt?.reason ?? ""} ${rt?.message ?? ""}`;
      const net = conds.find((c) => c.type === "NetworkReady");
      this.#netReady = !net || net.status === true;
      if (!this.#netReady) this.#netMessage = `container runtime network not ready: NetworkReady=false reason:${net.reason} message:${net.message}`;
    } catch (err) {
      this.#runtimeReady = false;
      this.#runtimeMessage = `container runtime is down: ${(err as Error).message}`;
    }
  }

  async #ensureCni(): Promise<void> {
    if (this.#cniWritten || !this.#o.cniConfDir) return;
    if (!this.#podCidr) {
      const node = await this.#o.client.resource(nodesRes).get("", this.#o.nodeName);
      this.#podCidr = node.spec?.podCIDR;
    }
    if (!this.#podCidr) return;
    const write = this.#o.writeCni ?? (await import("../network/cni.ts")).writeCniConfig;
    const { bridge, networkName } = cniNames(this.#o.nodeName);
    if (this.#o.reclaimPodRange) this.#reportReclaim(this.#podCidr, await this.#o.reclaimPodRange(this.#podCidr, bridge));
    await write({ confDir: this.#o.cniConfDir, networkName, bridge, podCidr: this.#podCidr, ipamDataDir: join(this.#o.rootDir, "cni-ipam") });
    this.#cniWritten = true;
    this.#o.log.info("pod network configured", { podCIDR: this.#podCidr, bridge });
  }

  #reportReclaim(podCidr: string, r: ReclaimResult): void {
    for (const ifname of r.removed) this.#o.log.info("removed an idle bridge left by an earlier agent: it held addresses in this node's pod range", { bridge: ifname, podCIDR: podCidr });
    for (const h of r.conflicts) {
      const message = `interface ${h.ifname} holds ${h.address}, inside this node's pod range ${podCidr}: traffic to pods may be routed there instead of to the pod network`;
      this.#o.log.warn(message);
      this.#o.onEvent?.("Warning", "PodCIDRConflict", message);
    }
  }

  /** The node's active pressure conditions (as last measured). */
  pressure(): PressureCondition[] {
    return [...this.#pressure];
  }

  /** Node events for the pressure conditions: all of them the first time, then the ones that changed. */
  #reportPressure(before: Set<PressureCondition> | undefined): void {
    if (!this.#o.onEvent) return;
    for (const c of ["MemoryPressure", "DiskPressure", "PIDPressure"] as const) {
      const now = this.#pressure.has(c);
      if (before !== undefined && before.has(c) === now) continue;
      const reason = nodeEventReason[c][now ? 1 : 0];
      this.#o.onEvent("Normal", reason, `Node ${this.#o.nodeName} status is now: ${reason}`);
    }
  }

  async #measurePressure(): Promise<void> {
    const before = this.#pressureMeasured ? new Set(this.#pressure) : undefined;
    this.#pressureMeasured = true;
    try {
      await this.#measurePressureOnce();
    } finally {
      this.#reportPressure(before);
    }
  }

  async #measurePressureOnce(): Promise<void> {
    const now = this.#o.now?.() ?? Date.now();
    try {
      const signals = this.#o.signals ? await this.#o.signals() : measureNodeSignals(this.#o.rootDir, await imageFsMountpoint(this.#o.cri));
      this.#pressure = this.#pressureTracker.update(signals, now);
    } catch (err) {
      this.#o.log.warn("measuring eviction signals failed", { error: String((err as Error).message ?? err) });
      this.#pressure = this.#pressureTracker.active(now);
    }
  }

  #capacity(): Record<string, string> {
    const c = this.#o.capacity?.() ?? hostCapacity(this.#o.rootDir);
    return { ...c, pods: String(this.#o.maxPods) };
  }

  #conditions(now: string): Record<string, any>[] {
    const ready = this.ready();
    const readyMsg = ready
      ? "kubelet is posting ready status"
      : this.#runtimeReady
        ? this.#netMessage
        : this.#runtimeMessage;
    const want = [
      ...pressureConditions(this.#pressure),
      { type: "Ready", status: ready ? "True" : "False", reason: ready ? "KubeletReady" : "KubeletNotReady", message: readyMsg },
    ];
    return want.map((c) => {
      const prev = this.#lastConditions.find((p) => p.type === c.type);
      return { ...c, lastHeartbeatTime: now, lastTransitionTime: prev && prev.status === c.status ? prev.lastTransitionTime : now };
    });
  }

  async #images(): Promise<Record<string, unknown>[]> {
    try {
      const res = await this.#o.cri.image.ListImages({}, 10_000);
      return (res.images ?? [])
        .map((i: any) => ({ names: [...(i.repo_digests ?? []), ...(i.repo_tags ?? [])].slice(0, MAX_NAMES_PER_IMAGE), sizeBytes: Number(i.size ?? 0) }))
        .filter((i: any) => i.names.length)
        .sort((a: any, b: any) => b.sizeBytes - a.sizeBytes)
        .slice(0, MAX_IMAGES);
    } catch {
      return [];
    }
  }

  #statusBody(now: string, images: Record<string, unknown>[]): Record<string, any> {
    const cap = this.#capacity();
    const machineID = readTrim("/etc/machine-id") || this.#o.nodeName;
    return {
      capacity: cap,
      allocatable: cap,
      conditions: this.#conditions(now),
      addresses: [
        { type: "InternalIP", address: this.#o.nodeIP },
        { type: "Hostname", address: this.#o.nodeName },
      ],
      daemonEndpoints: { kubeletEndpoint: { Port: this.#port ?? this.#o.port } },
      nodeInfo: {
        machineID,
        systemUUID: readTrim("/sys/class/dmi/id/product_uuid") || machineID,
        bootID: readTrim("/proc/sys/kernel/random/boot_id"),
        kernelVersion: release(),
        osImage: osImage(),
        containerRuntimeVersion: this.#runtimeVersion,
        kubeletVersion: kubeVersion.gitVersion,
        kubeProxyVersion: kubeVersion.gitVersion,
        operatingSystem: "linux",
        architecture: goArch(),
      },
      images,
    };
  }

  async #register(): Promise<void> {
    const nodes = this.#o.client.resource(nodesRes);
    const now = rfc3339();
    const labels = {
      "kubernetes.io/hostname": this.#o.nodeName,
      "kubernetes.io/os": "linux",
      "kubernetes.io/arch": goArch(),
      "beta.kubernetes.io/os": "linux",
      "beta.kubernetes.io/arch": goArch(),
    };
    await this.#measurePressure();
    const status = this.#statusBody(now, await this.#images());
    let node: KObject;
    try {
      node = await nodes.create("", { apiVersion: "v1", kind: "Node", metadata: { name: this.#o.nodeName, labels }, spec: {}, status });
      this.#o.log.info("node registered", { node: this.#o.nodeName });
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
      node = await nodes.patch("", this.#o.nodeName, "merge", { metadata: { labels } });
      this.#lastConditions = node.status?.conditions ?? [];
    }
    this.#uid = node.metadata.uid;
    this.#podCidr = node.spec?.podCIDR;
    await this.#renewLease();
  }

  async #updateStatus(): Promise<void> {
    const now = rfc3339();
    const body = this.#statusBody(now, await this.#images());
    const cmp = JSON.stringify({ ...body, conditions: body.conditions.map((c: any) => ({ ...c, lastHeartbeatTime: "" })) });
    if (cmp === this.#lastStatusJson && Date.now() - this.#lastStatusAt < 60_000) return;
    await this.#o.client.resource(nodesRes).patch("", this.#o.nodeName, "merge", { status: body }, { subresource: "status" });
    this.#lastConditions = body.conditions;
    this.#lastStatusJson = cmp;
    this.#lastStatusAt = Date.now();
  }

  async #renewLease(): Promise<void> {
    if (this.#stopped) return;
    const leases = this.#o.client.resource(leasesRes);
    const now = microTime();
    const spec = { holderIdentity: this.#o.nodeName, renewTime: now, leaseDurationSeconds: 40 };
    try {
      await leases.patch("kube-node-lease", this.#o.nodeName, "merge", { spec });
    } catch (err) {
      if (!isNotFound(err)) throw err;
      await leases.create("kube-node-lease", {
        apiVersion: "coordination.k8s.io/v1",
        kind: "Lease",
        metadata: { name: this.#o.nodeName, namespace: "kube-node-lease", ownerReferences: this.#uid ? [{ apiVersion: "v1", kind: "Node", name: this.#o.nodeName, uid: this.#uid }] : undefined },
        spec,
      });
    }
  }
}
