/**
 * Tests for the watch cache's hand-over of written objects: an adopted object
 * becomes exactly what parsing the stored bytes would give (same members,
 * same key order, resourceVersion stamped), objects that would not survive a
 * JSON round trip are parsed instead, a disowned write is parsed, `at` only
 * answers for the cached revision, and the freeze option makes cached objects
 * immutable.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import type { KObject } from "../api/types.ts";
import { openEmbeddedStore } from "../storage/index.ts";
import type { Store } from "../storage/types.ts";
import { encodeForStorage } from "./registry/objects.ts";
import { decodeStored, isPlainJson, WatchCache } from "./watchcache.ts";

/** Resolves once the cache has caught up to `rev`. */
async function caughtUp(cache: WatchCache, rev: number): Promise<void> {
  for (let i = 0; i < 200 && cache.revision < rev; i++) await new Promise((r) => setTimeout(r, 5));
  assert.ok(cache.revision >= rev, `cache at ${cache.revision}, wanted ${rev}`);
}

describe("WatchCache adoption", () => {
  let store: Store;
  let cache: WatchCache;
  before(async () => {
    store = await openEmbeddedStore({});
    cache = new WatchCache(store, { freeze: true });
    await cache.start();
  });
  after(async () => {
    cache.stop();
    await store.close();
  });

  const cm = (name: string, extra: Record<string, unknown> = {}): KObject => ({
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name, namespace: "default", resourceVersion: "7", selfLink: "/x", labels: { a: "1" } },
    data: { k: "v", n: "ü" },
    ...extra,
  });

  it("takes an adopted object as the parsed one would be, without sharing its top level or metadata", async () => {
    const obj = cm("adopted");
    const value = encodeForStorage(obj);
    cache.adopt("/registry/configmaps/default/adopted", value, obj);
    const res = await store.create("/registry/configmaps/default/adopted", value);
    obj.metadata.resourceVersion = "999";
    await caughtUp(cache, res.revision);
    const cached = cache.get("/registry/configmaps/default/adopted")!.obj;
    const parsed = decodeStored(value, res.revision);
    assert.equal(JSON.stringify(cached), JSON.stringify(parsed), "same members in the same order");
    assert.equal(cached.metadata.resourceVersion, String(res.revision));
    assert.notEqual(cached, obj);
    assert.notEqual(cached.metadata, obj.metadata);
    assert.equal(cached.data, obj.data, "deeper values are shared, not copied");
    assert.ok(Object.isFrozen(cached.data), "frozen under the freeze option");
    assert.throws(() => {
      (cached.data as Record<string, string>).k = "changed";
    }, TypeError);
    assert.equal(cache.at("/registry/configmaps/default/adopted", res.revision), cached);
    assert.equal(cache.at("/registry/configmaps/default/adopted", res.revision - 1), undefined);
  });

  it("parses the stored bytes for objects that would not survive a JSON round trip, and after disown", async () => {
    const obj = cm("lossy", { extra: undefined, n: -0 });
    assert.equal(isPlainJson(obj), false);
    const value = encodeForStorage(obj);
    cache.adopt("/registry/configmaps/default/lossy", value, obj);
    const res = await store.create("/registry/configmaps/default/lossy", value);
    await caughtUp(cache, res.revision);
    const cached = cache.get("/registry/configmaps/default/lossy")!.obj;
    assert.equal(Object.hasOwn(cached, "extra"), false, "no undefined member in the cache");
    assert.equal(Object.is(cached.n, 0), true, "-0 became 0 as through JSON");

    const other = cm("disowned");
    const v2 = encodeForStorage(other);
    cache.adopt("/registry/configmaps/default/disowned", v2, other);
    cache.disown("/registry/configmaps/default/disowned", v2);
    const r2 = await store.create("/registry/configmaps/default/disowned", v2);
    await caughtUp(cache, r2.revision);
    assert.notEqual(cache.get("/registry/configmaps/default/disowned")!.obj.data, other.data, "parsed, not taken");
  });

  it("takes a handed-over object only for the very value it was encoded to", async () => {
    const key = "/registry/configmaps/default/twice";
    const first = cm("twice", { data: { v: "1" } });
    const second = cm("twice", { data: { v: "2" } });
    const v1 = encodeForStorage(first);
    const v2 = encodeForStorage(second);
    cache.adopt(key, v1, first);
    cache.adopt(key, v2, second);
    const r1 = await store.create(key, v1);
    await caughtUp(cache, r1.revision);
    const c1 = cache.get(key)!.obj;
    assert.deepEqual(c1.data, { v: "1" });
    assert.notEqual(c1.data, first.data, "the first write's value was adopted over: parsed");
    const r2 = await store.update(key, v2, r1.revision);
    await caughtUp(cache, r2.revision);
    assert.equal(cache.get(key)!.obj.data, second.data, "the second write takes its object");
  });

  it("tells plain JSON values from others", () => {
    assert.equal(isPlainJson({ a: [1, "x", null, true, { b: 2.5 }] }), true);
    for (const bad of [{ a: undefined }, [undefined], { a: NaN }, { a: Infinity }, { d: new Date(0) }, { f: () => 1 }, Object.create(null)]) {
      assert.equal(isPlainJson(bad), false, JSON.stringify(bad) ?? String(bad));
    }
  });
});
