/**
 * The CronJob controller ("cronjob"): creates Jobs on a cron schedule (with
 * time zones), honouring concurrencyPolicy, startingDeadlineSeconds, suspend
 * and history limits. Time is injected: `newCronJobController({ clock })`
 * takes a client Clock used both for "now" and for the work queue's delayed
 * requeue to the next schedule time, so a FakeClock's `step()` drives the
 * controller through minutes instantly; `cronJobController` uses real time.
 */
import { findResource } from "../../api/resources.ts";
import type { KObject } from "../../api/types.ts";
import { metaNamespaceKey, realClock, runWorkers, splitKey, WorkQueue, type Clock } from "../../client/index.ts";
import { controllerOf } from "../job/index.ts";
import type { Controller, ControllerContext, ControllerFactory } from "../types.ts";
import { syncCronJob, type CronJobSyncDeps } from "./sync.ts";

export { parseSchedule, nextAfter, mostRecent } from "./schedule.ts";
export { scheduledTimestampAnnotation } from "./sync.ts";

const cronJobsRes = findResource("batch", "v1", "cronjobs")!;
const jobsRes = findResource("batch", "v1", "jobs")!;
const cronUidIndex = "tskube.io/cronjob-uid";

class CronJobController implements Controller {
  readonly name = "cronjob";
  readonly #clock: Clock;
  readonly #queue: WorkQueue<string>;
  #deps: CronJobSyncDeps | undefined;

  constructor(clock: Clock) {
    this.#clock = clock;
    this.#queue = new WorkQueue<string>({ clock });
  }

  init(ctx: ControllerContext): void {
    const cronJobs = ctx.informers.informerFor(cronJobsRes);
    const jobs = ctx.informers.informerFor(jobsRes);
    try {
      jobs.addIndexer(cronUidIndex, (j) => {
        const r = controllerOf(j, "CronJob");
        return r ? [r.uid] : [];
      });
    } catch {
      // Registered already by another instance sharing the informer.
    }
    const enqueue = (c: KObject): void => this.#queue.add(metaNamespaceKey(c));
    cronJobs.addEventHandler({ onAdd: enqueue, onUpdate: (_o, n) => enqueue(n), onDelete: enqueue });
    const byJob = (j: KObject): void => {
      const r = controllerOf(j, "CronJob");
      if (r) this.#queue.add(`${j.metadata.namespace}/${r.name}`);
    };
    jobs.addEventHandler({ onAdd: byJob, onUpdate: (_o, n) => byJob(n), onDelete: byJob });
    this.#deps = {
      cronJobs: cronJobs.lister(),
      jobsOf: (uid) => jobs.byIndex(cronUidIndex, uid),
      clock: this.#clock,
      recorder: ctx.recorder("cronjob-controller"),
      res: { jobs: ctx.client.resource(jobsRes), cronJobs: ctx.client.resource(cronJobsRes) },
    };
  }

  async run(ctx: ControllerContext, signal: AbortSignal): Promise<void> {
    const deps = this.#deps!;
    await runWorkers(
      this.#queue,
      ctx.settings.workers,
      async (key) => {
        const { namespace, name } = splitKey(key);
        return syncCronJob(deps, namespace, name);
      },
      (msg, fields) => ctx.log.warn(`cronjob: ${msg}`, fields),
      signal,
    );
  }
}

/** A CronJob controller factory using `opts.clock` (default: real time). */
export function newCronJobController(opts: { clock?: Clock } = {}): ControllerFactory {
  return () => new CronJobController(opts.clock ?? realClock);
}

/** Factory for the CronJob controller on real time (upstream name "cronjob"). */
export const cronJobController: ControllerFactory = newCronJobController();
