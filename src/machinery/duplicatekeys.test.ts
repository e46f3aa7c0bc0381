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

  it("tracks large objects too, with objects nested in them", () => {
    const members = Array.from({ length: 40 }, (_, i) => `"k${i}":${i === 20 ? '{"x":1,"x":2}' : i}`);
    const text = `{"data":{${members.join(",")},"k3":0,"k30":0},"after":1,"after":2}`;
    assert.deepEqual(findDuplicateKeys(text), ["data.k20.x", "data.k3", "data.k30", "after"]);
  });

  it("is not fooled by keys inside string values or escaped quotes", () => {
    assert.deepEqual(findDuplicateKeys('{"a":"\\"a\\":1,","b":"{\\"a\\":2}"}'), []);
    assert.deepEqual(findDuplicateKeys('{"we\\u0069rd":1,"weird":2}'), ["weird"]);
    assert.deepEqual(findDuplicateKeys('{"a\\\\":1,"b":"\\\\","a\\\\":2}'), ["a\\"], "a string ending in an escaped backslash");
  });
});
