/**
 * The pod garbage collector ("podgc"), as upstream's: every 20 s it
 * force-deletes pods bound to nodes that no longer exist (after the node has
 * been missing for a 40 s quarantine and a live read confirms it is gone;
 * such pods are first marked Failed with DisruptionTarget=True, reason
 * DeletionByPodGC), terminating pods that were never scheduled, and the
 * oldest finished pods beyond --terminated-pod-gc-threshold (12,500).
 */
import { findResource } from "../../api/resources.ts";
import type { KObject } from "../../api/types.ts";
import { isNotFound, type Informer } from "../../client/index.ts";
import { rfc3339 } from "../../machinery/time.ts";
import type { Controller, ControllerContext, ControllerFactory } from "../types.ts";

const podsRes = findResource("", "v1", "pods")!;
const nodesRes = findResource("", "v1", "nodes")!;

/** Timing of the collector (upstream's gcCheckPeriod and quarantineTime). */
export interface PodGCOptions {
  periodMs?: number;
  quarantineMs?: number;
}

const isFinished = (p: KObject): boolean => p.status?.phase === "Succeeded" || p.status?.phase === "Failed";

class PodGC implements Controller {
  readonly name = "podgc";
  readonly #periodMs: number;
  readonly #quarantineMs: number;
  #pods!: Informer;
  #nodes!: Informer;
  /** Node names seen missing, with when they were first missed. */
  readonly #missingSince = new Map<string, number>();

  constructor(o: PodGCOptions) {
    this.#periodMs = o.periodMs ?? 20_000;
    this.#quarantineMs = o.quarantineMs ?? 40_000;
  }

  init(ctx: ControllerContext): void {
    this.#pods = ctx.informers.informerFor(podsRes);
    this.#nodes = ctx.informers.informerFor(nodesRes);
  }

  async run(ctx: ControllerContext, signal: AbortSignal): Promise<void> {
    const log = ctx.log.child("pod-garbage-collector");
    while (!signal.aborted) {
      try {
        await this.#gc(ctx);
      } catch (err) {
        log.warn("pod garbage collection failed", { error: String(err) });
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, this.#periodMs);
        signal.addEventListener("abort", () => (clearTimeout(t), resolve()), { once: true });
      });
    }
  }

  async #gc(ctx: ControllerContext): Promise<void> {
    const pods = this.#pods.lister().list();
    const threshold = ctx.settings.terminatedPodGCThreshold;
    if (threshold > 0) await this.#gcTerminated(ctx, pods, threshold);
    await this.#gcOrphaned(ctx, pods);
    for (const p of pods) if (p.metadata.deletionTimestamp && !p.spec?.nodeName) await this.#forceDelete(ctx, p);
  }

  /** The oldest finished pods beyond `threshold` (upstream's gcTerminated). */
  async #gcTerminated(ctx: ControllerContext, pods: KObject[], threshold: number): Promise<void> {
    const finished = pods.filter((p) => isFinished(p) && !p.metadata.deletionTimestamp);
    const excess = finished.length - threshold;
    if (excess <= 0) return;
    finished.sort((a, b) => String(a.metadata.creationTimestamp ?? "").localeCompare(String(b.metadata.creationTimestamp ?? "")));
    for (const p of finished.slice(0, excess)) await this.#forceDelete(ctx, p);
  }

  /** Pods of nodes missing past the quarantine and confirmed gone by a live read (upstream's gcOrphaned). */
  async #gcOrphaned(ctx: ControllerContext, pods: KObject[]): Promise<void> {
    const now = Date.now();
    const known = new Set(this.#nodes.lister().list().map((n) => n.metadata.name!));
    const missing = new Set<string>();
    for (const p of pods) {
      const node = p.spec?.nodeName;
      if (node && !known.has(node)) missing.add(node);
    }
    for (const name of this.#missingSince.keys()) if (!missing.has(name)) this.#missingSince.delete(name);
    const gone = new Set<string>();
    for (const name of missing) {
      const since = this.#missingSince.get(name);
      if (since === undefined) {
        this.#missingSince.set(name, now);
        continue;
      }
      if (now - since < this.#quarantineMs) continue;
      try {
        await ctx.client.resource(nodesRes).get("", name);
        this.#missingSince.delete(name);
      } catch (err) {
        if (!isNotFound(err)) throw err;
        gone.add(name);
      }
    }
    if (!gone.size) return;
    for (const p of pods) {
      if (!gone.has(p.spec?.nodeName)) continue;
      if (!isFinished(p)) {
        const condition = { type: "DisruptionTarget", status: "True", reason: "DeletionByPodGC", message: "PodGC: node no longer exists", lastTransitionTime: rfc3339(now) };
        try {
          await ctx.client.resource(podsRes).patch(p.metadata.namespace!, p.metadata.name!, "strategic", { status: { phase: "Failed", conditions: [condition] } }, { subresource: "status" });
        } catch (err) {
          if (isNotFound(err)) continue;
          throw err;
        }
      }
      await this.#forceDelete(ctx, p);
    }
  }

  async #forceDelete(ctx: ControllerContext, p: KObject): Promise<void> {
    try {
      await ctx.client.resource(podsRes).delete(p.metadata.namespace!, p.metadata.name!, { gracePeriodSeconds: 0, preconditions: { uid: p.metadata.uid } });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
}

/** Builds a pod garbage collector with non-default timing (tests). */
export function newPodGC(o: PodGCOptions = {}): ControllerFactory {
  return () => new PodGC(o);
}

/** The pod garbage collector. */
export const podGCController: ControllerFactory = newPodGC();
