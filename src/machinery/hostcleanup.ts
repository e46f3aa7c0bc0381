/**
 * Host clean-up primitives for what a node agent leaves behind: processes
 * whose command line names a directory, mounts under a directory, cgroup
 * subtrees. Used by `tskube killall` and by the tests that run real
 * containers. Every function is best-effort and safe to call twice.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, rmdirSync, statSync } from "node:fs";
import { join } from "node:path";

const CGROUP_MOUNT = "/sys/fs/cgroup";

/** Pids (other than this process) whose command line mentions `needle`. */
export function pidsMentioning(needle: string): number[] {
  const pids: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${name}/cmdline`, "utf8").includes(needle)) pids.push(Number(name));
    } catch {
      // the process ended meanwhile
    }
  }
  return pids;
}

/** SIGKILLs `pids`; returns how many were still there. */
export function killPids(pids: Iterable<number>): number {
  let n = 0;
  for (const pid of pids) {
    try {
      process.kill(pid, "SIGKILL");
      n++;
    } catch {
      // already gone
    }
  }
  return n;
}

/** Kills every process whose command line mentions `dir` (shims, containerd). */
export function killProcessesMentioning(dir: string): number {
  return killPids(pidsMentioning(dir));
}

/** Mount points at or under `dir`, deepest first. */
export function mountsUnder(dir: string): string[] {
  const out: string[] = [];
  for (const line of readFileSync("/proc/self/mounts", "utf8").split("\n")) {
    const mp = line.split(" ")[1]?.replace(/\\040/g, " ");
    if (mp && (mp === dir || mp.startsWith(dir + "/"))) out.push(mp);
  }
  return out.sort((a, b) => b.length - a.length);
}

/** Lazily unmounts everything at or under `dir`; returns the mount points. */
export function unmountUnder(dir: string): string[] {
  const mounts = mountsUnder(dir);
  for (const mp of mounts) {
    try {
      execFileSync("umount", ["-l", mp], { stdio: "ignore", timeout: 20_000 });
    } catch {
      // already gone
    }
  }
  return mounts;
}

/** Every cgroup directory at or under `root` (relative to a hierarchy) in each v1 controller, deepest first. */
export function cgroupDirs(root: string | undefined): string[] {
  const dirs: string[] = [];
  if (!root || !existsSync(CGROUP_MOUNT)) return dirs;
  const rel = root.replace(/^\/+/, "");
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      try {
        if (statSync(p).isDirectory()) walk(p);
      } catch {
        // raced with removal
      }
    }
    dirs.push(dir);
  };
  for (const controller of readdirSync(CGROUP_MOUNT)) {
    const top = join(CGROUP_MOUNT, controller, rel);
    if (existsSync(top)) walk(top);
  }
  return dirs;
}

/** Pids in the cgroup directories `dirs`. */
export function cgroupPids(dirs: string[]): Set<number> {
  const pids = new Set<number>();
  for (const dir of dirs) {
    try {
      for (const line of readFileSync(join(dir, "cgroup.procs"), "utf8").split("\n")) if (line) pids.add(Number(line));
    } catch {
      // no procs file here, or removed
    }
  }
  return pids;
}

/** Removes the cgroup subtree `root` in every hierarchy, retrying busy ones for up to ~2 s; returns how many were removed. */
export async function removeCgroupTree(root: string | undefined): Promise<number> {
  let removed = 0;
  for (let round = 0; round < 10; round++) {
    for (const dir of cgroupDirs(root)) {
      try {
        rmdirSync(dir);
        removed++;
      } catch {
        // busy: retried
      }
    }
    if (cgroupDirs(root).length === 0) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  return removed;
}
