/** tskube killall stops the tskube components of its data directory (matched through their cwd) and only those. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { killall } from "./killall.ts";

test("killall stops a server running on the data dir (relative --data-dir), not one on another dir", async () => {
  const base = mkdtempSync(join(tmpdir(), "tskube-killall-"));
  mkdirSync(join(base, "mine"));
  const fake = (dir: string) =>
    spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)", "/opt/fake/tskube", "server", "--data-dir", dir], { cwd: base, stdio: "ignore" });
  const mine = fake("./mine");
  const other = fake("./other");
  try {
    await new Promise((r) => setTimeout(r, 300));
    const lines: string[] = [];
    await killall({ dataDir: join(base, "mine"), log: (l) => lines.push(l) });
    assert.ok(lines.some((l) => l === `stopping tskube processes ${mine.pid}`), lines.join("\n"));
    await new Promise((r) => setTimeout(r, 200));
    assert.notEqual(mine.exitCode ?? mine.signalCode, null, "the server of the data dir is stopped");
    assert.equal(other.exitCode, null, "another data dir's server keeps running");
    assert.equal(other.signalCode, null);
  } finally {
    mine.kill("SIGKILL");
    other.kill("SIGKILL");
    rmSync(base, { recursive: true, force: true });
  }
});
