/**
 * Pod-creating worker thread for the scheduler benchmarks: creates the pods
 * `<prefix>-<i>` for i in [from, to) from a template with `concurrency`
 * requests in flight and reports, per pod, the wall-clock time (epoch ms,
 * sub-millisecond) at which its create request was sent.
 */
import { parentPort, workerData } from "node:worker_threads";
import { adminClient } from "./lib.ts";

export interface PodCreateJob {
  port: number;
  dataDir: string;
  namespace: string;
  prefix: string;
  from: number;
  to: number;
  concurrency: number;
  /** Pod object without metadata.name (set per pod). */
  template: { metadata: Record<string, unknown> } & Record<string, unknown>;
}

export interface PodCreateResult {
  /** Create-sent times (epoch ms), index i - from. */
  sentAt: number[];
  failed: number;
  firstError?: string;
}

const job = workerData as PodCreateJob;
const client = adminClient({ port: job.port, dataDir: job.dataDir }, job.concurrency);
const path = `/api/v1/namespaces/${job.namespace}/pods`;
const sentAt = new Array<number>(job.to - job.from).fill(NaN);
let failed = 0;
let firstError: string | undefined;
let next = job.from;
await Promise.all(
  Array.from({ length: job.concurrency }, async () => {
    while (next < job.to) {
      const i = next++;
      const pod = { ...job.template, metadata: { ...job.template.metadata, name: `${job.prefix}-${i}` } };
      sentAt[i - job.from] = performance.timeOrigin + performance.now();
      const r = await client.call("POST", path, pod).catch((err: Error) => ({ status: 0, body: String(err) }));
      if (r.status !== 201) {
        failed++;
        firstError ??= `${r.status} ${r.body.slice(0, 300)}`;
      }
    }
  }),
);
client.agent.destroy();
parentPort!.postMessage({ sentAt, failed, firstError } satisfies PodCreateResult);
