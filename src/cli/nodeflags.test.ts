import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { it } from "node:test";
import { tskubeBin, tskubeNodeFlags } from "./nodeflags.ts";

it("reads the Node.js flags of the tskube command's shebang", () => {
  assert.ok(existsSync(tskubeBin));
  const flags = tskubeNodeFlags();
  assert.ok(flags.length > 0);
  for (const f of flags) assert.match(f, /^--[a-z-]+(=\S+)?$/);
  assert.ok(flags.some((f) => f.startsWith("--max-semi-space-size=")));
});
