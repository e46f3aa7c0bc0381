/**
 * Garbage collection of dead containers and sandboxes: per pod and container
 * name, the two newest instances are kept (the current one and the last
 * exited one, for `kubectl logs --previous`), older exited instances are
 * removed; not-ready sandboxes other than the pod's newest one are removed
 * once no container refers to them. Pods unknown to the kubelet are cleaned
 * up by the pod workers, not here.
 */
import type { Logger } from "../machinery/log.ts";
import { isNotFound, type CriClient } from "./cri/client.ts";
import type { RuntimePod } from "./runtime.ts";

export interface GarbageCollectorOptions {
  cri: CriClient;
  log: Logger;
  isKnownPod(uid: string): boolean;
  /** Instances kept per container name (default 2). */
  keepPerContainer?: number;
}

export class GarbageCollector {
  readonly #o: GarbageCollectorOptions;

  constructor(o: GarbageCollectorOptions) {
    this.#o = o;
  }

  /** One collection pass over a relist result. Returns the ids removed. */
  async run(pods: Map<string, RuntimePod>): Promise<string[]> {
    const keep = this.#o.keepPerContainer ?? 2;
    const removed: string[] = [];
    for (const rp of pods.values()) {
      if (!this.#o.isKnownPod(rp.uid)) continue;
      const byName = new Map<string, RuntimePod["containers"]>();
      for (const c of rp.containers) {
        const list = byName.get(c.name) ?? [];
        list.push(c);
        byName.set(c.name, list);
      }
      const live = new Set<string>();
      const dead: string[] = [];
      for (const list of byName.values()) {
        list.forEach((c, i) => {
          if (i < keep || c.state !== "CONTAINER_EXITED") {
            live.add(c.sandboxId);
            return;
          }
          dead.push(c.id);
        });
      }
      removed.push(...dead);
      for (const id of dead) await this.#remove(() => this.#o.cri.runtime.RemoveContainer({ container_id: id }));
      for (const s of rp.sandboxes.slice(1)) {
        if (s.state === "SANDBOX_READY" || live.has(s.id)) continue;
        removed.push(s.id);
        await this.#remove(() => this.#o.cri.runtime.RemovePodSandbox({ pod_sandbox_id: s.id }));
      }
    }
    if (removed.length) this.#o.log.info("garbage collected dead containers/sandboxes", { count: removed.length });
    return removed;
  }

  async #remove(fn: () => Promise<unknown>): Promise<void> {
    try {
      await fn();
    } catch (err) {
      if (!isNotFound(err)) this.#o.log.warn("garbage collection: remove failed", { error: String((err as Error).message ?? err) });
    }
  }
}
