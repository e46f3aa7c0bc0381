/**
 * The shared conformance suite for `Store` backends (see types.ts).
 *
 * `runStoreConformance` registers node:test cases that any backend must pass:
 * revision bookkeeping, guarded writes, ranges (prefix, [key,end), limit,
 * count, past revisions), compaction, watches (catch-up, live, filtering,
 * ordering, cancel) and, when the fixture can reopen, persistence. A backend's
 * test file calls it once per configuration.
 *
 * Each case opens a fresh, empty store through the fixture and always calls
 * `cleanup`, whatever the outcome. Waits are bounded (WAIT_MS).
 */
import { describe, it } from "node:test";
import type { TestContext } from "node:test";
import assert from "node:assert/strict";
import type { KeyValue, Store, Watch, WatchEvent, WatchOptions } from "./types.ts";
import {
  CompactedError,
  FutureRevisionError,
  KeyExistsError,
  KeyNotFoundError,
  RevisionMismatchError,
} from "./types.ts";

/** A fresh, empty store plus the means to reopen its data and to dispose of it. */
export interface StoreFixture {
  store: Store;
  /**
   * Open the same data again. The suite closes the previous store first.
   * Omit for backends without persistence.
   */
  reopen?: () => Promise<Store>;
  /** Close every store this fixture opened (closing twice must be harmless) and delete its data. */
  cleanup: () => Promise<void>;
}

const WAIT_MS = 5000;
const QUIET_MS = 100;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Records what a watch delivers. */
class Recorder {
  events: WatchEvent[] = [];
  batches = 0;
  errors: Error[] = [];
  watch: Watch | undefined;
  thrown: unknown;

  constructor(store: Store, key: string, opts: WatchOptions) {
    try {
      this.watch = store.watch(key, opts, {
        onEvents: (evs) => {
          this.batches++;
          this.events.push(...evs);
        },
        onError: (err) => {
          this.errors.push(err);
        },
      });
    } catch (err) {
      this.thrown = err;
    }
  }

  /** Wait (bounded) until at least `n` events arrived. */
  async waitFor(n: number): Promise<WatchEvent[]> {
    const deadline = Date.now() + WAIT_MS;
    while (this.events.length < n && this.errors.length === 0 && Date.now() < deadline) await sleep(2);
    assert.equal(this.errors.length, 0, `watch failed: ${this.errors[0]?.message}`);
    assert.ok(this.events.length >= n, `expected ${n} events, got ${this.events.length}`);
    return this.events;
  }

  /** Wait (bounded) for an error. */
  async waitError(): Promise<Error> {
    const deadline = Date.now() + WAIT_MS;
    while (this.errors.length === 0 && Date.now() < deadline) await sleep(2);
    assert.ok(this.errors.length > 0, "expected the watch to fail");
    return this.errors[0];
  }

  cancel(): void {
    this.watch?.cancel();
  }
}

/** Assert that starting a watch fails with CompactedError, synchronously or via onError. */
async function assertWatchCompacted(store: Store, key: string, startRevision: number): Promise<void> {
  const rec = new Recorder(store, key, { startRevision });
  try {
    const err = rec.thrown ?? (await rec.waitError());
    assert.ok(err instanceof CompactedError, `expected CompactedError, got ${String(err)}`);
    assert.equal(rec.events.length, 0);
  } finally {
    rec.cancel();
  }
}

const summary = (evs: WatchEvent[]): string[] => evs.map((e) => `${e.type} ${e.kv.key} ${e.kv.modRevision}`);
const keys = (kvs: KeyValue[]): string[] => kvs.map((kv) => kv.key);

/**
 * Register the conformance cases for a backend under `describe(name)`.
 * `open` must return a fresh, empty store for every call.
 */
export function runStoreConformance(name: string, open: () => Promise<StoreFixture>): void {
  const test = (title: string, body: (f: StoreFixture, t: TestContext) => Promise<void>): void => {
    it(title, { timeout: 30000 }, async (t) => {
      const fixture = await open();
      try {
        await body(fixture, t);
      } finally {
        await fixture.cleanup();
      }
    });
  };

  describe(`Store conformance: ${name}`, () => {
    describe("revisions and writes", () => {
      test("an empty store is at revision 0", async ({ store }) => {
        assert.equal(store.currentRevision(), 0);
        assert.equal(store.compactedRevision(), 0);
        assert.equal(await store.get("/a"), undefined);
        const r = await store.range("/");
        assert.deepEqual(r.kvs, []);
        assert.equal(r.count, 0);
        assert.equal(r.more, false);
      });

      test("each write bumps the revision by one and stamps the key", async ({ store }) => {
        const c = await store.create("/a", "1");
        assert.equal(c.revision, 1);
        assert.deepEqual({ ...c.kv }, { key: "/a", value: "1", createRevision: 1, modRevision: 1, version: 1 });
        const u = await store.update("/a", "2", 1);
        assert.equal(u.revision, 2);
        assert.deepEqual({ ...u.kv }, { key: "/a", value: "2", createRevision: 1, modRevision: 2, version: 2 });
        const b = await store.create("/b", "x");
        assert.equal(b.revision, 3);
        const d = await store.delete("/a");
        assert.equal(d.revision, 4);
        assert.equal(d.kv.value, "2");
        assert.equal(d.kv.modRevision, 2);
        assert.equal(store.currentRevision(), 4);
        assert.equal(await store.get("/a"), undefined);
        const again = await store.create("/a", "3");
        assert.deepEqual({ ...again.kv }, { key: "/a", value: "3", createRevision: 5, modRevision: 5, version: 1 });
      });

      test("create of an existing key fails with KeyExistsError and changes nothing", async ({ store }) => {
        await store.create("/a", "1");
        await assert.rejects(store.create("/a", "2"), (err: unknown) => {
          assert.ok(err instanceof KeyExistsError);
          assert.equal(err.kv.value, "1");
          assert.equal(err.kv.modRevision, 1);
          return true;
        });
        assert.equal(store.currentRevision(), 1);
        assert.equal((await store.get("/a"))?.value, "1");
      });

      test("update is guarded by modRevision", async ({ store }) => {
        await store.create("/a", "1");
        await store.update("/a", "2", 0);
        await assert.rejects(store.update("/a", "3", 1), (err: unknown) => {
          assert.ok(err instanceof RevisionMismatchError);
          assert.equal(err.current.modRevision, 2);
          assert.equal(err.current.value, "2");
          return true;
        });
        await assert.rejects(store.update("/missing", "x", 0), KeyNotFoundError);
        assert.equal(store.currentRevision(), 2);
        const ok = await store.update("/a", "3", 2);
        assert.equal(ok.kv.version, 3);
      });

      test("delete is guarded by modRevision", async ({ store }) => {
        await store.create("/a", "1");
        await store.update("/a", "2", 1);
        await assert.rejects(store.delete("/a", 1), (err: unknown) => {
          assert.ok(err instanceof RevisionMismatchError);
          assert.equal(err.current.modRevision, 2);
          return true;
        });
        await assert.rejects(store.delete("/missing"), KeyNotFoundError);
        assert.equal((await store.get("/a"))?.value, "2");
        const d = await store.delete("/a", 2);
        assert.equal(d.revision, 3);
        await assert.rejects(store.delete("/a"), KeyNotFoundError);
      });

      test("concurrent guarded updates: exactly one wins", async ({ store }) => {
        const { kv } = await store.create("/counter", "0");
        const results = await Promise.allSettled(
          Array.from({ length: 10 }, (_, i) => store.update("/counter", String(i + 1), kv.modRevision)),
        );
        assert.equal(results.filter((r) => r.status === "fulfilled").length, 1);
        for (const r of results) {
          if (r.status === "rejected") assert.ok(r.reason instanceof RevisionMismatchError);
        }
        assert.equal(store.currentRevision(), 2);
      });

      test("revisions of concurrent writes are distinct and consecutive", async ({ store }) => {
        const writes = Array.from({ length: 50 }, (_, i) => store.create(`/k/${i}`, "v"));
        const revs = (await Promise.all(writes)).map((r) => r.revision).sort((a, b) => a - b);
        assert.deepEqual(revs, Array.from({ length: 50 }, (_, i) => i + 1));
      });

      test("a write is visible to reads once it resolved", async ({ store }) => {
        for (let i = 0; i < 20; i++) {
          const w = await store.create(`/v/${i}`, String(i));
          assert.equal((await store.get(`/v/${i}`))?.value, String(i));
          assert.ok(store.currentRevision() >= w.revision);
        }
      });
    });

    describe("range", () => {
      const seed = async (store: Store): Promise<void> => {
        for (const k of ["/b", "/a/2", "/ab", "/a/1", "/a/3", "/c"]) await store.create(k, `v${k}`);
      };

      test("prefix range returns matching keys in order", async ({ store }) => {
        await seed(store);
        const r = await store.range("/a/");
        assert.deepEqual(keys(r.kvs), ["/a/1", "/a/2", "/a/3"]);
        assert.equal(r.count, 3);
        assert.equal(r.more, false);
        assert.equal(r.revision, store.currentRevision());
        assert.deepEqual(keys((await store.range("/")).kvs), ["/a/1", "/a/2", "/a/3", "/ab", "/b", "/c"]);
      });

      test("[key, end) range", async ({ store }) => {
        await seed(store);
        assert.deepEqual(keys((await store.range("/a/2", { end: "/b" })).kvs), ["/a/2", "/a/3", "/ab"]);
        assert.deepEqual(keys((await store.range("/ab", { end: "/c" })).kvs), ["/ab", "/b"]);
        assert.equal((await store.range("/c", { end: "/a" })).count, 0);
      });

      test("limit sets more and count covers the whole range", async ({ store }) => {
        await seed(store);
        const r = await store.range("/", { limit: 2 });
        assert.deepEqual(keys(r.kvs), ["/a/1", "/a/2"]);
        assert.equal(r.more, true);
        assert.equal(r.count, 6);
        const all = await store.range("/", { limit: 6 });
        assert.equal(all.more, false);
        assert.equal(all.kvs.length, 6);
      });

      test("countOnly returns the count without values", async ({ store }) => {
        await seed(store);
        const r = await store.range("/a/", { countOnly: true });
        assert.equal(r.count, 3);
        assert.equal(r.kvs.length, 0);
      });

      test("reads at a past revision see the state of then", async ({ store }) => {
        await store.create("/p/a", "a1");
        const r1 = (await store.create("/p/b", "b1")).revision;
        await store.update("/p/a", "a2", 1);
        await store.delete("/p/b");
        await store.create("/p/c", "c1");
        const past = await store.range("/p/", { revision: r1 });
        assert.equal(past.revision, r1);
        assert.deepEqual(
          past.kvs.map((kv) => `${kv.key}=${kv.value}`),
          ["/p/a=a1", "/p/b=b1"],
        );
        assert.equal((await store.get("/p/b", r1))?.value, "b1");
        assert.equal(await store.get("/p/c", r1), undefined);
        assert.deepEqual(
          (await store.range("/p/")).kvs.map((kv) => `${kv.key}=${kv.value}`),
          ["/p/a=a2", "/p/c=c1"],
        );
        await assert.rejects(store.get("/p/a", store.currentRevision() + 1), FutureRevisionError);
        await assert.rejects(store.range("/p/", { revision: store.currentRevision() + 5 }), FutureRevisionError);
      });
    });

    describe("compaction", () => {
      test("reads and watches below the compacted revision fail; at or above work", async ({ store }) => {
        await store.create("/a", "1");
        await store.update("/a", "2", 1);
        await store.update("/a", "3", 2);
        await store.create("/b", "1");
        await store.compact(3);
        assert.equal(store.compactedRevision(), 3);
        await assert.rejects(store.get("/a", 2), CompactedError);
        await assert.rejects(store.range("/", { revision: 1 }), CompactedError);
        assert.equal((await store.get("/a", 3))?.value, "3");
        assert.deepEqual(keys((await store.range("/", { revision: 3 })).kvs), ["/a"]);
        assert.deepEqual(keys((await store.range("/")).kvs), ["/a", "/b"]);
        await assertWatchCompacted(store, "/", 2);
        const rec = new Recorder(store, "/", { startRevision: 4 });
        try {
          assert.deepEqual(summary(await rec.waitFor(1)), ["put /b 4"]);
        } finally {
          rec.cancel();
        }
        await store.update("/a", "4", 3);
        assert.equal((await store.get("/a"))?.version, 4);
      });

      test("compaction keeps deleted keys deleted", async ({ store }) => {
        await store.create("/gone", "x");
        await store.delete("/gone");
        await store.create("/kept", "y");
        await store.compact(store.currentRevision());
        assert.equal(await store.get("/gone"), undefined);
        assert.deepEqual(keys((await store.range("/")).kvs), ["/kept"]);
        const again = await store.create("/gone", "z");
        assert.equal(again.kv.version, 1);
      });

      test("compacting past the current revision fails", async ({ store }) => {
        await store.create("/a", "1");
        await assert.rejects(store.compact(5), FutureRevisionError);
        assert.equal(store.compactedRevision(), 0);
      });
    });

    describe("watch", () => {
      test("from a past revision: history, then live events, without gaps or duplicates", async ({ store }) => {
        await store.create("/w/a", "1");
        await store.update("/w/a", "2", 1);
        await store.create("/w/b", "1");
        const rec = new Recorder(store, "/w/", { startRevision: 2 });
        try {
          assert.equal(rec.thrown, undefined);
          await rec.waitFor(2);
          await store.delete("/w/a");
          await store.create("/w/c", "1");
          await rec.waitFor(4);
          await sleep(QUIET_MS);
          assert.deepEqual(summary(rec.events), ["put /w/a 2", "put /w/b 3", "delete /w/a 4", "put /w/c 5"]);
          assert.equal(rec.events[0].kv.value, "2");
          assert.equal(rec.events[0].prevKv?.value, "1");
        } finally {
          rec.cancel();
        }
      });

      test("without a start revision only later events arrive", async ({ store }) => {
        await store.create("/w/old", "1");
        const rec = new Recorder(store, "/w/", {});
        try {
          await store.create("/w/new", "1");
          await rec.waitFor(1);
          await sleep(QUIET_MS);
          assert.deepEqual(summary(rec.events), ["put /w/new 2"]);
        } finally {
          rec.cancel();
        }
      });

      test("a start revision in the future waits for that revision", async ({ store }) => {
        await store.create("/f/a", "1");
        const rec = new Recorder(store, "/f/", { startRevision: 3 });
        try {
          for (const k of ["/f/b", "/f/c", "/f/d"]) await store.create(k, "1");
          await rec.waitFor(2);
          await sleep(QUIET_MS);
          assert.deepEqual(summary(rec.events), ["put /f/c 3", "put /f/d 4"]);
        } finally {
          rec.cancel();
        }
      });

      test("prefix and [key, end) filtering", async ({ store }) => {
        const prefix = new Recorder(store, "/x/", { startRevision: 1 });
        const span = new Recorder(store, "/x/b", { end: "/x/d", startRevision: 1 });
        try {
          for (const k of ["/x/a", "/x/b", "/y/b", "/x/c", "/x/d", "/xx"]) await store.create(k, "v");
          await prefix.waitFor(4);
          await span.waitFor(2);
          await sleep(QUIET_MS);
          assert.deepEqual(summary(prefix.events), ["put /x/a 1", "put /x/b 2", "put /x/c 4", "put /x/d 5"]);
          assert.deepEqual(summary(span.events), ["put /x/b 2", "put /x/c 4"]);
        } finally {
          prefix.cancel();
          span.cancel();
        }
      });

      test("delete and update events carry prevKv", async ({ store }) => {
        const rec = new Recorder(store, "/d/", {});
        try {
          await store.create("/d/a", "1");
          await store.update("/d/a", "2", 0);
          await store.delete("/d/a");
          const evs = await rec.waitFor(3);
          assert.equal(evs[0].prevKv, undefined);
          assert.equal(evs[1].prevKv?.value, "1");
          assert.equal(evs[2].type, "delete");
          assert.equal(evs[2].kv.key, "/d/a");
          assert.equal(evs[2].kv.value, "");
          assert.equal(evs[2].kv.modRevision, 3);
          assert.equal(evs[2].prevKv?.value, "2");
          assert.equal(evs[2].prevKv?.modRevision, 2);
        } finally {
          rec.cancel();
        }
      });

      test("concurrent writers: every revision delivered once, in order", async ({ store }) => {
        const rec = new Recorder(store, "/c/", { startRevision: 1 });
        const writers = 10;
        const perWriter = 20;
        try {
          await Promise.all(
            Array.from({ length: writers }, async (_, w) => {
              for (let i = 0; i < perWriter; i++) await store.create(`/c/${w}/${i}`, "v");
            }),
          );
          const total = writers * perWriter;
          await rec.waitFor(total);
          await sleep(QUIET_MS);
          assert.deepEqual(
            rec.events.map((e) => e.kv.modRevision),
            Array.from({ length: total }, (_, i) => i + 1),
          );
        } finally {
          rec.cancel();
        }
      });

      test("a watch started mid-stream sees a gapless suffix", async ({ store }) => {
        const writes: Promise<unknown>[] = [];
        for (let i = 0; i < 100; i++) writes.push(store.create(`/m/${i}`, "v"));
        await writes[40];
        const from = store.currentRevision() + 1;
        const rec = new Recorder(store, "/m/", { startRevision: from });
        try {
          await Promise.all(writes);
          await rec.waitFor(100 - from + 1);
          await sleep(QUIET_MS);
          assert.deepEqual(
            rec.events.map((e) => e.kv.modRevision),
            Array.from({ length: 100 - from + 1 }, (_, i) => from + i),
          );
        } finally {
          rec.cancel();
        }
      });

      test("handlers are not called inside store calls", async ({ store }) => {
        let inside = false;
        let reentered = false;
        const w = store.watch("/r/", { startRevision: 1 }, {
          onEvents: () => {
            if (inside) reentered = true;
          },
        });
        try {
          for (let i = 0; i < 10; i++) {
            inside = true;
            const p = store.create(`/r/${i}`, "v");
            inside = false;
            await p;
          }
          await sleep(QUIET_MS);
          assert.equal(reentered, false);
        } finally {
          w.cancel();
        }
      });

      test("cancel stops delivery", async ({ store }) => {
        const rec = new Recorder(store, "/s/", {});
        await store.create("/s/a", "1");
        await rec.waitFor(1);
        rec.cancel();
        await store.create("/s/b", "1");
        await store.create("/s/c", "1");
        await sleep(QUIET_MS);
        assert.deepEqual(summary(rec.events), ["put /s/a 1"]);
      });

      test("cancel right after a write drops its pending delivery", async ({ store }) => {
        const rec = new Recorder(store, "/s/", {});
        const p = store.create("/s/a", "1");
        rec.cancel();
        await p;
        await sleep(QUIET_MS);
        assert.equal(rec.events.length, 0);
      });
    });

    describe("lifecycle and persistence", () => {
      test("operations after close reject", async ({ store }) => {
        await store.create("/a", "1");
        await store.close();
        await assert.rejects(store.create("/b", "1"));
        await assert.rejects(store.get("/a"));
        await assert.rejects(store.range("/"));
      });

      test("close waits for writes in flight", async (f) => {
        const writes = Array.from({ length: 30 }, (_, i) => f.store.create(`/f/${i}`, "v"));
        await f.store.close();
        const settled = await Promise.allSettled(writes);
        assert.ok(settled.every((s) => s.status === "fulfilled"));
      });

      test("data, revisions and history survive reopen", async (f, t) => {
        if (!f.reopen) return t.skip("backend has no persistence");
        await f.store.create("/a", "1");
        await f.store.update("/a", "2", 1);
        await f.store.create("/b", "1");
        await f.store.delete("/b");
        await f.store.create("/c", "x".repeat(10000));
        const before = f.store.currentRevision();
        await f.store.close();
        const s = await f.reopen();
        assert.equal(s.currentRevision(), before);
        assert.deepEqual(await s.get("/a"), { key: "/a", value: "2", createRevision: 1, modRevision: 2, version: 2 });
        assert.equal(await s.get("/b"), undefined);
        assert.equal((await s.get("/c"))?.value.length, 10000);
        assert.equal((await s.update("/a", "3", 2)).revision, before + 1);
        const from = Math.max(s.compactedRevision(), 1);
        const rec = new Recorder(s, "/", { startRevision: from });
        try {
          await rec.waitFor(before + 1 - from + 1);
          assert.equal(rec.events[rec.events.length - 1].kv.modRevision, before + 1);
        } finally {
          rec.cancel();
        }
      });

      test("the revision never goes back across reopen, even when the newest keys were deleted", async (f, t) => {
        if (!f.reopen) return t.skip("backend has no persistence");
        await f.store.create("/a", "1");
        await f.store.create("/b", "1");
        await f.store.delete("/b");
        await f.store.delete("/a");
        await f.store.close();
        let s = await f.reopen();
        assert.equal(s.currentRevision(), 4);
        assert.ok(s.compactedRevision() <= 4);
        assert.equal((await s.create("/c", "1")).revision, 5);
        await s.compact(5);
        await s.close();
        s = await f.reopen();
        assert.equal(s.currentRevision(), 5);
        assert.equal(s.compactedRevision(), 5);
        assert.equal((await s.create("/d", "1")).revision, 6);
      });
    });
  });
}
