/**
 * The root CA certificate publisher ("root-ca-cert-publisher"): a ConfigMap
 * kube-root-ca.crt with key ca.crt in every active namespace, holding the
 * CA bundle that verifies the apiserver (taken from the controller-manager's
 * client configuration), restored when deleted or edited.
 */
import { findResource } from "../../api/resources.ts";
import type { KObject } from "../../api/types.ts";
import { isAlreadyExists, isConflict, isNotFound, runWorkers, WorkQueue, type Informer } from "../../client/index.ts";
import type { Controller, ControllerContext, ControllerFactory } from "../types.ts";
import { isActiveNamespace } from "./serviceaccounts.ts";

const namespacesRes = findResource("", "v1", "namespaces")!;
const configMapsRes = findResource("", "v1", "configmaps")!;

export const rootCAConfigMapName = "kube-root-ca.crt";
const descriptionKey = "kubernetes.io/description";
const description =
  "Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters.";

class RootCACertPublisher implements Controller {
  readonly name = "root-ca-cert-publisher";
  readonly #queue = new WorkQueue<string>();
  #namespaces: Informer | undefined;
  #configMaps: Informer | undefined;

  init(ctx: ControllerContext): void {
    this.#namespaces = ctx.informers.informerFor(namespacesRes);
    this.#configMaps = ctx.informers.informerFor(configMapsRes);
    const enqueueNs = (ns: KObject): void => this.#queue.add(ns.metadata.name!);
    this.#namespaces.addEventHandler({ onAdd: enqueueNs, onUpdate: (_o, n) => enqueueNs(n) });
    const enqueueCm = (cm: KObject): void => {
      if (cm.metadata.name === rootCAConfigMapName) this.#queue.add(cm.metadata.namespace!);
    };
    this.#configMaps.addEventHandler({ onAdd: enqueueCm, onUpdate: (_o, n) => enqueueCm(n), onDelete: enqueueCm });
  }

  async run(ctx: ControllerContext, signal: AbortSignal): Promise<void> {
    const ca = ctx.client.config.ca;
    const log = ctx.log.child("root-ca-cert-publisher");
    if (!ca) {
      log.warn("no CA bundle in the client configuration; not publishing kube-root-ca.crt");
      await new Promise<void>((resolve) => (signal.aborted ? resolve() : signal.addEventListener("abort", () => resolve(), { once: true })));
      return;
    }
    await runWorkers(this.#queue, ctx.settings.workers, (ns) => this.#sync(ctx, ns, ca), (m, f) => log.warn(m, f), signal);
  }

  async #sync(ctx: ControllerContext, namespace: string, ca: string): Promise<void> {
    if (!isActiveNamespace(this.#namespaces!.lister().get("", namespace))) return;
    const rc = ctx.client.resource(configMapsRes);
    const cur = this.#configMaps!.lister().get(namespace, rootCAConfigMapName);
    try {
      if (!cur) {
        await rc.create(namespace, {
          apiVersion: "v1",
          kind: "ConfigMap",
          metadata: { name: rootCAConfigMapName, annotations: { [descriptionKey]: description } },
          data: { "ca.crt": ca },
        } as KObject);
        return;
      }
      const data = cur.data ?? {};
      if (data["ca.crt"] === ca && Object.keys(data).length === 1 && cur.metadata.annotations?.[descriptionKey] === description) return;
      const next = structuredClone(cur);
      next.data = { "ca.crt": ca };
      next.metadata.annotations = { ...(next.metadata.annotations ?? {}), [descriptionKey]: description };
      await rc.update(namespace, next);
    } catch (err) {
      // Stale cache (AlreadyExists, Conflict, NotFound) or a namespace gone terminating (403): the next event retries.
      if (isAlreadyExists(err) || isConflict(err) || isNotFound(err) || (err as { code?: number })?.code === 403) return;
      throw err;
    }
  }
}

/** Builds the root CA certificate publisher. */
export const rootCACertPublisherController: ControllerFactory = () => new RootCACertPublisher();
