/**
 * The watch cache: one store watch over the whole registry keeps a parsed copy
 * of every object plus a window of recent events per resource bucket, so that
 * lists and watches are served from memory and many watchers cost one store
 * watch. It tracks the store revision it has caught up to, so consistent reads
 * can wait until the cache reflects every acknowledged write.
 */
import type { KObject } from "../api/types.ts";
import type { Store, Watch, WatchEvent } from "../storage/types.ts";

/** One object as cached: parsed, with metadata.resourceVersion set. */
export interface CachedObject {
  key: string;
  obj: KObject;
  rev: number;
}

export type CacheEventType = "ADDED" | "MODIFIED" | "DELETED";

/** A change as delivered to cache watchers (objects are shared: never mutate them). */
export interface CacheEvent {
  type: CacheEventType;
  key: string;
  obj: KObject;
  prevObj?: KObject;
  rev: number;
  /** Per-encoding memo filled by consumers (e.g. serialised watch lines per apiVersion). */
  memo?: Map<string, unknown>;
}

export interface CacheWatcher {
  /** Called with events in revision order; must not throw. */
  onEvents(events: CacheEvent[]): void;
  /** Called once when the cache can no longer serve this watcher (then no more events). */
  onClose(reason: string): void;
}

/** Thrown when a watch asks for history the cache no longer holds. */
export class TooOldError extends Error {
  constructor(rev: number, oldest: number) {
    super(`too old resource version: ${rev} (${oldest})`);
    this.name = "TooOldError";
  }
}

interface Registration {
  prefix: string;
  watcher: CacheWatcher;
}

class Bucket {
  readonly items = new Map<string, CachedObject>();
  sorted: string[] | undefined;
  readonly events: CacheEvent[] = [];
  /** Every event with a revision above this is in `events`. */
  completeAfter: number;
  readonly watchers = new Set<Registration>();

  constructor(completeAfter: number) {
    this.completeAfter = completeAfter;
  }

  sortedKeys(): string[] {
    if (!this.sorted) this.sorted = [...this.items.keys()].sort();
    return this.sorted;
  }
}

function bucketOf(key: string): string {
  // /registry/<bucket>/...
  const end = key.indexOf("/", 10);
  return end < 0 ? key.slice(10) : key.slice(10, end);
}

/** Parses a stored value and stamps its resourceVersion. */
export function decodeStored(value: string, rev: number): KObject {
  const obj = JSON.parse(value) as KObject;
  if (!obj.metadata) obj.metadata = {};
  obj.metadata.resourceVersion = String(rev);
  return obj;
}

export interface WatchCacheOptions {
  /** Events kept per bucket for watches that resume from a past revision (at least this many; up to an eighth more). */
  eventWindow?: number;
}

export class WatchCache {
  readonly prefix = "/registry/";
  private readonly store: Store;
  private readonly buckets = new Map<string, Bucket>();
  private readonly eventWindow: number;
  private storeWatch: Watch | undefined;
  private waiters: { rev: number; resolve: () => void }[] = [];
  private startRevision = 0;
  private closed = false;
  /** The store revision every cached bucket reflects. */
  revision = 0;

  constructor(store: Store, opts: WatchCacheOptions = {}) {
    this.store = store;
    this.eventWindow = opts.eventWindow ?? 5000;
  }

  /** Loads the current state and starts following the store. */
  async start(): Promise<void> {
    const res = await this.store.range(this.prefix);
    this.startRevision = res.revision;
    this.revision = res.revision;
    for (const kv of res.kvs) {
      const b = this.bucket(bucketOf(kv.key));
      b.items.set(kv.key, { key: kv.key, obj: decodeStored(kv.value, kv.modRevision), rev: kv.modRevision });
    }
    this.storeWatch = this.store.watch(
      this.prefix,
      { startRevision: res.revision + 1 },
      {
        onEvents: (evs) => this.apply(evs),
        onError: (err) => this.fail(err),
      },
    );
  }

  stop(): void {
    this.closed = true;
    this.storeWatch?.cancel();
    for (const b of this.buckets.values()) for (const r of b.watchers) r.watcher.onClose("watch cache stopped");
    for (const w of this.waiters) w.resolve();
    this.waiters = [];
  }

  private bucket(name: string): Bucket {
    let b = this.buckets.get(name);
    if (!b) {
      b = new Bucket(this.startRevision);
      this.buckets.set(name, b);
    }
    return b;
  }

  private fail(err: Error): void {
    if (this.closed) return;
    for (const b of this.buckets.values()) {
      for (const r of b.watchers) r.watcher.onClose(`watch cache lost its store watch: ${err.message}`);
      b.watchers.clear();
    }
    this.storeWatch = undefined;
    this.buckets.clear();
    this.start().catch(() => undefined);
  }

  private apply(evs: WatchEvent[]): void {
    const perBucket = new Map<Bucket, CacheEvent[]>();
    for (const ev of evs) {
      const key = ev.kv.key;
      const b = this.bucket(bucketOf(key));
      const prev = b.items.get(key);
      const rev = ev.kv.modRevision;
      let ce: CacheEvent;
      if (ev.type === "put") {
        const obj = decodeStored(ev.kv.value, rev);
        if (!prev) b.sorted = undefined;
        b.items.set(key, { key, obj, rev });
        ce = { type: prev ? "MODIFIED" : "ADDED", key, obj, prevObj: prev?.obj, rev };
      } else {
        if (!prev) {
          this.revision = Math.max(this.revision, rev);
          continue;
        }
        b.items.delete(key);
        b.sorted = undefined;
        const obj = { ...prev.obj, metadata: { ...prev.obj.metadata, resourceVersion: String(rev) } };
        ce = { type: "DELETED", key, obj, prevObj: prev.obj, rev };
      }
      b.events.push(ce);
      // Trimmed in batches (at most an eighth over the window) rather than
      // shifting the whole window by one on every event once it is full.
      if (b.events.length > this.eventWindow + (this.eventWindow >> 3)) {
        const dropped = b.events.splice(0, b.events.length - this.eventWindow);
        b.completeAfter = dropped[dropped.length - 1].rev;
      }
      let list = perBucket.get(b);
      if (!list) perBucket.set(b, (list = []));
      list.push(ce);
      this.revision = Math.max(this.revision, rev);
    }
    for (const [b, list] of perBucket) {
      const byPrefix = new Map<string, CacheEvent[]>();
      for (const r of b.watchers) {
        let mine = byPrefix.get(r.prefix);
        if (!mine) byPrefix.set(r.prefix, (mine = list.filter((e) => e.key.startsWith(r.prefix))));
        if (mine.length) r.watcher.onEvents(mine);
      }
    }
    if (this.waiters.length) {
      const still: typeof this.waiters = [];
      for (const w of this.waiters) (w.rev <= this.revision ? w.resolve() : still.push(w));
      this.waiters = still;
    }
  }

  /**
   * Resolves once the cache has applied every write up to `rev`, or rejects
   * after `timeoutMs`.
   */
  waitForRevision(rev: number, timeoutMs = 3000): Promise<void> {
    if (rev <= this.revision || this.closed) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`cache did not reach revision ${rev} within ${timeoutMs} ms`));
      }, timeoutMs);
      const waiter = {
        rev,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      this.waiters.push(waiter);
    });
  }

  /** Waits until the cache reflects every write acknowledged so far. */
  waitFresh(timeoutMs = 3000): Promise<void> {
    return this.waitForRevision(this.store.currentRevision(), timeoutMs);
  }

  get(key: string): CachedObject | undefined {
    return this.buckets.get(bucketOf(key))?.items.get(key);
  }

  /** Objects of a bucket whose key starts with `prefix`, in key order. */
  list(bucket: string, prefix: string): CachedObject[] {
    const b = this.buckets.get(bucket);
    if (!b) return [];
    const keys = b.sortedKeys();
    let lo = 0;
    let hi = keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (keys[mid] < prefix) lo = mid + 1;
      else hi = mid;
    }
    const out: CachedObject[] = [];
    for (let i = lo; i < keys.length && keys[i].startsWith(prefix); i++) out.push(b.items.get(keys[i])!);
    return out;
  }

  /** Number of objects in a bucket. */
  count(bucket: string): number {
    return this.buckets.get(bucket)?.items.size ?? 0;
  }

  /**
   * The cached events after `fromRev` for keys under `prefix` in `bucket`.
   * Throws TooOldError when the window no longer reaches back to `fromRev`.
   */
  eventsSince(bucket: string, prefix: string, fromRev: number): CacheEvent[] {
    const b = this.bucket(bucket);
    if (fromRev < b.completeAfter) throw new TooOldError(fromRev, b.completeAfter);
    // Events are in revision order: start at the first one after fromRev.
    let lo = 0;
    let hi = b.events.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (b.events[mid].rev <= fromRev) lo = mid + 1;
      else hi = mid;
    }
    const out: CacheEvent[] = [];
    for (let i = lo; i < b.events.length; i++) if (b.events[i].key.startsWith(prefix)) out.push(b.events[i]);
    return out;
  }

  /**
   * Registers a watcher for keys under `prefix` in `bucket`, first replaying
   * every cached event after `fromRev`. Throws TooOldError when the window no
   * longer reaches back to `fromRev`.
   */
  watch(bucket: string, prefix: string, fromRev: number, watcher: CacheWatcher): () => void {
    const replay = this.eventsSince(bucket, prefix, fromRev);
    const b = this.bucket(bucket);
    const reg: Registration = { prefix, watcher };
    b.watchers.add(reg);
    if (replay.length) watcher.onEvents(replay);
    return () => {
      b.watchers.delete(reg);
    };
  }

  /** Number of registered cache watchers (for metrics and tests). */
  watcherCount(): number {
    let n = 0;
    for (const b of this.buckets.values()) n += b.watchers.size;
    return n;
  }
}
