/**
 * The deployment controller (upstream pkg/controller/deployment). Handlers
 * enqueue the deployment owning a changed ReplicaSet (ownerReference, or
 * selector for orphans) or a deleted pod (Recreate waits for old pods);
 * sync(key) reads the listers, claims ReplicaSets, and runs one step of the
 * rollout: status only while deleting, a scale-only sync when paused or
 * resized, else the Recreate or RollingUpdate strategy.
 */
import { findResource } from "../../api/resources.ts";
import type { KObject } from "../../api/types.ts";
import { metaNamespaceKey, runWorkers, splitKey, WorkQueue, type Informer, type ReconcileResult } from "../../client/index.ts";
import { selectorFromLabelSelector } from "../../machinery/labels.ts";
import { claimObjects, controllerRefOf } from "../replicaset/controllerref.ts";
import type { Controller, ControllerContext } from "../types.ts";
import { requeueForDeadline } from "./conditions.ts";
import { rolloutRecreate } from "./recreate.ts";
import { rolloutRolling } from "./rolling.ts";
import { checkPausedConditions, isScalingEvent, syncScaleOnly, syncStatusOnly, writeStatus, type SyncCtx } from "./sync.ts";

const deploymentsRes = findResource("apps", "v1", "deployments")!;
const replicaSetsRes = findResource("apps", "v1", "replicasets")!;
const podsRes = findResource("", "v1", "pods")!;

/** The "deployment" controller; see the module comment. */
export class DeploymentController implements Controller {
  readonly name = "deployment";
  readonly #queue = new WorkQueue<string>();
  #deployments!: Informer;
  #replicaSets!: Informer;
  #pods!: Informer;
  #ctx!: ControllerContext;
  #sync!: SyncCtx;

  init(ctx: ControllerContext): void {
    this.#ctx = ctx;
    this.#sync = {
      deployments: ctx.client.resource(deploymentsRes),
      replicaSets: ctx.client.resource(replicaSetsRes),
      recorder: ctx.recorder("deployment-controller"),
    };
    this.#deployments = ctx.informers.informerFor(deploymentsRes);
    this.#replicaSets = ctx.informers.informerFor(replicaSetsRes);
    this.#pods = ctx.informers.informerFor(podsRes);
    this.#deployments.addEventHandler({
      onAdd: (d) => this.#enqueue(d),
      onUpdate: (_o, d) => this.#enqueue(d),
      onDelete: (d) => this.#enqueue(d),
    });
    this.#replicaSets.addEventHandler({
      onAdd: (rs) => this.#replicaSetChanged(undefined, rs),
      onUpdate: (o, rs) => this.#replicaSetChanged(o, rs),
      onDelete: (rs) => {
        const d = this.#resolve(rs);
        if (d) this.#enqueue(d);
      },
    });
    this.#pods.addEventHandler({ onDelete: (p) => this.#podDeleted(p) });
  }

  async run(ctx: ControllerContext, signal: AbortSignal): Promise<void> {
    const stop = (): void => this.#queue.shutDown();
    if (signal.aborted) stop();
    else signal.addEventListener("abort", stop, { once: true });
    await runWorkers(this.#queue, ctx.settings.workers, (key) => this.sync(key), (msg, f) => ctx.log.warn(msg, { controller: this.name, ...f }));
  }

  #enqueue(d: KObject): void {
    this.#queue.add(metaNamespaceKey(d));
  }

  /** The deployment named by an object's controller reference, if it still exists with that uid. */
  #resolve(obj: KObject, ref = controllerRefOf(obj)): KObject | undefined {
    if (!ref || ref.kind !== "Deployment" || !ref.apiVersion.startsWith("apps/")) return undefined;
    const d = this.#deployments.lister().get(obj.metadata.namespace ?? "", ref.name);
    return d && d.metadata.uid === ref.uid ? d : undefined;
  }

  #matching(rs: KObject): KObject[] {
    return this.#deployments.lister().listNamespace(rs.metadata.namespace ?? "").filter((d) => {
      try {
        const sel = selectorFromLabelSelector(d.spec?.selector);
        return !sel.empty() && sel.matches(rs.metadata.labels);
      } catch {
        return false;
      }
    });
  }

  #replicaSetChanged(old: KObject | undefined, rs: KObject): void {
    if (old && old.metadata.resourceVersion === rs.metadata.resourceVersion) return;
    const ref = controllerRefOf(rs);
    const oldRef = old && controllerRefOf(old);
    if (old && oldRef && oldRef.uid !== ref?.uid) {
      const d = this.#resolve(old, oldRef);
      if (d) this.#enqueue(d);
    }
    if (ref) {
      const d = this.#resolve(rs, ref);
      if (d) this.#enqueue(d);
      return;
    }
    const labelsChanged = !old || JSON.stringify(old.metadata.labels ?? {}) !== JSON.stringify(rs.metadata.labels ?? {});
    if (rs.metadata.deletionTimestamp) return;
    if (labelsChanged || oldRef) for (const d of this.#matching(rs)) this.#enqueue(d);
  }

  #podDeleted(p: KObject): void {
    const rsRef = controllerRefOf(p);
    if (!rsRef || rsRef.kind !== "ReplicaSet") return;
    const rs = this.#replicaSets.lister().get(p.metadata.namespace ?? "", rsRef.name);
    if (!rs || rs.metadata.uid !== rsRef.uid) return;
    const d = this.#resolve(rs);
    if (d && d.spec?.strategy?.type === "Recreate") this.#enqueue(d);
  }

  /** Pods of the claimed ReplicaSets, by ReplicaSet uid. */
  #podsByReplicaSet(d: KObject, rsList: KObject[]): Map<string, KObject[]> {
    const out = new Map<string, KObject[]>(rsList.map((rs) => [rs.metadata.uid!, []]));
    const sel = selectorFromLabelSelector(d.spec?.selector);
    for (const p of this.#pods.lister().listNamespace(d.metadata.namespace ?? "", sel)) {
      const ref = controllerRefOf(p);
      if (ref) out.get(ref.uid)?.push(p);
    }
    return out;
  }

  /** Reconciles one deployment by key; throws to be retried with back-off. */
  async sync(key: string): Promise<ReconcileResult | void> {
    const { namespace, name } = splitKey(key);
    const cached = this.#deployments.lister().get(namespace, name);
    if (!cached) return;
    const d = structuredClone(cached);
    const c = this.#sync;
    const selector = selectorFromLabelSelector(d.spec?.selector);
    if (selector.empty()) {
      c.recorder.event(d, "Warning", "SelectingAll", "This deployment is selecting all pods. A non-empty selector is required.");
      if ((d.status?.observedGeneration ?? 0) < (d.metadata.generation ?? 0)) {
        await writeStatus(c, d, { ...(d.status ?? {}), observedGeneration: d.metadata.generation });
      }
      return;
    }
    const candidates = this.#replicaSets
      .lister()
      .listNamespace(namespace)
      .map((rs) => structuredClone(rs));
    const rsList = await claimObjects(candidates, {
      owner: d,
      apiVersion: "apps/v1",
      kind: "Deployment",
      selector,
      client: c.replicaSets,
      canAdopt: async () => {
        const fresh = await c.deployments.get(namespace, name);
        if (fresh.metadata.uid !== d.metadata.uid) throw new Error(`original Deployment ${key} is gone: got uid ${fresh.metadata.uid}, wanted ${d.metadata.uid}`);
        if (fresh.metadata.deletionTimestamp) throw new Error(`Deployment ${key} has just been deleted at ${fresh.metadata.deletionTimestamp}`);
      },
    });
    const owned = rsList.map((rs) => structuredClone(rs));
    if (d.metadata.deletionTimestamp) return syncStatusOnly(c, d, owned);
    await checkPausedConditions(c, d);
    if (d.spec?.paused) return syncScaleOnly(c, d, owned);
    if (await isScalingEvent(c, d, owned)) return syncScaleOnly(c, d, owned);
    if (d.spec?.strategy?.type === "Recreate") await rolloutRecreate(c, d, owned, this.#podsByReplicaSet(d, owned));
    else await rolloutRolling(c, d, owned);
    const after = requeueForDeadline(d, d.status ?? {});
    return after === undefined ? undefined : { requeueAfterMs: after };
  }
}
