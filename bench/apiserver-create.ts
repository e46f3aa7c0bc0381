/**
 * Apiserver write path benchmark: ConfigMap create throughput with concurrent
 * HTTPS clients, create and get latency percentiles at a paced 100 creates/s,
 * and — for scale — the requests/s of a bare Node https server answering a
 * fixed JSON body with the same client. Last line: create throughput.
 */
import { readFileSync } from "node:fs";
import { createServer } from "node:https";
import { join } from "node:path";
import { adminClient, configMap, percentile, sleep, startServer } from "./lib.ts";

const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 64);
const seconds = Number(process.env.BENCH_SECONDS ?? 5);

async function closedLoop(fn: (i: number) => Promise<boolean>, ms: number): Promise<number> {
  let done = 0;
  let n = 0;
  const end = performance.now() + ms;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        if (await fn(n++)) done++;
      }
    }),
  );
  return done / ((performance.now() - t0) / 1000);
}

const server = await startServer();
const client = adminClient(server);
try {
  await client.call("POST", "/api/v1/namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name: "bench" } });
  const warm = await closedLoop(async (i) => (await client.call("POST", "/api/v1/namespaces/bench/configmaps", configMap(`warm-${i}`))).status === 201, 1000);
  const tput = await closedLoop(async (i) => (await client.call("POST", "/api/v1/namespaces/bench/configmaps", configMap(`cm-${i}`))).status === 201, seconds * 1000);

  const createLat: number[] = [];
  const getLat: number[] = [];
  const total = 100 * seconds;
  const start = performance.now();
  const pending: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const due = start + i * 10;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    pending.push(
      (async () => {
        const t = performance.now();
        const r = await client.call("POST", "/api/v1/namespaces/bench/configmaps", configMap(`paced-${i}`));
        if (r.status !== 201) throw new Error(`create failed: ${r.status} ${r.body}`);
        createLat.push(performance.now() - t);
        const t2 = performance.now();
        const g = await client.call("GET", `/api/v1/namespaces/bench/configmaps/paced-${i}`);
        if (g.status !== 200) throw new Error(`get failed: ${g.status} ${g.body}`);
        getLat.push(performance.now() - t2);
      })(),
    );
  }
  await Promise.all(pending);
  createLat.sort((a, b) => a - b);
  getLat.sort((a, b) => a - b);

  const tls = join(server.dataDir, "server", "tls");
  const body = JSON.stringify(configMap("fixed"));
  const bare = createServer({ key: readFileSync(join(tls, "serving.key")), cert: readFileSync(join(tls, "serving.crt")), keepAliveTimeout: 120_000 }, (_req, res) => {
    res.writeHead(200, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(body) });
    res.end(body);
  });
  await new Promise<void>((r) => bare.listen(0, "127.0.0.1", () => r()));
  const barePort = (bare.address() as { port: number }).port;
  const bareClient = adminClient({ port: barePort, dataDir: server.dataDir });
  const bareRps = await closedLoop(async () => (await bareClient.call("GET", "/")).status === 200, seconds * 1000);
  bare.close();
  bareClient.agent.destroy();

  console.log(`warmup_creates: ${warm.toFixed(0)} objects/s`);
  console.log(`create_latency_p50_at_100rps: ${percentile(createLat, 50).toFixed(2)} ms`);
  console.log(`create_latency_p99_at_100rps: ${percentile(createLat, 99).toFixed(2)} ms`);
  console.log(`get_latency_p50: ${percentile(getLat, 50).toFixed(2)} ms`);
  console.log(`get_latency_p99: ${percentile(getLat, 99).toFixed(2)} ms`);
  console.log(`bare_node_https_rps: ${bareRps.toFixed(0)} requests/s`);
  console.log(`apiserver_to_bare_ratio: ${(tput / bareRps).toFixed(2)} ratio`);
  console.log(`apiserver_create_throughput: ${tput.toFixed(0)} objects/s`);
} finally {
  client.agent.destroy();
  await server.stop();
}
