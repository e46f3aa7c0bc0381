/**
 * Watch fan-out for the embedded store.
 *
 * The store calls `publish` with each newly durable run of events (in revision
 * order); every watcher whose key range matches gets them appended to its
 * buffer, and buffers are handed to `onEvents` from a microtask, so handlers
 * never run inside a store call and all events that became durable together
 * arrive in one batch. A watcher remembers the next revision it expects, which
 * makes catch-up (events handed to `add`) followed by live events seamless: the
 * store registers the watcher and its backlog in the same synchronous step in
 * which it reads the backlog, so no event can fall between the two.
 *
 * A handler that throws ends its watch: the error goes to `onError` (if given)
 * and nothing more is delivered.
 */
import type { Watch, WatchEvent, WatchHandlers } from "../types.ts";

class Watcher implements Watch {
  readonly key: string;
  readonly end: string | undefined;
  /** Revision of the next event this watcher may receive. */
  next: number;
  private readonly handlers: WatchHandlers;
  private readonly hub: WatchHub;
  private buffer: WatchEvent[] = [];
  private scheduled = false;
  private done = false;
  private error: Error | undefined;

  constructor(hub: WatchHub, key: string, end: string | undefined, next: number, handlers: WatchHandlers) {
    this.hub = hub;
    this.key = key;
    this.end = end;
    this.next = next;
    this.handlers = handlers;
  }

  matches(key: string): boolean {
    return this.end === undefined ? key.startsWith(this.key) : key >= this.key && key < this.end;
  }

  /** Queue events (already filtered and in order) for delivery. */
  push(events: readonly WatchEvent[]): void {
    if (this.done || events.length === 0) return;
    for (const ev of events) this.buffer.push(ev);
    this.schedule();
  }

  /** End the watch with `err`, after delivering what is already buffered. */
  fail(err: Error): void {
    if (this.done || this.error) return;
    this.error = err;
    this.hub.remove(this);
    this.schedule();
  }

  cancel(): void {
    this.done = true;
    this.buffer = [];
    this.hub.remove(this);
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    queueMicrotask(() => this.flush());
  }

  private flush(): void {
    this.scheduled = false;
    if (this.done) return;
    const batch = this.buffer;
    this.buffer = [];
    if (batch.length > 0) {
      try {
        this.handlers.onEvents(batch);
      } catch (err) {
        this.error = err instanceof Error ? err : new Error(String(err));
      }
    }
    if (this.error && !this.done) {
      this.done = true;
      this.buffer = [];
      this.hub.remove(this);
      try {
        this.handlers.onError?.(this.error);
      } catch {
        // The watch is over; an error handler's own failure has nowhere to go.
      }
    }
  }
}

/** The set of live watches of one store. */
export class WatchHub {
  private readonly watchers = new Set<Watcher>();

  /**
   * Register a watch on [key, end) (prefix `key` when `end` is undefined) that
   * expects revision `next` onwards, delivering `backlog` (events before
   * `next`, already filtered) first.
   */
  add(key: string, end: string | undefined, next: number, backlog: WatchEvent[], handlers: WatchHandlers): Watch {
    const w = new Watcher(this, key, end, next, handlers);
    this.watchers.add(w);
    w.push(backlog);
    return w;
  }

  /** Filter predicate for catch-up reads, same rule as live delivery. */
  static matcher(key: string, end: string | undefined): (k: string) => boolean {
    return end === undefined ? (k) => k.startsWith(key) : (k) => k >= key && k < end;
  }

  /** Hand newly durable `events` (consecutive revisions, ascending) to matching watchers. */
  publish(events: readonly WatchEvent[]): void {
    if (events.length === 0 || this.watchers.size === 0) return;
    const lastRev = events[events.length - 1].kv.modRevision;
    for (const w of this.watchers) {
      if (w.next > lastRev) continue;
      const mine: WatchEvent[] = [];
      for (const ev of events) {
        if (ev.kv.modRevision >= w.next && w.matches(ev.kv.key)) mine.push(ev);
      }
      w.next = lastRev + 1;
      w.push(mine);
    }
  }

  /** End every watch with `err`. */
  failAll(err: Error): void {
    for (const w of [...this.watchers]) w.fail(err);
  }

  /** Forget `w` (called by the watcher itself). */
  remove(w: Watcher): void {
    this.watchers.delete(w);
  }

  /** Number of live watches. */
  get size(): number {
    return this.watchers.size;
  }
}
