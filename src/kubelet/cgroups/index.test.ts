import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CgroupfsManager, cgroupHierarchies, containerLinuxResources, nodeCapacity, podQOSClass, podResourceConfig } from "./index.ts";

const pod = (uid: string, containers: any[], extra: any = {}) => ({ metadata: { name: uid, namespace: "ns", uid }, spec: { containers, ...extra } });
const res = (requests?: any, limits?: any) => ({ name: "c", resources: { requests, limits } });

test("QoS classes follow upstream rules", () => {
  assert.equal(podQOSClass(pod("a", [res()])), "BestEffort");
  assert.equal(podQOSClass(pod("a", [res({ cpu: "100m", memory: "1Gi" }, { cpu: "100m", memory: "1Gi" })])), "Guaranteed");
  // limits only: requests default to limits
  assert.equal(podQOSClass(pod("a", [res(undefined, { cpu: "1", memory: "1Gi" })])), "Guaranteed");
  assert.equal(podQOSClass(pod("a", [res({ cpu: "100m" })])), "Burstable");
  assert.equal(podQOSClass(pod("a", [res({ cpu: "100m", memory: "1Gi" }, { cpu: "200m", memory: "1Gi" })])), "Burstable");
  assert.equal(podQOSClass(pod("a", [res({ cpu: "1", memory: "1Gi" }, { cpu: "1", memory: "1Gi" }), res()])), "Burstable");
  assert.equal(podQOSClass(pod("a", [res({ cpu: "1", memory: "1Gi" }, { cpu: "1", memory: "1Gi" })], { initContainers: [res({ cpu: "1" })] })), "Burstable");
});

test("pod resource config: sums, init max, overhead", () => {
  const g = pod("g", [res({ cpu: "250m", memory: "64Mi" }, { cpu: "250m", memory: "64Mi" }), res({ cpu: "250m", memory: "64Mi" }, { cpu: "250m", memory: "64Mi" })], {
    initContainers: [res({ cpu: "2", memory: "32Mi" }, { cpu: "2", memory: "32Mi" })],
    overhead: { cpu: "100m", memory: "10Mi" },
  });
  assert.deepEqual(podResourceConfig(g), { cpuShares: Math.floor(2100 * 1024 / 1000), cpuQuota: 210000, cpuPeriod: 100000, memoryLimit: (128 + 10) * 1024 * 1024 });
  assert.deepEqual(podResourceConfig(pod("b", [res({ cpu: "100m" })])), { cpuShares: 102 });
  assert.deepEqual(podResourceConfig(pod("b", [res({ cpu: "100m", memory: "1Mi" }, { memory: "2Mi" })])), { cpuShares: 102, memoryLimit: 2 * 1024 * 1024 });
  assert.deepEqual(podResourceConfig(pod("e", [res()])), { cpuShares: 2 });
});

test("container linux resources and oom_score_adj", () => {
  const cap = 1000 * 1024 * 1024;
  const g = pod("g", [res({ cpu: "500m", memory: "100Mi" }, { cpu: "500m", memory: "100Mi" })]);
  assert.deepEqual(containerLinuxResources(g, g.spec.containers[0], cap), {
    cpu_shares: 512, cpu_period: 100000, cpu_quota: 50000, memory_limit_in_bytes: 100 * 1024 * 1024, oom_score_adj: -997,
  });
  const be = pod("e", [res()]);
  assert.deepEqual(containerLinuxResources(be, be.spec.containers[0], cap), { cpu_shares: 2, memory_limit_in_bytes: 0, oom_score_adj: 1000 });
  const b = pod("b", [res({ cpu: "10m", memory: "250Mi" })]);
  assert.equal(containerLinuxResources(b, b.spec.containers[0], cap).oom_score_adj, 750);
  assert.equal(containerLinuxResources(b, b.spec.containers[0], cap).cpu_shares, 10);
  const huge = pod("b", [res({ memory: "2000Mi" })]);
  assert.equal(containerLinuxResources(huge, huge.spec.containers[0], cap).oom_score_adj, 3);
  const tiny = pod("b", [res({ cpu: "1m" })]);
  assert.equal(containerLinuxResources(tiny, tiny.spec.containers[0], cap).oom_score_adj, 999);
  assert.equal(containerLinuxResources(tiny, tiny.spec.containers[0], cap).cpu_shares, 2);
  // cpu limit without explicit request: shares from the limit
  const lim = pod("b", [{ name: "c", resources: { limits: { cpu: "1" } } }]);
  assert.equal(containerLinuxResources(lim, lim.spec.containers[0], cap).cpu_shares, 1024);
});

test("node capacity", () => {
  const c = nodeCapacity("/");
  assert.match(c.cpu, /^\d+$/);
  assert.match(c.memory, /^\d+Ki$/);
  assert.match(c["ephemeral-storage"], /^\d+Ki$/);
  assert.equal(c.pods, "110");
});

const canCgroup = process.getuid?.() === 0 && cgroupHierarchies().some((h) => h.version === 1 && h.controllers.includes("cpu"));

test("cgroupfs pod cgroups are created, limited and removed", { skip: !canCgroup }, async () => {
  const root = `/tskube-test-${process.pid}-${Date.now()}/node1`;
  const m = new CgroupfsManager({ root, removeTimeoutMs: 5000 });
  const cpu = m.controllerPath("cpu", "/")!;
  const mem = m.controllerPath("memory", "/")!;
  let child: ReturnType<typeof spawn> | undefined;
  try {
    await m.ensureNodeRoot();
    assert.equal(readFileSync(join(cpu, root, "besteffort/cpu.shares"), "utf8").trim(), "2");
    const g = pod("uid-g", [res({ cpu: "500m", memory: "64Mi" }, { cpu: "500m", memory: "64Mi" })]);
    const b = pod("uid-b", [res({ cpu: "100m" })]);
    const e = pod("uid-e", [res()]);
    assert.equal(await m.ensurePod(g), `${root}/poduid-g`);
    assert.equal(await m.ensurePod(b), `${root}/burstable/poduid-b`);
    assert.equal(await m.ensurePod(e), `${root}/besteffort/poduid-e`);
    assert.equal(await m.ensurePod(g), `${root}/poduid-g`); // idempotent
    assert.equal(readFileSync(join(cpu, root, "poduid-g/cpu.shares"), "utf8").trim(), "512");
    assert.equal(readFileSync(join(cpu, root, "poduid-g/cpu.cfs_quota_us"), "utf8").trim(), "50000");
    assert.equal(readFileSync(join(mem, root, "poduid-g/memory.limit_in_bytes"), "utf8").trim(), String(64 * 1024 * 1024));
    assert.equal(readFileSync(join(cpu, root, "burstable/poduid-b/cpu.cfs_quota_us"), "utf8").trim(), "-1");
    const cpuset = m.controllerPath("cpuset", "/");
    if (cpuset) assert.notEqual(readFileSync(join(cpuset, root, "burstable/poduid-b/cpuset.cpus"), "utf8").trim(), "");
    assert.deepEqual((await m.listPodUids()).sort(), ["uid-b", "uid-e", "uid-g"]);

    // a task in a container-level child cgroup: removal waits until it leaves
    child = spawn("sleep", ["30"], { stdio: "ignore" });
    const leaf = join(cpu, root, "burstable/poduid-b/ctr1");
    const { mkdirSync } = await import("node:fs");
    mkdirSync(leaf);
    writeFileSync(join(leaf, "cgroup.procs"), String(child.pid));
    const c = child;
    setTimeout(() => c.kill("SIGKILL"), 300);
    const t0 = Date.now();
    await m.removePod(b);
    assert.ok(Date.now() - t0 >= 200, "waited for the task to leave");
    assert.equal(existsSync(join(cpu, root, "burstable/poduid-b")), false);
    await m.removePod({ metadata: { uid: "uid-g" } });
    await m.removePod(e);
    assert.deepEqual(await m.listPodUids(), []);
  } finally {
    child?.kill("SIGKILL");
    await m.removePod({ metadata: { uid: "uid-b" } }).catch(() => {});
    await m.removePod({ metadata: { uid: "uid-g" } }).catch(() => {});
    await m.removePod({ metadata: { uid: "uid-e" } }).catch(() => {});
    await m.removeNodeRoot();
    await new CgroupfsManager({ root: root.replace(/\/node1$/, "") }).removeNodeRoot();
  }
  assert.equal(existsSync(join(cpu, root)), false);
});
