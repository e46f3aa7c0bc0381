/**
 * `EmbeddedStore`: the `Store` implementation over `Mvcc` (memory), `DiskLog`
 * (durability, optional) and `WatchHub` (watch fan-out).
 *
 * Write path. A write is checked and applied to the in-memory MVCC state at
 * once, in call order, which fixes its revision and the outcome of its
 * compare-and-swap; its log record then joins the pending queue. One commit
 * loop drains the queue: everything that queued up while the previous append
 * was in flight is appended and fsynced together (group commit). Only then
 * does the durable revision advance, the writers' promises settle (in order)
 * and watchers receive the events. Failed checks (KeyExistsError, ...) also
 * wait their turn in the queue, so a caller is never told about a state that
 * is not yet durable.
 *
 * Read path. Reads are served at the durable revision (or an older one), so
 * applied-but-not-yet-durable writes are invisible to readers and watchers;
 * a read that starts after a write resolved sees it.
 *
 * Failure. If an append or fsync fails, memory and disk can no longer be
 * assumed to agree: the store fails permanently, every pending and later
 * operation rejects, and every watch gets `onError`.
 */
import type {
  KeyValue,
  RangeOptions,
  RangeResult,
  Store,
  Watch,
  WatchEvent,
  WatchHandlers,
  WatchOptions,
  WriteResult,
} from "../types.ts";
import {
  CompactedError,
  FutureRevisionError,
  KeyExistsError,
  KeyNotFoundError,
  RevisionMismatchError,
} from "../types.ts";
import type { DiskLog } from "./disk-log.ts";
import type { WalRecord } from "./files.ts";
import type { Mvcc } from "./mvcc.ts";
import { WatchHub } from "./watch-hub.ts";

/** Raised by operations on a closed (or failed) store. */
export class StoreClosedError extends Error {
  constructor(reason?: Error) {
    super(reason ? `store failed: ${reason.message}` : "store closed");
    this.name = "StoreClosedError";
    if (reason) this.cause = reason;
  }
}

/** Settings `EmbeddedStore` needs after opening. */
export interface EmbeddedStoreSettings {
  retainRevisions: number;
  compactIntervalMs: number;
}

interface Pending {
  record: WalRecord | undefined;
  result: unknown;
  error: Error | undefined;
  resolve: (value: never) => void;
  reject: (err: Error) => void;
}

function checkKey(key: unknown): void {
  if (typeof key !== "string" || key.length === 0) throw new TypeError("key must be a non-empty string");
}

function checkValue(value: unknown): void {
  if (typeof value !== "string") throw new TypeError("value must be a string");
}

/** A Store over in-memory MVCC state, optionally made durable by a DiskLog. */
export class EmbeddedStore implements Store {
  private readonly mvcc: Mvcc;
  private readonly disk: DiskLog | undefined;
  private readonly hub = new WatchHub();
  private readonly settings: EmbeddedStoreSettings;
  /** Highest revision whose write is durable; reads and watches see up to here. */
  private durable: number;
  private pending: Pending[] = [];
  private flushing = false;
  private idleWaiters: Array<() => void> = [];
  private closed = false;
  private closing: Promise<void> | undefined;
  private failure: Error | undefined;
  private timer: NodeJS.Timeout | undefined;

  /** Use `openEmbeddedStore`; `mvcc` must already hold the recovered state. */
  constructor(mvcc: Mvcc, disk: DiskLog | undefined, settings: EmbeddedStoreSettings) {
    this.mvcc = mvcc;
    this.disk = disk;
    this.settings = settings;
    this.durable = mvcc.revision;
    if (settings.compactIntervalMs > 0) {
      this.timer = setInterval(() => this.autoCompact(), settings.compactIntervalMs);
      this.timer.unref();
    }
  }

  async get(key: string, revision?: number): Promise<KeyValue | undefined> {
    this.checkOpen();
    checkKey(key);
    return this.mvcc.at(key, this.readRevision(revision));
  }

  async range(key: string, opts: RangeOptions = {}): Promise<RangeResult> {
    this.checkOpen();
    if (typeof key !== "string") throw new TypeError("key must be a string");
    const rev = this.readRevision(opts.revision);
    const scan = this.mvcc.range(key, opts.end, rev, opts.limit ?? 0, opts.countOnly === true);
    return { kvs: scan.kvs, more: scan.more, count: scan.count, revision: rev };
  }

  create(key: string, value: string): Promise<WriteResult> {
    try {
      this.checkOpen();
      checkKey(key);
      checkValue(value);
    } catch (err) {
      return Promise.reject(err);
    }
    const cur = this.mvcc.latest(key);
    if (cur) return this.submit(undefined, undefined, new KeyExistsError(cur));
    const ev = this.mvcc.put(key, value);
    const rev = ev.kv.modRevision;
    return this.submit({ o: "p", r: rev, k: key, v: value }, { revision: rev, kv: ev.kv }, undefined);
  }

  update(key: string, value: string, expectedModRevision: number): Promise<WriteResult> {
    try {
      this.checkOpen();
      checkKey(key);
      checkValue(value);
    } catch (err) {
      return Promise.reject(err);
    }
    const refusal = this.guard(key, expectedModRevision);
    if (refusal) return this.submit(undefined, undefined, refusal);
    const ev = this.mvcc.put(key, value);
    const rev = ev.kv.modRevision;
    return this.submit({ o: "p", r: rev, k: key, v: value }, { revision: rev, kv: ev.kv }, undefined);
  }

  delete(key: string, expectedModRevision = 0): Promise<WriteResult> {
    try {
      this.checkOpen();
      checkKey(key);
    } catch (err) {
      return Promise.reject(err);
    }
    const refusal = this.guard(key, expectedModRevision);
    if (refusal) return this.submit(undefined, undefined, refusal);
    const ev = this.mvcc.remove(key);
    const rev = ev.kv.modRevision;
    return this.submit({ o: "d", r: rev, k: key }, { revision: rev, kv: ev.prevKv }, undefined);
  }

  /**
   * Start watching. Throws synchronously (rather than calling onError) when
   * `startRevision` is below the compacted revision (CompactedError) or the
   * store is closed (StoreClosedError). A `startRevision` beyond the current
   * revision waits for that revision. Handlers run from microtasks, never
   * inside a store call. Closing the store ends open watches with onError.
   */
  watch(key: string, opts: WatchOptions, handlers: WatchHandlers): Watch {
    this.checkOpen();
    if (typeof key !== "string") throw new TypeError("key must be a string");
    const start = opts.startRevision ?? 0;
    if (start > 0 && start < this.mvcc.compacted) throw new CompactedError(start, this.mvcc.compacted);
    const live = this.durable + 1;
    const backlog: WatchEvent[] = [];
    if (start > 0 && start < live) {
      const match = WatchHub.matcher(key, opts.end);
      this.mvcc.events.forEachBetween(start, this.durable, (ev) => {
        if (match(ev.kv.key)) backlog.push(ev);
      });
    }
    return this.hub.add(key, opts.end, Math.max(start, live), backlog, handlers);
  }

  /**
   * Discard history before `revision`. A revision at or below the compacted
   * one is a no-op; one above the current revision rejects with
   * FutureRevisionError. Takes effect for reads at once, durably on resolve.
   */
  compact(revision: number): Promise<void> {
    try {
      this.checkOpen();
      if (!Number.isInteger(revision)) throw new TypeError("revision must be an integer");
      if (revision > this.durable) throw new FutureRevisionError(revision, this.durable);
    } catch (err) {
      return Promise.reject(err);
    }
    if (revision <= this.mvcc.compacted) return Promise.resolve();
    this.mvcc.compact(revision);
    return this.submit({ o: "c", r: revision }, undefined, undefined);
  }

  currentRevision(): number {
    return this.durable;
  }

  compactedRevision(): number {
    return this.mvcc.compacted;
  }

  /** Reject new operations, let queued writes commit, then sync and close files. Idempotent. */
  close(): Promise<void> {
    if (!this.closing) {
      this.closed = true;
      if (this.timer) clearInterval(this.timer);
      this.closing = this.shutdown();
    }
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    await this.idle();
    this.hub.failAll(new StoreClosedError(this.failure));
    if (this.disk) await this.disk.close();
  }

  /** Resolves once no commit is running and nothing is queued. */
  private idle(): Promise<void> {
    if (!this.flushing && this.pending.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private checkOpen(): void {
    if (this.failure) throw new StoreClosedError(this.failure);
    if (this.closed) throw new StoreClosedError();
  }

  /** The revision a read at `requested` is served at, or the reason it cannot be. */
  private readRevision(requested: number | undefined): number {
    if (!requested || requested <= 0) return this.durable;
    if (requested > this.durable) throw new FutureRevisionError(requested, this.durable);
    if (requested < this.mvcc.compacted) throw new CompactedError(requested, this.mvcc.compacted);
    return requested;
  }

  /** Why an update/delete of `key` guarded by `expected` must be refused (undefined: allowed). */
  private guard(key: string, expected: number): Error | undefined {
    const cur = this.mvcc.latest(key);
    if (!cur) return new KeyNotFoundError(key);
    if (expected && cur.modRevision !== expected) return new RevisionMismatchError(cur);
    return undefined;
  }

  private submit<T>(record: WalRecord | undefined, result: unknown, error: Error | undefined): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.pending.push({ record, result, error, resolve: resolve as (v: never) => void, reject });
      if (!this.flushing) {
        this.flushing = true;
        queueMicrotask(() => void this.commitLoop());
      }
    });
  }

  /** Drain the pending queue in group commits (see the module comment). */
  private async commitLoop(): Promise<void> {
    let batch: Pending[] = [];
    try {
      while (this.pending.length > 0) {
        batch = this.pending;
        this.pending = [];
        const records: WalRecord[] = [];
        let last = this.durable;
        for (const p of batch) {
          if (!p.record) continue;
          records.push(p.record);
          if (p.record.o !== "c") last = p.record.r;
        }
        if (records.length > 0 && this.disk) await this.disk.append(records);
        const first = this.durable + 1;
        this.durable = last;
        for (const p of batch) {
          if (p.error) p.reject(p.error);
          else p.resolve(p.result as never);
        }
        batch = [];
        if (last >= first) {
          const events: WatchEvent[] = [];
          this.mvcc.events.forEachBetween(first, last, (ev) => events.push(ev));
          this.hub.publish(events);
        }
        if (this.disk) await this.disk.maybeRotate(this.mvcc, this.durable);
      }
    } catch (err) {
      this.fail(err instanceof Error ? err : new Error(String(err)), batch);
    } finally {
      this.flushing = false;
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
  }

  private fail(err: Error, batch: Pending[]): void {
    this.failure = err;
    const rejected = new StoreClosedError(err);
    for (const p of batch) p.reject(rejected);
    for (const p of this.pending) p.reject(rejected);
    this.pending = [];
    this.hub.failAll(rejected);
  }

  private autoCompact(): void {
    const target = this.durable - this.settings.retainRevisions;
    if (target > this.mvcc.compacted && !this.closed && !this.failure) {
      this.compact(target).catch(() => undefined);
    }
  }
}
