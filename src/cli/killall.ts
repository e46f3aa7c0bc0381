/**
 * `tskube killall`: stops every pod of a node agent and removes what the
 * agent left on the host (the counterpart of k3s-killall.sh). With the
 * agent's containerd answering (started for the purpose when it is not
 * running), pods are stopped and removed through CRI, so the CNI plugins
 * release their addresses, iptables rules and network namespaces. Then, whatever is still there: processes of the data
 * directory (containerd, shims) and of the node's cgroups are killed, mounts
 * under the data directory are unmounted, the node's cgroups, CNI bridges and
 * CNI iptables chains (and empty, unreferenced per-pod CNI chains) are
 * removed.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, readlinkSync, rmdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { connectCri } from "../kubelet/cri/client.ts";
import { startContainerd, type ContainerdHandle } from "../containerd/index.ts";
import { PAUSE_IMAGE } from "../images/index.ts";
import { cgroupDirs, cgroupPids, killPids, pidsMentioning, removeCgroupTree, unmountUnder } from "../machinery/hostcleanup.ts";

export const killallUsage = `Usage: tskube killall [flags]

Stops all pods of this machine's node agent and removes its containers,
mounts, cgroups, CNI bridges and iptables rules. A tskube server, agent or
kubelet still running on the data directory is stopped first (SIGTERM, then
SIGKILL after 15 s).

Flags:
  --data-dir DIR     the server's or agent's data directory (default /var/lib/tskube)
  --cgroup-root PATH cgroup parent of the node's pods (default /tskube/<node-name>, the
                     node name being read from <data-dir>/agent/node-name)
  -h, --help         show this help

The CNI bridges and iptables chains removed are those of the networks
configured in <data-dir>/agent/etc/cni/net.d, plus per-pod CNI chains that
are empty and unreferenced (left by an interrupted CNI DEL).
`;

/** What killall removes. */
export interface KillallOptions {
  dataDir: string;
  /** Default: /tskube/<node name from <dataDir>/agent/node-name>; nothing when that is unknown. */
  cgroupRoot?: string;
  log?: (line: string) => void;
}

/** Bridges and network names of the CNI configs the agent wrote under `dataDir`. */
function cniNetworks(dataDir: string): { bridges: string[]; networks: string[] } {
  const dir = join(dataDir, "agent", "etc", "cni", "net.d");
  const out = { bridges: [] as string[], networks: [] as string[] };
  if (!existsSync(dir)) return out;
  for (const f of readdirSync(dir)) {
    if (!f.endsWith(".conflist")) continue;
    try {
      const conf = JSON.parse(readFileSync(join(dir, f), "utf8")) as { name?: string; plugins?: { type?: string; bridge?: string }[] };
      if (conf.name) out.networks.push(conf.name);
      for (const p of conf.plugins ?? []) if (p.type === "bridge" && p.bridge) out.bridges.push(p.bridge);
    } catch {
      // not ours or half-written
    }
  }
  return out;
}

function defaultCgroupRoot(dataDir: string): string | undefined {
  try {
    const name = readFileSync(join(dataDir, "agent", "node-name"), "utf8").trim();
    return name ? `/tskube/${name}` : undefined;
  } catch {
    return undefined;
  }
}

const CGROUP_MOUNT = "/sys/fs/cgroup";

function tryRun(cmd: string, args: string[]): string | undefined {
  try {
    return execFileSync(cmd, args, { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"], timeout: 20_000 });
  } catch {
    return undefined;
  }
}

/** Stops and removes every pod sandbox through CRI; false when the runtime does not answer. */
async function removePodsThroughCri(dataDir: string, log: (l: string) => void): Promise<boolean> {
  const sock = join(dataDir, "agent", "containerd", "containerd.sock");
  if (!existsSync(sock)) return false;
  const cri = connectCri(sock);
  try {
    await cri.runtime.Version({}, 3000);
    const { items = [] } = await cri.runtime.ListPodSandbox({}, 10_000);
    for (const sb of items) {
      await cri.runtime.StopPodSandbox({ pod_sandbox_id: sb.id }, 30_000).catch(() => undefined);
      await cri.runtime.RemovePodSandbox({ pod_sandbox_id: sb.id }, 30_000).catch(() => undefined);
    }
    log(`removed ${items.length} pod sandboxes through CRI`);
    return true;
  } catch {
    return false;
  } finally {
    cri.close();
  }
}

/**
 * Removes the pods through CRI; when the agent's containerd is not running,
 * starts it from its data dir for the purpose (so the CNI plugins release
 * each pod's network namespace, veth and address) and stops it afterwards.
 */
async function removePods(dataDir: string, log: (l: string) => void): Promise<void> {
  if (await removePodsThroughCri(dataDir, log)) return;
  const agentDir = join(dataDir, "agent");
  if (!existsSync(join(agentDir, "containerd"))) return;
  let containerd: ContainerdHandle | undefined;
  try {
    containerd = await startContainerd({ dataDir: agentDir, sandboxImage: PAUSE_IMAGE, cniConfDir: join(agentDir, "etc", "cni", "net.d"), readyTimeoutMs: 20_000 });
    log("started the node's containerd to remove its pods");
    await removePodsThroughCri(dataDir, log);
  } catch (err) {
    log(`could not start the node's containerd (${(err as Error).message}); removing what is left by hand`);
  } finally {
    await containerd?.stop();
  }
}

/** Removes the parents of `root` (e.g. /tskube) in each hierarchy when no other node uses them. */
function removeEmptyParents(root: string | undefined): void {
  if (!root || !existsSync(CGROUP_MOUNT)) return;
  const parts = root.split("/").filter(Boolean);
  for (const controller of readdirSync(CGROUP_MOUNT)) {
    for (let n = parts.length - 1; n >= 1; n--) {
      try {
        rmdirSync(join(CGROUP_MOUNT, controller, ...parts.slice(0, n)));
      } catch {
        break; // still used, or not there
      }
    }
  }
}

const DEFAULT_DATA_DIR = "/var/lib/tskube";

/** Pids of `tskube server|agent|kubelet` processes whose --data-dir (relative to their cwd) is `dataDir`. */
function tskubeProcessesOf(dataDir: string): number[] {
  const out: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      const args = readFileSync(`/proc/${name}/cmdline`, "utf8").split("\0");
      const cmdAt = args.findIndex((a) => a === "server" || a === "agent" || a === "kubelet");
      if (cmdAt < 1 || !args.slice(0, cmdAt).some((a) => /tskube(\.mjs)?$/.test(a))) continue;
      let dir: string | undefined;
      for (let i = cmdAt + 1; i < args.length; i++) {
        if (args[i] === "--data-dir") dir = args[i + 1];
        else if (args[i].startsWith("--data-dir=")) dir = args[i].slice("--data-dir=".length);
      }
      const cwd = readlinkSync(`/proc/${name}/cwd`);
      if (resolve(cwd, dir ?? DEFAULT_DATA_DIR) === dataDir) out.push(Number(name));
    } catch {
      // ended meanwhile, or not ours to read
    }
  }
  return out;
}

/** Stops running tskube components of `dataDir` so they do not restart what killall removes. */
async function stopComponents(dataDir: string, log: (l: string) => void): Promise<void> {
  const pids = tskubeProcessesOf(dataDir);
  if (pids.length === 0) return;
  log(`stopping tskube processes ${pids.join(", ")}`);
  for (const pid of pids) {
    try {
      process.kill(pid, "SIGTERM");
    } catch {
      // gone
    }
  }
  const deadline = Date.now() + 15_000;
  const alive = (): number[] => pids.filter((pid) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  });
  while (alive().length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
  killPids(alive());
}

/** Removes the agent's leftovers; safe to run several times. */
export async function killall(o: KillallOptions): Promise<void> {
  const log = o.log ?? ((l: string) => process.stdout.write(`tskube killall: ${l}\n`));
  const dataDir = resolve(o.dataDir);
  await stopComponents(dataDir, log);
  await removePods(dataDir, log);
  const net = cniNetworks(dataDir);
  const root = o.cgroupRoot ?? defaultCgroupRoot(dataDir);
  const cgroupRoot = root ? root.replace(/^\/+/, "") : undefined;
  for (let round = 0; round < 5; round++) {
    const victims = new Set([...pidsMentioning(dataDir), ...cgroupPids(cgroupDirs(cgroupRoot))]);
    if (victims.size === 0) break;
    log(`killing ${killPids(victims)} processes`);
    await new Promise((r) => setTimeout(r, 200));
  }
  const mounts = unmountUnder(dataDir);
  if (mounts.length) log(`unmounted ${mounts.length} mounts`);
  const removed = await removeCgroupTree(cgroupRoot);
  if (removed) log(`removed ${removed} cgroups`);
  removeEmptyParents(cgroupRoot);
  for (const bridge of net.bridges) {
    if (tryRun("ip", ["link", "delete", bridge, "type", "bridge"]) !== undefined) log(`removed bridge ${bridge}`);
  }
  for (const network of net.networks) removeCniIptables(network, log);
  removeOrphanCniChains(log);
}

/**
 * Per-pod CNI chains (`CNI-` and 24 hex digits, the bridge plugin's naming)
 * in `iptables-save -t nat` output that hold no rule and that no rule jumps
 * to: what a CNI DEL interrupted between unlinking and deleting its chain
 * leaves behind. They do nothing, and no comment says whose they were.
 */
export function orphanCniChains(saved: string): string[] {
  const declared: string[] = [];
  const used = new Set<string>();
  for (const line of saved.split("\n")) {
    const decl = /^:(CNI-[0-9a-f]{24}) /.exec(line);
    if (decl) declared.push(decl[1]);
    if (!line.startsWith("-A ")) continue;
    used.add(line.split(" ")[1]);
    const target = / -[jg] (CNI-[0-9a-f]{24})(?: |$)/.exec(line)?.[1];
    if (target) used.add(target);
  }
  return declared.filter((c) => !used.has(c));
}

function removeOrphanCniChains(log: (l: string) => void): void {
  const saved = tryRun("iptables-save", ["-t", "nat"]);
  if (!saved) return;
  let removed = 0;
  for (const chain of orphanCniChains(saved)) if (tryRun("iptables", ["-t", "nat", "-X", chain]) !== undefined) removed++;
  if (removed) log(`removed ${removed} empty CNI iptables chains`);
}

/** Drops nat-table CNI chains and rules whose comment names `network`. */
function removeCniIptables(network: string, log: (l: string) => void): void {
  const saved = tryRun("iptables-save", ["-t", "nat"]);
  if (!saved) return;
  const chains = new Set<string>();
  for (const line of saved.split("\n")) {
    if (!line.startsWith("-A ") || !(line.includes(`name: \\"${network}\\"`) || line.includes(`name: "${network}"`))) continue;
    const target = / -j (CNI-[0-9a-f]+)/.exec(line)?.[1];
    if (target) chains.add(target);
    tryRun("iptables", ["-t", "nat", "-D", ...splitRule(line.slice(3))]);
  }
  for (const chain of chains) {
    tryRun("iptables", ["-t", "nat", "-F", chain]);
    tryRun("iptables", ["-t", "nat", "-X", chain]);
  }
  if (chains.size) log(`removed ${chains.size} CNI iptables chains`);
}

/** Splits an iptables-save rule into arguments, honouring double quotes. */
function splitRule(rule: string): string[] {
  const out: string[] = [];
  for (const m of rule.matchAll(/"((?:[^"\\]|\\.)*)"|(\S+)/g)) out.push(m[1] !== undefined ? m[1].replace(/\\"/g, '"') : m[2]);
  return out;
}

/** Runs `tskube killall`. */
export async function runKillall(argv: string[]): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      options: { "data-dir": { type: "string" }, "cgroup-root": { type: "string" } },
    }));
  } catch (err) {
    process.stderr.write(`tskube killall: ${(err as Error).message}\n\n${killallUsage}`);
    process.exitCode = 2;
    return;
  }
  if (process.getuid?.() !== 0) {
    process.stderr.write("tskube killall: must run as root\n");
    process.exitCode = 1;
    return;
  }
  await killall({ dataDir: values["data-dir"] ?? DEFAULT_DATA_DIR, cgroupRoot: values["cgroup-root"] });
}
