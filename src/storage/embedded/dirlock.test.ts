/** The data directory lock: one live store per directory; stale locks are taken over. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openEmbeddedStore } from "./index.ts";

test("a second store on the same directory is refused while the first is open; a dead owner's lock is taken over", async () => {
  const dir = mkdtempSync(join(tmpdir(), "tskube-lock-"));
  try {
    const first = await openEmbeddedStore({ dir, fsync: false });
    await assert.rejects(openEmbeddedStore({ dir, fsync: false }), /data directory .* is in use by process \d+ \(this process\): stop it first/);
    await first.close();
    const again = await openEmbeddedStore({ dir, fsync: false });
    await again.close();
    writeFileSync(join(dir, "LOCK"), "2147483646\n");
    const afterCrash = await openEmbeddedStore({ dir, fsync: false });
    await afterCrash.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
