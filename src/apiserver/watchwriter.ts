/**
 * Coalescing writer for watch streams. Many watchers receive the same events;
 * writing each event to each socket separately costs one TLS record per event
 * per watcher. Writers queue their chunks and a shared flusher writes every
 * dirty stream at most once per `flushIntervalMs` (immediately when idle), so
 * under load several events share one write while an idle stream still sees
 * an event at once.
 */

/** Minimum time between two flushes of the shared flusher. */
export const flushIntervalMs = 15;

export interface ChunkSink {
  /** Writes the joined chunks; returns false when the stream should be closed (too slow). */
  writeChunks(chunks: (Buffer | string)[]): void;
}

const dirty = new Map<ChunkSink, (Buffer | string)[]>();
let scheduled = false;
let lastFlush = 0;

function flushAll(): void {
  scheduled = false;
  lastFlush = performance.now();
  const batch = [...dirty];
  dirty.clear();
  for (const [sink, chunks] of batch) sink.writeChunks(chunks);
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
