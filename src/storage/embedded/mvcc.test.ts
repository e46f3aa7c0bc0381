/**
 * Model-based test of the embedded store's multi-version reads: random
 * creates, updates and deletes (in memory), with compactions, checked against
 * a model that keeps a full copy of the key space at every revision.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { CompactedError } from "../types.ts";
import { openEmbeddedStore } from "./index.ts";

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe("embedded MVCC reads", () => {
  it("reads at every retained revision match a full-copy model", async () => {
    const rand = rng(7);
    const store = await openEmbeddedStore({ compactIntervalMs: 0 });
    try {
      const states: Array<Map<string, string>> = [new Map()];
      const key = (): string => `/m/${String(Math.floor(rand() * 60)).padStart(2, "0")}`;
      for (let step = 0; step < 3000; step++) {
        const k = key();
        const cur = states[states.length - 1];
        const next = new Map(cur);
        const exists = cur.has(k);
        if (!exists) {
          await store.create(k, `c${step}`);
          next.set(k, `c${step}`);
        } else if (rand() < 0.7) {
          await store.update(k, `u${step}`, 0);
          next.set(k, `u${step}`);
        } else {
          await store.delete(k);
          next.delete(k);
        }
        states.push(next);
        assert.equal(store.currentRevision(), states.length - 1);
        if (step % 500 === 499) {
          const target = store.compactedRevision() + Math.floor(rand() * (store.currentRevision() - store.compactedRevision()));
          await store.compact(target);
          for (let rev = Math.max(1, store.compactedRevision()); rev <= store.currentRevision(); rev++) {
            const all = await store.range("/m/", { revision: rev });
            assert.deepEqual(new Map(all.kvs.map((kv) => [kv.key, kv.value])), states[rev], `at revision ${rev}`);
          }
        }
        if (step % 50 === 0) {
          const compacted = store.compactedRevision();
          const rev = Math.max(1, compacted + Math.floor(rand() * (store.currentRevision() - compacted + 1)));
          const start = key();
          const end = rand() < 0.5 ? undefined : key();
          const limit = Math.floor(rand() * 5);
          const expected = [...states[rev]]
            .filter(([k]) => (end === undefined ? k.startsWith(start) : k >= start && k < end))
            .sort(([a], [b]) => (a < b ? -1 : 1));
          const got = await store.range(start, { end, limit, revision: rev });
          assert.equal(got.count, expected.length);
          const shown = limit > 0 ? expected.slice(0, limit) : expected;
          assert.deepEqual(got.kvs.map((kv) => [kv.key, kv.value]), shown);
          assert.equal(got.more, shown.length < expected.length);
          const all = await store.range("/m/", { revision: rev });
          assert.deepEqual(new Map(all.kvs.map((kv) => [kv.key, kv.value])), states[rev]);
          if (compacted > 1) await assert.rejects(store.range("/m/", { revision: compacted - 1 }), CompactedError);
        }
      }
    } finally {
      await store.close();
    }
  });
});
