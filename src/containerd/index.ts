/**
 * Runs and supervises one containerd per node as a child process: writes its
 * config under `<dataDir>/containerd/`, starts it (output appended to
 * containerd.log), waits until CRI answers, restarts it with back-off when it
 * dies unexpectedly, and stops it on request. Containers live in their shims
 * (containerd-shim-runc-v2, own process group), so stopping or restarting
 * containerd never stops containers; a new containerd on the same data dir
 * finds them again.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, openSync, closeSync, readFileSync, renameSync, statSync, writeFileSync, accessSync, constants } from "node:fs";
import { join } from "node:path";
import { connectCri } from "../kubelet/cri/client.ts";
import { containerdPaths, renderContainerdConfig, type ContainerdPaths } from "./config.ts";

export { containerdPaths, renderContainerdConfig } from "./config.ts";
export type { ContainerdConfigOptions, ContainerdPaths } from "./config.ts";

/** Options of startContainerd. */
export interface StartContainerdOptions {
  /** Node data dir; containerd's files go under `<dataDir>/containerd/`. */
  dataDir: string;
  /** Sandbox (pause) image reference, e.g. PAUSE_IMAGE from src/images. */
  sandboxImage: string;
  /** Directory holding the CNI conflist (see src/network/cni.ts). */
  cniConfDir: string;
  /** CNI plugin binaries (default /usr/lib/cni). */
  cniBinDir?: string;
  /** Only used in log messages. */
  nodeName?: string;
  /** Run containerd in this network namespace (a path such as /var/run/netns/NAME), via nsenter. */
  netnsPath?: string;
  /** How long to wait for CRI Version to answer (default 30 s). */
  readyTimeoutMs?: number;
  log?: (msg: string, fields?: object) => void;
}

/**
 * A running, supervised containerd. `endpoint` is `unix:///abs/path.sock` for
 * connectCri. `pid` is the current process (changes after a restart).
 * `stop()` sends SIGTERM, then SIGKILL after 10 s, and stops supervising;
 * running containers keep running. Idempotent.
 */
export interface ContainerdHandle {
  endpoint: string;
  readonly pid: number;
  /** Absolute paths of this instance's files (socket, log, root, state ...). */
  paths: ContainerdPaths;
  stop(): Promise<void>;
}

const STANDARD_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
const STOP_GRACE_MS = 10_000;
const MAX_BACKOFF_MS = 30_000;
const LOG_ROTATE_BYTES = 10 * 1024 * 1024;
/** Unix socket paths are limited to 107 bytes; containerd adds ".ttrpc" for the second one. */
const MAX_SOCKET_PATH = 100;

/** The first executable `name` in dirs (default: $PATH, then the standard sbin/bin dirs). */
function findExecutable(name: string, dirs?: string[]): string | undefined {
  for (const d of dirs ?? [...(process.env.PATH ?? "").split(":"), ...STANDARD_PATH.split(":")]) {
    if (!d) continue;
    const p = join(d, name);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {}
  }
  return undefined;
}

/** Options of checkRuntimePrerequisites (for tests and unusual layouts). */
export interface PrerequisiteOptions {
  /** CNI plugin dir to look in first (default /usr/lib/cni; /opt/cni/bin is also searched). */
  cniBinDir?: string;
  /** Directories searched for binaries instead of $PATH plus the standard sbin/bin dirs. */
  binDirs?: string[];
  /** Directories searched for CNI plugins instead of cniBinDir, /usr/lib/cni, /opt/cni/bin. */
  cniDirs?: string[];
}

/**
 * Which node runtime pieces are missing from this host: containerd, ctr, runc,
 * containerd-shim-runc-v2, iptables, and the CNI plugins bridge, host-local
 * and portmap (reported as `cni:<name>`). `message` is empty when nothing is
 * missing, otherwise it names the pieces and the apt-get command to run.
 */
export function checkRuntimePrerequisites(opts: PrerequisiteOptions = {}): { missing: string[]; message: string } {
  const missing: string[] = [];
  const binDirs = opts.binDirs ?? [...(process.env.PATH ?? "").split(":"), ...STANDARD_PATH.split(":")];
  for (const bin of ["containerd", "ctr", "runc", "containerd-shim-runc-v2", "iptables"]) {
    if (!findExecutable(bin, binDirs)) missing.push(bin);
  }
  const cniDirs = opts.cniDirs ?? [opts.cniBinDir ?? "/usr/lib/cni", "/usr/lib/cni", "/opt/cni/bin"];
  for (const plugin of ["bridge", "host-local", "portmap"]) {
    if (!findExecutable(plugin, cniDirs)) missing.push(`cni:${plugin}`);
  }
  const message = missing.length === 0
    ? ""
    : `missing container runtime pieces: ${missing.join(", ")}. On Debian/Ubuntu install them as root with: ` +
      `apt-get install containerd runc containernetworking-plugins iptables (or run scripts/install-deps.sh)`;
  return { missing, message };
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Resolves true when p settles within ms, false otherwise; leaves no timer behind. */
async function within(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((r) => { timer = setTimeout(() => r(false), ms); });
  try {
    return await Promise.race([p.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Kills a containerd left running by a previous (crashed) tskube on the same data dir. */
async function killStale(paths: ContainerdPaths, log: (msg: string, fields?: object) => void): Promise<void> {
  let pid = 0;
  try {
    pid = Number(readFileSync(paths.pidFile, "utf8").trim());
  } catch {
    return;
  }
  if (!pid || !processAlive(pid)) return;
  let cmdline = "";
  try {
    cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8");
  } catch {}
  if (!cmdline.includes("containerd") || !cmdline.includes(paths.config)) return;
  log("stopping a containerd left over from a previous run", { pid });
  try { process.kill(pid, "SIGTERM"); } catch {}
  const deadline = Date.now() + STOP_GRACE_MS;
  while (processAlive(pid) && Date.now() < deadline) await sleep(100);
  if (processAlive(pid)) {
    try { process.kill(pid, "SIGKILL"); } catch {}
    for (let i = 0; i < 50 && processAlive(pid); i++) await sleep(100);
  }
}

/** Keeps containerd.log bounded: past 10 MiB at a (re)start it becomes containerd.log.1. */
function rotateLog(file: string): void {
  try {
    if (statSync(file).size > LOG_ROTATE_BYTES) renameSync(file, `${file}.1`);
  } catch {}
}

function logTail(file: string, lines = 15): string {
  try {
    return readFileSync(file, "utf8").split("\n").slice(-lines - 1).join("\n");
  } catch {
    return "";
  }
}

/**
 * Polls CRI Version until it answers, the child exits or the time runs out.
 * A fresh client per attempt: a gRPC channel that failed once waits out its
 * reconnect back-off (about 1 s) before trying again.
 */
async function waitForCri(endpoint: string, child: ChildProcess, timeoutMs: number, logFile: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastErr: unknown;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) {
      throw new Error(`containerd exited (${child.exitCode ?? child.signalCode}) before it was ready; end of ${logFile}:\n${logTail(logFile)}`);
    }
    const cri = connectCri(endpoint);
    try {
      await cri.runtime.Version({ version: "v1" }, 1000);
      return;
    } catch (err) {
      lastErr = err;
    } finally {
      cri.close();
    }
    await sleep(50);
  }
  throw new Error(`containerd did not answer CRI Version within ${timeoutMs} ms (${(lastErr as Error)?.message}); end of ${logFile}:\n${logTail(logFile)}`);
}

/**
 * Starts containerd for a node and resolves once CRI `Version` answers
 * (bounded by readyTimeoutMs). Throws with the end of containerd.log when it
 * exits or does not become ready. The config is rewritten on every start.
 */
export async function startContainerd(opts: StartContainerdOptions): Promise<ContainerdHandle> {
  const log = opts.log ?? (() => {});
  const paths = containerdPaths(opts.dataDir);
  if (paths.ttrpcSocket.length > MAX_SOCKET_PATH) {
    throw new Error(`containerd socket path ${paths.ttrpcSocket} is too long for a unix socket (max ${MAX_SOCKET_PATH} bytes): use a shorter data dir`);
  }
  const containerdBin = findExecutable("containerd");
  if (!containerdBin) throw new Error(checkRuntimePrerequisites({ cniBinDir: opts.cniBinDir }).message || "containerd not found");
  for (const d of [paths.dir, paths.root, paths.state, paths.opt, paths.runcRoot, opts.cniConfDir]) mkdirSync(d, { recursive: true });
  writeFileSync(paths.config, renderContainerdConfig(opts));
  await killStale(paths, log);
  const endpoint = `unix://${paths.socket}`;
  const readyTimeoutMs = opts.readyTimeoutMs ?? 30_000;
  const fields = { node: opts.nodeName, dataDir: paths.dir };

  let child: ChildProcess;
  let stopping = false;
  let restartTimer: NodeJS.Timeout | undefined;
  let backoffMs = 1000;

  const spawnOnce = (): ChildProcess => {
    rotateLog(paths.log);
    const logFd = openSync(paths.log, "a");
    const args = ["--config", paths.config];
    const [cmd, argv] = opts.netnsPath
      ? [findExecutable("nsenter") ?? "nsenter", [`--net=${opts.netnsPath}`, containerdBin, ...args]]
      : [containerdBin, args];
    const env = { ...process.env, PATH: `${process.env.PATH ?? ""}:${STANDARD_PATH}` };
    let c: ChildProcess;
    try {
      // Own process group: a terminal's Ctrl-C reaches tskube, which decides.
      c = spawn(cmd, argv, { stdio: ["ignore", logFd, logFd], detached: true, env });
    } finally {
      closeSync(logFd);
    }
    if (c.pid) writeFileSync(paths.pidFile, `${c.pid}\n`);
    const startedAt = Date.now();
    const onDeath = (why: object) => {
      if (stopping || c !== child || restartTimer) return;
      if (Date.now() - startedAt > 60_000) backoffMs = 1000;
      log("containerd exited unexpectedly; restarting", { ...fields, ...why, inMs: backoffMs });
      restartTimer = setTimeout(() => {
        restartTimer = undefined;
        if (stopping) return;
        child = spawnOnce();
        waitForCri(endpoint, child, readyTimeoutMs, paths.log).then(
          () => log("containerd restarted", { ...fields, pid: child.pid }),
          (err) => log("containerd restart not ready", { ...fields, error: (err as Error).message }),
        );
      }, backoffMs);
      backoffMs = Math.min(backoffMs * 2, MAX_BACKOFF_MS);
    };
    c.on("error", (err) => {
      log("containerd process error", { ...fields, error: err.message });
      if (!c.pid) onDeath({ error: err.message });
    });
    c.on("exit", (code, signal) => onDeath({ code, signal }));
    return c;
  };

  const stopChild = async (c: ChildProcess): Promise<void> => {
    if (c.exitCode !== null || c.signalCode !== null || !c.pid) return;
    const exited = new Promise<void>((r) => c.once("exit", () => r()));
    try { c.kill("SIGTERM"); } catch {}
    if (!(await within(exited, STOP_GRACE_MS))) {
      log("containerd did not stop in time; killing it", fields);
      try { c.kill("SIGKILL"); } catch {}
      await within(exited, 5000);
    }
  };

  child = spawnOnce();
  log("containerd starting", { ...fields, pid: child.pid, log: paths.log });
  try {
    await waitForCri(endpoint, child, readyTimeoutMs, paths.log);
  } catch (err) {
    stopping = true;
    if (restartTimer) clearTimeout(restartTimer);
    await stopChild(child);
    throw err;
  }
  log("containerd ready", { ...fields, pid: child.pid, endpoint });

  let stopped: Promise<void> | undefined;
  return {
    endpoint,
    paths,
    get pid() {
      return child.pid ?? 0;
    },
    stop() {
      stopped ??= (async () => {
        stopping = true;
        if (restartTimer) clearTimeout(restartTimer);
        await stopChild(child);
        log("containerd stopped", fields);
      })();
      return stopped;
    },
  };
}

