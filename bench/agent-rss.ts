/**
 * Node agent memory: `tskube agent` (kubelet; containerd is its child
 * process) runs as its own process against a `tskube server
 * --disable-agent`, so its resident memory is read from /proc/<pid>/status
 * apart from the server's — without containerd and the shims, which are
 * separate processes (their RSS is printed for information). Both run with
 * the Node.js flags of bin/tskube.mjs's shebang, like an installed `tskube`.
 *
 * Measured twice: idle (node Ready, no pods) and with 50 busybox pods
 * (`sleep 3600`, image built in) Running. Each value is the mean of VmRSS
 * samples taken every 500 ms over BENCH_SAMPLE_S seconds after the node has
 * settled for BENCH_SETTLE_S seconds (so the 10 s pod resync, 1 s relist and
 * node status loops have all run and the GC sawtooth is averaged); the peak
 * (VmHWM) over the whole run is printed too, and, for information, the
 * anonymous part of the RSS (V8 heap, malloc; VmRSS also counts the pages of
 * the mapped node binary, ~50 MB, which every node process on the machine
 * shares) and the agent's CPU use over the same windows.
 *
 * Needs root, containerd, runc and the CNI plugins. Env: BENCH_PODS (default
 * 50), BENCH_CONCURRENCY (pod creates in flight, default 5), BENCH_SETTLE_S
 * (default 20), BENCH_SAMPLE_S (default 10), BENCH_TIMEOUT_S (all pods
 * Running, default 300). Last line: `agent_rss_50_pods: N MB`.
 */
import { readdirSync, readFileSync } from "node:fs";
import { loadavg } from "node:os";
import type { ApiClient } from "../src/client/index.ts";
import { cpuSeconds, peakRssMb, rssMb, sleep } from "./lib.ts";
import { adminApi, busyboxPod, cleanupNode, createNamespace, isRunning, nodeSkipReason, podsRes, shortDir, startAgentProc, startNodeServer, waitFor, waitNodeReady, type TskubeProc } from "./node-lib.ts";

const pods = Number(process.env.BENCH_PODS ?? 50);
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 5);
const settleS = Number(process.env.BENCH_SETTLE_S ?? 20);
const sampleS = Number(process.env.BENCH_SAMPLE_S ?? 10);
const timeoutS = Number(process.env.BENCH_TIMEOUT_S ?? 300);
const nodeName = "bench-rss";
const ns = "bench";

const load0 = loadavg()[0].toFixed(1);
const skip = nodeSkipReason();
if (skip) {
  console.error(`agent-rss: skipped: ${skip}`);
  process.exit(1);
}

/** Anonymous resident memory of `pid` in MB (heap, malloc; not the mapped node binary, which other node processes share). */
function anonMb(pid: number): number {
  const m = /^Anonymous:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, "utf8"));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** Means of VmRSS and anonymous RSS of `pid` over `seconds` (sampled every 500 ms), and its CPU use meanwhile (% of one core). */
async function sample(pid: number, seconds: number): Promise<{ rss: number; anon: number; cpu: number }> {
  const rss: number[] = [];
  const anon: number[] = [];
  const cpu0 = cpuSeconds(pid);
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  while (performance.now() < end) {
    rss.push(rssMb(pid));
    anon.push(anonMb(pid));
    await sleep(500);
  }
  const mean = (a: number[]): number => a.reduce((x, y) => x + y, 0) / a.length;
  return { rss: mean(rss), anon: mean(anon), cpu: ((cpuSeconds(pid) - cpu0) / ((performance.now() - t0) / 1000)) * 100 };
}

/** RSS in MB of the agent's containerd (its child) and of the shims serving that containerd. */
function runtimeRss(agentPid: number, agentDir: string): { containerd: number; shims: number; shimCount: number } {
  let containerd = 0;
  let shims = 0;
  let shimCount = 0;
  for (const e of readdirSync("/proc")) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const status = readFileSync(`/proc/${e}/status`, "utf8");
      const name = /^Name:\s+(\S+)/m.exec(status)?.[1] ?? "";
      const ppid = Number(/^PPid:\s+(\d+)/m.exec(status)?.[1]);
      const rss = Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? 0) / 1024;
      if (name === "containerd" && ppid === agentPid) containerd += rss;
      else if (name.startsWith("containerd-shim") && readFileSync(`/proc/${e}/cmdline`, "utf8").includes(agentDir)) {
        shims += rss;
        shimCount++;
      }
    } catch {
      /* the process went away */
    }
  }
  return { containerd, shims, shimCount };
}

const serverDir = shortDir();
const agentDir = shortDir();
let server: (TskubeProc & { url: string }) | undefined;
let agent: TskubeProc | undefined;
let api: ApiClient | undefined;
try {
  server = await startNodeServer(serverDir, "", false);
  agent = await startAgentProc(server, agentDir, nodeName);
  const pid = agent.proc.pid!;
  api = adminApi(serverDir, "bench-agent-rss");
  await waitNodeReady(api, nodeName);
  await createNamespace(api, ns);

  await sleep(settleS * 1000);
  const idle = await sample(pid, sampleS);
  const idleRuntime = runtimeRss(pid, agentDir);

  const t0 = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < pods) await api!.resource(podsRes).create(ns, busyboxPod(`p-${next++}`, { app: "rss" }));
    }),
  );
  await waitFor(`${pods} pods Running`, timeoutS * 1000, async () => (await api!.resource(podsRes).list(ns)).items.filter(isRunning).length >= pods, 500);
  const startS = (performance.now() - t0) / 1000;
  await sleep(settleS * 1000);
  const loaded = await sample(pid, sampleS);
  const loadedRuntime = runtimeRss(pid, agentDir);
  const peak = peakRssMb(pid);
  if ((await api.resource(podsRes).list(ns)).items.filter(isRunning).length < pods) throw new Error("pods stopped running during the measurement");

  console.log(`# load average (1 min) before ${load0}, after ${loadavg()[0].toFixed(1)} (other work on the machine skews the numbers)`);
  console.log(`# tskube agent process only (kubelet); containerd and shims are separate processes, shown for information`);
  console.log(`agent_pods_running_after: ${startS.toFixed(1)} s`);
  console.log(`agent_containerd_rss_idle: ${idleRuntime.containerd.toFixed(1)} MB`);
  console.log(`agent_containerd_rss_${pods}_pods: ${loadedRuntime.containerd.toFixed(1)} MB`);
  console.log(`agent_shims_rss_${pods}_pods: ${loadedRuntime.shims.toFixed(1)} MB (${loadedRuntime.shimCount} shims)`);
  console.log(`agent_cpu_idle: ${idle.cpu.toFixed(1)} % of a core`);
  console.log(`agent_cpu_${pods}_pods: ${loaded.cpu.toFixed(1)} % of a core`);
  console.log(`agent_rss_anonymous_idle: ${idle.anon.toFixed(1)} MB`);
  console.log(`agent_rss_anonymous_${pods}_pods: ${loaded.anon.toFixed(1)} MB`);
  console.log(`agent_rss_peak: ${peak.toFixed(1)} MB`);
  console.log(`agent_rss_idle: ${idle.rss.toFixed(1)} MB`);
  console.log(`agent_rss_${pods}_pods: ${loaded.rss.toFixed(1)} MB`);
} finally {
  await cleanupNode({ api, namespaces: [ns], procs: [agent, server], agentDirs: [agentDir], dirs: [agentDir, serverDir] });
}
