/**
 * Pure Job rules: pod failure policy matching, completed-index interval
 * strings (status.completedIndexes), pod back-off delays, and pod state
 * predicates. No I/O.
 */
import type { KObject } from "../../api/types.ts";

/** Finalizer the Job controller puts on its pods until it has counted them. */
export const trackingFinalizer = "batch.kubernetes.io/job-tracking";
/** Annotation and label carrying an Indexed Job pod's completion index. */
export const completionIndexKey = "batch.kubernetes.io/job-completion-index";

let backoffBaseMs = Number(process.env.TSKUBE_JOB_BACKOFF_BASE_MS) > 0 ? Number(process.env.TSKUBE_JOB_BACKOFF_BASE_MS) : 10_000;
const backoffMaxMs = 6 * 60 * 1000;

/**
 * Sets the base of the pod-failure back-off (default 10 s, or the
 * TSKUBE_JOB_BACKOFF_BASE_MS environment variable); for tests. Returns the old value.
 */
export function setJobBackoffBase(ms: number): number {
  const old = backoffBaseMs;
  backoffBaseMs = ms;
  return old;
}

/** Delay before the next pod after `failures` consecutive failures: base·2^(n-1), capped at 6 min. */
export function backoffDelay(failures: number): number {
  if (failures <= 0) return 0;
  return Math.min(backoffMaxMs, backoffBaseMs * 2 ** Math.min(failures - 1, 30));
}

export const isSucceeded = (p: KObject): boolean => p.status?.phase === "Succeeded";

/** Failed phase, or terminating without having succeeded (counted as failed, as upstream without a policy). */
export const isFailed = (p: KObject): boolean => p.status?.phase === "Failed" || (!!p.metadata.deletionTimestamp && !isSucceeded(p));

/** Not finished and not terminating. */
export const isActive = (p: KObject): boolean => !isSucceeded(p) && p.status?.phase !== "Failed" && !p.metadata.deletionTimestamp;

export const isReady = (p: KObject): boolean => (p.status?.conditions ?? []).some((c: { type: string; status: string }) => c.type === "Ready" && c.status === "True");

/** The completion index of a pod (annotation, else label), or undefined when absent or malformed. */
export function podIndex(p: KObject): number | undefined {
  const v = p.metadata.annotations?.[completionIndexKey] ?? p.metadata.labels?.[completionIndexKey];
  if (v === undefined || !/^\d+$/.test(v)) return undefined;
  return Number(v);
}

/** Parses "0-2,5" into a set of indexes (ignoring ones >= completions). */
export function parseIndexes(s: string | undefined, completions: number): Set<number> {
  const out = new Set<number>();
  for (const part of (s ?? "").split(",")) {
    if (!part) continue;
    const [a, b] = part.split("-").map(Number);
    for (let i = a; i <= (b ?? a); i++) if (i < completions) out.add(i);
  }
  return out;
}

/** Formats a set of indexes as sorted intervals, e.g. "0-2,5" ("" when empty). */
export function formatIndexes(set: Set<number>): string {
  const xs = [...set].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < xs.length; ) {
    let j = i;
    while (j + 1 < xs.length && xs[j + 1] === xs[j] + 1) j++;
    parts.push(i === j ? String(xs[i]) : `${xs[i]}-${xs[j]}`);
    i = j + 1;
  }
  return parts.join(",");
}

export interface PolicyMatch {
  action: "FailJob" | "Ignore" | "Count" | "FailIndex";
  message: string;
}

interface ExitRule {
  containerName?: string;
  operator: "In" | "NotIn";
  values: number[];
}

/**
 * The first rule of spec.podFailurePolicy matching failed pod `p`, or
 * undefined. Exit-code rules look at containers (and init containers) that
 * terminated with a non-zero code; condition rules at pod conditions.
 */
export function matchPodFailurePolicy(job: KObject, p: KObject): PolicyMatch | undefined {
  const rules = (job.spec?.podFailurePolicy?.rules ?? []) as { action: PolicyMatch["action"]; onExitCodes?: ExitRule; onPodConditions?: { type: string; status?: string }[] }[];
  const who = `${p.metadata.namespace}/${p.metadata.name}`;
  const statuses = [...(p.status?.initContainerStatuses ?? []), ...(p.status?.containerStatuses ?? [])] as {
    name: string;
    state?: { terminated?: { exitCode: number } };
  }[];
  for (const [i, rule] of rules.entries()) {
    if (rule.onExitCodes) {
      const r = rule.onExitCodes;
      for (const cs of statuses) {
        const code = cs.state?.terminated?.exitCode;
        if (code === undefined || code === 0) continue;
        if (r.containerName && r.containerName !== cs.name) continue;
        const inSet = r.values.includes(code);
        if (r.operator === "In" ? inSet : !inSet)
          return { action: rule.action, message: `Container ${cs.name} for pod ${who} failed with exit code ${code} matching ${rule.action} rule at index ${i}` };
      }
    } else if (rule.onPodConditions?.length) {
      for (const pat of rule.onPodConditions) {
        const c = (p.status?.conditions ?? []).find((x: { type: string }) => x.type === pat.type);
        if (c && c.status === (pat.status ?? "True"))
          return { action: rule.action, message: `Pod ${who} has condition ${pat.type} matching ${rule.action} rule at index ${i}` };
      }
    }
  }
  return undefined;
}

export interface JobCondition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastProbeTime?: string;
  lastTransitionTime?: string;
}

/** True when the Job has a Complete or Failed condition with status True. */
export function isFinished(job: KObject): boolean {
  return ((job.status?.conditions ?? []) as JobCondition[]).some((c) => (c.type === "Complete" || c.type === "Failed") && c.status === "True");
}

/**
 * Sets condition `type` in `conds` (in place); lastTransitionTime changes
 * only when the status does. Returns true when anything changed.
 */
export function setCondition(conds: JobCondition[], type: string, status: string, reason: string, message: string, now: string): boolean {
  const c = conds.find((x) => x.type === type);
  if (!c) {
    conds.push({ type, status, reason, message, lastProbeTime: now, lastTransitionTime: now });
    return true;
  }
  if (c.status === status && c.reason === reason && c.message === message) return false;
  if (c.status !== status) c.lastTransitionTime = now;
  Object.assign(c, { status, reason, message, lastProbeTime: now });
  return true;
}
