/**
 * Tests for duplicate-key detection in JSON text.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { findDuplicateKeys } from "./duplicatekeys.ts";

describe("findDuplicateKeys", () => {
  it("finds nothing in well-formed objects", () => {
    assert.deepEqual(findDuplicateKeys('{"a":1,"b":{"a":2},"c":[{"a":1},{"a":2}]}'), []);
  });

  it("reports repeated keys with their paths, in nested objects and arrays", () => {
    const text = '{"spec":{"replicas":1,"replicas":2,"template":{"spec":{"containers":[{"name":"a"},{"name":"b","name":"c"}]}}},"kind":"X","kind":"Y"}';
    assert.deepEqual(findDuplicateKeys(text), ["spec.replicas", "spec.template.spec.containers[1].name", "kind"]);
  });

  it("is not fooled by keys inside string values or escaped quotes", () => {
    assert.deepEqual(findDuplicateKeys('{"a":"\\"a\\":1,","b":"{\\"a\\":2}"}'), []);
    assert.deepEqual(findDuplicateKeys('{"we\\u0069rd":1,"weird":2}'), ["weird"]);
  });
});
