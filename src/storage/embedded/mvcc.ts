/**
 * The in-memory multi-version key space of the embedded store.
 *
 * `Mvcc` keeps, for every key, the list of its versions since the compacted
 * revision (a version is a revision plus the key's value then, or a tombstone),
 * an ordered key index for range scans, and an `EventLog` holding one watch
 * event per revision from the compacted revision on. It applies writes and
 * answers reads at any retained revision; the caller (the store) decides which
 * writes are allowed and which revisions are visible. KeyValue and event
 * objects are frozen, so they can be shared between history, readers and
 * watchers.
 */
import type { KeyValue, WatchEvent } from "../types.ts";
import { SortedKeys } from "./sorted-keys.ts";

/** One version of a key: the value as of `rev`, or a tombstone (`kv` undefined). */
interface Version {
  rev: number;
  kv: KeyValue | undefined;
}

/** One watch event per revision, for revisions in [first(), last()]. */
export class EventLog {
  private items: WatchEvent[] = [];
  private head = 0;
  private base: number;

  /** `base` is the revision the next appended event must carry. */
  constructor(base: number) {
    this.base = base;
  }

  /** Revision of the oldest retained event (last() + 1 when empty). */
  first(): number {
    return this.base;
  }

  /** Revision of the newest retained event (first() - 1 when empty). */
  last(): number {
    return this.base + (this.items.length - this.head) - 1;
  }

  /** The event at `rev`, if retained. */
  get(rev: number): WatchEvent | undefined {
    if (rev < this.base || rev > this.last()) return undefined;
    return this.items[this.head + rev - this.base];
  }

  /** Append the event for revision last() + 1. */
  append(ev: WatchEvent): void {
    if (ev.kv.modRevision !== this.last() + 1) {
      throw new Error(`event log: expected revision ${this.last() + 1}, got ${ev.kv.modRevision}`);
    }
    this.items.push(ev);
  }

  /** Forget events with revision < `rev`. */
  dropBefore(rev: number): void {
    const n = Math.min(rev - this.base, this.items.length - this.head);
    if (n <= 0) return;
    this.head += n;
    this.base += n;
    if (this.head > 4096 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }

  /** Call `visit` for each retained event with revision in [from, to]. */
  forEachBetween(from: number, to: number, visit: (ev: WatchEvent) => void): void {
    const lo = Math.max(from, this.base);
    const hi = Math.min(to, this.last());
    for (let rev = lo; rev <= hi; rev++) visit(this.items[this.head + rev - this.base]);
  }
}

/** Result of a range scan before the store adds the served revision. */
export interface ScanResult {
  kvs: KeyValue[];
  more: boolean;
  count: number;
}

/** Multi-version state: versions per key, ordered index and event log. */
export class Mvcc {
  private readonly index = new SortedKeys();
  private readonly history = new Map<string, Version[]>();
  /** Keys whose history holds more than one version or a tombstone. */
  private readonly compactable = new Set<string>();
  events = new EventLog(1);
  /** Highest revision applied (written to memory, maybe not yet durable). */
  revision = 0;
  /** Revisions below this are gone. */
  compacted = 0;

  /** The newest applied value of `key` (undefined when absent or deleted). */
  latest(key: string): KeyValue | undefined {
    const h = this.history.get(key);
    return h === undefined ? undefined : h[h.length - 1].kv;
  }

  /** The value of `key` as of revision `rev` (which must be >= compacted). */
  at(key: string, rev: number): KeyValue | undefined {
    const h = this.history.get(key);
    if (h === undefined) return undefined;
    const last = h[h.length - 1];
    if (last.rev <= rev) return last.kv;
    let lo = 0;
    let hi = h.length - 1;
    if (h[0].rev > rev) return undefined;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (h[mid].rev <= rev) lo = mid;
      else hi = mid - 1;
    }
    return h[lo].kv;
  }

  /** Write `value` to `key` at revision `revision + 1`; returns the event. */
  put(key: string, value: string): WatchEvent {
    const h = this.history.get(key);
    const prev = h === undefined ? undefined : h[h.length - 1].kv;
    const rev = ++this.revision;
    const kv: KeyValue = Object.freeze({
      key,
      value,
      createRevision: prev ? prev.createRevision : rev,
      modRevision: rev,
      version: prev ? prev.version + 1 : 1,
    });
    if (h === undefined) {
      this.history.set(key, [{ rev, kv }]);
      this.index.insert(key);
    } else {
      h.push({ rev, kv });
      this.compactable.add(key);
    }
    const ev: WatchEvent = Object.freeze(prev ? { type: "put", kv, prevKv: prev } : { type: "put", kv });
    this.events.append(ev);
    return ev;
  }

  /** Delete the live key `key` at revision `revision + 1`; returns the event. */
  remove(key: string): WatchEvent {
    const h = this.history.get(key);
    const prev = h === undefined ? undefined : h[h.length - 1].kv;
    if (h === undefined || prev === undefined) throw new Error(`mvcc: delete of absent key ${key}`);
    const rev = ++this.revision;
    h.push({ rev, kv: undefined });
    this.compactable.add(key);
    const kv: KeyValue = Object.freeze({ key, value: "", createRevision: 0, modRevision: rev, version: 0 });
    const ev: WatchEvent = Object.freeze({ type: "delete", kv, prevKv: prev });
    this.events.append(ev);
    return ev;
  }

  /**
   * Scan keys in [key, end) (or with prefix `key` when `end` is undefined) as
   * of revision `rev`. `limit` <= 0 means no limit.
   */
  range(key: string, end: string | undefined, rev: number, limit: number, countOnly: boolean): ScanResult {
    const kvs: KeyValue[] = [];
    let count = 0;
    if (end !== undefined && end <= key) return { kvs, more: false, count };
    this.index.forEachFrom(key, (k) => {
      if (end === undefined ? !k.startsWith(key) : k >= end) return false;
      const kv = this.at(k, rev);
      if (kv !== undefined) {
        count++;
        if (!countOnly && (limit <= 0 || kvs.length < limit)) kvs.push(kv);
      }
      return true;
    });
    return { kvs, more: !countOnly && count > kvs.length, count };
  }

  /** Discard versions and events no longer needed to read at revisions >= `rev`. */
  compact(rev: number): void {
    if (rev <= this.compacted) return;
    const gone: string[] = [];
    for (const key of this.compactable) {
      const h = this.history.get(key);
      if (h === undefined) {
        this.compactable.delete(key);
        continue;
      }
      let keep = 0;
      while (keep + 1 < h.length && h[keep + 1].rev <= rev) keep++;
      if (h[keep].rev <= rev && h[keep].kv === undefined) keep++;
      if (keep > 0) h.splice(0, keep);
      if (h.length === 0) {
        this.history.delete(key);
        gone.push(key);
      }
      if (h.length <= 1 && (h.length === 0 || h[0].kv !== undefined)) this.compactable.delete(key);
    }
    if (gone.length > 64) {
      const goneSet = new Set(gone);
      this.index.removeWhere((k) => goneSet.has(k));
    } else {
      for (const k of gone) this.index.delete(k);
    }
    this.compacted = rev;
    this.events.dropBefore(rev);
  }

  /** All keys live at `rev`, in key order. */
  snapshotAt(rev: number): KeyValue[] {
    const out: KeyValue[] = [];
    this.index.forEachFrom("", (k) => {
      const kv = this.at(k, rev);
      if (kv !== undefined) out.push(kv);
      return true;
    });
    return out;
  }

  /**
   * Replace the whole state with a snapshot taken at `rev`: `kvs` sorted by
   * key, `lastEvent` the event at `rev` (absent only when rev is 0). History
   * before `rev` is unknown, so the compacted revision becomes `rev`.
   */
  loadSnapshot(rev: number, kvs: readonly KeyValue[], lastEvent: WatchEvent | undefined): void {
    this.history.clear();
    this.compactable.clear();
    const keys: string[] = [];
    for (const raw of kvs) {
      const kv = Object.freeze({ ...raw });
      this.history.set(kv.key, [{ rev: kv.modRevision, kv }]);
      keys.push(kv.key);
    }
    this.index.loadSorted(keys);
    this.revision = rev;
    this.compacted = rev;
    this.events = new EventLog(lastEvent ? rev : rev + 1);
    if (lastEvent) this.events.append(Object.freeze({ ...lastEvent }));
  }
}
