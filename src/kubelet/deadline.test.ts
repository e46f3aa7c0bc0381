/** spec.activeDeadlineSeconds counted from status.startTime. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { activeDeadlineRemaining } from "./deadline.ts";
import type { Pod } from "./types.ts";

test("activeDeadlineRemaining counts from the start time; no deadline or no start time means none", () => {
  const pod: Pod = { apiVersion: "v1", kind: "Pod", metadata: { name: "p" }, spec: { activeDeadlineSeconds: 30 } };
  const start = "2026-01-01T00:00:00Z";
  const t0 = Date.parse(start);
  assert.equal(activeDeadlineRemaining(pod, start, t0 + 10_000), 20_000);
  assert.equal(activeDeadlineRemaining(pod, start, t0 + 30_000), 0);
  assert.ok(activeDeadlineRemaining(pod, start, t0 + 31_000)! < 0);
  assert.equal(activeDeadlineRemaining(pod, undefined, t0), undefined);
  assert.equal(activeDeadlineRemaining({ ...pod, spec: {} }, start, t0), undefined);
});
