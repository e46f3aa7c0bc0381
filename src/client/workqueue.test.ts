/**
 * Work queue and worker-loop tests with a fake clock: dedup, exclusive
 * processing, re-queue while processing, back-off growth and forget, the
 * overall token bucket, addAfter, shutdown; runWorkers outcomes.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { runWorkers } from "./controller.ts";
import { FakeClock, WorkQueue } from "./workqueue.ts";

const tick = () => new Promise<void>((r) => setImmediate(r));

describe("WorkQueue", () => {
  it("deduplicates queued keys and keeps FIFO order", async () => {
    const q = new WorkQueue({ clock: new FakeClock() });
    q.add("a");
    q.add("b");
    q.add("a");
    assert.equal(q.len(), 2);
    assert.equal(await q.get(), "a");
    assert.equal(await q.get(), "b");
    assert.equal(q.len(), 0);
  });

  it("never hands out a key being processed; re-queues it on done", async () => {
    const q = new WorkQueue({ clock: new FakeClock() });
    q.add("a");
    const k = await q.get();
    q.add("a");
    q.add("a");
    assert.equal(q.len(), 0, "a processing key is not queued");
    let second: string | undefined;
    void q.get().then((v) => (second = v));
    await tick();
    assert.equal(second, undefined);
    q.done(k!);
    await tick();
    assert.equal(second, "a");
    q.done("a");
    assert.equal(q.len(), 0);
  });

  it("wakes a waiting get on add", async () => {
    const q = new WorkQueue({ clock: new FakeClock() });
    const p = q.get();
    q.add("x");
    assert.equal(await p, "x");
  });

  it("grows per-key back-off exponentially and forget resets it", () => {
    const clock = new FakeClock();
    const q = new WorkQueue({ clock, baseDelayMs: 5, maxDelayMs: 40 });
    const delays: number[] = [];
    for (let i = 0; i < 5; i++) {
      q.addRateLimited("k");
      let waited = 0;
      for (let j = 0; j < 100 && q.len() === 0; j++) {
        clock.step(1);
        waited++;
      }
      delays.push(waited);
      assert.equal(q.len(), 1);
      void q.get();
      q.done("k");
    }
    assert.deepEqual(delays, [5, 10, 20, 40, 40]);
    assert.equal(q.numRequeues("k"), 5);
    q.forget("k");
    assert.equal(q.numRequeues("k"), 0);
    q.addRateLimited("k");
    clock.step(4);
    assert.equal(q.len(), 0);
    clock.step(1);
    assert.equal(q.len(), 1);
  });

  it("limits overall rate with the token bucket", () => {
    const clock = new FakeClock();
    const q = new WorkQueue({ clock, baseDelayMs: 1, qps: 10, burst: 2 });
    q.addRateLimited("a");
    q.addRateLimited("b");
    q.addRateLimited("c");
    clock.step(1);
    assert.equal(q.len(), 2);
    clock.step(98);
    assert.equal(q.len(), 2);
    clock.step(1);
    assert.equal(q.len(), 3);
  });

  it("addAfter delays, keeps the earliest time, and adds at once for ms <= 0", () => {
    const clock = new FakeClock();
    const q = new WorkQueue({ clock });
    q.addAfter("a", 100);
    q.addAfter("a", 50);
    q.addAfter("a", 200);
    clock.step(49);
    assert.equal(q.len(), 0);
    clock.step(1);
    assert.equal(q.len(), 1);
    clock.step(200);
    assert.equal(q.len(), 1);
    q.addAfter("b", 0);
    assert.equal(q.len(), 2);
  });

  it("shuts down: drains, then get yields undefined; new and delayed adds are dropped", async () => {
    const clock = new FakeClock();
    const q = new WorkQueue({ clock });
    const waiting = new WorkQueue({ clock });
    const pending = waiting.get();
    waiting.shutDown();
    assert.equal(await pending, undefined);
    q.add("a");
    q.addAfter("b", 10);
    q.shutDown();
    assert.equal(q.isShuttingDown(), true);
    q.add("c");
    clock.step(20);
    assert.equal(clock.pending(), 0);
    assert.equal(await q.get(), "a");
    assert.equal(await q.get(), undefined);
  });
});

describe("runWorkers", () => {
  it("forgets on success, requeues after a delay, rate-limits failures, never overlaps a key, ends on shutdown", async () => {
    const clock = new FakeClock();
    const q = new WorkQueue({ clock });
    const active = new Set<string>();
    const calls: string[] = [];
    let overlap = false;
    let failOnce = true;
    const run = runWorkers(q, 3, async (key) => {
      if (active.has(key)) overlap = true;
      active.add(key);
      calls.push(key);
      await tick();
      active.delete(key);
      if (key === "bad" && failOnce) {
        failOnce = false;
        throw new Error("transient");
      }
      if (key === "later") return { requeueAfterMs: 1000 };
    });
    for (let i = 0; i < 3; i++) {
      q.add("ok");
      q.add("bad");
      q.add("later");
    }
    for (let i = 0; i < 50 && calls.length < 4; i++) await tick();
    assert.equal(q.numRequeues("bad"), 1);
    clock.step(5);
    for (let i = 0; i < 50 && !calls.slice(3).includes("bad"); i++) await tick();
    assert.equal(calls.filter((c) => c === "bad").length, 2);
    for (let i = 0; i < 10; i++) await tick();
    assert.equal(q.numRequeues("bad"), 0);
    clock.step(1000);
    for (let i = 0; i < 50 && calls.filter((c) => c === "later").length < 2; i++) await tick();
    assert.equal(calls.filter((c) => c === "later").length, 2);
    assert.equal(overlap, false);
    q.shutDown();
    await run;
  });
});
