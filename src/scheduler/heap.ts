/**
 * A binary min-heap (by a `less` function) with keyed access: O(log n)
 * add/update/delete by key, O(1) peek.
 */
export class KeyedHeap<T> {
  readonly #items: T[] = [];
  readonly #index = new Map<string, number>();
  readonly #key: (t: T) => string;
  readonly #less: (a: T, b: T) => boolean;

  constructor(key: (t: T) => string, less: (a: T, b: T) => boolean) {
    this.#key = key;
    this.#less = less;
  }

  get size(): number {
    return this.#items.length;
  }

  has(key: string): boolean {
    return this.#index.has(key);
  }

  get(key: string): T | undefined {
    const i = this.#index.get(key);
    return i === undefined ? undefined : this.#items[i];
  }

  peek(): T | undefined {
    return this.#items[0];
  }

  /** Adds `t`, or replaces the item with the same key and restores order. */
  addOrUpdate(t: T): void {
    const k = this.#key(t);
    const i = this.#index.get(k);
    if (i !== undefined) {
      this.#items[i] = t;
      this.#fix(i);
      return;
    }
    this.#items.push(t);
    this.#index.set(k, this.#items.length - 1);
    this.#up(this.#items.length - 1);
  }

  pop(): T | undefined {
    if (this.#items.length === 0) return undefined;
    const top = this.#items[0];
    this.#removeAt(0);
    return top;
  }

  delete(key: string): T | undefined {
    const i = this.#index.get(key);
    if (i === undefined) return undefined;
    const t = this.#items[i];
    this.#removeAt(i);
    return t;
  }

  list(): T[] {
    return [...this.#items];
  }

  #removeAt(i: number): void {
    const last = this.#items.length - 1;
    this.#index.delete(this.#key(this.#items[i]));
    if (i !== last) {
      this.#items[i] = this.#items[last];
      this.#index.set(this.#key(this.#items[i]), i);
    }
    this.#items.pop();
    if (i < this.#items.length) this.#fix(i);
  }

  #fix(i: number): void {
    if (!this.#up(i)) this.#down(i);
  }

  #swap(i: number, j: number): void {
    const a = this.#items[i];
    this.#items[i] = this.#items[j];
    this.#items[j] = a;
    this.#index.set(this.#key(this.#items[i]), i);
    this.#index.set(this.#key(this.#items[j]), j);
  }

  #up(i: number): boolean {
    const start = i;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.#less(this.#items[i], this.#items[p])) break;
      this.#swap(i, p);
      i = p;
    }
    return i !== start;
  }

  #down(i: number): void {
    const n = this.#items.length;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < n && this.#less(this.#items[l], this.#items[m])) m = l;
      if (r < n && this.#less(this.#items[r], this.#items[m])) m = r;
      if (m === i) return;
      this.#swap(i, m);
      i = m;
    }
  }
}
