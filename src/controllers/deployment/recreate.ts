/**
 * The Recreate strategy (upstream recreate.go): scale every old ReplicaSet
 * to zero, wait until none of their pods is still running, then create or
 * scale up the new ReplicaSet; prune history once complete.
 */
import type { KObject } from "../../api/types.ts";
import { deploymentComplete } from "./conditions.ts";
import { syncRolloutStatus } from "./rolling.ts";
import { cleanupDeployment, replicaSetsAndSyncRevision, scaleReplicaSet, type SyncCtx } from "./sync.ts";
import { activeReplicaSets, replicasOf, statusSum } from "./util.ts";

/**
 * True while any old ReplicaSet reports replicas or owns a pod that is not
 * Succeeded/Failed (`podsByRS` maps ReplicaSet uid to its pods).
 */
export function oldPodsRunning(newRS: KObject | undefined, oldRSs: KObject[], podsByRS: Map<string, KObject[]>): boolean {
  if (statusSum(oldRSs, "replicas") > 0) return true;
  for (const [uid, pods] of podsByRS) {
    if (newRS && uid === newRS.metadata.uid) continue;
    for (const p of pods) {
      const phase = p.status?.phase;
      if (phase !== "Succeeded" && phase !== "Failed") return true;
    }
  }
  return false;
}

/** One step of a Recreate rollout (upstream rolloutRecreate). */
export async function rolloutRecreate(c: SyncCtx, d: KObject, rsList: KObject[], podsByRS: Map<string, KObject[]>): Promise<void> {
  let { newRS, oldRSs } = await replicaSetsAndSyncRevision(c, d, rsList, false);
  let allRSs = newRS ? [...oldRSs, newRS] : oldRSs;
  let scaledDown = false;
  for (const rs of activeReplicaSets(oldRSs)) {
    if (await scaleReplicaSet(c, d, rs, 0, "down")) scaledDown = true;
  }
  if (scaledDown) return syncRolloutStatus(c, d, allRSs, newRS);
  if (oldPodsRunning(newRS, oldRSs, podsByRS)) return syncRolloutStatus(c, d, allRSs, newRS);
  if (!newRS) {
    ({ newRS, oldRSs } = await replicaSetsAndSyncRevision(c, d, rsList, true));
    allRSs = newRS ? [...oldRSs, newRS] : oldRSs;
  }
  if (newRS && replicasOf(newRS) !== replicasOf(d)) await scaleReplicaSet(c, d, newRS, replicasOf(d));
  if (deploymentComplete(d, d.status ?? {})) await cleanupDeployment(c, d, oldRSs);
  return syncRolloutStatus(c, d, allRSs, newRS);
}
