/**
 * Durability for the embedded store: recovery on open, log appends, and log
 * rotation into snapshots.
 *
 * Recovery loads the newest snapshot (if any) into the `Mvcc`, replays every
 * log of that generation or later, checking that revisions follow on without
 * gaps, and cuts a torn tail off the newest log (frames.ts decides what counts
 * as torn). Appends go to the newest log. When it grows past the threshold the
 * store calls `maybeRotate` between two group commits: a new log generation is
 * started (so nothing is appended while the old one is being summarised), the
 * live state at the durable revision is captured from the MVCC history, and a
 * snapshot of it is written in the background. Once the snapshot is in place,
 * files of older generations are deleted. A failed snapshot leaves the older
 * files in place (recovery stays correct) and is retried at the next rotation.
 */
import { mkdir, readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fsyncDir, listDir, removeOlderThan, Wal, walName } from "./files.ts";
import type { WalRecord } from "./files.ts";
import { CorruptionError, encodeFrame, scanFrames } from "./frames.ts";
import type { Mvcc } from "./mvcc.ts";
import { readSnapshot, writeSnapshot } from "./snapshot.ts";
import { lockDir } from "./dirlock.ts";

/** Settings for the on-disk part of the store. */
export interface DiskLogOptions {
  fsync: boolean;
  snapshotThresholdBytes: number;
}

/** Apply one replayed record to `mvcc`, checking it continues the history. */
function replay(mvcc: Mvcc, rec: WalRecord, where: string): void {
  if (rec.o === "c") {
    if (rec.r > mvcc.revision) throw new CorruptionError(`${where}: compaction at future revision ${rec.r}`);
    mvcc.compact(rec.r);
    return;
  }
  if (rec.r !== mvcc.revision + 1) {
    throw new CorruptionError(`${where}: revision ${rec.r} does not follow ${mvcc.revision}`);
  }
  if (rec.o === "p") {
    mvcc.put(rec.k, rec.v);
  } else if (rec.o === "d" && mvcc.latest(rec.k) !== undefined) {
    mvcc.remove(rec.k);
  } else {
    throw new CorruptionError(`${where}: bad record at revision ${rec.r}`);
  }
}

/** The open log of an on-disk store. */
export class DiskLog {
  private readonly dir: string;
  private readonly opts: DiskLogOptions;
  private wal: Wal;
  private snapshotTask: Promise<void> | undefined;
  private warned = false;
  private readonly unlock: () => void;

  private constructor(dir: string, wal: Wal, opts: DiskLogOptions, unlock: () => void) {
    this.dir = dir;
    this.wal = wal;
    this.opts = opts;
    this.unlock = unlock;
  }

  /** Load the data in `dir` (created if missing) into `mvcc` and open the log for appending. */
  static async recover(dir: string, mvcc: Mvcc, opts: DiskLogOptions): Promise<DiskLog> {
    const created = await mkdir(dir, { recursive: true });
    if (created !== undefined) await fsyncDir(dirname(created));
    const unlock = lockDir(dir);
    try {
      return await DiskLog.#recoverLocked(dir, mvcc, opts, unlock);
    } catch (err) {
      unlock();
      throw err;
    }
  }

  static async #recoverLocked(dir: string, mvcc: Mvcc, opts: DiskLogOptions, unlock: () => void): Promise<DiskLog> {
    const listing = await listDir(dir);
    const snapGen = listing.snaps.length > 0 ? listing.snaps[listing.snaps.length - 1] : 0;
    if (snapGen > 0) {
      const snap = await readSnapshot(dir, snapGen);
      mvcc.loadSnapshot(snap.rev, snap.kvs, snap.lastEvent);
    }
    const wals = listing.wals.filter((g) => g >= snapGen);
    let validBytes = 0;
    for (let i = 0; i < wals.length; i++) {
      const name = walName(wals[i]);
      const scan = scanFrames(await readFile(join(dir, name)), name);
      const isLast = i === wals.length - 1;
      if (!scan.clean && !isLast) throw new CorruptionError(`${name}: damaged, and it is not the newest log`);
      for (const batch of scan.values) {
        if (!Array.isArray(batch)) throw new CorruptionError(`${name}: log frame is not a batch of records`);
        for (const rec of batch) replay(mvcc, rec as WalRecord, name);
      }
      validBytes = scan.end;
    }
    const gen = wals.length > 0 ? wals[wals.length - 1] : Math.max(snapGen, 1);
    const wal = await Wal.open(dir, gen, wals.length > 0 ? validBytes : 0, opts.fsync);
    if (snapGen > 0 || listing.temps.length > 0) await removeOlderThan(dir, snapGen);
    return new DiskLog(dir, wal, opts, unlock);
  }

  /**
   * Append `records` as one frame in one write (and one fsync), so that a
   * crash tears at most this frame.
   */
  async append(records: readonly WalRecord[]): Promise<void> {
    await this.wal.append(encodeFrame(records));
  }

  /** Size of the current log file. */
  get logBytes(): number {
    return this.wal.bytes;
  }

  /**
   * If the log has outgrown the threshold and no snapshot is being written,
   * switch to a new log and start a snapshot of the state at `durable`. Must be
   * called with no append in flight, when everything up to `durable` (and
   * nothing after it) has been appended.
   */
  async maybeRotate(mvcc: Mvcc, durable: number): Promise<void> {
    if (this.snapshotTask || this.wal.bytes < this.opts.snapshotThresholdBytes) return;
    const data = { rev: durable, kvs: mvcc.snapshotAt(durable), lastEvent: mvcc.events.get(durable) };
    const gen = this.wal.gen + 1;
    const next = await Wal.open(this.dir, gen, 0, this.opts.fsync);
    const old = this.wal;
    this.wal = next;
    await old.close();
    this.snapshotTask = writeSnapshot(this.dir, gen, data)
      .then(() => removeOlderThan(this.dir, gen))
      .catch((err: unknown) => {
        if (!this.warned) {
          this.warned = true;
          process.emitWarning(`embedded store: snapshot failed, keeping logs: ${String(err)}`);
        }
      })
      .finally(() => {
        this.snapshotTask = undefined;
      });
  }

  /** Wait for a snapshot in progress (if any). */
  async settle(): Promise<void> {
    await this.snapshotTask;
  }

  /** Finish background work, sync and close the log. */
  async close(): Promise<void> {
    await this.settle();
    await this.wal.close();
    this.unlock();
  }
}
