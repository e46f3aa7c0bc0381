/** Tests for the shared validation primitives and ObjectMeta rules. */
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  isConfigMapKey,
  isDNS1035Label,
  isDNS1123Label,
  isDNS1123Subdomain,
  isQualifiedName,
  isValidCIDR,
  isValidIP,
  isValidLabelValue,
  isValidPortName,
  isValidPortNum,
  nameIsDNSLabel,
  nameIsDNSSubdomain,
  validateObjectMeta,
  validateObjectMetaUpdate,
} from "./validation.ts";

test("DNS names", () => {
  assert.deepEqual(isDNS1123Subdomain("example.com"), []);
  assert.deepEqual(isDNS1123Subdomain("Example"), [
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
  ]);
  assert.deepEqual(isDNS1123Label("a.b").length, 1);
  assert.match(isDNS1123Label("a".repeat(64))[0], /must be no more than 63 characters/);
  assert.deepEqual(isDNS1035Label("1abc"), [
    "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')",
  ]);
});

test("qualified names and label values", () => {
  assert.deepEqual(isQualifiedName("app.kubernetes.io/name"), []);
  assert.deepEqual(isQualifiedName("-bad"), [
    "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
  ]);
  assert.deepEqual(isQualifiedName("/x"), ["prefix part must be non-empty"]);
  assert.equal(isQualifiedName("a/b/c").length, 1);
  assert.deepEqual(isValidLabelValue(""), []);
  assert.equal(isValidLabelValue("bad value").length, 1);
  assert.deepEqual(isConfigMapKey("key.name"), []);
  assert.match(isConfigMapKey("a/b")[0], /^a valid config key must consist of alphanumeric characters, '-', '_' or '.'/);
  assert.deepEqual(isConfigMapKey(".."), ["must not be '..'"]);
});

test("ports and addresses", () => {
  assert.deepEqual(isValidPortNum(0), ["must be between 1 and 65535, inclusive"]);
  assert.deepEqual(isValidPortNum(65535), []);
  assert.deepEqual(isValidPortName("http"), []);
  assert.deepEqual(isValidPortName("a--b"), ["must not contain consecutive hyphens"]);
  assert.deepEqual(isValidPortName("123"), ["must contain at least one letter (a-z)"]);
  assert.deepEqual(isValidIP("10.0.0.1"), []);
  assert.deepEqual(isValidIP("2001:db8::1"), []);
  assert.deepEqual(isValidIP("::ffff:10.0.0.1"), []);
  assert.deepEqual(isValidIP("300.1.1.1"), ["must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)"]);
  assert.deepEqual(isValidCIDR("10.0.0.0/8"), []);
  assert.equal(isValidCIDR("10.0.0.0").length, 1);
});

test("validateObjectMeta: names, namespace and labels", () => {
  assert.deepEqual(validateObjectMeta({ name: "ok", namespace: "default" }, true, nameIsDNSSubdomain), []);
  const errs = validateObjectMeta({ labels: { "-x": "y" } }, true, nameIsDNSSubdomain);
  assert.deepEqual(
    errs.map((e) => [e.field, e.type]),
    [
      ["metadata.name", "FieldValueRequired"],
      ["metadata.namespace", "FieldValueRequired"],
      ["metadata.labels", "FieldValueInvalid"],
    ],
  );
  assert.equal(errs[0].detail, "name or generateName is required");
  const cluster = validateObjectMeta({ name: "n", namespace: "x" }, false, nameIsDNSLabel);
  assert.deepEqual(cluster.map((e) => [e.field, e.type, e.detail]), [["metadata.namespace", "FieldValueForbidden", "not allowed on this type"]]);
  assert.deepEqual(validateObjectMeta({ generateName: "web-", name: "web-x7k2p", namespace: "d" }, true, nameIsDNSSubdomain), []);
  const fin = validateObjectMeta({ name: "a", finalizers: ["foo"] }, false, nameIsDNSSubdomain);
  assert.deepEqual(fin.map((e) => [e.field, e.detail]), [["metadata.finalizers[0]", "name is neither a standard finalizer name nor is it fully qualified"]]);
  const both = validateObjectMeta({ name: "a", finalizers: ["orphan", "foregroundDeletion", "-x/y"] }, false, nameIsDNSSubdomain);
  assert.deepEqual(both.map((e) => e.field), ["metadata.finalizers", "metadata.finalizers"]);
  const big = validateObjectMeta({ name: "a", annotations: { a: "x".repeat(256 * 1024) } }, false, nameIsDNSSubdomain);
  assert.deepEqual(big.map((e) => [e.field, e.type]), [["metadata.annotations", "FieldValueTooLong"]]);
  const owners = validateObjectMeta({ name: "a", ownerReferences: [{ apiVersion: "", kind: "", name: "", uid: "" }] }, false, nameIsDNSSubdomain);
  assert.deepEqual(owners.map((e) => e.field), [
    "metadata.ownerReferences.apiVersion",
    "metadata.ownerReferences.kind",
    "metadata.ownerReferences.name",
    "metadata.ownerReferences.uid",
  ]);
});

test("validateObjectMetaUpdate: immutable identity fields", () => {
  const old = { name: "a", namespace: "n", uid: "1", resourceVersion: "5", creationTimestamp: "t" };
  assert.deepEqual(validateObjectMetaUpdate({ ...old }, old), []);
  const errs = validateObjectMetaUpdate({ ...old, name: "b", uid: "2", resourceVersion: "" }, old);
  assert.deepEqual(errs.map((e) => [e.field, e.detail]), [
    ["metadata.resourceVersion", "must be specified for an update"],
    ["metadata.name", "field is immutable"],
    ["metadata.uid", "field is immutable"],
  ]);
  const deleting = { ...old, deletionTimestamp: "d", finalizers: ["a/b"] };
  const f = validateObjectMetaUpdate({ ...deleting, finalizers: ["a/b", "c/d"] }, deleting);
  assert.deepEqual(f.map((e) => e.field), ["metadata.finalizers"]);
});
