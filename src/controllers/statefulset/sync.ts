/**
 * The StatefulSet reconcile function (upstream defaultStatefulSetControl):
 * revisions first (current and update ControllerRevision), then one pass over
 * ordinals. OrderedReady creates the lowest missing ordinal and waits until
 * every lower pod is Running and Ready, deletes surplus pods from the highest
 * ordinal one at a time; Parallel does all of it at once. RollingUpdate
 * replaces pods from the highest ordinal down to the partition, one at a time
 * and only when all pods are healthy; OnDelete only creates missing pods at
 * the update revision. Stable names make creates idempotent (AlreadyExists
 * means "wait"), and deletes carry a uid precondition, so a stale cache never
 * duplicates or over-deletes. Status is always written.
 */
import type { KObject } from "../../api/types.ts";
import { isAlreadyExists, isNotFound, type ApiClient, type EventRecorder, type Lister, type ReconcileResult } from "../../client/index.ts";
import { deepEqual } from "../../machinery/validation.ts";
import { controllerRevisionHashLabel, ensureRevision, ownedRevisions, truncateHistory } from "../revisions/history.ts";
import {
  availableIn,
  claimName,
  hasFinished,
  isRunningAndReady,
  isTerminating,
  newClaims,
  newPod,
  ordinalOf,
  revisionData,
  startOrdinal,
  templateOf,
} from "./pods.ts";

export interface StatefulSetSyncDeps {
  client: ApiClient;
  sets: Lister<KObject>;
  podsOf(uid: string): KObject[];
  revisions: Lister<KObject>;
  claims: Lister<KObject>;
  recorder: EventRecorder;
  res: { pods: ReturnType<ApiClient["resource"]>; claims: ReturnType<ApiClient["resource"]>; sets: ReturnType<ApiClient["resource"]> };
}

/** Reconciles StatefulSet `namespace/name`; throws to be retried. */
export async function syncStatefulSet(d: StatefulSetSyncDeps, namespace: string, name: string): Promise<ReconcileResult | void> {
  const set = d.sets.get(namespace, name);
  if (!set || set.metadata.deletionTimestamp) return;
  const spec = set.spec ?? {};
  const now = Date.now();
  const revs = ownedRevisions(d.revisions.listNamespace(namespace), set);
  const labels = { ...(spec.template?.metadata?.labels ?? {}) };
  const ensured = await ensureRevision(d.client, set, revs, revisionData(set), labels, set.status?.collisionCount ?? 0);
  const updateRev = ensured.revision;
  const currentRev = revs.find((r) => r.metadata.name === set.status?.currentRevision) ?? updateRev;

  const start = startOrdinal(set);
  const replicas: number = spec.replicas ?? 1;
  const end = start + replicas;
  const byOrdinal = new Map<number, KObject>();
  const condemned: KObject[] = [];
  for (const p of d.podsOf(set.metadata.uid!)) {
    const o = ordinalOf(set, p);
    if (o === undefined) continue;
    if (o >= start && o < end) byOrdinal.set(o, p);
    else condemned.push(p);
  }
  condemned.sort((a, b) => ordinalOf(set, b)! - ordinalOf(set, a)!);
  const monotonic = spec.podManagementPolicy !== "Parallel";
  const rolling = (spec.updateStrategy?.type ?? "RollingUpdate") === "RollingUpdate";
  const partition: number = rolling ? (spec.updateStrategy?.rollingUpdate?.partition ?? 0) : 0;
  const minReady: number = spec.minReadySeconds ?? 0;
  const revOf = (p: KObject): string | undefined => p.metadata.labels?.[controllerRevisionHashLabel];
  const targetRev = (o: number): KObject => (rolling && o < start + partition ? currentRev : updateRev);

  const act = async (): Promise<void> => {
    for (let o = start; o < end; o++) {
      const pod = byOrdinal.get(o);
      if (!pod) {
        await createClaims(d, set, o);
        await createPod(d, set, newPod(set, templateOf(targetRev(o)), o, targetRev(o).metadata.name!));
        if (monotonic) return;
        continue;
      }
      if (hasFinished(pod) && !isTerminating(pod)) {
        await deletePod(d, set, pod, "recreating failed pod");
        if (monotonic) return;
        continue;
      }
      await createClaims(d, set, o);
      if (monotonic && (isTerminating(pod) || !isRunningAndReady(pod))) return;
    }
    const unhealthy = [...byOrdinal.values()].some((p) => !isRunningAndReady(p));
    for (const pod of condemned) {
      if (isTerminating(pod)) {
        if (monotonic) return;
        continue;
      }
      if (monotonic && unhealthy) return;
      await deletePod(d, set, pod, "scale down");
      if (monotonic) return;
    }
    if (monotonic && condemned.length) return;
    if (!rolling) return;
    if ([...byOrdinal.values()].some((p) => isTerminating(p) || !isRunningAndReady(p))) return;
    for (let o = end - 1; o >= start + partition; o--) {
      const pod = byOrdinal.get(o)!;
      if (revOf(pod) !== updateRev.metadata.name) {
        await deletePod(d, set, pod, "rolling update");
        return;
      }
    }
  };
  await act();
  await deleteScaledClaims(d, set, byOrdinal, condemned, start, end);

  const pods = [...byOrdinal.values(), ...condemned];
  const live = pods.filter((p) => !isTerminating(p));
  let wait = Infinity;
  const status: Record<string, unknown> = {
    observedGeneration: set.metadata.generation,
    replicas: pods.length,
    readyReplicas: pods.filter(isRunningAndReady).length,
    availableReplicas: pods.filter((p) => {
      const t = availableIn(p, minReady, now);
      if (t > 0 && t < Infinity) wait = Math.min(wait, t);
      return t === 0;
    }).length,
    currentReplicas: live.filter((p) => revOf(p) === currentRev.metadata.name).length,
    updatedReplicas: live.filter((p) => revOf(p) === updateRev.metadata.name).length,
    currentRevision: currentRev.metadata.name,
    updateRevision: updateRev.metadata.name,
    collisionCount: ensured.collisionCount,
  };
  if (status.updatedReplicas === replicas && status.readyReplicas === replicas && status.replicas === replicas) {
    status.currentRevision = updateRev.metadata.name;
    status.currentReplicas = status.updatedReplicas;
  }
  const used = new Set<string>([status.currentRevision as string, updateRev.metadata.name!]);
  for (const p of pods) if (revOf(p)) used.add(revOf(p)!);
  await truncateHistory(d.client, revs, used, spec.revisionHistoryLimit ?? 10);
  const old = set.status ?? {};
  if (Object.entries(status).some(([k, v]) => !deepEqual(old[k], v)))
    await d.res.sets.patch(namespace, name, "merge", { status }, { subresource: "status" });
  return wait < Infinity ? { requeueAfterMs: wait + 50 } : undefined;
}

async function createPod(d: StatefulSetSyncDeps, set: KObject, pod: KObject): Promise<void> {
  try {
    await d.res.pods.create(set.metadata.namespace!, pod);
    d.recorder.event(set, "Normal", "SuccessfulCreate", `create Pod ${pod.metadata.name} in StatefulSet ${set.metadata.name} successful`);
  } catch (err) {
    if (isAlreadyExists(err)) return;
    d.recorder.event(set, "Warning", "FailedCreate", `create Pod ${pod.metadata.name} in StatefulSet ${set.metadata.name} failed error: ${(err as Error).message}`);
    throw err;
  }
}

async function deletePod(d: StatefulSetSyncDeps, set: KObject, pod: KObject, why: string): Promise<void> {
  try {
    await d.res.pods.delete(pod.metadata.namespace!, pod.metadata.name!, { preconditions: { uid: pod.metadata.uid } });
    d.recorder.event(set, "Normal", "SuccessfulDelete", `delete Pod ${pod.metadata.name} in StatefulSet ${set.metadata.name} successful (${why})`);
  } catch (err) {
    if (!isNotFound(err) && (err as { code?: number }).code !== 409) throw err;
  }
}

/** Creates the missing claims of ordinal `o` (idempotent). */
async function createClaims(d: StatefulSetSyncDeps, set: KObject, o: number): Promise<void> {
  for (const c of newClaims(set, o)) {
    if (d.claims.get(c.metadata.namespace!, c.metadata.name!)) continue;
    try {
      await d.res.claims.create(c.metadata.namespace!, c);
      d.recorder.event(set, "Normal", "SuccessfulCreate", `create Claim ${c.metadata.name} Pod ${set.metadata.name}-${o} in StatefulSet ${set.metadata.name} success`);
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
    }
  }
}

/** With whenScaled=Delete, deletes claims of ordinals outside the range once their pod is gone. */
async function deleteScaledClaims(d: StatefulSetSyncDeps, set: KObject, inRange: Map<number, KObject>, condemned: KObject[], start: number, end: number): Promise<void> {
  if (set.spec?.persistentVolumeClaimRetentionPolicy?.whenScaled !== "Delete") return;
  const ns = set.metadata.namespace!;
  const podOrdinals = new Set([...inRange.keys(), ...condemned.map((p) => ordinalOf(set, p)!)]);
  for (const t of (set.spec?.volumeClaimTemplates ?? []) as KObject[]) {
    const prefix = claimName(set, t, 0).slice(0, -1);
    for (const c of d.claims.listNamespace(ns)) {
      const rest = c.metadata.name!.startsWith(prefix) ? c.metadata.name!.slice(prefix.length) : "";
      if (!/^\d+$/.test(rest)) continue;
      const o = Number(rest);
      if ((o < start || o >= end) && !podOrdinals.has(o) && !c.metadata.deletionTimestamp)
        await d.res.claims.delete(ns, c.metadata.name!).catch((err) => {
          if (!isNotFound(err)) throw err;
        });
    }
  }
}
