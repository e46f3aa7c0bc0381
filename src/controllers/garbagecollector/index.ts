/**
 * The garbage collector ("garbagecollector"): deletes objects whose owners
 * are gone, after upstream's pkg/controller/garbagecollector, with the
 * ownership graph read from informer caches indexed by owner uid.
 *
 * - Background: a dependent all of whose owners are absent (checked in the
 *   cache, then confirmed with a live GET) is deleted; one that still has
 *   other live owners only loses the references to the absent ones.
 * - Foreground: an owner with deletionTimestamp and the "foregroundDeletion"
 *   finalizer gets its dependents deleted; the finalizer is removed once no
 *   dependent with blockOwnerDeletion is left.
 * - Orphan: an owner with deletionTimestamp and the "orphan" finalizer has
 *   its reference removed from every dependent, then the finalizer removed.
 *
 * Handlers only enqueue item keys ("group/plural|namespace|name"). Owners
 * of kinds outside the informer table send no events, so dependents held
 * only by such owners are re-verified every `untrackedOwnerRecheckMs`.
 */
import { findByKind, type ResourceInfo } from "../../api/resources.ts";
import type { KObject } from "../../api/types.ts";
import { isConflict, isNotFound, runWorkers, WorkQueue, type Informer, type ReconcileResult } from "../../client/index.ts";
import type { Controller, ControllerContext, ControllerFactory } from "../types.ts";
import {
  foregroundFinalizer,
  gcResources,
  isDeletingDependents,
  isOrphaning,
  itemKey,
  orphanFinalizer,
  ownerRefs,
  parseItemKey,
  policyFor,
  removeFinalizerPatch,
  removeOwnerRefsPatch,
  resourceId,
  type OwnerReference,
} from "./graph.ts";

const ownerIndex = "garbagecollector/owner-uid";
/** Owner uids confirmed absent by a live GET, kept until this many accumulate. */
const absentCacheSize = 10_000;

interface Tracked {
  info: ResourceInfo;
  informer: Informer;
}

interface Dependent {
  info: ResourceInfo;
  obj: KObject;
}

/** An owner as resolved for one reference: its live object, gone, or not resolvable (kept). */
type OwnerState = KObject | "absent" | "unresolvable";

/** Tuning of the garbage collector (tests shorten the recheck). */
export interface GarbageCollectorOptions {
  /** How often a dependent whose live owners are all of untracked kinds is re-verified (default 30 s). */
  untrackedOwnerRecheckMs?: number;
}

class GarbageCollector implements Controller {
  readonly name = "garbagecollector";
  readonly #queue = new WorkQueue<string>();
  readonly #recheckMs: number;
  readonly #tracked = new Map<string, Tracked>();
  readonly #absent = new Set<string>();

  constructor(opts: GarbageCollectorOptions) {
    this.#recheckMs = opts.untrackedOwnerRecheckMs ?? 30_000;
  }

  init(ctx: ControllerContext): void {
    for (const info of gcResources()) {
      const informer = ctx.informers.informerFor(info);
      informer.addIndexer(ownerIndex, (o) => ownerRefs(o).map((r) => r.uid));
      this.#tracked.set(resourceId(info), { info, informer });
      informer.addEventHandler({
        onAdd: (o) => this.#enqueueIfRelevant(info, o),
        onUpdate: (old, o) => {
          this.#enqueueIfRelevant(info, o);
          const kept = new Set(ownerRefs(o).map((r) => r.uid));
          for (const r of ownerRefs(old)) if (!kept.has(r.uid)) this.#enqueueOwner(o, r);
        },
        onDelete: (o) => {
          for (const d of this.#dependents(o.metadata.uid!)) this.#queue.add(itemKey(d.info, d.obj.metadata.namespace ?? "", d.obj.metadata.name!));
          for (const r of ownerRefs(o)) this.#enqueueOwner(o, r);
        },
      });
    }
  }

  async run(ctx: ControllerContext, signal: AbortSignal): Promise<void> {
    const log = ctx.log.child("garbage-collector");
    await runWorkers(this.#queue, ctx.settings.workers, (key) => this.#sync(ctx, key), (m, f) => log.warn(m, f), signal);
  }

  #enqueueIfRelevant(info: ResourceInfo, o: KObject): void {
    if (ownerRefs(o).length || isOrphaning(o) || isDeletingDependents(o)) this.#queue.add(itemKey(info, o.metadata.namespace ?? "", o.metadata.name!));
  }

  #isTracked(ref: OwnerReference): boolean {
    const info = findByKind(ref.apiVersion, ref.kind);
    return !!info && this.#tracked.has(resourceId(info));
  }

  #enqueueOwner(dependent: KObject, ref: OwnerReference): void {
    const info = findByKind(ref.apiVersion, ref.kind);
    if (!info || !this.#tracked.has(resourceId(info))) return;
    this.#queue.add(itemKey(info, info.namespaced ? (dependent.metadata.namespace ?? "") : "", ref.name));
  }

  /** Cached objects (of every tracked resource) with an ownerReference to `uid`. */
  #dependents(uid: string): Dependent[] {
    const out: Dependent[] = [];
    for (const t of this.#tracked.values()) for (const obj of t.informer.byIndex(ownerIndex, uid)) out.push({ info: t.info, obj });
    return out;
  }

  async #sync(ctx: ControllerContext, key: string): Promise<ReconcileResult | void> {
    const { resource, namespace, name } = parseItemKey(key);
    const t = this.#tracked.get(resource);
    const obj = t?.informer.lister().get(namespace, name);
    if (!t || !obj) return;
    if (isOrphaning(obj)) return this.#orphanDependents(ctx, t.info, obj);
    if (isDeletingDependents(obj)) return this.#processDeletingDependents(ctx, t.info, obj);
    if (obj.metadata.deletionTimestamp || !ownerRefs(obj).length) return;
    return this.#attemptToDelete(ctx, t.info, obj);
  }

  /** Resolves the owner `ref` of `dependent`: cache first, a live GET before calling it absent. */
  async #owner(ctx: ControllerContext, dependent: KObject, ref: OwnerReference): Promise<OwnerState> {
    if (this.#absent.has(ref.uid)) return "absent";
    const info = findByKind(ref.apiVersion, ref.kind);
    if (!info) return "unresolvable";
    const depNs = dependent.metadata.namespace ?? "";
    if (info.namespaced && !depNs) return "unresolvable";
    const ns = info.namespaced ? depNs : "";
    const cached = this.#tracked.get(resourceId(info))?.informer.lister().get(ns, ref.name);
    if (cached && cached.metadata.uid === ref.uid) return cached;
    try {
      const live = await ctx.client.resource(info).get(ns, ref.name);
      if (live.metadata.uid === ref.uid) return live;
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    if (this.#absent.size >= absentCacheSize) this.#absent.clear();
    this.#absent.add(ref.uid);
    return "absent";
  }

  /** Sorts `obj`'s owners: gone (absent, or deleting their dependents) or still there. */
  async #classifyOwners(ctx: ControllerContext, obj: KObject): Promise<{ solid: OwnerReference[]; gone: Set<string>; waiting: boolean; recheck?: ReconcileResult }> {
    const solid: OwnerReference[] = [];
    const gone = new Set<string>();
    let waiting = false;
    for (const ref of ownerRefs(obj)) {
      const owner = await this.#owner(ctx, obj, ref);
      if (owner === "absent") gone.add(ref.uid);
      else if (owner !== "unresolvable" && isDeletingDependents(owner)) {
        gone.add(ref.uid);
        waiting = true;
      } else solid.push(ref);
    }
    const recheck = solid.length > 0 && solid.every((r) => !this.#isTracked(r)) ? { requeueAfterMs: this.#recheckMs } : undefined;
    return { solid, gone, waiting, recheck };
  }

  /**
   * Upstream's attemptToDeleteItem for an object that is not being deleted.
   * Acts only on the live object, as upstream does: the cached copy may still
   * list an owner whose reference was just removed (an orphaning delete),
   * and that owner is gone by now. Asks for a recheck when every remaining
   * owner is of an untracked kind.
   */
  async #attemptToDelete(ctx: ControllerContext, info: ResourceInfo, cached: KObject): Promise<ReconcileResult | void> {
    const first = await this.#classifyOwners(ctx, cached);
    if (!first.gone.size) return first.recheck;
    const ns = cached.metadata.namespace ?? "";
    const rc = ctx.client.resource(info);
    let obj: KObject;
    try {
      obj = await rc.get(ns, cached.metadata.name!);
    } catch (err) {
      if (isNotFound(err)) return;
      throw err;
    }
    if (obj.metadata.uid !== cached.metadata.uid || obj.metadata.deletionTimestamp || !ownerRefs(obj).length) return;
    const { solid, gone, waiting, recheck } = await this.#classifyOwners(ctx, obj);
    if (!gone.size) return recheck;
    try {
      if (solid.length) {
        await rc.patch(ns, obj.metadata.name!, "strategic", removeOwnerRefsPatch(obj, gone));
        return recheck;
      }
      const policy = waiting && this.#dependents(obj.metadata.uid!).length ? "Foreground" : policyFor(obj);
      await rc.delete(ns, obj.metadata.name!, { propagationPolicy: policy, preconditions: { uid: obj.metadata.uid, resourceVersion: obj.metadata.resourceVersion } });
    } catch (err) {
      if (isConflict(err)) return { requeueAfterMs: 100 }; // changed meanwhile: judge it again
      if (!isNotFound(err)) throw err;
    }
  }

  /** Foreground deletion: delete dependents; drop the finalizer once no blocking dependent is left. */
  async #processDeletingDependents(ctx: ControllerContext, info: ResourceInfo, owner: KObject): Promise<void> {
    const uid = owner.metadata.uid!;
    let blocking = 0;
    for (const d of this.#dependents(uid)) {
      if (ownerRefs(d.obj).some((r) => r.uid === uid && r.blockOwnerDeletion)) blocking++;
      if (!d.obj.metadata.deletionTimestamp || isDeletingDependents(d.obj)) this.#queue.add(itemKey(d.info, d.obj.metadata.namespace ?? "", d.obj.metadata.name!));
    }
    if (blocking) return;
    await this.#removeFinalizer(ctx, info, owner, foregroundFinalizer);
  }

  /** Orphan deletion: remove the owner's reference from its dependents, then the finalizer. */
  async #orphanDependents(ctx: ControllerContext, info: ResourceInfo, owner: KObject): Promise<void> {
    const uid = owner.metadata.uid!;
    for (const d of this.#dependents(uid)) {
      try {
        await ctx.client.resource(d.info).patch(d.obj.metadata.namespace ?? "", d.obj.metadata.name!, "strategic", removeOwnerRefsPatch(d.obj, new Set([uid])));
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
    await this.#removeFinalizer(ctx, info, owner, orphanFinalizer);
  }

  async #removeFinalizer(ctx: ControllerContext, info: ResourceInfo, obj: KObject, f: string): Promise<void> {
    const patch = removeFinalizerPatch(obj, f);
    if (!patch) return;
    try {
      await ctx.client.resource(info).patch(obj.metadata.namespace ?? "", obj.metadata.name!, "json", patch);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
}

/** Builds a garbage collector with non-default tuning. */
export function newGarbageCollector(opts: GarbageCollectorOptions = {}): ControllerFactory {
  return () => new GarbageCollector(opts);
}

/** Builds the garbage collector. */
export const garbageCollectorController: ControllerFactory = newGarbageCollector();
