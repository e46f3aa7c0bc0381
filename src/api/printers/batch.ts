/**
 * Tables of the batch/v1 group: Job (with the Status column of v1.30+) and
 * CronJob (with the Timezone column).
 */

import type { KObject } from "../types.ts";
import {
  age,
  conditionTrue,
  containerCells,
  formatLabelSelector,
  humanDuration,
  int,
  parseTime,
  printBoolPtr,
  since,
  str,
} from "./format.ts";
import { ageCol, col, containerCols, nameCol, selectorCol, type Printer } from "./types.ts";

/** The Job STATUS cell: Complete, Failed, Terminating, Suspended, FailureTarget or Running. */
export function jobStatus(o: KObject): string {
  const conditions = o.status?.conditions;
  if (conditionTrue(conditions, "Complete")) return "Complete";
  if (conditionTrue(conditions, "Failed")) return "Failed";
  if (o.metadata.deletionTimestamp) return "Terminating";
  if (conditionTrue(conditions, "Suspended")) return "Suspended";
  if (conditionTrue(conditions, "FailureTarget")) return "FailureTarget";
  return "Running";
}

/** The COMPLETIONS cell: "succeeded/completions", or "n/1 of parallelism" for work-queue jobs. */
export function jobCompletions(o: KObject): string {
  const succeeded = int(o.status?.succeeded);
  const completions = o.spec?.completions;
  if (typeof completions === "number") return `${succeeded}/${int(completions)}`;
  const parallelism = int(o.spec?.parallelism);
  return parallelism > 1 ? `${succeeded}/1 of ${parallelism}` : `${succeeded}/1`;
}

/** The DURATION cell: start to completion, start to now while running, empty before start. */
export function jobDuration(o: KObject, now: Date): string {
  const start = parseTime(o.status?.startTime);
  if (start === undefined) return "";
  const end = parseTime(o.status?.completionTime);
  return end === undefined ? humanDuration(now.getTime() - start) : humanDuration(end - start);
}

/** Job: Name, Status, Completions, Duration, Age; wide Containers, Images, Selector. */
export const jobPrinter: Printer = {
  columns: [
    nameCol(),
    col("Status", "string", "Overall state of the job."),
    col("Completions", "string", "Succeeded pods out of the completions asked for."),
    col("Duration", "string", "How long the job ran (or has been running)."),
    ageCol(),
    ...containerCols(),
    selectorCol(),
  ],
  cells(o, now) {
    const [names, images] = containerCells(o.spec?.template?.spec?.containers);
    return [
      str(o.metadata.name),
      jobStatus(o),
      jobCompletions(o),
      jobDuration(o, now),
      age(o, now),
      names,
      images,
      formatLabelSelector(o.spec?.selector),
    ];
  },
};

/** CronJob: Name, Schedule, Timezone, Suspend, Active, Last Schedule, Age; wide Containers, Images, Selector. */
export const cronJobPrinter: Printer = {
  columns: [
    nameCol(),
    col("Schedule", "string", "Cron schedule the jobs are created on."),
    col("Timezone", "string", "Time zone the schedule is interpreted in."),
    col("Suspend", "boolean", "Whether creation of new jobs is suspended."),
    col("Active", "integer", "Number of running jobs."),
    col("Last Schedule", "string", "Time since a job was last scheduled."),
    ageCol(),
    ...containerCols(),
    selectorCol(),
  ],
  cells(o, now) {
    const jobSpec = o.spec?.jobTemplate?.spec ?? {};
    const [names, images] = containerCells(jobSpec.template?.spec?.containers);
    const last = o.status?.lastScheduleTime;
    return [
      str(o.metadata.name),
      str(o.spec?.schedule),
      typeof o.spec?.timeZone === "string" ? o.spec.timeZone : "<none>",
      printBoolPtr(o.spec?.suspend),
      (o.status?.active ?? []).length,
      last ? since(last, now) : "<none>",
      age(o, now),
      names,
      images,
      formatLabelSelector(jobSpec.selector),
    ];
  },
};
