/**
 * Child process for the crash test in embedded.test.ts (not part of the
 * store). Usage: node crash-child.ts <dir> <snapshotThresholdBytes>.
 *
 * Opens an on-disk store with fsync on and runs concurrent writers; after each
 * acknowledged write it prints one line to stdout (synchronous on a pipe):
 * `c <key>` for a create, `u <writer> <n>` for an update of the writer's
 * counter key to value n. Runs until killed, or stops by itself after a bounded
 * number of writes or seconds.
 */
import { openEmbeddedStore } from "./index.ts";

const WRITERS = 20;
const MAX_WRITES_PER_WRITER = 100000;
const MAX_MS = 30000;

const dir = process.argv[2];
const threshold = Number(process.argv[3]);
if (!dir || !Number.isFinite(threshold)) throw new Error("usage: crash-child.ts <dir> <snapshotThresholdBytes>");

const store = await openEmbeddedStore({ dir, fsync: true, snapshotThresholdBytes: threshold, compactIntervalMs: 0 });
const deadline = Date.now() + MAX_MS;

async function writer(w: number): Promise<void> {
  const counterKey = `/crash/counter/${w}`;
  let counterRev = (await store.create(counterKey, "0")).revision;
  process.stdout.write(`u ${w} 0\n`);
  for (let i = 0; i < MAX_WRITES_PER_WRITER && Date.now() < deadline; i++) {
    const key = `/crash/keys/${w}/${i}`;
    await store.create(key, `value-${w}-${i}`);
    process.stdout.write(`c ${key}\n`);
    if (i % 5 === 4) {
      counterRev = (await store.update(counterKey, String(i), counterRev)).revision;
      process.stdout.write(`u ${w} ${i}\n`);
    }
  }
}

await Promise.all(Array.from({ length: WRITERS }, (_, w) => writer(w)));
await store.close();
