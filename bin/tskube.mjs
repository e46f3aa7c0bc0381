#!/usr/bin/env -S node --max-semi-space-size=16 --no-concurrent-recompilation
// tskube command entry point: checks the Node.js version, then runs src/cli
// from dist/ (types stripped at build time: less memory, faster start) when
// that build is up to date, else straight from the TypeScript sources.
// The flags in the line above: a young generation that may grow to 16 MB
// semi-spaces (V8 reads this when an isolate is created; the components that
// must stay small stop its growth at ~2 MB at run time: the node processes
// below, the apiserver alone in src/cli/server.ts), and optimising
// compilation on the compiling thread itself rather than on V8's background
// threads (whose malloc arenas stay resident: ~8 MB in
// bench/apiserver-startup.ts; two cores gain little from the concurrency).
// Tests and benchmarks pass the same flags (src/cli/nodeflags.ts).
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { setFlagsFromString } from "node:v8";

// The node processes (agent, kubelet) mostly wait on I/O, so they trade
// speed for resident memory (measured with bench/agent-rss.ts): no optimising
// compilers (Maglev, TurboFan: their pages of the node binary, their zones
// and optimised code cost ~8 MB; code runs on Ignition + Sparkplug), a young
// generation that stays at its initial size (~2 MB) and V8's size-over-speed
// heuristics (tighter heap growth, more frequent full GCs: ~7 MB with 50
// pods). Set first, before any code gets hot. The control plane is CPU-bound
// and keeps V8's defaults.
if (process.argv[2] === "agent" || process.argv[2] === "kubelet") {
  for (const flag of ["--no-opt", "--no-maglev", "--semi-space-growth-factor=1", "--optimize-for-size"]) setFlagsFromString(flag);
}
// The server starts with its young generation held at ~2 MB too (loading the
// code would otherwise grow it); src/cli/server.ts lets it grow again when
// the server runs the scheduler or controller-manager.
if (process.argv[2] === "server") setFlagsFromString("--semi-space-growth-factor=1");

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
