/** Dead container garbage collection keeps the current and the previous instance per container. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { GarbageCollector } from "./gc.ts";
import { log } from "../machinery/log.ts";
import { harness, testPod } from "./testing/harness.ts";

test("garbage collection removes exited instances beyond the last two per container", async (t) => {
  const h = harness();
  t.after(() => h.cleanup());
  const pod = testPod([{ name: "app" }]);
  await h.sync(pod);
  for (let i = 0; i < 3; i++) {
    h.cri.exit("app", 1);
    h.clock.step(400_000);
    await h.sync(pod);
  }
  assert.equal(h.cri.instances("app").length, 4);
  const gc = new GarbageCollector({ cri: h.cri, log: log.child("test"), isKnownPod: () => true });
  const removed = await gc.run(await h.lister.list());
  assert.equal(removed.length, 2);
  const left = h.cri.instances("app").map((c) => c.config.metadata.attempt).sort();
  assert.deepEqual(left, [2, 3]);
  const unknown = new GarbageCollector({ cri: h.cri, log: log.child("test"), isKnownPod: () => false });
  assert.deepEqual(await unknown.run(await h.lister.list()), [], "pods unknown to the kubelet are left to the pod workers");
});
