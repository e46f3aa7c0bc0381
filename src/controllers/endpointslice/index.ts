/**
 * The EndpointSlice controller ("endpointslice"): keeps the
 * discovery.k8s.io/v1 EndpointSlices of every Service with a selector —
 * IPv4 slices labelled kubernetes.io/service-name and managed-by
 * endpointslice-controller.k8s.io, owned by the Service, at most 100
 * endpoints each, with ready/serving/terminating conditions, node and zone.
 * A per-Service tracker of its own writes keeps it from acting on a cache
 * that has not yet seen them (upstream's EndpointSliceTracker).
 */
import { findResource } from "../../api/resources.ts";
import type { KObject } from "../../api/types.ts";
import { isAlreadyExists, isConflict, isNotFound, metaNamespaceKey, runWorkers, splitKey, WorkQueue, type Informer, type ReconcileResult } from "../../client/index.ts";
import { selectorFromSet } from "../../machinery/labels.ts";
import type { Controller, ControllerContext, ControllerFactory } from "../types.ts";
import { headlessLabel, managesService, podToServiceHandlers } from "../endpoints/index.ts";
import { canonical } from "../endpoints/pods.ts";
import { isHeadless } from "../endpoints/subsets.ts";
import { defaultMaxEndpointsPerSlice, desiredGroups, planSlices, zoneLabel, type SliceEndpoint, type SlicePort } from "./plan.ts";

const servicesRes = findResource("", "v1", "services")!;
const podsRes = findResource("", "v1", "pods")!;
const nodesRes = findResource("", "v1", "nodes")!;
const slicesRes = findResource("discovery.k8s.io", "v1", "endpointslices")!;

export const serviceNameLabel = "kubernetes.io/service-name";
export const managedByLabel = "endpointslice.kubernetes.io/managed-by";
export const controllerName = "endpointslice-controller.k8s.io";
/** Writes not seen by the cache after this long are no longer waited for. */
const expectationTtlMs = 10_000;

export interface EndpointSliceControllerOptions {
  /** Endpoints per slice (default 100, upstream's --max-endpoints-per-slice). */
  maxEndpointsPerSlice?: number;
}

interface Expectation {
  /** Minimum resourceVersion the cache must show, or null for "deleted". */
  rv: string | null;
  at: number;
}

class EndpointSliceController implements Controller {
  readonly name = "endpointslice";
  readonly #queue = new WorkQueue<string>();
  readonly #max: number;
  readonly #expect = new Map<string, Map<string, Expectation>>();
  #services!: Informer;
  #pods!: Informer;
  #nodes!: Informer;
  #slices!: Informer;

  constructor(o: EndpointSliceControllerOptions) {
    this.#max = o.maxEndpointsPerSlice ?? defaultMaxEndpointsPerSlice;
  }

  init(ctx: ControllerContext): void {
    this.#services = ctx.informers.informerFor(servicesRes);
    this.#pods = ctx.informers.informerFor(podsRes);
    this.#nodes = ctx.informers.informerFor(nodesRes);
    this.#slices = ctx.informers.informerFor(slicesRes);
    const enqueue = (o: KObject): void => this.#queue.add(metaNamespaceKey(o));
    this.#services.addEventHandler({ onAdd: enqueue, onUpdate: (_o, n) => enqueue(n), onDelete: enqueue });
    const sliceChanged = (s: KObject): void => {
      const svc = s.metadata.labels?.[serviceNameLabel];
      if (svc && s.metadata.labels?.[managedByLabel] === controllerName) this.#queue.add(`${s.metadata.namespace}/${svc}`);
    };
    this.#slices.addEventHandler({ onAdd: sliceChanged, onDelete: sliceChanged, onUpdate: (o, n) => o !== n && (sliceChanged(o), sliceChanged(n)) });
    this.#pods.addEventHandler(podToServiceHandlers(this.#services, (k) => this.#queue.add(k)));
    this.#nodes.addEventHandler({
      onUpdate: (o, n) => {
        if (o.metadata.labels?.[zoneLabel] === n.metadata.labels?.[zoneLabel]) return;
        for (const svc of this.#services.lister().list()) if (managesService(svc)) enqueue(svc);
      },
    });
  }

  async run(ctx: ControllerContext, signal: AbortSignal): Promise<void> {
    await runWorkers(this.#queue, ctx.settings.workers, (key) => this.#sync(ctx, key), (m, f) => ctx.log.warn(`endpointslice: ${m}`, f), signal);
  }

  /** Reconciles one Service; waits (requeues) while the cache lags behind this controller's own writes. */
  async #sync(ctx: ControllerContext, key: string): Promise<ReconcileResult | void> {
    if (!this.#cacheCaughtUp(key)) return { requeueAfterMs: 50 };
    try {
      await this.#reconcile(ctx, key);
    } catch (err) {
      if (isConflict(err) || isAlreadyExists(err)) return { requeueAfterMs: 100 };
      throw err;
    }
  }

  #cacheCaughtUp(key: string): boolean {
    const exp = this.#expect.get(key);
    if (!exp) return true;
    const { namespace } = splitKey(key);
    const now = Date.now();
    for (const [name, e] of exp) {
      const cached = this.#slices.lister().get(namespace, name);
      const seen = e.rv === null ? !cached : !!cached && BigInt(cached.metadata.resourceVersion ?? "0") >= BigInt(e.rv);
      if (seen || now - e.at > expectationTtlMs) exp.delete(name);
    }
    if (exp.size === 0) this.#expect.delete(key);
    return exp.size === 0;
  }

  #expectWrite(key: string, name: string, rv: string | null): void {
    let exp = this.#expect.get(key);
    if (!exp) this.#expect.set(key, (exp = new Map()));
    exp.set(name, { rv, at: Date.now() });
  }

  async #reconcile(ctx: ControllerContext, key: string): Promise<void> {
    const { namespace, name } = splitKey(key);
    const client = ctx.client.resource(slicesRes);
    const svc = this.#services.lister().get(namespace, name);
    const mine = this.#slices
      .lister()
      .listNamespace(namespace, selectorFromSet({ [serviceNameLabel]: name, [managedByLabel]: controllerName }));
    if (!svc || !managesService(svc)) {
      for (const s of mine) await this.#delete(client, key, s);
      return;
    }
    if (svc.metadata.deletionTimestamp) return;
    const owned = mine.filter((s) => (s.metadata.ownerReferences ?? []).some((r) => r.uid === svc.metadata.uid && r.controller));
    for (const s of mine) if (!owned.includes(s)) await this.#delete(client, key, s);

    const pods = this.#pods.lister().listNamespace(namespace, selectorFromSet(svc.spec.selector));
    const groups = desiredGroups(svc, pods, (node) => this.#nodes.lister().get("", node)?.metadata.labels?.[zoneLabel]);
    const labels = sliceLabels(svc);
    const plan = planSlices(owned, groups, this.#max, (s) => canonical(s.metadata.labels ?? {}) !== canonical(labels));

    for (const c of plan.create) {
      const created = await client.create(namespace, {
        apiVersion: "discovery.k8s.io/v1",
        kind: "EndpointSlice",
        metadata: {
          generateName: `${name}-`,
          namespace,
          labels,
          ownerReferences: [{ apiVersion: "v1", kind: "Service", name, uid: svc.metadata.uid!, controller: true, blockOwnerDeletion: true }],
        },
        addressType: "IPv4",
        endpoints: c.endpoints,
        ports: c.ports,
      });
      this.#expectWrite(key, created.metadata.name!, created.metadata.resourceVersion ?? "0");
    }
    for (const u of plan.update) {
      const next = structuredClone(u.slice);
      next.metadata.labels = labels;
      next.endpoints = u.endpoints satisfies SliceEndpoint[];
      next.ports = u.ports satisfies SlicePort[];
      const updated = await client.update(namespace, next);
      this.#expectWrite(key, updated.metadata.name!, updated.metadata.resourceVersion ?? "0");
    }
    for (const s of plan.delete) await this.#delete(client, key, s);
  }

  async #delete(client: ReturnType<ControllerContext["client"]["resource"]>, key: string, s: KObject): Promise<void> {
    try {
      await client.delete(s.metadata.namespace!, s.metadata.name!, { preconditions: { uid: s.metadata.uid } });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    this.#expectWrite(key, s.metadata.name!, null);
  }
}

/** Labels of a Service's slices: the Service's own (minus reserved ones), service-name, managed-by, headless. */
function sliceLabels(svc: KObject): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const [k, v] of Object.entries((svc.metadata.labels ?? {}) as Record<string, string>)) {
    if (k !== serviceNameLabel && k !== managedByLabel && k !== headlessLabel) labels[k] = v;
  }
  labels[serviceNameLabel] = svc.metadata.name!;
  labels[managedByLabel] = controllerName;
  if (isHeadless(svc)) labels[headlessLabel] = "";
  return labels;
}

/** Builds an EndpointSlice controller with non-default options (tests, flags). */
export function newEndpointSliceController(o: EndpointSliceControllerOptions = {}): Controller {
  return new EndpointSliceController(o);
}

/** Factory of the EndpointSlice controller (upstream defaults). */
export const endpointSliceController: ControllerFactory = () => new EndpointSliceController({});
