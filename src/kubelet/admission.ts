/**
 * Pod admission, the parts of upstream's kubelet admit handlers tskube has:
 * the eviction manager's check of node pressure (under MemoryPressure only
 * BestEffort pods are refused, unless they tolerate the memory-pressure
 * taint; under DiskPressure or PIDPressure every pod is; critical pods —
 * static, mirror, or priority ≥ 2000000000 — always pass), then the
 * pod-count check against maxPods. A pod the kubelet has not started yet
 * is admitted only while fewer than maxPods other active pods are ahead of
 * it; pods ahead are those already admitted, those the runtime already
 * holds or that report Running (found after a kubelet restart), and
 * undecided pods created earlier (upstream admits new pods in creation
 * order). Terminal and rejected pods do not count. A rejected pod is failed
 * with reason OutOfpods by the caller and never started.
 */
import { CONFIG_SOURCE_ANNOTATION, MIRROR_ANNOTATION } from "./static.ts";
import type { Pod } from "./types.ts";

/** The outcome of admitting one pod. */
export interface AdmitResult {
  admit: boolean;
  /** Set when rejected: upstream's one-word reason ("OutOfpods"). */
  reason?: string;
  /** Set when rejected: upstream's message (without the "Pod was rejected: " prefix). */
  message?: string;
}

const SYSTEM_CRITICAL_PRIORITY = 2_000_000_000;

/** upstream's IsCriticalPod: static and mirror pods, and pods of system-critical priority. */
export function isCriticalPod(pod: Pod): boolean {
  const ann = pod.metadata.annotations ?? {};
  if (ann[MIRROR_ANNOTATION] !== undefined) return true;
  const source = ann[CONFIG_SOURCE_ANNOTATION];
  if (source !== undefined && source !== "api") return true;
  return typeof pod.spec?.priority === "number" && pod.spec.priority >= SYSTEM_CRITICAL_PRIORITY;
}

/** upstream's eviction admission: `conditions` are the node's active pressure conditions. */
export function checkNodePressure(pod: Pod, conditions: readonly string[], qosClass: string): AdmitResult {
  if (conditions.length === 0 || isCriticalPod(pod)) return { admit: true };
  if (conditions.length === 1 && conditions[0] === "MemoryPressure") {
    if (qosClass !== "BestEffort") return { admit: true };
    const tolerates = (pod.spec?.tolerations ?? []).some(
      (t: any) =>
        (t.effect === undefined || t.effect === "" || t.effect === "NoSchedule") &&
        ((t.operator === "Exists" && (t.key === undefined || t.key === "")) || (t.key === "node.kubernetes.io/memory-pressure" && (t.operator === "Exists" || (t.value ?? "") === ""))),
    );
    if (tolerates) return { admit: true };
  }
  return { admit: false, reason: "Evicted", message: `The node had condition: [${conditions.join(" ")}]. ` };
}

/** upstream's check of one more pod against the node's pod capacity. */
export function checkPodCount(used: number, capacity: number): AdmitResult {
  if (used + 1 <= capacity) return { admit: true };
  return { admit: false, reason: "OutOfpods", message: `Node didn't have enough resource: pods, requested: 1, used: ${used}, capacity: ${capacity}` };
}

export interface PodAdmissionOptions {
  maxPods: number;
  /** Every pod bound to the node (API pods without mirror pods, plus static pods). */
  pods(): Pod[];
  /** The pod's current phase (the last status written, else the API's). */
  phase(pod: Pod): string | undefined;
  /** Whether the runtime holds containers or sandboxes of the pod. */
  inRuntime(uid: string): boolean;
  /** The node's active pressure conditions (default none). */
  pressure?(): readonly string[];
  /** The pod's QoS class (needed with pressure). */
  qosClass?(pod: Pod): string;
}

/** Remembers which pods were admitted or rejected; decides for new ones. */
export class PodAdmission {
  readonly #o: PodAdmissionOptions;
  readonly #admitted = new Set<string>();
  readonly #rejected = new Map<string, AdmitResult>();

  constructor(o: PodAdmissionOptions) {
    this.#o = o;
  }

  /** Admits or rejects a pod; the decision sticks until forget(). */
  admit(pod: Pod): AdmitResult {
    const uid = pod.metadata.uid!;
    if (this.#admitted.has(uid)) return { admit: true };
    const prior = this.#rejected.get(uid);
    if (prior) return prior;
    if (this.#started(pod)) {
      this.#admitted.add(uid);
      return { admit: true };
    }
    const pressure = checkNodePressure(pod, this.#o.pressure?.() ?? [], this.#o.qosClass?.(pod) ?? "BestEffort");
    if (!pressure.admit) {
      this.#rejected.set(uid, pressure);
      return pressure;
    }
    let used = 0;
    for (const other of this.#o.pods()) {
      const id = other.metadata.uid!;
      if (id === uid || this.#rejected.has(id) || this.#terminal(other)) continue;
      if (this.#admitted.has(id) || this.#started(other) || (!other.metadata.deletionTimestamp && createdBefore(other, pod))) used++;
    }
    const res = checkPodCount(used, this.#o.maxPods);
    if (res.admit) this.#admitted.add(uid);
    else this.#rejected.set(uid, res);
    return res;
  }

  /** Forgets a pod that is gone. */
  forget(uid: string): void {
    this.#admitted.delete(uid);
    this.#rejected.delete(uid);
  }

  #started(pod: Pod): boolean {
    return this.#o.phase(pod) === "Running" || this.#o.inRuntime(pod.metadata.uid!);
  }

  #terminal(pod: Pod): boolean {
    const p = this.#o.phase(pod);
    return p === "Succeeded" || p === "Failed";
  }
}

/** Creation order (timestamp, then name, then uid), as upstream sorts pods before admitting them. */
function createdBefore(a: Pod, b: Pod): boolean {
  const ta = a.metadata.creationTimestamp ?? "";
  const tb = b.metadata.creationTimestamp ?? "";
  if (ta !== tb) return ta < tb;
  const na = `${a.metadata.namespace}/${a.metadata.name}`;
  const nb = `${b.metadata.namespace}/${b.metadata.name}`;
  if (na !== nb) return na < nb;
  return (a.metadata.uid ?? "") < (b.metadata.uid ?? "");
}
