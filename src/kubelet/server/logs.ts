/**
 * Container logs from CRI log files (`<RFC3339Nano> <stream> <P|F> <text>`
 * per line; `P` fragments of one long line are joined up to the `F` one):
 * tail, since, timestamps, byte limit and follow, with bounded reads and
 * back-pressure towards the HTTP client.
 */
import { open, stat, type FileHandle } from "node:fs/promises";
import type { Writable } from "node:stream";

/** One parsed CRI log line. */
export interface CriLogLine {
  /** The timestamp as written (RFC3339Nano). */
  time: string;
  stream: "stdout" | "stderr";
  /** True for a `P` fragment (the line continues in the next record). */
  partial: boolean;
  text: Buffer;
}

/** Parses one CRI log record (without its newline); undefined when malformed. */
export function parseCriLine(line: Buffer): CriLogLine | undefined {
  const s1 = line.indexOf(0x20);
  if (s1 <= 0) return undefined;
  const s2 = line.indexOf(0x20, s1 + 1);
  if (s2 < 0) return undefined;
  const stream = line.toString("latin1", s1 + 1, s2);
  if (stream !== "stdout" && stream !== "stderr") return undefined;
  let tag = "F";
  let textStart = s2 + 1;
  const s3 = line.indexOf(0x20, s2 + 1);
  const tagEnd = s3 < 0 ? line.length : s3;
  const maybeTag = line.toString("latin1", s2 + 1, tagEnd);
  if (maybeTag === "P" || maybeTag === "F" || /^[PF](:.*)?$/.test(maybeTag)) {
    tag = maybeTag[0];
    textStart = s3 < 0 ? line.length : s3 + 1;
  }
  return { time: line.toString("latin1", 0, s1), stream, partial: tag === "P", text: line.subarray(textStart) };
}

/** RFC3339(Nano) timestamp to epoch milliseconds (fractional), NaN when invalid. */
export function parseTimestamp(ts: string): number {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(ts);
  if (!m) return NaN;
  const base = Date.parse(`${m[1]}${m[3]}`);
  const frac = m[2] ? Number(`0.${m[2]}`) * 1000 : 0;
  return base + frac;
}

export interface LogOptions {
  follow?: boolean;
  /** Only the last N (joined) lines; 0 prints nothing of the existing log. */
  tailLines?: number;
  /** Skip lines older than this (epoch ms). */
  sinceMs?: number;
  timestamps?: boolean;
  limitBytes?: number;
}

export interface LogSource {
  path: string;
  /** For follow: false once the container has exited (the stream then ends after the last line). */
  isRunning(): Promise<boolean>;
}

const CHUNK = 64 * 1024;
const POLL_MS = 200;
const RUNNING_CHECK_MS = 1000;

/** Byte offset where the last `n` complete (F-terminated) lines of the file start. */
export async function tailOffset(fh: FileHandle, size: number, n: number): Promise<number> {
  if (n <= 0) return size;
  let pos = size;
  let fulls = 0;
  let carry = Buffer.alloc(0);
  const buf = Buffer.allocUnsafe(CHUNK);
  // Walk backwards over raw records; a logical line ends at each F record.
  while (pos > 0) {
    const len = Math.min(CHUNK, pos);
    pos -= len;
    const { bytesRead } = await fh.read(buf, 0, len, pos);
    const data = Buffer.concat([buf.subarray(0, bytesRead), carry]);
    let end = data.length;
    // Records are the pieces between newlines; the first piece may be incomplete (kept as carry).
    for (let i = data.length - 1; i >= 0; i--) {
      if (data[i] !== 0x0a) continue;
      const rec = data.subarray(i + 1, end);
      end = i;
      if (rec.length === 0) continue;
      const p = parseCriLine(rec);
      if (p && !p.partial) {
        fulls++;
        if (fulls === n + 1) return pos + i + 1 + rec.length + 1;
      }
    }
    carry = data.subarray(0, end);
  }
  if (carry.length) {
    const p = parseCriLine(carry);
    if (p && !p.partial && fulls + 1 === n + 1) return carry.length + 1;
  }
  return 0;
}

function waitDrain(out: Writable, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      out.off("drain", done);
      out.off("close", done);
      signal.removeEventListener("abort", done);
      resolve();
    };
    out.on("drain", done);
    out.on("close", done);
    signal.addEventListener("abort", done);
  });
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done);
  });

/**
 * Opens the log file. A missing file is an empty log, except when following
 * a container that has not written it yet (just created or starting): then
 * it waits for the file while the container may still run.
 */
async function openLog(src: LogSource, follow: boolean, signal: AbortSignal): Promise<FileHandle | undefined> {
  for (;;) {
    try {
      return await open(src.path, "r");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
    }
    if (!follow || signal.aborted || !(await src.isRunning().catch(() => false))) return undefined;
    await sleep(POLL_MS, signal);
  }
}

/**
 * Writes the container's log to `out` as `kubectl logs` shows it. Returns
 * when done (not following, container exited, limit reached, or `signal`
 * aborted because the client went away). Does not end `out`.
 */
export async function streamLogs(src: LogSource, o: LogOptions, out: Writable, signal: AbortSignal): Promise<void> {
  const fh0 = await openLog(src, !!o.follow, signal);
  if (!fh0) return;
  let fh: FileHandle = fh0;
  let ino = (await fh.stat()).ino;
  let written = 0;
  let atLineStart = true;
  let carry = Buffer.alloc(0);
  const limit = o.limitBytes ?? Infinity;
  const emit = async (b: Buffer): Promise<boolean> => {
    if (written >= limit) return false;
    const part = written + b.length > limit ? b.subarray(0, limit - written) : b;
    written += part.length;
    if (!out.write(part)) await waitDrain(out, signal);
    return written < limit && !signal.aborted && !out.destroyed;
  };
  const handleRecord = async (rec: Buffer): Promise<boolean> => {
    const p = parseCriLine(rec);
    if (!p) return true;
    if (o.sinceMs !== undefined && atLineStart && parseTimestamp(p.time) < o.sinceMs) {
      if (p.partial) skipping = true;
      return true;
    }
    if (skipping) {
      if (!p.partial) skipping = false;
      return true;
    }
    const parts: Buffer[] = [];
    if (o.timestamps && atLineStart) parts.push(Buffer.from(`${p.time} `));
    parts.push(p.text);
    if (!p.partial) parts.push(Buffer.from("\n"));
    atLineStart = !p.partial;
    return emit(Buffer.concat(parts));
  };
  let skipping = false;
  try {
    const size = (await fh.stat()).size;
    let pos = o.tailLines !== undefined ? await tailOffset(fh, size, o.tailLines) : 0;
    const buf = Buffer.allocUnsafe(CHUNK);
    let lastRunningCheck = 0;
    for (;;) {
      if (signal.aborted || out.destroyed) return;
      const { bytesRead } = await fh.read(buf, 0, CHUNK, pos);
      if (bytesRead > 0) {
        pos += bytesRead;
        let data = Buffer.concat([carry, buf.subarray(0, bytesRead)]);
        let nl: number;
        while ((nl = data.indexOf(0x0a)) >= 0) {
          if (!(await handleRecord(data.subarray(0, nl)))) return;
          data = data.subarray(nl + 1);
        }
        carry = Buffer.from(data);
        if (carry.length > 1024 * 1024) carry = Buffer.alloc(0); // a record without newline this long is not CRI
        continue;
      }
      if (!o.follow) return;
      // At the end of the file: rotated? container gone? else wait for more.
      const st = await stat(src.path).catch(() => undefined);
      if (st && (st.ino !== ino || st.size < pos)) {
        await fh.close();
        fh = await open(src.path, "r");
        ino = (await fh.stat()).ino;
        pos = 0;
        carry = Buffer.alloc(0);
        continue;
      }
      if (Date.now() - lastRunningCheck >= RUNNING_CHECK_MS) {
        lastRunningCheck = Date.now();
        if (!(await src.isRunning().catch(() => false))) {
          // One last read for lines written just before the exit.
          const { bytesRead: n } = await fh.read(buf, 0, CHUNK, pos);
          if (n > 0) continue;
          return;
        }
      }
      await sleep(POLL_MS, signal);
    }
  } finally {
    await fh.close().catch(() => undefined);
  }
}
