import { test } from "node:test";
import assert from "node:assert/strict";
import { tmpdir } from "node:os";
import { CgroupfsManager, cgroupHierarchies } from "../cgroups/index.ts";
import { collectSummary, resourceMetricsText } from "./index.ts";

const canCgroup = process.getuid?.() === 0 && cgroupHierarchies().some((h) => h.version === 1 && h.controllers.includes("cpuacct"));

function fakeCri(uid: string) {
  let cpu = 1_000_000_000;
  return {
    endpoint: "fake",
    close() {},
    image: { ImageFsInfo: async () => ({ image_filesystems: [{ used_bytes: { value: "4096" }, inodes_used: { value: "3" } }] }) },
    runtime: {
      ListContainers: async () => ({
        containers: [
          { id: "c1", created_at: String(1_700_000_000_000_000_000), metadata: { name: "app" }, labels: { "io.kubernetes.pod.uid": uid, "io.kubernetes.container.name": "app" } },
          { id: "c2", labels: { "io.kubernetes.pod.uid": "other" } },
        ],
      }),
      ListContainerStats: async () => {
        cpu += 500_000_000;
        return {
          stats: [
            { attributes: { id: "c1" }, cpu: { usage_core_nano_seconds: { value: String(cpu) } }, memory: { working_set_bytes: { value: "1048576" }, usage_bytes: { value: "2097152" } } },
          ],
        };
      },
    },
  } as any;
}

test("summary from cgroups and CRI, and /metrics/resource text", { skip: !canCgroup }, async () => {
  const root = `/tskube-stats-test-${process.pid}-${Date.now()}`;
  const m = new CgroupfsManager({ root });
  const pod = { metadata: { name: "web", namespace: "ns", uid: "uid-s", creationTimestamp: "2026-01-01T00:00:00Z" }, spec: { containers: [{ name: "app" }] } };
  try {
    await m.ensureNodeRoot();
    await m.ensurePod(pod);
    const opts = { nodeName: "node1", pods: [pod, { metadata: { name: "gone", namespace: "ns", uid: "nope" }, spec: {} }], cri: fakeCri("uid-s"), cgroupRoot: root, rootDir: tmpdir() };
    const first = await collectSummary(opts);
    await new Promise((r) => setTimeout(r, 50));
    const s = await collectSummary(opts);
    assert.equal(s.node.nodeName, "node1");
    assert.ok(s.node.cpu!.usageCoreNanoSeconds! > 0);
    assert.equal(first.node.cpu!.usageNanoCores, undefined);
    assert.ok(typeof s.node.cpu!.usageNanoCores === "number", "rate from two samples");
    assert.ok(s.node.memory!.workingSetBytes! > 0);
    assert.ok(s.node.fs!.capacityBytes! > 0);
    assert.equal(s.node.runtime!.imageFs!.usedBytes, 4096);
    assert.equal(s.pods.length, 1, "pods without a cgroup are skipped");
    const p = s.pods[0];
    assert.deepEqual(p.podRef, { name: "web", namespace: "ns", uid: "uid-s" });
    assert.equal(p.cpu!.usageCoreNanoSeconds, 0);
    assert.equal(typeof p.memory!.workingSetBytes, "number");
    assert.equal(p.containers.length, 1);
    assert.equal(p.containers[0].name, "app");
    assert.equal(p.containers[0].startTime, "2023-11-14T22:13:20Z");
    assert.equal(p.containers[0].cpu!.usageCoreNanoSeconds, 2_000_000_000);
    assert.ok(p.containers[0].cpu!.usageNanoCores! > 0);
    assert.equal(p.containers[0].memory!.workingSetBytes, 1048576);

    const text = resourceMetricsText(s);
    assert.match(text, /^# HELP container_cpu_usage_seconds_total \[STABLE\] Cumulative cpu time consumed by the container in core-seconds\n# TYPE container_cpu_usage_seconds_total counter\n/);
    assert.match(text, /\ncontainer_cpu_usage_seconds_total\{container="app",namespace="ns",pod="web"\} 2 \d+\n/);
    assert.match(text, /\ncontainer_memory_working_set_bytes\{container="app",namespace="ns",pod="web"\} 1048576 \d+\n/);
    assert.match(text, /\nnode_cpu_usage_seconds_total [\d.]+ \d+\n/);
    assert.match(text, /\nnode_memory_working_set_bytes \d+ \d+\n/);
    assert.match(text, /\npod_cpu_usage_seconds_total\{namespace="ns",pod="web"\} 0 \d+\n/);
    assert.match(text, /\npod_memory_working_set_bytes\{namespace="ns",pod="web"\} \d+ \d+\n/);
    assert.match(text, /\n# TYPE scrape_error gauge\nscrape_error 0\n$/);
  } finally {
    await m.removePod(pod).catch(() => {});
    await m.removeNodeRoot();
  }
});
