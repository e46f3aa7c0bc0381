/**
 * Shared benchmark helpers: start a real `tskube server` process on a free
 * port in a temporary data directory, an HTTPS client authenticated with the
 * admin certificate (keep-alive agent), percentiles and RSS readings.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { Agent, request } from "node:https";
import { tmpdir } from "node:os";
import { Worker } from "node:worker_threads";
import { tskubeBin, tskubeNodeFlags } from "../src/cli/nodeflags.ts";
import type { LoadJob } from "./load-worker.ts";
import { join, resolve } from "node:path";

const root = resolve(import.meta.dirname, "..");

export interface ServerProc {
  proc: ChildProcess;
  port: number;
  dataDir: string;
  /** Milliseconds from spawn to the ready line. */
  readyMs: number;
  stop(): Promise<void>;
}

/**
 * Starts `tskube server` (in `dataDir`, or a new temporary one) and waits for
 * readiness, with the Node.js flags of bin/tskube.mjs's shebang (as an
 * installed `tskube` runs) followed by any in BENCH_NODE_FLAGS (which thus
 * override them). `extraArgs` are appended to the server's flags. BENCH_SEMI
 * overrides the shebang's --max-semi-space-size in MB (the apiserver's young
 * generation; the scheduler and controller-manager threads set their own).
 * BENCH_SERVER_STDOUT names a file that receives the stdout of the server
 * and of the simulated nodes (for example V8's --trace-gc lines given
 * through BENCH_NODE_FLAGS).
 */
export function startServer(dataDir?: string, keep = false, extraArgs: string[] = []): Promise<ServerProc> {
  const dir = dataDir ?? mkdtempSync(join(tmpdir(), "tskube-bench-"));
  const t0 = performance.now();
  const benchFlags = process.env.BENCH_NODE_FLAGS ? process.env.BENCH_NODE_FLAGS.split(" ") : [];
  const semi = process.env.BENCH_SEMI;
  const nodeFlags = tskubeNodeFlags().map((f) => (semi && f.startsWith("--max-semi-space-size=") ? `--max-semi-space-size=${semi}` : f));
  const proc = spawn(process.execPath, [...nodeFlags, ...benchFlags, tskubeBin, "server", "--data-dir", dir, "--https-listen-port", "0", "--bind-address", "127.0.0.1", "--disable-agent", ...extraArgs], {
    stdio: ["ignore", "pipe", process.env.BENCH_SERVER_STDERR ? "inherit" : "ignore"],
    env: { ...process.env, TSKUBE_LOG: "warn" },
  });
  return new Promise((ok, fail) => {
    let out = "";
    const cleanup = () => {
      if (!dataDir && !keep) rmSync(dir, { recursive: true, force: true });
    };
    const timer = setTimeout(() => {
      proc.kill("SIGKILL");
      cleanup();
      fail(new Error("server not ready in 30 s"));
    }, 30_000);
    const copy = process.env.BENCH_SERVER_STDOUT;
    proc.stdout!.on("data", (d) => {
      if (copy) appendFileSync(copy, d);
      out += d;
      const m = /apiserver ready on https:\/\/[^:]+:(\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        ok({
          proc,
          port: Number(m[1]),
          dataDir: dir,
          readyMs: performance.now() - t0,
          stop: async () => {
            if (proc.exitCode === null) {
              proc.kill("SIGTERM");
              await new Promise((r) => proc.once("exit", r));
            }
            if (!keep) rmSync(dir, { recursive: true, force: true });
          },
        });
      }
    });
    proc.once("exit", (code) => {
      clearTimeout(timer);
      cleanup();
      fail(new Error(`server exited (${code})`));
    });
  });
}

export interface Client {
  agent: Agent;
  /** Sends a request and resolves with status and body. */
  call(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; body: string }>;
}

/** An HTTPS client using the admin certificate of a server's data directory. */
export function adminClient(s: { port: number; dataDir: string }, maxSockets = 256): Client {
  const tls = join(s.dataDir, "server", "tls");
  const agent = new Agent({
    keepAlive: true,
    maxSockets,
    ca: readFileSync(join(tls, "ca.crt")),
    cert: readFileSync(join(tls, "admin.crt")),
    key: readFileSync(join(tls, "admin.key")),
  });
  return {
    agent,
    call(method, path, body, headers) {
      return new Promise((ok, fail) => {
        const data = body === undefined ? undefined : JSON.stringify(body);
        const req = request(
          { host: "127.0.0.1", port: s.port, method, path, agent, headers: { "Content-Type": "application/json", Accept: "application/json", ...headers } },
          (res) => {
            const chunks: Buffer[] = [];
            res.on("data", (c) => chunks.push(c));
            res.on("end", () => ok({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
            res.on("error", fail);
          },
        );
        req.on("error", fail);
        req.end(data);
      });
    },
  };
}

export function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** Resident set size of a process in MB (Linux). */
export function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** User plus system CPU time of a process in seconds (Linux /proc/<pid>/stat). */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(f[11]) + Number(f[12])) / 100;
}

/** Peak resident set size of a process in MB so far (VmHWM, Linux). */
export function peakRssMb(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) / 1024 : NaN;
}

export interface SimNodesProc {
  proc: ChildProcess;
  /** Milliseconds from spawn until every node was registered. */
  readyMs: number;
  stop(): Promise<void>;
}

/** Runs `tskube sim-nodes` against a server as a child process and waits until its nodes are registered. */
export function startSimNodes(s: { dataDir: string }, args: string[], timeoutMs = 300_000): Promise<SimNodesProc> {
  const t0 = performance.now();
  const proc = spawn(process.execPath, [join(root, "bin/tskube.mjs"), "sim-nodes", "--kubeconfig", join(s.dataDir, "kubeconfig.yaml"), ...args], {
    stdio: ["ignore", "pipe", process.env.BENCH_SERVER_STDERR ? "inherit" : "ignore"],
    env: { ...process.env, TSKUBE_LOG: "warn" },
  });
  const stop = async (): Promise<void> => {
    if (proc.exitCode === null && proc.signalCode === null) {
      const exited = new Promise((r) => proc.once("exit", r));
      proc.kill("SIGTERM");
      const t = setTimeout(() => proc.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(t);
    }
  };
  return new Promise((ok, fail) => {
    let out = "";
    const timer = setTimeout(() => {
      proc.kill("SIGKILL");
      fail(new Error(`sim-nodes not ready in ${timeoutMs / 1000} s`));
    }, timeoutMs);
    const copy = process.env.BENCH_SERVER_STDOUT;
    proc.stdout!.on("data", (d) => {
      if (copy) appendFileSync(copy, d);
      out += d;
      if (/simulated nodes running/.test(out)) {
        clearTimeout(timer);
        ok({ proc, readyMs: performance.now() - t0, stop });
      }
    });
    proc.once("exit", (code) => {
      clearTimeout(timer);
      fail(new Error(`sim-nodes exited (${code})`));
    });
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export function configMap(name: string, extra: Record<string, string> = {}): unknown {
  return { apiVersion: "v1", kind: "ConfigMap", metadata: { name, ...extra }, data: { key: "value" } };
}

/**
 * Runs a closed-loop load from `workers` worker threads (so the load generator
 * is not limited to one core) and returns successful requests per second.
 */
export async function runLoad(job: LoadJob, workers = 2): Promise<{ rps: number; failed: number }> {
  const t0 = performance.now();
  const results = await Promise.all(
    Array.from({ length: workers }, (_, i) =>
      new Promise<{ ok: number; failed: number }>((ok, fail) => {
        const w = new Worker(join(import.meta.dirname, "load-worker.ts"), {
          workerData: { ...job, prefix: `${job.prefix}-w${i}`, concurrency: Math.ceil(job.concurrency / workers) },
        });
        w.once("message", ok);
        w.once("error", fail);
      }),
    ),
  );
  const secs = (performance.now() - t0) / 1000;
  return { rps: results.reduce((a, r) => a + r.ok, 0) / secs, failed: results.reduce((a, r) => a + r.failed, 0) };
}
