/**
 * Tests of the generic registry over an in-memory store and the watch cache:
 * create/update/patch/delete semantics, status split, generation, finalizers,
 * namespace admission, list selectors and pagination, dry run, allocation.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { findResource } from "../../api/resources.ts";
import type { KObject } from "../../api/types.ts";
import { StatusError } from "../../machinery/errors.ts";
import { openEmbeddedStore } from "../../storage/index.ts";
import type { Store } from "../../storage/types.ts";
import { WatchCache } from "../watchcache.ts";
import { createObject } from "./create.ts";
import { deleteObject } from "./delete.ts";
import { getObject, listObjects } from "./read.ts";
import { Registry, type WriteOptions } from "./registry.ts";
import { bindPodToNode, finalizeNamespace, patchObject, updateObject } from "./update.ts";

const ns = findResource("", "v1", "namespaces")!;
const cms = findResource("", "v1", "configmaps")!;
const deps = findResource("apps", "v1", "deployments")!;
const svcs = findResource("", "v1", "services")!;
const pods = findResource("", "v1", "pods")!;

const w = (extra: Partial<WriteOptions> = {}): WriteOptions => ({ dryRun: false, fieldValidation: "Strict", warnings: [], ...extra });

function deployment(name: string): KObject {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name, labels: { app: name } },
    spec: {
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: "c", image: "busybox" }] } },
    },
  };
}

async function rejects(p: Promise<unknown>, code: number, re?: RegExp): Promise<StatusError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof StatusError, `expected StatusError, got ${err}`);
    assert.equal(err.code, code, err.message);
    if (re) assert.match(err.message, re);
    return err;
  }
  assert.fail(`expected a ${code} error`);
}

describe("registry", () => {
  let store: Store;
  let cache: WatchCache;
  let reg: Registry;

  before(async () => {
    store = await openEmbeddedStore({});
    cache = new WatchCache(store);
    await cache.start();
    reg = new Registry({ store, cache, serviceCidr: "10.43.0.0/16", nodePortRange: "30000-32767" });
    await createObject(reg, ns, "", { metadata: { name: "t" } }, w());
  });
  after(async () => {
    cache.stop();
    await store.close();
  });

  it("creates with server-set metadata and defaults, and refuses duplicates", async () => {
    const d = await createObject(reg, deps, "t", deployment("web"), w());
    assert.match(d.metadata.uid!, /^[0-9a-f-]{36}$/);
    assert.ok(d.metadata.creationTimestamp);
    assert.equal(d.metadata.generation, 1);
    assert.equal(d.spec.replicas, 1);
    assert.equal(d.spec.strategy.rollingUpdate.maxSurge, "25%");
    assert.deepEqual(d.status, {});
    assert.equal(d.metadata.resourceVersion, String(store.currentRevision()));
    await rejects(createObject(reg, deps, "t", deployment("web"), w()), 409, /deployments.apps "web" already exists/);
    const g = await createObject(reg, cms, "t", { metadata: { generateName: "gen-" } }, w());
    assert.match(g.metadata.name!, /^gen-[a-z0-9]{5}$/);
  });

  it("admits only into existing, active namespaces", async () => {
    await rejects(createObject(reg, cms, "missing", { metadata: { name: "a" } }, w()), 404, /namespaces "missing" not found/);
    await createObject(reg, ns, "", { metadata: { name: "doomed", finalizers: ["example.com/hold"] } }, w());
    await deleteObject(reg, ns, "", "doomed", { dryRun: false });
    const err = await rejects(createObject(reg, cms, "doomed", { metadata: { name: "a" } }, w()), 403, /being terminated/);
    assert.equal(err.details?.causes?.[0].reason, "NamespaceTerminating");
  });

  it("answers bad objects with 422 and field paths", async () => {
    const bad = deployment("Bad");
    bad.spec.template.metadata.labels = { app: "other" };
    const err = await rejects(createObject(reg, deps, "t", bad, w()), 422);
    const fields = err.details!.causes!.map((c) => c.field);
    assert.ok(fields.includes("metadata.name"), fields.join());
    assert.ok(fields.includes("spec.template.metadata.labels"), fields.join());
  });

  it("updates with optimistic concurrency, bumps generation on spec changes only, ignores status", async () => {
    const cur = await getObject(reg, deps, "t", "web");
    const stale = structuredClone(cur);
    const next = structuredClone(cur);
    next.metadata.labels!.extra = "1";
    next.status = { replicas: 99 };
    const u1 = await updateObject(reg, deps, "t", "web", next, "", w());
    assert.equal(u1.obj.metadata.generation, 1);
    assert.deepEqual(u1.obj.status, {});
    assert.ok(Number(u1.obj.metadata.resourceVersion) > Number(cur.metadata.resourceVersion));
    stale.spec.replicas = 3;
    await rejects(updateObject(reg, deps, "t", "web", stale, "", w()), 409, /the object has been modified/);
    const fresh = structuredClone(u1.obj);
    fresh.spec.replicas = 3;
    const u2 = await updateObject(reg, deps, "t", "web", fresh, "", w());
    assert.equal(u2.obj.metadata.generation, 2);
    const same = await updateObject(reg, deps, "t", "web", structuredClone(u2.obj), "", w());
    assert.equal(same.obj.metadata.resourceVersion, u2.obj.metadata.resourceVersion, "a no-op update writes nothing");
    const st = structuredClone(u2.obj);
    st.status = { replicas: 3, observedGeneration: 2 };
    st.spec.replicas = 7;
    const u3 = await updateObject(reg, deps, "t", "web", st, "status", w());
    assert.equal(u3.obj.status.replicas, 3);
    assert.equal(u3.obj.spec.replicas, 3, "status updates do not change spec");
  });

  it("patches with merge and strategic patches", async () => {
    const m = await patchObject(reg, deps, "t", "web", "merge", { metadata: { labels: { extra: null } } }, "", w());
    assert.equal(m.metadata.labels!.extra, undefined);
    const s = await patchObject(reg, deps, "t", "web", "strategic", { spec: { template: { spec: { containers: [{ name: "c", image: "busybox:2" }] } } } }, "", w());
    assert.equal(s.spec.template.spec.containers.length, 1);
    assert.equal(s.spec.template.spec.containers[0].image, "busybox:2");
    await rejects(patchObject(reg, deps, "t", "nope", "merge", {}, "", w()), 404);
    await rejects(patchObject(reg, deps, "t", "web", "merge", { spec: { replicas: -1 } }, "", w()), 422);
  });

  it("marks objects with finalizers and deletes them when the last finalizer goes", async () => {
    await createObject(reg, cms, "t", { metadata: { name: "held", finalizers: ["example.com/x"] } }, w());
    const r = await deleteObject(reg, cms, "t", "held", { dryRun: false });
    assert.equal(r.deleted, false);
    assert.ok(r.obj.metadata.deletionTimestamp);
    // getObject returns the cache's shared object: change a copy.
    const cur = structuredClone(await getObject(reg, cms, "t", "held"));
    cur.metadata.finalizers = [];
    await updateObject(reg, cms, "t", "held", cur, "", w());
    await rejects(getObject(reg, cms, "t", "held"), 404);
    await createObject(reg, cms, "t", { metadata: { name: "pre" } }, w());
    await rejects(deleteObject(reg, cms, "t", "pre", { dryRun: false, preconditions: { uid: "nope" } }), 409, /Precondition failed/);
  });

  it("does not persist dry runs", async () => {
    await createObject(reg, cms, "t", { metadata: { name: "dry" } }, w({ dryRun: true }));
    await rejects(getObject(reg, cms, "t", "dry"), 404);
  });

  it("lists with selectors and consistent pagination", async () => {
    for (let i = 0; i < 7; i++) {
      await createObject(reg, cms, "t", { metadata: { name: `p${i}`, labels: { page: "yes", n: String(i % 2) } } }, w());
    }
    const odd = await listObjects(reg, cms, "t", { labelSelector: "page=yes,n=1" });
    assert.deepEqual(odd.items.map((o) => o.metadata.name), ["p1", "p3", "p5"]);
    const byName = await listObjects(reg, cms, "t", { fieldSelector: "metadata.name=p4" });
    assert.deepEqual(byName.items.map((o) => o.metadata.name), ["p4"]);
    const first = await listObjects(reg, cms, "t", { labelSelector: "page", limit: 3 });
    assert.equal(first.items.length, 3);
    assert.ok(first.continue);
    await createObject(reg, cms, "t", { metadata: { name: "p99", labels: { page: "yes" } } }, w());
    const second = await listObjects(reg, cms, "t", { labelSelector: "page", limit: 3, continue: first.continue });
    const third = await listObjects(reg, cms, "t", { labelSelector: "page", limit: 3, continue: second.continue });
    const names = [...first.items, ...second.items, ...third.items].map((o) => o.metadata.name);
    assert.deepEqual(names, ["p0", "p1", "p2", "p3", "p4", "p5", "p6"], "pages reflect the first page's revision");
    assert.equal(third.continue, undefined);
    await rejects(listObjects(reg, cms, "t", { fieldSelector: "spec.nope=1" }), 400);
    await rejects(listObjects(reg, cms, "t", { resourceVersionMatch: "Exact" }), 400);
  });

  it("allocates and releases Service addresses", async () => {
    const s = await createObject(reg, svcs, "t", { metadata: { name: "s" }, spec: { type: "NodePort", ports: [{ port: 80 }] } }, w());
    assert.match(s.spec.clusterIP, /^10\.43\./);
    assert.ok(s.spec.ports[0].nodePort >= 30000);
    await rejects(
      createObject(reg, svcs, "t", { metadata: { name: "s2" }, spec: { clusterIP: s.spec.clusterIP, ports: [{ port: 80 }] } }, w()),
      422,
      /already allocated/,
    );
    await deleteObject(reg, svcs, "t", "s", { dryRun: false });
    const again = await createObject(reg, svcs, "t", { metadata: { name: "s3" }, spec: { clusterIP: s.spec.clusterIP, ports: [{ port: 80 }] } }, w());
    assert.equal(again.spec.clusterIP, s.spec.clusterIP);
  });

  it("finalizes terminating namespaces only through the finalize subresource", async () => {
    await createObject(reg, ns, "", { metadata: { name: "fin" } }, w());
    const marked = await deleteObject(reg, ns, "", "fin", { dryRun: false });
    assert.equal(marked.deleted, false);
    assert.equal(marked.obj.status.phase, "Terminating");
    assert.deepEqual(marked.obj.spec.finalizers, ["kubernetes"]);
    const cur = structuredClone(await getObject(reg, ns, "", "fin"));
    cur.spec.finalizers = [];
    const viaPut = await updateObject(reg, ns, "", "fin", cur, "", w());
    assert.deepEqual(viaPut.obj.spec.finalizers, ["kubernetes"], "a plain update keeps spec.finalizers");
    await finalizeNamespace(reg, ns, "fin", { metadata: { name: "fin" }, spec: { finalizers: [] } }, w());
    await rejects(getObject(reg, ns, "", "fin"), 404);
  });

  it("binds pods once, through the binding path only", async () => {
    await createObject(reg, pods, "t", { metadata: { name: "b" }, spec: { containers: [{ name: "c", image: "busybox" }] } }, w());
    const cur = structuredClone(await getObject(reg, pods, "t", "b"));
    cur.spec.nodeName = "n1";
    await rejects(updateObject(reg, pods, "t", "b", cur, "", w()), 422, /pod updates may not change fields/);
    const bound = await bindPodToNode(reg, pods, "t", "b", "n1", undefined, undefined, w());
    assert.equal(bound.spec.nodeName, "n1");
    await rejects(bindPodToNode(reg, pods, "t", "b", "n2", undefined, undefined, w()), 409, /already assigned to node "n1"/);
  });

  it("binds and marks the pod scheduled in one write, replacing an Unschedulable condition", async () => {
    await createObject(reg, pods, "t", { metadata: { name: "b2" }, spec: { containers: [{ name: "c", image: "busybox" }] } }, w());
    const failed = { type: "PodScheduled", status: "False", reason: "Unschedulable", message: "0/1 nodes are available", lastProbeTime: null, lastTransitionTime: "2020-01-01T00:00:00Z" };
    const before = await patchObject(reg, pods, "t", "b2", "merge", { status: { conditions: [{ type: "Initialized", status: "True" }, failed] } }, "status", w());
    const bound = await bindPodToNode(reg, pods, "t", "b2", "n1", { a: "b" }, before.metadata.uid, w());
    assert.equal(Number(bound.metadata.resourceVersion), Number(before.metadata.resourceVersion) + 1, "one store write");
    const got = await getObject(reg, pods, "t", "b2");
    assert.equal(got.spec.nodeName, "n1");
    assert.equal(got.metadata.annotations?.a, "b");
    assert.equal(got.status.conditions.length, 2);
    assert.equal(got.status.conditions[0].type, "Initialized");
    const sched = got.status.conditions[1];
    assert.equal(sched.type, "PodScheduled");
    assert.equal(sched.status, "True");
    assert.equal(sched.reason, undefined);
    assert.equal(sched.message, undefined);
    assert.notEqual(sched.lastTransitionTime, "2020-01-01T00:00:00Z");
  });
});
