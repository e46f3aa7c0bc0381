/**
 * Deployment status and conditions (upstream sync.go calculateStatus and
 * progress.go): counting replicas over the ReplicaSets, the Available
 * condition, Progressing with its reasons (NewReplicaSetCreated,
 * FoundNewReplicaSet, ReplicaSetUpdated, NewReplicaSetAvailable,
 * ProgressDeadlineExceeded, DeploymentPaused/Resumed), ReplicaFailure copied
 * from the ReplicaSets, and when to look again before the deadline passes.
 */
import type { KObject } from "../../api/types.ts";
import { rfc3339 as nowRfc3339 } from "../../machinery/time.ts";
import { maxUnavailable, replicasOf, specReplicas, statusSum } from "./util.ts";

export interface DeploymentCondition {
  type: string;
  status: string;
  lastUpdateTime?: string;
  lastTransitionTime?: string;
  reason?: string;
  message?: string;
}

export interface DeploymentStatus {
  observedGeneration?: number;
  replicas?: number;
  updatedReplicas?: number;
  readyReplicas?: number;
  availableReplicas?: number;
  unavailableReplicas?: number;
  conditions?: DeploymentCondition[];
  collisionCount?: number;
}

export const reasons = {
  newRSAvailable: "NewReplicaSetAvailable",
  rsUpdated: "ReplicaSetUpdated",
  timedOut: "ProgressDeadlineExceeded",
  foundNewRS: "FoundNewReplicaSet",
  newRSCreated: "NewReplicaSetCreated",
  failedRSCreate: "ReplicaSetCreateError",
  paused: "DeploymentPaused",
  resumed: "DeploymentResumed",
  minimumAvailable: "MinimumReplicasAvailable",
  minimumUnavailable: "MinimumReplicasUnavailable",
} as const;

/** A condition stamped now. */
export function newCondition(type: string, status: string, reason: string, message: string, now = Date.now()): DeploymentCondition {
  const t = nowRfc3339(now);
  return { type, status, lastUpdateTime: t, lastTransitionTime: t, reason, message };
}

export function getCondition(st: DeploymentStatus | undefined, type: string): DeploymentCondition | undefined {
  return st?.conditions?.find((c) => c.type === type);
}

/**
 * Sets `c` on `st` (upstream SetDeploymentCondition): no-op when a condition
 * of that type already has the same status and reason; keeps the old
 * lastTransitionTime when only reason/message change.
 */
export function setCondition(st: DeploymentStatus, c: DeploymentCondition): void {
  const cur = getCondition(st, c.type);
  if (cur && cur.status === c.status && cur.reason === c.reason) return;
  const next = { ...c };
  if (cur && cur.status === c.status) next.lastTransitionTime = cur.lastTransitionTime;
  st.conditions = [...(st.conditions ?? []).filter((x) => x.type !== c.type), next];
}

export function removeCondition(st: DeploymentStatus, type: string): void {
  const left = (st.conditions ?? []).filter((x) => x.type !== type);
  if (left.length) st.conditions = left;
  else delete st.conditions;
}

/** progressDeadlineSeconds is set and not MaxInt32 (upstream HasProgressDeadline). */
export function hasProgressDeadline(d: KObject): boolean {
  const s = d.spec?.progressDeadlineSeconds;
  return s !== undefined && s !== null && s !== 2147483647;
}

/** Every replica updated, present and available, and the spec observed. */
export function deploymentComplete(d: KObject, st: DeploymentStatus): boolean {
  const want = replicasOf(d);
  return (
    (st.updatedReplicas ?? 0) === want &&
    (st.replicas ?? 0) === want &&
    (st.availableReplicas ?? 0) === want &&
    (st.observedGeneration ?? 0) >= (d.metadata.generation ?? 0)
  );
}

/** More updated, ready or available replicas, or fewer old ones, than the stored status says. */
export function deploymentProgressing(d: KObject, st: DeploymentStatus): boolean {
  const old: DeploymentStatus = d.status ?? {};
  const oldOld = (old.replicas ?? 0) - (old.updatedReplicas ?? 0);
  const newOld = (st.replicas ?? 0) - (st.updatedReplicas ?? 0);
  return (
    (st.updatedReplicas ?? 0) > (old.updatedReplicas ?? 0) ||
    newOld < oldOld ||
    (st.readyReplicas ?? 0) > (old.readyReplicas ?? 0) ||
    (st.availableReplicas ?? 0) > (old.availableReplicas ?? 0)
  );
}

/** The Progressing condition was last updated more than progressDeadlineSeconds ago. */
export function deploymentTimedOut(d: KObject, st: DeploymentStatus, now = Date.now()): boolean {
  if (!hasProgressDeadline(d)) return false;
  const c = getCondition(st, "Progressing");
  if (!c) return false;
  if (c.reason === reasons.newRSAvailable) return false;
  if (c.reason === reasons.timedOut) return true;
  const from = Date.parse(c.lastUpdateTime ?? "");
  return !Number.isNaN(from) && from + Number(d.spec.progressDeadlineSeconds) * 1000 < now;
}

/** Replica counts over `allRSs`, the Available condition, and the other conditions carried over. */
export function calculateStatus(d: KObject, allRSs: KObject[], newRS: KObject | undefined): DeploymentStatus {
  const available = statusSum(allRSs, "availableReplicas");
  const st: DeploymentStatus = {
    observedGeneration: d.metadata.generation,
    replicas: statusSum(allRSs, "replicas"),
    updatedReplicas: statusSum([newRS], "replicas"),
    readyReplicas: statusSum(allRSs, "readyReplicas"),
    availableReplicas: available,
    unavailableReplicas: Math.max(0, specReplicas(allRSs) - available),
    conditions: structuredClone(d.status?.conditions ?? []),
    collisionCount: d.status?.collisionCount,
  };
  if (available >= replicasOf(d) - maxUnavailable(d)) {
    setCondition(st, newCondition("Available", "True", reasons.minimumAvailable, "Deployment has minimum availability."));
  } else {
    setCondition(st, newCondition("Available", "False", reasons.minimumUnavailable, "Deployment does not have minimum availability."));
  }
  return st;
}

/** Drops zero counts and empty lists, as the Go types serialise (omitempty). */
export function compactStatus(st: DeploymentStatus): DeploymentStatus {
  const out: DeploymentStatus = {};
  for (const [k, v] of Object.entries(st)) {
    if (v === undefined || v === null || v === 0 || (Array.isArray(v) && v.length === 0)) continue;
    (out as Record<string, unknown>)[k] = v;
  }
  return out;
}

/** True when two statuses serialise alike. */
export function sameStatus(a: DeploymentStatus | undefined, b: DeploymentStatus | undefined): boolean {
  return JSON.stringify(compactStatus(a ?? {})) === JSON.stringify(compactStatus(b ?? {}));
}

/**
 * The status after a rollout step (upstream syncRolloutStatus without the
 * write): Progressing per the deadline rules and ReplicaFailure from the
 * ReplicaSets (new one first).
 */
export function rolloutStatus(d: KObject, allRSs: KObject[], newRS: KObject | undefined, now = Date.now()): DeploymentStatus {
  const st = calculateStatus(d, allRSs, newRS);
  if (!hasProgressDeadline(d)) removeCondition(st, "Progressing");
  const cur = getCondition(st, "Progressing");
  const complete = st.replicas === st.updatedReplicas && cur?.reason === reasons.newRSAvailable;
  if (hasProgressDeadline(d) && !complete) {
    const rsName = newRS?.metadata.name;
    if (deploymentComplete(d, st)) {
      const msg = rsName ? `ReplicaSet "${rsName}" has successfully progressed.` : "Deployment has successfully progressed.";
      setCondition(st, newCondition("Progressing", "True", reasons.newRSAvailable, msg, now));
    } else if (deploymentProgressing(d, st)) {
      const msg = rsName ? `ReplicaSet "${rsName}" is progressing.` : "Deployment is progressing.";
      const c = newCondition("Progressing", "True", reasons.rsUpdated, msg, now);
      if (cur?.status === "True") c.lastTransitionTime = cur.lastTransitionTime;
      removeCondition(st, "Progressing");
      setCondition(st, c);
    } else if (deploymentTimedOut(d, st, now)) {
      const msg = rsName ? `ReplicaSet "${rsName}" has timed out progressing.` : `Deployment "${d.metadata.name}" has timed out progressing.`;
      setCondition(st, newCondition("Progressing", "False", reasons.timedOut, msg, now));
    }
  }
  const failures: DeploymentCondition[] = [];
  for (const rs of [newRS, ...allRSs.filter((r) => r !== newRS)]) {
    for (const c of rs?.status?.conditions ?? []) {
      if (c.type === "ReplicaFailure" && c.status === "True") failures.push({ type: c.type, status: c.status, lastUpdateTime: c.lastTransitionTime, lastTransitionTime: c.lastTransitionTime, reason: c.reason, message: c.message });
    }
  }
  if (failures.length) setCondition(st, failures[0]);
  else removeCondition(st, "ReplicaFailure");
  return st;
}

/**
 * When to sync again so a stuck rollout is noticed at its deadline
 * (upstream requeueStuckDeployment): milliseconds, or undefined for never.
 */
export function requeueForDeadline(d: KObject, st: DeploymentStatus, now = Date.now()): number | undefined {
  const c = getCondition(st, "Progressing");
  if (!hasProgressDeadline(d) || !c) return undefined;
  if (deploymentComplete(d, st) || c.reason === reasons.timedOut) return undefined;
  const from = Date.parse(c.lastUpdateTime ?? "");
  if (Number.isNaN(from)) return undefined;
  return Math.max(1000, from + Number(d.spec.progressDeadlineSeconds) * 1000 - now);
}
