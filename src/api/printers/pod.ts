/**
 * The Pod table: readiness ("1/2"), the aggregate status upstream derives from
 * phase, reason, init containers (including restartable sidecars) and
 * container states, restarts with the time of the last one, and the wide
 * placement columns.
 */

import type { KObject } from "../types.ts";
import { age, humanDuration, int, parseTime, str } from "./format.ts";
import { ageCol, col, nameCol, type Printer } from "./types.ts";

interface ContainerState {
  waiting?: { reason?: string };
  running?: unknown;
  terminated?: { reason?: string; exitCode?: number; signal?: number; finishedAt?: string };
}

interface ContainerStatus {
  name: string;
  ready?: boolean;
  started?: boolean;
  restartCount?: number;
  state?: ContainerState;
  lastState?: ContainerState;
}

interface PodCondition {
  type?: string;
  status?: string;
  reason?: string;
}

/** Pod status reason set by the node lifecycle controller for pods on unreachable nodes. */
const nodeUnreachableReason = "NodeLost";

/** When the container last terminated, undefined when never (or unrecorded). */
function lastTermination(c: ContainerStatus): number | undefined {
  return parseTime(c.lastState?.terminated?.finishedAt);
}

interface PodSummary {
  ready: string;
  status: string;
  restarts: string;
}

/** The READY, STATUS and RESTARTS cells of a pod. */
export function podSummary(pod: KObject, now: Date): PodSummary {
  const spec = pod.spec ?? {};
  const status = pod.status ?? {};
  const conditions: PodCondition[] = status.conditions ?? [];
  const initSpecs: { name: string; restartPolicy?: string }[] = spec.initContainers ?? [];
  const restartable = new Set(initSpecs.filter((c) => c.restartPolicy === "Always").map((c) => c.name));

  let restarts = 0;
  let sidecarRestarts = 0;
  const total = (spec.containers ?? []).length + restartable.size;
  let ready = 0;
  // Millisecond times; undefined means "never" (Go's zero time).
  let lastRestart: number | undefined;
  let lastSidecarRestart: number | undefined;
  const later = (a: number | undefined, b: number | undefined) =>
    b === undefined ? a : a === undefined || b > a ? b : a;

  const phase = str(status.phase);
  let reason = status.reason ? str(status.reason) : phase;
  for (const c of conditions) {
    if (c.type === "PodScheduled" && c.reason === "SchedulingGated") reason = "SchedulingGated";
  }

  let initializing = false;
  const initStatuses: ContainerStatus[] = status.initContainerStatuses ?? [];
  for (let i = 0; i < initStatuses.length; i++) {
    const c = initStatuses[i];
    const sidecar = restartable.has(c.name);
    restarts += int(c.restartCount);
    lastRestart = later(lastRestart, lastTermination(c));
    if (sidecar) {
      sidecarRestarts += int(c.restartCount);
      lastSidecarRestart = later(lastSidecarRestart, lastTermination(c));
    }
    const term = c.state?.terminated;
    const waiting = c.state?.waiting;
    if (term && int(term.exitCode) === 0) continue;
    if (sidecar && c.started === true) {
      if (c.ready) ready++;
      continue;
    }
    if (term) {
      if (!term.reason) {
        reason = int(term.signal) !== 0 ? `Init:Signal:${int(term.signal)}` : `Init:ExitCode:${int(term.exitCode)}`;
      } else {
        reason = `Init:${term.reason}`;
      }
    } else if (waiting && waiting.reason && waiting.reason !== "PodInitializing") {
      reason = `Init:${waiting.reason}`;
    } else {
      reason = `Init:${i}/${initSpecs.length}`;
    }
    initializing = true;
    break;
  }

  const initialized = conditions.some((c) => c.type === "Initialized" && c.status === "True");
  if (!initializing || initialized) {
    restarts = sidecarRestarts;
    lastRestart = lastSidecarRestart;
    let hasRunning = false;
    const statuses: ContainerStatus[] = status.containerStatuses ?? [];
    for (let i = statuses.length - 1; i >= 0; i--) {
      const c = statuses[i];
      restarts += int(c.restartCount);
      lastRestart = later(lastRestart, lastTermination(c));
      const waiting = c.state?.waiting;
      const term = c.state?.terminated;
      if (waiting && waiting.reason) {
        reason = waiting.reason;
      } else if (term && term.reason) {
        reason = term.reason;
      } else if (term) {
        reason = int(term.signal) !== 0 ? `Signal:${int(term.signal)}` : `ExitCode:${int(term.exitCode)}`;
      } else if (c.ready && c.state?.running) {
        hasRunning = true;
        ready++;
      }
    }
    if (reason === "Completed" && hasRunning) {
      reason = conditions.some((c) => c.type === "Ready" && c.status === "True") ? "Running" : "NotReady";
    }
  }

  const deleting = Boolean(pod.metadata?.deletionTimestamp);
  if (deleting && status.reason === nodeUnreachableReason) {
    reason = "Unknown";
  } else if (deleting && phase !== "Succeeded" && phase !== "Failed") {
    reason = "Terminating";
  }

  let restartText = String(restarts);
  if (restarts !== 0 && lastRestart !== undefined) {
    restartText = `${restarts} (${humanDuration(now.getTime() - lastRestart)} ago)`;
  }
  return { ready: `${ready}/${total}`, status: reason, restarts: restartText };
}

function readinessGates(pod: KObject): string {
  const gates: { conditionType?: string }[] = pod.spec?.readinessGates ?? [];
  if (gates.length === 0) return "<none>";
  const conditions: PodCondition[] = pod.status?.conditions ?? [];
  let trueCount = 0;
  for (const gate of gates) {
    const c = conditions.find((x) => x.type === gate.conditionType);
    if (c && c.status === "True") trueCount++;
  }
  return `${trueCount}/${gates.length}`;
}

/** Pod: Name, Ready, Status, Restarts, Age; wide IP, Node, Nominated Node, Readiness Gates. */
export const podPrinter: Printer = {
  columns: [
    nameCol(),
    col("Ready", "string", "Ready containers out of all containers of the pod."),
    col("Status", "string", "Aggregate status of the pod's containers."),
    col("Restarts", "string", "Container restarts in the pod, and how long ago the last one happened."),
    ageCol(),
    col("IP", "string", "IP address allocated to the pod.", 1),
    col("Node", "string", "Node the pod is bound to.", 1),
    col("Nominated Node", "string", "Node the scheduler nominated for the pod after preemption.", 1),
    col("Readiness Gates", "string", "Readiness gates whose condition is true, out of all gates.", 1),
  ],
  cells(pod, now) {
    const s = podSummary(pod, now);
    const ips: { ip?: string }[] = pod.status?.podIPs ?? [];
    const ip = (ips.length > 0 ? str(ips[0].ip) : str(pod.status?.podIP)) || "<none>";
    return [
      str(pod.metadata.name),
      s.ready,
      s.status,
      s.restarts,
      age(pod, now),
      ip,
      str(pod.spec?.nodeName) || "<none>",
      str(pod.status?.nominatedNodeName) || "<none>",
      readinessGates(pod),
    ];
  },
};
