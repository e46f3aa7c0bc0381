/**
 * spec.activeDeadlineSeconds, as upstream's active deadline handler: a pod
 * that has been active on the node (since status.startTime) for longer than
 * its deadline is failed with reason DeadlineExceeded and killed.
 */
import type { Pod } from "./types.ts";

export const DEADLINE_EXCEEDED_REASON = "DeadlineExceeded";
export const DEADLINE_EXCEEDED_MESSAGE = "Pod was active on the node longer than the specified deadline";

/**
 * Milliseconds left before the pod passes its active deadline (≤ 0: it has);
 * undefined when the pod has no deadline or no start time yet.
 */
export function activeDeadlineRemaining(pod: Pod, startTime: string | undefined, now: number): number | undefined {
  const secs = pod.spec?.activeDeadlineSeconds;
  if (typeof secs !== "number" || !startTime) return undefined;
  const started = Date.parse(startTime);
  if (Number.isNaN(started)) return undefined;
  return started + secs * 1000 - now;
}
