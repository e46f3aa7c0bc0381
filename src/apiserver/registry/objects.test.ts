/**
 * Tests for the registry's JSON helpers: structural equality (members whose
 * value is undefined count as absent), deep copies, and empty metadata
 * fields dropped.
 */
import assert from "node:assert/strict";
import { it } from "node:test";
import { clone, dropEmptyMetadata, jsonEqual } from "./objects.ts";

it("jsonEqual compares JSON values structurally, ignoring undefined members", () => {
  assert.ok(jsonEqual({ a: 1, b: [1, { c: "x" }], d: undefined }, { b: [1, { c: "x" }], a: 1 }));
  assert.ok(jsonEqual({ a: undefined }, {}));
  assert.ok(!jsonEqual({ a: 1 }, { a: 1, b: 2 }));
  assert.ok(!jsonEqual({ a: 1, b: 2 }, { a: 1, c: 2 }));
  assert.ok(!jsonEqual({ a: { b: [1, 2] } }, { a: { b: [2, 1] } }));
  assert.ok(!jsonEqual({ a: null }, {}));
  assert.ok(!jsonEqual([1], { 0: 1 }));
  assert.ok(!jsonEqual({ toString: 1 }, {}), "only own members count");
  assert.ok(!jsonEqual({}, { toString: 1 }));
});

it("clone copies deeply", () => {
  const o = { a: [{ b: 1 }], c: { d: "e" } };
  const c = clone(o);
  assert.deepEqual(c, o);
  c.a[0].b = 2;
  assert.equal(o.a[0].b, 1);
  const when = new Date(0);
  assert.deepEqual(clone({ when }).when, when, "non-plain objects are copied by structuredClone");
});

it("empty labels, annotations, ownerReferences, finalizers and managedFields are dropped, others kept", () => {
  const m: Record<string, unknown> = { name: "x", labels: {}, annotations: { a: "b" }, ownerReferences: [], finalizers: ["f"], managedFields: null };
  dropEmptyMetadata(m);
  assert.deepEqual(m, { name: "x", annotations: { a: "b" }, finalizers: ["f"] });
});
