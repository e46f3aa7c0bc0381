/**
 * Helpers for the node-agent benchmarks (real containers: needs root,
 * containerd, runc and the CNI plugins): start `tskube server` with its local
 * agent or `tskube agent` as its own process, wait for the Node to be Ready,
 * busybox pod specs, and a cleanup that never leaves containers, mounts,
 * cgroups or the CNI bridge behind (`tskube killall`). Data directories are
 * short (/tmp/tskb-XXXXXX) because containerd's unix socket lives inside.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { findResource } from "../src/api/resources.ts";
import type { KObject } from "../src/api/types.ts";
import { tskubeNodeFlags } from "../src/cli/nodeflags.ts";
import { ApiClient, loadKubeconfig } from "../src/client/index.ts";
import { sleep } from "./lib.ts";

const root = resolve(import.meta.dirname, "..");
const tskube = join(root, "bin/tskube.mjs");
export const podsRes = findResource("", "v1", "pods")!;
export const nodesRes = findResource("", "v1", "nodes")!;
export const namespacesRes = findResource("", "v1", "namespaces")!;
export const serviceAccountsRes = findResource("", "v1", "serviceaccounts")!;

/** Why real containers cannot run here, or undefined. */
export function nodeSkipReason(): string | undefined {
  if (process.getuid?.() !== 0) return "needs root";
  for (const bin of ["containerd", "runc"]) {
    if (spawnSync(bin, ["--version"], { stdio: "ignore" }).status !== 0) return `${bin} missing (apt-get install containerd runc containernetworking-plugins)`;
  }
  if (!existsSync("/usr/lib/cni/bridge") && !existsSync("/opt/cni/bin/bridge")) return "CNI plugins missing (apt-get install containernetworking-plugins)";
  return undefined;
}

/** A new short data directory (the containerd socket path must stay under ~100 bytes). */
export function shortDir(): string {
  return mkdtempSync("/tmp/tskb-");
}

/** A `tskube` process and the lines it printed on stdout. */
export interface TskubeProc {
  proc: ChildProcess;
  dataDir: string;
  stdout(): string;
  /** SIGTERM (SIGKILL after 20 s) and wait for exit. */
  stop(): Promise<void>;
}

/** Spawns `node [flags] bin/tskube.mjs <args>` and resolves once stdout matches every pattern in `until`. */
export function spawnTskube(args: string[], dataDir: string, until: RegExp[], timeoutMs = 120_000): Promise<TskubeProc> {
  const nodeFlags = process.env.BENCH_NODE_FLAGS ? process.env.BENCH_NODE_FLAGS.split(" ") : [];
  // The flags of bin/tskube.mjs's shebang: an installed `tskube` runs with them.
  const proc = spawn(process.execPath, [...nodeFlags, ...tskubeNodeFlags(), tskube, ...args], {
    stdio: ["ignore", "pipe", process.env.BENCH_SERVER_STDERR ? "inherit" : "ignore"],
    env: { ...process.env, TSKUBE_LOG: process.env.TSKUBE_LOG ?? "warn" },
  });
  let out = "";
  proc.stdout!.on("data", (d) => (out += d));
  const handle: TskubeProc = {
    proc,
    dataDir,
    stdout: () => out,
    async stop() {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      const exited = new Promise((r) => proc.once("exit", r));
      proc.kill("SIGTERM");
      const t = setTimeout(() => proc.kill("SIGKILL"), 20_000);
      await exited;
      clearTimeout(t);
    },
  };
  return new Promise((ok, fail) => {
    const check = (): void => {
      if (until.every((re) => re.test(out))) {
        clearTimeout(timer);
        proc.stdout!.off("data", check);
        proc.off("exit", onExit);
        ok(handle);
      }
    };
    const onExit = (code: number | null): void => {
      clearTimeout(timer);
      fail(new Error(`tskube ${args[0]} exited (${code}) before it was ready; stdout:\n${out}`));
    };
    const timer = setTimeout(() => {
      proc.kill("SIGKILL");
      fail(new Error(`tskube ${args[0]} not ready in ${timeoutMs / 1000} s; stdout:\n${out}`));
    }, timeoutMs);
    proc.stdout!.on("data", check);
    proc.once("exit", onExit);
  });
}

/** `tskube server` on a free port; with `agent`, also its local node agent named `nodeName`. */
export async function startNodeServer(dataDir: string, nodeName: string, agent: boolean): Promise<TskubeProc & { url: string }> {
  const args = ["server", "--data-dir", dataDir, "--https-listen-port", "0", "--bind-address", "127.0.0.1"];
  if (agent) args.push("--node-name", nodeName, "--kubelet-arg", "port=0", "--kubelet-arg", "healthz-port=0");
  else args.push("--disable-agent");
  const until = [/apiserver ready on https:\/\/[^:\s]+:\d+/];
  if (agent) until.push(/agent running/);
  const s = await spawnTskube(args, dataDir, until);
  const url = /apiserver ready on (https:\/\/[^:\s]+:\d+)/.exec(s.stdout())![1];
  return { ...s, url };
}

/** `tskube agent` as its own process against `server`, state in `dataDir`. */
export function startAgentProc(server: { url: string; dataDir: string }, dataDir: string, nodeName: string): Promise<TskubeProc> {
  const args = ["agent", "--server", server.url, "--token-file", join(server.dataDir, "server", "token"), "--data-dir", dataDir, "--node-name", nodeName, "--kubelet-arg", "port=0", "--kubelet-arg", "healthz-port=0"];
  return spawnTskube(args, dataDir, [/tskube agent: node \S+ running/]);
}

/** An admin API client for a server's data directory. */
export function adminApi(serverDataDir: string, userAgent: string): ApiClient {
  return new ApiClient(loadKubeconfig(join(serverDataDir, "kubeconfig.yaml")), { userAgent });
}

/** Polls until `check` returns a truthy value; throws after `ms`. */
export async function waitFor<T>(what: string, ms: number, check: () => Promise<T | undefined | false>, everyMs = 200): Promise<T> {
  const deadline = performance.now() + ms;
  let last: unknown;
  while (performance.now() < deadline) {
    try {
      const v = await check();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    await sleep(everyMs);
  }
  throw new Error(`timed out after ${ms / 1000} s waiting for ${what}${last ? `: ${String((last as Error).message ?? last)}` : ""}`);
}

/** Waits until the Node reports Ready (it needs its pod CIDR from the controller-manager first). */
export function waitNodeReady(api: ApiClient, nodeName: string, ms = 120_000): Promise<KObject> {
  return waitFor(`node ${nodeName} Ready`, ms, async () => {
    const n = await api.resource(nodesRes).get("", nodeName);
    return (n.status?.conditions ?? []).some((c: { type: string; status: string }) => c.type === "Ready" && c.status === "True") && n;
  });
}

/** Creates namespace `ns` and waits for its default ServiceAccount (pods are rejected without it). */
export async function createNamespace(api: ApiClient, ns: string): Promise<void> {
  await api.resource(namespacesRes).create("", { apiVersion: "v1", kind: "Namespace", metadata: { name: ns } });
  await waitFor(`serviceaccount ${ns}/default`, 30_000, async () => !!(await api.resource(serviceAccountsRes).get(ns, "default")));
}

/** A busybox pod that sleeps (image built into the agent; pull policy IfNotPresent unless BENCH_PULL_POLICY says otherwise). */
export function busyboxPod(name: string, labels: Record<string, string> = {}): KObject {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, labels },
    spec: {
      terminationGracePeriodSeconds: 1,
      containers: [{ name: "c", image: "busybox", imagePullPolicy: process.env.BENCH_PULL_POLICY ?? "IfNotPresent", command: ["sleep", "3600"] }],
    },
  } as KObject;
}

export function isRunning(p: KObject): boolean {
  return p.status?.phase === "Running" && (p.status?.containerStatuses ?? []).every((c: { state?: { running?: unknown } }) => c.state?.running);
}

/**
 * Removes everything a node-agent benchmark started, whatever state it is
 * in: deletes the pods in `namespaces` (best effort, bounded), stops the
 * processes (agent before server), runs `tskube killall` on every data
 * directory that held an agent, and removes the directories.
 */
export async function cleanupNode(o: { api?: ApiClient; namespaces?: string[]; procs: (TskubeProc | undefined)[]; agentDirs: string[]; dirs: string[] }): Promise<void> {
  if (o.api) {
    for (const ns of o.namespaces ?? []) {
      try {
        const pods = await o.api.resource(podsRes).list(ns);
        await Promise.all(pods.items.map((p) => o.api!.resource(podsRes).delete(ns, p.metadata.name!, { gracePeriodSeconds: 0 }).catch(() => undefined)));
      } catch {
        /* the server may be gone already */
      }
    }
    o.api.close();
  }
  for (const p of o.procs) await p?.stop().catch(() => undefined);
  for (const dir of o.agentDirs) {
    const r = spawnSync(process.execPath, [tskube, "killall", "--data-dir", dir], { encoding: "utf8", timeout: 120_000 });
    if (r.status !== 0) process.stderr.write(`tskube killall --data-dir ${dir} failed (${r.status}): ${r.stderr}\n`);
  }
  for (const dir of o.dirs) rmSync(dir, { recursive: true, force: true });
}
