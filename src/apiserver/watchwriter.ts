/**
 * Coalescing writer for watch streams. Many watchers receive the same events;
 * writing each event to each socket separately costs one TLS record per event
 * per watcher. Writers queue their chunks and a shared flusher writes every
 * dirty stream at most once per `flushIntervalMs` (immediately when idle), so
 * under load several events share one write while an idle stream still sees
 * an event at once.
 *
 * A flush visits the streams dirty when it starts, at most `flushSliceSize`
 * per event-loop turn, so I/O callbacks (datastore commits, requests)
 * interleave with large fan-outs instead of waiting behind them. Each stream's
 * queue is taken when the stream is written, not when the flush starts: events
 * that arrive while a long flush is under way still reach the streams it has
 * not written yet, instead of waiting for the next flush. Streams of one slice
 * whose queues hold the same chunks (watchers of one collection without
 * selectors) share one HTTP-chunk-framed buffer.
 */

/** Minimum time between two flushes of the shared flusher. */
export const flushIntervalMs = 15;

/** Streams written per event-loop turn during a flush. */
export const flushSliceSize = 32;

export interface ChunkSink {
  /**
   * Writes one complete HTTP/1.1 chunk (`<hex length>\r\n<data>\r\n`) holding
   * the queued lines. The buffer is shared between sinks: never modify it.
   */
  writeFramed(framed: Buffer): void;
}

type Chunk = Buffer | string;

const dirty = new Map<ChunkSink, Chunk[]>();
const ids = new WeakMap<Buffer, number>();
let nextId = 1;
let scheduled = false;
let lastFlush = 0;

/** Identity of a queue's content: shared Buffers get stable ids, strings are never shared. */
function signature(chunks: Chunk[]): string {
  let sig = "";
  for (const c of chunks) {
    if (typeof c === "string") return "";
    let id = ids.get(c);
    if (id === undefined) ids.set(c, (id = nextId++));
    sig += `${id},`;
  }
  return sig;
}

/** Frames `chunks` as one HTTP chunk. */
export function frameChunk(chunks: Chunk[]): Buffer {
  const body = chunks.length === 1 && typeof chunks[0] !== "string" ? chunks[0] : Buffer.concat(chunks.map((c) => (typeof c === "string" ? Buffer.from(c) : c)));
  return Buffer.concat([Buffer.from(`${body.length.toString(16)}\r\n`), body, Buffer.from("\r\n")]);
}

function flushAll(): void {
  lastFlush = performance.now();
  writeSlices([...dirty.keys()], 0);
}

function writeSlices(sinks: ChunkSink[], from: number): void {
  const end = Math.min(sinks.length, from + flushSliceSize);
  const shared = new Map<string, Buffer>();
  for (let i = from; i < end; i++) {
    const sink = sinks[i];
    const chunks = dirty.get(sink);
    if (!chunks) continue;
    dirty.delete(sink);
    const sig = signature(chunks);
    let framed = sig ? shared.get(sig) : undefined;
    if (!framed) {
      framed = frameChunk(chunks);
      if (sig) shared.set(sig, framed);
    }
    sink.writeFramed(framed);
  }
  if (end < sinks.length) {
    setImmediate(writeSlices, sinks, end);
    return;
  }
  scheduled = false;
  if (dirty.size) schedule();
}

function schedule(): void {
  if (scheduled) return;
  scheduled = true;
  const wait = lastFlush + flushIntervalMs - performance.now();
  if (wait <= 0) setImmediate(flushAll);
  else setTimeout(flushAll, wait);
}

/** Queues `chunk` for `sink`; it is written with the next flush. */
export function enqueue(sink: ChunkSink, chunk: Chunk): void {
  let list = dirty.get(sink);
  if (!list) dirty.set(sink, (list = []));
  list.push(chunk);
  schedule();
}

/** Drops whatever is queued for `sink` (the stream closed). */
export function discard(sink: ChunkSink): void {
  dirty.delete(sink);
}
