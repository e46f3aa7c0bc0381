/**
 * The pod sync: compares a pod's spec with what the runtime holds and acts
 * like upstream's kuberuntime SyncPod — (re)create the sandbox, write
 * /etc/hosts, run init containers one at a time (sidecars, i.e. init
 * containers with restartPolicy Always, are started and kept running), then
 * start app containers; restart exited ones under the restart policy with
 * CrashLoopBackOff, restart containers whose liveness probe failed or whose
 * spec changed. Also kills pods (preStop hooks, StopContainer with the
 * remaining grace period) and removes them. Never runs two syncs of one pod
 * at once: the caller (pod workers) guarantees that.
 */
import { mkdir, rm, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import type { Clock } from "../client/clock.ts";
import type { Logger } from "../machinery/log.ts";
import { Backoff } from "./backoff.ts";
import { containerConfig, podGracePeriod, podPaths, pullPolicy, sandboxConfig, terminationLogPath, type PodPaths } from "./config.ts";
import { isNotFound, type CriClient, type CriMessage } from "./cri/client.ts";
import { ANN_GRACE_PERIOD, ANN_PRESTOP, containerHash, latestContainer, type RuntimeContainer, type RuntimePod } from "./runtime.ts";
import type { KubeletServices } from "./services.ts";
import { isSidecar, type WaitingReason } from "./status.ts";
import { KubeletError, type ContainerSpec, type Pod } from "./types.ts";

/** Records events about pods (an EventRecorder or a fake). */
export interface EventSink {
  event(obj: Pod, type: "Normal" | "Warning", reason: string, message: string): void;
}

export interface PodSyncerOptions {
  cri: CriClient;
  clock: Clock;
  services: KubeletServices;
  events: EventSink;
  rootDir: string;
  log: Logger;
  /** Crash-loop back-off (default 10 s doubling to 300 s). */
  backoff?: Backoff;
  /** Image pull back-off (default 10 s doubling to 300 s). */
  imageBackoff?: Backoff;
  /** The node's IP (for status.hostIP field references). */
  hostIP?: string;
}

/** What one sync asks of the pod worker. */
export interface SyncOutcome {
  requeueAfterMs?: number;
}

const MIN_GRACE_SECONDS = 2;

/** Runs pod syncs and kills against one runtime. */
export class PodSyncer {
  readonly cri: CriClient;
  readonly #clock: Clock;
  readonly #svc: KubeletServices;
  readonly #events: EventSink;
  readonly #rootDir: string;
  readonly #log: Logger;
  readonly #hostIP: string;
  readonly backoff: Backoff;
  readonly imageBackoff: Backoff;
  /** uid → container name → why it is not running. */
  readonly waiting = new Map<string, Map<string, WaitingReason>>();
  /** container ids whose liveness probe failed (→ kill and restart). */
  readonly livenessFailed = new Map<string, string>();

  constructor(o: PodSyncerOptions) {
    this.cri = o.cri;
    this.#clock = o.clock;
    this.#svc = o.services;
    this.#events = o.events;
    this.#rootDir = o.rootDir;
    this.#log = o.log;
    this.#hostIP = o.hostIP ?? "";
    this.backoff = o.backoff ?? new Backoff({ clock: o.clock });
    this.imageBackoff = o.imageBackoff ?? new Backoff({ clock: o.clock });
  }

  paths(pod: { metadata: { uid?: string; name?: string; namespace?: string } }): PodPaths {
    return podPaths(this.#rootDir, pod);
  }

  waitingFor(uid: string): Map<string, WaitingReason> {
    let m = this.waiting.get(uid);
    if (!m) this.waiting.set(uid, (m = new Map()));
    return m;
  }

  /** Forgets per-pod state (after the pod is gone). */
  forget(uid: string): void {
    this.waiting.delete(uid);
    this.backoff.resetPrefix(`${uid}/`);
    this.imageBackoff.resetPrefix(`${uid}/`);
  }

  /** Brings the runtime in line with a live (not deleted, not terminal) pod. */
  async sync(pod: Pod, rp: RuntimePod | undefined): Promise<SyncOutcome> {
    const policy = pod.spec?.restartPolicy ?? "Always";
    const hostNetwork = !!pod.spec?.hostNetwork;
    const waits: number[] = [];
    let sb = rp?.sandboxes[0];
    const sandboxOk = !!sb && sb.state === "SANDBOX_READY" && (hostNetwork || !!sb.ip);
    let current: RuntimeContainer[] = [];

    const volumes = await this.#setUpVolumes(pod);
    if (!volumes) return { requeueAfterMs: 2000 };
    const paths = this.paths(pod);

    let cgroupParent = "";
    let podIP = hostNetwork ? "" : (sb?.ip ?? "");
    if (!sandboxOk) {
      if (sb && policy === "Never" && rp!.containers.some((c) => c.sandboxId === sb!.id && !this.#isInitKind(c))) {
        // upstream: a pod that must not restart does not get a new sandbox; it fails instead.
        await this.killPod(pod, rp, 0, false);
        return {};
      }
      if (rp) await this.killPod(pod, rp, podGracePeriod(pod), false, true);
      cgroupParent = await this.#svc.cgroups.ensurePod(pod);
      const attempt = sb ? sb.attempt + 1 : 0;
      await mkdir(paths.logDir, { recursive: true });
      const dns = await this.#svc.sandboxDnsConfig(pod);
      const cfg = sandboxConfig(pod, { attempt, logDir: paths.logDir, dns, cgroupParent });
      let id: string;
      try {
        id = (await this.cri.runtime.RunPodSandbox({ config: cfg })).pod_sandbox_id;
      } catch (err) {
        const msg = `Failed to create pod sandbox: ${(err as any)?.details ?? (err as Error).message}`;
        this.#events.event(pod, "Warning", "FailedCreatePodSandBox", msg);
        throw new Error(msg);
      }
      const st = await this.cri.runtime.PodSandboxStatus({ pod_sandbox_id: id });
      podIP = hostNetwork ? "" : (st.status?.network?.ip ?? "");
      sb = { id, attempt, state: "SANDBOX_READY", createdAt: this.#clock.now(), ip: podIP, labels: cfg.labels, annotations: cfg.annotations };
      await this.#writeHosts(pod, paths, podIP);
    } else {
      current = rp!.containers.filter((c) => c.sandboxId === sb!.id);
      for (const other of rp!.sandboxes.slice(1)) if (other.state === "SANDBOX_READY") await this.#stopSandbox(other.id);
      await this.#writeHosts(pod, paths, podIP, true);
    }
    const sandboxId = sb!.id;
    const sbConfig = sandboxConfig(pod, { attempt: sb!.attempt, logDir: paths.logDir, cgroupParent: cgroupParent || "" });
    const latest = (name: string): RuntimeContainer | undefined => current.find((c) => c.name === name);
    const ctx: StartContext = { pod, rp, sandboxId, sbConfig, podIP, paths, volumes, waits };

    // Init containers, in order.
    const inits: ContainerSpec[] = pod.spec?.initContainers ?? [];
    const appSpecs: ContainerSpec[] = pod.spec?.containers ?? [];
    const appsStarted = appSpecs.some((c) => latest(c.name));
    for (const c of inits) {
      const st = latest(c.name);
      if (isSidecar(c)) {
        if (st?.state === "CONTAINER_RUNNING") {
          if (await this.#restartIfNeeded(ctx, c, st, "sidecar")) return this.#outcome(waits);
          if (!this.#svc.probes.isStarted(st.id) && !appsStarted) return this.#outcome(waits);
          continue;
        }
        await this.#startWithBackoff(ctx, c, st, "sidecar");
        if (!appsStarted) return this.#outcome(waits);
        continue;
      }
      if (appsStarted) continue;
      if (!st || st.state === "CONTAINER_CREATED") {
        await this.#startWithBackoff(ctx, c, st, "init");
        return this.#outcome(waits);
      }
      if (st.state === "CONTAINER_RUNNING" || st.state === "CONTAINER_UNKNOWN") return this.#outcome(waits);
      if (st.exitCode === 0) continue;
      if (policy === "Never") {
        await this.killPod(pod, rp, podGracePeriod(pod), false);
        return {};
      }
      await this.#startWithBackoff(ctx, c, st, "init");
      return this.#outcome(waits);
    }

    // App containers.
    for (const c of appSpecs) {
      const st = latest(c.name);
      if (st?.state === "CONTAINER_RUNNING") {
        await this.#restartIfNeeded(ctx, c, st, "app");
        continue;
      }
      if (st && st.state === "CONTAINER_EXITED") {
        const restart = policy === "Always" || (policy === "OnFailure" && st.exitCode !== 0);
        if (!restart) continue;
      }
      if (!st && policy !== "Always") {
        // A container that already succeeded in an earlier sandbox is not run again under OnFailure.
        const earlier = latestContainer(rp, c.name);
        if (earlier && earlier.state === "CONTAINER_EXITED" && (policy === "Never" || earlier.exitCode === 0)) continue;
      }
      await this.#startWithBackoff(ctx, c, st, "app");
    }
    return this.#outcome(waits);
  }

  #outcome(waits: number[]): SyncOutcome {
    const w = waits.filter((x) => x > 0);
    return w.length ? { requeueAfterMs: Math.min(...w) } : {};
  }

  #isInitKind(c: RuntimeContainer): boolean {
    const k = c.annotations["tskube.io/container-type"];
    return k === "init";
  }

  async #setUpVolumes(pod: Pod): Promise<import("./types.ts").PodVolumes | undefined> {
    try {
      return await this.#svc.volumes.setUp(pod);
    } catch (err) {
      const msg = (err as Error).message;
      this.#events.event(pod, "Warning", err instanceof KubeletError ? err.reason : "FailedMount", msg);
      this.#log.warn("volume setup failed", { pod: `${pod.metadata.namespace}/${pod.metadata.name}`, error: msg });
      return undefined;
    }
  }

  async #writeHosts(pod: Pod, paths: PodPaths, podIP: string, onlyIfMissing = false): Promise<void> {
    if (pod.spec?.hostNetwork) return;
    await mkdir(paths.podDir, { recursive: true });
    if (onlyIfMissing) {
      try {
        await import("node:fs/promises").then((f) => f.access(paths.hostsFile));
        return;
      } catch {
        /* write it */
      }
    }
    await writeFile(paths.hostsFile, this.#svc.hostsFileContent(pod, podIP), { mode: 0o644 });
  }

  /** Kills and restarts a running container whose liveness probe failed or whose spec changed. Returns true if it did. */
  async #restartIfNeeded(ctx: StartContext, c: ContainerSpec, st: RuntimeContainer, kind: ContainerKind): Promise<boolean> {
    const live = this.livenessFailed.get(st.id);
    let why: string | undefined;
    if (live !== undefined) why = `Container ${c.name} failed liveness probe, will be restarted`;
    else if (st.hash && st.hash !== containerHash(c)) why = `Container ${c.name} definition changed, will be restarted`;
    if (!why) {
      // Containers found running (e.g. after a kubelet restart) get their probes too; a no-op for known ones.
      this.#svc.probes.addContainer(ctx.pod, c, st.id, ctx.podIP, st.startedAt || this.#clock.now());
      return false;
    }
    this.livenessFailed.delete(st.id);
    await this.killContainer(ctx.pod, c, st, podGracePeriod(ctx.pod), why);
    await this.#start(ctx, c, kind);
    return true;
  }

  async #startWithBackoff(ctx: StartContext, c: ContainerSpec, st: RuntimeContainer | undefined, kind: ContainerKind): Promise<void> {
    const uid = ctx.pod.metadata.uid!;
    if (st && st.state === "CONTAINER_EXITED") {
      const key = `${uid}/${c.name}`;
      const finished = st.finishedAt || this.#clock.now();
      const remaining = this.backoff.remaining(key, finished);
      if (remaining > 0) {
        const delay = this.backoff.get(key);
        const msg = `back-off ${Math.round(delay / 1000)}s restarting failed container=${c.name} pod=${ctx.pod.metadata.name}_${ctx.pod.metadata.namespace}(${uid})`;
        this.waitingFor(uid).set(c.name, { reason: "CrashLoopBackOff", message: msg });
        this.#events.event(ctx.pod, "Warning", "BackOff", `Back-off restarting failed container ${c.name} in pod ${ctx.pod.metadata.name}_${ctx.pod.metadata.namespace}(${uid})`);
        ctx.waits.push(remaining);
        return;
      }
      this.backoff.next(key, finished);
    }
    if (st && st.state === "CONTAINER_CREATED") await this.#removeContainer(st.id);
    await this.#start(ctx, c, kind);
  }

  /** Pulls the image, creates and starts one container; failures become waiting reasons. */
  async #start(ctx: StartContext, c: ContainerSpec, kind: ContainerKind): Promise<void> {
    const { pod } = ctx;
    const uid = pod.metadata.uid!;
    const waiting = this.waitingFor(uid);
    const instances = (ctx.rp?.containers ?? []).filter((x) => x.name === c.name);
    const attempt = instances.length ? Math.max(...instances.map((x) => x.attempt)) + 1 : 0;
    let id = "";
    try {
      const imageRef = await this.#ensureImage(ctx, c);
      const command = await this.#svc.resolveCommand(pod, c, ctx.podIP, this.#hostIP);
      const mounts = [...ctx.volumes.mountsFor(c)];
      const has = (p: string): boolean => mounts.some((m) => m.container_path === p);
      if (!pod.spec?.hostNetwork && !has("/etc/hosts")) mounts.push({ container_path: "/etc/hosts", host_path: ctx.paths.hostsFile, readonly: false });
      const tmPath = c.terminationMessagePath ?? "/dev/termination-log";
      if (!has(tmPath)) {
        const hostTm = terminationLogPath(ctx.paths, c.name, attempt);
        await mkdir(dirname(hostTm), { recursive: true });
        await writeFile(hostTm, "", { mode: 0o666 });
        mounts.push({ container_path: tmPath, host_path: hostTm, readonly: false });
      }
      await mkdir(`${ctx.paths.logDir}/${c.name}`, { recursive: true });
      const imageUser = (c.securityContext?.runAsNonRoot ?? pod.spec?.securityContext?.runAsNonRoot) === true ? await this.#imageUser(imageRef) : undefined;
      const cfg = containerConfig(pod, c, { kind, attempt, imageRef, command, mounts, resources: this.#svc.containerResources(pod, c), imageUser });
      try {
        id = (await this.cri.runtime.CreateContainer({ pod_sandbox_id: ctx.sandboxId, config: cfg, sandbox_config: ctx.sbConfig })).container_id;
      } catch (err) {
        throw new KubeletError("CreateContainerError", grpcMessage(err));
      }
      this.#events.event(pod, "Normal", "Created", `Created container ${c.name}`);
      try {
        await this.cri.runtime.StartContainer({ container_id: id });
      } catch (err) {
        throw new KubeletError("RunContainerError", grpcMessage(err));
      }
      this.#events.event(pod, "Normal", "Started", `Started container ${c.name}`);
    } catch (err) {
      const reason = err instanceof KubeletError ? err.reason : "CreateContainerError";
      const message = (err as Error).message;
      waiting.set(c.name, { reason, message });
      if (reason === "ImagePullBackOff") {
        this.#events.event(pod, "Normal", "BackOff", `Back-off pulling image "${c.image}"`);
        ctx.waits.push(Math.max(1000, this.imageBackoff.remaining(`${uid}/${c.image}`, this.#lastPullFailure.get(`${uid}/${c.image}`) ?? 0)));
      } else {
        this.#events.event(pod, "Warning", "Failed", `Error: ${reason === "ErrImagePull" || reason === "ErrImageNeverPull" ? reason : message}`);
        ctx.waits.push(reason === "ErrImagePull" ? 1000 : 5000);
      }
      return;
    }
    waiting.delete(c.name);
    this.#svc.probes.addContainer(pod, c, id, ctx.podIP, this.#clock.now());
    if (c.lifecycle?.postStart) {
      try {
        await this.#svc.runLifecycleHandler(c.lifecycle.postStart, pod, c, id, ctx.podIP);
      } catch (err) {
        const msg = (err as Error).message;
        this.#events.event(pod, "Warning", "FailedPostStartHook", msg);
        await this.killContainer(pod, c, { id, state: "CONTAINER_RUNNING", name: c.name, annotations: {} } as RuntimeContainer, podGracePeriod(pod), `FailedPostStartHook`, true);
        waiting.set(c.name, { reason: "PostStartHookError", message: msg });
      }
    }
  }

  readonly #lastPullFailure = new Map<string, number>();

  async #ensureImage(ctx: StartContext, c: ContainerSpec): Promise<string> {
    const uid = ctx.pod.metadata.uid!;
    const image: string = c.image;
    const policy = pullPolicy(c);
    const present = await this.#imageRef(image);
    if (policy === "Never") {
      if (present) return present;
      throw new KubeletError("ErrImageNeverPull", `Container image "${image}" is not present with pull policy of Never`);
    }
    if (policy === "IfNotPresent" && present) {
      this.#events.event(ctx.pod, "Normal", "Pulled", `Container image "${image}" already present on machine`);
      return present;
    }
    const key = `${uid}/${image}`;
    const last = this.#lastPullFailure.get(key);
    if (last !== undefined && this.imageBackoff.remaining(key, last) > 0) {
      throw new KubeletError("ImagePullBackOff", `Back-off pulling image "${image}"`);
    }
    this.#events.event(ctx.pod, "Normal", "Pulling", `Pulling image "${image}"`);
    const t0 = this.#clock.now();
    try {
      const res = await this.cri.image.PullImage({ image: { image }, sandbox_config: ctx.sbConfig });
      this.#lastPullFailure.delete(key);
      this.imageBackoff.reset(key);
      this.#events.event(ctx.pod, "Normal", "Pulled", `Successfully pulled image "${image}" in ${this.#clock.now() - t0}ms`);
      return res.image_ref || image;
    } catch (err) {
      const msg = grpcMessage(err);
      if (present) {
        // Offline nodes (imported images only): fall back to the local copy rather than fail the pod.
        this.#events.event(ctx.pod, "Warning", "Failed", `Failed to pull image "${image}": ${msg}; using the image present on the node`);
        return present;
      }
      const now = this.#clock.now();
      this.#lastPullFailure.set(key, now);
      this.imageBackoff.next(key, now);
      this.#events.event(ctx.pod, "Warning", "Failed", `Failed to pull image "${image}": ${msg}`);
      throw new KubeletError("ErrImagePull", `failed to pull image "${image}": ${msg}`);
    }
  }

  /** The user an image runs as (for the runAsNonRoot check). */
  async #imageUser(imageRef: string): Promise<{ uid?: number; username?: string } | undefined> {
    try {
      const img = (await this.cri.image.ImageStatus({ image: { image: imageRef } })).image;
      if (!img) return undefined;
      return { uid: img.uid?.value !== undefined ? Number(img.uid.value) : undefined, username: img.username || undefined };
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  async #imageRef(image: string): Promise<string | undefined> {
    try {
      const st = await this.cri.image.ImageStatus({ image: { image } });
      return st.image?.id || undefined;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  /**
   * Stops one container: the preStop hook first (bounded by the grace
   * period), then StopContainer with what is left (at least 2 s).
   */
  async killContainer(pod: Pod | undefined, spec: ContainerSpec | undefined, c: RuntimeContainer, graceSeconds: number, message?: string, quiet = false): Promise<void> {
    if (c.state !== "CONTAINER_RUNNING" && c.state !== "CONTAINER_CREATED" && c.state !== "CONTAINER_UNKNOWN") return;
    if (pod && !quiet) this.#events.event(pod, "Normal", "Killing", message ?? `Stopping container ${c.name}`);
    let grace = Math.max(0, graceSeconds);
    const preStop = spec?.lifecycle?.preStop ?? (c.annotations?.[ANN_PRESTOP] ? safeJson(c.annotations[ANN_PRESTOP]) : undefined);
    if (preStop && pod && c.state === "CONTAINER_RUNNING" && grace > 0) {
      const t0 = this.#clock.now();
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          this.#svc.runLifecycleHandler(preStop, pod, spec ?? { name: c.name }, c.id, pod.status?.podIP ?? ""),
          new Promise<void>((r) => (timer = setTimeout(r, grace * 1000))),
        ]);
      } catch (err) {
        this.#events.event(pod, "Warning", "FailedPreStopHook", `PreStopHook failed: ${(err as Error).message}`);
      } finally {
        clearTimeout(timer);
      }
      grace = Math.max(MIN_GRACE_SECONDS, grace - Math.ceil((this.#clock.now() - t0) / 1000));
    }
    this.#svc.probes.removeContainer(c.id);
    try {
      await this.cri.runtime.StopContainer({ container_id: c.id, timeout: String(grace) }, (grace + 30) * 1000);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  /**
   * Stops every container of the pod (app containers first, then sidecars
   * and init containers) within `graceSeconds`, then its sandboxes. With
   * `remove`, also removes containers, sandboxes, volumes, the pod cgroup and
   * the pod's directories. `containersOnly` keeps the sandboxes running.
   */
  async killPod(pod: Pod | undefined, rp: RuntimePod | undefined, graceSeconds: number, remove: boolean, sandboxesToo = true): Promise<void> {
    if (rp) {
      const specOf = (name: string): ContainerSpec | undefined =>
        [...(pod?.spec?.containers ?? []), ...(pod?.spec?.initContainers ?? [])].find((c: ContainerSpec) => c.name === name);
      const isApp = (c: RuntimeContainer): boolean => (c.annotations?.["tskube.io/container-type"] ?? "app") === "app";
      const grace = (c: RuntimeContainer): number => (pod ? graceSeconds : Math.min(graceSeconds, Number(c.annotations?.[ANN_GRACE_PERIOD] ?? graceSeconds)));
      const alive = rp.containers.filter((c) => c.state === "CONTAINER_RUNNING" || c.state === "CONTAINER_CREATED" || c.state === "CONTAINER_UNKNOWN");
      const t0 = this.#clock.now();
      await Promise.all(alive.filter(isApp).map((c) => this.killContainer(pod, specOf(c.name), c, grace(c))));
      const left = Math.max(MIN_GRACE_SECONDS, graceSeconds - Math.floor((this.#clock.now() - t0) / 1000));
      await Promise.all(alive.filter((c) => !isApp(c)).map((c) => this.killContainer(pod, specOf(c.name), c, left)));
      if (sandboxesToo) for (const s of rp.sandboxes) if (s.state === "SANDBOX_READY") await this.#stopSandbox(s.id);
      if (remove) {
        for (const c of rp.containers) await this.#removeContainer(c.id);
        for (const s of rp.sandboxes) await this.#removeSandbox(s.id);
      }
    }
    if (remove) {
      const uid = pod?.metadata.uid ?? rp?.uid;
      if (!uid) return;
      this.#svc.probes.removePod(uid);
      await this.#svc.volumes.tearDown(uid);
      await this.#svc.cgroups.removePod({ metadata: { uid } });
      const paths = this.paths(pod ?? { metadata: { uid, name: rp?.name, namespace: rp?.namespace } });
      await rm(paths.podDir, { recursive: true, force: true });
      await rm(paths.logDir, { recursive: true, force: true });
    }
  }

  async #stopSandbox(id: string): Promise<void> {
    try {
      await this.cri.runtime.StopPodSandbox({ pod_sandbox_id: id });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  async #removeSandbox(id: string): Promise<void> {
    try {
      await this.cri.runtime.RemovePodSandbox({ pod_sandbox_id: id });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  async #removeContainer(id: string): Promise<void> {
    try {
      await this.cri.runtime.RemoveContainer({ container_id: id });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
}

type ContainerKind = "init" | "sidecar" | "app";

interface StartContext {
  pod: Pod;
  rp: RuntimePod | undefined;
  sandboxId: string;
  sbConfig: CriMessage;
  podIP: string;
  paths: PodPaths;
  volumes: import("./types.ts").PodVolumes;
  waits: number[];
}

function grpcMessage(err: unknown): string {
  return (err as { details?: string })?.details || (err as Error)?.message || String(err);
}

function safeJson(s: string): any {
  try {
    return JSON.parse(s);
  } catch {
    return undefined;
  }
}
