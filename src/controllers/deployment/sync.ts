/**
 * The steps every deployment sync shares (upstream sync.go): finding or
 * creating the new ReplicaSet and keeping revisions in order, scaling
 * ReplicaSets (proportionally when the deployment is resized mid-rollout),
 * pruning history beyond revisionHistoryLimit, and writing status. ReplicaSet
 * objects passed around are private copies; a scale updates them in place
 * with the stored result.
 */
import type { KObject } from "../../api/types.ts";
import { isAlreadyExists, isConflict, isNotFound, type EventRecorder, type ResourceClient } from "../../client/index.ts";
import { controllerRefOf, newControllerRef } from "../replicaset/controllerref.ts";
import { compactStatus, getCondition, hasProgressDeadline, newCondition, reasons, sameStatus, setCondition, calculateStatus, type DeploymentStatus } from "./conditions.ts";
import {
  activeReplicaSets,
  byCreation,
  byRevision,
  bySizeNewer,
  bySizeOlder,
  computeHash,
  desiredReplicasAnnotation,
  equalIgnoreHash,
  findNewReplicaSet,
  findOldReplicaSets,
  intAnnotation,
  isRollingUpdate,
  isSaturated,
  maxReplicasAnnotation,
  maxRevision,
  maxSurge,
  newRSNewReplicas,
  podTemplateHashLabel,
  replicasAnnotationsNeedUpdate,
  replicasOf,
  revisionAnnotation,
  setDeploymentRevision,
  setNewReplicaSetAnnotations,
  setReplicasAnnotations,
  specReplicas,
} from "./util.ts";

/** What the sync steps need: clients of deployments and ReplicaSets, and the event recorder. */
export interface SyncCtx {
  deployments: ResourceClient;
  replicaSets: ResourceClient;
  recorder: EventRecorder;
}

function replaceInPlace(target: KObject, src: KObject): void {
  for (const k of Object.keys(target)) delete target[k];
  Object.assign(target, src);
}

/**
 * Runs `write(obj)`; on a Conflict re-reads the object and, when its spec is
 * unchanged (same uid and generation: only status or metadata moved on),
 * retries once against the fresh resourceVersion. Our cache often lags our
 * own previous write; the result would be the same after a requeue.
 */
async function withFreshVersion(client: ResourceClient, obj: KObject, write: (o: KObject) => Promise<KObject>): Promise<KObject> {
  try {
    return await write(obj);
  } catch (err) {
    if (!isConflict(err)) throw err;
    const fresh = await client.get(obj.metadata.namespace ?? "", obj.metadata.name!);
    if (fresh.metadata.uid !== obj.metadata.uid || fresh.metadata.generation !== obj.metadata.generation) throw err;
    return write({ ...obj, metadata: { ...obj.metadata, resourceVersion: fresh.metadata.resourceVersion } });
  }
}

/** Writes d.status = `st` unless unchanged; keeps d's resourceVersion current. */
export async function writeStatus(c: SyncCtx, d: KObject, st: DeploymentStatus): Promise<void> {
  if (sameStatus(d.status, st)) return;
  const ns = d.metadata.namespace ?? "";
  const out = await withFreshVersion(c.deployments, { ...d, status: compactStatus(st) }, (o) => c.deployments.updateStatus(ns, o));
  d.metadata.resourceVersion = out.metadata.resourceVersion;
  d.status = out.status;
}

/**
 * Sets the deployment's revision annotation. Written with a metadata patch
 * (this apiserver's status subresource keeps metadata as stored).
 */
async function writeRevision(c: SyncCtx, d: KObject, revision: string): Promise<void> {
  if (!setDeploymentRevision(d, revision)) return;
  const out = await withFreshVersion(c.deployments, d, (o) =>
    c.deployments.patch(d.metadata.namespace ?? "", d.metadata.name!, "merge", {
      metadata: { annotations: { [revisionAnnotation]: revision }, resourceVersion: o.metadata.resourceVersion },
    }),
  );
  d.metadata.resourceVersion = out.metadata.resourceVersion;
}

/** Records upstream's "Scaled up/down replica set X to N from M" (or "Scaled up replica set X to N" for a new one). */
function scaledEvent(c: SyncCtx, d: KObject, rs: KObject, from: number | undefined, to: number, op: "up" | "down"): void {
  const msg = from === undefined ? `Scaled ${op} replica set ${rs.metadata.name} to ${to}` : `Scaled ${op} replica set ${rs.metadata.name} to ${to} from ${from}`;
  c.recorder.event(d, "Normal", "ScalingReplicaSet", msg);
}

/**
 * Sets rs to `to` replicas and refreshes its replica annotations; writes
 * only when something differs. Returns whether the size changed.
 */
export async function scaleReplicaSet(c: SyncCtx, d: KObject, rs: KObject, to: number, op?: "up" | "down"): Promise<boolean> {
  const from = replicasOf(rs);
  const sizeChange = from !== to;
  const want = replicasOf(d);
  const max = want + maxSurge(d);
  if (!sizeChange && !replicasAnnotationsNeedUpdate(rs, want, max)) return false;
  const copy = structuredClone(rs);
  copy.spec.replicas = to;
  setReplicasAnnotations(copy, want, max);
  const out = await withFreshVersion(c.replicaSets, copy, (o) => c.replicaSets.update(rs.metadata.namespace ?? "", o));
  replaceInPlace(rs, out);
  if (sizeChange) scaledEvent(c, d, rs, from, to, op ?? (to > from ? "up" : "down"));
  return sizeChange;
}

/**
 * The new ReplicaSet (template equal to the deployment's), with its revision
 * brought to max(old revisions)+1, or created when `create` and none exists.
 * Also maintains the deployment's revision annotation, collisionCount and
 * the FoundNewReplicaSet / NewReplicaSetCreated / ReplicaSetCreateError
 * Progressing reasons.
 */
async function newReplicaSet(c: SyncCtx, d: KObject, rsList: KObject[], oldRSs: KObject[], existing: KObject | undefined, create: boolean): Promise<KObject | undefined> {
  const newRevision = maxRevision(oldRSs) + 1;
  const ns = d.metadata.namespace ?? "";
  if (existing) {
    const copy = structuredClone(existing);
    const annChanged = setNewReplicaSetAnnotations(d, copy, newRevision, true);
    const minReady = Number(d.spec?.minReadySeconds ?? 0);
    const minReadyChanged = Number(copy.spec?.minReadySeconds ?? 0) !== minReady;
    if (annChanged || minReadyChanged) {
      copy.spec.minReadySeconds = minReady;
      replaceInPlace(existing, await withFreshVersion(c.replicaSets, copy, (o) => c.replicaSets.update(ns, o)));
    }
    await writeRevision(c, d, existing.metadata.annotations?.[revisionAnnotation] ?? "");
    if (hasProgressDeadline(d) && !getCondition(d.status, "Progressing")) {
      const st: DeploymentStatus = structuredClone(d.status ?? {});
      setCondition(st, newCondition("Progressing", "True", reasons.foundNewRS, `Found new replica set "${existing.metadata.name}"`));
      await writeStatus(c, d, st);
    }
    return existing;
  }
  if (!create) return undefined;
  const template = structuredClone(d.spec.template ?? {});
  const hash = computeHash(d.spec.template, d.status?.collisionCount);
  template.metadata = { ...(template.metadata ?? {}), labels: { ...(template.metadata?.labels ?? {}), [podTemplateHashLabel]: hash } };
  const selector = structuredClone(d.spec.selector ?? {});
  selector.matchLabels = { ...(selector.matchLabels ?? {}), [podTemplateHashLabel]: hash };
  const rs: KObject = {
    apiVersion: "apps/v1",
    kind: "ReplicaSet",
    metadata: {
      name: `${d.metadata.name}-${hash}`,
      namespace: ns,
      ownerReferences: [newControllerRef(d, "apps/v1", "Deployment")],
      labels: { ...template.metadata.labels },
    },
    spec: { replicas: 0, minReadySeconds: Number(d.spec?.minReadySeconds ?? 0), selector, template },
  };
  rs.spec.replicas = newRSNewReplicas(d, [...oldRSs, rs], rs);
  setNewReplicaSetAnnotations(d, rs, newRevision, false);
  let created: KObject;
  let alreadyExisted = false;
  try {
    created = await c.replicaSets.create(ns, rs);
  } catch (err) {
    if (isAlreadyExists(err)) {
      const other = await c.replicaSets.get(ns, rs.metadata.name!);
      if (controllerRefOf(other)?.uid === d.metadata.uid && equalIgnoreHash(d.spec.template, other.spec?.template)) {
        created = other;
        alreadyExisted = true;
      } else {
        const st: DeploymentStatus = structuredClone(d.status ?? {});
        st.collisionCount = (st.collisionCount ?? 0) + 1;
        await writeStatus(c, d, st);
        throw new Error(`found a hash collision for deployment "${d.metadata.name}" - bumping collisionCount to ${st.collisionCount} to resolve it`);
      }
    } else {
      if (hasProgressDeadline(d)) {
        const st: DeploymentStatus = structuredClone(d.status ?? {});
        const msg = `Failed to create new replica set "${rs.metadata.name}": ${String((err as Error)?.message ?? err)}`;
        setCondition(st, newCondition("Progressing", "False", reasons.failedRSCreate, msg));
        await writeStatus(c, d, st).catch(() => undefined);
      }
      throw err;
    }
  }
  if (!alreadyExisted && replicasOf(created) > 0) scaledEvent(c, d, created, undefined, replicasOf(created), "up");
  await writeRevision(c, d, String(newRevision));
  if (!alreadyExisted && hasProgressDeadline(d)) {
    const st: DeploymentStatus = structuredClone(d.status ?? {});
    setCondition(st, newCondition("Progressing", "True", reasons.newRSCreated, `Created new replica set "${created.metadata.name}"`));
    await writeStatus(c, d, st);
  }
  return created;
}

/**
 * The new ReplicaSet (created when `create`) and all old ones, syncing the
 * new one's revision to max(old)+1 (upstream getAllReplicaSetsAndSyncRevision).
 */
export async function replicaSetsAndSyncRevision(c: SyncCtx, d: KObject, rsList: KObject[], create: boolean): Promise<{ newRS?: KObject; oldRSs: KObject[] }> {
  const existing = findNewReplicaSet(d, rsList);
  const oldRSs = findOldReplicaSets(rsList, existing);
  const newRS = await newReplicaSet(c, d, rsList, oldRSs, existing, create);
  return { newRS, oldRSs };
}

/** The only active ReplicaSet, or the latest when none is active; undefined when several are active. */
function activeOrLatest(newRS: KObject | undefined, oldRSs: KObject[]): KObject | undefined {
  if (!newRS && !oldRSs.length) return undefined;
  const olds = [...oldRSs].sort((a, b) => byCreation(b, a));
  const active = activeReplicaSets([newRS, ...olds]);
  if (active.length === 0) return newRS ?? olds[0];
  if (active.length === 1) return active[0];
  return undefined;
}

/**
 * Brings the ReplicaSets' total to spec.replicas (+ maxSurge during a
 * rolling update), spreading additions and removals proportionally to each
 * ReplicaSet's share as recorded in its max-replicas annotation (upstream
 * scale and getProportion); leftovers go to the largest ReplicaSet.
 */
export async function scale(c: SyncCtx, d: KObject, newRS: KObject | undefined, oldRSs: KObject[]): Promise<void> {
  const want = replicasOf(d);
  const only = activeOrLatest(newRS, oldRSs);
  if (only) {
    if (replicasOf(only) !== want) await scaleReplicaSet(c, d, only, want);
    return;
  }
  if (isSaturated(d, newRS)) {
    for (const old of activeReplicaSets(oldRSs)) await scaleReplicaSet(c, d, old, 0);
    return;
  }
  if (!isRollingUpdate(d)) return;
  const all = activeReplicaSets([newRS, ...oldRSs]);
  const allowed = want > 0 ? want + maxSurge(d) : 0;
  const toAdd = allowed - specReplicas(all);
  let op: "up" | "down" | undefined;
  if (toAdd > 0) {
    all.sort(bySizeNewer);
    op = "up";
  } else if (toAdd < 0) {
    all.sort(bySizeOlder);
    op = "down";
  }
  const sizes = new Map<KObject, number>();
  let added = 0;
  for (const rs of all) {
    if (toAdd === 0) {
      sizes.set(rs, replicasOf(rs));
      continue;
    }
    const p = proportion(d, rs, toAdd, added);
    sizes.set(rs, replicasOf(rs) + p);
    added += p;
  }
  const leftover = toAdd - added;
  if (all.length && leftover !== 0) sizes.set(all[0], Math.max(0, sizes.get(all[0])! + leftover));
  for (const rs of all) await scaleReplicaSet(c, d, rs, sizes.get(rs)!, op);
}

function proportion(d: KObject, rs: KObject, toAdd: number, added: number): number {
  if (replicasOf(rs) === 0 || toAdd === 0 || toAdd === added) return 0;
  const fraction = replicaSetFraction(d, rs);
  const allowed = toAdd - added;
  return toAdd > 0 ? Math.min(fraction, allowed) : Math.max(fraction, allowed);
}

function replicaSetFraction(d: KObject, rs: KObject): number {
  const want = replicasOf(d);
  if (want === 0) return -replicasOf(rs);
  const total = want + maxSurge(d);
  const annotated = intAnnotation(rs, maxReplicasAnnotation) ?? Number(d.status?.replicas ?? 0);
  if (annotated <= 0) return 0;
  return Math.round((replicasOf(rs) * total) / annotated) - replicasOf(rs);
}

/**
 * Deletes the oldest ReplicaSets (by revision) beyond revisionHistoryLimit
 * that are fully scaled down and observed; others are skipped.
 */
export async function cleanupDeployment(c: SyncCtx, d: KObject, oldRSs: KObject[]): Promise<void> {
  const limit = d.spec?.revisionHistoryLimit;
  if (limit === undefined || limit === null) return;
  const alive = oldRSs.filter((rs) => !rs.metadata.deletionTimestamp);
  const diff = alive.length - Number(limit);
  if (diff <= 0) return;
  alive.sort(byRevision);
  for (let i = 0; i < diff; i++) {
    const rs = alive[i];
    if (Number(rs.status?.replicas ?? 0) !== 0 || replicasOf(rs) !== 0) continue;
    if ((rs.metadata.generation ?? 0) > Number(rs.status?.observedGeneration ?? 0)) continue;
    try {
      await c.replicaSets.delete(rs.metadata.namespace ?? "", rs.metadata.name!, { preconditions: { uid: rs.metadata.uid } });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
}

/** Status from the ReplicaSets, written when it changed (upstream syncDeploymentStatus). */
export async function syncDeploymentStatus(c: SyncCtx, d: KObject, allRSs: KObject[], newRS: KObject | undefined): Promise<void> {
  await writeStatus(c, d, calculateStatus(d, allRSs, newRS));
}

/**
 * A scaling or paused sync (upstream sync): scale without creating a new
 * ReplicaSet, prune history when paused, write status.
 */
export async function syncScaleOnly(c: SyncCtx, d: KObject, rsList: KObject[]): Promise<void> {
  const { newRS, oldRSs } = await replicaSetsAndSyncRevision(c, d, rsList, false);
  await scale(c, d, newRS, oldRSs);
  if (d.spec?.paused) await cleanupDeployment(c, d, oldRSs);
  await syncDeploymentStatus(c, d, newRS ? [...oldRSs, newRS] : oldRSs, newRS);
}

/** Status only (a deployment being deleted). */
export async function syncStatusOnly(c: SyncCtx, d: KObject, rsList: KObject[]): Promise<void> {
  const { newRS, oldRSs } = await replicaSetsAndSyncRevision(c, d, rsList, false);
  await syncDeploymentStatus(c, d, newRS ? [...oldRSs, newRS] : oldRSs, newRS);
}

/** An active ReplicaSet's desired-replicas annotation differs from spec.replicas. */
export async function isScalingEvent(c: SyncCtx, d: KObject, rsList: KObject[]): Promise<boolean> {
  const { newRS, oldRSs } = await replicaSetsAndSyncRevision(c, d, rsList, false);
  for (const rs of activeReplicaSets([...oldRSs, newRS])) {
    const desired = intAnnotation(rs, desiredReplicasAnnotation);
    if (desired !== undefined && desired !== replicasOf(d)) return true;
  }
  return false;
}

/** Keeps Progressing at DeploymentPaused / DeploymentResumed in step with spec.paused. */
export async function checkPausedConditions(c: SyncCtx, d: KObject): Promise<void> {
  if (!hasProgressDeadline(d)) return;
  const cond = getCondition(d.status, "Progressing");
  if (cond?.reason === reasons.timedOut) return;
  const pausedCond = cond?.reason === reasons.paused;
  const st: DeploymentStatus = structuredClone(d.status ?? {});
  if (d.spec?.paused && !pausedCond) setCondition(st, newCondition("Progressing", "Unknown", reasons.paused, "Deployment is paused"));
  else if (!d.spec?.paused && pausedCond) setCondition(st, newCondition("Progressing", "Unknown", reasons.resumed, "Deployment is resumed"));
  else return;
  await writeStatus(c, d, st);
}
