/**
 * The controller worker loop, written once (controller-runtime style): workers
 * take keys from a WorkQueue, reconcile them, and requeue according to the
 * outcome.
 */
import type { WorkQueue } from "./workqueue.ts";

/** What a successful reconcile asks for: nothing, or another pass after a delay. */
export interface ReconcileResult {
  requeueAfterMs?: number;
}

/**
 * Runs `workers` concurrent loops. Each: get a key → reconcile → on success
 * forget it (and addAfter when requeueAfterMs > 0) → on a throw log and
 * addRateLimited → done() in every case. The queue guarantees a key is never
 * reconciled by two workers at once. Resolves once the queue is shut down,
 * drained, and every worker has finished its current key.
 */
export async function runWorkers<K>(
  queue: WorkQueue<K>,
  workers: number,
  reconcile: (key: K) => Promise<ReconcileResult | void>,
  log?: (msg: string, fields?: Record<string, unknown>) => void,
  signal?: AbortSignal,
): Promise<void> {
  if (signal) {
    if (signal.aborted) queue.shutDown();
    else signal.addEventListener("abort", () => queue.shutDown(), { once: true });
  }
  const worker = async (): Promise<void> => {
    for (;;) {
      const key = await queue.get();
      if (key === undefined) return;
      try {
        const res = await reconcile(key);
        queue.forget(key);
        if (res && res.requeueAfterMs !== undefined && res.requeueAfterMs > 0) queue.addAfter(key, res.requeueAfterMs);
      } catch (err) {
        log?.("reconcile failed", { key, requeues: queue.numRequeues(key), error: String((err as Error)?.message ?? err) });
        queue.addRateLimited(key);
      } finally {
        queue.done(key);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, workers) }, worker));
}
