/**
 * The replica controller shared by ReplicaSet and ReplicationController
 * (upstream pkg/controller/replicaset). Event handlers resolve the owning
 * controller of a pod (ownerReference, or selector for orphans), note
 * observed creates/deletes in the expectations and enqueue keys; sync(key)
 * reads the listers, claims pods (adopt/release), manages replicas when the
 * expectations are satisfied, and always writes status.
 */
import { findResource } from "../../api/resources.ts";
import type { KObject } from "../../api/types.ts";
import {
  isNotFound,
  metaNamespaceKey,
  runWorkers,
  splitKey,
  WorkQueue,
  type EventRecorder,
  type Informer,
  type ReconcileResult,
} from "../../client/index.ts";
import type { Controller, ControllerContext } from "../types.ts";
import { claimObjects, controllerRefOf } from "./controllerref.ts";
import { Expectations } from "./expectations.ts";
import type { ReplicaKind } from "./kinds.ts";
import { manageReplicas } from "./manage.ts";
import { isPodActive, isPodReady } from "./pods.ts";
import { calculateStatus, updateStatus } from "./status.ts";

const podsRes = findResource("", "v1", "pods")!;

/** A ReplicaSet-style controller for `kind`; see the module comment. */
export class ReplicaController implements Controller {
  readonly name: string;
  readonly #kind: ReplicaKind;
  readonly #queue = new WorkQueue<string>();
  readonly #expectations = new Expectations();
  #owners!: Informer;
  #pods!: Informer;
  #ctx!: ControllerContext;
  #recorder!: EventRecorder;

  constructor(kind: ReplicaKind) {
    this.#kind = kind;
    this.name = kind.controllerName;
  }

  init(ctx: ControllerContext): void {
    this.#ctx = ctx;
    this.#recorder = ctx.recorder(this.#kind.component);
    this.#owners = ctx.informers.informerFor(this.#kind.resource);
    this.#pods = ctx.informers.informerFor(podsRes);
    this.#owners.addEventHandler({
      onAdd: (o) => this.#enqueue(o),
      onUpdate: (_old, o) => this.#enqueue(o),
      onDelete: (o) => {
        this.#expectations.delete(metaNamespaceKey(o));
        this.#enqueue(o);
      },
    });
    this.#pods.addEventHandler({
      onAdd: (p) => this.#addPod(p),
      onUpdate: (o, n) => this.#updatePod(o, n),
      onDelete: (p) => this.#deletePod(p),
    });
  }

  async run(ctx: ControllerContext, signal: AbortSignal): Promise<void> {
    const stop = (): void => this.#queue.shutDown();
    if (signal.aborted) stop();
    else signal.addEventListener("abort", stop, { once: true });
    await runWorkers(this.#queue, ctx.settings.workers, (key) => this.sync(key), (msg, f) => ctx.log.warn(msg, { controller: this.name, ...f }));
  }

  #enqueue(o: KObject): void {
    this.#queue.add(metaNamespaceKey(o));
  }

  /** The owner named by the pod's controller reference, if it is one of ours and still exists. */
  #resolveRef(p: KObject, ref = controllerRefOf(p)): KObject | undefined {
    if (!ref || ref.kind !== this.#kind.kind || ref.apiVersion.split("/")[0] !== this.#kind.apiVersion.split("/")[0]) return undefined;
    const owner = this.#owners.lister().get(p.metadata.namespace ?? "", ref.name);
    return owner && owner.metadata.uid === ref.uid ? owner : undefined;
  }

  /** Owners in the pod's namespace whose selector matches the pod (for orphans). */
  #matchingOwners(p: KObject): KObject[] {
    return this.#owners.lister().listNamespace(p.metadata.namespace ?? "").filter((o) => this.#kind.selector(o).matches(p.metadata.labels));
  }

  #addPod(p: KObject): void {
    if (p.metadata.deletionTimestamp) return this.#deletePod(p);
    const ref = controllerRefOf(p);
    if (ref) {
      const owner = this.#resolveRef(p, ref);
      if (!owner) return;
      this.#expectations.creationObserved(metaNamespaceKey(owner));
      this.#enqueue(owner);
      return;
    }
    for (const o of this.#matchingOwners(p)) this.#enqueue(o);
  }

  #updatePod(old: KObject, cur: KObject): void {
    if (old.metadata.resourceVersion === cur.metadata.resourceVersion) return;
    const labelsChanged = JSON.stringify(old.metadata.labels ?? {}) !== JSON.stringify(cur.metadata.labels ?? {});
    if (cur.metadata.deletionTimestamp) {
      this.#deletePod(cur);
      if (labelsChanged) this.#deletePod(old);
      return;
    }
    const curRef = controllerRefOf(cur);
    const oldRef = controllerRefOf(old);
    const refChanged = curRef?.uid !== oldRef?.uid;
    if (refChanged && oldRef) {
      const o = this.#resolveRef(old, oldRef);
      if (o) this.#enqueue(o);
    }
    if (curRef) {
      const owner = this.#resolveRef(cur, curRef);
      if (!owner) return;
      this.#enqueue(owner);
      const minReady = Number(owner.spec?.minReadySeconds ?? 0);
      if (minReady > 0 && !isPodReady(old) && isPodReady(cur)) this.#queue.addAfter(metaNamespaceKey(owner), minReady * 1000 + 1000);
      return;
    }
    if (labelsChanged || refChanged) for (const o of this.#matchingOwners(cur)) this.#enqueue(o);
  }

  #deletePod(p: KObject): void {
    const owner = this.#resolveRef(p);
    if (!owner) return;
    const key = metaNamespaceKey(owner);
    this.#expectations.deletionObserved(key, metaNamespaceKey(p));
    this.#queue.add(key);
  }

  /** Reconciles one owner by key; throws to be retried with back-off. */
  async sync(key: string): Promise<ReconcileResult | void> {
    const { namespace, name } = splitKey(key);
    const cached = this.#owners.lister().get(namespace, name);
    if (!cached) {
      this.#expectations.delete(key);
      return;
    }
    const owner = structuredClone(cached);
    const needsSync = this.#expectations.satisfied(key);
    const selector = this.#kind.selector(owner);
    const client = this.#ctx.client;
    const ownerClient = client.resource(this.#kind.resource);
    const active = this.#pods.lister().listNamespace(namespace).filter(isPodActive);
    const pods = await claimObjects(active, {
      owner,
      apiVersion: this.#kind.apiVersion,
      kind: this.#kind.kind,
      selector,
      client: client.resource(podsRes),
      canAdopt: async () => {
        const fresh = await ownerClient.get(namespace, name);
        if (fresh.metadata.uid !== owner.metadata.uid) throw new Error(`original ${this.#kind.kind} ${key} is gone: got uid ${fresh.metadata.uid}, wanted ${owner.metadata.uid}`);
        if (fresh.metadata.deletionTimestamp) throw new Error(`${this.#kind.kind} ${key} has just been deleted at ${fresh.metadata.deletionTimestamp}`);
      },
    });
    let manageErr: unknown;
    if (needsSync && !owner.metadata.deletionTimestamp) {
      try {
        await manageReplicas({ client, recorder: this.#recorder, expectations: this.#expectations, kind: this.#kind }, owner, pods, this.#relatedPods(owner, active));
      } catch (err) {
        manageErr = err;
      }
    }
    const diff = pods.length - Number(owner.spec?.replicas ?? 1);
    const status = calculateStatus(owner, pods, manageErr, diff);
    let stored: KObject;
    try {
      stored = await updateStatus(ownerClient, owner, status);
    } catch (err) {
      if (isNotFound(err)) return;
      throw err;
    }
    if (manageErr) throw manageErr;
    const minReady = Number(stored.spec?.minReadySeconds ?? 0);
    const st = stored.status ?? {};
    if (minReady > 0 && (st.readyReplicas ?? 0) === (st.replicas ?? 0) && (st.availableReplicas ?? 0) !== (st.replicas ?? 0)) {
      return { requeueAfterMs: minReady * 1000 };
    }
  }

  /** Active pods controlled by any controller sharing this owner's own controller (e.g. a Deployment's ReplicaSets). */
  #relatedPods(owner: KObject, active: KObject[]): KObject[] {
    const parent = controllerRefOf(owner);
    const siblings = new Set<string>([owner.metadata.uid!]);
    if (parent) {
      for (const o of this.#owners.lister().listNamespace(owner.metadata.namespace ?? "")) {
        if (controllerRefOf(o)?.uid === parent.uid) siblings.add(o.metadata.uid!);
      }
    }
    return active.filter((p) => {
      const ref = controllerRefOf(p);
      return !!ref && siblings.has(ref.uid);
    });
  }
}
