/**
 * Watch fan-out benchmark: N concurrent watchers (default 1,000) on one
 * namespace's ConfigMaps while a writer creates 200 objects/s; measures the
 * delay from the start of each write to each watcher receiving its event.
 * Last line: the p99 delay.
 */
import { request } from "node:https";
import { adminClient, configMap, percentile, sleep, startServer } from "./lib.ts";

const watchers = Number(process.env.BENCH_WATCHERS ?? 1000);
const rate = Number(process.env.BENCH_RATE ?? 200);
const seconds = Number(process.env.BENCH_SECONDS ?? 5);

const server = await startServer();
const client = adminClient(server, watchers + 64);
const sent = new Map<string, number>();
const delays: number[] = [];
let received = 0;
try {
  await client.call("POST", "/api/v1/namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name: "fan" } });
  const list = JSON.parse((await client.call("GET", "/api/v1/namespaces/fan/configmaps")).body);
  const rv = list.metadata.resourceVersion;
  let open = 0;
  const reqs = Array.from({ length: watchers }, () => {
    const req = request(
      { host: "127.0.0.1", port: server.port, path: `/api/v1/namespaces/fan/configmaps?watch=1&resourceVersion=${rv}`, agent: client.agent, headers: { Accept: "application/json" } },
      (res) => {
        open++;
        let buf = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          const now = performance.now();
          buf += chunk;
          let nl;
          while ((nl = buf.indexOf("\n")) >= 0) {
            const line = buf.slice(0, nl);
            buf = buf.slice(nl + 1);
            const m = /"name":"(w-\d+)"/.exec(line);
            const t = m && sent.get(m[1]);
            if (t !== undefined && t !== null) {
              delays.push(now - t);
              received++;
            }
          }
        });
      },
    );
    req.on("error", () => undefined);
    req.end();
    return req;
  });
  for (let i = 0; i < 300 && open < watchers; i++) await sleep(100);
  if (open < watchers) throw new Error(`only ${open}/${watchers} watches opened`);
  const total = rate * seconds;
  const start = performance.now();
  const writes: Promise<unknown>[] = [];
  for (let i = 0; i < total; i++) {
    const wait = start + (i * 1000) / rate - performance.now();
    if (wait > 0) await sleep(wait);
    const name = `w-${i}`;
    sent.set(name, performance.now());
    writes.push(client.call("POST", "/api/v1/namespaces/fan/configmaps", configMap(name)));
  }
  await Promise.all(writes);
  for (let i = 0; i < 200 && received < total * watchers; i++) await sleep(100);
  for (const r of reqs) r.destroy();
  delays.sort((a, b) => a - b);
  console.log(`watch_events_expected: ${total * watchers} events`);
  console.log(`watch_events_received: ${received} events`);
  console.log(`watch_fanout_p50: ${percentile(delays, 50).toFixed(1)} ms`);
  console.log(`watch_fanout_p99: ${percentile(delays, 99).toFixed(1)} ms`);
} finally {
  client.agent.destroy();
  await server.stop();
}
