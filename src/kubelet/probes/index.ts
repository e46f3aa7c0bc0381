/**
 * Probe workers: one timer-driven worker per (container, probe type) as in
 * upstream's prober manager. A worker waits initialDelaySeconds after the
 * container started, probes every periodSeconds with timeoutSeconds, and
 * changes the result only after successThreshold/failureThreshold
 * consecutive outcomes. Liveness and readiness are gated on the startup
 * probe. Failed liveness/startup results put the worker on hold until the
 * container is replaced, and are reported through onLivenessFailure.
 */
import type { ContainerSpec, ExecInContainer, Pod, ProbeManager, ProbeResult } from "../types.ts";
import { runExec, runGrpc, runHttpGet, runTcp, type HandlerOutcome } from "./handlers.ts";

export { runExec, runGrpc, runHttpGet, runTcp, resolvePort } from "./handlers.ts";
export type { HandlerOutcome } from "./handlers.ts";

export type ProbeType = "liveness" | "readiness" | "startup";

/** Time source; tests inject a manual one. */
export interface ProbeClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const realClock: ProbeClock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref?.();
    return t;
  },
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

export interface ProbeWorkersOptions {
  exec: ExecInContainer;
  onLivenessFailure(podUid: string, containerName: string, containerId: string, message: string): void;
  onChange(podUid: string): void;
  onEvent?(pod: Pod, type: "Warning" | "Normal", reason: string, message: string): void;
  clock?: ProbeClock;
}

const label: Record<ProbeType, string> = { liveness: "Liveness", readiness: "Readiness", startup: "Startup" };

interface Worker {
  type: ProbeType;
  pod: Pod;
  container: ContainerSpec;
  containerId: string;
  podIP: string;
  startedAtMs: number;
  spec: any;
  lastResult: ProbeResult | undefined;
  resultRun: number;
  onHold: boolean;
  timer: unknown;
  stopped: boolean;
}

interface ContainerState {
  podUid: string;
  workers: Worker[];
  /** Current (thresholded) results; undefined until known. */
  startup: ProbeResult | undefined;
  readiness: ProbeResult | undefined;
  hasStartup: boolean;
  hasReadiness: boolean;
}

/** Upstream defaults: period 10 s, timeout 1 s, success 1, failure 3. */
function withDefaults(p: any) {
  return {
    ...p,
    initialDelaySeconds: p.initialDelaySeconds ?? 0,
    periodSeconds: p.periodSeconds || 10,
    timeoutSeconds: p.timeoutSeconds || 1,
    successThreshold: p.successThreshold || 1,
    failureThreshold: p.failureThreshold || 3,
  };
}

/** Implements ProbeManager with one worker per probe. */
export class ProbeWorkers implements ProbeManager {
  readonly opts: ProbeWorkersOptions;
  readonly clock: ProbeClock;
  readonly #containers = new Map<string, ContainerState>();

  constructor(opts: ProbeWorkersOptions) {
    this.opts = opts;
    this.clock = opts.clock ?? realClock;
  }

  addContainer(pod: Pod, container: ContainerSpec, containerId: string, podIP: string, startedAtMs: number): void {
    if (this.#containers.has(containerId)) return;
    const state: ContainerState = {
      podUid: pod.metadata?.uid ?? "",
      workers: [],
      startup: undefined,
      readiness: undefined,
      hasStartup: !!container.startupProbe,
      hasReadiness: !!container.readinessProbe,
    };
    this.#containers.set(containerId, state);
    for (const type of ["startup", "liveness", "readiness"] as ProbeType[]) {
      const spec = container[`${type}Probe`];
      if (!spec) continue;
      const w: Worker = {
        type, pod, container, containerId, podIP, startedAtMs, spec: withDefaults(spec),
        lastResult: undefined, resultRun: 0, onHold: false, timer: undefined, stopped: false,
      };
      state.workers.push(w);
      const first = Math.max(0, startedAtMs + w.spec.initialDelaySeconds * 1000 - this.clock.now());
      w.timer = this.clock.setTimeout(() => void this.#tick(w, state), first);
    }
  }

  removeContainer(containerId: string): void {
    const s = this.#containers.get(containerId);
    if (!s) return;
    for (const w of s.workers) this.#stopWorker(w);
    this.#containers.delete(containerId);
  }

  removePod(podUid: string): void {
    for (const [id, s] of this.#containers) if (s.podUid === podUid) this.removeContainer(id);
  }

  isStarted(containerId: string): boolean {
    const s = this.#containers.get(containerId);
    if (!s) return true;
    return !s.hasStartup || s.startup === "success";
  }

  isReady(containerId: string): boolean {
    const s = this.#containers.get(containerId);
    if (!s) return false;
    if (!this.isStarted(containerId)) return false;
    return !s.hasReadiness || s.readiness === "success";
  }

  stop(): void {
    for (const id of [...this.#containers.keys()]) this.removeContainer(id);
  }

  #stopWorker(w: Worker): void {
    w.stopped = true;
    if (w.timer !== undefined) this.clock.clearTimeout(w.timer);
    w.timer = undefined;
  }

  async #tick(w: Worker, state: ContainerState): Promise<void> {
    if (w.stopped) return;
    const t0 = this.clock.now();
    try {
      await this.#doProbe(w, state);
    } catch {
      // a handler bug must not kill the worker
    }
    if (w.stopped) return;
    const delay = Math.max(0, w.spec.periodSeconds * 1000 - (this.clock.now() - t0));
    w.timer = this.clock.setTimeout(() => void this.#tick(w, state), delay);
  }

  async #doProbe(w: Worker, state: ContainerState): Promise<void> {
    if (w.onHold) return;
    const started = !state.hasStartup || state.startup === "success";
    if (w.type === "startup" && started) return;
    if (w.type !== "startup" && !started) return;

    const outcome = await this.#run(w);
    if (w.stopped) return;
    if (outcome.result !== "success") {
      const verb = outcome.result === "unknown" ? "errored" : "failed";
      this.opts.onEvent?.(w.pod, "Warning", "Unhealthy", `${label[w.type]} probe ${verb}: ${outcome.output}`);
    }
    const result = outcome.result === "unknown" ? "failure" : outcome.result;
    if (w.lastResult === result) w.resultRun++;
    else {
      w.lastResult = result;
      w.resultRun = 1;
    }
    if ((result === "failure" && w.resultRun < w.spec.failureThreshold) || (result === "success" && w.resultRun < w.spec.successThreshold)) return;

    if (w.type === "readiness") {
      if (state.readiness !== result) {
        state.readiness = result;
        this.opts.onChange(state.podUid);
      }
    } else if (w.type === "startup") {
      if (state.startup !== result) {
        state.startup = result;
        this.opts.onChange(state.podUid);
      }
    }
    if ((w.type === "liveness" || w.type === "startup") && result === "failure") {
      w.onHold = true;
      w.resultRun = 0;
      this.opts.onLivenessFailure(state.podUid, w.container.name, w.containerId, `Container ${w.container.name} failed ${w.type} probe, will be restarted`);
    }
  }

  #run(w: Worker): Promise<HandlerOutcome> {
    const p = w.spec;
    if (p.exec) return runExec(this.opts.exec, w.containerId, p.exec.command ?? [], p.timeoutSeconds);
    if (p.httpGet) return runHttpGet(p.httpGet, w.container, w.podIP, p.timeoutSeconds);
    if (p.tcpSocket) return runTcp(p.tcpSocket, w.container, w.podIP, p.timeoutSeconds);
    if (p.grpc) return runGrpc(p.grpc, w.podIP, p.timeoutSeconds);
    return Promise.resolve({ result: "unknown", output: "missing probe handler" });
  }
}
