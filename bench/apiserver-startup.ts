/**
 * Apiserver start-up and memory benchmark: cold start of a fresh server (the
 * cluster PKI is created), a restart on existing data to ready, RSS after
 * that start, RSS after creating 10,000 ConfigMaps, and start time and RSS of
 * a restart that reloads them — for the apiserver alone (scheduler and
 * controller-manager disabled, the measure) and, for comparison, for
 * the whole composed server. Last line: apiserver RSS with 10,000 ConfigMaps.
 */
import { rmSync } from "node:fs";
import { adminClient, configMap, rssMb, startServer } from "./lib.ts";

const objects = Number(process.env.BENCH_OBJECTS ?? 10_000);

interface Result {
  coldMs: number;
  startMs: number;
  reloadMs: number;
  rssStart: number;
  rssLoaded: number;
  rssReloaded: number;
}

async function measure(extraArgs: string[]): Promise<Result> {
  const cold = await startServer(undefined, true, extraArgs);
  const dataDir = cold.dataDir;
  try {
    await cold.stop();
    const warm = await startServer(dataDir, true, extraArgs);
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
    const reloaded = await startServer(dataDir, true, extraArgs);
    const rssReloaded = rssMb(reloaded.proc.pid!);
    await reloaded.stop();
    return { coldMs: cold.readyMs, startMs: warm.readyMs, reloadMs: reloaded.readyMs, rssStart, rssLoaded, rssReloaded };
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

function report(prefix: string, r: Result): void {
  console.log(`${prefix}cold_start_ready_with_pki_creation: ${r.coldMs.toFixed(0)} ms`);
  console.log(`${prefix}start_ready: ${r.startMs.toFixed(0)} ms`);
  console.log(`${prefix}start_ready_with_${objects}_objects: ${r.reloadMs.toFixed(0)} ms`);
  console.log(`${prefix}rss_after_start: ${r.rssStart.toFixed(1)} MB`);
  console.log(`${prefix}rss_after_restart_with_${objects}_configmaps: ${r.rssReloaded.toFixed(1)} MB`);
  console.log(`${prefix}rss_with_${objects}_configmaps: ${r.rssLoaded.toFixed(1)} MB`);
}

const full = await measure([]);
report("server_", full);
const api = await measure(["--disable-scheduler", "--disable-controller-manager"]);
report("apiserver_", api);
console.log(`apiserver_rss_10k_configmaps: ${api.rssLoaded.toFixed(1)} MB`);
