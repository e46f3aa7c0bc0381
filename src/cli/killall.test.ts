/** tskube killall stops the tskube components of its data directory (matched through their cwd) and only those, and finds orphaned per-pod CNI chains. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { killall, orphanCniChains } from "./killall.ts";

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

test("orphan CNI chains: empty per-pod chains no rule jumps to", () => {
  const saved = [
    "*nat",
    ":PREROUTING ACCEPT [0:0]",
    ":POSTROUTING ACCEPT [0:0]",
    ":CNI-HOSTPORT-MASQ - [0:0]",
    ":CNI-05bb3d15f908b746d0c7e4bc - [0:0]",
    ":CNI-0c119a1922b8471b6e30ef80 - [0:0]",
    ":CNI-33980ca493559683e11667b4 - [0:0]",
    '-A POSTROUTING -s 10.42.0.7/32 -m comment --comment "name: \\"tskube\\" id: \\"abc\\"" -j CNI-0c119a1922b8471b6e30ef80',
    '-A CNI-0c119a1922b8471b6e30ef80 -d 10.42.0.0/24 -m comment --comment "name: \\"tskube\\" id: \\"abc\\"" -j ACCEPT',
    '-A CNI-33980ca493559683e11667b4 -d 10.42.0.0/24 -j ACCEPT',
    "COMMIT",
  ].join("\n");
  assert.deepEqual(orphanCniChains(saved), ["CNI-05bb3d15f908b746d0c7e4bc"], "only the empty, unreferenced per-pod chain; not CNI-HOSTPORT-MASQ, not one with rules, not one jumped to");
});
