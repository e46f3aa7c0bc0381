/**
 * The CronJob reconcile function (upstream cronjob_controllerv2 syncCronJob):
 * reconciles status.active with the Jobs it owns (recording
 * lastSuccessfulTime), prunes finished Jobs beyond the history limits, then
 * — unless suspended — finds the most recent missed schedule time, applies
 * startingDeadlineSeconds and the concurrency policy, and creates the Job
 * `<cronjob>-<scheduled minutes since epoch>` with the
 * `batch.kubernetes.io/cronjob-scheduled-timestamp` annotation. Returns the
 * delay until the next schedule time. Time comes from the injected clock.
 */
import type { KObject } from "../../api/types.ts";
import { isAlreadyExists, isNotFound, type ApiClient, type Clock, type EventRecorder, type Lister, type ReconcileResult } from "../../client/index.ts";
import { deepEqual } from "../../machinery/validation.ts";
import { controllerRef } from "../revisions/history.ts";
import { isValidTimeZone, mostRecent, nextAfter, parseSchedule } from "./schedule.ts";
import { rfc3339 } from "../../machinery/time.ts";

export const scheduledTimestampAnnotation = "batch.kubernetes.io/cronjob-scheduled-timestamp";

export interface CronJobSyncDeps {
  cronJobs: Lister<KObject>;
  /** Jobs controlled by the CronJob with this uid. */
  jobsOf(uid: string): KObject[];
  clock: Clock;
  recorder: EventRecorder;
  res: { jobs: ReturnType<ApiClient["resource"]>; cronJobs: ReturnType<ApiClient["resource"]> };
}


function finished(job: KObject): "Complete" | "Failed" | undefined {
  const c = ((job.status?.conditions ?? []) as { type: string; status: string }[]).find((x) => (x.type === "Complete" || x.type === "Failed") && x.status === "True");
  return c?.type as "Complete" | "Failed" | undefined;
}

/** The scheduled-time annotation value: RFC 3339 with the zone's offset, as upstream formats it in the CronJob's zone. */
function zonedTimestamp(ms: number, tz: string): string {
  if (tz === "UTC") return rfc3339(ms);
  const parts: Record<string, string> = {};
  const f = new Intl.DateTimeFormat("en-US", { timeZone: tz, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit" });
  for (const p of f.formatToParts(new Date(ms))) parts[p.type] = p.value;
  const local = Date.UTC(+parts.year, +parts.month - 1, +parts.day, +parts.hour, +parts.minute, +parts.second);
  const off = Math.round((local - Math.floor(ms / 1000) * 1000) / 60_000);
  const sign = off < 0 ? "-" : "+";
  const hh = String(Math.floor(Math.abs(off) / 60)).padStart(2, "0");
  const mm = String(Math.abs(off) % 60).padStart(2, "0");
  return `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}:${parts.second}${off === 0 ? "Z" : `${sign}${hh}:${mm}`}`;
}

/** Reconciles CronJob `namespace/name`; throws to be retried. */
export async function syncCronJob(d: CronJobSyncDeps, namespace: string, name: string): Promise<ReconcileResult | void> {
  const cj = d.cronJobs.get(namespace, name);
  if (!cj || cj.metadata.deletionTimestamp) return;
  const spec = cj.spec ?? {};
  const now = d.clock.now();
  const status = structuredClone(cj.status ?? {});
  const jobs = d.jobsOf(cj.metadata.uid!);
  const byName = new Map(jobs.map((j) => [j.metadata.name!, j]));

  // Active list: drop finished or vanished Jobs.
  const active: { name: string; uid?: string }[] = [...(status.active ?? [])];
  const stillActive: typeof active = [];
  for (const ref of active) {
    const j = byName.get(ref.name);
    if (!j) {
      try {
        const live = await d.res.jobs.get(namespace, ref.name);
        if (live.metadata.uid === ref.uid && !finished(live)) stillActive.push(ref);
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
      continue;
    }
    const state = finished(j);
    if (!state) stillActive.push(ref);
    else {
      d.recorder.event(cj, "Normal", state === "Complete" ? "SawCompletedJob" : "SawFailedJob", `Saw completed job: ${j.metadata.name}, condition: ${state}`);
      if (state === "Complete") {
        const at = j.status?.completionTime;
        if (at && (!status.lastSuccessfulTime || Date.parse(at) > Date.parse(status.lastSuccessfulTime))) status.lastSuccessfulTime = at;
      }
    }
  }
  for (const j of jobs)
    if (!finished(j) && !stillActive.some((r) => r.name === j.metadata.name) && j.metadata.annotations?.[scheduledTimestampAnnotation] && !j.metadata.deletionTimestamp)
      stillActive.push(jobRef(j));
  status.active = stillActive;

  await cleanupHistory(d, cj, jobs);

  let requeue: number | undefined;
  const tz: string = spec.timeZone ?? "UTC";
  let schedule;
  try {
    if (!isValidTimeZone(tz)) throw new Error(`unknown time zone ${tz}`);
    schedule = parseSchedule(spec.schedule ?? "");
  } catch (err) {
    d.recorder.event(cj, "Warning", spec.timeZone && !isValidTimeZone(tz) ? "UnknownTimeZone" : "UnparseableSchedule", String((err as Error).message));
  }
  if (schedule && !spec.suspend) {
    const created = Date.parse(cj.metadata.creationTimestamp ?? rfc3339(now));
    let earliest = status.lastScheduleTime ? Date.parse(status.lastScheduleTime) : created;
    if (spec.startingDeadlineSeconds != null) earliest = Math.max(earliest, now - spec.startingDeadlineSeconds * 1000);
    const { time, missed } = mostRecent(schedule, earliest, now, tz);
    if (missed > 100) d.recorder.event(cj, "Warning", "TooManyMissedTimes", "too many missed start times. Set or decrease .spec.startingDeadlineSeconds or check clock skew");
    if (time !== undefined) await startJob(d, cj, status, time, now, tz);
    const next = nextAfter(schedule, now, tz);
    if (next !== undefined) requeue = next - now + 100;
  }
  const old = cj.status ?? {};
  if (!deepEqual({ active: old.active ?? [], lastScheduleTime: old.lastScheduleTime, lastSuccessfulTime: old.lastSuccessfulTime }, { active: status.active, lastScheduleTime: status.lastScheduleTime, lastSuccessfulTime: status.lastSuccessfulTime }))
    await d.res.cronJobs.patch(namespace, name, "merge", { status: { active: status.active.length ? status.active : null, lastScheduleTime: status.lastScheduleTime ?? null, lastSuccessfulTime: status.lastSuccessfulTime ?? null } }, { subresource: "status" });
  return requeue !== undefined ? { requeueAfterMs: requeue } : undefined;
}

function jobRef(j: KObject): { apiVersion: string; kind: string; name: string; namespace: string; uid: string; resourceVersion?: string } {
  return { apiVersion: "batch/v1", kind: "Job", name: j.metadata.name!, namespace: j.metadata.namespace!, uid: j.metadata.uid!, resourceVersion: j.metadata.resourceVersion };
}

/** Starts the Job for scheduled time `time` (mutating `status`), honouring the deadline and concurrency policy. */
async function startJob(d: CronJobSyncDeps, cj: KObject, status: Record<string, any>, time: number, now: number, tz: string): Promise<void> {
  const spec = cj.spec;
  const ns = cj.metadata.namespace!;
  const jobName = `${cj.metadata.name}-${Math.floor(time / 60_000)}`;
  if (spec.startingDeadlineSeconds != null && time + spec.startingDeadlineSeconds * 1000 < now) {
    d.recorder.event(cj, "Warning", "MissSchedule", `Missed scheduled time to start a job: ${rfc3339(time)}`);
    return;
  }
  if (status.active.some((r: { name: string }) => r.name === jobName)) {
    status.lastScheduleTime = rfc3339(time);
    return;
  }
  const policy = spec.concurrencyPolicy ?? "Allow";
  if (policy === "Forbid" && status.active.length) {
    d.recorder.event(cj, "Normal", "JobAlreadyActive", "Not starting job because prior execution is running and concurrency policy is Forbid");
    return;
  }
  if (policy === "Replace") {
    for (const ref of status.active as { name: string; uid: string }[]) {
      try {
        await d.res.jobs.delete(ns, ref.name, { propagationPolicy: "Background", preconditions: { uid: ref.uid } });
        d.recorder.event(cj, "Normal", "SuccessfulDelete", `Deleted job ${ref.name}`);
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
    status.active = [];
  }
  const t = spec.jobTemplate ?? {};
  const job: KObject = {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: {
      name: jobName,
      namespace: ns,
      labels: { ...(t.metadata?.labels ?? {}) },
      annotations: { ...(t.metadata?.annotations ?? {}), [scheduledTimestampAnnotation]: zonedTimestamp(time, tz) },
      ownerReferences: [controllerRef({ ...cj, apiVersion: "batch/v1", kind: "CronJob" })],
    },
    spec: structuredClone(t.spec ?? {}),
  };
  let created: KObject;
  try {
    created = await d.res.jobs.create(ns, job);
    d.recorder.event(cj, "Normal", "SuccessfulCreate", `Created job ${jobName}`);
  } catch (err) {
    if (!isAlreadyExists(err)) {
      d.recorder.event(cj, "Warning", "FailedCreate", `Error creating job: ${(err as Error).message}`);
      throw err;
    }
    created = await d.res.jobs.get(ns, jobName);
    if (!(created.metadata.ownerReferences ?? []).some((o) => o.uid === cj.metadata.uid)) return;
  }
  if (!finished(created)) status.active.push(jobRef(created));
  status.lastScheduleTime = rfc3339(time);
}

/** Deletes the oldest finished Jobs beyond successfulJobsHistoryLimit / failedJobsHistoryLimit. */
async function cleanupHistory(d: CronJobSyncDeps, cj: KObject, jobs: KObject[]): Promise<void> {
  const startOf = (j: KObject): number => Date.parse(j.status?.startTime ?? j.metadata.creationTimestamp ?? "") || 0;
  for (const [state, limit] of [
    ["Complete", cj.spec?.successfulJobsHistoryLimit ?? 3],
    ["Failed", cj.spec?.failedJobsHistoryLimit ?? 1],
  ] as const) {
    const done = jobs.filter((j) => finished(j) === state && !j.metadata.deletionTimestamp).sort((a, b) => startOf(a) - startOf(b));
    for (const j of done.slice(0, Math.max(0, done.length - limit))) {
      try {
        await d.res.jobs.delete(j.metadata.namespace!, j.metadata.name!, { propagationPolicy: "Background", preconditions: { uid: j.metadata.uid } });
        d.recorder.event(cj, "Normal", "SuccessfulDelete", `Deleted job ${j.metadata.name}`);
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
  }
}
