/**
 * The controller work queue with client-go semantics: a FIFO of keys backed
 * by a dirty set (queued, not yet handed out) and a processing set (handed
 * out, not yet done). A key is never handed out twice at once; one added
 * while it is processed is queued again when done() is called. Delayed adds
 * and a rate limiter (per-key exponential back-off max'ed with an overall
 * token bucket, like DefaultControllerRateLimiter) sit on top. Time comes
 * from an injected Clock.
 */
import { realClock, type Clock } from "./clock.ts";
import { TokenBucket } from "./ratelimit.ts";

export { realClock, FakeClock, type Clock } from "./clock.ts";

export interface WorkQueueOptions {
  clock?: Clock;
  /** First per-key back-off (default 5 ms); doubles on every addRateLimited. */
  baseDelayMs?: number;
  /** Cap of the per-key back-off (default 1000 s). */
  maxDelayMs?: number;
  /** Overall rate of rate-limited adds (default 10 per second)... */
  qps?: number;
  /** ...with this burst (default 100). */
  burst?: number;
}

export class WorkQueue<K = string> {
  readonly #clock: Clock;
  readonly #base: number;
  readonly #max: number;
  readonly #bucket: TokenBucket;
  #queue: K[] = [];
  #head = 0;
  readonly #dirty = new Set<K>();
  readonly #processing = new Set<K>();
  readonly #failures = new Map<K, number>();
  readonly #waiting = new Map<K, { at: number; timer: unknown }>();
  readonly #getters: ((k: K | undefined) => void)[] = [];
  #shuttingDown = false;

  constructor(opts: WorkQueueOptions = {}) {
    this.#clock = opts.clock ?? realClock;
    this.#base = opts.baseDelayMs ?? 5;
    this.#max = opts.maxDelayMs ?? 1_000_000;
    this.#bucket = new TokenBucket(opts.qps ?? 10, opts.burst ?? 100, this.#clock);
  }

  /** Queues `key` unless it is already queued; ignored after shutDown. */
  add(key: K): void {
    if (this.#shuttingDown || this.#dirty.has(key)) return;
    this.#dirty.add(key);
    if (this.#processing.has(key)) return;
    this.#push(key);
  }

  /**
   * Adds `key` after `ms` (at once when ms <= 0). While a key waits, a later
   * addAfter only moves its time earlier, never later.
   */
  addAfter(key: K, ms: number): void {
    if (this.#shuttingDown) return;
    if (ms <= 0) return this.add(key);
    const at = this.#clock.now() + ms;
    const w = this.#waiting.get(key);
    if (w) {
      if (w.at <= at) return;
      this.#clock.clearTimeout(w.timer);
    }
    const timer = this.#clock.setTimeout(() => {
      this.#waiting.delete(key);
      this.add(key);
    }, ms);
    this.#waiting.set(key, { at, timer });
  }

  /** Adds `key` after its rate-limited delay: max(base·2^failures capped, token-bucket wait). */
  addRateLimited(key: K): void {
    const n = this.#failures.get(key) ?? 0;
    this.#failures.set(key, n + 1);
    const exp = Math.min(this.#max, this.#base * 2 ** Math.min(n, 62));
    this.addAfter(key, Math.max(exp, this.#bucket.reserve()));
  }

  /** Clears the failure count of `key` (call after a successful reconcile). */
  forget(key: K): void {
    this.#failures.delete(key);
  }

  /** How often `key` was rate-limited since the last forget. */
  numRequeues(key: K): number {
    return this.#failures.get(key) ?? 0;
  }

  /**
   * The next key, waiting for one if necessary; the caller must call done(key)
   * afterwards. Resolves undefined once shut down and drained.
   */
  get(): Promise<K | undefined> {
    if (this.#size() > 0) return Promise.resolve(this.#take());
    if (this.#shuttingDown) return Promise.resolve(undefined);
    return new Promise((resolve) => this.#getters.push(resolve));
  }

  /** Marks `key` finished; if it was added meanwhile it is queued again. */
  done(key: K): void {
    this.#processing.delete(key);
    if (this.#dirty.has(key)) this.#push(key);
  }

  /** Number of keys queued (not counting ones processing or waiting). */
  len(): number {
    return this.#size();
  }

  /** Refuses new adds, drops delayed ones; get() drains the queue then yields undefined. */
  shutDown(): void {
    if (this.#shuttingDown) return;
    this.#shuttingDown = true;
    for (const w of this.#waiting.values()) this.#clock.clearTimeout(w.timer);
    this.#waiting.clear();
    for (const g of this.#getters.splice(0)) g(undefined);
  }

  isShuttingDown(): boolean {
    return this.#shuttingDown;
  }

  #size(): number {
    return this.#queue.length - this.#head;
  }

  #push(key: K): void {
    const g = this.#getters.shift();
    if (g) {
      this.#dirty.delete(key);
      this.#processing.add(key);
      g(key);
      return;
    }
    this.#queue.push(key);
  }

  #take(): K {
    const key = this.#queue[this.#head++];
    if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head);
      this.#head = 0;
    }
    this.#dirty.delete(key);
    this.#processing.add(key);
    return key;
  }
}
