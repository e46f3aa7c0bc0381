/**
 * The watch cache: one store watch over the whole registry keeps a parsed copy
 * of every object plus a window of recent events per resource bucket, so that
 * lists and watches are served from memory and many watchers cost one store
 * watch. It tracks the store revision it has caught up to, so consistent reads
 * can wait until the cache reflects every acknowledged write.
 *
 * Cached objects are shared by every reader and must never be modified. A
 * writer may hand the cache the object it just encoded (`adopt`) so that the
 * cache does not parse the same bytes back. With the `freeze` option
 * (TSKUBE_DEBUG_FREEZE_CACHE=1) every cached object is deep-frozen, so code
 * that modifies one fails loudly; the tests run that way.
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

/**
 * What decodeStored(encodeForStorage(obj), rev) returns, built from `obj`
 * without parsing: a copy of the top level and of metadata (without the
 * resourceVersion and selfLink that are never stored, then resourceVersion
 * stamped last, in the parsed order); deeper values are shared with `obj`.
 */
function fromAdopted(obj: KObject, rev: number): KObject {
  const { resourceVersion: _rv, selfLink: _sl, ...rest } = obj.metadata;
  const meta: KObject["metadata"] = rest;
  meta.resourceVersion = String(rev);
  return { ...obj, metadata: meta };
}

/**
 * True when JSON.stringify then JSON.parse would give back an equal value
 * with the same key order: plain objects and arrays of strings, booleans,
 * null and finite numbers (not -0), and no undefined members.
 */
export function isPlainJson(v: unknown): boolean {
  switch (typeof v) {
    case "string":
    case "boolean":
      return true;
    case "number":
      return Number.isFinite(v) && !Object.is(v, -0);
    case "object": {
      if (v === null) return true;
      if (Array.isArray(v)) {
        for (let i = 0; i < v.length; i++) if (!isPlainJson(v[i])) return false;
        return true;
      }
      if (Object.getPrototypeOf(v) !== Object.prototype) return false;
      for (const k in v) {
        if (!Object.hasOwn(v, k) || k === "__proto__" || !isPlainJson((v as Record<string, unknown>)[k])) return false;
      }
      return true;
    }
    default:
      return false;
  }
}

function deepFreeze(v: unknown): void {
  if (typeof v !== "object" || v === null || Object.isFrozen(v)) return;
  Object.freeze(v);
  for (const k of Object.keys(v)) deepFreeze((v as Record<string, unknown>)[k]);
}

/** Adopted objects waiting for their write's event; more means writes whose events never came. */
const maxAdopted = 10_000;

export interface WatchCacheOptions {
  /** Events kept per bucket for watches that resume from a past revision (at least this many; up to an eighth more). */
  eventWindow?: number;
  /** Deep-freeze every cached object, so code that modifies one throws (tests; default: TSKUBE_DEBUG_FREEZE_CACHE=1). */
  freeze?: boolean;
}

export class WatchCache {
  readonly prefix = "/registry/";
  private readonly store: Store;
  private readonly buckets = new Map<string, Bucket>();
  private readonly eventWindow: number;
  private readonly freeze: boolean;
  private storeWatch: Watch | undefined;
  private waiters: { rev: number; resolve: () => void }[] = [];
  private startRevision = 0;
  private closed = false;
  /** Objects writers handed over, by storage key, with the value they were encoded to. */
  private readonly adopted = new Map<string, { value: string; obj: KObject }>();
  /** The store revision every cached bucket reflects. */
  revision = 0;

  constructor(store: Store, opts: WatchCacheOptions = {}) {
    this.store = store;
    this.eventWindow = opts.eventWindow ?? 5000;
    this.freeze = opts.freeze ?? process.env.TSKUBE_DEBUG_FREEZE_CACHE === "1";
  }

  /** Loads the current state and starts following the store. */
  async start(): Promise<void> {
    const res = await this.store.range(this.prefix);
    this.startRevision = res.revision;
    this.revision = res.revision;
    for (const kv of res.kvs) {
      const b = this.bucket(bucketOf(kv.key));
      const obj = decodeStored(kv.value, kv.modRevision);
      if (this.freeze) deepFreeze(obj);
      b.items.set(kv.key, { key: kv.key, obj, rev: kv.modRevision });
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
        // Only the very value handed over (another write of the key may have adopted since).
        const handed = this.adopted.get(key);
        const mine = handed !== undefined && handed.value === ev.kv.value;
        if (mine) this.adopted.delete(key);
        const obj = mine ? fromAdopted(handed.obj, rev) : decodeStored(ev.kv.value, rev);
        if (this.freeze) deepFreeze(obj);
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
        if (this.freeze) deepFreeze(obj);
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

  /** The cached object of `key` if the cache holds exactly revision `rev` of it (shared: never modify it). */
  at(key: string, rev: number): KObject | undefined {
    const c = this.get(key);
    return c && c.rev === rev ? c.obj : undefined;
  }

  /**
   * Hands over `obj`, which a writer is about to store under `key` as
   * `value` (its encodeForStorage), so the cache takes it instead of parsing
   * `value` back when the write's event arrives. From now on the writer must
   * not modify `obj` below its top level and metadata (the cache copies those
   * two). Objects that would not survive a JSON round trip unchanged are not
   * taken. Call `disown` if the write fails.
   */
  adopt(key: string, value: string, obj: KObject): void {
    if (!isPlainJson(obj)) return;
    if (this.adopted.size >= maxAdopted) this.adopted.clear();
    this.adopted.set(key, { value, obj });
  }

  /** Withdraws an `adopt` whose write did not happen. */
  disown(key: string, value: string): void {
    if (this.adopted.get(key)?.value === value) this.adopted.delete(key);
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
