/**
 * Tests of the embedded store: the shared conformance suite in memory and on
 * disk (with and without constant snapshotting), plus recovery from torn log
 * tails, detection of real corruption, snapshot rotation bounding the disk,
 * a kill -9 crash test against a child process, and range scans over many keys.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runStoreConformance } from "../conformance.ts";
import type { StoreFixture } from "../conformance.ts";
import { CompactedError } from "../types.ts";
import type { Store, WatchEvent } from "../types.ts";
import { CorruptionError, openEmbeddedStore } from "./index.ts";
import type { EmbeddedStoreOptions } from "./index.ts";

const tempDir = (): string => mkdtempSync(join(tmpdir(), "tskube-embedded-"));

/** Run `body` with a temp dir and the stores it opens, always closing and removing them. */
async function withDir(body: (dir: string, open: (o?: EmbeddedStoreOptions) => Promise<Store>) => Promise<void>): Promise<void> {
  const dir = tempDir();
  const opened: Store[] = [];
  const open = async (o: EmbeddedStoreOptions = {}): Promise<Store> => {
    const s = await openEmbeddedStore({ dir, compactIntervalMs: 0, ...o });
    opened.push(s);
    return s;
  };
  try {
    await body(dir, open);
  } finally {
    for (const s of opened) await s.close().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}

function diskFixture(opts: EmbeddedStoreOptions): () => Promise<StoreFixture> {
  return async () => {
    const dir = tempDir();
    const opened: Store[] = [];
    const openOne = async (): Promise<Store> => {
      const s = await openEmbeddedStore({ dir, compactIntervalMs: 0, ...opts });
      opened.push(s);
      return s;
    };
    const cleanup = async (): Promise<void> => {
      for (const s of opened) await s.close().catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    };
    try {
      return { store: await openOne(), reopen: openOne, cleanup };
    } catch (err) {
      await cleanup();
      throw err;
    }
  };
}

runStoreConformance("embedded in memory", async () => {
  const store = await openEmbeddedStore({ compactIntervalMs: 0 });
  return { store, cleanup: () => store.close() };
});
runStoreConformance("embedded on disk", diskFixture({}));
runStoreConformance("embedded on disk, snapshot on every commit", diskFixture({ snapshotThresholdBytes: 1 }));

const logFiles = (dir: string): string[] => readdirSync(dir).filter((n) => n.endsWith(".log")).sort();
const lastLog = (dir: string): string => join(dir, logFiles(dir).at(-1) ?? "missing.log");

async function fill(store: Store, n: number): Promise<void> {
  for (let i = 0; i < n; i++) await store.create(`/k/${String(i).padStart(4, "0")}`, `v${i}`);
}

describe("embedded store: log recovery", () => {
  it("ignores garbage appended after the last record", async () => {
    await withDir(async (dir, open) => {
      const s0 = await open();
      await fill(s0, 50);
      await s0.close();
      const s1 = await open();
      assert.equal(s1.currentRevision(), 50);
      await s1.close();
      appendFileSync(lastLog(dir), Buffer.from("\x13\x00\x00\x00garbage that is not a frame"));
      const s2 = await open();
      assert.equal(s2.currentRevision(), 50);
      assert.equal((await s2.range("/k/")).count, 50);
      assert.equal((await s2.create("/after", "x")).revision, 51);
      await s2.close();
      const s3 = await open();
      assert.equal(s3.currentRevision(), 51);
      assert.equal((await s3.get("/after"))?.value, "x");
      assert.equal((await s3.get("/k/0049"))?.value, "v49");
    });
  });

  it("drops a record cut short and keeps everything before it", async () => {
    await withDir(async (dir, open) => {
      const s1 = await open();
      await fill(s1, 20);
      await s1.close();
      const path = lastLog(dir);
      truncateSync(path, statSync(path).size - 3);
      const s2 = await open();
      assert.equal(s2.currentRevision(), 19);
      assert.equal((await s2.range("/k/")).count, 19);
      assert.equal(await s2.get("/k/0019"), undefined);
      assert.equal((await s2.create("/k/0019", "again")).revision, 20);
    });
  });

  it("treats a zero-filled or oversized tail as torn", async () => {
    await withDir(async (dir, open) => {
      const s1 = await open();
      await fill(s1, 5);
      await s1.close();
      appendFileSync(lastLog(dir), Buffer.alloc(4096));
      const s2 = await open();
      assert.equal(s2.currentRevision(), 5);
      await s2.close();
      const huge = Buffer.alloc(12);
      huge.writeUInt32LE(0xfffffff0, 0);
      appendFileSync(lastLog(dir), huge);
      const s3 = await open();
      assert.equal(s3.currentRevision(), 5);
    });
  });

  it("refuses a log damaged before valid records", async () => {
    await withDir(async (dir, open) => {
      const s1 = await open();
      await fill(s1, 10);
      await s1.close();
      const path = lastLog(dir);
      const buf = readFileSync(path);
      buf[12] ^= 0xff;
      writeFileSync(path, buf);
      await assert.rejects(open(), CorruptionError);
    });
  });

  it("refuses a log whose early record has a damaged length", async () => {
    await withDir(async (dir, open) => {
      const s1 = await open();
      await fill(s1, 10);
      await s1.close();
      const path = lastLog(dir);
      const buf = readFileSync(path);
      buf.writeUInt32LE(buf.readUInt32LE(0) + 1000, 0);
      writeFileSync(path, buf);
      await assert.rejects(open(), CorruptionError);
    });
  });

  it("a torn group commit loses only that unacknowledged batch", async () => {
    await withDir(async (dir, open) => {
      const s1 = await open();
      await fill(s1, 5);
      const before = statSync(lastLog(dir)).size;
      await Promise.all(Array.from({ length: 50 }, (_, i) => s1.create(`/batch/${i}`, "v")));
      await s1.close();
      const after = statSync(lastLog(dir)).size;
      truncateSync(lastLog(dir), before + Math.floor((after - before) / 2));
      const s2 = await open();
      assert.equal(s2.currentRevision(), 5);
      assert.equal((await s2.range("/batch/")).count, 0);
      assert.equal((await s2.range("/k/")).count, 5);
    });
  });
});

describe("embedded store: snapshots", () => {
  it("rotates the log into snapshots, bounding disk use, and reloads the same state", async () => {
    await withDir(async (dir, open) => {
      const threshold = 16 * 1024;
      const s1 = await open({ snapshotThresholdBytes: threshold });
      const model = new Map<string, string>();
      for (let i = 0; i < 3000; i++) {
        const key = `/s/${i % 30}`;
        const value = `${i}-${"x".repeat(100)}`;
        const cur = await s1.get(key);
        if (cur) await s1.update(key, value, cur.modRevision);
        else await s1.create(key, value);
        model.set(key, value);
        if (i % 7 === 6) {
          await s1.delete(key);
          model.delete(key);
        }
      }
      await s1.create("/s/newest", "n");
      await s1.delete("/s/newest");
      const revision = s1.currentRevision();
      await s1.close();

      const names = readdirSync(dir);
      const total = names.reduce((sum, n) => sum + statSync(join(dir, n)).size, 0);
      assert.ok(names.some((n) => n.endsWith(".snap")), `no snapshot in ${names.join(",")}`);
      assert.ok(names.length <= 3, `too many files: ${names.join(",")}`);
      assert.ok(total < 2 * threshold + 8 * 1024, `data dir holds ${total} bytes`);

      const s2 = await open({ snapshotThresholdBytes: threshold });
      assert.equal(s2.currentRevision(), revision);
      const compacted = s2.compactedRevision();
      assert.ok(compacted > 0 && compacted <= revision, `compacted ${compacted}`);
      const all = await s2.range("/s/");
      assert.deepEqual(new Map(all.kvs.map((kv) => [kv.key, kv.value])), model);
      await assert.rejects(s2.get("/s/1", compacted - 1), CompactedError);
      const seen: WatchEvent[] = [];
      const w = s2.watch("/", { startRevision: compacted }, { onEvents: (evs) => seen.push(...evs) });
      try {
        const deadline = Date.now() + 5000;
        while (seen.length < revision - compacted + 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 2));
        assert.deepEqual(
          seen.map((e) => e.kv.modRevision),
          Array.from({ length: revision - compacted + 1 }, (_, i) => compacted + i),
        );
      } finally {
        w.cancel();
      }
      assert.equal((await s2.create("/s/later", "1")).revision, revision + 1);
    });
  });
});

interface ChildLog {
  created: string[];
  counters: Map<number, number>;
}

/** Run crash-child.ts, kill -9 it once it acknowledged `acks` writes, return what it acknowledged. */
function runAndKill(dir: string, threshold: number, acks: number): Promise<ChildLog> {
  const child = spawn(process.execPath, [join(import.meta.dirname, "crash-child.ts"), dir, String(threshold)], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  const log: ChildLog = { created: [], counters: new Map() };
  let partial = "";
  let stderr = "";
  let lines = 0;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), 20000);
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    child.stdout.on("data", (d: Buffer) => {
      const text = partial + d.toString();
      const parts = text.split("\n");
      partial = parts.pop() ?? "";
      for (const line of parts) {
        const [kind, a, b] = line.split(" ");
        if (kind === "c") log.created.push(a);
        else if (kind === "u") log.counters.set(Number(a), Number(b));
        lines++;
      }
      if (lines >= acks) child.kill("SIGKILL");
    });
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      if (signal !== "SIGKILL") reject(new Error(`child ended by itself (${code}): ${stderr}`));
      else if (lines < acks) reject(new Error(`child acknowledged only ${lines} writes: ${stderr}`));
      else resolve(log);
    });
  });
}

describe("embedded store: crash safety", () => {
  for (const [label, threshold] of [
    ["log only", 64 * 1024 * 1024],
    ["with frequent snapshots", 8 * 1024],
  ] as const) {
    it(`every acknowledged write survives kill -9 (${label})`, { timeout: 60000 }, async () => {
      await withDir(async (dir, open) => {
        const acked = await runAndKill(dir, threshold, 3000);
        const store = await open({ snapshotThresholdBytes: threshold });
        const present = new Set((await store.range("/crash/keys/")).kvs.map((kv) => kv.key));
        const missing = acked.created.filter((k) => !present.has(k));
        assert.deepEqual(missing, [], `${missing.length} of ${acked.created.length} acknowledged keys lost`);
        for (const [w, n] of acked.counters) {
          const kv = await store.get(`/crash/counter/${w}`);
          assert.ok(kv && Number(kv.value) >= n, `counter ${w}: acknowledged ${n}, found ${kv?.value}`);
        }
        assert.ok(store.currentRevision() >= acked.created.length);
        assert.equal((await store.create("/crash/after", "x")).revision, store.currentRevision());
      });
    });
  }
});

describe("embedded store: scale", () => {
  it("ranges over a small prefix stay fast among 100k keys", { timeout: 60000 }, async () => {
    const store = await openEmbeddedStore({ compactIntervalMs: 0 });
    try {
      const writes: Promise<unknown>[] = [];
      for (let i = 0; i < 100000; i++) writes.push(store.create(`/big/${(i * 7919) % 100000}`, "v"));
      await Promise.all(writes);
      const started = performance.now();
      for (let i = 0; i < 1000; i++) {
        const r = await store.range(`/big/${i * 97}/`, { limit: 10 });
        assert.ok(r.count <= 1);
      }
      const ms = performance.now() - started;
      assert.ok(ms < 1000, `1000 narrow ranges took ${ms.toFixed(0)} ms`);
      const page = await store.range("/big/", { limit: 500 });
      assert.equal(page.kvs.length, 500);
      assert.equal(page.count, 100000);
      assert.ok(page.more);
      for (let i = 1; i < page.kvs.length; i++) assert.ok(page.kvs[i - 1].key < page.kvs[i].key);
    } finally {
      await store.close();
    }
  });
});

describe("embedded store: compaction and watch lifecycle", () => {
  const until = async (cond: () => boolean): Promise<void> => {
    const deadline = Date.now() + 5000;
    while (!cond() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  };

  it("compacts automatically, keeping retainRevisions of history", async () => {
    const store = await openEmbeddedStore({ retainRevisions: 10, compactIntervalMs: 20 });
    try {
      for (let i = 0; i < 100; i++) await store.create(`/a/${i}`, "v");
      await until(() => store.compactedRevision() === 90);
      assert.equal(store.compactedRevision(), 90);
      assert.equal((await store.range("/a/", { revision: 90 })).count, 90);
      await assert.rejects(store.range("/a/", { revision: 89 }), CompactedError);
    } finally {
      await store.close();
    }
  });

  it("a handler that throws ends its watch through onError", async () => {
    const store = await openEmbeddedStore({ compactIntervalMs: 0 });
    try {
      const errors: Error[] = [];
      let calls = 0;
      store.watch("/", {}, {
        onEvents: () => {
          calls++;
          throw new Error("handler broke");
        },
        onError: (err) => errors.push(err),
      });
      await store.create("/a", "1");
      await until(() => errors.length > 0);
      await store.create("/b", "1");
      await new Promise((r) => setTimeout(r, 50));
      assert.equal(calls, 1);
      assert.deepEqual(errors.map((e) => e.message), ["handler broke"]);
    } finally {
      await store.close();
    }
  });

  it("close delivers committed events, then ends watches; new watches are refused", async () => {
    const store = await openEmbeddedStore({ compactIntervalMs: 0 });
    const seen: number[] = [];
    const errors: Error[] = [];
    store.watch("/", {}, { onEvents: (evs) => seen.push(...evs.map((e) => e.kv.modRevision)), onError: (e) => errors.push(e) });
    const writes = [store.create("/a", "1"), store.create("/b", "1")];
    await store.close();
    await Promise.all(writes);
    await until(() => errors.length > 0);
    assert.deepEqual(seen, [1, 2]);
    assert.equal(errors.length, 1);
    assert.throws(() => store.watch("/", {}, { onEvents: () => undefined }));
  });

  it("watch from a compacted revision throws CompactedError synchronously", async () => {
    const store = await openEmbeddedStore({ compactIntervalMs: 0 });
    try {
      for (let i = 0; i < 5; i++) await store.create(`/k/${i}`, "v");
      await store.compact(4);
      assert.throws(() => store.watch("/", { startRevision: 3 }, { onEvents: () => undefined }), CompactedError);
      const w = store.watch("/", { startRevision: 4 }, { onEvents: () => undefined });
      w.cancel();
    } finally {
      await store.close();
    }
  });
});
