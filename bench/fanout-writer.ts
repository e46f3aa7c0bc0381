/**
 * Writer worker thread for the fan-out benchmark: creates `total` ConfigMaps
 * at `rate` per second, each carrying its start time (epoch milliseconds) in
 * the `sent` annotation, and reports the create latencies of the writes after
 * the first `warmup` ones, and the start time of the first of those.
 */
import { parentPort, workerData } from "node:worker_threads";
import { adminClient, sleep } from "./lib.ts";

interface Job {
  port: number;
  dataDir: string;
  rate: number;
  total: number;
  warmup: number;
}

const job = workerData as Job;
const client = adminClient({ port: job.port, dataDir: job.dataDir }, 64);
const latencies: number[] = [];
let failed = 0;
let measureFrom = Infinity;
const start = performance.now();
const writes: Promise<void>[] = [];
for (let i = 0; i < job.total; i++) {
  const wait = start + (i * 1000) / job.rate - performance.now();
  if (wait > 0) await sleep(wait);
  const t0 = performance.now();
  const sent = (performance.timeOrigin + t0).toFixed(3);
  if (i === job.warmup) measureFrom = Number(sent);
  const body = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: `w-${i}`, annotations: { sent } }, data: { k: "v" } };
  writes.push(
    client.call("POST", "/api/v1/namespaces/fan/configmaps", body).then((r) => {
      if (r.status !== 201) failed++;
      if (i >= job.warmup) latencies.push(performance.now() - t0);
    }),
  );
}
await Promise.all(writes);
client.agent.destroy();
parentPort!.postMessage({ latencies, failed, measureFrom });
