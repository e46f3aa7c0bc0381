/**
 * Deployment scale-up end to end: a real `tskube server` (apiserver,
 * scheduler, controller-manager in one process) and 100 simulated nodes in a
 * `tskube sim-nodes` child process (kubelet-like 10 s Lease period); one
 * Deployment of 1,000 replicas (100m CPU / 100Mi each) is created and the
 * benchmark watches its pods until all are Running and Ready, then until the
 * Deployment reports 1,000 ready replicas. Reports the seconds to both, the
 * control plane's CPU seconds (utime+stime of the server process) and peak
 * RSS (VmHWM) over the run, and the simulator's CPU seconds.
 *
 * Env: BENCH_REPLICAS (default 1000), BENCH_NODES (default 100),
 * BENCH_TIMEOUT_S (default 300), BENCH_CPU_PROF (directory: the server
 * writes a V8 CPU profile there). Run: node bench/deployment-1000.ts. The
 * last line is `deployment_1000_ready: N s`.
 */
import { join } from "node:path";
import { findResource } from "../src/api/resources.ts";
import type { KObject } from "../src/api/types.ts";
import { ApiClient, loadKubeconfig, type WatchHandle } from "../src/client/index.ts";
import { cpuSeconds, peakRssMb, sleep, startServer, startSimNodes, type ServerProc, type SimNodesProc } from "./lib.ts";

const replicas = Number(process.env.BENCH_REPLICAS ?? 1000);
const nodes = Number(process.env.BENCH_NODES ?? 100);
const timeoutS = Number(process.env.BENCH_TIMEOUT_S ?? 300);
const profileDir = process.env.BENCH_CPU_PROF;
const podsRes = findResource("", "v1", "pods")!;
const deploymentsRes = findResource("apps", "v1", "deployments")!;
const namespacesRes = findResource("", "v1", "namespaces")!;

function isReady(p: KObject): boolean {
  return p.status?.phase === "Running" && (p.status?.conditions ?? []).some((c: { type: string; status: string }) => c.type === "Ready" && c.status === "True");
}

let server: ServerProc | undefined;
let sim: SimNodesProc | undefined;
let api: ApiClient | undefined;
const watches: WatchHandle[] = [];
try {
  if (profileDir) process.env.NODE_OPTIONS = `--cpu-prof --cpu-prof-dir=${profileDir}`;
  try {
    server = await startServer();
  } finally {
    if (profileDir) delete process.env.NODE_OPTIONS;
  }
  sim = await startSimNodes(server, ["--count", String(nodes)]);
  api = new ApiClient(loadKubeconfig(join(server.dataDir, "kubeconfig.yaml")), { userAgent: "bench-deployment" });
  await api.resource(namespacesRes).create("", { apiVersion: "v1", kind: "Namespace", metadata: { name: "bench" } });
  await sleep(2000);

  const pid = server.proc.pid!;
  const ready = new Set<string>();
  let podsReadyAt = 0;
  let deploymentReadyAt = 0;
  let finish!: () => void;
  const finished = new Promise<void>((r) => (finish = r));
  const now = () => performance.now();
  const podsRv = (await api.resource(podsRes).list("bench", { limit: 1 })).metadata.resourceVersion;
  const depRv = (await api.resource(deploymentsRes).list("bench", { limit: 1 })).metadata.resourceVersion;
  watches.push(
    api.resource(podsRes).watch("bench", { resourceVersion: podsRv, timeoutSeconds: 3600 }, (ev) => {
      if (ev.type !== "ADDED" && ev.type !== "MODIFIED" && ev.type !== "DELETED") return;
      const n = ev.object.metadata.name!;
      if (ev.type !== "DELETED" && isReady(ev.object)) ready.add(n);
      else ready.delete(n);
      if (!podsReadyAt && ready.size >= replicas) {
        podsReadyAt = now();
        if (deploymentReadyAt) finish();
      }
    }),
    api.resource(deploymentsRes).watch("bench", { resourceVersion: depRv, timeoutSeconds: 3600 }, (ev) => {
      if (!deploymentReadyAt && ev.object.status?.readyReplicas === replicas && ev.object.status?.availableReplicas === replicas) {
        deploymentReadyAt = now();
        if (podsReadyAt) finish();
      }
    }),
  );
  const timer = setTimeout(finish, timeoutS * 1000);
  let peak = 0;
  const poll = setInterval(() => (peak = Math.max(peak, peakRssMb(pid))), 250);
  const cpu0 = cpuSeconds(pid);
  const simCpu0 = cpuSeconds(sim.proc.pid!);
  const t0 = now();
  await api.resource(deploymentsRes).create("bench", {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "web" },
    spec: {
      replicas,
      selector: { matchLabels: { app: "web" } },
      template: {
        metadata: { labels: { app: "web" } },
        spec: { containers: [{ name: "web", image: "registry.k8s.io/pause:3.10", resources: { requests: { cpu: "100m", memory: "100Mi" } } }] },
      },
    },
  });
  await finished;
  clearTimeout(timer);
  clearInterval(poll);
  const cpu = cpuSeconds(pid) - cpu0;
  const simCpu = cpuSeconds(sim.proc.pid!) - simCpu0;
  peak = Math.max(peak, peakRssMb(pid));
  if (!podsReadyAt || !deploymentReadyAt) throw new Error(`not ready after ${timeoutS} s: ${ready.size}/${replicas} pods Ready, deployment ${deploymentReadyAt ? "ready" : "not ready"}`);
  console.log(`# ${replicas} replicas on ${nodes} simulated nodes`);
  console.log(`deployment_${replicas}_deployment_status_ready: ${((deploymentReadyAt - t0) / 1000).toFixed(1)} s`);
  console.log(`deployment_${replicas}_server_cpu: ${cpu.toFixed(1)} cpu-seconds`);
  console.log(`deployment_${replicas}_sim_nodes_cpu: ${simCpu.toFixed(1)} cpu-seconds`);
  console.log(`deployment_${replicas}_server_peak_rss: ${peak.toFixed(0)} MB`);
  console.log(`deployment_${replicas}_ready: ${((podsReadyAt - t0) / 1000).toFixed(1)} s`);
} finally {
  for (const w of watches) w.stop();
  api?.close();
  await sim?.stop();
  await server?.stop();
}
