/**
 * Per-key exponential back-off for container restarts (CrashLoopBackOff) and
 * image pulls (ImagePullBackOff), after upstream's flowcontrol.Backoff: the
 * first failure may be retried at once, every later one waits initial·2^n
 * capped at max, measured from the failure time; an entry untouched for twice
 * the cap starts over (so a container that ran fine for 10 minutes restarts
 * at once again). Time comes from an injected Clock.
 */
import { realClock, type Clock } from "../client/clock.ts";

interface Entry {
  delayMs: number;
  lastUpdate: number;
}

export class Backoff {
  readonly #clock: Clock;
  readonly #initialMs: number;
  readonly #maxMs: number;
  readonly #entries = new Map<string, Entry>();

  constructor(opts: { initialMs?: number; maxMs?: number; clock?: Clock } = {}) {
    this.#clock = opts.clock ?? realClock;
    this.#initialMs = opts.initialMs ?? 10_000;
    this.#maxMs = opts.maxMs ?? 300_000;
  }

  /** The current delay of `key` (0 when none). */
  get(key: string): number {
    return this.#entries.get(key)?.delayMs ?? 0;
  }

  /**
   * Milliseconds `key` must still wait when its last failure was at
   * `eventTime` (epoch ms of the clock); 0 when it may be retried now.
   */
  remaining(key: string, eventTime: number): number {
    const e = this.#entries.get(key);
    if (!e || this.#expired(e, eventTime)) return 0;
    return Math.max(0, eventTime + e.delayMs - this.#clock.now());
  }

  /** Records a retry of `key` now: the next wait doubles (or starts at the initial delay). */
  next(key: string, eventTime: number): number {
    const e = this.#entries.get(key);
    if (!e || this.#expired(e, eventTime)) {
      this.#entries.set(key, { delayMs: this.#initialMs, lastUpdate: this.#clock.now() });
      return this.#initialMs;
    }
    e.delayMs = Math.min(e.delayMs * 2, this.#maxMs);
    e.lastUpdate = this.#clock.now();
    return e.delayMs;
  }

  /** Forgets `key`. */
  reset(key: string): void {
    this.#entries.delete(key);
  }

  /** Forgets every key starting with `prefix` (e.g. a pod uid). */
  resetPrefix(prefix: string): void {
    for (const k of this.#entries.keys()) if (k.startsWith(prefix)) this.#entries.delete(k);
  }

  #expired(e: Entry, eventTime: number): boolean {
    return eventTime - e.lastUpdate > 2 * this.#maxMs;
  }
}
