/**
 * The Job controller ("job"): runs pods to completion for batch/v1 Jobs —
 * completions and parallelism (NonIndexed and Indexed), backoffLimit with
 * exponential back-off between failures (10 s doubling, capped at 6 min;
 * base configurable with `setJobBackoffBase` or TSKUBE_JOB_BACKOFF_BASE_MS),
 * activeDeadlineSeconds, suspend, podFailurePolicy, and status with
 * finalizer-based pod tracking (pods whose Job is gone get their tracking
 * finalizer released, as upstream does). A finishing Job first gets
 * FailureTarget or SuccessCriteriaMet, its running pods are deleted and
 * counted as failed, and Failed or Complete follows once none is terminating
 * (status.terminating counts them). Handlers only enqueue Job keys; syncJob
 * reconciles from the listers.
 */
import { findResource } from "../../api/resources.ts";
import type { KObject } from "../../api/types.ts";
import { metaNamespaceKey, runWorkers, splitKey, WorkQueue, type Informer } from "../../client/index.ts";
import type { Controller, ControllerContext, ControllerFactory } from "../types.ts";
import { Expectations, ownedPodHandlers } from "./podcontrol.ts";
import { syncJob, type JobSyncDeps } from "./sync.ts";

export { setJobBackoffBase } from "./policy.ts";

const jobsRes = findResource("batch", "v1", "jobs")!;
const podsRes = findResource("", "v1", "pods")!;

/** Index of pods by the uid of their controller ownerReference (shared by controllers). */
export const controllerUidIndex = "tskube.io/controller-uid";

/** Adds the controller-uid index to a pod informer unless another controller already did. */
export function ensureControllerUidIndex(inf: Informer<KObject>): void {
  try {
    inf.addIndexer(controllerUidIndex, (o) => (o.metadata.ownerReferences ?? []).filter((r) => r.controller).map((r) => r.uid));
  } catch {
    // Already registered by another controller with the same function.
  }
}

/** The controller ownerReference of `obj` when it is of `kind`. */
export function controllerOf(obj: KObject, kind: string): { name: string; uid: string } | undefined {
  const r = (obj.metadata.ownerReferences ?? []).find((o) => o.controller);
  return r && r.kind === kind ? r : undefined;
}

class JobController implements Controller {
  readonly name = "job";
  readonly #queue = new WorkQueue<string>();
  #deps: JobSyncDeps | undefined;

  init(ctx: ControllerContext): void {
    const jobs = ctx.informers.informerFor(jobsRes);
    const pods = ctx.informers.informerFor(podsRes);
    ensureControllerUidIndex(pods);
    const exp = new Expectations();
    const enqueueJob = (j: KObject): void => this.#queue.add(metaNamespaceKey(j));
    const forget = (j: KObject): void => {
      const uid = j.metadata.uid ?? "";
      for (const m of [this.#deps?.backoff, this.#deps?.released, this.#deps?.written]) m?.delete(uid);
      enqueueJob(j);
    };
    jobs.addEventHandler({ onAdd: enqueueJob, onUpdate: (_o, n) => enqueueJob(n), onDelete: forget });
    pods.addEventHandler(ownedPodHandlers("Job", exp, (k) => this.#queue.add(k), controllerOf));
    this.#deps = {
      client: ctx.client,
      jobs: jobs.lister(),
      podsOf: (uid) => pods.byIndex(controllerUidIndex, uid),
      podsNamed: (ns, name) => pods.lister().listNamespace(ns).filter((p) => controllerOf(p, "Job")?.name === name),
      exp,
      recorder: ctx.recorder("job-controller"),
      backoff: new Map(),
      released: new Map(),
      written: new Map(),
      podsRes: ctx.client.resource(podsRes),
      jobsRes: ctx.client.resource(jobsRes),
    };
  }

  async run(ctx: ControllerContext, signal: AbortSignal): Promise<void> {
    const deps = this.#deps!;
    await runWorkers(
      this.#queue,
      ctx.settings.workers,
      async (key) => {
        const { namespace, name } = splitKey(key);
        return syncJob(deps, key, namespace, name);
      },
      (msg, fields) => ctx.log.warn(`job: ${msg}`, fields),
      signal,
    );
  }
}

/** Factory for the Job controller (upstream name "job"). */
export const jobController: ControllerFactory = () => new JobController();
