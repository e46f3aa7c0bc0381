/**
 * How tests and benchmarks start tskube like an installed one: the Node.js
 * flags on bin/tskube.mjs's shebang line (`#!/usr/bin/env -S node FLAGS`),
 * passed explicitly when spawning `process.execPath bin/tskube.mjs ...`
 * (which bypasses the shebang), so what is measured is what users run.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";

/** Absolute path of the tskube command script. */
export const tskubeBin = join(import.meta.dirname, "..", "..", "bin", "tskube.mjs");

/** The Node.js flags of bin/tskube.mjs's shebang, e.g. ["--max-semi-space-size=16", ...]. */
export function tskubeNodeFlags(): string[] {
  const first = readFileSync(tskubeBin, "utf8").split("\n", 1)[0];
  const m = /^#!\S*env -S node((?:\s+--\S+)*)\s*$/.exec(first);
  if (!m) throw new Error(`unexpected shebang in ${tskubeBin}: ${first}`);
  return m[1].trim().split(/\s+/).filter(Boolean);
}
