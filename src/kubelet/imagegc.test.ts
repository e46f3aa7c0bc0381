/** Image garbage collection: thresholds, least recently used first, minimum age, images never removed. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { tmpdir } from "node:os";
import { BUSYBOX_IMAGE, PAUSE_IMAGE } from "../images/builtin.ts";
import { log } from "../machinery/log.ts";
import { ImageGarbageCollector } from "./imagegc.ts";
import { harness, testPod } from "./testing/harness.ts";

test("image GC removes unused images, least recently used first, until usage is below the low threshold", async (t) => {
  const h = harness();
  t.after(() => h.cleanup());
  const pause = h.cri.addImage(PAUSE_IMAGE, 700);
  h.cri.addImage(BUSYBOX_IMAGE, 700);
  const old = h.cri.addImage("old:1", 600);
  const mid = h.cri.addImage("mid:1", 600);
  const spare = h.cri.addImage("spare:1", 600);
  h.cri.addImage("pinned:1", 600);
  h.cri.pinned.add("pinned:1");
  const pod = testPod([{ name: "app" }, { name: "side", image: "mid:1" }]);
  await h.sync(pod);
  let available = 5000;
  const gc = new ImageGarbageCollector({ cri: h.cri, log: log.child("test"), clock: h.clock, imageFs: async () => ({ capacityBytes: 10_000, availableBytes: available }) });
  assert.deepEqual(await gc.run(), [], "50% used: below the high threshold");

  // mid:1 was in use at the first pass; its container goes away. A new image appears later.
  h.clock.step(10 * 60_000);
  h.cri.containers.delete(h.cri.latest("side")!.id);
  h.cri.addImage("fresh:1", 600);
  available = 1400; // 86% used: free 10000*20% - 1400 = 600 bytes.
  assert.deepEqual(await gc.run(), [old], "never-used image goes first; one is enough");
  available = 1000; // 90% used: free 1000 bytes.
  const removed = await gc.run();
  assert.deepEqual(removed, [spare, mid], "then the other never-used one, then the least recently used");
  assert.ok(h.cri.calls.includes(`RemoveImage:${mid}`));
  const left = [...h.cri.images.keys()].sort();
  assert.deepEqual(left, ["docker.io/library/busybox:latest", "fresh:1", "img:1", "pinned:1", "registry.k8s.io/pause:3.10"], "in-use, pinned, built-in and too young images stay");
  assert.ok([...h.cri.images.values()].includes(pause));

  // Once the new image is old enough and unused, it goes too.
  h.clock.step(2 * 60_000);
  available = 1000;
  assert.equal((await gc.run()).length, 1);
  assert.ok(!h.cri.images.has("fresh:1"));
});

test("image GC measures the filesystem of CRI ImageFsInfo's mountpoint", async (t) => {
  const h = harness();
  t.after(() => h.cleanup());
  const unused = h.cri.addImage("unused:1", 10);
  const gc = new ImageGarbageCollector({ cri: h.cri, log: log.child("test"), clock: h.clock, highThresholdPercent: 0, lowThresholdPercent: 0 });
  assert.deepEqual(await gc.run(), [], "no mountpoint reported: nothing to measure, nothing removed");
  h.cri.imageFsMountpoint = tmpdir();
  const removed = await gc.run();
  assert.ok(removed.includes(unused), "statfs of the mountpoint: a used filesystem is over a 0% threshold");
  assert.ok(!h.cri.images.has("unused:1"));
});
