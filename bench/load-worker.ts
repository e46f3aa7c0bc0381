/**
 * Load-generator worker thread for the apiserver benchmarks: runs a closed
 * loop of requests with `concurrency` in-flight requests for `ms`
 * milliseconds and reports how many succeeded.
 */
import { parentPort, workerData } from "node:worker_threads";
import { adminClient, configMap } from "./lib.ts";

export interface LoadJob {
  port: number;
  dataDir: string;
  concurrency: number;
  ms: number;
  /** "create": POST ConfigMaps named <prefix>-<n>; "get": GET path. */
  mode: "create" | "get";
  prefix: string;
  path: string;
}

const job = workerData as LoadJob;
const client = adminClient({ port: job.port, dataDir: job.dataDir }, job.concurrency);
let ok = 0;
let failed = 0;
let n = 0;
const end = performance.now() + job.ms;
await Promise.all(
  Array.from({ length: job.concurrency }, async () => {
    while (performance.now() < end) {
      const r = job.mode === "create" ? await client.call("POST", job.path, configMap(`${job.prefix}-${n++}`)) : await client.call("GET", job.path);
      if (r.status < 300) ok++;
      else failed++;
    }
  }),
);
client.agent.destroy();
parentPort!.postMessage({ ok, failed });
