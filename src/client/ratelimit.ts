/**
 * A token bucket with reservations (like golang.org/x/time/rate's Reserve):
 * every take consumes one token, the balance may go negative, and the caller
 * learns how long to wait for its token. Used by the REST client's qps/burst
 * limit and the work queue's overall rate limiter.
 */
import { realClock, type Clock } from "./clock.ts";

export class TokenBucket {
  readonly #qps: number;
  readonly #burst: number;
  readonly #clock: Clock;
  #tokens: number;
  #last: number;

  /** `qps` tokens per second refill, at most `burst` stored (starts full). */
  constructor(qps: number, burst: number, clock: Clock = realClock) {
    if (!(qps > 0)) throw new Error("TokenBucket: qps must be positive");
    this.#qps = qps;
    this.#burst = Math.max(1, burst);
    this.#clock = clock;
    this.#tokens = this.#burst;
    this.#last = clock.now();
  }

  /** Takes one token and returns the delay in ms until it is actually available (0 = now). */
  reserve(): number {
    const now = this.#clock.now();
    this.#tokens = Math.min(this.#burst, this.#tokens + ((now - this.#last) * this.#qps) / 1000);
    this.#last = now;
    this.#tokens -= 1;
    return this.#tokens >= 0 ? 0 : Math.ceil((-this.#tokens * 1000) / this.#qps);
  }

  /** Resolves when a token is available (real time). */
  async take(): Promise<void> {
    const ms = this.reserve();
    if (ms > 0) await new Promise<void>((r) => this.#clock.setTimeout(r, ms));
  }
}
