/**
 * Node and pod resource usage in upstream's stats/v1alpha1 Summary shape
 * (served at /stats/summary, read by metrics-server), and the
 * /metrics/resource Prometheus text derived from it. Node and pod figures
 * come from cgroup v1 files (cpuacct.usage, memory.usage_in_bytes,
 * memory.stat), containers from CRI ListContainerStats; usageNanoCores is
 * the rate between this sample and the previous one of the same cgroup or
 * container.
 */
import { promises as fsp, readFileSync, statfsSync } from "node:fs";
import { join } from "node:path";
import type { CriClient, CriMessage } from "../cri/client.ts";
import type { Pod } from "../types.ts";
import { cgroupHierarchies, podCgroupName, podQOSClass } from "../cgroups/index.ts";

export interface CpuStats {
  time: string;
  usageNanoCores?: number;
  usageCoreNanoSeconds?: number;
}

export interface MemoryStats {
  time: string;
  usageBytes?: number;
  workingSetBytes?: number;
  rssBytes?: number;
  availableBytes?: number;
  pageFaults?: number;
  majorPageFaults?: number;
}

export interface FsStats {
  time: string;
  availableBytes?: number;
  capacityBytes?: number;
  usedBytes?: number;
  inodesFree?: number;
  inodes?: number;
  inodesUsed?: number;
}

export interface ContainerStatsSummary {
  name: string;
  startTime: string;
  cpu?: CpuStats;
  memory?: MemoryStats;
  rootfs?: FsStats;
}

export interface PodStatsSummary {
  podRef: { name: string; namespace: string; uid: string };
  startTime: string;
  containers: ContainerStatsSummary[];
  cpu?: CpuStats;
  memory?: MemoryStats;
  volume?: (FsStats & { name: string })[];
}

export interface Summary {
  node: {
    nodeName: string;
    startTime: string;
    cpu?: CpuStats;
    memory?: MemoryStats;
    fs?: FsStats;
    runtime?: { imageFs?: FsStats };
  };
  pods: PodStatsSummary[];
}

export interface CollectOptions {
  nodeName: string;
  pods: Pod[];
  cri: CriClient;
  /** The node's cgroup parent (CgroupfsManager root), e.g. /tskube/node1. */
  cgroupRoot: string;
  /** The kubelet's root dir: node fs stats come from its filesystem. */
  rootDir: string;
  mountRoot?: string;
}

/** Previous cumulative cpu samples (ns of cpu, ns of wall clock) by cgroup path or container id. */
const previous = new Map<string, { usage: number; at: number }>();

function nanoCores(key: string, usage: number, atNs: number, seen: Set<string>): number | undefined {
  seen.add(key);
  const prev = previous.get(key);
  previous.set(key, { usage, at: atNs });
  if (!prev || atNs <= prev.at || usage < prev.usage) return undefined;
  return Math.round(((usage - prev.usage) * 1e9) / (atNs - prev.at));
}

function nowNs(): number {
  return Number(process.hrtime.bigint());
}

async function readNum(file: string): Promise<number | undefined> {
  try {
    const v = Number((await fsp.readFile(file, "utf8")).trim());
    return Number.isFinite(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

async function readMemStat(file: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  try {
    for (const line of (await fsp.readFile(file, "utf8")).split("\n")) {
      const [k, v] = line.split(" ");
      if (k && v) out[k] = Number(v);
    }
  } catch {
    /* missing */
  }
  return out;
}

function meminfo(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of readFileSync("/proc/meminfo", "utf8").split("\n")) {
    const m = /^([^:]+):\s+(\d+)/.exec(line);
    if (m) out[m[1]] = Number(m[2]) * 1024;
  }
  return out;
}

function bootTime(): string {
  const m = /^btime\s+(\d+)/m.exec(readFileSync("/proc/stat", "utf8"));
  return new Date((m ? Number(m[1]) : 0) * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
}

function fsStats(dir: string, time: string): FsStats | undefined {
  try {
    const s = statfsSync(dir);
    const bs = Number(s.bsize);
    return {
      time,
      availableBytes: Number(s.bavail) * bs,
      capacityBytes: Number(s.blocks) * bs,
      usedBytes: (Number(s.blocks) - Number(s.bfree)) * bs,
      inodesFree: Number(s.ffree),
      inodes: Number(s.files),
      inodesUsed: Number(s.files) - Number(s.ffree),
    };
  } catch {
    return undefined;
  }
}

/** cpu + memory of one cgroup (relative path) from the cpuacct and memory hierarchies. */
async function cgroupUsage(cpuacct: string | undefined, memory: string | undefined, rel: string, time: string, seen: Set<string>, memLimitFallback?: number) {
  const usage = cpuacct ? await readNum(join(cpuacct, rel, "cpuacct.usage")) : undefined;
  if (usage === undefined) return undefined;
  const cpu: CpuStats = { time, usageCoreNanoSeconds: usage, usageNanoCores: nanoCores(`cg:${rel}`, usage, nowNs(), seen) };
  let mem: MemoryStats | undefined;
  if (memory) {
    const usageBytes = await readNum(join(memory, rel, "memory.usage_in_bytes"));
    const stat = await readMemStat(join(memory, rel, "memory.stat"));
    const limit = await readNum(join(memory, rel, "memory.limit_in_bytes"));
    if (usageBytes !== undefined) {
      const inactive = stat.total_inactive_file ?? 0;
      const ws = Math.max(0, usageBytes - inactive);
      mem = { time, usageBytes, workingSetBytes: ws, rssBytes: stat.total_rss ?? 0, pageFaults: stat.total_pgfault ?? 0, majorPageFaults: stat.total_pgmajfault ?? 0 };
      const lim = limit !== undefined && limit < 2 ** 62 ? limit : memLimitFallback;
      if (lim !== undefined) mem.availableBytes = Math.max(0, lim - ws);
    }
  }
  return { cpu, memory: mem };
}

function isoFromNs(ns: unknown): string {
  const n = Number(ns ?? 0);
  return new Date(Math.floor(n / 1e6)).toISOString().replace(/\.\d{3}Z$/, "Z");
}

function u64(v: any): number | undefined {
  return v?.value === undefined ? undefined : Number(v.value);
}

/** Builds the Summary; parts that cannot be read are left out rather than failing the whole call. */
export async function collectSummary(opts: CollectOptions): Promise<Summary> {
  const time = new Date().toISOString();
  const seen = new Set<string>();
  const hs = cgroupHierarchies(opts.mountRoot ?? "/sys/fs/cgroup").filter((h) => h.version === 1);
  const cpuacct = hs.find((h) => h.controllers.includes("cpuacct"))?.path;
  const memory = hs.find((h) => h.controllers.includes("memory"))?.path;
  const mi = meminfo();
  const total = mi.MemTotal ?? 0;

  // node: the root cgroup, memory from /proc/meminfo like the machine view
  const nodeUsage = await cgroupUsage(cpuacct, memory, "/", time, seen, total);
  const nodeMem: MemoryStats = {
    time,
    usageBytes: total - (mi.MemFree ?? 0),
    workingSetBytes: Math.max(0, total - (mi.MemFree ?? 0) - (mi["Inactive(file)"] ?? 0)),
    rssBytes: nodeUsage?.memory?.rssBytes ?? (mi.AnonPages ?? 0),
  };
  nodeMem.availableBytes = Math.max(0, total - (nodeMem.workingSetBytes ?? 0));
  let imageFs: FsStats | undefined;
  try {
    const r: CriMessage = await opts.cri.image.ImageFsInfo({}, 5000);
    const f = r.image_filesystems?.[0];
    const cap = fsStats(opts.rootDir, time);
    imageFs = { ...cap, time, usedBytes: u64(f?.used_bytes), inodesUsed: u64(f?.inodes_used) };
  } catch {
    imageFs = undefined;
  }

  // containers from CRI
  let containers: CriMessage[] = [];
  const statsById = new Map<string, CriMessage>();
  try {
    containers = (await opts.cri.runtime.ListContainers({ filter: { state: { state: "CONTAINER_RUNNING" } } }, 10000)).containers ?? [];
    for (const s of (await opts.cri.runtime.ListContainerStats({}, 10000)).stats ?? []) statsById.set(s.attributes?.id, s);
  } catch {
    /* runtime down: pod level only */
  }

  const pods: PodStatsSummary[] = [];
  for (const pod of opts.pods) {
    const uid: string | undefined = pod.metadata?.uid;
    if (!uid) continue;
    const rel = join(opts.cgroupRoot, podCgroupName(uid, podQOSClass(pod)));
    const usage = await cgroupUsage(cpuacct, memory, rel, time, seen, total);
    if (!usage) continue;
    const cs: ContainerStatsSummary[] = [];
    for (const c of containers) {
      if (c.labels?.["io.kubernetes.pod.uid"] !== uid) continue;
      const st = statsById.get(c.id);
      const name = c.labels?.["io.kubernetes.container.name"] ?? c.metadata?.name;
      const usageNs = u64(st?.cpu?.usage_core_nano_seconds);
      const entry: ContainerStatsSummary = { name, startTime: isoFromNs(c.created_at) };
      if (usageNs !== undefined) {
        entry.cpu = { time, usageCoreNanoSeconds: usageNs, usageNanoCores: u64(st?.cpu?.usage_nano_cores) || nanoCores(`ctr:${c.id}`, usageNs, nowNs(), seen) };
      }
      if (st?.memory) {
        entry.memory = {
          time,
          workingSetBytes: u64(st.memory.working_set_bytes),
          usageBytes: u64(st.memory.usage_bytes),
          rssBytes: u64(st.memory.rss_bytes),
          availableBytes: u64(st.memory.available_bytes),
          pageFaults: u64(st.memory.page_faults),
          majorPageFaults: u64(st.memory.major_page_faults),
        };
      }
      if (st?.writable_layer) entry.rootfs = { time, usedBytes: u64(st.writable_layer.used_bytes), inodesUsed: u64(st.writable_layer.inodes_used) };
      cs.push(entry);
    }
    pods.push({
      podRef: { name: pod.metadata?.name ?? "", namespace: pod.metadata?.namespace ?? "", uid },
      startTime: pod.status?.startTime ?? pod.metadata?.creationTimestamp ?? time,
      containers: cs,
      cpu: usage.cpu,
      memory: usage.memory,
    });
  }
  for (const k of previous.keys()) if (!seen.has(k)) previous.delete(k);

  return {
    node: {
      nodeName: opts.nodeName,
      startTime: bootTime(),
      cpu: nodeUsage?.cpu ?? { time },
      memory: nodeMem,
      fs: fsStats(opts.rootDir, time),
      runtime: imageFs ? { imageFs } : undefined,
    },
    pods,
  };
}

function labelValue(v: string): string {
  return v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
}

function ms(t: string | undefined): number {
  return t ? Date.parse(t) : Date.now();
}

/** The /metrics/resource exposition (names, help texts and labels as upstream's resource metrics collector). */
export function resourceMetricsText(summary: Summary, scrapeError = false): string {
  const fams: { name: string; help: string; type: string; lines: string[] }[] = [];
  const fam = (name: string, help: string, type: string) => {
    const f = { name, help, type, lines: [] as string[] };
    fams.push(f);
    return f;
  };
  const cCpu = fam("container_cpu_usage_seconds_total", "[STABLE] Cumulative cpu time consumed by the container in core-seconds", "counter");
  const cMem = fam("container_memory_working_set_bytes", "[STABLE] Current working set of the container in bytes", "gauge");
  const cStart = fam("container_start_time_seconds", "[STABLE] Start time of the container since unix epoch in seconds", "gauge");
  const nCpu = fam("node_cpu_usage_seconds_total", "[STABLE] Cumulative cpu time consumed by the node in core-seconds", "counter");
  const nMem = fam("node_memory_working_set_bytes", "[STABLE] Current working set of the node in bytes", "gauge");
  const pCpu = fam("pod_cpu_usage_seconds_total", "[STABLE] Cumulative cpu time consumed by the pod in core-seconds", "counter");
  const pMem = fam("pod_memory_working_set_bytes", "[STABLE] Current working set of the pod in bytes", "gauge");
  const scrape = fam("scrape_error", "[ALPHA] 1 if there was an error while getting container metrics, 0 otherwise", "gauge");

  const n = summary.node;
  if (n.cpu?.usageCoreNanoSeconds !== undefined) nCpu.lines.push(`node_cpu_usage_seconds_total ${n.cpu.usageCoreNanoSeconds / 1e9} ${ms(n.cpu.time)}`);
  if (n.memory?.workingSetBytes !== undefined) nMem.lines.push(`node_memory_working_set_bytes ${n.memory.workingSetBytes} ${ms(n.memory.time)}`);
  for (const p of summary.pods) {
    const pl = `namespace="${labelValue(p.podRef.namespace)}",pod="${labelValue(p.podRef.name)}"`;
    if (p.cpu?.usageCoreNanoSeconds !== undefined) pCpu.lines.push(`pod_cpu_usage_seconds_total{${pl}} ${p.cpu.usageCoreNanoSeconds / 1e9} ${ms(p.cpu.time)}`);
    if (p.memory?.workingSetBytes !== undefined) pMem.lines.push(`pod_memory_working_set_bytes{${pl}} ${p.memory.workingSetBytes} ${ms(p.memory.time)}`);
    for (const c of p.containers) {
      const l = `container="${labelValue(c.name)}",${pl}`;
      if (c.cpu?.usageCoreNanoSeconds !== undefined) cCpu.lines.push(`container_cpu_usage_seconds_total{${l}} ${c.cpu.usageCoreNanoSeconds / 1e9} ${ms(c.cpu.time)}`);
      if (c.memory?.workingSetBytes !== undefined) cMem.lines.push(`container_memory_working_set_bytes{${l}} ${c.memory.workingSetBytes} ${ms(c.memory.time)}`);
      cStart.lines.push(`container_start_time_seconds{${l}} ${Date.parse(c.startTime) / 1000} ${ms(c.cpu?.time)}`);
    }
  }
  scrape.lines.push(`scrape_error ${scrapeError ? 1 : 0}`);
  let out = "";
  for (const f of fams) {
    if (f.lines.length === 0) continue;
    out += `# HELP ${f.name} ${f.help}\n# TYPE ${f.name} ${f.type}\n${f.lines.join("\n")}\n`;
  }
  return out;
}
