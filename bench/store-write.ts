/**
 * Write-throughput benchmark of the embedded store on disk with fsync on:
 * 100 concurrent writers create small keys for about 3 seconds.
 * Run: node bench/store-write.ts. The last line is
 * `store_create_throughput: N ops/s`.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openEmbeddedStore } from "../src/storage/index.ts";

const WRITERS = 100;
const DURATION_MS = 3000;
const VALUE = JSON.stringify({ kind: "ConfigMap", data: { a: "x".repeat(64) } });

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "tskube-bench-"));
  try {
    const store = await openEmbeddedStore({ dir, fsync: true, compactIntervalMs: 0 });
    let ops = 0;
    const started = performance.now();
    const deadline = started + DURATION_MS;
    const writer = async (w: number): Promise<void> => {
      for (let i = 0; performance.now() < deadline; i++) {
        await store.create(`/registry/bench/w${w}/k${i}`, VALUE);
        ops++;
      }
    };
    await Promise.all(Array.from({ length: WRITERS }, (_, w) => writer(w)));
    const seconds = (performance.now() - started) / 1000;
    await store.close();
    console.log(`writers=${WRITERS} ops=${ops} seconds=${seconds.toFixed(2)} revision=${store.currentRevision()}`);
    console.log(`store_create_throughput: ${Math.round(ops / seconds)} ops/s`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
