/**
 * CycleState: per-scheduling-cycle scratch data written by PreFilter/PreScore
 * and read by Filter/Score of the same plugin. Keys are plugin-chosen strings.
 * Values that plugins mutate during preemption simulation (AddPod/RemovePod)
 * must implement `clone()`; `CycleState.clone()` deep-copies those.
 */

/** A value stored in the CycleState that may be cloned for preemption dry runs. */
export interface StateData {
  clone(): StateData;
}

export class CycleState {
  readonly #data = new Map<string, unknown>();
  /** Plugins whose Filter is skipped this cycle (their PreFilter returned Skip). */
  skipFilterPlugins = new Set<string>();
  /** Plugins whose Score is skipped this cycle (their PreScore returned Skip). */
  skipScorePlugins = new Set<string>();
  /** The framework's Filter plugins minus skipFilterPlugins (a cache the framework fills and checks). */
  activeFilterPlugins: { owner: object; skipSize: number; plugins: readonly unknown[] } | undefined;

  read<T>(key: string): T | undefined {
    return this.#data.get(key) as T | undefined;
  }

  write(key: string, value: unknown): void {
    this.#data.set(key, value);
  }

  delete(key: string): void {
    this.#data.delete(key);
  }

  /** A copy in which every StateData value is cloned; other values are shared. */
  clone(): CycleState {
    const c = new CycleState();
    for (const [k, v] of this.#data) {
      const sd = v as Partial<StateData> | null;
      c.#data.set(k, sd && typeof sd === "object" && typeof sd.clone === "function" ? sd.clone() : v);
    }
    c.skipFilterPlugins = new Set(this.skipFilterPlugins);
    c.skipScorePlugins = new Set(this.skipScorePlugins);
    return c;
  }
}
