/**
 * Model-based test of SortedKeys: random inserts and deletes (enough to split
 * and empty many chunks) checked against a sorted array after every step batch.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { SortedKeys } from "./sorted-keys.ts";

/** Deterministic pseudo-random generator (mulberry32). */
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

function collect(set: SortedKeys, start: string, max: number): string[] {
  const out: string[] = [];
  set.forEachFrom(start, (k) => {
    out.push(k);
    return out.length < max;
  });
  return out;
}

describe("SortedKeys", () => {
  it("matches a sorted-array model under random inserts and deletes", () => {
    const rand = rng(42);
    const set = new SortedKeys();
    const model = new Set<string>();
    for (let step = 0; step < 20000; step++) {
      const key = `/k/${Math.floor(rand() * 3000)}`;
      if (rand() < 0.6) assert.equal(set.insert(key), !model.has(key));
      else assert.equal(set.delete(key), model.has(key));
      if (model.has(key)) model.delete(key);
      if (set.has(key)) model.add(key);
      if (step % 997 === 0) {
        const sorted = [...model].sort();
        assert.equal(set.size, sorted.length);
        assert.deepEqual(collect(set, "", Infinity), sorted);
        const probe = `/k/${Math.floor(rand() * 3000)}`;
        assert.deepEqual(collect(set, probe, 50), sorted.filter((k) => k >= probe).slice(0, 50));
      }
    }
    set.removeWhere((k) => k.endsWith("7"));
    const rest = [...model].filter((k) => !k.endsWith("7")).sort();
    assert.deepEqual(collect(set, "", Infinity), rest);
    assert.equal(set.size, rest.length);
  });

  it("loads sorted keys in bulk and keeps accepting inserts", () => {
    const keys = Array.from({ length: 5000 }, (_, i) => `/b/${String(i).padStart(5, "0")}`);
    const set = new SortedKeys();
    set.loadSorted(keys);
    assert.equal(set.size, 5000);
    assert.ok(set.insert("/a"));
    assert.ok(set.insert("/b/02500x"));
    assert.ok(!set.insert("/b/00001"));
    assert.deepEqual(collect(set, "/b/025", 3), ["/b/02500", "/b/02500x", "/b/02501"]);
    assert.equal(collect(set, "", 1)[0], "/a");
  });
});
