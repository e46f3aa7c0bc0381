/**
 * The TTL-after-finished controller ("ttl-after-finished"): a Job that has
 * finished (a Complete or Failed condition with status True) and sets
 * spec.ttlSecondsAfterFinished is deleted, with background propagation,
 * that many seconds after it finished. The finish time is the condition's
 * lastTransitionTime. Before deleting, the Job is read live so a changed TTL
 * or a recreated Job (different uid) is honoured.
 */
import { findResource } from "../../api/resources.ts";
import type { KObject } from "../../api/types.ts";
import { isNotFound, metaNamespaceKey, runWorkers, splitKey, WorkQueue, type Informer, type ReconcileResult } from "../../client/index.ts";
import type { Controller, ControllerContext, ControllerFactory } from "../types.ts";

const jobsRes = findResource("batch", "v1", "jobs")!;

/** When `job` finished (ms since the epoch), or undefined while it runs. */
export function finishedAt(job: KObject): number | undefined {
  for (const c of (job.status?.conditions ?? []) as { type: string; status: string; lastTransitionTime?: string }[]) {
    if ((c.type === "Complete" || c.type === "Failed") && c.status === "True") {
      const t = Date.parse(c.lastTransitionTime ?? job.status?.completionTime ?? "");
      return Number.isNaN(t) ? 0 : t;
    }
  }
  return undefined;
}

/** True when the Job is finished, has a TTL and is not already being deleted. */
export function needsCleanup(job: KObject): boolean {
  return typeof job.spec?.ttlSecondsAfterFinished === "number" && !job.metadata.deletionTimestamp && finishedAt(job) !== undefined;
}

/** Milliseconds until `job` expires (<= 0: expired), or undefined when it needs no cleanup. */
export function timeLeftMs(job: KObject, now: number): number | undefined {
  if (!needsCleanup(job)) return undefined;
  return finishedAt(job)! + job.spec.ttlSecondsAfterFinished * 1000 - now;
}

class TTLAfterFinishedController implements Controller {
  readonly name = "ttl-after-finished";
  readonly #queue = new WorkQueue<string>();
  #jobs: Informer | undefined;

  init(ctx: ControllerContext): void {
    this.#jobs = ctx.informers.informerFor(jobsRes);
    const enqueue = (job: KObject): void => {
      if (needsCleanup(job)) this.#queue.add(metaNamespaceKey(job));
    };
    this.#jobs.addEventHandler({ onAdd: enqueue, onUpdate: (_o, n) => enqueue(n) });
  }

  async run(ctx: ControllerContext, signal: AbortSignal): Promise<void> {
    const log = ctx.log.child("ttl-after-finished-controller");
    await runWorkers(this.#queue, ctx.settings.workers, (key) => this.#sync(ctx, key), (m, f) => log.warn(m, f), signal);
  }

  async #sync(ctx: ControllerContext, key: string): Promise<ReconcileResult | void> {
    const { namespace, name } = splitKey(key);
    const cached = this.#jobs!.lister().get(namespace, name);
    if (!cached) return;
    const left = timeLeftMs(cached, Date.now());
    if (left === undefined) return;
    if (left > 0) return { requeueAfterMs: left };
    const rc = ctx.client.resource(jobsRes);
    try {
      const fresh = await rc.get(namespace, name);
      const freshLeft = timeLeftMs(fresh, Date.now());
      if (freshLeft === undefined) return;
      if (freshLeft > 0) return { requeueAfterMs: freshLeft };
      ctx.log.child("ttl-after-finished-controller").info("deleting expired job", { job: key });
      await rc.delete(namespace, name, { propagationPolicy: "Background", preconditions: { uid: fresh.metadata.uid } });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
}

/** Builds the TTL-after-finished controller. */
export const ttlAfterFinishedController: ControllerFactory = () => new TTLAfterFinishedController();
