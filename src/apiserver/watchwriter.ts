/**
 * Coalescing writer for watch streams. Many watchers receive the same events;
 * writing each event to each socket separately costs one TLS record per event
 * per watcher. Each watch response has an `Outlet`; a shared flusher writes
 * every outlet with something new at most once per flush interval
 * (immediately when idle), so under load several events share one write
 * while an idle stream still sees an event at once. The interval grows with
 * the cost of the last flush (see `maxFlushIntervalMs`).
 *
 * Watchers that receive identical bytes (same resource and version, same
 * collection, no selector: typically informers) join one `Broadcast`: an
 * event line is appended to it once, not queued once per watcher, and the
 * outlets of a broadcast that are at the same position share one buffer
 * (one per framing: HTTP/1.1 chunks or raw HTTP/2 data). An outlet may also
 * carry private lines (its initial events, replayed history, bookmarks); they
 * are written in order with the broadcast's lines, after every line the
 * broadcast had when they were pushed.
 *
 * A flush visits the outlets that have something new when it starts, at most
 * `flushSliceSize` per event-loop turn, so I/O callbacks (datastore commits,
 * requests) interleave with large fan-outs instead of waiting behind them.
 * Each outlet takes what is new when it is written, not when the flush
 * starts: events that arrive while a long flush is under way still reach the
 * outlets it has not written yet.
 */

/** Minimum time between two flushes of the shared flusher. */
export const flushIntervalMs = 15;

/**
 * Upper bound of the time between two flushes. Between the two bounds, the
 * interval is `flushWorkFactor` times the time the last flush spent writing,
 * so that flushing takes at most about 1/factor of the event loop however
 * many watchers there are: with many watchers each write carries more events
 * instead of the loop falling behind.
 */
export const maxFlushIntervalMs = 100;
const flushWorkFactor = 2;

/** Outlets written per event-loop turn during a flush. */
export const flushSliceSize = 32;

export interface ChunkSink {
  /**
   * True when the response is HTTP/1.1 chunked: each write is then one
   * complete chunk (`<hex length>\r\n<data>\r\n`). False for HTTP/2, where
   * writes are the raw body bytes (the stream frames them).
   */
  readonly chunked: boolean;
  /** Writes the queued lines, framed as `chunked` says. The buffer is shared between sinks: never modify it. */
  write(buf: Buffer): void;
}

type Chunk = Buffer | string;

/** Outlets with private chunks queued. */
const dirtyOutlets = new Set<Outlet>();
/** Broadcasts with lines that some member has not been written yet. */
const dirtyBroadcasts = new Set<Broadcast>();
let scheduled = false;
let lastFlush = 0;
/** Milliseconds the current flush has spent writing so far. */
let passWork = 0;
let interval = flushIntervalMs;
let pass = 0;

/** The bytes of `chunks`, joined. */
function joinChunks(chunks: Chunk[]): Buffer {
  return chunks.length === 1 && typeof chunks[0] !== "string" ? chunks[0] : Buffer.concat(chunks.map((c) => (typeof c === "string" ? Buffer.from(c) : c)));
}

/** Frames `chunks` as one HTTP/1.1 chunk. */
export function frameChunk(chunks: Chunk[]): Buffer {
  const body = joinChunks(chunks);
  return Buffer.concat([Buffer.from(`${body.length.toString(16)}\r\n`), body, Buffer.from("\r\n")]);
}

/** `chunks` as one write to a sink of the given framing. */
function encodeFor(chunked: boolean, chunks: Chunk[]): Buffer {
  return chunked ? frameChunk(chunks) : joinChunks(chunks);
}

/** A log of event lines shared by the outlets that joined it. */
export class Broadcast {
  /** Lines not yet written to every member; `lines[0]` has sequence number `base`. */
  private lines: Buffer[] = [];
  private base = 0;
  readonly members = new Set<Outlet>();
  /** The last range written in each framing (HTTP/1.1 chunked, raw), reused by members at the same position. */
  private framed: { from: number; to: number; buf: Buffer } | undefined;
  private raw: { from: number; to: number; buf: Buffer } | undefined;

  /** Sequence number the next appended line gets. */
  get end(): number {
    return this.base + this.lines.length;
  }

  /** Appends `line` for every member. */
  append(line: Buffer): void {
    if (this.members.size === 0) {
      this.base++;
      return;
    }
    this.lines.push(line);
    dirtyBroadcasts.add(this);
    schedule();
  }

  /** Lines with sequence numbers in [from, to). */
  range(from: number, to: number): Buffer[] {
    return this.lines.slice(from - this.base, to - this.base);
  }

  /** The lines in [from, end) in the given framing, shared by members at the same position. */
  bytesFrom(from: number, chunked: boolean): Buffer {
    const to = this.end;
    const memo = chunked ? this.framed : this.raw;
    if (memo && memo.from === from && memo.to === to) return memo.buf;
    const buf = encodeFor(chunked, this.range(from, to));
    if (chunked) this.framed = { from, to, buf };
    else this.raw = { from, to, buf };
    return buf;
  }

  /** Drops the lines every member has been written. */
  trim(): void {
    let min = this.end;
    for (const m of this.members) if (m.cursor < min) min = m.cursor;
    if (min > this.base) {
      this.lines.splice(0, min - this.base);
      this.base = min;
    }
    if (this.lines.length === 0) this.framed = this.raw = undefined;
  }
}

/** One watch response's place in the writer. */
export class Outlet {
  private readonly sink: ChunkSink;
  readonly broadcast: Broadcast | undefined;
  /** Sequence number of the next broadcast line this outlet needs. */
  cursor = 0;
  /** Private chunks, each with the broadcast position it goes before. */
  private queue: Chunk[] = [];
  private positions: number[] = [];
  private closed = false;
  /** Flush pass that last listed this outlet. */
  pass = 0;

  /** An outlet writing to `sink`; with `broadcast`, it receives its lines from now on. */
  constructor(sink: ChunkSink, broadcast?: Broadcast) {
    this.sink = sink;
    this.broadcast = broadcast;
    if (broadcast) {
      this.cursor = broadcast.end;
      broadcast.members.add(this);
    }
  }

  /** Queues a private chunk, after every broadcast line appended so far. */
  push(chunk: Chunk): void {
    if (this.closed) return;
    this.queue.push(chunk);
    this.positions.push(this.broadcast?.end ?? 0);
    dirtyOutlets.add(this);
    schedule();
  }

  /** Stops writing: drops whatever is queued and leaves the broadcast. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    dirtyOutlets.delete(this);
    this.queue = [];
    this.positions = [];
    if (this.broadcast) {
      this.broadcast.members.delete(this);
      this.broadcast.trim();
    }
  }

  /** Writes whatever is new since the last write, as one chunk. */
  write(): void {
    if (this.closed) return;
    const b = this.broadcast;
    const end = b ? b.end : 0;
    if (this.queue.length === 0) {
      if (!b || this.cursor === end) return;
      const buf = b.bytesFrom(this.cursor, this.sink.chunked);
      this.cursor = end;
      this.sink.write(buf);
      return;
    }
    const chunks: Chunk[] = [];
    let at = this.cursor;
    for (let i = 0; i < this.queue.length; i++) {
      if (b && this.positions[i] > at) {
        chunks.push(...b.range(at, this.positions[i]));
        at = this.positions[i];
      }
      chunks.push(this.queue[i]);
    }
    if (b && end > at) chunks.push(...b.range(at, end));
    this.cursor = end;
    this.queue = [];
    this.positions = [];
    dirtyOutlets.delete(this);
    this.sink.write(encodeFor(this.sink.chunked, chunks));
  }
}

function flushAll(): void {
  lastFlush = performance.now();
  passWork = 0;
  pass++;
  const list: Outlet[] = [];
  for (const o of dirtyOutlets) {
    o.pass = pass;
    list.push(o);
  }
  const broadcasts = [...dirtyBroadcasts];
  dirtyBroadcasts.clear();
  for (const b of broadcasts) {
    for (const o of b.members) {
      if (o.pass === pass) continue;
      o.pass = pass;
      list.push(o);
    }
  }
  writeSlices(list, broadcasts, 0);
}

function writeSlices(list: Outlet[], broadcasts: Broadcast[], from: number): void {
  const t0 = performance.now();
  const end = Math.min(list.length, from + flushSliceSize);
  for (let i = from; i < end; i++) list[i].write();
  passWork += performance.now() - t0;
  if (end < list.length) {
    setImmediate(writeSlices, list, broadcasts, end);
    return;
  }
  for (const b of broadcasts) b.trim();
  interval = Math.min(maxFlushIntervalMs, Math.max(flushIntervalMs, flushWorkFactor * passWork));
  scheduled = false;
  if (dirtyOutlets.size || dirtyBroadcasts.size) schedule();
}

function schedule(): void {
  if (scheduled) return;
  scheduled = true;
  const wait = lastFlush + interval - performance.now();
  if (wait <= 0) setImmediate(flushAll);
  else setTimeout(flushAll, wait);
}
