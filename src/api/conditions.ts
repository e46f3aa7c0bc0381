/**
 * meta/v1 Condition lists as upstream's apimeta.SetStatusCondition keeps
 * them: a condition of the same type is replaced in place, and its
 * lastTransitionTime changes only when its status does.
 */

/** One metav1.Condition (or a kind's condition of the same shape). */
export interface StatusCondition extends NewCondition {
  lastTransitionTime?: string;
}

/** A condition to set: lastTransitionTime is decided by setStatusCondition; other members (a pod's lastProbeTime) are kept. */
export interface NewCondition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  observedGeneration?: number;
  [member: string]: unknown;
}

/** `conditions` with `cond` set (a new array; the input is not changed). `now` stamps a status change. */
export function setStatusCondition(conditions: readonly StatusCondition[] | undefined, cond: NewCondition, now: string): StatusCondition[] {
  const list = [...(conditions ?? [])];
  const i = list.findIndex((c) => c.type === cond.type);
  const old = i >= 0 ? list[i] : undefined;
  const next: StatusCondition = { ...cond, lastTransitionTime: old && old.status === cond.status && old.lastTransitionTime ? old.lastTransitionTime : now };
  if (i >= 0) list[i] = next;
  else list.push(next);
  return list;
}
