/**
 * The Job reconcile function (upstream syncJob). Reads the Job and its pods
 * from listers, then:
 *  1. tracks finished pods as upstream does: their uids go into
 *     status.uncountedTerminatedPods (written first), then the
 *     `batch.kubernetes.io/job-tracking` finalizer is removed from them, then
 *     they move into status.succeeded / status.failed. A pod is counted only
 *     while it still carries the finalizer and is not already uncounted, and
 *     uids whose finalizer this process removed are remembered until the
 *     cache shows the pod without it, so a stale cache never counts twice;
 *  2. decides failure (podFailurePolicy FailJob, backoffLimit,
 *     activeDeadlineSeconds), completion and suspension;
 *  3. otherwise creates or deletes pods (expectations guard against a stale
 *     cache; creation waits out the exponential back-off after failures);
 *  4. writes status when it changed.
 */
import type { KObject } from "../../api/types.ts";
import { isNotFound, type ApiClient, type EventRecorder, type Lister, type ReconcileResult } from "../../client/index.ts";
import { deepEqual } from "../../machinery/validation.ts";
import { controllerRef } from "../revisions/history.ts";
import { slowStartBatch, type Expectations } from "./podcontrol.ts";
import {
  backoffDelay,
  completionIndexKey,
  formatIndexes,
  isActive,
  isFailed,
  isFinished,
  isReady,
  isSucceeded,
  matchPodFailurePolicy,
  parseIndexes,
  podIndex,
  setCondition,
  trackingFinalizer,
  type JobCondition,
} from "./policy.ts";
import { rfc3339 } from "../../machinery/time.ts";

/** Everything syncJob needs; owned by the controller instance. */
export interface JobSyncDeps {
  client: ApiClient;
  jobs: Lister<KObject>;
  /** Pods controlled by the Job with this uid. */
  podsOf(uid: string): KObject[];
  /** Pods in `namespace` whose controller is a Job named `name` (of any uid). */
  podsNamed(namespace: string, name: string): KObject[];
  exp: Expectations;
  recorder: EventRecorder;
  /** Per Job uid: consecutive failures since the last success, and when the last one was seen. */
  backoff: Map<string, { failures: number; last: number }>;
  /** Per Job uid: the Job as this process last wrote it (read-your-writes over a lagging cache). */
  written: Map<string, KObject>;
  /** Per Job uid: pod uids whose tracking finalizer this process removed (never count them). */
  released: Map<string, Set<string>>;
  podsRes: ReturnType<ApiClient["resource"]>;
  jobsRes: ReturnType<ApiClient["resource"]>;
}

const hasFinalizer = (p: KObject): boolean => (p.metadata.finalizers ?? []).includes(trackingFinalizer);

/** Reconciles the Job `namespace/name`; throws to be retried with back-off. */
export async function syncJob(d: JobSyncDeps, key: string, namespace: string, name: string): Promise<ReconcileResult | void> {
  const cached = d.jobs.get(namespace, name);
  const strays = d.podsNamed(namespace, name).filter((p) => hasFinalizer(p) && p.metadata.ownerReferences?.find((o) => o.controller)?.uid !== cached?.metadata.uid);
  if (strays.length) await releaseFinalizers(d, strays, new Set());
  if (!cached) {
    d.exp.delete(key);
    return;
  }
  const uid = cached.metadata.uid!;
  const job = newer(cached, d.written.get(uid));
  const pods = d.podsOf(uid);
  const released = d.released.get(uid) ?? new Set<string>();
  d.released.set(uid, released);
  const present = new Set(pods.filter(hasFinalizer).map((p) => p.metadata.uid!));
  for (const u of released) if (!present.has(u)) released.delete(u);

  if (isFinished(job) || job.metadata.deletionTimestamp) {
    await releaseFinalizers(d, pods.filter((p) => hasFinalizer(p) && !released.has(p.metadata.uid!)), released);
    return;
  }

  const spec = job.spec ?? {};
  const indexed = spec.completionMode === "Indexed";
  const completions: number | undefined = spec.completions ?? undefined;
  const nowMs = Date.now();
  const now = rfc3339(nowMs);
  let current = job;
  const status = structuredClone(job.status ?? {});
  const conds: JobCondition[] = (status.conditions ??= []);

  // 1. Track finished pods.
  const unc = {
    succeeded: [...(status.uncountedTerminatedPods?.succeeded ?? [])] as string[],
    failed: [...(status.uncountedTerminatedPods?.failed ?? [])] as string[],
  };
  const inUnc = new Set([...unc.succeeded, ...unc.failed]);
  const completed = indexed ? parseIndexes(status.completedIndexes, completions ?? 0) : new Set<number>();
  const ignored: KObject[] = [];
  let failJob: string | undefined;
  let newFailures = 0;
  let newSuccesses = 0;
  for (const p of pods) {
    const pu = p.metadata.uid!;
    if (!hasFinalizer(p) || released.has(pu) || inUnc.has(pu)) continue;
    if (isSucceeded(p)) {
      unc.succeeded.push(pu);
      newSuccesses++;
      const ix = podIndex(p);
      if (indexed && ix !== undefined && ix < (completions ?? 0)) completed.add(ix);
    } else if (isFailed(p)) {
      const m = spec.podFailurePolicy && p.status?.phase === "Failed" ? matchPodFailurePolicy(job, p) : undefined;
      if (m?.action === "Ignore") {
        ignored.push(p);
        continue;
      }
      if (m?.action === "FailJob") failJob ??= m.message;
      unc.failed.push(pu);
      newFailures++;
    }
  }
  if (newFailures || newSuccesses) {
    status.uncountedTerminatedPods = { ...unc };
    if (indexed) status.completedIndexes = formatIndexes(completed);
    current = await d.jobsRes.updateStatus(namespace, { ...current, status: structuredClone(status) });
    d.written.set(uid, current);
    const rec = d.backoff.get(uid) ?? { failures: 0, last: 0 };
    if (newSuccesses && !newFailures) rec.failures = 0;
    if (newFailures) Object.assign(rec, { failures: rec.failures + newFailures, last: nowMs });
    d.backoff.set(uid, rec);
  }
  const uncSet = new Set([...unc.succeeded, ...unc.failed]);
  await releaseFinalizers(d, [...pods.filter((p) => hasFinalizer(p) && uncSet.has(p.metadata.uid!)), ...ignored], released);
  status.failed = (status.failed ?? 0) + unc.failed.length;
  status.succeeded = indexed ? completed.size : (status.succeeded ?? 0) + unc.succeeded.length;
  status.uncountedTerminatedPods = {};

  let active = pods.filter(isActive);
  const suspended = spec.suspend === true;
  if (!suspended && !status.startTime) status.startTime = now;

  // 2. Failure, completion, suspension. Once a Job is failing or succeeding (FailureTarget /
  // SuccessCriteriaMet), its remaining pods are deleted and count as failed; the terminal
  // condition (Failed / Complete) follows once none of its pods is terminating, as upstream.
  const terminating = (ps: KObject[]): number => ps.filter((p) => p.metadata.deletionTimestamp && !isSucceeded(p) && p.status?.phase !== "Failed").length;
  /** Pods terminating once `deleted` are (a pod never bound goes at once). */
  const stillStopping = (deleted: KObject[]): number => terminating(pods) + deleted.filter((p) => p.spec?.nodeName).length;
  let failure: { reason: string; message: string } | undefined;
  const deadlineMs = spec.activeDeadlineSeconds != null && status.startTime ? Date.parse(status.startTime) + spec.activeDeadlineSeconds * 1000 : undefined;
  const target = conds.find((c) => (c.type === "FailureTarget" || c.type === "SuccessCriteriaMet") && c.status === "True");
  if (target) {
    if (target.type === "FailureTarget") failure = { reason: target.reason ?? "", message: target.message ?? "" };
  } else if (failJob) failure = { reason: "PodFailurePolicy", message: failJob };
  else if (status.failed > (spec.backoffLimit ?? 6)) failure = { reason: "BackoffLimitExceeded", message: "Job has reached the specified backoff limit" };
  else if (!suspended && deadlineMs !== undefined && nowMs >= deadlineMs) failure = { reason: "DeadlineExceeded", message: "Job was active longer than specified deadline" };
  const complete =
    !failure &&
    (target?.type === "SuccessCriteriaMet" ||
      (indexed ? completed.size >= (completions ?? 0) : completions != null ? status.succeeded >= completions : status.succeeded > 0 && active.length === 0));

  if (failure || complete) {
    // Every pod still running is a failure now; it is counted here, then released and deleted.
    // Only tracked pods count (one released before is counted already; the cache may not show its deletion yet).
    const counted = active.filter((p) => hasFinalizer(p) && !released.has(p.metadata.uid!) && (!indexed || (podIndex(p) ?? Infinity) < (completions ?? 0)));
    status.failed += counted.length;
    await deletePods(d, key, job, active, released);
    const left = stillStopping(active);
    status.active = 0;
    status.ready = 0;
    status.terminating = left;
    if (failure) {
      setCondition(conds, "FailureTarget", "True", failure.reason, failure.message, now);
      if (!left) {
        setCondition(conds, "Failed", "True", failure.reason, failure.message, now);
        d.recorder.event(job, "Warning", failure.reason, failure.message);
      }
    } else {
      setCondition(conds, "SuccessCriteriaMet", "True", "CompletionsReached", "Reached expected number of succeeded pods", now);
      if (!left) {
        setCondition(conds, "Complete", "True", "CompletionsReached", "Reached expected number of succeeded pods", now);
        status.completionTime = now;
        d.recorder.event(job, "Normal", "Completed", "Job completed");
      }
    }
    await writeStatus(d, current, status);
    return left ? { requeueAfterMs: 1000 } : undefined;
  }
  if (suspended) {
    await deletePods(d, key, job, active, released);
    status.active = 0;
    status.ready = 0;
    status.terminating = stillStopping(active);
    if (setCondition(conds, "Suspended", "True", "JobSuspended", "Job suspended", now)) d.recorder.event(job, "Normal", "Suspended", "Job suspended");
    await writeStatus(d, current, status);
    return;
  }
  if (conds.some((c) => c.type === "Suspended" && c.status === "True")) {
    setCondition(conds, "Suspended", "False", "JobResumed", "Job resumed", now);
    status.startTime = now;
    d.recorder.event(job, "Normal", "Resumed", "Job resumed");
  }

  // 3. Manage pods.
  let created = 0;
  let requeue: number | undefined = deadlineMs !== undefined ? Math.max(1, deadlineMs - nowMs) : undefined;
  if (d.exp.satisfied(key)) {
    const parallelism = spec.parallelism ?? 1;
    const toCreate: (number | undefined)[] = [];
    const excess: KObject[] = [];
    if (indexed) {
      const seen = new Set<number>();
      const byPreference = [...active].sort(preferKeep);
      for (const p of byPreference) {
        const ix = podIndex(p);
        if (ix === undefined || ix >= (completions ?? 0) || completed.has(ix) || seen.has(ix)) excess.push(p);
        else seen.add(ix);
      }
      const keep = byPreference.filter((p) => !excess.includes(p));
      excess.push(...keep.slice(parallelism));
      for (let i = 0; i < (completions ?? 0) && keep.length + toCreate.length < parallelism; i++)
        if (!completed.has(i) && !seen.has(i)) toCreate.push(i);
    } else {
      // A work queue (no completions) leaves running pods to finish once one succeeded, as upstream.
      const want = completions == null ? (status.succeeded > 0 ? Math.min(active.length, parallelism) : parallelism) : Math.max(0, Math.min(parallelism, completions - status.succeeded));
      if (active.length > want) excess.push(...[...active].sort(preferKeep).slice(want));
      for (let i = active.length; i < want; i++) toCreate.push(undefined);
    }
    if (excess.length) {
      await deletePods(d, key, job, excess, released);
      active = active.filter((p) => !excess.includes(p));
    }
    if (toCreate.length) {
      const rec = d.backoff.get(uid);
      const wait = rec && rec.failures > 0 ? rec.last + backoffDelay(rec.failures) - nowMs : 0;
      if (wait > 0) requeue = Math.min(requeue ?? Infinity, wait);
      else created = await createPods(d, key, job, toCreate);
    }
  }
  status.active = active.length + created;
  status.ready = active.filter(isReady).length;
  status.terminating = terminating(pods);
  await writeStatus(d, current, status);
  return requeue !== undefined ? { requeueAfterMs: requeue } : undefined;
}

/** Sort order for deletion: keep ready, older pods; delete not-ready, newer ones first. */
function preferKeep(a: KObject, b: KObject): number {
  const r = Number(isReady(b)) - Number(isReady(a));
  if (r) return r;
  return String(a.metadata.creationTimestamp ?? "").localeCompare(String(b.metadata.creationTimestamp ?? ""));
}

async function writeStatus(d: JobSyncDeps, job: KObject, status: Record<string, unknown>): Promise<void> {
  if (deepEqual(job.status ?? {}, status)) return;
  d.written.set(job.metadata.uid!, await d.jobsRes.updateStatus(job.metadata.namespace!, { ...job, status }));
}

/** The later of the cached Job and the one this process last wrote (resourceVersion is the store revision). */
function newer(cached: KObject, written: KObject | undefined): KObject {
  if (!written || written.metadata.uid !== cached.metadata.uid) return cached;
  return Number(written.metadata.resourceVersion) > Number(cached.metadata.resourceVersion) ? written : cached;
}

/** Removes the tracking finalizer from `pods` (resourceVersion-guarded merge patch); NotFound is fine. */
async function releaseFinalizers(d: JobSyncDeps, pods: KObject[], released: Set<string>): Promise<void> {
  await Promise.all(
    pods.map(async (p) => {
      const finalizers = (p.metadata.finalizers ?? []).filter((f) => f !== trackingFinalizer);
      try {
        await d.podsRes.patch(p.metadata.namespace!, p.metadata.name!, "json", [
          { op: "test", path: "/metadata/finalizers", value: p.metadata.finalizers },
          { op: "replace", path: "/metadata/finalizers", value: finalizers },
        ]);
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
      released.add(p.metadata.uid!);
    }),
  );
}

/** Deletes pods the controller no longer wants; they are released first so they are never counted. */
async function deletePods(d: JobSyncDeps, key: string, job: KObject, pods: KObject[], released: Set<string>): Promise<void> {
  if (!pods.length) return;
  await releaseFinalizers(d, pods.filter(hasFinalizer), released);
  await Promise.all(
    pods.map(async (p) => {
      d.exp.expectDeletion(key, p.metadata.uid!);
      try {
        await d.podsRes.delete(p.metadata.namespace!, p.metadata.name!, { preconditions: { uid: p.metadata.uid } });
        d.recorder.event(job, "Normal", "SuccessfulDelete", `Deleted pod: ${p.metadata.name}`);
      } catch (err) {
        d.exp.deletionObserved(key, p.metadata.uid!);
        if (!isNotFound(err)) throw err;
      }
    }),
  );
}

/** Creates one pod per entry (an index for Indexed Jobs); returns how many were created; throws on failure. */
async function createPods(d: JobSyncDeps, key: string, job: KObject, indexes: (number | undefined)[]): Promise<number> {
  d.exp.expectCreations(key, indexes.length);
  const res = await slowStartBatch(indexes.length, async (i) => {
    const created = await d.podsRes.create(job.metadata.namespace!, podFor(job, indexes[i]));
    d.recorder.event(job, "Normal", "SuccessfulCreate", `Created pod: ${created.metadata.name}`);
  });
  for (let i = res.ok; i < indexes.length; i++) d.exp.creationObserved(key);
  if (res.error) {
    d.recorder.event(job, "Warning", "FailedCreate", `Error creating: ${String((res.error as Error)?.message ?? res.error)}`);
    throw res.error;
  }
  return res.ok;
}

/** The pod for `job` (and completion index `ix` when Indexed): template labels, controller ref, tracking finalizer. */
export function podFor(job: KObject, ix?: number): KObject {
  const t = job.spec?.template ?? {};
  const name = job.metadata.name!;
  const labels: Record<string, string> = { ...(t.metadata?.labels ?? {}) };
  const annotations: Record<string, string> = { ...(t.metadata?.annotations ?? {}) };
  const spec = structuredClone(t.spec ?? {});
  if (ix !== undefined) {
    labels[completionIndexKey] = String(ix);
    annotations[completionIndexKey] = String(ix);
    spec.hostname ??= `${name}-${ix}`;
    const env = { name: "JOB_COMPLETION_INDEX", valueFrom: { fieldRef: { fieldPath: `metadata.annotations['${completionIndexKey}']` } } };
    for (const c of [...(spec.initContainers ?? []), ...(spec.containers ?? [])] as { env?: { name: string }[] }[])
      if (!(c.env ?? []).some((e) => e.name === env.name)) c.env = [...(c.env ?? []), env];
  }
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      generateName: ix !== undefined ? `${name}-${ix}-` : `${name}-`,
      namespace: job.metadata.namespace,
      labels,
      annotations,
      ownerReferences: [controllerRef({ ...job, apiVersion: "batch/v1", kind: "Job" })],
      finalizers: [trackingFinalizer],
    },
    spec,
  };
}
