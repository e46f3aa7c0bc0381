/**
 * Apiserver start-up and memory benchmark: cold start of a fresh server (the
 * cluster PKI is created), a restart on existing data to /readyz, RSS after
 * that start, RSS after creating 10,000 ConfigMaps, and start time and RSS of
 * a restart that reloads them. Last line: RSS with 10,000 ConfigMaps.
 */
import { rmSync } from "node:fs";
import { adminClient, configMap, rssMb, startServer } from "./lib.ts";

const objects = Number(process.env.BENCH_OBJECTS ?? 10_000);

const cold = await startServer(undefined, true);
const dataDir = cold.dataDir;
try {
  await cold.stop();
  const warm = await startServer(dataDir, true);
  const rssStart = rssMb(warm.proc.pid!);
  const client = adminClient(warm, 64);
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
  if (list.metadata.remainingItemCount !== objects - 1) throw new Error(`expected ${objects} objects, list says ${list.metadata.remainingItemCount + 1}`);
  const rssLoaded = rssMb(warm.proc.pid!);
  client.agent.destroy();
  await warm.stop();

  const reloaded = await startServer(dataDir, true);
  const rssReloaded = rssMb(reloaded.proc.pid!);
  await reloaded.stop();

  console.log(`cold_start_ready_with_pki_creation: ${cold.readyMs.toFixed(0)} ms`);
  console.log(`start_ready: ${warm.readyMs.toFixed(0)} ms`);
  console.log(`start_ready_with_${objects}_objects: ${reloaded.readyMs.toFixed(0)} ms`);
  console.log(`rss_after_start: ${rssStart.toFixed(1)} MB`);
  console.log(`rss_after_restart_with_${objects}_configmaps: ${rssReloaded.toFixed(1)} MB`);
  console.log(`apiserver_rss_10k_configmaps: ${rssLoaded.toFixed(1)} MB`);
} finally {
  rmSync(dataDir, { recursive: true, force: true });
}
