/**
 * Pod cgroups on cgroup v1 with the cgroupfs driver (no systemd), laid out
 * like upstream's kubelet under a per-node parent:
 *   <root>/pod<uid>              Guaranteed
 *   <root>/burstable/pod<uid>    Burstable
 *   <root>/besteffort/pod<uid>   BestEffort
 * in every mounted v1 hierarchy. The runtime puts containers below the pod
 * cgroup (CRI cgroup_parent) but neither limits nor deletes it: that is done
 * here. Also node capacity discovery (/proc/cpuinfo, /proc/meminfo, statfs).
 */
import { promises as fsp, readFileSync, statfsSync } from "node:fs";
import { join } from "node:path";
import type { CgroupManager, ContainerSpec, Pod } from "../types.ts";
import type { CriMessage } from "../cri/client.ts";
import { containerLinuxResources as linuxResources, podQOSClass, podResourceConfig, type QOSClass } from "./resources.ts";

export { podQOSClass, podResourceConfig, podRequests, podLimits, milliCPUToShares, milliCPUToQuota } from "./resources.ts";
export type { QOSClass, PodResourceConfig } from "./resources.ts";

/** A mounted cgroup hierarchy: its mount point and controllers (v1), or the v2 unified one. */
export interface Hierarchy {
  path: string;
  controllers: string[];
  version: 1 | 2;
}

/** The cgroup hierarchies mounted under mountRoot, from /proc/mounts. */
export function cgroupHierarchies(mountRoot = "/sys/fs/cgroup", mountsFile = "/proc/mounts"): Hierarchy[] {
  const out: Hierarchy[] = [];
  for (const line of readFileSync(mountsFile, "utf8").split("\n")) {
    const f = line.split(" ");
    if (f.length < 4) continue;
    const mp = f[1].replace(/\\040/g, " ");
    if (mp !== mountRoot && !mp.startsWith(mountRoot + "/")) continue;
    if (f[2] === "cgroup") {
      const controllers = f[3].split(",").filter((o) => !["rw", "ro", "relatime", "nosuid", "nodev", "noexec", "noatime"].includes(o) && !o.startsWith("release_agent") && o !== "clone_children" && o !== "xattr");
      out.push({ path: mp, controllers, version: 1 });
    } else if (f[2] === "cgroup2") {
      out.push({ path: mp, controllers: [], version: 2 });
    }
  }
  return out;
}

/** The machine's memory in bytes (MemTotal). */
export function machineMemoryBytes(): number {
  const m = /^MemTotal:\s+(\d+)\s*kB/m.exec(readFileSync("/proc/meminfo", "utf8"));
  return m ? Number(m[1]) * 1024 : 0;
}

/** Logical CPUs from /proc/cpuinfo. */
export function machineCpuCount(): number {
  const n = (readFileSync("/proc/cpuinfo", "utf8").match(/^processor\s*:/gm) ?? []).length;
  return Math.max(1, n);
}

/** Node capacity like upstream's cadvisor-derived capacity (ephemeral-storage from statfs of dir). */
export function nodeCapacity(dir = "/"): Record<string, string> {
  const memKi = Math.floor(machineMemoryBytes() / 1024);
  let storageKi = 0;
  try {
    const s = statfsSync(dir);
    storageKi = Math.floor((Number(s.blocks) * Number(s.bsize)) / 1024);
  } catch {
    storageKi = 0;
  }
  return { cpu: String(machineCpuCount()), memory: `${memKi}Ki`, "ephemeral-storage": `${storageKi}Ki`, pods: "110" };
}

/** CRI LinuxContainerResources for a container (memory capacity defaults to the machine's). */
export function containerLinuxResources(pod: Pod, container: ContainerSpec, memoryCapacity = machineMemoryBytes()): CriMessage {
  return linuxResources(pod, container, memoryCapacity);
}

/** The pod cgroup's name relative to the node root: `pod<uid>`, `burstable/pod<uid>`, `besteffort/pod<uid>`. */
export function podCgroupName(uid: string, qos: QOSClass): string {
  if (qos === "Guaranteed") return `pod${uid}`;
  return `${qos === "Burstable" ? "burstable" : "besteffort"}/pod${uid}`;
}

export interface CgroupfsManagerOptions {
  /** Per-node parent, cgroupfs form, e.g. /tskube/node1. */
  root: string;
  /** Where the hierarchies are mounted (default /sys/fs/cgroup). */
  mountRoot?: string;
  /** Bounds removePod's wait for tasks to leave (default 5000 ms). */
  removeTimeoutMs?: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function exists(p: string): Promise<boolean> {
  try {
    await fsp.stat(p);
    return true;
  } catch {
    return false;
  }
}

async function writeIfExists(file: string, value: string): Promise<void> {
  try {
    await fsp.writeFile(file, value);
  } catch (err: any) {
    if (err.code === "ENOENT") return;
    throw new Error(`writing ${value} to ${file}: ${err.message}`);
  }
}

/** Implements CgroupManager on cgroup v1 cgroupfs. */
export class CgroupfsManager implements CgroupManager {
  readonly root: string;
  readonly mountRoot: string;
  readonly removeTimeoutMs: number;
  #hierarchies: Hierarchy[] | undefined;

  constructor(opts: CgroupfsManagerOptions) {
    this.root = "/" + opts.root.replace(/^\/+|\/+$/g, "");
    this.mountRoot = opts.mountRoot ?? "/sys/fs/cgroup";
    this.removeTimeoutMs = opts.removeTimeoutMs ?? 5000;
  }

  hierarchies(): Hierarchy[] {
    this.#hierarchies ??= cgroupHierarchies(this.mountRoot);
    return this.#hierarchies;
  }

  #v1(): Hierarchy[] {
    return this.hierarchies().filter((h) => h.version === 1);
  }

  #mount(controller: string): string | undefined {
    return this.#v1().find((h) => h.controllers.includes(controller))?.path;
  }

  /** Creates `rel` (relative cgroup path) in every v1 hierarchy, initialising cpuset levels. */
  async #mkdirAll(rel: string): Promise<void> {
    const parts = rel.split("/").filter(Boolean);
    for (const h of this.#v1()) {
      let cur = h.path;
      for (const part of parts) {
        const parent = cur;
        cur = join(cur, part);
        try {
          await fsp.mkdir(cur);
        } catch (err: any) {
          if (err.code !== "EEXIST") throw err;
        }
        if (h.controllers.includes("cpuset")) {
          for (const f of ["cpuset.cpus", "cpuset.mems"]) {
            const mine = (await fsp.readFile(join(cur, f), "utf8").catch(() => "")).trim();
            if (mine === "") {
              const theirs = (await fsp.readFile(join(parent, f), "utf8").catch(() => "")).trim();
              if (theirs) await writeIfExists(join(cur, f), theirs);
            }
          }
        }
      }
    }
  }

  /** Creates the node parent and its burstable/besteffort children (besteffort gets the minimum cpu.shares). */
  async ensureNodeRoot(): Promise<void> {
    await this.#mkdirAll(this.root);
    await this.#mkdirAll(`${this.root}/burstable`);
    await this.#mkdirAll(`${this.root}/besteffort`);
    const cpu = this.#mount("cpu");
    if (cpu) await writeIfExists(join(cpu, this.root, "besteffort", "cpu.shares"), "2");
  }

  /** The CRI cgroup_parent of the pod (cgroupfs form), without touching the filesystem. */
  cgroupParent(pod: Pod): string {
    return `${this.root}/${podCgroupName(pod.metadata?.uid ?? "", podQOSClass(pod))}`;
  }

  /** Creates the pod cgroup in every hierarchy, applies the pod limits and returns the cgroup_parent. */
  async ensurePod(pod: Pod): Promise<string> {
    const uid: string | undefined = pod.metadata?.uid;
    if (!uid) throw new Error("pod has no uid");
    const parent = this.cgroupParent(pod);
    await this.#mkdirAll(parent);
    const cfg = podResourceConfig(pod);
    const cpu = this.#mount("cpu");
    if (cpu) {
      const dir = join(cpu, parent);
      await writeIfExists(join(dir, "cpu.shares"), String(cfg.cpuShares));
      await writeIfExists(join(dir, "cpu.cfs_period_us"), String(cfg.cpuPeriod ?? 100000));
      await writeIfExists(join(dir, "cpu.cfs_quota_us"), String(cfg.cpuQuota ?? -1));
    }
    const mem = this.#mount("memory");
    if (mem) {
      const file = join(mem, parent, "memory.limit_in_bytes");
      try {
        await writeIfExists(file, String(cfg.memoryLimit ?? -1));
      } catch (err) {
        // lowering below current usage fails with EBUSY; keep the old limit
        if (!/EBUSY|Device or resource busy/.test(String((err as Error).message))) throw err;
      }
    }
    return parent;
  }

  /** Pod uids that have a cgroup under this node root (any QoS). */
  async listPodUids(): Promise<string[]> {
    const cpu = this.#mount("cpu") ?? this.#v1()[0]?.path;
    if (!cpu) return [];
    const out: string[] = [];
    for (const sub of ["", "burstable", "besteffort"]) {
      const entries = await fsp.readdir(join(cpu, this.root, sub)).catch(() => [] as string[]);
      for (const e of entries) if (e.startsWith("pod")) out.push(e.slice(3));
    }
    return out;
  }

  /** Removes a cgroup dir and its children depth-first in one hierarchy, retrying while tasks drain. */
  async #rmTree(dir: string, deadline: number): Promise<void> {
    if (!(await exists(dir))) return;
    const entries = await fsp.readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const e of entries) if (e.isDirectory()) await this.#rmTree(join(dir, e.name), deadline);
    for (let attempt = 0; ; attempt++) {
      try {
        await fsp.rmdir(dir);
        return;
      } catch (err: any) {
        if (err.code === "ENOENT") return;
        if (Date.now() > deadline || attempt > 200) throw new Error(`removing cgroup ${dir}: ${err.message}`);
        await sleep(50);
      }
    }
  }

  /** Removes the pod cgroup from every hierarchy (kills nothing; waits up to removeTimeoutMs for tasks to leave). */
  async removePod(pod: Pod | { metadata: { uid: string } }): Promise<void> {
    const uid = pod.metadata?.uid;
    if (!uid) return;
    const deadline = Date.now() + this.removeTimeoutMs;
    const errors: string[] = [];
    for (const h of this.hierarchies()) {
      for (const qos of ["Guaranteed", "Burstable", "BestEffort"] as QOSClass[]) {
        try {
          await this.#rmTree(join(h.path, this.root, podCgroupName(uid, qos)), deadline);
        } catch (err) {
          errors.push((err as Error).message);
        }
      }
    }
    if (errors.length > 0) throw new Error(errors.join("; "));
  }

  /** Removes the whole node parent (all pods must be gone). */
  async removeNodeRoot(): Promise<void> {
    const deadline = Date.now() + this.removeTimeoutMs;
    for (const h of this.hierarchies()) await this.#rmTree(join(h.path, this.root), deadline);
  }

  /** Absolute directory of a cgroup (relative to the node-independent tree) in the hierarchy of `controller`. */
  controllerPath(controller: string, cgroup: string): string | undefined {
    const m = this.#mount(controller);
    return m ? join(m, cgroup) : undefined;
  }
}
