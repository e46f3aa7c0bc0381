/**
 * The datastore contract: etcd v3 semantics over a flat, revisioned key space.
 *
 * Every backend (embedded, etcd) implements `Store` and passes the shared
 * conformance suite in `conformance.ts`. Only the apiserver uses this module.
 *
 * Semantics, as etcd v3:
 * - The store has one global revision counter. Every successful write
 *   (create, update, delete) bumps it by exactly one and stamps the written key
 *   with `modRevision` = the new revision. `createRevision` is the revision at
 *   which the key was (last) created; `version` counts writes since creation.
 * - Reads are linearizable: a read started after a write resolved sees it.
 * - A revision older than the compacted revision can no longer be read or
 *   watched from: such calls reject with `CompactedError`.
 * - Values are opaque strings (the apiserver stores JSON).
 */

/** A key with its value and revisions. */
export interface KeyValue {
  key: string;
  value: string;
  /** Revision of the write that created the key. */
  createRevision: number;
  /** Revision of the last write to the key. */
  modRevision: number;
  /** Number of writes since creation (1 after create). */
  version: number;
}

export interface RangeOptions {
  /** Exclusive end key. If omitted, `key` is treated as a prefix. */
  end?: string;
  /** Maximum number of keys returned (0 or omitted: no limit). */
  limit?: number;
  /** Read at this revision (0 or omitted: current). Rejects with CompactedError / FutureRevisionError. */
  revision?: number;
  /** Only count, return no kvs. */
  countOnly?: boolean;
}

export interface RangeResult {
  /** Keys in ascending byte order (JS string order over ASCII keys). */
  kvs: KeyValue[];
  /** True when `limit` cut the result short. */
  more: boolean;
  /** Number of keys in the full range (ignoring limit). */
  count: number;
  /** The revision the range was served at. */
  revision: number;
}

export type WatchEventType = "put" | "delete";

/** One change. For `delete`, `kv.value` is empty and `kv.modRevision` is the delete revision. */
export interface WatchEvent {
  type: WatchEventType;
  kv: KeyValue;
  /** The previous value of the key, when there was one. */
  prevKv?: KeyValue;
}

export interface WatchOptions {
  /** Exclusive end key; if omitted, `key` is a prefix. */
  end?: string;
  /**
   * Deliver every event with revision >= startRevision (0 or omitted: only
   * events after the current revision). Rejects with CompactedError if the
   * start revision has been compacted.
   */
  startRevision?: number;
}

/**
 * A live watch. Events are delivered in revision order, each revision once,
 * without gaps, batched per callback invocation. `onError` is called at most
 * once, after which no more events are delivered.
 */
export interface Watch {
  cancel(): void;
}

export interface WatchHandlers {
  onEvents(events: WatchEvent[]): void;
  onError?(err: Error): void;
}

/** Result of a guarded write. */
export interface WriteResult {
  /** The store revision after the write. */
  revision: number;
  /** The key as written (for delete: the deleted kv with its last value). */
  kv: KeyValue;
}

export interface Store {
  /** Read one key (undefined when absent). */
  get(key: string, revision?: number): Promise<KeyValue | undefined>;

  range(key: string, opts?: RangeOptions): Promise<RangeResult>;

  /** Create the key if absent; rejects with KeyExistsError otherwise. */
  create(key: string, value: string): Promise<WriteResult>;

  /**
   * Replace the value if the key's modRevision equals `expectedModRevision`
   * (0: any revision, the key must exist). Rejects with KeyNotFoundError or
   * RevisionMismatchError (carrying the current kv).
   */
  update(key: string, value: string, expectedModRevision: number): Promise<WriteResult>;

  /**
   * Delete the key if its modRevision equals `expectedModRevision` (0: any).
   * Rejects with KeyNotFoundError or RevisionMismatchError.
   */
  delete(key: string, expectedModRevision?: number): Promise<WriteResult>;

  watch(key: string, opts: WatchOptions, handlers: WatchHandlers): Watch;

  /** Discard history before `revision`; later reads below it reject with CompactedError. */
  compact(revision: number): Promise<void>;

  /** The latest revision (0 for an empty, never-written store). */
  currentRevision(): number;

  /** The revision below which history is gone (0: nothing compacted). */
  compactedRevision(): number;

  /** Flush and release resources; pending writes complete first. */
  close(): Promise<void>;
}

export class KeyExistsError extends Error {
  readonly kv: KeyValue;
  constructor(kv: KeyValue) {
    super(`key exists: ${kv.key}`);
    this.name = "KeyExistsError";
    this.kv = kv;
  }
}

export class KeyNotFoundError extends Error {
  readonly key: string;
  constructor(key: string) {
    super(`key not found: ${key}`);
    this.name = "KeyNotFoundError";
    this.key = key;
  }
}

export class RevisionMismatchError extends Error {
  readonly current: KeyValue;
  constructor(current: KeyValue) {
    super(`revision mismatch on ${current.key}: at ${current.modRevision}`);
    this.name = "RevisionMismatchError";
    this.current = current;
  }
}

export class CompactedError extends Error {
  readonly compactedRevision: number;
  constructor(requested: number, compactedRevision: number) {
    super(`required revision ${requested} has been compacted (compacted revision ${compactedRevision})`);
    this.name = "CompactedError";
    this.compactedRevision = compactedRevision;
  }
}

export class FutureRevisionError extends Error {
  constructor(requested: number, current: number) {
    super(`required revision ${requested} is a future revision (current ${current})`);
    this.name = "FutureRevisionError";
  }
}
