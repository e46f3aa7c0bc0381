/** Eviction signals, upstream's default hard thresholds, pressure conditions and their transition period. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { tmpdir } from "node:os";
import { measureNodeSignals, parseLoadavgTasks, parseMeminfo, pressureConditions, PressureTracker, thresholdsMet, type NodeSignals } from "./pressure.ts";

const Mi = 1024 * 1024;
const Gi = 1024 * Mi;

/** A healthy node: plenty of memory, disk, inodes and pids. */
function healthy(): NodeSignals {
  return {
    memory: { capacityBytes: 8 * Gi, availableBytes: 4 * Gi },
    nodefs: { capacityBytes: 100 * Gi, availableBytes: 50 * Gi, inodes: 1_000_000, inodesFree: 500_000 },
    imagefs: { capacityBytes: 100 * Gi, availableBytes: 50 * Gi, inodes: 1_000_000, inodesFree: 500_000 },
    pid: { max: 32768, inUse: 300 },
  };
}

test("default hard thresholds: memory.available<100Mi, nodefs.available<10%, nodefs.inodesFree<5%, imagefs.available<15%, pid.available<10%", () => {
  assert.deepEqual(thresholdsMet(healthy()), []);
  const s = healthy();
  s.memory!.availableBytes = 99 * Mi;
  assert.deepEqual(thresholdsMet(s), ["memory.available"]);
  s.memory!.availableBytes = 100 * Mi;
  assert.deepEqual(thresholdsMet(s), [], "exactly at the threshold is not below it");

  const d = healthy();
  d.nodefs!.availableBytes = 9 * Gi;
  assert.deepEqual(thresholdsMet(d), ["nodefs.available"]);
  const i = healthy();
  i.nodefs!.inodesFree = 49_999;
  assert.deepEqual(thresholdsMet(i), ["nodefs.inodesFree"]);
  const im = healthy();
  im.imagefs!.availableBytes = 14 * Gi;
  assert.deepEqual(thresholdsMet(im), ["imagefs.available"]);
  const p = healthy();
  p.pid!.inUse = 32768 - 3000;
  assert.deepEqual(thresholdsMet(p), ["pid.available"]);
  assert.deepEqual(thresholdsMet({}), [], "unmeasured signals meet nothing");
  assert.deepEqual(thresholdsMet(s, { "memory.available": "1Gi" }), ["memory.available"], "configurable thresholds");
});

test("pressure conditions carry upstream's reasons and messages", () => {
  assert.deepEqual(pressureConditions(new Set()), [
    { type: "MemoryPressure", status: "False", reason: "KubeletHasSufficientMemory", message: "kubelet has sufficient memory available" },
    { type: "DiskPressure", status: "False", reason: "KubeletHasNoDiskPressure", message: "kubelet has no disk pressure" },
    { type: "PIDPressure", status: "False", reason: "KubeletHasSufficientPID", message: "kubelet has sufficient PID available" },
  ]);
  assert.deepEqual(pressureConditions(new Set(["MemoryPressure", "DiskPressure", "PIDPressure"] as const)), [
    { type: "MemoryPressure", status: "True", reason: "KubeletHasInsufficientMemory", message: "kubelet has insufficient memory available" },
    { type: "DiskPressure", status: "True", reason: "KubeletHasDiskPressure", message: "kubelet has disk pressure" },
    { type: "PIDPressure", status: "True", reason: "KubeletHasInsufficientPID", message: "kubelet has insufficient PID available" },
  ]);
});

test("a pressure condition stays for the transition period after the signal recovers", () => {
  const tr = new PressureTracker({ transitionMs: 60_000 });
  const low = healthy();
  low.imagefs!.availableBytes = 1 * Gi;
  assert.deepEqual([...tr.update(low, 0)], ["DiskPressure"]);
  assert.deepEqual([...tr.update(healthy(), 30_000)], ["DiskPressure"], "held within the transition period");
  assert.deepEqual([...tr.update(healthy(), 60_001)], [], "released after it");
});

test("signals are parsed from /proc and measured on this host", () => {
  assert.deepEqual(parseMeminfo("MemTotal:       16384 kB\nMemFree:  1 kB\nMemAvailable:    2048 kB\n"), { capacityBytes: 16384 * 1024, availableBytes: 2048 * 1024 });
  assert.equal(parseMeminfo("MemTotal: 1 kB\n"), undefined);
  assert.equal(parseLoadavgTasks("1.83 2.62 1.44 2/98 27194\n"), 98);
  const s = measureNodeSignals(tmpdir(), tmpdir());
  assert.ok(s.memory && s.memory.capacityBytes > 0 && s.memory.availableBytes > 0);
  assert.ok(s.nodefs && s.nodefs.capacityBytes > 0);
  assert.ok(s.imagefs && s.imagefs.capacityBytes > 0);
  assert.ok(s.pid && s.pid.max > 0 && s.pid.inUse > 0);
});
