/**
 * The service account controller ("serviceaccount"): every active namespace
 * has a ServiceAccount named "default", created again if deleted.
 * Namespaces being deleted are left alone.
 */
import { findResource } from "../../api/resources.ts";
import type { KObject } from "../../api/types.ts";
import { isAlreadyExists, isNotFound, runWorkers, WorkQueue, type Informer } from "../../client/index.ts";
import type { Controller, ControllerContext, ControllerFactory } from "../types.ts";

const namespacesRes = findResource("", "v1", "namespaces")!;
const serviceAccountsRes = findResource("", "v1", "serviceaccounts")!;

/** The service accounts ensured in every namespace. */
export const defaultServiceAccounts = ["default"];

/** True for a namespace that may receive new content. */
export function isActiveNamespace(ns: KObject | undefined): boolean {
  return !!ns && !ns.metadata.deletionTimestamp && (ns.status?.phase ?? "Active") === "Active";
}

class ServiceAccountsController implements Controller {
  readonly name = "serviceaccount";
  readonly #queue = new WorkQueue<string>();
  #namespaces: Informer | undefined;
  #accounts: Informer | undefined;

  init(ctx: ControllerContext): void {
    this.#namespaces = ctx.informers.informerFor(namespacesRes);
    this.#accounts = ctx.informers.informerFor(serviceAccountsRes);
    const enqueueNs = (ns: KObject): void => this.#queue.add(ns.metadata.name!);
    this.#namespaces.addEventHandler({ onAdd: enqueueNs, onUpdate: (_o, n) => enqueueNs(n) });
    this.#accounts.addEventHandler({
      onDelete: (sa) => {
        if (defaultServiceAccounts.includes(sa.metadata.name!)) this.#queue.add(sa.metadata.namespace!);
      },
    });
  }

  async run(ctx: ControllerContext, signal: AbortSignal): Promise<void> {
    const log = ctx.log.child("serviceaccount-controller");
    await runWorkers(this.#queue, ctx.settings.workers, (ns) => this.#sync(ctx, ns), (m, f) => log.warn(m, f), signal);
  }

  async #sync(ctx: ControllerContext, namespace: string): Promise<void> {
    if (!isActiveNamespace(this.#namespaces!.lister().get("", namespace))) return;
    for (const name of defaultServiceAccounts) {
      if (this.#accounts!.lister().get(namespace, name)) continue;
      try {
        await ctx.client.resource(serviceAccountsRes).create(namespace, { apiVersion: "v1", kind: "ServiceAccount", metadata: { name } } as KObject);
      } catch (err) {
        // AlreadyExists: the cache lags; NotFound/Forbidden: the namespace went away or began terminating meanwhile.
        if (isAlreadyExists(err) || isNotFound(err) || (err as { code?: number })?.code === 403) continue;
        throw err;
      }
    }
  }
}

/** Builds the service account controller. */
export const serviceAccountController: ControllerFactory = () => new ServiceAccountsController();
