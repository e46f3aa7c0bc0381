/**
 * Garbage collector tests against an in-process apiserver: background,
 * foreground and orphan propagation, partial ownership and owners of kinds
 * the collector keeps no cache of.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { findResource } from "../../api/resources.ts";
import type { KObject } from "../../api/types.ts";
import { isNotFound, type ApiClient } from "../../client/index.ts";
import { simAnnotations } from "../../simnodes/objects.ts";
import { eventually, startControllerTestEnv } from "../testing.ts";
import { gcResources, removeFinalizerPatch, removeOwnerRefsPatch, type OwnerReference } from "./graph.ts";
import { replicaSetController } from "../replicaset/index.ts";
import { garbageCollectorController, newGarbageCollector } from "./index.ts";

const rsRes = findResource("apps", "v1", "replicasets")!;
const podRes = findResource("", "v1", "pods")!;
const cmRes = findResource("", "v1", "configmaps")!;
const ingRes = findResource("networking.k8s.io", "v1", "ingresses")!;

const labels = { app: "gc" };
const podSpec = { containers: [{ name: "c", image: "nginx" }] };

function ref(o: KObject, block = true): OwnerReference {
  return { apiVersion: o.apiVersion!, kind: o.kind!, name: o.metadata.name!, uid: o.metadata.uid!, controller: true, blockOwnerDeletion: block };
}

async function replicaSetWithPods(c: ApiClient, name: string, pods: number, annotations: Record<string, string> = {}): Promise<KObject> {
  const rs = await c.resource(rsRes).create("default", {
    apiVersion: "apps/v1",
    kind: "ReplicaSet",
    metadata: { name },
    spec: { replicas: pods, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: podSpec } },
  } as KObject);
  rs.apiVersion = "apps/v1";
  rs.kind = "ReplicaSet";
  for (let i = 0; i < pods; i++) {
    await c.resource(podRes).create("default", {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: `${name}-${i}`, labels, annotations, ownerReferences: [ref(rs)] },
      spec: podSpec,
    } as KObject);
  }
  return rs;
}

const podsOf = async (c: ApiClient, prefix: string): Promise<KObject[]> =>
  (await c.resource(podRes).list("default")).items.filter((p) => p.metadata.name!.startsWith(`${prefix}-`));

async function exists(c: ApiClient, info = rsRes, name: string): Promise<boolean> {
  try {
    await c.resource(info).get("default", name);
    return true;
  } catch (err) {
    if (isNotFound(err)) return false;
    throw err;
  }
}

test("the resource table is served and patches are guarded", () => {
  assert.ok(gcResources().length >= 16);
  const o = { metadata: { uid: "u", finalizers: ["a", "orphan"], ownerReferences: [{ uid: "x" }, { uid: "y" }, { uid: "x2" }] } } as unknown as KObject;
  assert.deepEqual(removeFinalizerPatch(o, "orphan")!.slice(1), [
    { op: "test", path: "/metadata/finalizers/1", value: "orphan" },
    { op: "remove", path: "/metadata/finalizers/1" },
  ]);
  assert.equal(removeFinalizerPatch(o, "foregroundDeletion"), undefined);
  assert.deepEqual(removeOwnerRefsPatch(o, new Set(["x", "x2"])), {
    metadata: { ownerReferences: [{ $patch: "delete", uid: "x" }, { $patch: "delete", uid: "x2" }], uid: "u" },
  });
});

test("garbage collection: background, foreground, orphan", async () => {
  const env = await startControllerTestEnv({ garbagecollector: garbageCollectorController }, { nodes: 2 });
  const c = env.client;
  try {
    await Promise.all([
      (async () => {
        await replicaSetWithPods(c, "bg", 3);
        await c.resource(rsRes).delete("default", "bg", { propagationPolicy: "Background" });
        await eventually("background dependents deleted", async () => ((await podsOf(c, "bg")).length === 0 ? true : undefined));
      })(),
      (async () => {
        await replicaSetWithPods(c, "fg", 2, { [simAnnotations.stopSeconds]: "1" });
        await eventually("pods bound", async () => ((await podsOf(c, "fg")).every((p) => p.spec?.nodeName) ? true : undefined));
        await c.resource(rsRes).delete("default", "fg", { propagationPolicy: "Foreground" });
        await eventually("dependents terminating", async () => ((await podsOf(c, "fg")).every((p) => p.metadata.deletionTimestamp) ? true : undefined));
        const held = await c.resource(rsRes).get("default", "fg");
        assert.ok(held.metadata.deletionTimestamp && held.metadata.finalizers?.includes("foregroundDeletion"), "owner waits for its dependents");
        let ownerGoneWithPodsLeft = false;
        await eventually("foreground owner deleted", async () => {
          const [owner, pods] = await Promise.all([exists(c, rsRes, "fg"), podsOf(c, "fg")]);
          if (!owner && pods.length) ownerGoneWithPodsLeft = true;
          return owner ? undefined : true;
        });
        assert.equal(ownerGoneWithPodsLeft, false, "the owner outlived its blocking dependents");
        assert.equal((await podsOf(c, "fg")).length, 0);
      })(),
      (async () => {
        await replicaSetWithPods(c, "or", 2);
        await c.resource(rsRes).delete("default", "or", { propagationPolicy: "Orphan" });
        await eventually("orphaning owner deleted", async () => ((await exists(c, rsRes, "or")) ? undefined : true));
        const pods = await podsOf(c, "or");
        assert.equal(pods.length, 2);
        for (const p of pods) assert.deepEqual(p.metadata.ownerReferences ?? [], []);
      })(),
    ]);
  } finally {
    await env.stop();
  }
});

test("partial ownership, unknown owners and untracked owner kinds", async () => {
  const env = await startControllerTestEnv({ garbagecollector: newGarbageCollector({ untrackedOwnerRecheckMs: 300 }) }, { nodes: 1 });
  const c = env.client;
  try {
    const mk = async (name: string, refs: OwnerReference[]): Promise<KObject> =>
      c.resource(cmRes).create("default", { apiVersion: "v1", kind: "ConfigMap", metadata: { name, ownerReferences: refs } } as KObject);
    const keep = await mk("keeper", []);
    keep.apiVersion = "v1";
    keep.kind = "ConfigMap";
    const ing = await c.resource(ingRes).create("default", {
      apiVersion: "networking.k8s.io/v1",
      kind: "Ingress",
      metadata: { name: "ing" },
      spec: { defaultBackend: { service: { name: "s", port: { number: 80 } } } },
    } as KObject);
    ing.apiVersion = "networking.k8s.io/v1";
    ing.kind = "Ingress";
    const ghost = { apiVersion: "v1", kind: "ConfigMap", name: "ghost", uid: "00000000-0000-0000-0000-000000000001" };
    await mk("dangling", [ghost]);
    await mk("shared", [ghost, ref(keep, false)]);
    await mk("by-ingress", [ref(ing, false)]);
    await eventually("dangling dependent deleted", async () => ((await exists(c, cmRes, "dangling")) ? undefined : true));
    const shared = await eventually("absent owner's reference removed", async () => {
      const o = await c.resource(cmRes).get("default", "shared");
      return o.metadata.ownerReferences?.length === 1 ? o : undefined;
    });
    assert.equal(shared.metadata.ownerReferences?.[0].uid, keep.metadata.uid);
    assert.equal(await exists(c, cmRes, "by-ingress"), true, "a live owner of an untracked kind keeps its dependent");

    await c.resource(ingRes).delete("default", "ing");
    await c.resource(cmRes).delete("default", "keeper");
    await eventually("dependents of deleted owners collected", async () =>
      (await exists(c, cmRes, "shared")) || (await exists(c, cmRes, "by-ingress")) ? undefined : true,
    );
  } finally {
    await env.stop();
  }
});

test("an orphaning delete right after creation keeps every dependent", async () => {
  const env = await startControllerTestEnv({ garbagecollector: garbageCollectorController, replicaset: replicaSetController }, { nodes: 2 });
  try {
    const c = env.client;
    for (let round = 0; round < 4; round++) {
      const name = `young${round}`;
      const sel = { app: name };
      await c.resource(rsRes).create("default", {
        apiVersion: "apps/v1",
        kind: "ReplicaSet",
        metadata: { name },
        spec: { replicas: 3, selector: { matchLabels: sel }, template: { metadata: { labels: sel }, spec: podSpec } },
      } as KObject);
      // Orphan while the pods are still being created, bound and started.
      await new Promise((r) => setTimeout(r, 300 + round * 200));
      await c.resource(rsRes).delete("default", name, { propagationPolicy: "Orphan" });
      await eventually("orphaning owner deleted", async () => ((await exists(c, rsRes, name)) ? undefined : true));
      await new Promise((r) => setTimeout(r, 1000));
      const pods = (await c.resource(podRes).list("default", { labelSelector: `app=${name}` })).items;
      assert.ok(pods.length > 0, `round ${round}: the ReplicaSet made pods`);
      for (const p of pods) {
        assert.equal(p.metadata.deletionTimestamp, undefined, `round ${round}: ${p.metadata.name} not deleted`);
        assert.ok(!p.metadata.ownerReferences?.length, `round ${round}: ${p.metadata.name} orphaned`);
      }
    }
  } finally {
    await env.stop();
  }
});
