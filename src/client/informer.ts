/**
 * Informers: a local cache of one resource kept current by list-then-watch,
 * with event handlers, indexers and listers (client-go's reflector, store,
 * shared index informer), plus a factory that shares one informer per
 * resource and option set.
 *
 * Objects handed out (handlers, listers, indexes) are the cached instances
 * themselves, shared by every consumer: treat them as read-only and copy
 * (structuredClone) before modifying.
 */
import type { ResourceInfo } from "../api/resources.ts";
import type { KObject } from "../api/types.ts";
import type { Selector } from "../machinery/labels.ts";
import { log as rootLog } from "../machinery/log.ts";
import { isGone, statusOfEvent, type ApiClient, type ResourceClient, type WatchHandle } from "./rest.ts";

const log = rootLog.child("informer");

/** The store key of an object: "namespace/name", or "name" when cluster-scoped. */
export function metaNamespaceKey(obj: KObject): string {
  const ns = obj.metadata?.namespace;
  return ns ? `${ns}/${obj.metadata.name}` : (obj.metadata?.name ?? "");
}

/** Inverse of metaNamespaceKey ("name" gives namespace ""). */
export function splitKey(key: string): { namespace: string; name: string } {
  const i = key.indexOf("/");
  return i < 0 ? { namespace: "", name: key } : { namespace: key.slice(0, i), name: key.slice(i + 1) };
}

/**
 * Callbacks run synchronously in event order on the informer's own flow.
 * They must be quick (enqueue keys, nothing more); a throwing handler is
 * logged and does not affect the informer or other handlers. onUpdate also
 * fires with oldObj === newObj on periodic resync. For deletions missed while
 * disconnected (noticed on relist), onDelete receives the last known object.
 */
export interface EventHandlers<T> {
  onAdd?(obj: T): void;
  onUpdate?(oldObj: T, newObj: T): void;
  onDelete?(obj: T): void;
}

/** Read access to an informer's cache. Results are shared, read-only objects. */
export interface Lister<T> {
  list(selector?: Selector): T[];
  listNamespace(namespace: string, selector?: Selector): T[];
  get(namespace: string, name: string): T | undefined;
}

export interface InformerOptions {
  /** Restrict to one namespace ("" or absent: all). */
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** Re-deliver onUpdate(obj, obj) for every object this often (0/absent: never). */
  resyncMs?: number;
  /** timeoutSeconds of each watch request (default random 300–600 s, like client-go). */
  watchTimeoutSeconds?: number;
  /** Back-off after errors: initial and maximum delay (default 800 ms and 30 s), jittered up to +50 %. */
  minBackoffMs?: number;
  maxBackoffMs?: number;
}

const pageSize = 500;

type Index = Map<string, Set<string>>;

/**
 * Lists, then watches from the list's resourceVersion with bookmarks; resumes
 * from the last seen resourceVersion when a watch ends; relists on 410 and
 * delivers the difference as add/update/delete; backs off on errors.
 */
export class Informer<T extends KObject = KObject> {
  readonly #client: ResourceClient<T>;
  readonly #opts: InformerOptions;
  readonly #store = new Map<string, T>();
  readonly #byNamespace: Index = new Map();
  readonly #indexers = new Map<string, (obj: T) => string[]>();
  readonly #indices = new Map<string, Index>();
  readonly #handlers: EventHandlers<T>[] = [];
  #synced = false;
  #rv = "";
  #started = false;
  #stopped = false;
  #watch: WatchHandle | undefined;
  #sleep: { timer: NodeJS.Timeout; wake: () => void } | undefined;
  #resync: NodeJS.Timeout | undefined;

  constructor(client: ResourceClient<T>, opts: InformerOptions = {}) {
    this.#client = client;
    this.#opts = opts;
  }

  /** Adds handlers; objects already cached are delivered to them as onAdd first. */
  addEventHandler(h: EventHandlers<T>): void {
    this.#handlers.push(h);
    for (const o of this.#store.values()) this.#call(h, "onAdd", o);
  }

  /** Adds a named index; `fn` maps an object to its index values. Existing objects are indexed at once. */
  addIndexer(name: string, fn: (obj: T) => string[]): void {
    if (this.#indexers.has(name)) throw new Error(`indexer "${name}" already exists`);
    this.#indexers.set(name, fn);
    const idx: Index = new Map();
    this.#indices.set(name, idx);
    for (const [key, o] of this.#store) for (const v of this.#values(fn, o)) addTo(idx, v, key);
  }

  /** Cached objects whose index `name` contains `value`; throws for an unknown index. */
  byIndex(name: string, value: string): T[] {
    const idx = this.#indices.get(name);
    if (!idx) throw new Error(`no indexer named "${name}"`);
    return this.#objects(idx.get(value));
  }

  lister(): Lister<T> {
    return {
      list: (selector) => filter([...this.#store.values()], selector),
      listNamespace: (ns, selector) => (ns ? filter(this.#objects(this.#byNamespace.get(ns)), selector) : filter([...this.#store.values()], selector)),
      get: (ns, name) => this.#store.get(ns ? `${ns}/${name}` : name),
    };
  }

  /** True once the first full list has been stored and delivered. */
  hasSynced(): boolean {
    return this.#synced;
  }

  /** The resourceVersion of the latest list, event or bookmark seen. */
  lastSyncResourceVersion(): string {
    return this.#rv;
  }

  /** Starts list-and-watch in the background; idempotent. */
  start(): void {
    if (this.#started || this.#stopped) return;
    this.#started = true;
    const every = this.#opts.resyncMs ?? 0;
    if (every > 0) this.#resync = setInterval(() => this.#resyncAll(), every);
    void this.#run();
  }

  /** Stops watching and timers; the cache stays readable. Cannot be restarted. */
  stop(): void {
    this.#stopped = true;
    clearInterval(this.#resync);
    this.#watch?.stop();
    if (this.#sleep) {
      clearTimeout(this.#sleep.timer);
      this.#sleep.wake();
    }
  }

  async #run(): Promise<void> {
    let failures = 0;
    let needList = true;
    while (!this.#stopped) {
      const began = Date.now();
      try {
        if (needList) {
          await this.#relist();
          needList = false;
        }
        if (this.#stopped) break;
        const outcome = await this.#watchOnce();
        if (outcome === "gone") {
          log.debug("watch expired, relisting", { resource: this.#what(), resourceVersion: this.#rv });
          needList = true;
          failures = 0;
          continue;
        }
        failures = Date.now() - began < 1000 ? failures + 1 : 0;
      } catch (err) {
        if (this.#stopped) break;
        if (isGone(err)) {
          needList = true;
          continue;
        }
        failures++;
        log.warn("list/watch failed", { resource: this.#what(), error: String((err as Error)?.message ?? err) });
      }
      if (failures > 0) await this.#pause(this.#backoff(failures));
    }
  }

  #what(): string {
    return this.#client.info?.plural ?? "objects";
  }

  #backoff(failures: number): number {
    const min = this.#opts.minBackoffMs ?? 800;
    const max = this.#opts.maxBackoffMs ?? 30_000;
    const d = Math.min(max, min * 2 ** Math.min(failures - 1, 30));
    return d * (1 + Math.random() * 0.5);
  }

  #pause(ms: number): Promise<void> {
    return new Promise((wake) => {
      const timer = setTimeout(() => {
        this.#sleep = undefined;
        wake();
      }, ms);
      this.#sleep = { timer, wake };
    });
  }

  async #relist(): Promise<void> {
    const ns = this.#opts.namespace ?? "";
    const base = { labelSelector: this.#opts.labelSelector, fieldSelector: this.#opts.fieldSelector };
    const items: T[] = [];
    let rv = "";
    let cont: string | undefined;
    for (;;) {
      let page;
      try {
        page = await this.#client.list(ns, { ...base, limit: pageSize, continue: cont });
      } catch (err) {
        if (!cont || !isGone(err)) throw err;
        page = await this.#client.list(ns, base);
        items.length = 0;
        cont = undefined;
      }
      if (this.#stopped) return;
      items.push(...page.items);
      rv = page.metadata.resourceVersion;
      cont = page.metadata.continue || undefined;
      if (!cont) break;
    }
    this.#replace(items, rv);
  }

  #replace(items: T[], rv: string): void {
    const seen = new Set<string>();
    for (const o of items) {
      const key = metaNamespaceKey(o);
      seen.add(key);
      const old = this.#store.get(key);
      this.#put(key, o);
      if (!old) this.#dispatch("onAdd", o);
      else if (old.metadata.resourceVersion !== o.metadata.resourceVersion) this.#dispatch("onUpdate", old, o);
    }
    const gone = [...this.#store.entries()].filter(([k]) => !seen.has(k));
    for (const [key, old] of gone) {
      this.#remove(key);
      this.#dispatch("onDelete", old);
    }
    this.#rv = rv;
    this.#synced = true;
  }

  #watchOnce(): Promise<"ended" | "gone"> {
    return new Promise((resolve, reject) => {
      let outcome: "ended" | "gone" = "ended";
      let failure: unknown;
      let handle: WatchHandle | undefined;
      let stopEarly = false;
      const halt = (): void => {
        if (handle) handle.stop();
        else stopEarly = true;
      };
      const timeoutSeconds = this.#opts.watchTimeoutSeconds ?? 300 + Math.floor(Math.random() * 300);
      const opts = { labelSelector: this.#opts.labelSelector, fieldSelector: this.#opts.fieldSelector, resourceVersion: this.#rv, allowWatchBookmarks: true, timeoutSeconds };
      handle = this.#client.watch(this.#opts.namespace ?? "", opts, (ev) => {
        if (this.#stopped || stopEarly || outcome === "gone" || failure) return;
        const obj = ev.object;
        switch (ev.type) {
          case "ADDED":
          case "MODIFIED": {
            const key = metaNamespaceKey(obj);
            const old = this.#store.get(key);
            this.#put(key, obj);
            if (old) this.#dispatch("onUpdate", old, obj);
            else this.#dispatch("onAdd", obj);
            break;
          }
          case "DELETED": {
            const key = metaNamespaceKey(obj);
            if (this.#store.has(key)) {
              this.#remove(key);
              this.#dispatch("onDelete", obj);
            }
            break;
          }
          case "BOOKMARK":
            break;
          case "ERROR": {
            const err = statusOfEvent(ev);
            if (err.code === 410) outcome = "gone";
            else failure = err;
            halt();
            return;
          }
          default:
            return;
        }
        const rv = obj?.metadata?.resourceVersion;
        if (rv) this.#rv = rv;
      });
      this.#watch = handle;
      if (stopEarly || this.#stopped) handle.stop();
      handle.done.then(
        () => (failure ? reject(failure) : resolve(outcome)),
        (err) => (isGone(err) ? resolve("gone") : reject(err)),
      );
    });
  }

  #resyncAll(): void {
    if (!this.#synced || this.#stopped) return;
    for (const o of [...this.#store.values()]) this.#dispatch("onUpdate", o, o);
  }

  #dispatch(kind: "onAdd" | "onDelete", obj: T): void;
  #dispatch(kind: "onUpdate", oldObj: T, newObj: T): void;
  #dispatch(kind: keyof EventHandlers<T>, a: T, b?: T): void {
    for (const h of this.#handlers) this.#call(h, kind, a, b);
  }

  #call(h: EventHandlers<T>, kind: keyof EventHandlers<T>, a: T, b?: T): void {
    try {
      if (kind === "onUpdate") h.onUpdate?.(a, b!);
      else h[kind]?.(a);
    } catch (err) {
      log.error("event handler threw", { resource: this.#what(), handler: kind, error: String((err as Error)?.stack ?? err) });
    }
  }

  #values(fn: (obj: T) => string[], obj: T): string[] {
    try {
      return fn(obj) ?? [];
    } catch (err) {
      log.error("indexer threw", { resource: this.#what(), error: String(err) });
      return [];
    }
  }

  #put(key: string, obj: T): void {
    const old = this.#store.get(key);
    if (old) this.#unindex(key, old);
    this.#store.set(key, obj);
    addTo(this.#byNamespace, obj.metadata?.namespace ?? "", key);
    for (const [name, fn] of this.#indexers) {
      const idx = this.#indices.get(name)!;
      for (const v of this.#values(fn, obj)) addTo(idx, v, key);
    }
  }

  #remove(key: string): void {
    const old = this.#store.get(key);
    if (!old) return;
    this.#unindex(key, old);
    this.#store.delete(key);
  }

  #unindex(key: string, obj: T): void {
    removeFrom(this.#byNamespace, obj.metadata?.namespace ?? "", key);
    for (const [name, fn] of this.#indexers) {
      const idx = this.#indices.get(name)!;
      for (const v of this.#values(fn, obj)) removeFrom(idx, v, key);
    }
  }

  #objects(keys: Set<string> | undefined): T[] {
    const out: T[] = [];
    if (keys) for (const k of keys) out.push(this.#store.get(k)!);
    return out;
  }
}

function addTo(idx: Index, value: string, key: string): void {
  let s = idx.get(value);
  if (!s) idx.set(value, (s = new Set()));
  s.add(key);
}

function removeFrom(idx: Index, value: string, key: string): void {
  const s = idx.get(value);
  if (!s) return;
  s.delete(key);
  if (s.size === 0) idx.delete(value);
}

function filter<T extends KObject>(objs: T[], selector?: Selector): T[] {
  if (!selector || selector.empty()) return objs;
  return objs.filter((o) => selector.matches(o.metadata?.labels));
}

/** Selection options that distinguish shared informers of the same resource. */
export interface InformerSelection {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
}

/**
 * One informer per (resource, namespace, selectors) for a whole process, so
 * components share caches and watches. Informers requested after start() are
 * started immediately.
 */
export class SharedInformerFactory {
  readonly #client: ApiClient;
  readonly #resyncMs: number | undefined;
  readonly #informers = new Map<string, Informer<KObject>>();
  #started = false;

  constructor(client: ApiClient, opts: { resyncMs?: number } = {}) {
    this.#client = client;
    this.#resyncMs = opts.resyncMs;
  }

  /** The shared informer for `info` and `opts` (same arguments → same instance). */
  informerFor<T extends KObject = KObject>(info: ResourceInfo, opts: InformerSelection = {}): Informer<T> {
    const key = JSON.stringify([info.group, info.version, info.plural, opts.namespace ?? "", opts.labelSelector ?? "", opts.fieldSelector ?? ""]);
    let inf = this.#informers.get(key);
    if (!inf) {
      inf = new Informer<KObject>(this.#client.resource(info), { ...opts, resyncMs: this.#resyncMs });
      this.#informers.set(key, inf);
      if (this.#started) inf.start();
    }
    return inf as unknown as Informer<T>;
  }

  /** Starts every informer created so far (and later ones on creation). */
  start(): void {
    this.#started = true;
    for (const inf of this.#informers.values()) inf.start();
  }

  /**
   * Resolves true once every informer has synced; false if `signal` aborts or
   * `timeoutMs` passes first.
   */
  async waitForSync(signal?: AbortSignal, timeoutMs?: number): Promise<boolean> {
    const deadline = timeoutMs === undefined ? Infinity : Date.now() + timeoutMs;
    for (;;) {
      if ([...this.#informers.values()].every((i) => i.hasSynced())) return true;
      if (signal?.aborted || Date.now() >= deadline) return false;
      await new Promise((r) => setTimeout(r, Math.max(1, Math.min(20, deadline - Date.now()))));
    }
  }

  /** Stops every informer. */
  stop(): void {
    for (const inf of this.#informers.values()) inf.stop();
  }
}
