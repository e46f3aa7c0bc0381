/**
 * Pod-control helpers for controllers that create pods with generated names
 * (Job, DaemonSet): ControllerExpectations (so a sync never acts on a cache
 * that has not yet seen its own creates and deletes), the pod event handlers
 * that feed them, and slow-start batches. Shared by the job and daemonset
 * folders; a candidate for a common module.
 */
import type { KObject } from "../../api/types.ts";
import type { EventHandlers } from "../../client/index.ts";

interface Expect {
  adds: number;
  dels: Set<string>;
  at: number;
}

/** Expectations time out after this long (upstream ExpectationsTimeout, 5 min). */
const expectationsTimeoutMs = 5 * 60 * 1000;

/**
 * Per-key outstanding creates (a count) and deletes (pod uids). `satisfied`
 * is true when nothing is outstanding or the record is older than 5 minutes.
 * Observation methods are safe to call for keys with no record.
 */
export class Expectations {
  readonly #m = new Map<string, Expect>();

  #get(key: string): Expect {
    let e = this.#m.get(key);
    if (!e) this.#m.set(key, (e = { adds: 0, dels: new Set(), at: Date.now() }));
    return e;
  }

  /** Records `n` creates about to be issued. */
  expectCreations(key: string, n: number): void {
    const e = this.#get(key);
    e.adds += n;
    e.at = Date.now();
  }

  /** A create was observed in the cache (or failed, so will never be). */
  creationObserved(key: string): void {
    const e = this.#m.get(key);
    if (e && e.adds > 0) e.adds--;
  }

  /** Records a delete about to be issued for pod `uid`. */
  expectDeletion(key: string, uid: string): void {
    const e = this.#get(key);
    e.dels.add(uid);
    e.at = Date.now();
  }

  /** A delete was observed (deletionTimestamp set or the pod gone), or failed. */
  deletionObserved(key: string, uid: string): void {
    this.#m.get(key)?.dels.delete(uid);
  }

  satisfied(key: string): boolean {
    const e = this.#m.get(key);
    if (!e) return true;
    return (e.adds <= 0 && e.dels.size === 0) || Date.now() - e.at > expectationsTimeoutMs;
  }

  /** Forgets `key` (its owner is gone). */
  delete(key: string): void {
    this.#m.delete(key);
  }
}

/**
 * Calls `fn` `count` times in batches of 1, 2, 4, ... (upstream slowStartBatch);
 * stops after the first batch with an error. Returns the successes and the
 * first error, if any.
 */
export async function slowStartBatch(count: number, fn: (i: number) => Promise<void>): Promise<{ ok: number; error?: unknown }> {
  let done = 0;
  let ok = 0;
  for (let batch = 1; done < count; batch *= 2) {
    const n = Math.min(batch, count - done);
    const results = await Promise.allSettled(Array.from({ length: n }, (_, j) => fn(done + j)));
    done += n;
    const failed = results.find((r) => r.status === "rejected") as PromiseRejectedResult | undefined;
    ok += results.filter((r) => r.status === "fulfilled").length;
    if (failed) return { ok, error: failed.reason };
  }
  return { ok };
}

/**
 * Pod event handlers for a controller of `kind` that uses expectations:
 * creations and deletions are observed for the owner's key, which is then
 * enqueued. Pods without a controller of that kind are ignored.
 */
export function ownedPodHandlers(
  kind: string,
  exp: Expectations,
  enqueue: (ownerKey: string) => void,
  controllerOf: (pod: KObject, kind: string) => { name: string } | undefined,
): EventHandlers<KObject> {
  const ownerKey = (p: KObject): string | undefined => {
    const r = controllerOf(p, kind);
    return r ? `${p.metadata.namespace}/${r.name}` : undefined;
  };
  return {
    onAdd: (p) => {
      const k = ownerKey(p);
      if (!k) return;
      exp.creationObserved(k);
      if (p.metadata.deletionTimestamp) exp.deletionObserved(k, p.metadata.uid!);
      enqueue(k);
    },
    onUpdate: (_o, p) => {
      const k = ownerKey(p);
      if (!k) return;
      if (p.metadata.deletionTimestamp) exp.deletionObserved(k, p.metadata.uid!);
      enqueue(k);
    },
    onDelete: (p) => {
      const k = ownerKey(p);
      if (!k) return;
      exp.deletionObserved(k, p.metadata.uid!);
      enqueue(k);
    },
  };
}
