/**
 * The status manager: computes a pod's status after each sync (status.ts)
 * and writes it to pods/status only when it changed, remembering what it
 * sent so a lagging informer does not cause repeated writes. Also reads
 * termination messages (terminationMessagePath file, or the log tail with
 * FallbackToLogsOnError) of exited containers once and caches them.
 * Pods the kubelet fails itself (admission rejection, active deadline) keep
 * phase Failed with the kubelet's reason and message in every later status.
 */
import { open, readFile } from "node:fs/promises";
import { join } from "node:path";
import type { Clock } from "../client/clock.ts";
import { terminationLogPath, type PodPaths } from "./config.ts";
import { ANN_TERMINATION_MESSAGE_POLICY, type RuntimeContainer, type RuntimePod } from "./runtime.ts";
import { computePodStatus, KUBELET_CONDITIONS, statusEqual, type WaitingReason } from "./status.ts";
import type { Pod, ProbeManager } from "./types.ts";

/** Writes a pod's status; the kubelet passes one backed by the API client. */
export type StatusWriter = (pod: Pod, status: Record<string, any>) => Promise<void>;

const MAX_MESSAGE_BYTES = 4096;
const FALLBACK_LOG_LINES = 80;
const FALLBACK_LOG_BYTES = 2048;

export interface StatusManagerOptions {
  write: StatusWriter;
  probes: ProbeManager;
  clock: Clock;
  hostIP: string;
  qosClass(pod: Pod): string;
  paths(pod: Pod): PodPaths;
}

export class StatusManager {
  readonly #o: StatusManagerOptions;
  readonly #sent = new Map<string, Record<string, any>>();
  readonly #messages = new Map<string, string>();
  readonly #failed = new Map<string, { reason: string; message: string }>();

  constructor(o: StatusManagerOptions) {
    this.#o = o;
  }

  /** The status last written (or computed) for a pod uid. */
  lastStatus(uid: string): Record<string, any> | undefined {
    return this.#sent.get(uid);
  }

  forget(uid: string, rp?: RuntimePod): void {
    this.#sent.delete(uid);
    this.#failed.delete(uid);
    for (const c of rp?.containers ?? []) this.#messages.delete(c.id);
  }

  /** Computes the pod's status and writes it if it differs from the pod's and from the last one sent. Returns the status. */
  async update(pod: Pod, rp: RuntimePod | undefined, waiting: Map<string, WaitingReason>, terminating = false): Promise<Record<string, any>> {
    await this.#loadMessages(pod, rp);
    const failed = this.#failed.get(pod.metadata.uid!);
    const basis = failed ? { ...pod, status: { ...(pod.status ?? {}), phase: "Failed", reason: failed.reason, message: failed.message } } : pod;
    const status = computePodStatus(basis, {
      runtime: rp,
      waiting,
      isReady: (id) => this.#o.probes.isReady(id),
      isStarted: (id) => this.#o.probes.isStarted(id),
      hostIP: this.#o.hostIP,
      qosClass: this.#o.qosClass(pod),
      now: Date.now(),
      terminationMessage: (c) => this.#messages.get(c.id),
      terminating,
    });
    const uid = pod.metadata.uid!;
    const prev = this.#sent.get(uid);
    const base = prev ?? pod.status;
    if (statusEqual(status, pod.status) || (prev && statusEqual(status, prev))) return status;
    const withTimes = keepTransitionTimes(status, base);
    await this.#o.write(pod, withTimes);
    this.#sent.set(uid, withTimes);
    return withTimes;
  }

  /**
   * Marks a pod Failed with the kubelet's reason and message; later updates
   * keep them. Returns false when it was already marked.
   */
  markFailed(uid: string, reason: string, message: string): boolean {
    if (this.#failed.has(uid)) return false;
    this.#failed.set(uid, { reason, message });
    return true;
  }

  /**
   * Writes the status of a pod rejected at admission, as upstream's
   * rejectPod: phase Failed, the reason, "Pod was rejected: <message>", the
   * QoS class; conditions other than the kubelet's are kept.
   */
  async reject(pod: Pod, reason: string, message: string): Promise<Record<string, any>> {
    const uid = pod.metadata.uid!;
    const full = `Pod was rejected: ${message}`;
    this.#failed.set(uid, { reason, message: full });
    const kept = (pod.status?.conditions ?? []).filter((c: any) => !KUBELET_CONDITIONS.has(c.type));
    const status: Record<string, any> = { phase: "Failed", reason, message: full, qosClass: this.#o.qosClass(pod), conditions: kept };
    await this.#o.write(pod, status);
    this.#sent.set(uid, status);
    return status;
  }

  async #loadMessages(pod: Pod, rp: RuntimePod | undefined): Promise<void> {
    const paths = this.#o.paths(pod);
    for (const c of rp?.containers ?? []) {
      if (c.state !== "CONTAINER_EXITED" || this.#messages.has(c.id)) continue;
      this.#messages.set(c.id, await readTerminationMessage(paths, c));
    }
  }
}

/** Keeps lastTransitionTime of conditions whose status did not change against `base`. */
function keepTransitionTimes(status: Record<string, any>, base: Record<string, any> | undefined): Record<string, any> {
  const old: any[] = base?.conditions ?? [];
  return {
    ...status,
    conditions: (status.conditions ?? []).map((c: any) => {
      const p = old.find((o) => o.type === c.type);
      return p && p.status === c.status && p.lastTransitionTime ? { ...c, lastTransitionTime: p.lastTransitionTime } : c;
    }),
  };
}

async function readTail(path: string, maxBytes: number): Promise<string> {
  const fh = await open(path, "r");
  try {
    const { size } = await fh.stat();
    const len = Math.min(size, maxBytes * 4);
    const buf = Buffer.alloc(len);
    await fh.read(buf, 0, len, size - len);
    return buf.toString("utf8");
  } finally {
    await fh.close();
  }
}

/** The termination message of an exited container instance ("" when none). */
export async function readTerminationMessage(paths: PodPaths, c: RuntimeContainer): Promise<string> {
  let msg = "";
  try {
    msg = (await readFile(terminationLogPath(paths, c.name, c.attempt), "utf8")).slice(0, MAX_MESSAGE_BYTES);
  } catch {
    /* none */
  }
  if (msg || c.exitCode === 0 || c.annotations[ANN_TERMINATION_MESSAGE_POLICY] !== "FallbackToLogsOnError") return msg;
  try {
    const raw = await readTail(c.logPath || join(paths.logDir, c.name, `${c.attempt}.log`), FALLBACK_LOG_BYTES);
    const lines = raw.split("\n").filter(Boolean).map((l) => {
      const m = /^\S+ (?:stdout|stderr) [FP] (.*)$/.exec(l);
      return m ? m[1] : l;
    });
    const text = lines.slice(-FALLBACK_LOG_LINES).join("\n");
    return text.length > FALLBACK_LOG_BYTES ? text.slice(-FALLBACK_LOG_BYTES) : text;
  } catch {
    return "";
  }
}
