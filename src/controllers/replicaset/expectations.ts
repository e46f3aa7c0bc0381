/**
 * Controller expectations (upstream controller_utils.go's
 * UIDTrackingControllerExpectations): what a controller expects to observe in
 * its informer cache after its own creates and deletes, so a sync does not act
 * on a cache that has not caught up yet (which would double-create or
 * double-delete). Deletions are tracked by pod key, so seeing a deletion twice
 * (deletionTimestamp set, then the DELETED event) counts once. Records expire
 * after a TTL so a lost event cannot wedge a controller forever.
 */

/** Upstream's ExpectationsTimeout: after this a record counts as satisfied. */
export const expectationsTimeoutMs = 5 * 60 * 1000;

interface Record_ {
  add: number;
  del: number;
  /** Keys of the objects whose deletion is still expected. */
  deleting: Set<string>;
  at: number;
}

export class Expectations {
  readonly #records = new Map<string, Record_>();
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  /**
   * True when the controller may act on `key`: no record, every expected
   * create and delete observed, or the record is older than the TTL.
   */
  satisfied(key: string): boolean {
    const r = this.#records.get(key);
    if (!r) return true;
    if (r.add <= 0 && r.del <= 0) return true;
    return this.#now() - r.at > expectationsTimeoutMs;
  }

  /** Replaces the record of `key` with `adds` expected creations. */
  expectCreations(key: string, adds: number): void {
    this.#records.set(key, { add: adds, del: 0, deleting: new Set(), at: this.#now() });
  }

  /** Replaces the record of `key` with the deletions of `objectKeys` expected. */
  expectDeletions(key: string, objectKeys: string[]): void {
    this.#records.set(key, { add: 0, del: objectKeys.length, deleting: new Set(objectKeys), at: this.#now() });
  }

  /** One expected creation was seen (or will never happen because the create failed). */
  creationObserved(key: string): void {
    const r = this.#records.get(key);
    if (r) r.add--;
  }

  /** Lowers the expected creations by `n` (creations skipped after a failure). */
  lowerCreations(key: string, n: number): void {
    const r = this.#records.get(key);
    if (r) r.add -= n;
  }

  /** The deletion of `objectKey` was seen (or failed); counted once per object. */
  deletionObserved(key: string, objectKey: string): void {
    const r = this.#records.get(key);
    if (!r || !r.deleting.delete(objectKey)) return;
    r.del--;
  }

  /** Forgets `key` (its owner is gone). */
  delete(key: string): void {
    this.#records.delete(key);
  }

  /** The outstanding counts, for tests and logs. */
  pending(key: string): { add: number; del: number } | undefined {
    const r = this.#records.get(key);
    return r && { add: r.add, del: r.del };
  }
}
