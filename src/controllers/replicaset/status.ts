/**
 * ReplicaSet / ReplicationController status: counting the claimed pods
 * (replicas, fullyLabeledReplicas, readyReplicas, availableReplicas with
 * minReadySeconds), the ReplicaFailure condition, and writing the status
 * subresource only when something changed.
 */
import type { KObject } from "../../api/types.ts";
import type { ResourceClient } from "../../client/index.ts";
import { everything, selectorFromSet } from "../../machinery/labels.ts";
import { isPodAvailable, isPodReady } from "./pods.ts";
import { rfc3339 as nowRfc3339 } from "../../machinery/time.ts";

export interface ReplicaCondition {
  type: string;
  status: string;
  lastTransitionTime?: string;
  reason?: string;
  message?: string;
}

export interface ReplicaStatus {
  replicas: number;
  fullyLabeledReplicas?: number;
  readyReplicas?: number;
  availableReplicas?: number;
  observedGeneration?: number;
  conditions?: ReplicaCondition[];
}


/**
 * The status `obj` should have given its claimed active `pods` and the error
 * (if any) of the last create/delete round; `diff` is pods minus desired,
 * which names the failure reason (FailedCreate / FailedDelete).
 */
export function calculateStatus(obj: KObject, pods: KObject[], manageErr: unknown, diff: number, now = Date.now()): ReplicaStatus {
  const tmplLabels = obj.spec?.template?.metadata?.labels as Record<string, string> | undefined;
  const tmplSel = tmplLabels && Object.keys(tmplLabels).length ? selectorFromSet(tmplLabels) : everything();
  const minReady = Number(obj.spec?.minReadySeconds ?? 0);
  let fully = 0;
  let ready = 0;
  let available = 0;
  for (const p of pods) {
    if (tmplSel.matches(p.metadata.labels)) fully++;
    if (isPodReady(p)) {
      ready++;
      if (isPodAvailable(p, minReady, now)) available++;
    }
  }
  let conditions: ReplicaCondition[] = [...((obj.status?.conditions as ReplicaCondition[] | undefined) ?? [])];
  const failure = conditions.find((c) => c.type === "ReplicaFailure");
  if (manageErr && !failure) {
    const reason = diff < 0 ? "FailedCreate" : diff > 0 ? "FailedDelete" : "";
    const message = String((manageErr as Error)?.message ?? manageErr);
    conditions.push({ type: "ReplicaFailure", status: "True", lastTransitionTime: nowRfc3339(now), reason, message });
  } else if (!manageErr && failure) {
    conditions = conditions.filter((c) => c.type !== "ReplicaFailure");
  }
  const st: ReplicaStatus = { replicas: pods.length };
  if (fully) st.fullyLabeledReplicas = fully;
  if (ready) st.readyReplicas = ready;
  if (available) st.availableReplicas = available;
  const gen = obj.metadata.generation;
  if (gen) st.observedGeneration = gen;
  if (conditions.length) st.conditions = conditions;
  return st;
}

function same(a: ReplicaStatus, b: Partial<ReplicaStatus> | undefined): boolean {
  const o = b ?? {};
  return (
    a.replicas === (o.replicas ?? 0) &&
    (a.fullyLabeledReplicas ?? 0) === (o.fullyLabeledReplicas ?? 0) &&
    (a.readyReplicas ?? 0) === (o.readyReplicas ?? 0) &&
    (a.availableReplicas ?? 0) === (o.availableReplicas ?? 0) &&
    (a.observedGeneration ?? 0) === (o.observedGeneration ?? 0) &&
    JSON.stringify(a.conditions ?? []) === JSON.stringify(o.conditions ?? [])
  );
}

/**
 * Writes `status` to `obj` unless it already has it. On failure re-reads the
 * object once and retries (upstream statusUpdateRetries); returns the stored
 * object, or throws the last error.
 */
export async function updateStatus(client: ResourceClient, obj: KObject, status: ReplicaStatus): Promise<KObject> {
  if (same(status, obj.status) && obj.status?.observedGeneration === status.observedGeneration) return obj;
  let cur = obj;
  for (let attempt = 0; ; attempt++) {
    try {
      return await client.updateStatus(cur.metadata.namespace ?? "", { ...cur, status });
    } catch (err) {
      if (attempt >= 1) throw err;
      cur = await client.get(cur.metadata.namespace ?? "", cur.metadata.name!);
    }
  }
}
