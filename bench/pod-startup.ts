/**
 * Pod startup latency on a real node: `tskube server` with its local agent
 * (kubelet + containerd + runc + CNI bridge), busybox (built in, so already
 * present; pull policy IfNotPresent) running `sleep 3600`. Each pod is timed
 * from the create request to the first watch event showing it Running with
 * its container running. Pods are created one at a time by default
 * (BENCH_CONCURRENCY=1): latency of a single pod start on an otherwise quiet
 * node, not throughput under a burst; the pods stay up, so the last ones
 * start next to ~50 running pods.
 *
 * For comparison, the same run times the runtime alone: RunPodSandbox (with
 * the same CNI network), CreateContainer and StartContainer for the same
 * image, straight over CRI (src/kubelet/cri/client.ts) on the agent's
 * containerd socket. One such raw start precedes each pod (interleaved, so
 * both see the same machine load and the same number of running sandboxes;
 * the kubelet ignores sandboxes without its labels); they are removed at the
 * end. The ratio pod p50 / CRI p50 shows what the control plane and the
 * kubelet add. A breakdown of the pod path uses containerd's own container
 * created/started timestamps: create → bound (apiserver + scheduler, seen by
 * the watch), bound → container created (the kubelet gets the pod, prepares,
 * RunPodSandbox, CreateContainer), created → started (StartContainer),
 * started → Running seen by the watch (relist, status write, watch).
 * One warm-up pod and one warm-up sandbox are not counted. Percentiles over
 * 50 samples: p99 is the slowest.
 *
 * Needs root, containerd, runc and the CNI plugins. Env: BENCH_PODS (default
 * 50), BENCH_CONCURRENCY (default 1), BENCH_PULL_POLICY (default
 * IfNotPresent; Always shows the cost of the pull attempt), BENCH_TIMEOUT_S
 * (per pod, default 60), BENCH_VERBOSE (per-pod samples on stderr). Last
 * line: `pod_startup_p50: N ms`.
 */
import { randomUUID } from "node:crypto";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { loadavg } from "node:os";
import type { ApiClient, WatchHandle } from "../src/client/index.ts";
import { connectCri, type CriClient } from "../src/kubelet/cri/client.ts";
import { percentile } from "./lib.ts";
import { adminApi, busyboxPod, cleanupNode, createNamespace, isRunning, nodeSkipReason, podsRes, shortDir, startNodeServer, waitNodeReady, type TskubeProc } from "./node-lib.ts";

const pods = Number(process.env.BENCH_PODS ?? 50);
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 1);
const timeoutMs = Number(process.env.BENCH_TIMEOUT_S ?? 60) * 1000;
const nodeName = "bench-node";
const ns = "bench";
const BUSYBOX = "docker.io/library/busybox:latest";

/** Wall-clock milliseconds with sub-millisecond resolution (comparable with containerd's timestamps). */
const wallMs = (): number => performance.timeOrigin + performance.now();
/** CRI int64 nanoseconds → epoch milliseconds (fractional). */
const nsMs = (v: unknown): number => Number(BigInt(String(v ?? 0)) / 1000n) / 1000;

const load0 = loadavg()[0].toFixed(1);
const skip = nodeSkipReason();
if (skip) {
  console.error(`pod-startup: skipped: ${skip}`);
  process.exit(1);
}

interface PodTimes {
  uid: string;
  created: number;
  bound?: number;
  running?: number;
}

interface RawTimes {
  total: number;
  sandbox: number;
  create: number;
  start: number;
}

/** Starts one sandbox + container straight over CRI (its sandbox id goes to `ids`) and returns the step durations. */
async function rawStart(cri: CriClient, imageRef: string, dir: string, name: string, ids: string[]): Promise<RawTimes> {
  const logDir = join(dir, name);
  mkdirSync(logDir, { recursive: true });
  const nsOpts = { network: "POD", pid: "CONTAINER", ipc: "POD" };
  // No io.kubernetes.pod.uid label: the kubelet ignores sandboxes without it.
  const sbConfig = {
    metadata: { name, uid: randomUUID(), namespace: "bench-raw", attempt: 0 },
    hostname: name,
    log_directory: logDir,
    dns_config: { servers: ["10.43.0.10"], searches: ["bench-raw.svc.cluster.local", "svc.cluster.local", "cluster.local"], options: ["ndots:5"] },
    linux: { cgroup_parent: "", security_context: { namespace_options: nsOpts } },
  };
  const t0 = performance.now();
  const sb = (await cri.runtime.RunPodSandbox({ config: sbConfig })).pod_sandbox_id;
  ids.push(sb);
  const t1 = performance.now();
  const config = { metadata: { name: "c", attempt: 0 }, image: { image: imageRef }, command: ["sleep", "3600"], log_path: "c/0.log", linux: { security_context: { namespace_options: nsOpts } } };
  const ctr = (await cri.runtime.CreateContainer({ pod_sandbox_id: sb, sandbox_config: sbConfig, config })).container_id;
  const t2 = performance.now();
  await cri.runtime.StartContainer({ container_id: ctr });
  const t3 = performance.now();
  return { total: t3 - t0, sandbox: t1 - t0, create: t2 - t1, start: t3 - t2 };
}

/** Stops and removes sandboxes started by rawStart. */
async function rawRemove(cri: CriClient, ids: string[]): Promise<void> {
  for (const id of ids.splice(0)) {
    await cri.runtime.StopPodSandbox({ pod_sandbox_id: id }).catch(() => undefined);
    await cri.runtime.RemovePodSandbox({ pod_sandbox_id: id }).catch(() => undefined);
  }
}

const dir = shortDir();
let server: (TskubeProc & { url: string }) | undefined;
let api: ApiClient | undefined;
let cri: CriClient | undefined;
let watch: WatchHandle | undefined;
const rawIds: string[] = [];
try {
  server = await startNodeServer(dir, nodeName, true);
  api = adminApi(dir, "bench-pod-startup");
  await waitNodeReady(api, nodeName);
  await createNamespace(api, ns);
  cri = connectCri(join(dir, "agent", "containerd", "containerd.sock"));

  const times = new Map<string, PodTimes>();
  const waiters = new Map<string, { ok: () => void; fail: (e: Error) => void }>();
  const rv = (await api.resource(podsRes).list(ns, { limit: 1 })).metadata.resourceVersion;
  let watchError: Error | undefined;
  watch = api.resource(podsRes).watch(ns, { resourceVersion: rv, timeoutSeconds: 3600 }, (ev) => {
    if (ev.type !== "ADDED" && ev.type !== "MODIFIED") return;
    const now = wallMs();
    const t = times.get(ev.object.metadata.name!);
    if (!t) return;
    if (t.bound === undefined && ev.object.spec?.nodeName) t.bound = now;
    if (t.running === undefined && isRunning(ev.object)) {
      t.running = now;
      waiters.get(ev.object.metadata.name!)?.ok();
    }
  });
  watch.done.then(
    () => (watchError = new Error("pod watch ended")),
    (err) => (watchError = err),
  );

  /** Creates one pod and resolves once the watch saw it Running. */
  const startPod = async (name: string): Promise<PodTimes> => {
    const running = new Promise<void>((ok, fail) => waiters.set(name, { ok, fail }));
    const t: PodTimes = { uid: "", created: wallMs() };
    times.set(name, t);
    const created = await api!.resource(podsRes).create(ns, busyboxPod(name, { app: "startup" }));
    t.uid = created.metadata.uid!;
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        running,
        new Promise<void>((_, fail) => (timer = setTimeout(() => fail(watchError ?? new Error(`pod ${name} not Running after ${timeoutMs / 1000} s`)), timeoutMs))),
      ]);
    } finally {
      clearTimeout(timer);
    }
    return t;
  };

  const imageRef = (await cri.image.ImageStatus({ image: { image: BUSYBOX } })).image?.id;
  if (!imageRef) throw new Error(`${BUSYBOX} is not present in the agent's containerd`);
  const rawDir = join(dir, "bench-raw");
  // Warm-up (not counted): one sandbox over CRI, one pod through the whole system.
  await rawStart(cri, imageRef, rawDir, "warm", rawIds);
  await startPod("warm-up");

  // Interleaved (a raw CRI start, then a pod), so both see the same load and the same number of running sandboxes.
  const raw: RawTimes[] = [];
  const results: PodTimes[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < pods) {
        const i = next++;
        raw.push(await rawStart(cri!, imageRef, rawDir, `raw-${i}`, rawIds));
        results.push(await startPod(`p-${i}`));
      }
    }),
  );
  await rawRemove(cri, rawIds);

  // containerd's own timestamps for each pod's container.
  const createdToStarted: number[] = [];
  const boundToCreated: number[] = [];
  const startedToRunning: number[] = [];
  for (const t of results) {
    const list = await cri.runtime.ListContainers({ filter: { label_selector: { "io.kubernetes.pod.uid": t.uid } } });
    const c = list.containers?.[0];
    if (!c) continue;
    const st = (await cri.runtime.ContainerStatus({ container_id: c.id })).status;
    const cCreated = nsMs(st.created_at);
    const cStarted = nsMs(st.started_at);
    boundToCreated.push(cCreated - t.bound!);
    createdToStarted.push(cStarted - cCreated);
    startedToRunning.push(t.running! - cStarted);
  }

  const sorted = (a: number[]): number[] => [...a].sort((x, y) => x - y);
  const total = sorted(results.map((t) => t.running! - t.created));
  const toBound = sorted(results.map((t) => t.bound! - t.created));
  const rawTotal = sorted(raw.map((r) => r.total));
  const ms = (v: number): string => `${v.toFixed(0)} ms`;
  const p = (a: number[], q: number): number => percentile(sorted(a), q);
  if (process.env.BENCH_VERBOSE) {
    const row = (a: number[]): string => a.map((v) => v.toFixed(0)).join(" ");
    console.error(`pod create→Running, in creation order (ms): ${row(results.map((t) => t.running! - t.created))}`);
    console.error(`raw CRI, in order (ms): ${row(raw.map((r) => r.total))}`);
    console.error(`bound→container created (ms): ${row(boundToCreated)}`);
  }
  console.log(`# load average (1 min) before ${load0}, after ${loadavg()[0].toFixed(1)} (other work on the machine skews the numbers)`);
  console.log(`# ${pods} pods, ${concurrency} at a time, busybox present (pull policy ${process.env.BENCH_PULL_POLICY ?? "IfNotPresent"}); a raw CRI sandbox + container before each pod`);
  console.log(`pod_startup_raw_cri_run_sandbox_p50: ${ms(p(raw.map((r) => r.sandbox), 50))}`);
  console.log(`pod_startup_raw_cri_create_container_p50: ${ms(p(raw.map((r) => r.create), 50))}`);
  console.log(`pod_startup_raw_cri_start_container_p50: ${ms(p(raw.map((r) => r.start), 50))}`);
  console.log(`pod_startup_raw_cri_p50: ${ms(percentile(rawTotal, 50))}`);
  console.log(`pod_startup_raw_cri_p99: ${ms(percentile(rawTotal, 99))}`);
  console.log(`pod_startup_create_to_bound_p50: ${ms(percentile(toBound, 50))}`);
  console.log(`pod_startup_bound_to_container_created_p50: ${ms(p(boundToCreated, 50))}`);
  console.log(`pod_startup_container_created_to_started_p50: ${ms(p(createdToStarted, 50))}`);
  console.log(`pod_startup_container_started_to_running_seen_p50: ${ms(p(startedToRunning, 50))}`);
  console.log(`pod_startup_ratio_to_raw_cri_p50: ${(percentile(total, 50) / percentile(rawTotal, 50)).toFixed(2)} x`);
  console.log(`pod_startup_ratio_to_raw_cri_p99: ${(percentile(total, 99) / percentile(rawTotal, 99)).toFixed(2)} x`);
  console.log(`pod_startup_p99: ${ms(percentile(total, 99))}`);
  console.log(`pod_startup_p50: ${ms(percentile(total, 50))}`);
} finally {
  watch?.stop();
  if (cri) await rawRemove(cri, rawIds);
  cri?.close();
  await cleanupNode({ api, namespaces: [ns], procs: [server], agentDirs: [dir], dirs: [dir] });
}
