/**
 * Informer tests: against a real apiserver (initial sync, events, resume after
 * the server ends a watch, relist with a diff after 410) and with a fake
 * ResourceClient (paging, ERROR 410 events, indexers, listers, throwing
 * handlers, resync, the shared factory).
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { findResource } from "../api/resources.ts";
import type { KObject } from "../api/types.ts";
import { parseSelector } from "../machinery/labels.ts";
import { Informer, metaNamespaceKey, SharedInformerFactory, splitKey } from "./informer.ts";
import type { ListOptions, ObjectList, ResourceClient, WatchEvent, WatchHandle, WatchOptions } from "./rest.ts";
import { startTestCluster, type TestCluster } from "./testserver.ts";

async function waitFor(cond: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function recorder() {
  const log: string[] = [];
  return {
    log,
    handlers: {
      onAdd: (o: KObject) => log.push(`add ${metaNamespaceKey(o)}`),
      onUpdate: (a: KObject, b: KObject) => log.push(`${a === b ? "resync" : "update"} ${metaNamespaceKey(b)}`),
      onDelete: (o: KObject) => log.push(`delete ${metaNamespaceKey(o)}`),
    },
  };
}

/** Wraps a real client, counting lists and watches; watches wait while `gate` is closed. */
function instrumented(inner: ResourceClient) {
  const state = { lists: 0, watches: 0, current: undefined as WatchHandle | undefined, gate: Promise.resolve() };
  const client: ResourceClient = {
    ...inner,
    get: inner.get.bind(inner),
    list: (ns: string, o?: ListOptions) => {
      state.lists++;
      return inner.list(ns, o);
    },
    watch: (ns: string, o: WatchOptions, on: (ev: WatchEvent<KObject>) => void) => {
      state.watches++;
      let h: WatchHandle | undefined;
      let stopped = false;
      const done = state.gate.then(() => {
        if (stopped) return;
        h = inner.watch(ns, o, on);
        state.current = h;
        return h.done;
      });
      return {
        done,
        stop: () => {
          stopped = true;
          h?.stop();
        },
      };
    },
  };
  return { client, state };
}

describe("Informer against the apiserver", () => {
  let tc: TestCluster;
  before(async () => {
    tc = await startTestCluster({ watchCacheEventWindow: 5 });
    await tc.client.for("v1", "Namespace").create("", { metadata: { name: "inf" } });
  });
  after(async () => {
    await tc.stop();
  });

  it("syncs, delivers events, resumes after the server ends a watch, relists after 410", async () => {
    const cms = tc.client.for("v1", "ConfigMap");
    for (const n of ["a", "b", "c"]) await cms.create("inf", { metadata: { name: n, labels: { app: n } } });
    const { client, state } = instrumented(cms);
    const inf = new Informer(client, { namespace: "inf", watchTimeoutSeconds: 1, minBackoffMs: 10, maxBackoffMs: 50 });
    const rec = recorder();
    inf.addEventHandler(rec.handlers);
    inf.start();
    try {
      await waitFor(() => inf.hasSynced(), "sync");
      assert.deepEqual(rec.log.sort(), ["add inf/a", "add inf/b", "add inf/c"]);
      assert.equal(inf.lister().listNamespace("inf").length, 3);
      assert.deepEqual(inf.lister().list(parseSelector("app in (a,b)")).map((o) => o.metadata.name).sort(), ["a", "b"]);
      rec.log.length = 0;

      const a = await cms.get("inf", "a");
      await cms.update("inf", { ...a, data: { x: "1" } });
      await cms.delete("inf", "c");
      await cms.create("inf", { metadata: { name: "d" } });
      await waitFor(() => rec.log.length >= 3, "events");
      assert.deepEqual(rec.log, ["update inf/a", "delete inf/c", "add inf/d"]);
      assert.equal(inf.lister().get("inf", "a")?.data.x, "1");
      assert.equal(inf.lister().get("inf", "c"), undefined);

      await waitFor(() => state.watches >= 2, "a second watch after the server timeout", 4000);
      assert.equal(state.lists, 1, "resuming must not relist");
      rec.log.length = 0;
      await cms.create("inf", { metadata: { name: "e" } });
      await waitFor(() => rec.log.includes("add inf/e"), "event on the resumed watch");

      let release!: () => void;
      state.gate = new Promise<void>((r) => (release = r));
      state.current?.stop();
      await waitFor(() => state.watches >= 3, "a gated watch");
      rec.log.length = 0;
      await cms.delete("inf", "d");
      let b = await cms.get("inf", "b");
      for (let i = 0; i < 7; i++) b = await cms.update("inf", { ...b, data: { i: String(i) } });
      await cms.create("inf", { metadata: { name: "f" } });
      release();
      await waitFor(() => state.lists >= 2 && rec.log.length >= 3, "relist after 410");
      assert.deepEqual(rec.log.sort(), ["add inf/f", "delete inf/d", "update inf/b"]);
      assert.equal(inf.lister().get("inf", "b")?.data.i, "6");
      assert.ok(Number(inf.lastSyncResourceVersion()) >= Number(b.metadata.resourceVersion));
    } finally {
      inf.stop();
    }
  });

  it("SharedInformerFactory shares instances and waits for sync", async () => {
    const f = new SharedInformerFactory(tc.client);
    const pods = findResource("", "v1", "pods")!;
    const cms = findResource("", "v1", "configmaps")!;
    const i1 = f.informerFor(cms, { namespace: "inf" });
    assert.equal(f.informerFor(cms, { namespace: "inf" }), i1);
    assert.notEqual(f.informerFor(cms), i1);
    f.informerFor(pods);
    f.start();
    try {
      assert.equal(await f.waitForSync(undefined, 5000), true);
      assert.ok(i1.lister().list().length > 0);
      const ac = new AbortController();
      ac.abort();
      const late = f.informerFor(findResource("", "v1", "secrets")!);
      assert.equal(late.hasSynced() || !(await f.waitForSync(ac.signal)), true);
    } finally {
      f.stop();
    }
  });
});

/** A scripted ResourceClient: pages from `objects`, watches the test drives by hand. */
class FakeClient implements ResourceClient {
  objects: KObject[] = [];
  rv = "10";
  lists: ListOptions[] = [];
  watches: { opts: WatchOptions; emit: (ev: WatchEvent<KObject>) => void; end: (err?: unknown) => void; stopped: boolean }[] = [];

  async list(_ns: string, opts: ListOptions = {}): Promise<ObjectList<KObject>> {
    this.lists.push(opts);
    const start = opts.continue ? Number(opts.continue) : 0;
    const limit = opts.limit ?? Infinity;
    const items = this.objects.slice(start, start + limit);
    const next = start + items.length;
    return { items, metadata: { resourceVersion: this.rv, continue: next < this.objects.length ? String(next) : undefined } };
  }
  watch(_ns: string, opts: WatchOptions, onEvent: (ev: WatchEvent<KObject>) => void): WatchHandle {
    let settle!: (err?: unknown) => void;
    const done = new Promise<void>((ok, fail) => (settle = (err) => (err ? fail(err) : ok())));
    const w = { opts, emit: onEvent, end: settle, stopped: false };
    this.watches.push(w);
    return {
      done,
      stop: () => {
        w.stopped = true;
        settle();
      },
    };
  }
  get(): Promise<KObject> {
    throw new Error("unused");
  }
  create(): Promise<KObject> {
    throw new Error("unused");
  }
  update(): Promise<KObject> {
    throw new Error("unused");
  }
  updateStatus(): Promise<KObject> {
    throw new Error("unused");
  }
  patch(): Promise<KObject> {
    throw new Error("unused");
  }
  delete(): Promise<void> {
    throw new Error("unused");
  }
  createSubresource(): Promise<unknown> {
    throw new Error("unused");
  }
  getSubresource(): Promise<unknown> {
    throw new Error("unused");
  }
}

const obj = (ns: string, name: string, rv: string, labels?: Record<string, string>): KObject => ({ metadata: { namespace: ns, name, resourceVersion: rv, labels } });

describe("Informer with a fake client", () => {
  it("pages the initial list with limit 500 and watches from its resourceVersion with bookmarks", async () => {
    const fc = new FakeClient();
    for (let i = 0; i < 1200; i++) fc.objects.push(obj("ns", `o${i}`, "5"));
    const inf = new Informer(fc);
    inf.start();
    try {
      await waitFor(() => fc.watches.length === 1, "watch");
      assert.deepEqual(fc.lists.map((l) => l.limit), [500, 500, 500]);
      assert.equal(inf.lister().list().length, 1200);
      assert.equal(fc.watches[0].opts.resourceVersion, "10");
      assert.equal(fc.watches[0].opts.allowWatchBookmarks, true);
    } finally {
      inf.stop();
    }
  });

  it("tracks bookmarks, relists on an ERROR 410 event, survives throwing handlers", async () => {
    const fc = new FakeClient();
    fc.objects = [obj("ns", "a", "1"), obj("ns", "b", "2")];
    const inf = new Informer(fc, { minBackoffMs: 5, maxBackoffMs: 20 });
    const rec = recorder();
    inf.addEventHandler({
      onAdd: () => {
        throw new Error("boom");
      },
    });
    inf.addEventHandler(rec.handlers);
    inf.start();
    try {
      await waitFor(() => fc.watches.length === 1, "watch");
      const w = fc.watches[0];
      w.emit({ type: "MODIFIED", object: obj("ns", "a", "11") });
      w.emit({ type: "BOOKMARK", object: { metadata: { resourceVersion: "15" } } });
      assert.equal(inf.lastSyncResourceVersion(), "15");
      w.end();
      await waitFor(() => fc.watches.length === 2, "resumed watch");
      assert.equal(fc.watches[1].opts.resourceVersion, "15");
      fc.objects = [obj("ns", "a", "11"), obj("ns", "c", "20")];
      fc.rv = "21";
      fc.watches[1].emit({ type: "ERROR", object: { kind: "Status", code: 410, reason: "Expired", message: "too old", metadata: {} } as KObject });
      await waitFor(() => fc.watches.length === 3, "watch after relist");
      assert.deepEqual(rec.log, ["add ns/a", "add ns/b", "update ns/a", "add ns/c", "delete ns/b"]);
      assert.equal(fc.watches[2].opts.resourceVersion, "21");
      fc.watches[2].end(new Error("connection reset"));
      await waitFor(() => fc.watches.length === 4, "watch after back-off");
      assert.equal(fc.lists.length, 2);
    } finally {
      inf.stop();
    }
  });

  it("maintains indexes and namespace listers, delivers existing objects to late handlers, resyncs", async () => {
    const fc = new FakeClient();
    fc.objects = [obj("x", "a", "1", { app: "web" }), obj("y", "b", "2", { app: "web" }), obj("y", "c", "3", { app: "db" })];
    const inf = new Informer(fc, { resyncMs: 30 });
    inf.addIndexer("app", (o) => (o.metadata.labels?.app ? [o.metadata.labels.app] : []));
    inf.start();
    try {
      await waitFor(() => inf.hasSynced(), "sync");
      assert.deepEqual(inf.byIndex("app", "web").map(metaNamespaceKey).sort(), ["x/a", "y/b"]);
      assert.deepEqual(inf.lister().listNamespace("y").map(metaNamespaceKey).sort(), ["y/b", "y/c"]);
      assert.deepEqual(inf.lister().listNamespace("y", parseSelector("app=db")).map(metaNamespaceKey), ["y/c"]);
      fc.watches[0].emit({ type: "MODIFIED", object: obj("y", "b", "12", { app: "db" }) });
      fc.watches[0].emit({ type: "DELETED", object: obj("x", "a", "13", { app: "web" }) });
      assert.deepEqual(inf.byIndex("app", "web"), []);
      assert.deepEqual(inf.byIndex("app", "db").map(metaNamespaceKey).sort(), ["y/b", "y/c"]);
      inf.addIndexer("ns", (o) => [o.metadata.namespace ?? ""]);
      assert.equal(inf.byIndex("ns", "y").length, 2);
      assert.throws(() => inf.byIndex("nope", "x"));
      const rec = recorder();
      inf.addEventHandler(rec.handlers);
      assert.deepEqual(rec.log.sort(), ["add y/b", "add y/c"]);
      await waitFor(() => rec.log.filter((l) => l.startsWith("resync")).length >= 2, "resync");
    } finally {
      inf.stop();
    }
  });

  it("splitKey inverts metaNamespaceKey", () => {
    assert.deepEqual(splitKey("ns/n"), { namespace: "ns", name: "n" });
    assert.deepEqual(splitKey("n"), { namespace: "", name: "n" });
    assert.equal(metaNamespaceKey({ metadata: { name: "n" } }), "n");
  });
});
