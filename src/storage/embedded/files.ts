/**
 * On-disk layout and low-level file handling of the embedded store.
 *
 * A data directory holds numbered generations:
 * - `wal-<gen>.log`: write-ahead log, a sequence of frames (see frames.ts),
 *   each an array of `WalRecord`s written by one group commit, in revision
 *   order;
 * - `snap-<gen>.snap`: the live key space as of the end of every log with a
 *   smaller generation. Generation `g`'s state is snapshot `g` (or nothing)
 *   followed by logs `g`, `g+1`, ... in order;
 * - `*.tmp`: a snapshot being written; never read, removed on open.
 * `Wal` is an append handle on one log file; appends are positioned writes,
 * durable on return when the file is opened with fsync (O_DSYNC).
 */
import { constants } from "node:fs";
import { open, readdir, unlink } from "node:fs/promises";
import type { FileHandle } from "node:fs/promises";
import { join } from "node:path";

/** One write-ahead-log entry: put, delete or compaction at revision `r`. */
export type WalRecord =
  | { o: "p"; r: number; k: string; v: string }
  | { o: "d"; r: number; k: string }
  | { o: "c"; r: number };

const GEN_DIGITS = 12;

/** File name of log generation `gen`. */
export function walName(gen: number): string {
  return `wal-${String(gen).padStart(GEN_DIGITS, "0")}.log`;
}

/** File name of snapshot generation `gen`. */
export function snapName(gen: number): string {
  return `snap-${String(gen).padStart(GEN_DIGITS, "0")}.snap`;
}

/** Files of a data directory, by kind, generations ascending. */
export interface DirListing {
  wals: number[];
  snaps: number[];
  temps: string[];
}

/** List the store files in `dir` (other files are ignored). */
export async function listDir(dir: string): Promise<DirListing> {
  const out: DirListing = { wals: [], snaps: [], temps: [] };
  for (const name of await readdir(dir)) {
    const m = /^(wal|snap)-(\d+)\.(log|snap)$/.exec(name);
    if (m && (m[1] === "wal") === (m[3] === "log")) {
      (m[1] === "wal" ? out.wals : out.snaps).push(Number(m[2]));
    } else if (name.endsWith(".tmp")) {
      out.temps.push(name);
    }
  }
  out.wals.sort((a, b) => a - b);
  out.snaps.sort((a, b) => a - b);
  return out;
}

/** Make directory entries in `dir` (creates, renames, unlinks) durable. */
export async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, "r");
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Remove files of generations older than `gen`, and leftover temp files. */
export async function removeOlderThan(dir: string, gen: number): Promise<void> {
  const listing = await listDir(dir);
  const names = [
    ...listing.wals.filter((g) => g < gen).map(walName),
    ...listing.snaps.filter((g) => g < gen).map(snapName),
    ...listing.temps,
  ];
  for (const name of names) await unlink(join(dir, name)).catch(() => undefined);
  if (names.length > 0) await fsyncDir(dir);
}

/** Write all of `buf` at `position` (positioned writes may be partial). */
export async function writeFully(fh: FileHandle, buf: Buffer, position: number): Promise<void> {
  let done = 0;
  while (done < buf.length) {
    const { bytesWritten } = await fh.write(buf, done, buf.length - done, position + done);
    if (bytesWritten <= 0) throw new Error("write made no progress");
    done += bytesWritten;
  }
}

/** An append handle on one log file. */
export class Wal {
  readonly gen: number;
  private readonly fh: FileHandle;
  private size: number;

  private constructor(gen: number, fh: FileHandle, size: number) {
    this.gen = gen;
    this.fh = fh;
    this.size = size;
  }

  /**
   * Open log `gen` in `dir` for appending after its first `validBytes` bytes
   * (anything beyond is cut off and the cut made durable). A missing file is
   * created and the directory synced, so appends to it survive a crash.
   */
  static async open(dir: string, gen: number, validBytes: number, fsync: boolean): Promise<Wal> {
    const path = join(dir, walName(gen));
    // With fsync on, every write is durable when it returns (O_DSYNC): one
    // thread-pool operation per append instead of a write and an fdatasync.
    const dsync = fsync ? constants.O_DSYNC : 0;
    let fh: FileHandle;
    try {
      fh = await open(path, constants.O_RDWR | dsync);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
      fh = await open(path, constants.O_RDWR | constants.O_CREAT | constants.O_TRUNC | dsync, 0o666);
      await fh.sync();
      await fsyncDir(dir);
      return new Wal(gen, fh, 0);
    }
    try {
      const { size } = await fh.stat();
      if (size !== validBytes) {
        await fh.truncate(validBytes);
        await fh.sync();
      }
    } catch (err) {
      await fh.close();
      throw err;
    }
    return new Wal(gen, fh, validBytes);
  }

  /** Bytes in the log. */
  get bytes(): number {
    return this.size;
  }

  /** Append `buf` and, when fsync is on, wait until it is on stable storage (the file is opened O_DSYNC). */
  async append(buf: Buffer): Promise<void> {
    await writeFully(this.fh, buf, this.size);
    this.size += buf.length;
  }

  /** Sync and close the file. */
  async close(): Promise<void> {
    try {
      await this.fh.sync();
    } finally {
      await this.fh.close();
    }
  }
}
