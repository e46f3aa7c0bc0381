/**
 * The disruption controller ("disruption"): keeps the status of every
 * PodDisruptionBudget — expectedPods (the replicas of the pods' controllers,
 * or the number of matching pods), currentHealthy, desiredHealthy (from
 * minAvailable / maxUnavailable, percentages rounded up),
 * disruptionsAllowed, observedGeneration and the DisruptionAllowed
 * condition — which the apiserver's pods/eviction reads. Pods without a
 * controller do not count towards a controller-scaled budget (Warning
 * UnmanagedPods); a pod whose controller is missing makes the budget fail
 * safe (no disruption allowed, reason SyncFailed), as upstream.
 */
import { findByKind, findResource } from "../../api/resources.ts";
import type { KObject, OwnerReference } from "../../api/types.ts";
import { isConflict, isNotFound, metaNamespaceKey, runWorkers, splitKey, WorkQueue, type Informer, type ReconcileResult } from "../../client/index.ts";
import { selectorFromLabelSelector } from "../../machinery/labels.ts";
import type { Controller, ControllerContext, ControllerFactory } from "../types.ts";
import { canonical } from "../endpoints/pods.ts";
import { budgetStatus, countHealthy, expectedAndDesired, failSafeStatus, liveDisruptedPods } from "./budget.ts";
import { rfc3339 as stamp } from "../../machinery/time.ts";

const pdbsRes = findResource("policy", "v1", "poddisruptionbudgets")!;
const podsRes = findResource("", "v1", "pods")!;
const scaled = {
  ReplicaSet: findResource("apps", "v1", "replicasets")!,
  Deployment: findResource("apps", "v1", "deployments")!,
  StatefulSet: findResource("apps", "v1", "statefulsets")!,
  ReplicationController: findResource("", "v1", "replicationcontrollers")!,
} as const;
type ScaledKind = keyof typeof scaled;

/** A pod's controller is gone or of an unknown kind: the budget cannot be computed. */
class NoControllerError extends Error {}

function controllerOf(o: KObject): OwnerReference | undefined {
  return (o.metadata.ownerReferences ?? []).find((r) => r.controller);
}


class DisruptionController implements Controller {
  readonly name = "disruption";
  readonly #queue = new WorkQueue<string>();
  #pdbs!: Informer;
  #pods!: Informer;
  readonly #controllers = new Map<ScaledKind, Informer>();

  init(ctx: ControllerContext): void {
    this.#pdbs = ctx.informers.informerFor(pdbsRes);
    this.#pods = ctx.informers.informerFor(podsRes);
    const enqueue = (o: KObject): void => this.#queue.add(metaNamespaceKey(o));
    this.#pdbs.addEventHandler({ onAdd: enqueue, onUpdate: (_o, n) => enqueue(n), onDelete: () => undefined });
    const podChanged = (p: KObject): void => {
      for (const pdb of this.#pdbs.lister().listNamespace(p.metadata.namespace ?? "")) {
        if (selectorOf(pdb).matches(p.metadata.labels)) enqueue(pdb);
      }
    };
    this.#pods.addEventHandler({
      onAdd: podChanged,
      onDelete: podChanged,
      onUpdate: (o, n) => {
        if (o === n) return;
        podChanged(n);
        if (canonical(o.metadata.labels ?? {}) !== canonical(n.metadata.labels ?? {})) podChanged(o);
      },
    });
    const scaleChanged = (o: KObject, n: KObject): void => {
      if (o.spec?.replicas === n.spec?.replicas) return;
      for (const pdb of this.#pdbs.lister().listNamespace(n.metadata.namespace ?? "")) enqueue(pdb);
    };
    for (const kind of Object.keys(scaled) as ScaledKind[]) {
      const inf = ctx.informers.informerFor(scaled[kind]);
      inf.addEventHandler({ onUpdate: scaleChanged });
      this.#controllers.set(kind, inf);
    }
  }

  async run(ctx: ControllerContext, signal: AbortSignal): Promise<void> {
    await runWorkers(this.#queue, ctx.settings.workers, (key) => this.#sync(ctx, key), (m, f) => ctx.log.warn(`disruption: ${m}`, f), signal);
  }

  async #sync(ctx: ControllerContext, key: string): Promise<ReconcileResult | void> {
    const { namespace, name } = splitKey(key);
    const pdb = this.#pdbs.lister().get(namespace, name);
    if (!pdb || pdb.metadata.deletionTimestamp) return;
    const pods = this.#pods.lister().listNamespace(namespace, selectorOf(pdb));
    const recorder = ctx.recorder("controllermanager");
    if (!pods.length) recorder.event(pdb, "Normal", "NoPods", "No matching pods found");
    const now = Date.now();
    const unmanaged: string[] = [];
    let counts: { expected: number; desired: number };
    try {
      counts = await expectedAndDesired(pdb, pods, () => this.#expectedScale(ctx, namespace, pods, unmanaged));
    } catch (err) {
      if (!(err instanceof NoControllerError)) throw err;
      return this.#write(ctx, pdb, failSafeStatus(pdb, err.message, stamp(now)));
    }
    if (unmanaged.length) {
      recorder.event(
        pdb,
        "Warning",
        "UnmanagedPods",
        `Pods selected by this PodDisruptionBudget (selector: ${selectorOf(pdb).toString()}) were found to be unmanaged. As a result, the status of the PDB cannot be calculated correctly, which may result in undefined behavior. To account for these pods please set ".spec.minAvailable" field of the PDB to an integer value.`,
      );
    }
    const disrupted = liveDisruptedPods(pdb, pods, now);
    const healthy = countHealthy(pods, disrupted.map);
    const status = budgetStatus(pdb, { ...counts, healthy, disrupted: disrupted.map }, stamp(now));
    const retry = disrupted.nextExpiry === undefined ? undefined : { requeueAfterMs: Math.max(10, disrupted.nextExpiry - now) };
    return (await this.#write(ctx, pdb, status)) ?? retry;
  }

  /** Writes `status` unless it is already there. */
  async #write(ctx: ControllerContext, pdb: KObject, status: Record<string, unknown>): Promise<ReconcileResult | void> {
    if (canonical(pdb.status ?? {}) === canonical(status)) return;
    const next = structuredClone(pdb);
    next.status = status;
    try {
      await ctx.client.resource(pdbsRes).updateStatus(pdb.metadata.namespace ?? "", next);
    } catch (err) {
      if (isNotFound(err)) return;
      if (isConflict(err)) return { requeueAfterMs: 100 };
      throw err;
    }
  }

  /**
   * Sum of spec.replicas over the pods' distinct controllers (a ReplicaSet
   * owned by a Deployment counts as the Deployment); other controllers are
   * asked for their scale subresource. Pods without a controller are left
   * out and named in `unmanaged`; a controller that cannot be found throws
   * NoControllerError (upstream's getExpectedScale).
   */
  async #expectedScale(ctx: ControllerContext, namespace: string, pods: KObject[], unmanaged: string[]): Promise<number> {
    const seen = new Map<string, number>();
    for (const pod of pods) {
      const ref = controllerOf(pod);
      if (!ref) {
        unmanaged.push(pod.metadata.name!);
        continue;
      }
      if (seen.has(ref.uid)) continue;
      const found = await this.#scaleOf(ctx, namespace, ref);
      if (!found) throw new NoControllerError(`found no controllers for pod "${pod.metadata.name}"`);
      seen.set(found.uid, found.replicas);
    }
    let total = 0;
    for (const r of seen.values()) total += r;
    return total;
  }

  async #scaleOf(ctx: ControllerContext, namespace: string, ref: OwnerReference): Promise<{ uid: string; replicas: number } | undefined> {
    const inf = this.#controllers.get(ref.kind as ScaledKind);
    if (inf) {
      const obj = inf.lister().get(namespace, ref.name);
      if (!obj || obj.metadata.uid !== ref.uid) return undefined;
      if (ref.kind === "ReplicaSet") {
        const owner = controllerOf(obj);
        if (owner?.kind === "Deployment") {
          const dep = this.#controllers.get("Deployment")!.lister().get(namespace, owner.name);
          if (dep && dep.metadata.uid === owner.uid) return { uid: dep.metadata.uid!, replicas: dep.spec?.replicas ?? 1 };
        }
      }
      return { uid: obj.metadata.uid!, replicas: obj.spec?.replicas ?? 1 };
    }
    const info = findByKind(ref.apiVersion, ref.kind);
    if (!info?.subresources?.includes("scale")) return undefined;
    try {
      const scale = (await ctx.client.resource(info).getSubresource(namespace, ref.name, "scale")) as KObject;
      return { uid: ref.uid, replicas: scale.spec?.replicas ?? 0 };
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }
}

function selectorOf(pdb: KObject): ReturnType<typeof selectorFromLabelSelector> {
  try {
    return selectorFromLabelSelector(pdb.spec?.selector);
  } catch {
    return selectorFromLabelSelector(undefined);
  }
}

/** Factory of the disruption controller. */
export const disruptionController: ControllerFactory = () => new DisruptionController();
