/**
 * End-to-end harness: starts a real `tskube server` process on a free port in
 * a temporary data directory and runs the real kubectl against it with a
 * fresh HOME (so no discovery cache leaks between runs). Everything it starts
 * is stopped and removed by `stop()`.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tskubeNodeFlags } from "../../src/cli/nodeflags.ts";
import { mountsUnder, pidsMentioning } from "../../src/machinery/hostcleanup.ts";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const root = resolve(import.meta.dirname, "../..");

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** A running `tskube sim-nodes` process. */
export interface SimNodes {
  proc: ChildProcess;
  /** Stops the simulated kubelets (SIGKILL when hard): their nodes stop heartbeating. */
  stop(hard?: boolean): Promise<void>;
}

export interface Cluster {
  dataDir: string;
  kubeconfig: string;
  port: number;
  proc: ChildProcess;
  /** Runs kubectl with the cluster's kubeconfig; never throws on a non-zero exit. */
  kubectl(args: string[], opts?: { input?: string; env?: Record<string, string>; timeoutMs?: number }): KubectlResult;
  /** Starts kubectl in the background (for -w). */
  kubectlSpawn(args: string[]): ChildProcess;
  /** Stops the server (SIGTERM, or SIGKILL with hard=true) and waits for it. */
  stopServer(hard?: boolean): Promise<void>;
  /** Starts the server again on the same data directory and port. */
  restartServer(): Promise<void>;
  /** Starts `tskube sim-nodes` with `args` and waits until the nodes are registered. */
  simNodes(args: string[]): Promise<SimNodes>;
  /** Stops everything and removes the temporary directories. */
  stop(): Promise<void>;
}

/** Options of startCluster. */
export interface ClusterOptions {
  /** Run the server's local node agent (kubelet + containerd) instead of --disable-agent. */
  agent?: boolean;
}

function startProcess(dataDir: string, port: number, extraArgs: string[], opts: ClusterOptions): Promise<{ proc: ChildProcess; port: number }> {
  const agentArgs = opts.agent ? [] : ["--disable-agent"];
  const proc = spawn(
    process.execPath,
    [...tskubeNodeFlags(), join(root, "bin/tskube.mjs"), "server", "--data-dir", dataDir, "--https-listen-port", String(port), "--bind-address", "127.0.0.1", ...agentArgs, ...extraArgs],
    // Cached objects are frozen so that any code modifying a shared one fails the test.
    { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, TSKUBE_LOG: process.env.TSKUBE_LOG ?? "warn", TSKUBE_DEBUG_FREEZE_CACHE: "1" } },
  );
  return new Promise((resolveStart, reject) => {
    let out = "";
    let err = "";
    const timer = setTimeout(() => {
      proc.kill("SIGKILL");
      reject(new Error(`server did not become ready in 30 s\nstdout: ${out}\nstderr: ${err}`));
    }, 30_000);
    proc.stderr!.on("data", (d) => {
      err += d;
      if (process.env.TSKUBE_E2E_VERBOSE) process.stderr.write(d);
    });
    proc.stdout!.on("data", (d) => {
      out += d;
      const m = /apiserver ready on https:\/\/[^:]+:(\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolveStart({ proc, port: Number(m[1]) });
      }
    });
    proc.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code} before ready\nstdout: ${out}\nstderr: ${err}`));
    });
  });
}

/** Starts a fresh single-server cluster. */
export async function startCluster(extraArgs: string[] = [], opts: ClusterOptions = {}): Promise<Cluster> {
  const dataDir = mkdtempSync(join(tmpdir(), "tskube-e2e-"));
  const home = mkdtempSync(join(tmpdir(), "tskube-home-"));
  let { proc, port } = await startProcess(dataDir, 0, extraArgs, opts);
  const kubeconfig = join(dataDir, "kubeconfig.yaml");
  const env = (): NodeJS.ProcessEnv => ({ ...process.env, KUBECONFIG: kubeconfig, HOME: home, PATH: process.env.PATH });
  const sims: ChildProcess[] = [];
  const waitExit = (p: ChildProcess): Promise<void> =>
    p.exitCode !== null || p.signalCode !== null ? Promise.resolve() : new Promise((r) => p.once("exit", () => r()));
  const cluster: Cluster = {
    dataDir,
    kubeconfig,
    get port() {
      return port;
    },
    get proc() {
      return proc;
    },
    kubectl(args, opts = {}) {
      const r = spawnSync("kubectl", args, {
        input: opts.input,
        env: { ...env(), ...opts.env },
        encoding: "utf8",
        timeout: opts.timeoutMs ?? 60_000,
      });
      return { code: r.status ?? -1, stdout: r.stdout ?? "", stderr: r.stderr ?? "" };
    },
    kubectlSpawn(args) {
      return spawn("kubectl", args, { env: env(), stdio: ["ignore", "pipe", "pipe"] });
    },
    async stopServer(hard = false) {
      proc.kill(hard ? "SIGKILL" : "SIGTERM");
      await waitExit(proc);
    },
    async restartServer() {
      ({ proc } = await startProcess(dataDir, port, extraArgs, opts));
    },
    async simNodes(args) {
      const sim = spawn(process.execPath, [join(root, "bin/tskube.mjs"), "sim-nodes", "--kubeconfig", kubeconfig, "--heartbeat-interval", "1", ...args], {
        stdio: ["ignore", "pipe", "pipe"],
        env: { ...process.env, TSKUBE_LOG: process.env.TSKUBE_LOG ?? "warn" },
      });
      sims.push(sim);
      await new Promise<void>((ok, fail) => {
        let out = "";
        const timer = setTimeout(() => fail(new Error(`sim-nodes not ready in 30 s: ${out}`)), 30_000);
        sim.stdout!.on("data", (d) => {
          out += d;
          if (/simulated nodes running/.test(out)) {
            clearTimeout(timer);
            ok();
          }
        });
        sim.stderr!.on("data", (d) => {
          if (process.env.TSKUBE_E2E_VERBOSE) process.stderr.write(d);
        });
        sim.once("exit", (code) => {
          clearTimeout(timer);
          fail(new Error(`sim-nodes exited with ${code}: ${out}`));
        });
      });
      return {
        proc: sim,
        async stop(hard = false) {
          sim.kill(hard ? "SIGKILL" : "SIGTERM");
          await waitExit(sim);
        },
      };
    },
    async stop() {
      for (const sim of sims) {
        if (sim.exitCode === null && sim.signalCode === null) sim.kill("SIGKILL");
        await waitExit(sim);
      }
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill("SIGTERM");
        const t = setTimeout(() => proc.kill("SIGKILL"), 10_000);
        await waitExit(proc);
        clearTimeout(t);
      }
      let left: string[] = [];
      if (opts.agent) {
        const r = spawnSync(process.execPath, [join(root, "bin/tskube.mjs"), "killall", "--data-dir", dataDir], { encoding: "utf8", timeout: 120_000 });
        if (r.status !== 0) process.stderr.write(`tskube killall failed (${r.status}): ${r.stderr}\n`);
        left = [...pidsMentioning(dataDir).map((p) => `process ${p}`), ...mountsUnder(dataDir).map((m) => `mount ${m}`)];
      }
      rmSync(dataDir, { recursive: true, force: true });
      rmSync(home, { recursive: true, force: true });
      if (left.length) throw new Error(`tskube killall left behind: ${left.join(", ")}`);
    },
  };
  return cluster;
}

/** True when the real kubectl is installed (e2e tests need it). */
export function haveKubectl(): boolean {
  return spawnSync("kubectl", ["version", "--client"], { encoding: "utf8" }).status === 0;
}
