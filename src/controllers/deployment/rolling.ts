/**
 * The RollingUpdate strategy (upstream rolling.go): scale the new ReplicaSet
 * up within maxSurge, then scale old ones down within maxUnavailable —
 * unhealthy old replicas first — and prune history once complete. One step
 * per sync; ReplicaSet status changes trigger the next.
 */
import type { KObject } from "../../api/types.ts";
import { deploymentComplete, rolloutStatus } from "./conditions.ts";
import { cleanupDeployment, replicaSetsAndSyncRevision, scaleReplicaSet, writeStatus, type SyncCtx } from "./sync.ts";
import { activeReplicaSets, byCreation, maxUnavailable, newRSNewReplicas, replicasOf, specReplicas } from "./util.ts";

/** Writes the rollout status (Progressing, Available, ReplicaFailure) when it changed. */
export async function syncRolloutStatus(c: SyncCtx, d: KObject, allRSs: KObject[], newRS: KObject | undefined): Promise<void> {
  await writeStatus(c, d, rolloutStatus(d, allRSs, newRS));
}

async function reconcileNewReplicaSet(c: SyncCtx, d: KObject, allRSs: KObject[], newRS: KObject): Promise<boolean> {
  const want = replicasOf(d);
  if (replicasOf(newRS) === want) return false;
  if (replicasOf(newRS) > want) return scaleReplicaSet(c, d, newRS, want, "down");
  return scaleReplicaSet(c, d, newRS, newRSNewReplicas(d, allRSs, newRS), "up");
}

/** Scales down old replicas that are not available, oldest ReplicaSet first, up to `max`. */
async function cleanupUnhealthyReplicas(c: SyncCtx, d: KObject, oldRSs: KObject[], max: number): Promise<number> {
  let total = 0;
  for (const rs of [...oldRSs].sort(byCreation)) {
    if (total >= max) break;
    const replicas = replicasOf(rs);
    const available = Number(rs.status?.availableReplicas ?? 0);
    if (replicas === 0 || replicas <= available) continue;
    const n = Math.min(max - total, replicas - available);
    await scaleReplicaSet(c, d, rs, replicas - n, "down");
    total += n;
  }
  return total;
}

/**
 * Available replicas that will stay: per ReplicaSet min(status.availableReplicas,
 * spec.replicas). Stricter than upstream, which sums status alone and so can
 * count pods a just-scaled-down ReplicaSet is about to delete (its status not
 * yet updated), briefly dipping below maxUnavailable.
 */
function lastingAvailable(rss: KObject[]): number {
  return rss.reduce((s, rs) => s + Math.min(Number(rs.status?.availableReplicas ?? 0), replicasOf(rs)), 0);
}

/** Scales old ReplicaSets down as far as availability above spec.replicas - maxUnavailable allows. */
async function scaleDownOldForRollingUpdate(c: SyncCtx, d: KObject, allRSs: KObject[], oldRSs: KObject[]): Promise<number> {
  const minAvailable = replicasOf(d) - maxUnavailable(d);
  const available = lastingAvailable(allRSs);
  if (available <= minAvailable) return 0;
  const budget = available - minAvailable;
  let total = 0;
  for (const rs of [...oldRSs].sort(byCreation)) {
    if (total >= budget) break;
    if (replicasOf(rs) === 0) continue;
    const n = Math.min(replicasOf(rs), budget - total);
    await scaleReplicaSet(c, d, rs, replicasOf(rs) - n, "down");
    total += n;
  }
  return total;
}

async function reconcileOldReplicaSets(c: SyncCtx, d: KObject, allRSs: KObject[], oldRSs: KObject[], newRS: KObject | undefined): Promise<boolean> {
  if (specReplicas(oldRSs) === 0) return false;
  const minAvailable = replicasOf(d) - maxUnavailable(d);
  const newUnavailable = newRS ? replicasOf(newRS) - Number(newRS.status?.availableReplicas ?? 0) : 0;
  const maxScaledDown = specReplicas(allRSs) - minAvailable - newUnavailable;
  if (maxScaledDown <= 0) return false;
  const cleaned = await cleanupUnhealthyReplicas(c, d, oldRSs, maxScaledDown);
  const all = newRS ? [...oldRSs, newRS] : oldRSs;
  const scaled = await scaleDownOldForRollingUpdate(c, d, all, oldRSs);
  return cleaned + scaled > 0;
}

/** One step of a rolling update (upstream rolloutRolling). */
export async function rolloutRolling(c: SyncCtx, d: KObject, rsList: KObject[]): Promise<void> {
  const { newRS, oldRSs } = await replicaSetsAndSyncRevision(c, d, rsList, true);
  const allRSs = newRS ? [...oldRSs, newRS] : oldRSs;
  if (newRS && (await reconcileNewReplicaSet(c, d, allRSs, newRS))) return syncRolloutStatus(c, d, allRSs, newRS);
  if (await reconcileOldReplicaSets(c, d, allRSs, activeReplicaSets(oldRSs), newRS)) return syncRolloutStatus(c, d, allRSs, newRS);
  if (deploymentComplete(d, d.status ?? {})) await cleanupDeployment(c, d, oldRSs);
  return syncRolloutStatus(c, d, allRSs, newRS);
}
