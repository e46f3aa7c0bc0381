/**
 * Pod-creating worker thread for the scheduler benchmarks: creates the pods
 * `<prefix>-<i>` for i in [from, to) from a template with `concurrency`
 * requests in flight and reports, per pod, the wall-clock time (epoch ms,
 * sub-millisecond) at which its create request was sent. It uses tskube's own
 * API client with the admin kubeconfig (one HTTP/2 connection, as a client-go
 * load generator such as upstream's scheduler_perf would).
 */
import { join } from "node:path";
import { parentPort, workerData } from "node:worker_threads";
import { findResource } from "../src/api/resources.ts";
import type { KObject } from "../src/api/types.ts";
import { ApiClient, loadKubeconfig } from "../src/client/index.ts";

export interface PodCreateJob {
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
const client = new ApiClient(loadKubeconfig(join(job.dataDir, "kubeconfig.yaml")), { userAgent: "bench-create" });
const pods = client.resource(findResource("", "v1", "pods")!);
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
      try {
        await pods.create(job.namespace, pod as unknown as KObject);
      } catch (err) {
        failed++;
        firstError ??= String(err).slice(0, 300);
      }
    }
  }),
);
client.close();
parentPort!.postMessage({ sentAt, failed, firstError } satisfies PodCreateResult);
