/**
 * The EndpointSlice mirroring controller ("endpointslicemirroring"), as
 * upstream's: the Endpoints of a Service without a selector (written by
 * hand or by another controller) are mirrored into EndpointSlices, so that
 * EndpointSlice readers see them too. Slices are labelled with the
 * Endpoints' labels plus kubernetes.io/service-name and managed-by
 * endpointslicemirroring-controller.k8s.io, carry its annotations (but the
 * last-applied and trigger-time ones), are owned by the Endpoints, and hold
 * one address family and port set each, at most 100 endpoints. Endpoints
 * labelled endpointslice.kubernetes.io/skip-mirror=true, of a Service with a
 * selector, or without a Service are not mirrored (their slices go).
 * Slice names are derived from the content group, so a stale cache can
 * never create a slice twice.
 */
import { createHash } from "node:crypto";
import { findResource } from "../../api/resources.ts";
import type { KObject } from "../../api/types.ts";
import { isAlreadyExists, isConflict, isNotFound, metaNamespaceKey, runWorkers, splitKey, WorkQueue, type Informer, type ReconcileResult } from "../../client/index.ts";
import { selectorFromSet } from "../../machinery/labels.ts";
import type { Controller, ControllerContext, ControllerFactory } from "../types.ts";
import { canonical } from "../endpoints/pods.ts";
import { managedByLabel, serviceNameLabel } from "../endpointslice/index.ts";

const servicesRes = findResource("", "v1", "services")!;
const endpointsRes = findResource("", "v1", "endpoints")!;
const slicesRes = findResource("discovery.k8s.io", "v1", "endpointslices")!;

export const mirroringControllerName = "endpointslicemirroring-controller.k8s.io";
export const skipMirrorLabel = "endpointslice.kubernetes.io/skip-mirror";
const maxEndpointsPerSlice = 100;
const droppedAnnotations = new Set(["kubectl.kubernetes.io/last-applied-configuration", "endpoints.kubernetes.io/last-change-trigger-time", "endpoints.kubernetes.io/over-capacity"]);

interface Address {
  ip: string;
  hostname?: string;
  nodeName?: string;
  targetRef?: Record<string, unknown>;
}

/** Whether `ep` (of `svc`) is to be mirrored. */
export function shouldMirror(svc: KObject | undefined, ep: KObject | undefined): boolean {
  if (!svc || !ep) return false;
  if (svc.spec?.selector && Object.keys(svc.spec.selector).length) return false;
  return ep.metadata.labels?.[skipMirrorLabel] !== "true";
}

/** The slices mirroring `ep`: one per address family and port set, at most 100 endpoints each. */
export function mirroredSlices(ep: KObject): KObject[] {
  const groups = new Map<string, { addressType: string; ports: unknown[]; endpoints: unknown[] }>();
  for (const subset of (ep.subsets ?? []) as { addresses?: Address[]; notReadyAddresses?: Address[]; ports?: { name?: string; port: number; protocol?: string; appProtocol?: string }[] }[]) {
    const ports = (subset.ports ?? []).map((p) => ({ name: p.name ?? "", port: p.port, protocol: p.protocol ?? "TCP", ...(p.appProtocol ? { appProtocol: p.appProtocol } : {}) }));
    const add = (a: Address, ready: boolean): void => {
      const addressType = a.ip.includes(":") ? "IPv6" : "IPv4";
      const key = `${addressType}|${canonical(ports)}`;
      let g = groups.get(key);
      if (!g) groups.set(key, (g = { addressType, ports, endpoints: [] }));
      g.endpoints.push({
        addresses: [a.ip],
        conditions: { ready },
        ...(a.hostname ? { hostname: a.hostname } : {}),
        ...(a.nodeName ? { nodeName: a.nodeName } : {}),
        ...(a.targetRef ? { targetRef: a.targetRef } : {}),
      });
    };
    for (const a of subset.addresses ?? []) add(a, true);
    for (const a of subset.notReadyAddresses ?? []) add(a, false);
  }
  const labels: Record<string, string> = {};
  for (const [k, v] of Object.entries((ep.metadata.labels ?? {}) as Record<string, string>)) if (k !== managedByLabel && k !== serviceNameLabel && k !== skipMirrorLabel) labels[k] = v;
  labels[serviceNameLabel] = ep.metadata.name!;
  labels[managedByLabel] = mirroringControllerName;
  const annotations: Record<string, string> = {};
  for (const [k, v] of Object.entries((ep.metadata.annotations ?? {}) as Record<string, string>)) if (!droppedAnnotations.has(k)) annotations[k] = v;
  const out: KObject[] = [];
  for (const [key, g] of [...groups].sort(([a], [b]) => a.localeCompare(b))) {
    for (let i = 0; i < g.endpoints.length; i += maxEndpointsPerSlice) {
      const suffix = createHash("sha256").update(`${key}|${i}`).digest("hex").slice(0, 5);
      out.push({
        apiVersion: "discovery.k8s.io/v1",
        kind: "EndpointSlice",
        metadata: {
          name: `${ep.metadata.name}-${suffix}`,
          namespace: ep.metadata.namespace,
          labels,
          ...(Object.keys(annotations).length ? { annotations } : {}),
          ownerReferences: [{ apiVersion: "v1", kind: "Endpoints", name: ep.metadata.name!, uid: ep.metadata.uid!, controller: true, blockOwnerDeletion: true }],
        },
        addressType: g.addressType,
        endpoints: g.endpoints.slice(i, i + maxEndpointsPerSlice),
        ports: g.ports,
      });
    }
  }
  return out;
}

const content = (s: KObject): string =>
  canonical([s.addressType, s.endpoints ?? [], s.ports ?? [], s.metadata.labels ?? {}, s.metadata.annotations ?? {}, s.metadata.ownerReferences ?? []]);

class MirroringController implements Controller {
  readonly name = "endpointslicemirroring";
  readonly #queue = new WorkQueue<string>();
  #services!: Informer;
  #endpoints!: Informer;
  #slices!: Informer;

  init(ctx: ControllerContext): void {
    this.#services = ctx.informers.informerFor(servicesRes);
    this.#endpoints = ctx.informers.informerFor(endpointsRes);
    this.#slices = ctx.informers.informerFor(slicesRes);
    const enqueue = (o: KObject): void => this.#queue.add(metaNamespaceKey(o));
    this.#services.addEventHandler({ onAdd: enqueue, onUpdate: (_o, n) => enqueue(n), onDelete: enqueue });
    this.#endpoints.addEventHandler({ onAdd: enqueue, onUpdate: (_o, n) => enqueue(n), onDelete: enqueue });
    const sliceChanged = (s: KObject): void => {
      const svc = s.metadata.labels?.[serviceNameLabel];
      if (svc && s.metadata.labels?.[managedByLabel] === mirroringControllerName) this.#queue.add(`${s.metadata.namespace}/${svc}`);
    };
    this.#slices.addEventHandler({ onAdd: sliceChanged, onDelete: sliceChanged, onUpdate: (_o, n) => sliceChanged(n) });
  }

  async run(ctx: ControllerContext, signal: AbortSignal): Promise<void> {
    await runWorkers(this.#queue, ctx.settings.workers, (key) => this.#sync(ctx, key), (m, f) => ctx.log.warn(`endpointslicemirroring: ${m}`, f), signal);
  }

  async #sync(ctx: ControllerContext, key: string): Promise<ReconcileResult | void> {
    const { namespace, name } = splitKey(key);
    const ep = this.#endpoints.lister().get(namespace, name);
    const svc = this.#services.lister().get(namespace, name);
    const existing = this.#slices.lister().listNamespace(namespace, selectorFromSet({ [serviceNameLabel]: name, [managedByLabel]: mirroringControllerName }));
    const desired = shouldMirror(svc, ep) ? mirroredSlices(ep!) : [];
    const slices = ctx.client.resource(slicesRes);
    const have = new Map(existing.map((s) => [s.metadata.name!, s]));
    try {
      for (const want of desired) {
        const cur = have.get(want.metadata.name!);
        have.delete(want.metadata.name!);
        if (!cur) await slices.create(namespace, want);
        else if (cur.addressType !== want.addressType) {
          await slices.delete(namespace, cur.metadata.name!, { preconditions: { uid: cur.metadata.uid } });
          return { requeueAfterMs: 100 };
        } else if (content(cur) !== content(want)) {
          await slices.update(namespace, { ...want, metadata: { ...want.metadata, resourceVersion: cur.metadata.resourceVersion } });
        }
      }
      for (const stale of have.values()) await slices.delete(namespace, stale.metadata.name!, { preconditions: { uid: stale.metadata.uid } }).catch((err) => (isNotFound(err) ? undefined : Promise.reject(err)));
    } catch (err) {
      if (isConflict(err) || isAlreadyExists(err)) return { requeueAfterMs: 100 };
      throw err;
    }
  }
}

/** Factory of the EndpointSlice mirroring controller. */
export const endpointSliceMirroringController: ControllerFactory = () => new MirroringController();
