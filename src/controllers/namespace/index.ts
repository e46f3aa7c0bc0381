/**
 * The namespace controller ("namespace"): finishes the deletion of
 * namespaces. A namespace with a deletionTimestamp whose spec.finalizers
 * still holds "kubernetes" has all its content deleted; its conditions say
 * how far that got; once nothing is left, "kubernetes" is removed through
 * PUT namespaces/<name>/finalize, after which the apiserver removes the
 * namespace (when no other finalizers remain).
 */
import { findResource } from "../../api/resources.ts";
import type { KObject } from "../../api/types.ts";
import { isConflict, isNotFound, runWorkers, WorkQueue, type Informer, type ReconcileResult } from "../../client/index.ts";
import type { Controller, ControllerContext, ControllerFactory } from "../types.ts";
import { deleteAllContent, deletionConditions, mergeConditions, type NamespaceCondition } from "./deleter.ts";
import { rfc3339 as timestamp } from "../../machinery/time.ts";

const namespacesRes = findResource("", "v1", "namespaces")!;

/** The spec.finalizers token this controller owns. */
export const kubernetesFinalizer = "kubernetes";

/** Longest wait before looking at a namespace whose content is still going away. */
const maxRecheckMs = 5_000;


class NamespaceController implements Controller {
  readonly name = "namespace";
  #queue = new WorkQueue<string>();
  #informer: Informer | undefined;

  init(ctx: ControllerContext): void {
    this.#informer = ctx.informers.informerFor(namespacesRes);
    const enqueue = (ns: KObject): void => {
      if (ns.metadata.deletionTimestamp) this.#queue.add(ns.metadata.name!);
    };
    this.#informer.addEventHandler({ onAdd: enqueue, onUpdate: (_o, n) => enqueue(n) });
  }

  async run(ctx: ControllerContext, signal: AbortSignal): Promise<void> {
    const log = ctx.log.child("namespace-controller");
    await runWorkers(this.#queue, ctx.settings.workers, (name) => this.#sync(ctx, name), (m, f) => log.warn(m, f), signal);
  }

  async #sync(ctx: ControllerContext, name: string): Promise<ReconcileResult | void> {
    const cached = this.#informer!.lister().get("", name);
    if (!cached?.metadata.deletionTimestamp) return;
    const client = ctx.client.resource(namespacesRes);
    let ns: KObject;
    try {
      ns = await client.get("", name);
    } catch (err) {
      if (isNotFound(err)) return;
      throw err;
    }
    if (!ns.metadata.deletionTimestamp) return;
    const finalizers: string[] = ns.spec?.finalizers ?? [];
    if (!finalizers.includes(kubernetesFinalizer)) return;

    const outcome = await deleteAllContent(ctx.client, name);
    ns = await this.#writeConditions(ctx, ns, deletionConditions(outcome));
    if (outcome.errors.length) throw new Error(`namespace ${name}: ${outcome.errors.join("; ")}`);
    if (outcome.remaining.size) {
      return { requeueAfterMs: Math.min(maxRecheckMs, (outcome.estimateSeconds / 2 + 1) * 1000) };
    }
    await this.#finalize(ctx, ns, finalizers.filter((f) => f !== kubernetesFinalizer));
  }

  /** Writes the deletion conditions when they changed; returns the namespace as stored. */
  async #writeConditions(ctx: ControllerContext, ns: KObject, wanted: NamespaceCondition[]): Promise<KObject> {
    const merged = mergeConditions(ns.status?.conditions ?? [], wanted, timestamp());
    if (!merged) return ns;
    const next = structuredClone(ns);
    next.status = { ...(next.status ?? {}), conditions: merged };
    try {
      return await ctx.client.resource(namespacesRes).updateStatus("", next);
    } catch (err) {
      if (isConflict(err)) return ctx.client.resource(namespacesRes).get("", ns.metadata.name!);
      throw err;
    }
  }

  /** PUT namespaces/<name>/finalize with `finalizers` as the new spec.finalizers. */
  async #finalize(ctx: ControllerContext, ns: KObject, finalizers: string[]): Promise<void> {
    const body = { ...ns, apiVersion: "v1", kind: "Namespace", spec: { ...(ns.spec ?? {}), finalizers } };
    try {
      await ctx.client.request({ method: "PUT", path: `/api/v1/namespaces/${encodeURIComponent(ns.metadata.name!)}/finalize`, body });
    } catch (err) {
      if (isNotFound(err)) return;
      throw err;
    }
  }
}

/** Builds the namespace controller. */
export const namespaceController: ControllerFactory = () => new NamespaceController();
