import { test } from "node:test";
import assert from "node:assert/strict";
import { applyStrategicMergePatch, createTwoWayStrategicMergePatch } from "./strategicpatch.ts";
import { StatusError } from "./errors.ts";

function deployment(containers: unknown[], extra: Record<string, unknown> = {}) {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "web", namespace: "default", labels: { app: "web" }, finalizers: ["a", "b"] },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: "web" } },
      strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: "25%", maxUnavailable: "25%" } },
      template: { metadata: { labels: { app: "web" } }, spec: { containers, ...extra } },
    },
  };
}

const containersOf = (d: unknown) => (d as ReturnType<typeof deployment>).spec.template.spec.containers;
const podSpecOf = (d: unknown) => (d as ReturnType<typeof deployment>).spec.template.spec as Record<string, unknown>;

function failure(doc: unknown, patch: unknown, model: string): StatusError {
  try {
    applyStrategicMergePatch(doc, patch, model);
  } catch (e) {
    assert.ok(e instanceof StatusError, String(e));
    return e;
  }
  assert.fail("expected the patch to fail");
}

/** Patches `{list: original}` of the test struct V1PodSpec.containers-like merge list (by name). */
function mergeList(original: unknown[], patch: Record<string, unknown>): unknown {
  const doc = { spec: { template: { spec: { containers: original } } } };
  const out = applyStrategicMergePatch(doc, { spec: { template: { spec: patch } } }, "V1Deployment");
  return containersOf(out);
}

test("kubectl set image style patch keeps other containers and fields", () => {
  const doc = deployment([
    { name: "app", image: "app:1", ports: [{ containerPort: 80 }] },
    { name: "sidecar", image: "side:1" },
  ]);
  const out = applyStrategicMergePatch(doc, { spec: { template: { spec: { containers: [{ name: "app", image: "app:2" }] } } } }, "V1Deployment");
  assert.deepEqual(containersOf(out), [
    { name: "app", image: "app:2", ports: [{ containerPort: 80 }] },
    { name: "sidecar", image: "side:1" },
  ]);
  assert.equal((out as ReturnType<typeof deployment>).spec.replicas, 2);
  assert.deepEqual(containersOf(doc)[0], { name: "app", image: "app:1", ports: [{ containerPort: 80 }] }, "input untouched");
});

test("$patch: delete removes an element by merge key", () => {
  const doc = deployment([{ name: "a" }, { name: "b" }, { name: "c" }]);
  const out = applyStrategicMergePatch(doc, { spec: { template: { spec: { containers: [{ name: "b", $patch: "delete" }] } } } }, "V1Deployment");
  assert.deepEqual(containersOf(out), [{ name: "a" }, { name: "c" }]);
  assert.deepEqual(mergeList([{ name: "1" }, { name: "1" }, { name: "2", image: "a" }, { name: "3" }, { name: "3" }], {
    containers: [{ name: "1", $patch: "delete" }, { name: "3", $patch: "delete" }],
  }), [{ name: "2", image: "a" }], "all duplicates go");
});

test("env merges by name, ports by containerPort, nulls delete", () => {
  const doc = deployment([
    { name: "app", env: [{ name: "A", value: "1" }, { name: "B", value: "2" }], ports: [{ containerPort: 80, name: "http" }] },
  ]);
  const out = applyStrategicMergePatch(
    doc,
    {
      spec: {
        template: {
          spec: {
            containers: [
              { name: "app", env: [{ name: "B", value: "3" }], ports: [{ containerPort: 80, name: null, protocol: "TCP" }] },
            ],
          },
        },
      },
    },
    "V1Deployment",
  );
  assert.deepEqual(containersOf(out), [
    { name: "app", env: [{ name: "A", value: "1" }, { name: "B", value: "3" }], ports: [{ containerPort: 80, protocol: "TCP" }] },
  ]);
});

test("list order: patch order wins, server-only elements keep their place, new ones go first", () => {
  const original = [{ name: "1" }, { name: "2", image: "b" }, { name: "3" }];
  assert.deepEqual(mergeList(original, { containers: [{ name: "3", image: "c" }, { name: "1", image: "a" }, { name: "2", tty: true }] }), [
    { name: "3", image: "c" },
    { name: "1", image: "a" },
    { name: "2", image: "b", tty: true },
  ]);
  assert.deepEqual(mergeList(original, { containers: [{ name: "3", image: "c" }, { name: "1", image: "a" }] }), [
    { name: "2", image: "b" },
    { name: "3", image: "c" },
    { name: "1", image: "a" },
  ]);
  assert.deepEqual(mergeList([{ name: "a" }, { name: "b" }], { containers: [{ name: "c" }] }), [{ name: "c" }, { name: "a" }, { name: "b" }]);
  assert.deepEqual(mergeList([{ name: "a" }, { name: "b" }], { containers: [{ name: "b", image: "x" }, { name: "c" }] }), [
    { name: "a" },
    { name: "b", image: "x" },
    { name: "c" },
  ]);
});

test("$setElementOrder orders the merged list", () => {
  const current = [{ name: "1", image: "a" }, { name: "2", tty: true, image: "b" }];
  assert.deepEqual(
    mergeList(current, { "$setElementOrder/containers": [{ name: "3" }, { name: "1" }, { name: "2" }], containers: [{ name: "3", image: "c" }] }),
    [{ name: "3", image: "c" }, { name: "1", image: "a" }, { name: "2", tty: true, image: "b" }],
  );
  assert.deepEqual(
    mergeList([{ name: "1" }, { name: "3" }], {
      "$setElementOrder/containers": [{ name: "3" }, { name: "2" }, { name: "1" }],
      containers: [{ name: "3", image: "3" }, { name: "1", image: "1" }],
    }),
    [{ name: "3", image: "3" }, { name: "1", image: "1" }],
  );
  assert.deepEqual(mergeList([{ name: "a" }, { name: "b" }], { "$setElementOrder/containers": [{ name: "b" }, { name: "a" }] }), [
    { name: "b" },
    { name: "a" },
  ]);
  const e = failure(
    { spec: { template: { spec: { containers: [{ name: "1" }, { name: "3" }, { name: "2" }] } } } },
    {
      spec: {
        template: {
          spec: {
            "$setElementOrder/containers": [{ name: "1" }, { name: "2" }, { name: "3" }],
            containers: [{ name: "3", image: "3" }, { name: "1", image: "1" }],
          },
        },
      },
    },
    "V1Deployment",
  );
  assert.equal(e.code, 500);
  assert.match(e.message, /doesn't match \$setElementOrder\/ list/);
});

test("primitive merge lists: union, order, $deleteFromPrimitiveList", () => {
  const meta = (finalizers: string[]) => ({ metadata: { name: "x", finalizers } });
  const apply = (doc: unknown, patch: Record<string, unknown>) =>
    (applyStrategicMergePatch(doc, { metadata: patch }, "V1ConfigMap") as { metadata: { finalizers?: string[] } }).metadata.finalizers;
  assert.deepEqual(apply(meta(["1", "2"]), { finalizers: ["2", "3"] }), ["1", "2", "3"]);
  assert.deepEqual(apply(meta(["1", "2", "3"]), { finalizers: ["3", "1"] }), ["2", "3", "1"]);
  assert.deepEqual(apply(meta(["1", "2", "3"]), { "$setElementOrder/finalizers": ["1", "2"], "$deleteFromPrimitiveList/finalizers": ["3"] }), ["1", "2"]);
  assert.deepEqual(apply(meta(["1", "2", "3"]), { "$setElementOrder/finalizers": ["2", "1"], "$deleteFromPrimitiveList/finalizers": ["3"] }), ["2", "1"]);
  assert.deepEqual(apply(meta(["a"]), { "$deleteFromPrimitiveList/finalizers": ["a"], finalizers: ["b"] }), ["b"]);
  assert.equal(failure(meta(["a"]), { metadata: { "$deleteFromPrimitiveList/finalizers": "a" } }, "V1ConfigMap").message, "invalid patch format of primitive list");
});

test("lists without a merge strategy are replaced", () => {
  const doc = deployment([{ name: "a", args: ["x", "y"] }], { tolerations: [{ key: "a", operator: "Exists" }] });
  const out = applyStrategicMergePatch(
    doc,
    { spec: { template: { spec: { tolerations: [{ key: "b", operator: "Exists" }], containers: [{ name: "a", args: ["z"] }] } } } },
    "V1Deployment",
  );
  assert.deepEqual(podSpecOf(out).tolerations, [{ key: "b", operator: "Exists" }]);
  assert.deepEqual(containersOf(out), [{ name: "a", args: ["z"] }]);
});

test("map directives: $patch replace and delete", () => {
  const doc = { metadata: { name: "x", labels: { a: "1", b: "2" } }, data: { k: "v" } };
  assert.deepEqual(applyStrategicMergePatch(doc, { metadata: { labels: { c: "3", $patch: "replace" } } }, "V1ConfigMap"), {
    metadata: { name: "x", labels: { c: "3" } },
    data: { k: "v" },
  });
  assert.deepEqual(applyStrategicMergePatch(doc, { metadata: { labels: { $patch: "delete" } } }, "V1ConfigMap"), {
    metadata: { name: "x", labels: {} },
    data: { k: "v" },
  });
  assert.deepEqual(applyStrategicMergePatch(doc, { $patch: "replace", kind: "ConfigMap" }, "V1ConfigMap"), { kind: "ConfigMap" });
  assert.deepEqual(applyStrategicMergePatch(doc, { data: { k: null, n: "1" } }, "V1ConfigMap"), {
    metadata: { name: "x", labels: { a: "1", b: "2" } },
    data: { n: "1" },
  });
  const e = failure(doc, { metadata: { $patch: "frob" } }, "V1ConfigMap");
  assert.equal(e.code, 500);
  assert.equal(e.message, "unknown patch type: frob in map: map[$patch:frob]");
});

test("list directive $patch: replace", () => {
  assert.deepEqual(mergeList([{ name: "a" }, { name: "b" }], { containers: [{ $patch: "replace" }] }), []);
  assert.deepEqual(mergeList([{ name: "a" }, { name: "b" }], { containers: [{ name: "c", image: null }, { $patch: "replace" }] }), [{ name: "c" }]);
  assert.equal(failure(deployment([{ name: "a" }]), { spec: { template: { spec: { containers: [{ $patch: "merge" }] } } } }, "V1Deployment").message,
    "merging lists cannot yet be specified in the patch");
});

test("$retainKeys: deployment strategy and volumes", () => {
  const doc = deployment([{ name: "a" }], { volumes: [{ name: "v", configMap: { name: "cm" } }, { name: "w", emptyDir: {} }] });
  const out = applyStrategicMergePatch(
    doc,
    {
      spec: {
        strategy: { type: "Recreate", rollingUpdate: null, $retainKeys: ["type"] },
        template: { spec: { volumes: [{ name: "v", emptyDir: {}, $retainKeys: ["emptyDir", "name"] }] } },
      },
    },
    "V1Deployment",
  ) as ReturnType<typeof deployment>;
  assert.deepEqual(out.spec.strategy, { type: "Recreate" });
  assert.deepEqual(podSpecOf(out).volumes, [{ name: "v", emptyDir: {} }, { name: "w", emptyDir: {} }]);
  const e = failure(doc, { spec: { strategy: { type: "Recreate", $retainKeys: ["rollingUpdate"] } } }, "V1Deployment");
  assert.equal(e.code, 400);
  assert.equal(e.message, "invalid patch format of retainKeys");
});

test("errors: missing merge key, lists of lists, bad bodies", () => {
  const e = failure(deployment([{ name: "a" }]), { spec: { template: { spec: { containers: [{ image: "x" }] } } } }, "V1Deployment");
  assert.equal(e.code, 500);
  assert.equal(e.message, "map: map[image:x] does not contain declared merge key: name");
  const l = failure({ metadata: { finalizers: ["a"] } }, { metadata: { finalizers: [["b"]] } }, "V1ConfigMap");
  assert.equal(l.code, 422);
  assert.equal(l.message, "lists of lists are not supported");
  const b = failure({}, [1], "V1ConfigMap");
  assert.equal(b.code, 400);
  assert.equal(b.message, "json: cannot unmarshal array into Go value of type map[string]interface {}");
  assert.deepEqual(applyStrategicMergePatch({ a: 1 }, null, "V1ConfigMap"), { a: 1 });
});

test("service ports merge by port; node conditions by type; unknown types merge like JSON merge patch", () => {
  const svc = { spec: { ports: [{ port: 80, targetPort: 8080 }, { port: 443 }] } };
  assert.deepEqual(applyStrategicMergePatch(svc, { spec: { ports: [{ port: 443, name: "https" }] } }, "V1Service"), {
    spec: { ports: [{ port: 80, targetPort: 8080 }, { port: 443, name: "https" }] },
  });
  const node = { status: { conditions: [{ type: "Ready", status: "False" }, { type: "DiskPressure", status: "False" }] } };
  assert.deepEqual(applyStrategicMergePatch(node, { status: { conditions: [{ type: "Ready", status: "True" }] } }, "V1Node"), {
    status: { conditions: [{ type: "Ready", status: "True" }, { type: "DiskPressure", status: "False" }] },
  });
  const free = { spec: { stuff: { list: [{ name: "a" }], m: { x: 1 } } } };
  assert.deepEqual(applyStrategicMergePatch(free, { spec: { stuff: { list: [{ name: "b" }], m: { y: 2 } } } }, "NoSuchModel"), {
    spec: { stuff: { list: [{ name: "b" }], m: { x: 1, y: 2 } } },
  });
});

test("new keys: directives and nulls inside are resolved", () => {
  const out = applyStrategicMergePatch(
    deployment([{ name: "a" }]),
    { spec: { template: { spec: { initContainers: [{ name: "i", image: "busybox", tty: null }, { name: "gone", $patch: "delete" }] } } } },
    "V1Deployment",
  );
  assert.deepEqual(podSpecOf(out).initContainers, [{ name: "i", image: "busybox" }]);
  const unnamed = applyStrategicMergePatch(deployment([{ name: "a" }]), { spec: { template: { spec: { initContainers: [{ image: "x" }] } } } }, "V1Deployment");
  assert.deepEqual(podSpecOf(unnamed).initContainers, [{ image: "x" }], "a new list is taken as is; validation reports the missing name");
});

test("createTwoWayStrategicMergePatch round-trips and uses directives", () => {
  const original = deployment([{ name: "a", image: "a:1", env: [{ name: "X", value: "1" }] }, { name: "b", image: "b:1" }]);
  const modified = deployment([{ name: "c", image: "c:1" }, { name: "a", image: "a:2", env: [{ name: "X", value: "1" }] }]);
  modified.metadata.finalizers = ["b", "z"];
  modified.spec.strategy = { type: "Recreate" } as typeof modified.spec.strategy;
  const patch = createTwoWayStrategicMergePatch(original, modified, "V1Deployment");
  assert.deepEqual(patch, {
    metadata: { finalizers: ["z"], "$deleteFromPrimitiveList/finalizers": ["a"], "$setElementOrder/finalizers": ["b", "z"] },
    spec: {
      strategy: { type: "Recreate", rollingUpdate: null, $retainKeys: ["type"] },
      template: {
        spec: {
          containers: [{ name: "c", image: "c:1" }, { image: "a:2", name: "a" }, { name: "b", $patch: "delete" }],
          "$setElementOrder/containers": [{ name: "c" }, { name: "a" }],
        },
      },
    },
  });
  assert.deepEqual(applyStrategicMergePatch(original, patch, "V1Deployment"), modified);
  assert.deepEqual(createTwoWayStrategicMergePatch(original, original, "V1Deployment"), {});
});
