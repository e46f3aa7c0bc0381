/** Workload controller validation: selectors, templates, strategies, immutability. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { validateCreate, validateStatusUpdate, validateUpdate } from "./index.ts";
import { infoFor, make, pairs, template } from "./testutil.test.ts";

const D = infoFor("apps/v1", "Deployment");
const deploy = (spec: Record<string, unknown>) => make("apps/v1", "Deployment", { spec });
const sel = (labels: Record<string, string> = { app: "web" }) => ({ matchLabels: labels });

test("valid workloads pass", () => {
  assert.deepEqual(validateCreate(D, deploy({ selector: sel(), template: template() })), []);
  for (const kind of ["ReplicaSet", "DaemonSet", "StatefulSet"])
    assert.deepEqual(validateCreate(infoFor("apps/v1", kind), make("apps/v1", kind, { spec: { selector: sel(), template: template() } })), [], kind);
  const rc = make("v1", "ReplicationController", { spec: { template: template() } });
  assert.deepEqual(validateCreate(infoFor("v1", "ReplicationController"), rc), []);
});

test("selector required, non-empty and matching", () => {
  assert.deepEqual(pairs(validateCreate(D, deploy({ template: template() }))), [["spec.selector", "FieldValueRequired"]]);
  const empty = validateCreate(D, deploy({ selector: {}, template: template() }));
  assert.deepEqual(pairs(empty), [["spec.selector", "FieldValueInvalid"]]);
  assert.equal(empty[0].detail, "empty selector is invalid for deployment");
  const mismatch = validateCreate(D, deploy({ selector: sel({ app: "other" }), template: template() }));
  assert.deepEqual(pairs(mismatch), [["spec.template.metadata.labels", "FieldValueInvalid"]]);
  assert.equal(mismatch[0].detail, "`selector` does not match template `labels`");
  const expr = validateCreate(D, deploy({ selector: { matchExpressions: [{ key: "app", operator: "In" }] }, template: template() }));
  assert.deepEqual(pairs(expr), [
    ["spec.selector.matchExpressions[0].values", "FieldValueRequired"],
    ["spec.selector", "FieldValueInvalid"],
  ]);
  assert.equal(validateCreate(D, deploy({ selector: { matchExpressions: [{ key: "app", operator: "In" }] }, template: template() }))[1].detail, "invalid label selector");
});

test("template rules: restartPolicy Always, labels, container errors", () => {
  const t = template();
  (t.spec as Record<string, unknown>).restartPolicy = "Never";
  const errs = validateCreate(D, deploy({ selector: sel(), template: t }));
  assert.deepEqual(pairs(errs), [["spec.template.spec.restartPolicy", "FieldValueNotSupported"]]);
  assert.equal(errs[0].detail, 'supported values: "Always"');
  const bad = template();
  bad.spec.containers[0].image = "";
  assert.deepEqual(pairs(validateCreate(D, deploy({ selector: sel(), template: bad }))), [["spec.template.spec.containers[0].image", "FieldValueRequired"]]);
});

test("deployment strategy and counts", () => {
  const errs = validateCreate(
    D,
    deploy({ replicas: -1, selector: sel(), template: template(), strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: 0, maxUnavailable: "0%" } } }),
  );
  assert.deepEqual(pairs(errs), [
    ["spec.replicas", "FieldValueInvalid"],
    ["spec.strategy.rollingUpdate.maxUnavailable", "FieldValueInvalid"],
  ]);
  assert.equal(errs[1].detail, "may not be 0 when `maxSurge` is 0");
  const pct = validateCreate(D, deploy({ selector: sel(), template: template(), strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: "x%", maxUnavailable: "150%" } } }));
  assert.deepEqual(pairs(pct), [
    ["spec.strategy.rollingUpdate.maxSurge", "FieldValueInvalid"],
    ["spec.strategy.rollingUpdate.maxUnavailable", "FieldValueInvalid"],
  ]);
  assert.match(pct[0].detail ?? "", /^a valid percent string must be a numeric string followed by an ending '%'/);
  assert.equal(pct[1].detail, "must not be greater than 100%");
  const recreate = validateCreate(D, deploy({ selector: sel(), template: template(), strategy: { type: "Recreate", rollingUpdate: {} } }));
  assert.deepEqual(pairs(recreate), [["spec.strategy.rollingUpdate", "FieldValueForbidden"]]);
  const typ = validateCreate(D, deploy({ selector: sel(), template: template(), strategy: { type: "Blue" } }));
  assert.deepEqual(pairs(typ), [["spec.strategy", "FieldValueNotSupported"]]);
});

test("selectors are immutable", () => {
  for (const kind of ["Deployment", "ReplicaSet", "DaemonSet"]) {
    const info = infoFor("apps/v1", kind);
    const old = make("apps/v1", kind, { spec: { selector: sel(), template: template() } });
    const next = structuredClone(old);
    next.spec.selector = sel({ app: "web", tier: "x" });
    next.spec.template.metadata.labels.tier = "x";
    const errs = validateUpdate(info, next, old);
    assert.deepEqual(pairs(errs), [["spec.selector", "FieldValueInvalid"]], kind);
    assert.equal(errs[0].detail, "field is immutable");
    const scaled = structuredClone(old);
    scaled.spec.template.spec.containers[0].image = "nginx:2";
    assert.deepEqual(validateUpdate(info, scaled, old), [], kind);
  }
});

test("statefulset rules and update restrictions", () => {
  const S = infoFor("apps/v1", "StatefulSet");
  const errs = validateCreate(S, make("apps/v1", "StatefulSet", { spec: { selector: sel(), template: template(), podManagementPolicy: "Random" } }));
  assert.deepEqual(pairs(errs), [["spec.podManagementPolicy", "FieldValueInvalid"]]);
  const old = make("apps/v1", "StatefulSet", {
    spec: { selector: sel(), template: template(), volumeClaimTemplates: [{ metadata: { name: "d" }, spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } } } }] },
  });
  assert.deepEqual(validateCreate(S, old), []);
  const next = structuredClone(old);
  next.spec.replicas = 3;
  assert.deepEqual(validateUpdate(S, next, old), []);
  next.spec.serviceName = "other";
  const u = validateUpdate(S, next, old);
  assert.deepEqual(pairs(u), [["spec", "FieldValueForbidden"]]);
  assert.match(u[0].detail ?? "", /^updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template'/);
});

test("daemonset strategy", () => {
  const DS = infoFor("apps/v1", "DaemonSet");
  const errs = validateCreate(
    DS,
    make("apps/v1", "DaemonSet", { spec: { selector: sel(), template: template(), updateStrategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 0 } } } }),
  );
  assert.deepEqual(pairs(errs), [["spec.updateStrategy.rollingUpdate.maxUnavailable", "FieldValueRequired"]]);
  assert.equal(errs[0].detail, "cannot be 0 when maxSurge is 0");
  const noSel = validateCreate(DS, make("apps/v1", "DaemonSet", { spec: { template: template() } }));
  assert.deepEqual(pairs(noSel), [["spec.template.metadata.labels", "FieldValueInvalid"]]);
});

test("statefulset names are DNS labels and templates only get metadata checks", () => {
  const S = infoFor("apps/v1", "StatefulSet");
  const t = template();
  t.spec.containers[0].name = "Bad_Name";
  const errs = validateCreate(S, make("apps/v1", "StatefulSet", { spec: { selector: sel(), template: t } }, { name: "db.v1" }));
  assert.deepEqual(pairs(errs), [["metadata.name", "FieldValueInvalid"]]);
});

test("workload status counters", () => {
  const info = infoFor("apps/v1", "Deployment");
  const old = make("apps/v1", "Deployment", { spec: { selector: sel(), template: template() }, status: { collisionCount: 2 } });
  const next = structuredClone(old);
  next.status = { replicas: 1, readyReplicas: 2, availableReplicas: 1, collisionCount: 1 };
  assert.deepEqual(pairs(validateStatusUpdate(info, next, old)), [
    ["status.readyReplicas", "FieldValueInvalid"],
    ["status.collisionCount", "FieldValueInvalid"],
  ]);
});

test("replication controller selector and status", () => {
  const RC = infoFor("v1", "ReplicationController");
  const errs = validateCreate(RC, make("v1", "ReplicationController", { spec: { selector: { app: "x" }, template: template() } }));
  assert.deepEqual(pairs(errs), [["spec.template.metadata.labels", "FieldValueInvalid"]]);
  const old = make("v1", "ReplicationController", { spec: { template: template() } });
  const next = structuredClone(old);
  next.status = { replicas: -1 };
  assert.deepEqual(pairs(validateStatusUpdate(RC, next, old)), [["status.replicas", "FieldValueInvalid"]]);
});
