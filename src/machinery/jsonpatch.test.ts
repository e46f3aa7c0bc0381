import { describe, it, test } from "node:test";
import assert from "node:assert/strict";
import { applyJsonPatch, formatPointer, jsonClone, jsonEqual, maxJsonPatchOperations } from "./jsonpatch.ts";
import { StatusError } from "./errors.ts";

function failure(doc: unknown, patch: unknown): StatusError {
  try {
    applyJsonPatch(doc, patch);
  } catch (e) {
    assert.ok(e instanceof StatusError);
    return e;
  }
  assert.fail("expected the patch to fail");
}

const detail = (e: StatusError) => (e.cause as Error | undefined)?.message;

test("RFC 6902 operations", () => {
  const doc = { metadata: { labels: { a: "1" } }, spec: { list: [1, 2, 3] } };
  const out = applyJsonPatch(doc, [
    { op: "add", path: "/metadata/labels/b", value: "2" },
    { op: "replace", path: "/metadata/labels/a", value: "x" },
    { op: "remove", path: "/spec/list/0" },
    { op: "add", path: "/spec/list/-", value: 4 },
    { op: "add", path: "/spec/list/0", value: 0 },
    { op: "copy", from: "/metadata/labels", path: "/spec/copied" },
    { op: "move", from: "/spec/copied/b", path: "/spec/moved" },
    { op: "test", path: "/spec/moved", value: "2" },
  ]);
  assert.deepEqual(out, {
    metadata: { labels: { a: "x", b: "2" } },
    spec: { list: [0, 2, 3, 4], copied: { a: "x" }, moved: "2" },
  });
  assert.deepEqual(doc, { metadata: { labels: { a: "1" } }, spec: { list: [1, 2, 3] } }, "input untouched");
});

test("pointer escaping and negative indices", () => {
  const doc = { metadata: { annotations: { "example.com/a~b": "1" } }, l: ["a", "b"] };
  const path = formatPointer(["metadata", "annotations", "example.com/a~b"]);
  assert.equal(path, "/metadata/annotations/example.com~1a~0b");
  assert.deepEqual(applyJsonPatch(doc, [{ op: "remove", path }]), { metadata: { annotations: {} }, l: ["a", "b"] });
  assert.deepEqual(applyJsonPatch(doc, [{ op: "replace", path: "/l/-1", value: "z" }]), { ...doc, l: ["a", "z"] });
  assert.deepEqual(applyJsonPatch(doc, [{ op: "replace", path: "", value: { x: 1 } }]), { x: 1 });
  assert.deepEqual(applyJsonPatch(doc, [{ op: "test", path: "/missing", value: null }]), doc, "a missing key tests equal to null");
  assert.deepEqual(applyJsonPatch({ a: {} }, [{ op: "replace", path: "/a/b", value: 1 }]), { a: { b: 1 } }, "replace of a missing key adds (json-patch v4)");
});

test("a non-applicable operation is 422 with the generic upstream message", () => {
  const doc = { a: { b: 1 }, l: [1] };
  const cases: [unknown[], string][] = [
    [[{ op: "remove", path: "/x/y" }], `remove operation does not apply: doc is missing path: "/x/y": missing value`],
    [[{ op: "remove", path: "/a/zz" }], "error in remove for path: '/a/zz': Unable to remove nonexistent key: zz: missing value"],
    [[{ op: "replace", path: "/l/3", value: 1 }], "replace operation does not apply: doc is missing key: /l/3: missing value"],
    [[{ op: "add", path: "/l/5", value: 1 }], "error in add for path: '/l/5': Unable to access invalid index: 5: invalid index referenced"],
    [[{ op: "test", path: "/a/b", value: 2 }], "testing value /a/b failed: test failed"],
    [[{ op: "move", from: "/nope/x", path: "/a/c" }], "move operation does not apply: doc is missing from path: /nope/x: missing value"],
    [[{ op: "frob", path: "/a" }], "Unexpected kind: frob"],
    [[{ path: "/a" }], "Unexpected kind: unknown"],
  ];
  for (const [patch, why] of cases) {
    const e = failure(doc, patch);
    assert.equal(e.code, 422);
    assert.equal(e.reason, "Invalid");
    assert.equal(e.message, "the server rejected our request due to an error in our request");
    assert.equal(detail(e), why);
  }
});

test("malformed bodies are 400, oversized 413", () => {
  const e = failure({}, { op: "add" });
  assert.equal(e.code, 400);
  assert.equal(e.message, "json: cannot unmarshal object into Go value of type jsonpatch.Patch");
  assert.equal(failure({}, ["x"]).code, 400);
  const big = Array.from({ length: maxJsonPatchOperations + 1 }, () => ({ op: "test", path: "", value: {} }));
  const tooBig = failure({}, big);
  assert.equal(tooBig.code, 413);
  assert.equal(tooBig.message, `The allowed maximum operations in a JSON patch is 10000, got 10001`);
});

test("a failed test leaves no partial result behind", () => {
  const doc = { a: 1 };
  failure(doc, [
    { op: "replace", path: "/a", value: 2 },
    { op: "test", path: "/a", value: 3 },
  ]);
  assert.deepEqual(doc, { a: 1 });
});

test("jsonEqual ignores key order", () => {
  assert.equal(jsonEqual({ a: 1, b: [1, { c: 2 }] }, { b: [1, { c: 2 }], a: 1 }), true);
  assert.equal(jsonEqual({ a: 1 }, { a: 1, b: undefined }), false);
  assert.equal(jsonEqual([1, 2], [2, 1]), false);
});

describe("jsonClone", () => {
  it("copies JSON values deeply", () => {
    const doc = { a: [1, { b: "x" }, null], c: { d: true, e: 1.5 }, u: undefined };
    const copy = jsonClone(doc);
    assert.deepEqual(copy, doc);
    assert.ok(Object.hasOwn(copy, "u"));
    copy.a.push(2);
    (copy.a[1] as { b: string }).b = "y";
    copy.c.d = false;
    assert.deepEqual(doc, { a: [1, { b: "x" }, null], c: { d: true, e: 1.5 }, u: undefined });
    assert.equal(jsonClone("s"), "s");
    assert.equal(jsonClone(null), null);
  });
  it("keeps a __proto__ member as data, like JSON.parse", () => {
    const doc = JSON.parse('{"__proto__": {"polluted": true}, "k": 1}') as Record<string, unknown>;
    const copy = jsonClone(doc);
    assert.deepEqual(Object.keys(copy), ["__proto__", "k"]);
    assert.equal(Object.getPrototypeOf(copy), Object.prototype);
    assert.equal((copy as { polluted?: boolean }).polluted, undefined);
    assert.deepEqual(JSON.stringify(copy), JSON.stringify(doc));
  });
});
