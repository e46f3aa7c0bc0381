/**
 * An ordered set of string keys for range scans.
 *
 * Keys are kept in a list of sorted chunks (each at most `MAX_CHUNK` long), so
 * an insert or delete moves at most one chunk's worth of elements plus the
 * chunk directory, rather than the whole key space. Lookup is a binary search
 * over chunk heads followed by one inside the chunk. Order is JavaScript string
 * order, which equals byte order for ASCII keys.
 */

const MAX_CHUNK = 512;

/** Index of the first element of `arr` that is >= `key` (arr.length if none). */
function lowerBound(arr: readonly string[], key: string): number {
  let lo = 0;
  let hi = arr.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (arr[mid] < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** A sorted set of keys supporting ordered iteration from any start key. */
export class SortedKeys {
  private chunks: string[][] = [];
  private count = 0;

  /** Number of keys in the set. */
  get size(): number {
    return this.count;
  }

  /** Index of the chunk that does or would contain `key`. */
  private chunkFor(key: string): number {
    const chunks = this.chunks;
    let lo = 0;
    let hi = chunks.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (chunks[mid][0] <= key) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /** True when `key` is in the set. */
  has(key: string): boolean {
    if (this.chunks.length === 0) return false;
    const chunk = this.chunks[this.chunkFor(key)];
    const i = lowerBound(chunk, key);
    return i < chunk.length && chunk[i] === key;
  }

  /** Add `key`; returns false when it was already present. */
  insert(key: string): boolean {
    if (this.chunks.length === 0) {
      this.chunks.push([key]);
      this.count = 1;
      return true;
    }
    const ci = this.chunkFor(key);
    const chunk = this.chunks[ci];
    const i = lowerBound(chunk, key);
    if (i < chunk.length && chunk[i] === key) return false;
    if (i === chunk.length) chunk.push(key);
    else chunk.splice(i, 0, key);
    this.count++;
    if (chunk.length > MAX_CHUNK) {
      const tail = chunk.splice(chunk.length >>> 1);
      this.chunks.splice(ci + 1, 0, tail);
    }
    return true;
  }

  /** Remove `key`; returns false when it was absent. */
  delete(key: string): boolean {
    if (this.chunks.length === 0) return false;
    const ci = this.chunkFor(key);
    const chunk = this.chunks[ci];
    const i = lowerBound(chunk, key);
    if (i >= chunk.length || chunk[i] !== key) return false;
    chunk.splice(i, 1);
    this.count--;
    if (chunk.length === 0) this.chunks.splice(ci, 1);
    return true;
  }

  /**
   * Call `visit` for each key >= `start` in ascending order until it returns
   * false or the keys run out.
   */
  forEachFrom(start: string, visit: (key: string) => boolean): void {
    if (this.chunks.length === 0) return;
    let ci = this.chunkFor(start);
    let i = lowerBound(this.chunks[ci], start);
    for (; ci < this.chunks.length; ci++, i = 0) {
      const chunk = this.chunks[ci];
      for (; i < chunk.length; i++) {
        if (!visit(chunk[i])) return;
      }
    }
  }

  /** Remove every key for which `drop` returns true, in one pass. */
  removeWhere(drop: (key: string) => boolean): void {
    const kept: string[][] = [];
    let count = 0;
    for (const chunk of this.chunks) {
      const next = chunk.filter((k) => !drop(k));
      if (next.length > 0) {
        kept.push(next);
        count += next.length;
      }
    }
    this.chunks = kept;
    this.count = count;
  }

  /** Replace the contents with `keys`, which must be sorted and distinct. */
  loadSorted(keys: readonly string[]): void {
    const half = MAX_CHUNK >>> 1;
    this.chunks = [];
    for (let i = 0; i < keys.length; i += half) this.chunks.push(keys.slice(i, i + half));
    this.count = keys.length;
  }
}
