/** Status manager: termination messages and writing only on change. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { terminationLogPath } from "./config.ts";
import { StatusManager } from "./statusmanager.ts";
import { harness, testPod } from "./testing/harness.ts";

test("termination messages come from the file, or the log tail with FallbackToLogsOnError; unchanged status is not rewritten", async (t) => {
  const h = harness();
  t.after(() => h.cleanup());
  const writes: any[] = [];
  const sm = new StatusManager({ write: async (_p, s) => void writes.push(s), probes: h.services.probes, clock: h.clock, hostIP: "192.0.2.1", qosClass: () => "BestEffort", paths: (p) => h.syncer.paths(p) });
  const pod = testPod([{ name: "a" }, { name: "b", terminationMessagePolicy: "FallbackToLogsOnError" }], { restartPolicy: "Never" });
  await h.sync(pod);
  pod.status = { phase: "Pending" };
  const paths = h.syncer.paths(pod);
  writeFileSync(terminationLogPath(paths, "a", 0), "bye from a");
  const logFile = join(paths.logDir, "b", "0.log");
  mkdirSync(dirname(logFile), { recursive: true });
  writeFileSync(logFile, "2026-01-01T00:00:00.1Z stdout F line one\n2026-01-01T00:00:00.2Z stderr F boom\n");
  h.cri.exit("a", 0);
  h.cri.exit("b", 2);
  const rp = await h.lister.listPod(pod.metadata.uid!);
  const st = await sm.update(pod, rp, new Map());
  assert.equal(st.containerStatuses[0].state.terminated.message, "bye from a");
  assert.equal(st.containerStatuses[1].state.terminated.message, "line one\nboom");
  assert.equal(st.phase, "Failed");
  assert.equal(writes.length, 1);
  await sm.update(pod, rp, new Map());
  assert.equal(writes.length, 1, "same status is not written twice");
});

test("a pod the kubelet failed keeps phase Failed with its reason; rejection writes upstream's rejected status", async (t) => {
  const h = harness();
  t.after(() => h.cleanup());
  const writes: any[] = [];
  const sm = new StatusManager({ write: async (_p, s) => void writes.push(s), probes: h.services.probes, clock: h.clock, hostIP: "192.0.2.1", qosClass: () => "BestEffort", paths: (p) => h.syncer.paths(p) });
  const pod = testPod([{ name: "a" }]);
  await h.sync(pod);
  const rp = await h.lister.listPod(pod.metadata.uid!);
  assert.equal((await sm.update(pod, rp, new Map())).phase, "Running");
  assert.equal(sm.markFailed(pod.metadata.uid!, "DeadlineExceeded", "too long"), true);
  assert.equal(sm.markFailed(pod.metadata.uid!, "DeadlineExceeded", "too long"), false, "marked once");
  const st = await sm.update(pod, rp, new Map());
  assert.deepEqual([st.phase, st.reason, st.message], ["Failed", "DeadlineExceeded", "too long"], "Failed although the container still runs");

  const other = testPod([{ name: "b" }]);
  const rej = await sm.reject(other, "OutOfpods", "Node didn't have enough resource: pods, requested: 1, used: 1, capacity: 1");
  assert.deepEqual(rej, {
    phase: "Failed",
    reason: "OutOfpods",
    message: "Pod was rejected: Node didn't have enough resource: pods, requested: 1, used: 1, capacity: 1",
    qosClass: "BestEffort",
    conditions: [{ type: "PodScheduled", status: "True" }],
  });
  assert.equal(sm.lastStatus(other.metadata.uid!)?.phase, "Failed");
});
