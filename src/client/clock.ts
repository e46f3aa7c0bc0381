/**
 * Time, injected: the Clock interface every timed part of the client uses,
 * the real clock, and a manual FakeClock for deterministic tests.
 */

/** A source of time and timers. Handles are opaque to callers. */
export interface Clock {
  /** Milliseconds since an arbitrary epoch; never decreases. */
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(h: unknown): void;
}

/** Wall time and Node timers. */
export const realClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

interface FakeTimer {
  at: number;
  seq: number;
  fn: () => void;
}

/**
 * A clock that only moves when `step` is called. Timers due at or before the
 * new time fire in due order (ties in creation order), synchronously inside
 * `step`; timers they schedule fire too if they fall due within the step.
 */
export class FakeClock implements Clock {
  #now: number;
  #seq = 0;
  readonly #timers = new Set<FakeTimer>();

  constructor(start = 0) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const t: FakeTimer = { at: this.#now + Math.max(0, ms), seq: this.#seq++, fn };
    this.#timers.add(t);
    return t;
  }

  clearTimeout(h: unknown): void {
    this.#timers.delete(h as FakeTimer);
  }

  /** Number of pending timers. */
  pending(): number {
    return this.#timers.size;
  }

  /** Advances time by `ms`, firing every timer that falls due. */
  step(ms: number): void {
    const end = this.#now + ms;
    for (;;) {
      let next: FakeTimer | undefined;
      for (const t of this.#timers) {
        if (t.at <= end && (!next || t.at < next.at || (t.at === next.at && t.seq < next.seq))) next = t;
      }
      if (!next) break;
      this.#timers.delete(next);
      this.#now = Math.max(this.#now, next.at);
      next.fn();
    }
    this.#now = end;
  }
}
