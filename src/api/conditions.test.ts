/** setStatusCondition: replace in place, keep the transition time while the status stays. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { setStatusCondition } from "./conditions.ts";

test("a condition is replaced in place; its transition time moves only with its status", () => {
  const start = [
    { type: "A", status: "True", reason: "x", lastTransitionTime: "t0" },
    { type: "B", status: "False", reason: "y", lastTransitionTime: "t0" },
  ];
  const same = setStatusCondition(start, { type: "A", status: "True", reason: "z", message: "m" }, "t1");
  assert.deepEqual(same[0], { type: "A", status: "True", reason: "z", message: "m", lastTransitionTime: "t0" });
  assert.equal(same[1], start[1]);
  assert.equal(start[0].reason, "x", "the input is not changed");
  const flipped = setStatusCondition(start, { type: "B", status: "True" }, "t2");
  assert.deepEqual(flipped.map((c) => [c.type, c.status, c.lastTransitionTime]), [["A", "True", "t0"], ["B", "True", "t2"]]);
  assert.deepEqual(setStatusCondition(undefined, { type: "C", status: "Unknown" }, "t3"), [{ type: "C", status: "Unknown", lastTransitionTime: "t3" }]);
});
