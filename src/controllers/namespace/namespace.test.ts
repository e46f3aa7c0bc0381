/**
 * Namespace controller tests against an in-process apiserver: deleting a
 * namespace removes its content, then the namespace; content with a
 * finalizer holds the namespace in Terminating with upstream's conditions.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { findResource } from "../../api/resources.ts";
import type { KObject } from "../../api/types.ts";
import { isNotFound } from "../../client/index.ts";
import { eventually, startControllerTestEnv } from "../testing.ts";
import { deletableNamespacedResources, deletionConditions, mergeConditions } from "./deleter.ts";
import { namespaceController } from "./index.ts";

const nsRes = findResource("", "v1", "namespaces")!;
const cmRes = findResource("", "v1", "configmaps")!;
const podRes = findResource("", "v1", "pods")!;
const deployRes = findResource("apps", "v1", "deployments")!;

const labels = { app: "web" };
const podSpec = { containers: [{ name: "c", image: "nginx" }] };

async function gone(fn: () => Promise<unknown>): Promise<true | undefined> {
  try {
    await fn();
    return undefined;
  } catch (err) {
    if (isNotFound(err)) return true;
    throw err;
  }
}

test("deletable resources skip bindings and shared storage", () => {
  const names = deletableNamespacedResources().map((r) => `${r.group}/${r.plural}`);
  assert.ok(!names.includes("/bindings"));
  assert.equal(names.filter((n) => n.endsWith("/events")).length, 1);
  assert.equal(names.filter((n) => n.endsWith("/horizontalpodautoscalers")).length, 1);
  assert.ok(names.includes("/pods") && names.includes("apps/deployments"));
  assert.ok(!names.includes("/namespaces") && !names.includes("/nodes"));
});

test("conditions keep lastTransitionTime while unchanged", () => {
  const ok = deletionConditions({ errors: [], remaining: new Map(), finalizers: new Map(), estimateSeconds: 0 });
  const first = mergeConditions([], ok, "t1")!;
  assert.equal(first.length, 5);
  assert.equal(mergeConditions(first, ok, "t2"), undefined);
  const left = deletionConditions({ errors: [], remaining: new Map([["pods.", 2]]), finalizers: new Map([["x/y", 1]]), estimateSeconds: 0 });
  const next = mergeConditions(first, left, "t3")!;
  const remaining = next.find((c) => c.type === "NamespaceContentRemaining")!;
  assert.deepEqual([remaining.status, remaining.reason, remaining.message], ["True", "SomeResourcesRemain", "Some resources are remaining: pods. has 2 resource instances"]);
  assert.equal(remaining.lastTransitionTime, "t3");
  const fin = next.find((c) => c.type === "NamespaceFinalizersRemaining")!;
  assert.equal(fin.message, "Some content in the namespace has finalizers remaining: x/y in 1 resource instances");
  assert.equal(next.find((c) => c.type === "NamespaceDeletionContentFailure")!.lastTransitionTime, "t1");
});

test("namespace deletion removes configmaps, pods and deployments, then the namespace", async () => {
  const env = await startControllerTestEnv({ namespace: namespaceController }, { nodes: 1 });
  try {
    const c = env.client;
    await c.resource(nsRes).create("", { apiVersion: "v1", kind: "Namespace", metadata: { name: "doomed" } } as KObject);
    await c.resource(cmRes).create("doomed", { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "cm" }, data: { a: "b" } } as KObject);
    for (const n of ["p1", "p2"]) {
      await c.resource(podRes).create("doomed", { apiVersion: "v1", kind: "Pod", metadata: { name: n, labels }, spec: podSpec } as KObject);
    }
    await c.resource(deployRes).create("doomed", {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "web" },
      spec: { replicas: 1, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: podSpec } },
    } as KObject);
    await eventually("pods bound", async () => ((await c.resource(podRes).list("doomed")).items.every((p) => p.spec?.nodeName) ? true : undefined));

    await c.resource(nsRes).delete("", "doomed");
    await eventually("namespace gone", () => gone(() => c.resource(nsRes).get("", "doomed")));
    for (const r of [cmRes, podRes, deployRes]) assert.equal((await c.resource(r).list("doomed")).items.length, 0, r.plural);
  } finally {
    await env.stop();
  }
});

test("content with a finalizer keeps the namespace terminating with conditions", async () => {
  const env = await startControllerTestEnv({ namespace: namespaceController }, { nodes: 1 });
  try {
    const c = env.client;
    await c.resource(nsRes).create("", { apiVersion: "v1", kind: "Namespace", metadata: { name: "held" } } as KObject);
    await c.resource(cmRes).create("held", { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "cm", finalizers: ["example.com/hold"] } } as KObject);
    await c.resource(nsRes).delete("", "held");
    const ns = await eventually("conditions", async () => {
      const cur = await c.resource(nsRes).get("", "held");
      const fin = (cur.status?.conditions ?? []).find((x: { type: string }) => x.type === "NamespaceFinalizersRemaining");
      return fin?.status === "True" ? cur : undefined;
    });
    assert.equal(ns.status.phase, "Terminating");
    const remaining = ns.status.conditions.find((x: { type: string }) => x.type === "NamespaceContentRemaining");
    assert.deepEqual([remaining.status, remaining.reason], ["True", "SomeResourcesRemain"]);
    assert.match(remaining.message, /configmaps\. has 1 resource instances/);
    const content = ns.status.conditions.find((x: { type: string }) => x.type === "NamespaceDeletionContentFailure");
    assert.deepEqual([content.status, content.reason], ["False", "ContentDeleted"]);

    await c.resource(cmRes).patch("held", "cm", "merge", { metadata: { finalizers: null } });
    await eventually("namespace gone", () => gone(() => c.resource(nsRes).get("", "held")));
  } finally {
    await env.stop();
  }
});
