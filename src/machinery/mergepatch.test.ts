import { test } from "node:test";
import assert from "node:assert/strict";
import { applyMergePatch, createMergePatch } from "./mergepatch.ts";
import { StatusError } from "./errors.ts";

test("RFC 7386 appendix A examples", () => {
  const cases: [unknown, unknown, unknown][] = [
    [{ a: "b" }, { a: "c" }, { a: "c" }],
    [{ a: "b" }, { b: "c" }, { a: "b", b: "c" }],
    [{ a: "b" }, { a: null }, {}],
    [{ a: "b", b: "c" }, { a: null }, { b: "c" }],
    [{ a: ["b"] }, { a: "c" }, { a: "c" }],
    [{ a: "c" }, { a: ["b"] }, { a: ["b"] }],
    [{ a: { b: "c" } }, { a: { b: "d", c: null } }, { a: { b: "d" } }],
    [{ a: [{ b: "c" }] }, { a: [1] }, { a: [1] }],
    [{ e: null }, { a: 1 }, { e: null, a: 1 }],
    [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
  ];
  for (const [doc, patch, want] of cases) assert.deepEqual(applyMergePatch(doc, patch), want, JSON.stringify(patch));
});

test("kubectl-style label and replica patch keeps the rest", () => {
  const doc = { metadata: { name: "d", labels: { a: "1", b: "2" } }, spec: { replicas: 1, template: { spec: { containers: [{ name: "c" }] } } } };
  const out = applyMergePatch(doc, { metadata: { labels: { b: null, c: "3" } }, spec: { replicas: 3 } });
  assert.deepEqual(out, {
    metadata: { name: "d", labels: { a: "1", c: "3" } },
    spec: { replicas: 3, template: { spec: { containers: [{ name: "c" }] } } },
  });
  assert.deepEqual(doc.metadata.labels, { a: "1", b: "2" }, "input untouched");
});

test("a null or scalar patch is a 400 Invalid JSON Patch; an array replaces", () => {
  for (const p of [null, "x", 3]) {
    assert.throws(
      () => applyMergePatch({}, p),
      (e: unknown) => e instanceof StatusError && e.code === 400 && e.message === "Invalid JSON Patch",
    );
  }
  assert.deepEqual(applyMergePatch({ a: 1 }, [{ a: null, b: 1 }]), [{ b: 1 }]);
});

test("createMergePatch round-trips", () => {
  const original = { a: 1, b: { c: 2, d: [1, 2] }, e: "x" };
  const modified = { a: 1, b: { c: 3, d: [1] }, f: true };
  const patch = createMergePatch(original, modified);
  assert.deepEqual(patch, { e: null, b: { c: 3, d: [1] }, f: true });
  assert.deepEqual(applyMergePatch(original, patch), modified);
  assert.deepEqual(createMergePatch(modified, modified), {});
});
