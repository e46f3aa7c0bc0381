/**
 * Coalescing writer for watch streams. Many watchers receive the same events;
 * writing each event to each socket separately costs one TLS record per event
 * per watcher. Writers queue their chunks and a shared flusher writes every
 * dirty stream at most once per `flushIntervalMs` (immediately when idle), so
 * under load several events share one write while an idle stream still sees
 * an event at once. A flush writes at most `flushSliceSize` streams per event
 * loop turn, so I/O callbacks (datastore commits, requests) interleave with
 * large fan-outs instead of waiting behind them.
 */

/** Minimum time between two flushes of the shared flusher. */
export const flushIntervalMs = 15;

/** Streams written per event-loop turn during a flush. */
export const flushSliceSize = 128;

export interface ChunkSink {
  /** Writes the joined chunks; returns false when the stream should be closed (too slow). */
  writeChunks(chunks: (Buffer | string)[]): void;
}

const dirty = new Map<ChunkSink, (Buffer | string)[]>();
let scheduled = false;
let lastFlush = 0;

function flushAll(): void {
  lastFlush = performance.now();
  const batch = [...dirty];
  dirty.clear();
  writeSlices(batch, 0);
}

function writeSlices(batch: [ChunkSink, (Buffer | string)[]][], from: number): void {
  const end = Math.min(batch.length, from + flushSliceSize);
  for (let i = from; i < end; i++) batch[i][0].writeChunks(batch[i][1]);
  if (end < batch.length) {
    setImmediate(writeSlices, batch, end);
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
export function enqueue(sink: ChunkSink, chunk: Buffer | string): void {
  let list = dirty.get(sink);
  if (!list) dirty.set(sink, (list = []));
  list.push(chunk);
  schedule();
}

/** Drops whatever is queued for `sink` (the stream closed). */
export function discard(sink: ChunkSink): void {
  dirty.delete(sink);
}
