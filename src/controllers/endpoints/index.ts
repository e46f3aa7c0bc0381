/**
 * The endpoints controller ("endpoint" in upstream's --controllers list):
 * keeps one core/v1 Endpoints per Service with a selector, listing the pods
 * the selector matches (ready ones as addresses, others as
 * notReadyAddresses, ports resolved from targetPort), and deletes the
 * Endpoints when its Service goes. Services without a selector (such as
 * default/kubernetes, which the apiserver maintains) and ExternalName
 * Services are left alone.
 */
import { findResource } from "../../api/resources.ts";
import type { KObject } from "../../api/types.ts";
import { isAlreadyExists, isConflict, isNotFound, metaNamespaceKey, runWorkers, splitKey, WorkQueue, type EventHandlers, type Informer, type ReconcileResult } from "../../client/index.ts";
import { selectorFromSet } from "../../machinery/labels.ts";
import type { Controller, ControllerContext, ControllerFactory } from "../types.ts";
import { canonical } from "./pods.ts";
import { desiredSubsets, isHeadless, overCapacityAnnotation } from "./subsets.ts";

const servicesRes = findResource("", "v1", "services")!;
const podsRes = findResource("", "v1", "pods")!;
const endpointsRes = findResource("", "v1", "endpoints")!;

/** Annotation with the time of the latest pod or Service change reflected in the Endpoints. */
export const lastChangeTriggerTimeAnnotation = "endpoints.kubernetes.io/last-change-trigger-time";
/** Endpoints used as leader-election locks by old components; never treated as leftovers. */
const leaderAnnotation = "control-plane.alpha.kubernetes.io/leader";
/** Label marking the Endpoints of headless Services. */
export const headlessLabel = "service.kubernetes.io/headless";

/** True for Services whose endpoints this controller (and the slice controller) manages. */
export function managesService(svc: KObject): boolean {
  const sel = svc.spec?.selector;
  if (!sel || typeof sel !== "object" || Object.keys(sel).length === 0) return false;
  return svc.spec?.type !== "ExternalName";
}

/** Keys of the Services in the pod's namespace whose selector matches the pod's labels. */
export function servicesForPod(services: Informer, pod: KObject): string[] {
  const out: string[] = [];
  for (const svc of services.lister().listNamespace(pod.metadata.namespace ?? "")) {
    if (managesService(svc) && selectorFromSet(svc.spec.selector).matches(pod.metadata.labels)) out.push(metaNamespaceKey(svc));
  }
  return out;
}

/**
 * Pod handlers for controllers keyed by Service: a pod change enqueues every
 * Service selecting the pod, and on a label change also those that selected
 * it before.
 */
export function podToServiceHandlers(services: Informer, enqueue: (serviceKey: string) => void): EventHandlers<KObject> {
  const podChanged = (p: KObject): void => {
    for (const k of servicesForPod(services, p)) enqueue(k);
  };
  return {
    onAdd: podChanged,
    onDelete: podChanged,
    onUpdate: (o, n) => {
      if (o === n) return;
      podChanged(n);
      if (canonical(o.metadata.labels ?? {}) !== canonical(n.metadata.labels ?? {})) podChanged(o);
    },
  };
}

function triggerTime(svc: KObject, pods: KObject[]): string | undefined {
  let latest = svc.metadata.creationTimestamp ?? "";
  for (const p of pods) {
    const ready = (p.status?.conditions ?? []).find((c: { type?: string }) => c.type === "Ready");
    const t = p.metadata.deletionTimestamp ?? ready?.lastTransitionTime ?? p.metadata.creationTimestamp ?? "";
    if (Date.parse(t) > Date.parse(latest || "1970-01-01T00:00:00Z")) latest = t;
  }
  return latest || undefined;
}

class EndpointsController implements Controller {
  readonly name = "endpoint";
  readonly #queue = new WorkQueue<string>();
  #services!: Informer;
  #pods!: Informer;
  #endpoints!: Informer;

  init(ctx: ControllerContext): void {
    this.#services = ctx.informers.informerFor(servicesRes);
    this.#pods = ctx.informers.informerFor(podsRes);
    this.#endpoints = ctx.informers.informerFor(endpointsRes);
    const enqueue = (o: KObject): void => this.#queue.add(metaNamespaceKey(o));
    this.#services.addEventHandler({ onAdd: enqueue, onUpdate: (_o, n) => enqueue(n), onDelete: enqueue });
    this.#endpoints.addEventHandler({ onDelete: enqueue, onUpdate: (o, n) => o !== n && enqueue(n) });
    this.#pods.addEventHandler(podToServiceHandlers(this.#services, (k) => this.#queue.add(k)));
  }

  async run(ctx: ControllerContext, signal: AbortSignal): Promise<void> {
    // Endpoints left behind by Services deleted while no controller ran (upstream's checkLeftoverEndpoints).
    for (const ep of this.#endpoints.lister().list()) {
      const { namespace, name } = ep.metadata;
      if (ep.metadata.annotations?.[leaderAnnotation] !== undefined) continue;
      if (!this.#services.lister().get(namespace ?? "", name!)) this.#queue.add(metaNamespaceKey(ep));
    }
    await runWorkers(this.#queue, ctx.settings.workers, (key) => this.#sync(ctx, key), (m, f) => ctx.log.warn(`endpoint: ${m}`, f), signal);
  }

  /** Reconciles one Service; a write that lost a race with the cache is retried shortly. */
  async #sync(ctx: ControllerContext, key: string): Promise<ReconcileResult | void> {
    try {
      await this.#reconcile(ctx, key);
    } catch (err) {
      if (isConflict(err) || isAlreadyExists(err)) return { requeueAfterMs: 100 };
      throw err;
    }
  }

  async #reconcile(ctx: ControllerContext, key: string): Promise<void> {
    if (key === "default/kubernetes") return;
    const { namespace, name } = splitKey(key);
    const client = ctx.client.resource(endpointsRes);
    const svc = this.#services.lister().get(namespace, name);
    const current = this.#endpoints.lister().get(namespace, name);
    if (!svc) {
      if (!current) return;
      try {
        await client.delete(namespace, name, { preconditions: { uid: current.metadata.uid } });
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
      return;
    }
    if (!managesService(svc) || svc.metadata.deletionTimestamp) return;
    const pods = this.#pods.lister().listNamespace(namespace, selectorFromSet(svc.spec.selector));
    const { subsets, truncated } = desiredSubsets(svc, pods);
    const labels: Record<string, string> = { ...(svc.metadata.labels ?? {}) };
    if (isHeadless(svc)) labels[headlessLabel] = "";
    else delete labels[headlessLabel];
    const annotations: Record<string, string> = { ...(current?.metadata.annotations ?? {}) };
    if (truncated) annotations[overCapacityAnnotation] = "truncated";
    else delete annotations[overCapacityAnnotation];
    const sameAnnotations = (current?.metadata.annotations?.[overCapacityAnnotation] ?? "") === (annotations[overCapacityAnnotation] ?? "");
    if (
      current &&
      sameAnnotations &&
      canonical(current.subsets ?? []) === canonical(subsets) &&
      canonical(current.metadata.labels ?? {}) === canonical(labels)
    ) {
      return;
    }
    const t = triggerTime(svc, pods);
    if (t) annotations[lastChangeTriggerTimeAnnotation] = t;
    if (!current) {
      await client.create(namespace, {
        apiVersion: "v1",
        kind: "Endpoints",
        metadata: { name, namespace, labels, annotations },
        subsets,
      });
      return;
    }
    const next = structuredClone(current);
    next.metadata.labels = labels;
    next.metadata.annotations = annotations;
    next.subsets = subsets;
    await client.update(namespace, next);
  }
}

/** Factory of the endpoints controller. */
export const endpointsController: ControllerFactory = () => new EndpointsController();
