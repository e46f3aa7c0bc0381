/**
 * Pod status computation, as upstream's kubelet does it (generateAPIPodStatus
 * + convertToAPIContainerStatuses + getPhase): container states from the
 * runtime, waiting reasons from the last sync (ErrImagePull,
 * CrashLoopBackOff, ...), readiness from the probe manager, the pod phase and
 * the kubelet-owned conditions. Pure functions; the status manager in
 * statusmanager.ts decides when to write.
 */
import { rfc3339 } from "../machinery/time.ts";
import type { RuntimeContainer, RuntimePod } from "./runtime.ts";
import type { ContainerSpec, Pod } from "./types.ts";

/** Why a container is not running, from the last sync. */
export interface WaitingReason {
  reason: string;
  message: string;
}

/** Inputs of computePodStatus besides the pod. */
export interface StatusInputs {
  runtime: RuntimePod | undefined;
  /** container name → waiting reason (from the last sync). */
  waiting: Map<string, WaitingReason>;
  isReady(containerId: string): boolean;
  isStarted(containerId: string): boolean;
  hostIP: string;
  qosClass: string;
  now: number;
  /** Termination message of an exited container (read from its terminationMessagePath file or log). */
  terminationMessage?(c: RuntimeContainer): string | undefined;
  /** Set when the pod is being terminated by the kubelet (deletion or eviction). */
  terminating?: boolean;
}

/** Conditions the kubelet owns; others (PodScheduled, DisruptionTarget, readiness gates) are kept. */
export const KUBELET_CONDITIONS = new Set(["PodReadyToStartContainers", "Initialized", "ContainersReady", "Ready"]);

export function isSidecar(c: ContainerSpec): boolean {
  return c.restartPolicy === "Always";
}

function ts(ms: number): string | undefined {
  return ms > 0 ? rfc3339(ms) : undefined;
}

function terminatedState(c: RuntimeContainer, message?: string): Record<string, unknown> {
  let reason = c.reason;
  if (!reason || reason === "Exited") reason = c.exitCode === 0 ? "Completed" : "Error";
  const t: Record<string, unknown> = {
    exitCode: c.exitCode,
    reason,
    startedAt: ts(c.startedAt) ?? null,
    finishedAt: ts(c.finishedAt) ?? null,
    containerID: `containerd://${c.id}`,
  };
  const msg = message ?? c.message;
  if (msg) t.message = msg;
  return t;
}

/** Whether container `c` (latest instance `st`) will be started again under the pod's restart policy. */
export function shouldRestart(pod: Pod, spec: ContainerSpec, st: RuntimeContainer | undefined, init: boolean): boolean {
  if (!st) return true;
  if (st.state === "CONTAINER_RUNNING") return false;
  if (init && isSidecar(spec)) return true;
  const policy = pod.spec?.restartPolicy ?? "Always";
  if (init) return st.exitCode !== 0 && policy !== "Never";
  if (policy === "Always") return true;
  if (policy === "OnFailure") return st.exitCode !== 0;
  return false;
}

function containerStatus(pod: Pod, spec: ContainerSpec, init: boolean, inp: StatusInputs): Record<string, any> {
  const rp = inp.runtime;
  const instances = rp?.containers.filter((c) => c.name === spec.name) ?? [];
  const cur = instances[0];
  const prev = instances.find((c) => c !== cur && c.state === "CONTAINER_EXITED");
  const out: Record<string, any> = {
    name: spec.name,
    image: spec.image,
    imageID: cur?.imageRef ?? "",
    ready: false,
    restartCount: cur ? cur.restartCount : 0,
    started: false,
    state: {},
    lastState: {},
  };
  if (cur) out.containerID = `containerd://${cur.id}`;
  if (!cur) {
    out.state = { waiting: { reason: "ContainerCreating" } };
    if (init) out.state = { waiting: { reason: "PodInitializing" } };
  } else if (cur.state === "CONTAINER_RUNNING") {
    out.state = { running: { startedAt: ts(cur.startedAt) ?? ts(cur.createdAt) ?? rfc3339(inp.now) } };
    out.started = inp.isStarted(cur.id);
    out.ready = out.started && inp.isReady(cur.id) && !inp.terminating;
  } else if (cur.state === "CONTAINER_EXITED") {
    out.state = { terminated: terminatedState(cur, inp.terminationMessage?.(cur)) };
  } else if (cur.state === "CONTAINER_CREATED") {
    out.state = { waiting: { reason: "ContainerCreating" } };
  } else {
    out.state = { waiting: { reason: "ContainerStatusUnknown", message: "The container could not be located when the pod was terminated" } };
  }
  if (prev) out.lastState = { terminated: terminatedState(prev, inp.terminationMessage?.(prev)) };
  const w = inp.waiting.get(spec.name);
  if (w && (!cur || cur.state !== "CONTAINER_RUNNING") && !inp.terminating && shouldRestart(pod, spec, cur, init)) {
    if (out.state.terminated) out.lastState = { terminated: out.state.terminated };
    out.state = { waiting: w.message ? { reason: w.reason, message: w.message } : { reason: w.reason } };
  }
  if (!out.imageID) out.imageID = "";
  return out;
}

function condition(type: string, status: boolean, reason?: string, message?: string): Record<string, unknown> {
  const c: Record<string, unknown> = { type, status: status ? "True" : "False", lastProbeTime: null };
  if (reason) c.reason = reason;
  if (message) c.message = message;
  return c;
}

/** upstream getPhase: the pod phase from the container statuses. */
export function podPhase(pod: Pod, init: Record<string, any>[], app: Record<string, any>[]): string {
  const policy = pod.spec?.restartPolicy ?? "Always";
  const initSpecs: ContainerSpec[] = pod.spec?.initContainers ?? [];
  let pendingInit = false;
  for (let i = 0; i < init.length; i++) {
    const s = init[i];
    if (isSidecar(initSpecs[i] ?? {})) {
      if (!s.state.running && !s.state.terminated && !s.lastState?.terminated) pendingInit = true;
      continue;
    }
    const t = s.state.terminated;
    if (t && t.exitCode === 0) continue;
    if (t && policy === "Never") return "Failed";
    if (!t && s.state.waiting && s.lastState?.terminated && policy === "Never") return "Failed";
    pendingInit = true;
  }
  let running = 0;
  let waiting = 0;
  let stopped = 0;
  let succeeded = 0;
  for (const s of app) {
    if (s.state.running) running++;
    else if (s.state.terminated) {
      stopped++;
      if (s.state.terminated.exitCode === 0) succeeded++;
    } else if (s.state.waiting) {
      if (s.lastState?.terminated) stopped++;
      else waiting++;
    }
  }
  if (pendingInit && running === 0 && stopped === 0) return "Pending";
  if (waiting > 0) return "Pending";
  if (running > 0) return "Running";
  if (stopped > 0) {
    if (policy === "Always") return "Running";
    if (stopped === succeeded) return "Succeeded";
    if (policy === "OnFailure") return "Running";
    return "Failed";
  }
  return "Pending";
}

/**
 * The pod's status as the kubelet reports it. Conditions keep their
 * lastTransitionTime from `pod.status` when their status did not change.
 * A pod already Succeeded/Failed never goes back to another phase.
 */
export function computePodStatus(pod: Pod, inp: StatusInputs): Record<string, any> {
  const old = pod.status ?? {};
  const initSpecs: ContainerSpec[] = pod.spec?.initContainers ?? [];
  const appSpecs: ContainerSpec[] = pod.spec?.containers ?? [];
  const initStatuses = initSpecs.map((c) => containerStatus(pod, c, true, inp));
  const appStatuses = appSpecs.map((c) => containerStatus(pod, c, false, inp));
  let phase = podPhase(pod, initStatuses, appStatuses);
  if (old.phase === "Succeeded" || old.phase === "Failed") phase = old.phase;
  const sandbox = inp.runtime?.sandboxes[0];
  const sandboxReady = !!sandbox && sandbox.state === "SANDBOX_READY" && (!!sandbox.ip || !!pod.spec?.hostNetwork);
  const podIP = sandboxReady ? (pod.spec?.hostNetwork ? inp.hostIP : sandbox.ip) : old.podIP;

  const notInit = initStatuses.filter((s, i) => {
    if (isSidecar(initSpecs[i])) return !s.started;
    return !(s.state.terminated?.exitCode === 0);
  });
  const initialized = notInit.length === 0 || appStatuses.some((s) => s.state.running || s.state.terminated || s.lastState?.terminated);
  const sidecarStatuses = initStatuses.filter((_s, i) => isSidecar(initSpecs[i]));
  const unready = [...sidecarStatuses, ...appStatuses].filter((s) => !s.ready).map((s) => s.name);
  const terminal = phase === "Succeeded" || phase === "Failed";

  const conds: Record<string, unknown>[] = [];
  conds.push(condition("PodReadyToStartContainers", sandboxReady && !terminal));
  conds.push(initialized ? condition("Initialized", true) : condition("Initialized", false, "ContainersNotInitialized", `containers with incomplete status: [${notInit.map((s) => s.name).join(" ")}]`));
  if (terminal) {
    conds.push(condition("Ready", false, "PodCompleted"));
    conds.push(condition("ContainersReady", false, "PodCompleted"));
  } else if (unready.length) {
    const msg = `containers with unready status: [${unready.join(" ")}]`;
    conds.push(condition("Ready", false, "ContainersNotReady", msg));
    conds.push(condition("ContainersReady", false, "ContainersNotReady", msg));
  } else {
    const gates: string[] = (pod.spec?.readinessGates ?? []).map((g: { conditionType: string }) => g.conditionType);
    const missing = gates.filter((g) => !(old.conditions ?? []).some((c: any) => c.type === g && c.status === "True"));
    conds.push(missing.length ? condition("Ready", false, "ReadinessGatesNotReady", `corresponding condition of pod readiness gate "${missing[0]}" does not exist.`) : condition("Ready", true));
    conds.push(condition("ContainersReady", true));
  }
  const now = rfc3339(inp.now);
  const oldConds: Record<string, any>[] = old.conditions ?? [];
  for (const c of conds) {
    const prev = oldConds.find((o) => o.type === c.type);
    c.lastTransitionTime = prev && prev.status === c.status ? prev.lastTransitionTime : now;
  }
  const kept = oldConds.filter((c) => !KUBELET_CONDITIONS.has(c.type));
  const status: Record<string, any> = {
    phase,
    conditions: [...kept, ...conds],
    hostIP: inp.hostIP,
    hostIPs: [{ ip: inp.hostIP }],
    startTime: old.startTime ?? now,
    qosClass: inp.qosClass,
    containerStatuses: appStatuses,
  };
  if (podIP) {
    status.podIP = podIP;
    status.podIPs = [{ ip: podIP }];
  }
  if (initStatuses.length) status.initContainerStatuses = initStatuses;
  for (const k of ["message", "reason", "nominatedNodeName"]) if (old[k] !== undefined) status[k] = old[k];
  return status;
}

/** Whether two statuses differ in anything but condition timestamps ordering. */
export function statusEqual(a: Record<string, any> | undefined, b: Record<string, any> | undefined): boolean {
  return stable(a ?? {}) === stable(b ?? {});
}

function stable(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stable).join(",")}]`;
  if (v && typeof v === "object") {
    const keys = Object.keys(v as object)
      .filter((k) => (v as any)[k] !== undefined && (v as any)[k] !== null && k !== "lastProbeTime")
      .sort();
    return `{${keys.map((k) => `${k}:${stable((v as any)[k])}`).join(",")}}`;
  }
  return JSON.stringify(v);
}
