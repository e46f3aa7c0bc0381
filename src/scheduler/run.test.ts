/** Tests for the scheduler loop's binding limiter. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { TaskLimiter } from "./run.ts";

test("TaskLimiter runs at most `limit` tasks at once, the rest in FIFO order, past failures", async () => {
  const lim = new TaskLimiter(2);
  let running = 0;
  let peak = 0;
  const order: number[] = [];
  const all: Promise<void>[] = [];
  for (let i = 0; i < 10; i++) {
    all.push(
      new Promise<void>((done) =>
        lim.run(async () => {
          running++;
          peak = Math.max(peak, running);
          order.push(i);
          await new Promise((r) => setTimeout(r, 1));
          running--;
          done();
          if (i === 3) throw new Error("boom");
        }),
      ),
    );
  }
  await Promise.all(all);
  assert.equal(peak, 2);
  assert.deepEqual(order, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
});
