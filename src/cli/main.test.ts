/** Command dispatch: help per command, unknown commands (including Object prototype names). */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const bin = fileURLToPath(new URL("../../bin/tskube.mjs", import.meta.url));
const run = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: "utf8", timeout: 30_000 });

test("each command prints its own help; unknown commands fail with the command list", () => {
  for (const [cmd, first] of [["server", "Usage: tskube server"], ["agent", "Usage: tskube agent"], ["kubelet", "Usage: tskube kubelet"], ["killall", "Usage: tskube killall"], ["image", "Usage: tskube image"], ["sim-nodes", "Usage: tskube sim-nodes"]]) {
    const r = run(cmd, "--help");
    assert.equal(r.status, 0, r.stderr);
    assert.ok(r.stdout.startsWith(first), `${cmd} --help: ${r.stdout.slice(0, 80)}`);
  }
  for (const bad of ["nope", "toString", "__proto__"]) {
    const r = run(bad);
    assert.equal(r.status, 2);
    assert.match(r.stderr, new RegExp(`unknown command "${bad}"[\\s\\S]*tskube server \\[flags\\]`));
  }
  assert.match(run("version").stdout, /^tskube version v1\.31\.\d+\+tskube\n$/);
});
