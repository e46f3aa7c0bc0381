/**
 * Apiserver write path benchmark: ConfigMap create throughput with concurrent
 * HTTPS clients (load from two worker threads), create and get latency
 * percentiles at a paced 100 creates/s, and — for scale — the requests/s of a
 * bare Node https server (own process) answering a fixed JSON body to the same
 * load generator. Last line: create throughput.
 */
import { spawn } from "node:child_process";
import { join } from "node:path";
import { adminClient, configMap, percentile, runLoad, sleep, startServer } from "./lib.ts";

const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 64);
const seconds = Number(process.env.BENCH_SECONDS ?? 5);

async function paced(client: ReturnType<typeof adminClient>, total: number): Promise<{ create: number[]; get: number[] }> {
  const create: number[] = [];
  const get: number[] = [];
  const start = performance.now();
  const pending: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const wait = start + i * 10 - performance.now();
    if (wait > 0) await sleep(wait);
    pending.push(
      (async () => {
        const t = performance.now();
        const r = await client.call("POST", "/api/v1/namespaces/bench/configmaps", configMap(`paced-${i}`));
        if (r.status !== 201) throw new Error(`create failed: ${r.status} ${r.body}`);
        create.push(performance.now() - t);
        const t2 = performance.now();
        const g = await client.call("GET", `/api/v1/namespaces/bench/configmaps/paced-${i}`);
        if (g.status !== 200) throw new Error(`get failed: ${g.status} ${g.body}`);
        get.push(performance.now() - t2);
      })(),
    );
  }
  await Promise.all(pending);
  return { create: create.sort((a, b) => a - b), get: get.sort((a, b) => a - b) };
}

const server = await startServer();
const client = adminClient(server, 16);
try {
  await client.call("POST", "/api/v1/namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name: "bench" } });
  const base = { port: server.port, dataDir: server.dataDir, concurrency, path: "/api/v1/namespaces/bench/configmaps", mode: "create" as const };
  await runLoad({ ...base, ms: 1000, prefix: "warm" });
  const created = await runLoad({ ...base, ms: seconds * 1000, prefix: "cm" });
  if (created.failed) throw new Error(`${created.failed} creates failed`);
  const lat = await paced(client, 100 * seconds);

  const bare = spawn(process.execPath, [join(import.meta.dirname, "bare-server.ts"), join(server.dataDir, "server", "tls")], { stdio: ["ignore", "pipe", "inherit"] });
  const barePort = await new Promise<number>((ok) => bare.stdout!.once("data", (d) => ok(Number(String(d).trim()))));
  const bareRun = await runLoad({ ...base, port: barePort, mode: "get", path: "/", ms: seconds * 1000, prefix: "bare" });
  bare.kill("SIGTERM");

  console.log(`create_latency_p50_at_100rps: ${percentile(lat.create, 50).toFixed(2)} ms`);
  console.log(`create_latency_p99_at_100rps: ${percentile(lat.create, 99).toFixed(2)} ms`);
  console.log(`get_latency_p50: ${percentile(lat.get, 50).toFixed(2)} ms`);
  console.log(`get_latency_p99: ${percentile(lat.get, 99).toFixed(2)} ms`);
  console.log(`bare_node_https_rps: ${bareRun.rps.toFixed(0)} requests/s`);
  console.log(`apiserver_to_bare_ratio: ${(created.rps / bareRun.rps).toFixed(2)} ratio`);
  console.log(`apiserver_create_throughput: ${created.rps.toFixed(0)} objects/s`);
} finally {
  client.agent.destroy();
  await server.stop();
}
