/** Unit tests of deployment helpers: fenceposts, hashing, template equality, revision annotations, conditions. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { KObject } from "../../api/types.ts";
import { calculateStatus, rolloutStatus, setCondition, newCondition, type DeploymentStatus } from "./conditions.ts";
import { computeHash, equalIgnoreHash, maxSurge, maxUnavailable, newRSNewReplicas, resolveFenceposts, setNewReplicaSetAnnotations } from "./util.ts";

const d = (replicas: number, ru: Record<string, unknown> = {}): KObject => ({
  metadata: { name: "web", generation: 2, annotations: { team: "a", "kubectl.kubernetes.io/last-applied-configuration": "{}" } },
  spec: { replicas, strategy: { type: "RollingUpdate", rollingUpdate: ru }, progressDeadlineSeconds: 600, template: { metadata: { labels: { app: "web" } } } },
  status: { observedGeneration: 1 },
});

describe("deployment util", () => {
  it("resolves surge up and unavailable down, never both zero", () => {
    assert.deepEqual(resolveFenceposts("25%", "25%", 10), { surge: 3, unavailable: 2 });
    assert.deepEqual(resolveFenceposts("0%", "0%", 10), { surge: 0, unavailable: 1 });
    assert.deepEqual(resolveFenceposts(2, "50%", 3), { surge: 2, unavailable: 1 });
    assert.equal(maxSurge(d(4)), 1);
    assert.equal(maxUnavailable(d(1, { maxUnavailable: 5 })), 1);
    assert.equal(maxSurge({ ...d(4), spec: { ...d(4).spec, strategy: { type: "Recreate" } } }), 0);
  });
  it("hashes templates stably with the safe alphabet, collisionCount changing it", () => {
    const t = { metadata: { labels: { b: "1", a: "2" } }, spec: { containers: [{ name: "c" }] } };
    const t2 = { spec: { containers: [{ name: "c" }] }, metadata: { labels: { a: "2", b: "1" } } };
    assert.equal(computeHash(t), computeHash(t2));
    assert.match(computeHash(t), /^[bcdfghjklmnpqrstvwxz2456789]{1,10}$/);
    assert.notEqual(computeHash(t, 1), computeHash(t));
  });
  it("compares templates ignoring the hash label and empty values", () => {
    const a = { metadata: { labels: { app: "x", "pod-template-hash": "abc" } }, spec: { containers: [{ name: "c" }], volumes: [] } };
    const b = { metadata: { labels: { app: "x" } }, spec: { containers: [{ name: "c" }] } };
    assert.equal(equalIgnoreHash(a, b), true);
    assert.equal(equalIgnoreHash(a, { metadata: { labels: { app: "y" } }, spec: b.spec }), false);
  });
  it("sets revision, history and replica annotations; copies deployment annotations except skipped ones", () => {
    const rs: KObject = { metadata: { annotations: { "deployment.kubernetes.io/revision": "1" } } };
    assert.equal(setNewReplicaSetAnnotations(d(4), rs, 3, true), true);
    assert.deepEqual(rs.metadata.annotations, { "deployment.kubernetes.io/revision": "3", "deployment.kubernetes.io/revision-history": "1", team: "a" });
    const fresh: KObject = { metadata: {} };
    setNewReplicaSetAnnotations(d(4), fresh, 1, false);
    assert.equal(fresh.metadata.annotations?.["deployment.kubernetes.io/desired-replicas"], "4");
    assert.equal(fresh.metadata.annotations?.["deployment.kubernetes.io/max-replicas"], "5");
  });
  it("scales the new ReplicaSet up within maxSurge", () => {
    const dep = d(10, { maxSurge: 3, maxUnavailable: 2 });
    const old: KObject = { metadata: {}, spec: { replicas: 10 } };
    const nrs: KObject = { metadata: {}, spec: { replicas: 0 } };
    assert.equal(newRSNewReplicas(dep, [old, nrs], nrs), 3);
    old.spec.replicas = 8;
    nrs.spec.replicas = 3;
    assert.equal(newRSNewReplicas(dep, [old, nrs], nrs), 5);
  });
});

describe("deployment conditions", () => {
  it("keeps lastTransitionTime when only the reason changes, no-op for same reason", () => {
    const st: DeploymentStatus = {};
    setCondition(st, newCondition("Progressing", "True", "A", "m", Date.parse("2025-01-01T00:00:00Z")));
    setCondition(st, newCondition("Progressing", "True", "B", "m2", Date.parse("2025-01-01T00:01:00Z")));
    assert.equal(st.conditions?.[0].lastTransitionTime, "2025-01-01T00:00:00Z");
    assert.equal(st.conditions?.[0].lastUpdateTime, "2025-01-01T00:01:00Z");
    assert.equal(st.conditions?.[0].reason, "B");
  });
  it("reports availability and completion", () => {
    const dep = d(2);
    const rs: KObject = { metadata: { name: "web-abc" }, spec: { replicas: 2 }, status: { replicas: 2, readyReplicas: 2, availableReplicas: 2 } };
    const st = calculateStatus(dep, [rs], rs);
    assert.equal(st.conditions?.find((c) => c.type === "Available")?.message, "Deployment has minimum availability.");
    const done = rolloutStatus(dep, [rs], rs);
    const p = done.conditions?.find((c) => c.type === "Progressing");
    assert.equal(p?.reason, "NewReplicaSetAvailable");
    assert.equal(p?.message, 'ReplicaSet "web-abc" has successfully progressed.');
  });
  it("times out after progressDeadlineSeconds", () => {
    const dep = d(2);
    dep.spec.progressDeadlineSeconds = 10;
    dep.status = { observedGeneration: 2, replicas: 2, updatedReplicas: 2, conditions: [newCondition("Progressing", "True", "ReplicaSetUpdated", "x", Date.parse("2025-01-01T00:00:00Z"))] };
    const rs: KObject = { metadata: { name: "web-abc" }, spec: { replicas: 2 }, status: { replicas: 2 } };
    const st = rolloutStatus(dep, [rs], rs, Date.parse("2025-01-01T00:00:11Z"));
    const p = st.conditions?.find((c) => c.type === "Progressing");
    assert.equal(p?.reason, "ProgressDeadlineExceeded");
    assert.equal(p?.status, "False");
    assert.equal(p?.message, 'ReplicaSet "web-abc" has timed out progressing.');
  });
});
