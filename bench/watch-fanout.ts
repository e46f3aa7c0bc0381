/**
 * Watch fan-out benchmark: N concurrent watchers (default 1,000, spread over
 * two worker threads) on one namespace's ConfigMaps while a writer creates
 * 200 objects/s; measures the delay from the start of each write to each
 * watcher receiving its event. The first BENCH_WARMUP_S seconds of writes
 * (default 1) warm up the server's and the generator's JIT-compiled paths:
 * every watcher must still receive their events, but their delays are
 * reported apart (p99 including them is printed too). Last line: the
 * steady-state p99 delay over the BENCH_SECONDS (default 5) that follow.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import { adminClient, cpuSeconds, percentile, sleep, startServer } from "./lib.ts";

const watchers = Number(process.env.BENCH_WATCHERS ?? 1000);
const rate = Number(process.env.BENCH_RATE ?? 200);
const seconds = Number(process.env.BENCH_SECONDS ?? 5);
const warmupSeconds = Number(process.env.BENCH_WARMUP_S ?? 1);
const warmup = Math.round(rate * warmupSeconds);
const total = warmup + rate * seconds;
const threads = Number(process.env.BENCH_THREADS ?? 2);

/** System CPU time of a process in seconds (Linux /proc/<pid>/stat). */
function sysSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[12]) / 100;
}

const server = await startServer();
const client = adminClient(server, 64);
const workers: Worker[] = [];
try {
  await client.call("POST", "/api/v1/namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name: "fan" } });
  const rv = JSON.parse((await client.call("GET", "/api/v1/namespaces/fan/configmaps")).body).metadata.resourceVersion;
  const path = `/api/v1/namespaces/fan/configmaps?watch=1&resourceVersion=${rv}`;
  const opened: Promise<unknown>[] = [];
  for (let i = 0; i < threads; i++) {
    const count = Math.floor(watchers / threads) + (i < watchers % threads ? 1 : 0);
    const w = new Worker(join(import.meta.dirname, "watch-worker.ts"), { workerData: { port: server.port, dataDir: server.dataDir, count, path, expected: total } });
    workers.push(w);
    opened.push(new Promise((ok, fail) => {
      w.once("message", ok);
      w.once("error", fail);
    }));
  }
  const guard = setTimeout(() => {
    console.error("watches did not open in 60 s");
    process.exit(1);
  }, 60_000);
  await Promise.all(opened);
  clearTimeout(guard);
  const serverCpu0 = cpuSeconds(server.proc.pid!);
  const serverSys0 = sysSeconds(server.proc.pid!);
  const benchCpu0 = process.cpuUsage();
  const writer = new Worker(join(import.meta.dirname, "fanout-writer.ts"), { workerData: { port: server.port, dataDir: server.dataDir, rate, total, warmup } });
  const { latencies: writeLatency, failed, measureFrom } = await new Promise<{ latencies: number[]; failed: number; measureFrom: number }>((ok, fail) => {
    writer.once("message", ok);
    writer.once("error", fail);
  });
  if (failed) throw new Error(`${failed} writes failed`);
  await sleep(3000);
  const serverCpu = cpuSeconds(server.proc.pid!) - serverCpu0;
  const serverSys = sysSeconds(server.proc.pid!) - serverSys0;
  const benchCpuUs = process.cpuUsage(benchCpu0);
  const benchCpu = (benchCpuUs.user + benchCpuUs.system) / 1e6;
  const delays: number[] = [];
  const all: number[] = [];
  let reads = 0;
  let short = 0;
  await Promise.all(
    workers.map(
      (w) =>
        new Promise<void>((ok) => {
          w.on("message", (m: { delays?: Float64Array; sents?: Float64Array; reads?: number; perWatcher?: number[] }) => {
            if (m.delays && m.sents) {
              reads += m.reads ?? 0;
              for (const n of m.perWatcher ?? []) if (n !== total) short++;
              for (let k = 0; k < m.delays.length; k++) {
                all.push(m.delays[k]);
                if (m.sents[k] >= measureFrom) delays.push(m.delays[k]);
              }
              ok();
            }
          });
          w.postMessage("stop");
        }),
    ),
  );
  delays.sort((a, b) => a - b);
  all.sort((a, b) => a - b);
  writeLatency.sort((a, b) => a - b);
  console.log(`create_latency_p50_during_fanout: ${percentile(writeLatency, 50).toFixed(1)} ms`);
  console.log(`create_latency_p99_during_fanout: ${percentile(writeLatency, 99).toFixed(1)} ms`);
  console.log(`watch_events_expected: ${total * watchers} events`);
  console.log(`watch_events_received: ${all.length} events (${delays.length} after the warm-up)`);
  console.log(`server_cpu_during_fanout: ${serverCpu.toFixed(2)} s (system ${serverSys.toFixed(2)} s)`);
  console.log(`load_generator_cpu_during_fanout: ${benchCpu.toFixed(2)} s (system ${(benchCpuUs.system / 1e6).toFixed(2)} s)`);
  console.log(`watchers_missing_events: ${short} watchers`);
  console.log(`watch_reads_per_watcher: ${(reads / watchers).toFixed(0)} reads`);
  console.log(`watch_fanout_p99_including_warmup: ${percentile(all, 99).toFixed(1)} ms`);
  console.log(`watch_fanout_p50: ${percentile(delays, 50).toFixed(1)} ms`);
  console.log(`watch_fanout_p99: ${percentile(delays, 99).toFixed(1)} ms`);
} finally {
  for (const w of workers) await w.terminate();
  client.agent.destroy();
  await server.stop();
}
