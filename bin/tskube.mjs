#!/usr/bin/env -S node --max-semi-space-size=2
// tskube command entry point: checks the Node.js version, then runs src/cli
// from dist/ (types stripped at build time: less memory, faster start) when
// that build is up to date, else straight from the TypeScript sources.
// The small young generation set in the line above keeps the resident memory
// of the long-running components low, at the cost of more frequent scavenges.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";

const major = Number(process.versions.node.split(".")[0]);
if (major < 24) {
  process.stderr.write(
    `tskube needs Node.js 24 or newer (this is ${process.version}). ` +
      "Run it through npm (npx tskube ...) so the pinned Node.js 24 from node_modules is used.\n",
  );
  process.exit(1);
}

const root = join(import.meta.dirname, "..");

function newestSource(dir) {
  let newest = 0;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const st = statSync(p);
    if (st.isDirectory()) newest = Math.max(newest, newestSource(p));
    else if (!name.endsWith(".test.ts")) newest = Math.max(newest, st.mtimeMs);
  }
  return newest;
}

function distIsFresh() {
  const stamp = join(root, "dist", "BUILD_STAMP");
  if (!existsSync(stamp)) return false;
  return Number(readFileSync(stamp, "utf8")) >= newestSource(join(root, "src"));
}

const entry = distIsFresh() ? "../dist/src/cli/main.js" : "../src/cli/main.ts";
const { main } = await import(entry);
await main(process.argv.slice(2));
