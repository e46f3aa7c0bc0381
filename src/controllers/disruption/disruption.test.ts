/**
 * Disruption controller: budget arithmetic, and the controller against a
 * real in-process apiserver (status from minAvailable / maxUnavailable, scale
 * of owning ReplicaSets, and pods/eviction refused with 429 while
 * disruptionsAllowed is 0; concurrent evictions, the DisruptionTarget
 * condition, pending and unready pods).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { findResource } from "../../api/resources.ts";
import type { KObject } from "../../api/types.ts";
import { ApiError } from "../../client/index.ts";
import { eventually, startControllerTestEnv } from "../testing.ts";
import { budgetStatus, expectedAndDesired, scaledValue } from "./budget.ts";
import { disruptionController } from "./index.ts";

const podsRes = findResource("", "v1", "pods")!;
const pdbRes = findResource("policy", "v1", "poddisruptionbudgets")!;
const rsRes = findResource("apps", "v1", "replicasets")!;

test("budget arithmetic", async () => {
  assert.equal(scaledValue("50%", 3, true), 2);
  assert.equal(scaledValue("50%", 3, false), 1);
  assert.equal(scaledValue(4, 3, true), 4);
  assert.throws(() => scaledValue("abc", 3, true));
  const pods = [{ metadata: {} }, { metadata: {} }] as KObject[];
  assert.deepEqual(await expectedAndDesired({ metadata: {}, spec: { minAvailable: 1 } }, pods, async () => 9), { expected: 2, desired: 1 });
  assert.deepEqual(await expectedAndDesired({ metadata: {}, spec: { minAvailable: "50%" } }, pods, async () => 5), { expected: 5, desired: 3 });
  assert.deepEqual(await expectedAndDesired({ metadata: {}, spec: { maxUnavailable: "25%" } }, pods, async () => 5), { expected: 5, desired: 3 });
  const s = budgetStatus({ metadata: { generation: 2 } }, { expected: 5, desired: 3, healthy: 4, disrupted: {} }, "t");
  assert.equal(s.disruptionsAllowed, 1);
  assert.equal(s.observedGeneration, 2);
  assert.deepEqual((s.conditions as object[])[0], { type: "DisruptionAllowed", status: "True", reason: "SufficientPods", message: "", observedGeneration: 2, lastTransitionTime: "t" });
  assert.equal(budgetStatus({ metadata: {} }, { expected: 0, desired: 0, healthy: 0, disrupted: {} }, "t").disruptionsAllowed, 0);
});

function pod(name: string, labels: Record<string, string>, owner?: KObject): KObject {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name,
      namespace: "default",
      labels,
      ownerReferences: owner ? [{ apiVersion: "apps/v1", kind: "ReplicaSet", name: owner.metadata.name!, uid: owner.metadata.uid!, controller: true }] : undefined,
    },
    spec: { containers: [{ name: "c", image: "nginx" }] },
  };
}

function evict(env: { client: { resource: (r: typeof podsRes) => { createSubresource: (ns: string, n: string, s: string, b: unknown) => Promise<unknown> } } }, name: string): Promise<unknown> {
  return env.client.resource(podsRes).createSubresource("default", name, "eviction", {
    apiVersion: "policy/v1",
    kind: "Eviction",
    metadata: { name, namespace: "default" },
  });
}

test("PDB status and evictions", async () => {
  const env = await startControllerTestEnv({ disruption: disruptionController }, { nodes: 2 });
  try {
    const pods = env.client.resource(podsRes);
    const pdbs = env.client.resource(pdbRes);
    for (const n of ["db-0", "db-1", "db-2"]) await pods.create("default", pod(n, { app: "db" }));
    await pdbs.create("default", {
      apiVersion: "policy/v1",
      kind: "PodDisruptionBudget",
      metadata: { name: "db", namespace: "default" },
      spec: { minAvailable: 3, selector: { matchLabels: { app: "db" } } },
    });
    const blocked = await eventually("budget with no disruptions allowed", async () => {
      const p = await pdbs.get("default", "db");
      return p.status?.currentHealthy === 3 && p.status.observedGeneration === p.metadata.generation ? p : undefined;
    });
    assert.deepEqual(
      [blocked.status.expectedPods, blocked.status.desiredHealthy, blocked.status.disruptionsAllowed],
      [3, 3, 0],
    );
    const cond = blocked.status.conditions.find((c: { type: string }) => c.type === "DisruptionAllowed");
    assert.equal(cond.status, "False");
    assert.equal(cond.reason, "InsufficientPods");
    await assert.rejects(evict(env, "db-0"), (err: unknown) => err instanceof ApiError && err.code === 429);

    await pdbs.patch("default", "db", "merge", { spec: { minAvailable: 2 } });
    await eventually("one disruption allowed", async () => {
      const p = await pdbs.get("default", "db");
      return p.status?.disruptionsAllowed === 1 && p.status.observedGeneration === p.metadata.generation ? p : undefined;
    });
    await evict(env, "db-0");
    await eventually("evicted pod no longer healthy", async () => {
      const p = await pdbs.get("default", "db");
      return p.status?.currentHealthy === 2 && p.status.disruptionsAllowed === 0 ? p : undefined;
    });
    await assert.rejects(evict(env, "db-1"), (err: unknown) => err instanceof ApiError && err.code === 429);

    const rs = await env.client.resource(rsRes).create("default", {
      apiVersion: "apps/v1",
      kind: "ReplicaSet",
      metadata: { name: "web", namespace: "default" },
      spec: {
        replicas: 4,
        selector: { matchLabels: { app: "web" } },
        template: { metadata: { labels: { app: "web" } }, spec: { containers: [{ name: "c", image: "nginx" }] } },
      },
    });
    for (const n of ["web-a", "web-b", "web-c"]) await pods.create("default", pod(n, { app: "web" }, rs));
    await pdbs.create("default", {
      apiVersion: "policy/v1",
      kind: "PodDisruptionBudget",
      metadata: { name: "web", namespace: "default" },
      spec: { maxUnavailable: "50%", selector: { matchLabels: { app: "web" } } },
    });
    const web = await eventually("expectedPods from the ReplicaSet scale", async () => {
      const p = await pdbs.get("default", "web");
      return p.status?.currentHealthy === 3 ? p : undefined;
    });
    assert.deepEqual([web.status.expectedPods, web.status.desiredHealthy, web.status.disruptionsAllowed], [4, 2, 1]);
    assert.equal(web.status.conditions[0].reason, "SufficientPods");

    await env.client.resource(rsRes).patch("default", "web", "merge", { spec: { replicas: 6 } });
    await eventually("scale change followed", async () => {
      const p = await pdbs.get("default", "web");
      return p.status?.expectedPods === 6 && p.status.desiredHealthy === 3 && p.status.disruptionsAllowed === 0 ? p : undefined;
    });
  } finally {
    await env.stop();
  }
});

test("evictions take a disruption each, mark the pod, and let unready or pending pods go as upstream", async () => {
  const env = await startControllerTestEnv({ disruption: disruptionController }, { nodes: 2 });
  try {
    const pods = env.client.resource(podsRes);
    const pdbs = env.client.resource(pdbRes);
    const slow = (name: string, nodeName?: string): KObject => {
      const p = pod(name, { app: "q" });
      p.spec.terminationGracePeriodSeconds = 30;
      if (nodeName) p.spec.nodeName = nodeName;
      return p;
    };
    for (const n of ["q-0", "q-1", "q-2"]) await pods.create("default", slow(n));
    await pdbs.create("default", {
      apiVersion: "policy/v1",
      kind: "PodDisruptionBudget",
      metadata: { name: "q", namespace: "default" },
      spec: { minAvailable: 2, selector: { matchLabels: { app: "q" } } },
    });
    // An empty selector selects no pod, so this budget never counts as a second one for them.
    await pdbs.create("default", {
      apiVersion: "policy/v1",
      kind: "PodDisruptionBudget",
      metadata: { name: "empty", namespace: "default" },
      spec: { maxUnavailable: 0, selector: {} },
    });
    await eventually("one disruption allowed", async () => {
      const p = await pdbs.get("default", "q");
      return p.status?.currentHealthy === 3 && p.status.disruptionsAllowed === 1 ? p : undefined;
    });

    // Two evictions at once: the budget allows one, so exactly one goes.
    const results = await Promise.allSettled([evict(env, "q-0"), evict(env, "q-1")]);
    assert.equal(results.filter((r) => r.status === "fulfilled").length, 1, JSON.stringify(results));
    const refused = results.find((r) => r.status === "rejected") as PromiseRejectedResult;
    assert.ok(refused.reason instanceof ApiError && refused.reason.code === 429, String(refused.reason));
    assert.equal(refused.reason.status?.details?.causes?.[0]?.reason, "DisruptionBudget");
    const evicted = results[0].status === "fulfilled" ? "q-0" : "q-1";
    const gone = await pods.get("default", evicted);
    assert.ok(gone.metadata.deletionTimestamp, "the evicted pod is terminating");
    const target = gone.status.conditions.find((c: { type: string }) => c.type === "DisruptionTarget");
    assert.deepEqual([target?.status, target?.reason, target?.message], ["True", "EvictionByEvictionAPI", "Eviction API: evicting"]);
    await eventually("budget used up", async () => {
      const p = await pdbs.get("default", "q");
      return p.status?.currentHealthy === 2 && p.status.disruptionsAllowed === 0 ? p : undefined;
    });

    // A pending pod is evicted without consulting the budget.
    await pods.create("default", slow("q-pending", "ghost"));
    await evict(env, "q-pending");
    assert.ok((await pods.get("default", "q-pending")).metadata.deletionTimestamp);

    // An unready running pod may go while the budget is met (IfHealthyBudget) ...
    const sick = async (name: string) => {
      const p = await pods.create("default", slow(name, "ghost"));
      p.status = { ...p.status, phase: "Running", conditions: [{ type: "Ready", status: "False" }] };
      await pods.updateStatus("default", p);
    };
    await sick("q-sick");
    await evict(env, "q-sick");
    assert.ok((await pods.get("default", "q-sick")).metadata.deletionTimestamp);
    // ... but not while it is not, unless the policy is AlwaysAllow.
    await sick("q-sick2");
    await pdbs.patch("default", "q", "merge", { spec: { minAvailable: 3 } });
    await eventually("budget not met", async () => {
      const p = await pdbs.get("default", "q");
      return p.status?.desiredHealthy === 3 && p.status.observedGeneration === p.metadata.generation ? p : undefined;
    });
    await assert.rejects(evict(env, "q-sick2"), (err: unknown) => err instanceof ApiError && err.code === 429);
    await pdbs.patch("default", "q", "merge", { spec: { unhealthyPodEvictionPolicy: "AlwaysAllow" } });
    await evict(env, "q-sick2");
    assert.ok((await pods.get("default", "q-sick2")).metadata.deletionTimestamp);
  } finally {
    await env.stop();
  }
});

test("pods without a controller are left out of maxUnavailable budgets, with upstream's events", async () => {
  const env = await startControllerTestEnv({ disruption: disruptionController }, { nodes: 1 });
  try {
    const pods = env.client.resource(podsRes);
    const pdbs = env.client.resource(pdbRes);
    for (const n of ["bare-0", "bare-1"]) await pods.create("default", pod(n, { app: "bare" }));
    const budget = (name: string, app: string) => ({
      apiVersion: "policy/v1",
      kind: "PodDisruptionBudget",
      metadata: { name, namespace: "default" },
      spec: { maxUnavailable: 1, selector: { matchLabels: { app } } },
    });
    await pdbs.create("default", budget("bare", "bare"));
    await pdbs.create("default", budget("nobody", "nobody"));
    const bare = await eventually("bare budget computed", async () => {
      const p = await pdbs.get("default", "bare");
      return p.status?.observedGeneration === 1 && p.status.currentHealthy === 2 ? p : undefined;
    });
    assert.deepEqual([bare.status.expectedPods, bare.status.desiredHealthy, bare.status.disruptionsAllowed], [0, 0, 0]);
    const reasons = await eventually("events", async () => {
      const evs = (await env.client.resource(findResource("", "v1", "events")!).list("default")).items;
      const r = evs.map((e) => `${e.involvedObject?.name}/${e.reason}`);
      return r.includes("bare/UnmanagedPods") && r.includes("nobody/NoPods") ? evs : undefined;
    });
    const unmanaged = reasons.find((e) => e.reason === "UnmanagedPods")!;
    assert.equal(unmanaged.type, "Warning");
    assert.match(unmanaged.message, /^Pods selected by this PodDisruptionBudget \(selector: app=bare\) were found to be unmanaged\./);

    // A pod whose controller is gone: the budget fails safe.
    const orphan = pod("lost-0", { app: "lost" });
    orphan.metadata.ownerReferences = [{ apiVersion: "apps/v1", kind: "ReplicaSet", name: "gone", uid: "00000000-0000-0000-0000-000000000001", controller: true }];
    await pods.create("default", orphan);
    await pdbs.create("default", budget("lost", "lost"));
    const lost = await eventually("fail-safe status", async () => {
      const p = await pdbs.get("default", "lost");
      return p.status?.conditions?.[0]?.reason === "SyncFailed" ? p : undefined;
    });
    assert.equal(lost.status.disruptionsAllowed, 0);
    assert.equal(lost.status.conditions[0].message, 'found no controllers for pod "lost-0"');
  } finally {
    await env.stop();
  }
});
