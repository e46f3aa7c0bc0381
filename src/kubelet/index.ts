/**
 * The kubelet: registers the Node, watches the pods bound to it (plus static
 * pods from a manifest directory), and drives containerd over CRI so the
 * runtime matches them. Pod workers (one WorkQueue keyed by pod uid: never two
 * syncs of one pod at once, latest spec wins) run sync.ts; a relist of the
 * runtime every second (PLEG) notices container exits and syncs the pods
 * that changed; the status manager reports pod status; terminated pods are
 * deleted from the API once their containers are gone. New pods pass
 * admission (maxPods; rejected ones fail with OutOfpods and never start);
 * pods past spec.activeDeadlineSeconds fail with DeadlineExceeded and are
 * killed. A GC timer removes dead containers and, when the image filesystem
 * is full, unused images. `startKubelet` wires it all and returns the
 * KubeletView for the kubelet HTTP server.
 */
import { hostname, networkInterfaces } from "node:os";
import { join } from "node:path";
import { findResource } from "../api/resources.ts";
import {
  ApiClient,
  EventRecorder,
  Informer,
  isConflict,
  isNotFound,
  loadKubeconfig,
  realClock,
  runWorkers,
  WorkQueue,
  type Clock,
} from "../client/index.ts";
import { log as rootLog, type Logger } from "../machinery/log.ts";
import { badRequest, StatusError } from "../machinery/errors.ts";
import { reclaimPodRange } from "../network/rangeconflicts.ts";
import { PodAdmission } from "./admission.ts";
import { containerLogPath, podGracePeriod } from "./config.ts";
import { connectCri, type CriClient } from "./cri/client.ts";
import { activeDeadlineRemaining, DEADLINE_EXCEEDED_MESSAGE, DEADLINE_EXCEEDED_REASON } from "./deadline.ts";
import { GarbageCollector } from "./gc.ts";
import { ImageGarbageCollector, type ImageFsUsage } from "./imagegc.ts";
import { NodeManager } from "./node.ts";
import type { NodeSignals, Thresholds } from "./pressure.ts";
import { podFingerprint, RuntimeLister, type RuntimePod } from "./runtime.ts";
import { loadServices, type KubeletServices } from "./services.ts";
import { ApiObjectSource } from "./source.ts";
import { StaticPods, MIRROR_ANNOTATION } from "./static.ts";
import { StatusManager } from "./statusmanager.ts";
import { startKubeletServer } from "./server/index.ts";
import { collectSummary, resourceMetricsText, type Summary } from "./stats/index.ts";
import { PodSyncer, type EventSink } from "./sync.ts";
import type { ContainerLocation, KubeletView, ObjectSource, Pod } from "./types.ts";

const podsRes = findResource("", "v1", "pods")!;

export interface KubeletOptions {
  /** Path of a kubeconfig, or a ready client (not closed by stop()). */
  kubeconfig?: string;
  client?: ApiClient;
  nodeName?: string;
  /** The node's InternalIP (default: first non-internal IPv4). */
  nodeIP?: string;
  /** CRI socket (unix:///...), or a connected client (tests). */
  criEndpoint?: string;
  cri?: CriClient;
  /** Kubelet state: pods/<uid> (volumes, /etc/hosts), logs/<ns>_<pod>_<uid> (container logs), cni-ipam. */
  rootDir: string;
  podManifestPath?: string;
  /** Cluster DNS servers (default 10.43.0.10). */
  clusterDNS?: string[];
  clusterDomain?: string;
  /** kubelet API port (default 10250; 0 picks one; -1 disables the server). */
  port?: number;
  healthzPort?: number;
  bindAddress?: string;
  maxPods?: number;
  /** Parent of the pod cgroups (default /tskube/<nodeName>). */
  cgroupRoot?: string;
  /** Where to write the node's CNI conflist once it has a pod CIDR; absent: the network is someone else's job. */
  cniConfDir?: string;
  /** CA that signs clients of the kubelet API (the cluster CA). */
  clientCAPem?: string;
  /** Serving certificate of the kubelet API (self-signed when absent). */
  serving?: { cert: string; key: string };
  /** Periodic resync of every pod (default 10 s). */
  syncFrequencyMs?: number;
  /** Runtime relist period (default 1 s). */
  relistMs?: number;
  /** Node status / Lease periods (default 10 s). */
  nodeStatusMs?: number;
  /** Measures the eviction signals behind Memory/Disk/PIDPressure (default: /proc and statfs). */
  nodeSignals?: () => NodeSignals | Promise<NodeSignals>;
  /** Hard eviction thresholds (default upstream's: memory.available<100Mi, nodefs.available<10%, ...). */
  evictionHard?: Thresholds;
  /** How long a pressure condition stays True after its threshold was last met (default 5 min). */
  evictionPressureTransitionMs?: number;
  /** Image GC thresholds, percent of the image filesystem (default 85 / 80). */
  imageGCHighThresholdPercent?: number;
  imageGCLowThresholdPercent?: number;
  /** Measures the image filesystem for image GC (default: statfs of CRI ImageFsInfo's mountpoint). */
  imageFs?: () => Promise<ImageFsUsage | undefined>;
  /** Period of container and image garbage collection (default 60 s). */
  gcPeriodMs?: number;
  /** Leaf services (tests inject fakes; default: the real modules). */
  services?: KubeletServices;
  clock?: Clock;
  /** Pod workers (default 8). */
  workers?: number;
  log?: Logger;
}

/** A running kubelet. */
export interface Kubelet extends KubeletView {
  nodeName: string;
  /** Ports of the kubelet server (undefined when it is not running). */
  ports?: { port: number; healthzPort: number };
  /** Stops the loops and the server; containers keep running. */
  stop(): Promise<void>;
}

/** The first non-internal IPv4 address of the host (127.0.0.1 when there is none). */
export function firstIPv4(): string {
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === "IPv4" && !a.internal) return a.address;
  }
  return "127.0.0.1";
}

/** Starts a kubelet. Resolves once the node is registered and the loops run. */
export async function startKubelet(opts: KubeletOptions): Promise<Kubelet> {
  const k = new KubeletImpl(opts);
  await k.start();
  return k;
}

class KubeletImpl implements Kubelet {
  readonly nodeName: string;
  readonly cri: CriClient;
  ports?: { port: number; healthzPort: number };
  readonly #o: KubeletOptions;
  readonly #log: Logger;
  readonly #client: ApiClient;
  readonly #ownClient: boolean;
  readonly #ownCri: boolean;
  readonly #clock: Clock;
  readonly #nodeIP: string;
  readonly #queue = new WorkQueue<string>({ baseDelayMs: 500, maxDelayMs: 30_000 });
  readonly #pods: Informer;
  readonly #lister: RuntimeLister;
  readonly #recorder: EventRecorder;
  readonly #source: ObjectSource;
  readonly #node: NodeManager;
  #services!: KubeletServices;
  #syncer!: PodSyncer;
  #status!: StatusManager;
  #static: StaticPods | undefined;
  #gc: GarbageCollector | undefined;
  #imageGc: ImageGarbageCollector | undefined;
  readonly #admission: PodAdmission;
  #runtimePods = new Map<string, RuntimePod>();
  #fingerprints = new Map<string, string>();
  readonly #terminatingSince = new Map<string, number>();
  #lastRelistOk = 0;
  #timers: NodeJS.Timeout[] = [];
  #workersDone: Promise<void> | undefined;
  #server: { close(): Promise<void> } | undefined;
  #relisting = false;
  #stopped = false;

  constructor(o: KubeletOptions) {
    this.#o = o;
    this.nodeName = o.nodeName ?? hostname().toLowerCase();
    this.#log = o.log ?? rootLog.child("kubelet");
    if (o.client) {
      this.#client = o.client;
      this.#ownClient = false;
    } else {
      if (!o.kubeconfig) throw new Error("startKubelet: kubeconfig or client is required");
      this.#client = new ApiClient(loadKubeconfig(o.kubeconfig), { userAgent: `tskube-kubelet/${this.nodeName}` });
      this.#ownClient = true;
    }
    if (o.cri) {
      this.cri = o.cri;
      this.#ownCri = false;
    } else {
      if (!o.criEndpoint) throw new Error("startKubelet: criEndpoint is required");
      this.cri = connectCri(o.criEndpoint);
      this.#ownCri = true;
    }
    this.#clock = o.clock ?? realClock;
    this.#nodeIP = o.nodeIP ?? firstIPv4();
    this.#lister = new RuntimeLister(this.cri);
    this.#recorder = new EventRecorder(this.#client, { component: "kubelet", host: this.nodeName });
    this.#source = new ApiObjectSource(this.#client);
    this.#pods = new Informer(this.#client.resource(podsRes), { fieldSelector: `spec.nodeName=${this.nodeName}` });
    this.#node = new NodeManager({
      client: this.#client,
      cri: this.cri,
      nodeName: this.nodeName,
      nodeIP: this.#nodeIP,
      port: o.port && o.port > 0 ? o.port : 10250,
      maxPods: o.maxPods ?? 110,
      rootDir: o.rootDir,
      cniConfDir: o.cniConfDir,
      reclaimPodRange: o.cniConfDir ? reclaimPodRange : undefined,
      statusIntervalMs: o.nodeStatusMs,
      leaseIntervalMs: o.nodeStatusMs,
      signals: o.nodeSignals,
      evictionHard: o.evictionHard,
      pressureTransitionMs: o.evictionPressureTransitionMs,
      now: () => this.#clock.now(),
      onEvent: (type, reason, message) => this.#recorder.event(this.#nodeRef(), type, reason, message),
      log: this.#log,
    });
    this.#admission = new PodAdmission({
      maxPods: o.maxPods ?? 110,
      pods: () => this.listPods(),
      phase: (p) => this.#status?.lastStatus(p.metadata.uid!)?.phase ?? p.status?.phase,
      inRuntime: (uid) => this.#runtimePods.has(uid),
      pressure: () => this.#node.pressure(),
      qosClass: (p) => this.#services.qosClass(p),
    });
  }

  async start(): Promise<void> {
    const o = this.#o;
    this.#services =
      o.services ??
      loadServices({
        podsDir: join(o.rootDir, "pods"),
        nodeName: this.nodeName,
        source: this.#source,
        cgroupRoot: o.cgroupRoot ?? `/tskube/${this.nodeName}`,
        clusterDNS: o.clusterDNS ?? ["10.43.0.10"],
        clusterDomain: o.clusterDomain ?? "cluster.local",
        exec: (id, cmd, timeout) => this.#exec(id, cmd, timeout),
        onLivenessFailure: (uid, name, id, message) => this.#onLivenessFailure(uid, name, id, message),
        onChange: (uid) => this.#queue.add(uid),
        onEvent: (pod, type, reason, message) => this.#recorder.event(this.#eventTarget(pod), type, reason, message),
      });
    const events: EventSink = { event: (pod, type, reason, message) => this.#recorder.event(this.#eventTarget(pod), type, reason, message) };
    this.#syncer = new PodSyncer({ cri: this.cri, clock: this.#clock, services: this.#services, events, rootDir: o.rootDir, log: this.#log, hostIP: this.#nodeIP });
    this.#status = new StatusManager({
      write: (pod, status) => this.#writeStatus(pod, status),
      probes: this.#services.probes,
      clock: this.#clock,
      hostIP: this.#nodeIP,
      qosClass: (pod) => this.#services.qosClass(pod),
      paths: (pod) => this.#syncer.paths(pod),
    });
    this.#node.setCapacity(this.#services.nodeCapacity);
    await this.#startServer();
    await this.#node.start();
    const enqueue = (p: Pod): void => {
      if (p.metadata.annotations?.[MIRROR_ANNOTATION]) this.#static?.mirrorChanged(p);
      else this.#queue.add(p.metadata.uid!);
    };
    this.#pods.addEventHandler({ onAdd: enqueue, onUpdate: (_o, n) => enqueue(n), onDelete: (p) => enqueue(p) });
    this.#pods.start();
    if (o.podManifestPath) {
      this.#static = new StaticPods({
        dir: o.podManifestPath,
        nodeName: this.nodeName,
        client: this.#client,
        mirrors: () => this.#pods.lister().list().filter((p) => p.metadata.annotations?.[MIRROR_ANNOTATION]),
        nodeUid: () => undefined,
        onChange: (uid) => this.#queue.add(uid),
        log: this.#log,
      });
      await this.#static.start();
    }
    this.#gc = new GarbageCollector({ cri: this.cri, log: this.#log, isKnownPod: (uid) => !!this.#podFor(uid) });
    this.#workersDone = runWorkers(this.#queue, o.workers ?? 8, (uid) => this.#syncOne(uid), (m, f) => this.#log.warn(m, f));
    this.#timers.push(setInterval(() => void this.#relist(), o.relistMs ?? 1000));
    this.#timers.push(setInterval(() => this.#resyncAll(), o.syncFrequencyMs ?? 10_000));
    this.#imageGc = new ImageGarbageCollector({
      cri: this.cri,
      log: this.#log,
      clock: this.#clock,
      highThresholdPercent: o.imageGCHighThresholdPercent,
      lowThresholdPercent: o.imageGCLowThresholdPercent,
      imageFs: o.imageFs,
    });
    this.#timers.push(setInterval(() => void this.#collectGarbage(), o.gcPeriodMs ?? 60_000));
    await this.#relist();
    this.#log.info("kubelet started", { node: this.nodeName, rootDir: o.rootDir });
  }

  async #collectGarbage(): Promise<void> {
    try {
      await this.#gc?.run(this.#runtimePods);
    } catch (err) {
      this.#log.warn("garbage collection failed", { error: String(err) });
    }
    try {
      await this.#imageGc?.run();
    } catch (err) {
      this.#log.warn("image garbage collection failed", { error: String(err) });
    }
  }

  async #startServer(): Promise<void> {
    const o = this.#o;
    if (o.port === -1) return;
    const srv = await startKubeletServer(this, {
      bindAddress: o.bindAddress ?? "0.0.0.0",
      port: o.port ?? 10250,
      healthzPort: o.healthzPort ?? 10248,
      clientCAPem: o.clientCAPem ?? "",
      serving: o.serving,
    });
    this.#server = srv;
    this.ports = { port: srv.port, healthzPort: srv.healthzPort };
    this.#node.setKubeletPort(srv.port);
  }

  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    for (const t of this.#timers) clearInterval(t);
    this.#node.stop();
    this.#static?.stop();
    this.#pods.stop();
    this.#queue.shutDown();
    await this.#workersDone;
    this.#services?.probes.stop();
    await this.#server?.close().catch(() => undefined);
    await this.#recorder.flush().catch(() => undefined);
    if (this.#ownCri) this.cri.close();
    if (this.#ownClient) this.#client.close();
  }

  // ---- pods ----

  /** The pod to run for a uid: an API pod bound here (not a mirror pod) or a static pod. */
  #podFor(uid: string): Pod | undefined {
    const s = this.#static?.get(uid);
    if (s) return s;
    return this.#apiPodByUid(uid);
  }

  #apiPodByUid(uid: string): Pod | undefined {
    for (const p of this.#pods.lister().list()) if (p.metadata.uid === uid && !p.metadata.annotations?.[MIRROR_ANNOTATION]) return p;
    return undefined;
  }

  listPods(): Pod[] {
    const api = this.#pods.lister().list().filter((p) => !p.metadata.annotations?.[MIRROR_ANNOTATION]);
    return [...api, ...(this.#static?.list() ?? [])];
  }

  /** The Node as an event's involved object (upstream's kubelet uses the node name as its uid). */
  #nodeRef(): Pod {
    return { apiVersion: "v1", kind: "Node", metadata: { name: this.nodeName, uid: this.nodeName } } as Pod;
  }

  #eventTarget(pod: Pod): Pod {
    return this.#static?.mirrorFor(pod) ?? pod;
  }

  #resyncAll(): void {
    for (const p of this.listPods()) this.#queue.add(p.metadata.uid!);
  }

  async #relist(): Promise<void> {
    if (this.#relisting || this.#stopped) return;
    this.#relisting = true;
    try {
      const pods = await this.#lister.list();
      this.#runtimePods = pods;
      this.#lastRelistOk = Date.now();
      const seen = new Set<string>();
      for (const [uid, rp] of pods) {
        seen.add(uid);
        const fp = podFingerprint(rp);
        if (this.#fingerprints.get(uid) !== fp) {
          this.#fingerprints.set(uid, fp);
          this.#queue.add(uid);
        }
      }
      for (const uid of this.#fingerprints.keys()) {
        if (!seen.has(uid)) {
          this.#fingerprints.delete(uid);
          this.#queue.add(uid);
        }
      }
    } catch (err) {
      this.#log.warn("runtime relist failed", { error: String((err as Error).message ?? err) });
    } finally {
      this.#relisting = false;
    }
  }

  #onLivenessFailure(uid: string, name: string, id: string, message: string): void {
    this.#syncer.livenessFailed.set(id, message);
    this.#log.info("liveness probe failed", { pod: uid, container: name, message });
    this.#queue.add(uid);
  }

  async #exec(containerId: string, cmd: string[], timeoutSeconds: number): Promise<{ exitCode: number; stdout: string; stderr: string }> {
    const res = await this.cri.runtime.ExecSync({ container_id: containerId, cmd, timeout: String(timeoutSeconds) }, (timeoutSeconds + 5) * 1000);
    return { exitCode: Number(res.exit_code ?? 0), stdout: Buffer.from(res.stdout ?? "").toString("utf8"), stderr: Buffer.from(res.stderr ?? "").toString("utf8") };
  }

  async #syncOne(uid: string): Promise<{ requeueAfterMs?: number } | void> {
    if (this.#stopped) return;
    const pod = this.#podFor(uid);
    const rp = await this.#lister.listPod(uid);
    if (!pod) {
      if (!this.#pods.hasSynced() || (this.#static && !this.#static.hasSynced())) return { requeueAfterMs: 500 };
      if (rp) {
        this.#log.info("removing pod no longer bound to this node", { uid, pod: `${rp.namespace}/${rp.name}` });
        await this.#syncer.killPod(undefined, rp, 2, true);
      }
      this.#syncer.forget(uid);
      this.#status.forget(uid, rp);
      this.#admission.forget(uid);
      this.#terminatingSince.delete(uid);
      return;
    }
    if (pod.metadata.deletionTimestamp || this.#static?.isTerminating(uid)) return this.#terminate(pod, rp);
    const phase = this.#status.lastStatus(uid)?.phase ?? pod.status?.phase;
    if (phase !== "Succeeded" && phase !== "Failed") {
      const adm = this.#admission.admit(pod);
      if (!adm.admit) return this.#reject(pod, adm.reason!, adm.message!);
      const left = this.#deadlineRemaining(pod);
      if (left !== undefined && left <= 0) return this.#deadlineExceeded(pod, rp);
    }
    if (phase === "Succeeded" || phase === "Failed") {
      const alive = rp && (rp.containers.some((c) => c.state === "CONTAINER_RUNNING") || rp.sandboxes.some((s) => s.state === "SANDBOX_READY"));
      if (alive) {
        await this.#syncer.killPod(pod, rp, podGracePeriod(pod), false);
        await this.#status.update(pod, await this.#lister.listPod(uid), this.#syncer.waitingFor(uid));
      }
      return;
    }
    const out = await this.#syncer.sync(pod, rp);
    const after = await this.#lister.listPod(uid);
    const st = await this.#status.update(this.#statusTarget(pod), after, this.#syncer.waitingFor(uid));
    if (st.phase === "Succeeded" || st.phase === "Failed") this.#queue.add(uid);
    // Wake up at the active deadline (far-off deadlines are left to the periodic resync; timers cap at ~24 days).
    const left = this.#deadlineRemaining(pod);
    if (left !== undefined && left < 600_000) return { requeueAfterMs: Math.max(1, Math.min(left, out.requeueAfterMs ?? Infinity)) };
    return out;
  }

  /** A pod rejected at admission: Failed with the reason, a Warning event; never started. */
  async #reject(pod: Pod, reason: string, message: string): Promise<void> {
    const uid = pod.metadata.uid!;
    if (this.#status.lastStatus(uid)?.phase === "Failed") return;
    this.#log.info("pod rejected at admission", { pod: `${pod.metadata.namespace}/${pod.metadata.name}`, reason, message });
    this.#recorder.event(this.#eventTarget(pod), "Warning", reason, message);
    await this.#status.reject(this.#statusTarget(pod), reason, message);
  }

  /** ms before the pod passes spec.activeDeadlineSeconds (undefined: no deadline or not started). */
  #deadlineRemaining(pod: Pod): number | undefined {
    const startTime = this.#status.lastStatus(pod.metadata.uid!)?.startTime ?? this.#statusTarget(pod).status?.startTime;
    return activeDeadlineRemaining(pod, startTime, this.#clock.now());
  }

  /** Fails a pod past its active deadline (event DeadlineExceeded) and kills it. */
  async #deadlineExceeded(pod: Pod, rp: RuntimePod | undefined): Promise<void> {
    const uid = pod.metadata.uid!;
    if (this.#status.markFailed(uid, DEADLINE_EXCEEDED_REASON, DEADLINE_EXCEEDED_MESSAGE)) {
      this.#log.info("pod past its active deadline, killing it", { pod: `${pod.metadata.namespace}/${pod.metadata.name}`, activeDeadlineSeconds: pod.spec?.activeDeadlineSeconds });
      this.#recorder.event(this.#eventTarget(pod), "Normal", DEADLINE_EXCEEDED_REASON, DEADLINE_EXCEEDED_MESSAGE);
    }
    await this.#syncer.killPod(pod, rp, podGracePeriod(pod), false);
    await this.#status.update(this.#statusTarget(pod), await this.#lister.listPod(uid), this.#syncer.waitingFor(uid));
  }

  /** The pod whose status is written (the mirror pod for static pods). */
  #statusTarget(pod: Pod): Pod {
    const mirror = this.#static?.mirrorFor(pod);
    return mirror ? { ...pod, status: mirror.status } : pod;
  }

  async #terminate(pod: Pod, rp: RuntimePod | undefined): Promise<{ requeueAfterMs?: number } | void> {
    const uid = pod.metadata.uid!;
    const now = this.#clock.now();
    let since = this.#terminatingSince.get(uid);
    if (since === undefined) this.#terminatingSince.set(uid, (since = now));
    const grace = pod.metadata.deletionGracePeriodSeconds ?? podGracePeriod(pod);
    const remaining = Math.max(0, Math.ceil(grace - (now - since) / 1000));
    await this.#syncer.killPod(pod, rp, remaining, false);
    const stopped = await this.#lister.listPod(uid);
    if (!this.#static?.get(uid)) {
      await this.#status.update(pod, stopped, this.#syncer.waitingFor(uid), true).catch(() => undefined);
    }
    await this.#syncer.killPod(pod, stopped, 0, true);
    if (this.#static?.get(uid)) {
      await this.#static.terminated(uid);
    } else {
      try {
        await this.#client.resource(podsRes).delete(pod.metadata.namespace!, pod.metadata.name!, { gracePeriodSeconds: 0, preconditions: { uid } });
      } catch (err) {
        if (!isNotFound(err) && !isConflict(err)) throw err;
      }
    }
    this.#syncer.forget(uid);
    this.#status.forget(uid, rp);
    this.#admission.forget(uid);
    this.#terminatingSince.delete(uid);
  }

  async #writeStatus(pod: Pod, status: Record<string, any>): Promise<void> {
    try {
      await this.#client.resource(podsRes).patch(pod.metadata.namespace!, pod.metadata.name!, "merge", { status }, { subresource: "status" });
    } catch (err) {
      if (isNotFound(err)) return;
      throw err;
    }
  }

  // ---- KubeletView ----

  #findPod(namespace: string, podName: string): Pod {
    const pod = this.listPods().find((p) => p.metadata.namespace === namespace && p.metadata.name === podName);
    if (!pod) throw new StatusError("NotFound", `pods "${podName}" not found`, { name: podName, kind: "pods" }, 404);
    return pod;
  }

  async findContainer(namespace: string, podName: string, container: string | undefined, previous = false): Promise<ContainerLocation> {
    const pod = this.#findPod(namespace, podName);
    const specs: { name: string }[] = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])];
    let name = container;
    if (!name) {
      const apps: { name: string }[] = pod.spec?.containers ?? [];
      if (apps.length !== 1) throw badRequest(`a container name must be specified for pod ${podName}, choose one of: [${apps.map((c) => c.name).join(" ")}]`);
      name = apps[0].name;
    }
    if (!specs.some((c) => c.name === name)) throw badRequest(`container ${name} is not valid for pod ${podName}`);
    const rp = (await this.#lister.listPod(pod.metadata.uid!)) ?? this.#runtimePods.get(pod.metadata.uid!);
    const instances = rp?.containers.filter((c) => c.name === name) ?? [];
    const c = previous ? instances[1] : instances[0];
    if (!c) {
      if (previous) throw badRequest(`previous terminated container "${name}" in pod "${podName}" not found`);
      throw badRequest(`container "${name}" in pod "${podName}" is waiting to start: ${waitingText(pod, name)}`);
    }
    const logDir = this.#syncer.paths(pod).logDir;
    return { podUid: pod.metadata.uid!, podSandboxId: c.sandboxId, containerId: c.id, containerName: name, logPath: c.logPath || join(logDir, containerLogPath(name, c.attempt)) };
  }

  async findSandbox(namespace: string, podName: string): Promise<string> {
    const pod = this.#findPod(namespace, podName);
    const rp = await this.#lister.listPod(pod.metadata.uid!);
    const sb = rp?.sandboxes.find((s) => s.state === "SANDBOX_READY");
    if (!sb) throw badRequest(`pod ${podName} is not running`);
    return sb.id;
  }

  async statsSummary(): Promise<Summary> {
    return collectSummary({ nodeName: this.nodeName, pods: this.listPods(), cri: this.cri, cgroupRoot: this.#o.cgroupRoot ?? `/tskube/${this.nodeName}`, rootDir: this.#o.rootDir });
  }

  async resourceMetrics(): Promise<string> {
    return resourceMetricsText(await this.statsSummary());
  }

  healthy(): boolean {
    return !this.#stopped && Date.now() - this.#lastRelistOk < 3 * 60_000;
  }
}

export type { KubeletView } from "./types.ts";

/** Why a container without an instance is waiting, in upstream's words for `kubectl logs`. */
function waitingText(pod: Pod, name: string): string {
  const statuses: any[] = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? []), ...(pod.status?.ephemeralContainerStatuses ?? [])];
  const reason: string = statuses.find((s) => s.name === name)?.state?.waiting?.reason ?? "ContainerCreating";
  if (reason === "ErrImagePull") return "image can't be pulled";
  if (reason === "ImagePullBackOff") return "trying and failing to pull image";
  return reason;
}
