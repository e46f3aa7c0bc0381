import { test } from "node:test";
import assert from "node:assert/strict";
import { elementModel, fieldPatchMeta, fieldType, isModel, patchMeta } from "./patchmeta.ts";

test("patchMeta carries upstream's tags", () => {
  assert.deepEqual(patchMeta.V1PodSpec.containers, { strategy: "merge", mergeKey: "name" });
  assert.deepEqual(patchMeta.V1PodSpec.volumes, { strategy: "merge,retainKeys", mergeKey: "name" });
  assert.equal(patchMeta.V1PodSpec.tolerations, undefined, "tolerations are atomic upstream");
  assert.deepEqual(fieldPatchMeta("V1Container", "volumeMounts"), { strategy: "merge", mergeKey: "mountPath" });
  assert.deepEqual(fieldPatchMeta("V1ObjectMeta", "finalizers"), { strategy: "merge" });
  assert.deepEqual(fieldPatchMeta("V1DeploymentSpec", "strategy"), { strategy: "retainKeys" });
  assert.equal(fieldPatchMeta("V1ServiceSpec", "ports")?.mergeKey, "port");
});

test("every tagged field exists in the client models", () => {
  for (const [model, fields] of Object.entries(patchMeta)) {
    assert.ok(isModel(model), model);
    for (const [field, meta] of Object.entries(fields)) {
      const type = fieldType(model, field);
      assert.ok(type, `${model}.${field}`);
      if (meta.mergeKey) {
        const el = elementModel(type);
        assert.ok(el && fieldType(el, meta.mergeKey), `${model}.${field} merge key ${meta.mergeKey}`);
      }
    }
  }
});

test("fieldType resolves client model types", () => {
  assert.equal(fieldType("V1Pod", "spec"), "V1PodSpec");
  assert.equal(fieldType("V1PodSpec", "containers"), "Array<V1Container>");
  assert.equal(fieldType("V1ObjectMeta", "labels"), "{ [key: string]: string; }");
  assert.equal(fieldType("V1Pod", "nope"), undefined);
  assert.equal(fieldType("NoSuchModel", "spec"), undefined);
  assert.equal(elementModel("Array<V1Container>"), "V1Container");
  assert.equal(elementModel("{ [key: string]: V1JSONSchemaProps; }"), "V1JSONSchemaProps");
  assert.equal(elementModel("Array<string>"), undefined);
  assert.equal(elementModel("string"), undefined);
});
