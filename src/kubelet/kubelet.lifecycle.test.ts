/**
 * The kubelet against an in-process apiserver with a fake CRI: node pressure
 * conditions driven by injected eviction signals, the node's image list,
 * maxPods admission (OutOfpods) and spec.activeDeadlineSeconds
 * (DeadlineExceeded), image garbage collection from the GC timer.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { findResource } from "../api/resources.ts";
import { realClock } from "../client/clock.ts";
import { startTestCluster } from "../client/testserver.ts";
import { eventually } from "../controllers/testing.ts";
import { startKubelet, type KubeletOptions } from "./index.ts";
import type { NodeSignals } from "./pressure.ts";
import { FakeCri } from "./testing/fakecri.ts";
import { fakeServices } from "./testing/harness.ts";

const podsRes = findResource("", "v1", "pods")!;
const nodesRes = findResource("", "v1", "nodes")!;
const eventsRes = findResource("", "v1", "events")!;

const Gi = 1024 ** 3;

async function setup(t: { after(fn: () => Promise<void>): void }, extra: Partial<KubeletOptions>, prepare?: (cri: FakeCri) => void) {
  const tc = await startTestCluster();
  const root = mkdtempSync(join(tmpdir(), "tskube-kubelet-lc-"));
  const cri = new FakeCri(realClock);
  cri.addImage("img:1");
  prepare?.(cri);
  const client = tc.newClient();
  const kubelet = await startKubelet({ client, cri, services: fakeServices(), nodeName: "n1", nodeIP: "192.0.2.10", rootDir: join(root, "kubelet"), port: -1, relistMs: 100, syncFrequencyMs: 1000, nodeStatusMs: 100, ...extra });
  t.after(async () => {
    await kubelet.stop();
    client.close();
    await tc.stop();
    rmSync(root, { recursive: true, force: true });
  });
  return { tc, cri, kubelet, pods: tc.client.resource(podsRes), nodes: tc.client.resource(nodesRes) };
}

test("node pressure conditions follow the eviction signals; node images are the largest first, at most 50", async (t) => {
  const signals: NodeSignals = {
    memory: { capacityBytes: 8 * Gi, availableBytes: 4 * Gi },
    nodefs: { capacityBytes: 100 * Gi, availableBytes: 50 * Gi, inodes: 1e6, inodesFree: 5e5 },
    imagefs: { capacityBytes: 100 * Gi, availableBytes: 50 * Gi, inodes: 1e6, inodesFree: 5e5 },
    pid: { max: 32768, inUse: 200 },
  };
  const { cri, nodes, pods, tc } = await setup(t, { nodeSignals: () => structuredClone(signals), evictionPressureTransitionMs: 0 });
  const cond = async (type: string, status: string) =>
    eventually(`${type}=${status}`, async () => {
      const n = await nodes.get("", "n1");
      const c = n.status?.conditions?.find((x: any) => x.type === type);
      return c?.status === status ? c : undefined;
    });
  let c = await cond("MemoryPressure", "False");
  assert.equal(c.reason, "KubeletHasSufficientMemory");
  signals.memory!.availableBytes = 50 * 1024 * 1024;
  c = await cond("MemoryPressure", "True");
  assert.equal(c.reason, "KubeletHasInsufficientMemory");
  assert.equal(c.message, "kubelet has insufficient memory available");
  // Under MemoryPressure a BestEffort pod is refused (upstream's eviction admission); one tolerating the taint is not.
  const bestEffort = (name: string, tolerations?: unknown[]) =>
    pods.create("default", { apiVersion: "v1", kind: "Pod", metadata: { name }, spec: { nodeName: "n1", containers: [{ name: "c", image: "img:1" }], ...(tolerations ? { tolerations } : {}) } });
  await bestEffort("be");
  await bestEffort("be-tolerant", [{ key: "node.kubernetes.io/memory-pressure", operator: "Exists", effect: "NoSchedule" }]);
  const refused = await eventually("be refused", async () => {
    const p = await pods.get("default", "be");
    return p.status?.phase === "Failed" ? p : undefined;
  });
  assert.deepEqual([refused.status.reason, refused.status.message], ["Evicted", "Pod was rejected: The node had condition: [MemoryPressure]. "]);
  await eventually("be-tolerant runs", async () => ((await pods.get("default", "be-tolerant")).status?.phase === "Running") || undefined);
  const events = tc.client.resource(findResource("", "v1", "events")!);
  await eventually("node event NodeHasInsufficientMemory", async () =>
    (await events.list("default")).items.some((e: any) => e.reason === "NodeHasInsufficientMemory" && e.involvedObject.kind === "Node" && e.message === "Node n1 status is now: NodeHasInsufficientMemory") || undefined,
  );
  signals.memory!.availableBytes = 4 * Gi;
  await cond("MemoryPressure", "False");

  signals.imagefs!.availableBytes = 10 * Gi;
  c = await cond("DiskPressure", "True");
  assert.deepEqual([c.reason, c.message], ["KubeletHasDiskPressure", "kubelet has disk pressure"]);
  signals.imagefs!.availableBytes = 50 * Gi;
  c = await cond("DiskPressure", "False");
  assert.deepEqual([c.reason, c.message], ["KubeletHasNoDiskPressure", "kubelet has no disk pressure"]);

  signals.pid!.inUse = 32000;
  c = await cond("PIDPressure", "True");
  assert.deepEqual([c.reason, c.message], ["KubeletHasInsufficientPID", "kubelet has insufficient PID available"]);
  const n = await nodes.get("", "n1");
  assert.equal(n.status.conditions.find((x: any) => x.type === "Ready").status, "True", "pressure does not make the node NotReady");

  // 60 images of growing size, one with 7 names: 50 reported, largest first, at most 5 names each.
  for (let i = 0; i < 60; i++) cri.addImage(`big/${i}:1`, 10_000 + i);
  const id = cri.addImage("many:1", 1_000_000);
  for (let i = 2; i <= 7; i++) cri.images.set(`many:${i}`, id);
  const images = await eventually("images reported", async () => {
    const node = await nodes.get("", "n1");
    return node.status?.images?.length === 50 ? node.status.images : undefined;
  });
  assert.deepEqual(images[0], { names: ["many:1", "many:2", "many:3", "many:4", "many:5"], sizeBytes: 1_000_000 });
  assert.deepEqual(images[1], { names: ["big/59:1"], sizeBytes: 10_059 });
  assert.ok(images.every((im: any, i: number) => i === 0 || images[i - 1].sizeBytes >= im.sizeBytes));
});

test("maxPods admission rejects pods beyond capacity with OutOfpods; activeDeadlineSeconds fails and kills a pod", async (t) => {
  // The image filesystem fills up (90%) once the pods run: the GC timer then removes what no container uses.
  let full = false;
  const imageFs = async () => ({ capacityBytes: 100_000, availableBytes: full ? 10_000 : 50_000 });
  const { tc, cri, pods } = await setup(t, { maxPods: 3, imageFs, gcPeriodMs: 200 }, (c) => void c.addImage("junk:1"));
  const spec = (extra: Record<string, unknown> = {}) => ({ nodeName: "n1", terminationGracePeriodSeconds: 5, containers: [{ name: "c", image: "img:1", imagePullPolicy: "IfNotPresent" }], ...extra });
  for (const name of ["a1", "a2"]) await pods.create("default", { apiVersion: "v1", kind: "Pod", metadata: { name }, spec: spec() });
  await pods.create("default", { apiVersion: "v1", kind: "Pod", metadata: { name: "deadline" }, spec: spec({ activeDeadlineSeconds: 4 }) });
  await pods.create("default", { apiVersion: "v1", kind: "Pod", metadata: { name: "extra" }, spec: spec() });

  const rejected = await eventually("extra rejected", async () => {
    const p = await pods.get("default", "extra");
    return p.status?.phase === "Failed" ? p : undefined;
  });
  assert.equal(rejected.status.reason, "OutOfpods");
  assert.equal(rejected.status.message, "Pod was rejected: Node didn't have enough resource: pods, requested: 1, used: 3, capacity: 3");
  for (const name of ["a1", "a2", "deadline"]) {
    await eventually(`${name} Running`, async () => ((await pods.get("default", name)).status?.phase === "Running" ? true : undefined));
  }
  full = true;
  const ev = await eventually("OutOfpods event", async () => {
    const list = await tc.client.resource(eventsRes).list("default");
    return list.items.find((e: any) => e.reason === "OutOfpods" && e.involvedObject?.name === "extra");
  });
  assert.equal(ev.type, "Warning");
  assert.equal(ev.message, "Node didn't have enough resource: pods, requested: 1, used: 3, capacity: 3");
  assert.ok(!cri.calls.some((c) => c.startsWith("RunPodSandbox:extra")), "a rejected pod is never started");

  // The deadline pod is failed and killed once it has run for 4 s.
  const failed = await eventually(
    "deadline pod Failed",
    async () => {
      const p = await pods.get("default", "deadline");
      return p.status?.phase === "Failed" ? p : undefined;
    },
    10_000,
  );
  assert.equal(failed.status.reason, "DeadlineExceeded");
  assert.equal(failed.status.message, "Pod was active on the node longer than the specified deadline");
  const ran = Date.parse(failed.status.conditions.find((c: any) => c.type === "Ready").lastTransitionTime) - Date.parse(failed.status.startTime);
  assert.ok(ran >= 3000, `failed after ${ran} ms`);
  await eventually("deadline pod's container stopped", async () => {
    const p = await pods.get("default", "deadline");
    return p.status?.containerStatuses?.[0]?.state?.terminated ? true : undefined;
  });
  assert.ok(cri.calls.some((c) => c.startsWith("StopPodSandbox:deadline")));
  const dev = await eventually("DeadlineExceeded event", async () => {
    const list = await tc.client.resource(eventsRes).list("default");
    return list.items.find((e: any) => e.reason === "DeadlineExceeded" && e.involvedObject?.name === "deadline");
  });
  assert.equal(dev.type, "Normal");
  assert.equal(dev.message, "Pod was active on the node longer than the specified deadline");
  await new Promise((r) => setTimeout(r, 1500));
  const still = await pods.get("default", "deadline");
  assert.equal(still.status.phase, "Failed", "stays Failed after resyncs");
  assert.equal(still.status.reason, "DeadlineExceeded");
  assert.equal((await pods.get("default", "extra")).status.phase, "Failed", "a rejected pod stays rejected");

  await eventually("image GC removed the unused image", () => (cri.images.has("junk:1") ? undefined : true));
  assert.ok(cri.images.has("img:1"), "images in use are kept");

  // Terminal pods free their slot.
  await pods.create("default", { apiVersion: "v1", kind: "Pod", metadata: { name: "later" }, spec: spec() });
  await eventually("later Running", async () => ((await pods.get("default", "later")).status?.phase === "Running" ? true : undefined));
});
