/**
 * Apiserver start-up and memory benchmark: cold start of a fresh server (PKI
 * created), restart on existing data, RSS after start, and RSS after 10,000
 * ConfigMaps (then again after a restart that reloads them). Last line: RSS
 * with 10,000 ConfigMaps.
 */
import { rmSync } from "node:fs";
import { adminClient, configMap, rssMb, startServer } from "./lib.ts";

const objects = Number(process.env.BENCH_OBJECTS ?? 10_000);

const first = await startServer(undefined, true);
const dataDir = first.dataDir;
try {
  const rssStart = rssMb(first.proc.pid!);
  const client = adminClient(first, 64);
  await client.call("POST", "/api/v1/namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name: "mem" } });
  let next = 0;
  await Promise.all(
    Array.from({ length: 50 }, async () => {
      while (next < objects) {
        const i = next++;
        const r = await client.call("POST", "/api/v1/namespaces/mem/configmaps", configMap(`cm-${i}`));
        if (r.status !== 201) throw new Error(`create failed: ${r.status} ${r.body}`);
      }
    }),
  );
  const list = JSON.parse((await client.call("GET", "/api/v1/namespaces/mem/configmaps?limit=1")).body);
  if (list.metadata.remainingItemCount !== objects - 1) throw new Error(`expected ${objects} objects, list says ${list.metadata.remainingItemCount! + 1}`);
  const rssLoaded = rssMb(first.proc.pid!);
  client.agent.destroy();
  await first.stop();

  const second = await startServer(dataDir, true);
  const rssRestart = rssMb(second.proc.pid!);
  await second.stop();

  console.log(`cold_start_ready: ${first.readyMs.toFixed(0)} ms`);
  console.log(`restart_ready_with_${objects}_objects: ${second.readyMs.toFixed(0)} ms`);
  console.log(`rss_after_start: ${rssStart.toFixed(1)} MB`);
  console.log(`rss_after_restart_with_${objects}_configmaps: ${rssRestart.toFixed(1)} MB`);
  console.log(`apiserver_rss_10k_configmaps: ${rssLoaded.toFixed(1)} MB`);
} finally {
  rmSync(dataDir, { recursive: true, force: true });
}
