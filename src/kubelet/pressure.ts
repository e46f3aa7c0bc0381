/**
 * Node pressure: the kubelet side of upstream's eviction manager, reduced to
 * the node conditions. Eviction signals (memory.available, nodefs/imagefs
 * available and inodesFree, pid.available) are measured from /proc and
 * statfs, compared with hard thresholds (upstream's defaults unless
 * configured), and turned into the MemoryPressure, DiskPressure and
 * PIDPressure conditions. A condition stays True for the pressure transition
 * period (default 5 minutes, upstream's evictionPressureTransitionPeriod)
 * after its threshold was last met, so it does not flap. Evicting pods is
 * not done here.
 */
import { readFileSync, statfsSync } from "node:fs";
import { tryParseQuantity } from "../machinery/quantity.ts";

/** Usage of one filesystem. */
export interface FsSignal {
  capacityBytes: number;
  availableBytes: number;
  inodes: number;
  inodesFree: number;
}

/** One measurement of the eviction signals; an absent part is unknown and meets no threshold. */
export interface NodeSignals {
  memory?: { capacityBytes: number; availableBytes: number };
  /** The filesystem of the kubelet root dir. */
  nodefs?: FsSignal;
  /** The filesystem holding container images (absent: not measured separately). */
  imagefs?: FsSignal;
  /** pid_max and the number of process ids in use. */
  pid?: { max: number; inUse: number };
}

export type SignalName = "memory.available" | "nodefs.available" | "nodefs.inodesFree" | "imagefs.available" | "imagefs.inodesFree" | "pid.available";

/**
 * Hard thresholds as in KubeletConfiguration.evictionHard: signal → quantity
 * ("100Mi") or percentage of capacity ("10%"). The threshold is met when the
 * signal is below it.
 */
export type Thresholds = Partial<Record<SignalName, string>>;

/**
 * upstream's default evictionHard on Linux, plus pid.available < 10% of
 * pid_max (upstream sets no default PID threshold; tskube picks 10%).
 */
export const DEFAULT_EVICTION_HARD: Thresholds = {
  "memory.available": "100Mi",
  "nodefs.available": "10%",
  "nodefs.inodesFree": "5%",
  "imagefs.available": "15%",
  "pid.available": "10%",
};

/** upstream's default evictionPressureTransitionPeriod. */
export const DEFAULT_PRESSURE_TRANSITION_MS = 5 * 60_000;

export type PressureCondition = "MemoryPressure" | "DiskPressure" | "PIDPressure";

const conditionOf: Record<SignalName, PressureCondition> = {
  "memory.available": "MemoryPressure",
  "nodefs.available": "DiskPressure",
  "nodefs.inodesFree": "DiskPressure",
  "imagefs.available": "DiskPressure",
  "imagefs.inodesFree": "DiskPressure",
  "pid.available": "PIDPressure",
};

/** The observed value and capacity of a signal, if measured. */
function observe(s: NodeSignals, name: SignalName): { value: number; capacity: number } | undefined {
  switch (name) {
    case "memory.available":
      return s.memory && { value: s.memory.availableBytes, capacity: s.memory.capacityBytes };
    case "nodefs.available":
      return s.nodefs && { value: s.nodefs.availableBytes, capacity: s.nodefs.capacityBytes };
    case "nodefs.inodesFree":
      return s.nodefs && s.nodefs.inodes > 0 ? { value: s.nodefs.inodesFree, capacity: s.nodefs.inodes } : undefined;
    case "imagefs.available":
      return s.imagefs && { value: s.imagefs.availableBytes, capacity: s.imagefs.capacityBytes };
    case "imagefs.inodesFree":
      return s.imagefs && s.imagefs.inodes > 0 ? { value: s.imagefs.inodesFree, capacity: s.imagefs.inodes } : undefined;
    case "pid.available":
      return s.pid && { value: s.pid.max - s.pid.inUse, capacity: s.pid.max };
  }
}

/** The minimum a signal must stay at (bytes, inodes or pids) for a threshold ("100Mi" or "10%"). */
export function thresholdValue(threshold: string, capacity: number): number | undefined {
  const t = threshold.trim();
  if (t.endsWith("%")) {
    const pct = Number(t.slice(0, -1));
    return Number.isFinite(pct) ? (capacity * pct) / 100 : undefined;
  }
  return tryParseQuantity(t)?.value();
}

/** The signals whose hard threshold is met by one measurement. */
export function thresholdsMet(signals: NodeSignals, thresholds: Thresholds = DEFAULT_EVICTION_HARD): SignalName[] {
  const met: SignalName[] = [];
  for (const [name, threshold] of Object.entries(thresholds) as [SignalName, string][]) {
    if (!threshold || !(name in conditionOf)) continue;
    const o = observe(signals, name);
    if (!o) continue;
    const min = thresholdValue(threshold, o.capacity);
    if (min !== undefined && o.value < min) met.push(name);
  }
  return met;
}

/** The three pressure conditions as the kubelet reports them (without times). */
export function pressureConditions(active: ReadonlySet<PressureCondition>): { type: PressureCondition; status: "True" | "False"; reason: string; message: string }[] {
  const mem = active.has("MemoryPressure");
  const disk = active.has("DiskPressure");
  const pid = active.has("PIDPressure");
  return [
    mem
      ? { type: "MemoryPressure", status: "True", reason: "KubeletHasInsufficientMemory", message: "kubelet has insufficient memory available" }
      : { type: "MemoryPressure", status: "False", reason: "KubeletHasSufficientMemory", message: "kubelet has sufficient memory available" },
    disk
      ? { type: "DiskPressure", status: "True", reason: "KubeletHasDiskPressure", message: "kubelet has disk pressure" }
      : { type: "DiskPressure", status: "False", reason: "KubeletHasNoDiskPressure", message: "kubelet has no disk pressure" },
    pid
      ? { type: "PIDPressure", status: "True", reason: "KubeletHasInsufficientPID", message: "kubelet has insufficient PID available" }
      : { type: "PIDPressure", status: "False", reason: "KubeletHasSufficientPID", message: "kubelet has sufficient PID available" },
  ];
}

/** Turns successive measurements into pressure conditions, holding each for the transition period. */
export class PressureTracker {
  readonly #thresholds: Thresholds;
  readonly #transitionMs: number;
  readonly #lastMet = new Map<PressureCondition, number>();

  constructor(o: { thresholds?: Thresholds; transitionMs?: number } = {}) {
    this.#thresholds = o.thresholds ?? DEFAULT_EVICTION_HARD;
    this.#transitionMs = o.transitionMs ?? DEFAULT_PRESSURE_TRANSITION_MS;
  }

  /** Records a measurement taken at `now` (ms) and returns the conditions under pressure. */
  update(signals: NodeSignals, now: number): Set<PressureCondition> {
    for (const s of thresholdsMet(signals, this.#thresholds)) this.#lastMet.set(conditionOf[s], now);
    return this.active(now);
  }

  /** Conditions whose threshold was met within the transition period before `now`. */
  active(now: number): Set<PressureCondition> {
    const out = new Set<PressureCondition>();
    for (const [c, at] of this.#lastMet) {
      if (now - at <= this.#transitionMs) out.add(c);
      else this.#lastMet.delete(c);
    }
    return out;
  }
}

function readOr(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
}

/** statfs of a directory as an FsSignal (undefined when it cannot be read). */
export function fsSignal(dir: string): FsSignal | undefined {
  try {
    const s = statfsSync(dir);
    return { capacityBytes: s.blocks * s.bsize, availableBytes: s.bavail * s.bsize, inodes: s.files, inodesFree: s.ffree };
  } catch {
    return undefined;
  }
}

/** MemTotal and MemAvailable from /proc/meminfo text. */
export function parseMeminfo(text: string): NodeSignals["memory"] {
  const kb = (key: string): number | undefined => {
    const m = new RegExp(`^${key}:\\s+(\\d+)\\s*kB`, "m").exec(text);
    return m ? Number(m[1]) * 1024 : undefined;
  };
  const total = kb("MemTotal");
  const avail = kb("MemAvailable");
  return total !== undefined && avail !== undefined ? { capacityBytes: total, availableBytes: avail } : undefined;
}

/** Process ids in use: the total scheduling entities field of /proc/loadavg ("0.1 0.2 0.3 2/98 123"). */
export function parseLoadavgTasks(text: string): number | undefined {
  const m = /^\S+\s+\S+\s+\S+\s+\d+\/(\d+)/.exec(text);
  return m ? Number(m[1]) : undefined;
}

/**
 * Measures the signals on this host: /proc/meminfo, statfs of the kubelet
 * root dir (nodefs) and of `imageFsDir` when given (imagefs),
 * /proc/sys/kernel/pid_max and /proc/loadavg.
 */
export function measureNodeSignals(rootDir: string, imageFsDir?: string): NodeSignals {
  const out: NodeSignals = {};
  const memory = parseMeminfo(readOr("/proc/meminfo"));
  if (memory) out.memory = memory;
  const nodefs = fsSignal(rootDir);
  if (nodefs) out.nodefs = nodefs;
  const imagefs = imageFsDir ? fsSignal(imageFsDir) : undefined;
  if (imagefs) out.imagefs = imagefs;
  const max = Number(readOr("/proc/sys/kernel/pid_max").trim());
  const inUse = parseLoadavgTasks(readOr("/proc/loadavg"));
  if (max > 0 && inUse !== undefined) out.pid = { max, inUse };
  return out;
}
