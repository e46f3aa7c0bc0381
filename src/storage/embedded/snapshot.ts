/**
 * Snapshot files of the embedded store: the live key space at one revision.
 *
 * A snapshot is a sequence of frames (frames.ts): a header carrying the
 * revision, the key count and the watch event at that revision (so a watch
 * can start exactly at the revision after a restart), then chunks of key
 * values as tuples, then a trailer repeating the count. It is written to a
 * `.tmp` file, synced, renamed into place and the directory synced, so a
 * snapshot file either is complete or does not exist. Snapshots are always
 * synced, even when the store runs with fsync off, because older logs are
 * deleted once a snapshot is in place.
 */
import { open, readFile, rename } from "node:fs/promises";
import { join } from "node:path";
import type { KeyValue, WatchEvent } from "../types.ts";
import { fsyncDir, snapName, writeFully } from "./files.ts";
import { CorruptionError, encodeFrame, scanFrames } from "./frames.ts";

const FORMAT = "tskube-embedded-snapshot/1";
const CHUNK = 1000;

type KvTuple = [key: string, value: string, createRevision: number, modRevision: number, version: number];

interface Header {
  format: string;
  rev: number;
  count: number;
  lastEvent?: WatchEvent;
}

/** Contents of a snapshot. */
export interface SnapshotData {
  /** Store revision the snapshot was taken at. */
  rev: number;
  /** Live keys at `rev`, sorted by key. */
  kvs: KeyValue[];
  /** The event at `rev` (absent only when `rev` is 0). */
  lastEvent?: WatchEvent;
}

/** Write `data` as snapshot generation `gen` in `dir`, atomically and durably. */
export async function writeSnapshot(dir: string, gen: number, data: SnapshotData): Promise<void> {
  const final = join(dir, snapName(gen));
  const tmp = `${final}.tmp`;
  const fh = await open(tmp, "w");
  try {
    const header: Header = { format: FORMAT, rev: data.rev, count: data.kvs.length };
    if (data.lastEvent) header.lastEvent = data.lastEvent;
    let pos = 0;
    const put = async (value: unknown): Promise<void> => {
      const frame = encodeFrame(value);
      await writeFully(fh, frame, pos);
      pos += frame.length;
    };
    await put(header);
    for (let i = 0; i < data.kvs.length; i += CHUNK) {
      const tuples: KvTuple[] = data.kvs
        .slice(i, i + CHUNK)
        .map((kv) => [kv.key, kv.value, kv.createRevision, kv.modRevision, kv.version]);
      await put({ kvs: tuples });
    }
    await put({ end: true, count: data.kvs.length });
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, final);
  await fsyncDir(dir);
}

/** Read snapshot generation `gen` from `dir`; throws CorruptionError if it is damaged. */
export async function readSnapshot(dir: string, gen: number): Promise<SnapshotData> {
  const name = snapName(gen);
  const scan = scanFrames(await readFile(join(dir, name)), name);
  const frames = scan.values as Array<Record<string, unknown>>;
  const header = frames[0] as unknown as Header | undefined;
  const trailer = frames[frames.length - 1];
  if (!scan.clean || !header || header.format !== FORMAT || frames.length < 2 || trailer.end !== true) {
    throw new CorruptionError(`${name}: incomplete or unknown snapshot`);
  }
  const kvs: KeyValue[] = [];
  for (let i = 1; i < frames.length - 1; i++) {
    for (const [key, value, createRevision, modRevision, version] of frames[i].kvs as KvTuple[]) {
      kvs.push({ key, value, createRevision, modRevision, version });
    }
  }
  if (kvs.length !== header.count || trailer.count !== header.count) {
    throw new CorruptionError(`${name}: expected ${header.count} keys, found ${kvs.length}`);
  }
  return { rev: header.rev, kvs, lastEvent: header.lastEvent };
}
