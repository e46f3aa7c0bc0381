/**
 * End-to-end scheduler throughput: a real `tskube server` (apiserver,
 * scheduler and controller-manager in one process), N simulated nodes in a
 * `tskube sim-nodes` child process (4 CPU, 16Gi, 110 pods each; they also move
 * bound pods to Running, which loads the apiserver), and P pods created by two
 * worker threads with many concurrent POSTs (tskube's API client, HTTP/2).
 * The benchmark watches the pods and measures from the first create sent to
 * the last pod seen with spec.nodeName set (pods/s), plus per-pod create→bind
 * latency percentiles, the binding rate between the first and the last bind,
 * time to all Running,
 * the server's CPU seconds (also split by thread: apiserver, controller-manager,
 * scheduler, V8/libuv helpers), the simulator's and this process's CPU
 * seconds, the load average (the machine is shared) and peak RSS. The
 * headline number counts every pod: 10,000 / (last bind - first create sent),
 * while creates are still arriving (as upstream scheduler_perf measures).
 *
 * Workloads (as upstream scheduler_perf names them where they match):
 *   basic  — SchedulingBasic: 100m CPU / 100Mi requests, no affinity.
 *   spread — pods with a topologySpreadConstraint maxSkew 1 on
 *            kubernetes.io/hostname, whenUnsatisfiable DoNotSchedule, over
 *            their own label (upstream's TopologySpreading uses zones and
 *            maxSkew 5; hostname is the per-node, costlier variant).
 *
 * Env: BENCH_NODES (comma list, default 5000), BENCH_PODS (default 10000),
 * BENCH_WORKLOAD (comma list of basic,spread; default basic),
 * BENCH_CONCURRENCY (creates in flight, default 128), BENCH_HEARTBEAT_S
 * (simulated Lease period, default 60; the node monitor grace period is
 * raised to 10x it so nodes stay Ready), BENCH_TIMEOUT_S (per case, default
 * 300), BENCH_CPU_PROF (directory: the server writes a V8 CPU profile there). Each case runs on a fresh server. Run: node bench/scheduler-throughput.ts.
 * The last line is `scheduler_throughput_basic_5000_nodes: N pods/s` when that
 * case runs (it always runs last).
 */
import { readdirSync, readFileSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import { findResource } from "../src/api/resources.ts";
import type { KObject } from "../src/api/types.ts";
import { ApiClient, loadKubeconfig } from "../src/client/index.ts";
import { adminClient, cpuSeconds, peakRssMb, percentile, sleep, startServer, startSimNodes, type ServerProc, type SimNodesProc } from "./lib.ts";
import type { PodCreateJob, PodCreateResult } from "./pod-create-worker.ts";

const nodeCounts = (process.env.BENCH_NODES ?? "5000").split(",").map(Number);
const pods = Number(process.env.BENCH_PODS ?? 10_000);
const workloads = (process.env.BENCH_WORKLOAD ?? "basic").split(",") as Workload[];
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 128);
const heartbeatS = Number(process.env.BENCH_HEARTBEAT_S ?? 60);
const timeoutS = Number(process.env.BENCH_TIMEOUT_S ?? 300);
const profileDir = process.env.BENCH_CPU_PROF;
const threads = 2;
const podsRes = findResource("", "v1", "pods")!;

type Workload = "basic" | "spread";

function template(w: Workload): PodCreateJob["template"] {
  const spec: Record<string, unknown> = {
    terminationGracePeriodSeconds: 0,
    containers: [{ name: "pause", image: "registry.k8s.io/pause:3.10", resources: { requests: { cpu: "100m", memory: "100Mi" } } }],
  };
  if (w === "spread") {
    spec.topologySpreadConstraints = [
      { maxSkew: 1, topologyKey: "kubernetes.io/hostname", whenUnsatisfiable: "DoNotSchedule", labelSelector: { matchLabels: { app: "spread" } } },
    ];
  }
  return { apiVersion: "v1", kind: "Pod", metadata: { namespace: "bench", labels: { app: w } }, spec };
}

interface CaseResult {
  name: string;
  lines: string[];
}

async function runCase(w: Workload, nodes: number): Promise<CaseResult> {
  const name = `scheduler_throughput_${w}_${nodes}_nodes`;
  let server: ServerProc | undefined;
  let sim: SimNodesProc | undefined;
  let api: ApiClient | undefined;
  const workers: Worker[] = [];
  let watch: { stop(): void } | undefined;
  try {
    if (profileDir) process.env.NODE_OPTIONS = `--cpu-prof --cpu-prof-dir=${profileDir}`;
    try {
      server = await startServer(undefined, false, ["--kube-controller-manager-arg", `node-monitor-grace-period=${heartbeatS * 10}`]);
    } finally {
      if (profileDir) delete process.env.NODE_OPTIONS;
    }
    sim = await startSimNodes(server, ["--count", String(nodes), "--heartbeat-interval", String(heartbeatS)]);
    const admin = adminClient(server, 4);
    const ns = await admin.call("POST", "/api/v1/namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name: "bench" } });
    admin.agent.destroy();
    if (ns.status !== 201) throw new Error(`namespace: ${ns.status} ${ns.body}`);
    await sleep(2000);

    api = new ApiClient(loadKubeconfig(join(server.dataDir, "kubeconfig.yaml")), { userAgent: "bench-watch" });
    const podsApi = api.resource(podsRes);
    const rv = (await podsApi.list("bench", { limit: 1 })).metadata.resourceVersion;
    const boundAt = new Map<string, number>();
    const runningAt = new Map<string, number>();
    let lastRv = rv;
    let done!: () => void;
    const allRunning = new Promise<void>((r) => (done = r));
    const onEvent = (ev: { type: string; object: KObject }): void => {
      if (ev.type !== "ADDED" && ev.type !== "MODIFIED") return;
      const t = performance.timeOrigin + performance.now();
      const p = ev.object;
      lastRv = p.metadata.resourceVersion ?? lastRv;
      const n = p.metadata.name!;
      if (p.spec?.nodeName && !boundAt.has(n)) boundAt.set(n, t);
      if (p.status?.phase === "Running" && !runningAt.has(n)) {
        runningAt.set(n, t);
        if (runningAt.size === pods) done();
      }
    };
    const startWatch = (from: string): void => {
      const h = podsApi.watch("bench", { resourceVersion: from, timeoutSeconds: 3600 }, onEvent);
      watch = h;
      h.done.then(
        () => watch === h && runningAt.size < pods && startWatch(lastRv),
        () => watch === h && runningAt.size < pods && startWatch(lastRv),
      );
    };
    startWatch(rv);

    const cpu0 = cpuSeconds(server.proc.pid!);
    const threads0 = threadCpu(server.proc.pid!);
    const simCpu0 = cpuSeconds(sim.proc.pid!);
    const cpuAtStart = process.cpuUsage();
    const benchCpu0 = (cpuAtStart.user + cpuAtStart.system) / 1e6;
    const t0 = performance.timeOrigin + performance.now();
    const per = Math.ceil(pods / threads);
    const created = Promise.all(
      Array.from({ length: threads }, (_, i) => {
        const job: PodCreateJob = {
          dataDir: server!.dataDir,
          namespace: "bench",
          prefix: "pod",
          from: i * per,
          to: Math.min(pods, (i + 1) * per),
          concurrency: Math.ceil(concurrency / threads),
          template: template(w),
        };
        const wk = new Worker(join(import.meta.dirname, "pod-create-worker.ts"), { workerData: job });
        workers.push(wk);
        return new Promise<PodCreateResult & { endedAt: number }>((ok, fail) => {
          wk.once("message", (m: PodCreateResult) => ok({ ...m, endedAt: performance.timeOrigin + performance.now() }));
          wk.once("error", fail);
        });
      }),
    );
    const results = await created;
    const failed = results.reduce((a, r) => a + r.failed, 0);
    if (failed) throw new Error(`${failed} pod creates failed, first: ${results.find((r) => r.firstError)?.firstError}`);
    const sentAt = new Map<string, number>();
    results.forEach((r, i) => r.sentAt.forEach((t, j) => sentAt.set(`pod-${i * per + j}`, t)));
    const createdAt = Math.max(...results.map((r) => r.endedAt));

    const deadline = setTimeout(() => done(), timeoutS * 1000);
    let peak = 0;
    const poll = setInterval(() => (peak = Math.max(peak, peakRssMb(server!.proc.pid!))), 500);
    await allRunning;
    clearTimeout(deadline);
    clearInterval(poll);
    peak = Math.max(peak, peakRssMb(server.proc.pid!));
    const cpu = cpuSeconds(server.proc.pid!) - cpu0;
    const byThread = threadBreakdown(threads0, threadCpu(server.proc.pid!));
    const selfCpu = process.cpuUsage();
    const benchCpu = (selfCpu.user + selfCpu.system) / 1e6 - benchCpu0;
    const load = loadavg()[0];
    const simCpu = cpuSeconds(sim.proc.pid!) - simCpu0;
    const firstSent = Math.min(...sentAt.values());
    const binds = [...boundAt.values()].sort((a, b) => a - b);
    if (binds.length === 0) throw new Error(`${name}: no pod bound after ${timeoutS} s`);
    const complete = binds.length === pods;
    const lastBind = complete ? binds[binds.length - 1] : performance.timeOrigin + performance.now();
    const latency = [...boundAt].map(([n, t]) => t - sentAt.get(n)!).sort((a, b) => a - b);
    const lastRunning = runningAt.size ? Math.max(...runningAt.values()) : NaN;
    const total = (lastBind - firstSent) / 1000;
    const throughput = binds.length / total;
    const lines = [
      `${name}_create_rate: ${(pods / ((createdAt - t0) / 1000)).toFixed(0)} pods/s`,
      `${name}_bind_window_rate: ${(binds.length / ((lastBind - binds[0]) / 1000)).toFixed(0)} pods/s`,
      `${name}_bind_latency_p50: ${percentile(latency, 50).toFixed(0)} ms`,
      `${name}_bind_latency_p99: ${percentile(latency, 99).toFixed(0)} ms`,
      `${name}_all_running: ${((lastRunning - firstSent) / 1000).toFixed(1)} s`,
      `${name}_server_cpu: ${cpu.toFixed(1)} cpu-seconds`,
      `${name}_sim_nodes_cpu: ${simCpu.toFixed(1)} cpu-seconds`,
      `${name}_bench_cpu: ${benchCpu.toFixed(1)} cpu-seconds`,
      `# ${name} server cpu-seconds by thread: ${byThread}; 1-min load average at the end ${load.toFixed(1)}`,
      `${name}_server_peak_rss: ${peak.toFixed(0)} MB`,
      `${name}: ${throughput.toFixed(0)} pods/s`,
    ];
    if (runningAt.size < pods) lines.unshift(`# ${name}: INCOMPLETE: ${binds.length}/${pods} bound, ${runningAt.size} Running when the ${timeoutS} s limit hit; rates count the pods bound so far`);
    return { name, lines };
  } finally {
    watch?.stop();
    watch = undefined;
    for (const wk of workers) await wk.terminate();
    api?.close();
    await sim?.stop();
    await server?.stop();
  }
}

/** CPU seconds per thread of a process, keyed `<comm>#<tid>` (Linux /proc/<pid>/task). */
function threadCpu(pid: number): Map<string, number> {
  const out = new Map<string, number>();
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, "utf8");
        const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
        const comm = readFileSync(`/proc/${pid}/task/${tid}/comm`, "utf8").trim();
        out.set(`${comm}#${tid}`, (Number(f[11]) + Number(f[12])) / 100);
      } catch {
        // the thread ended
      }
    }
  } catch {
    // the process ended
  }
  return out;
}

/**
 * Where the server's CPU went between two threadCpu readings: the main thread
 * (apiserver), the component worker threads in start order (controller-manager,
 * then scheduler), and V8/libuv helper threads summed.
 */
function threadBreakdown(a: Map<string, number>, b: Map<string, number>): string {
  const rows: [string, number, number][] = [];
  let helpers = 0;
  for (const [k, v] of b) {
    const d = v - (a.get(k) ?? 0);
    const [comm, tid] = k.split("#");
    if (comm === "MainThread" || comm === "WorkerThread") rows.push([comm, Number(tid), d]);
    else helpers += d;
  }
  rows.sort((x, y) => x[1] - y[1]);
  const names = ["apiserver", "controller-manager", "scheduler"];
  return [...rows.map(([comm, , d], i) => `${names[i] ?? comm}=${d.toFixed(1)}`), `helpers=${helpers.toFixed(1)}`].join(" ");
}

const cases: [Workload, number][] = [];
for (const w of workloads) for (const n of nodeCounts) cases.push([w, n]);
cases.sort(([wa, na], [wb, nb]) => Number(wa === "basic" && na === 5000) - Number(wb === "basic" && nb === 5000));
console.log(`# ${pods} pods; nodes ${nodeCounts.join(",")}; workloads ${workloads.join(",")}; ${concurrency} creates in flight; sim Lease period ${heartbeatS} s; ${cases.length} case(s)`);
for (const [w, n] of cases) {
  const r = await runCase(w, n);
  for (const l of r.lines) console.log(l);
}
