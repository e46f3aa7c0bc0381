/**
 * The resource quota controller ("resourcequota"): keeps the status of every
 * ResourceQuota — status.hard is spec.hard, status.used the measured usage
 * of the resources spec.hard names (see usage.ts), in canonical quantity
 * form. A change to any tracked object (pods, services, claims, config
 * maps, secrets, replication controllers, quotas, and whatever resource a
 * `count/…` entry names) re-enqueues every quota of its namespace; every
 * quota is also recomputed periodically (upstream: every 5 minutes) and when
 * a terminating pod's grace period ends and it stops being charged.
 */
import { findResource, type ResourceInfo } from "../../api/resources.ts";
import type { KObject } from "../../api/types.ts";
import { isConflict, isNotFound, metaNamespaceKey, runWorkers, splitKey, WorkQueue, type Informer, type ReconcileResult } from "../../client/index.ts";
import { canonical } from "../endpoints/pods.ts";
import type { Controller, ControllerContext, ControllerFactory } from "../types.ts";
import { calculateUsage, canonicalHard, evaluatorFor } from "../../api/quota/usage.ts";

const quotasRes = findResource("", "v1", "resourcequotas")!;
/** Resources watched from the start (the core evaluators'). */
const trackedAtStart = ["pods", "services", "persistentvolumeclaims", "configmaps", "secrets", "replicationcontrollers"].map(
  (p) => findResource("", "v1", p)!,
);

/** Upstream's --resource-quota-sync-period. */
export const defaultQuotaResyncMs = 5 * 60 * 1000;

export interface ResourceQuotaControllerOptions {
  /** Full recomputation period of every quota (default 5 minutes). */
  resyncMs?: number;
}

/** Builds status.{hard,used} for a quota from its previous status and fresh usage (used masked to hard). */
export function quotaStatus(quota: KObject, fresh: Record<string, string>): { hard: Record<string, string>; used: Record<string, string> } {
  const hard = canonicalHard(quota.spec?.hard);
  const previous: Record<string, string> = quota.status?.used ?? {};
  const used: Record<string, string> = {};
  for (const name of Object.keys(hard).sort()) {
    const v = fresh[name] ?? previous[name];
    if (v !== undefined) used[name] = v;
  }
  return { hard, used };
}

function infoKey(info: ResourceInfo): string {
  return `${info.group}/${info.version}/${info.plural}`;
}

class ResourceQuotaController implements Controller {
  readonly name = "resourcequota";
  readonly #queue = new WorkQueue<string>();
  readonly #resyncMs: number;
  #quotas!: Informer;
  readonly #tracked = new Map<string, Informer>();

  constructor(opts: ResourceQuotaControllerOptions) {
    this.#resyncMs = opts.resyncMs ?? defaultQuotaResyncMs;
  }

  init(ctx: ControllerContext): void {
    this.#quotas = ctx.informers.informerFor(quotasRes);
    const enqueue = (q: KObject): void => this.#queue.add(metaNamespaceKey(q));
    this.#quotas.addEventHandler({ onAdd: enqueue, onUpdate: (_o, n) => enqueue(n) });
    for (const info of trackedAtStart) this.#track(ctx, info);
    this.#track(ctx, quotasRes);
  }

  /** The informer of a tracked resource, created (with a namespace-wide enqueue handler) on first use. */
  #track(ctx: ControllerContext, info: ResourceInfo): Informer {
    const key = infoKey(info);
    let inf = this.#tracked.get(key);
    if (inf) return inf;
    inf = key === infoKey(quotasRes) ? this.#quotas : ctx.informers.informerFor(info);
    const changed = (o: KObject): void => this.#enqueueNamespace(o.metadata.namespace ?? "");
    inf.addEventHandler({ onAdd: changed, onDelete: changed, onUpdate: (o, n) => o !== n && changed(n) });
    this.#tracked.set(key, inf);
    return inf;
  }

  #enqueueNamespace(namespace: string): void {
    if (!namespace) return;
    for (const q of this.#quotas.lister().listNamespace(namespace)) this.#queue.add(metaNamespaceKey(q));
  }

  async run(ctx: ControllerContext, signal: AbortSignal): Promise<void> {
    const log = ctx.log.child("resourcequota-controller");
    await runWorkers(this.#queue, ctx.settings.workers, (key) => this.#sync(ctx, key), (m, f) => log.warn(m, f), signal);
  }

  async #sync(ctx: ControllerContext, key: string): Promise<ReconcileResult | void> {
    const { namespace, name } = splitKey(key);
    const quota = this.#quotas.lister().get(namespace, name);
    if (!quota || quota.metadata.deletionTimestamp) return;
    for (const res of Object.keys(quota.spec?.hard ?? {})) {
      const ev = evaluatorFor(res);
      if (ev) this.#track(ctx, ev.info);
    }
    const now = Date.now();
    const usage = calculateUsage(
      quota,
      (info, ns) => {
        const inf = this.#tracked.get(infoKey(info));
        return inf?.hasSynced() ? inf.lister().listNamespace(ns) : undefined;
      },
      now,
    );
    if (usage.pending.length) return { requeueAfterMs: 100 };
    let requeueAfterMs = this.#resyncMs;
    if (usage.nextChangeAt !== undefined) requeueAfterMs = Math.min(requeueAfterMs, Math.max(10, usage.nextChangeAt - now + 1));
    const status = quotaStatus(quota, usage.used);
    if (canonical(quota.status ?? {}) === canonical(status)) return { requeueAfterMs };
    const next = structuredClone(quota);
    next.status = status;
    try {
      await ctx.client.resource(quotasRes).updateStatus(namespace, next);
    } catch (err) {
      if (isNotFound(err)) return;
      if (isConflict(err)) return { requeueAfterMs: 100 };
      throw err;
    }
    return { requeueAfterMs };
  }
}

/** Builds the resource quota controller with explicit options (tests shorten the resync). */
export function newResourceQuotaController(opts: ResourceQuotaControllerOptions = {}): Controller {
  return new ResourceQuotaController(opts);
}

/** Builds the resource quota controller with upstream defaults. */
export const resourceQuotaController: ControllerFactory = () => newResourceQuotaController();
