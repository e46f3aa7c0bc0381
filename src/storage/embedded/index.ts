/**
 * The embedded datastore: a single-process, durable implementation of the
 * `Store` contract (etcd v3 semantics), the default backend of tskube.
 *
 * Layout of the implementation:
 * - store.ts: the Store (write queue with group commit, reads, watches);
 * - mvcc.ts, sorted-keys.ts: in-memory multi-version key space and event log;
 * - watch-hub.ts: watch fan-out;
 * - disk-log.ts, files.ts, frames.ts, snapshot.ts: write-ahead log, snapshots,
 *   recovery.
 *
 * Restart semantics: after reopening, the state is the newest snapshot plus
 * the logs written after it. History older than that snapshot is gone, so the
 * compacted revision after a restart is the larger of the snapshot revision and
 * the last compaction recorded in the log (0 when no snapshot was ever taken
 * and nothing was compacted). The revision counter itself never goes back.
 *
 * Other decisions: `watch` throws CompactedError synchronously for a start
 * revision below the compacted one; reads and watches only ever see writes
 * that are durable; a failed append or fsync fails the store for good. With
 * `fsync: false` a process crash loses nothing acknowledged, but an operating
 * system crash may leave holes in the log that recovery reports as
 * CorruptionError instead of silently dropping later data.
 */
import { DiskLog } from "./disk-log.ts";
import { Mvcc } from "./mvcc.ts";
import { EmbeddedStore } from "./store.ts";
import type { Store } from "../types.ts";

export { StoreClosedError } from "./store.ts";
export { CorruptionError } from "./frames.ts";

/** Options of `openEmbeddedStore`. */
export interface EmbeddedStoreOptions {
  /** Data directory (created if missing). Undefined: purely in memory, nothing persisted. */
  dir?: string;
  /** Automatic compaction keeps at least this many recent revisions of history. Default 10000. */
  retainRevisions?: number;
  /** Period of automatic compaction in ms; 0 disables it. Default 60000. */
  compactIntervalMs?: number;
  /** Rewrite the log into a snapshot once it grows past this many bytes. Default 64 MiB. */
  snapshotThresholdBytes?: number;
  /** fsync every group commit before acknowledging it. Default true. */
  fsync?: boolean;
}

function nonNegative(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value < 0) throw new RangeError(`${name} must be a non-negative number`);
  return value;
}

/**
 * Open (recovering from `opts.dir` when given) an embedded store. Rejects with
 * CorruptionError when the data directory holds damage other than a torn log
 * tail. Only one store may have a directory open at a time.
 */
export async function openEmbeddedStore(opts: EmbeddedStoreOptions = {}): Promise<Store> {
  const retainRevisions = nonNegative("retainRevisions", opts.retainRevisions, 10000);
  const compactIntervalMs = nonNegative("compactIntervalMs", opts.compactIntervalMs, 60000);
  const snapshotThresholdBytes = nonNegative("snapshotThresholdBytes", opts.snapshotThresholdBytes, 64 * 1024 * 1024);
  const mvcc = new Mvcc();
  const disk =
    opts.dir === undefined
      ? undefined
      : await DiskLog.recover(opts.dir, mvcc, { fsync: opts.fsync ?? true, snapshotThresholdBytes });
  return new EmbeddedStore(mvcc, disk, { retainRevisions, compactIntervalMs });
}
