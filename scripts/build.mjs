// Build: strips the TypeScript types from src/ into dist/ (same file layout,
// same line numbers, `.ts` import specifiers rewritten to `.js`), using
// Node's built-in type stripper. Running from dist/ saves the memory and
// start-up time of stripping types at run time; bin/tskube.mjs falls back to
// src/ when dist/ is missing or older than the sources.
import { copyFileSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { stripTypeScriptTypes } from "node:module";
import { dirname, join, relative, resolve } from "node:path";

const root = resolve(import.meta.dirname, "..");
const src = join(root, "src");
const out = join(root, `dist.tmp-${process.pid}`);
const dist = join(root, "dist");

const relImport = /(\bfrom\s*["']|\bimport\s*\(\s*["']|\bimport\s+["'])(\.{1,2}\/[^"']+)\.ts(["'])/g;

function walk(dir, files = []) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, files);
    else files.push(p);
  }
  return files;
}

let newest = 0;
let count = 0;
for (const file of walk(src)) {
  if (file.endsWith(".test.ts")) continue;
  newest = Math.max(newest, statSync(file).mtimeMs);
  const target = join(out, "src", relative(src, file));
  mkdirSync(dirname(target), { recursive: true });
  if (file.endsWith(".ts")) {
    const code = stripTypeScriptTypes(readFileSync(file, "utf8"), { mode: "strip" });
    writeFileSync(target.replace(/\.ts$/, ".js"), code.replace(relImport, "$1$2.js$3"));
    count++;
  } else {
    copyFileSync(file, target);
  }
}
writeFileSync(join(out, "package.json"), JSON.stringify({ type: "module" }) + "\n");
writeFileSync(join(out, "BUILD_STAMP"), String(newest) + "\n");
rmSync(dist, { recursive: true, force: true });
renameSync(out, dist);
process.stdout.write(`built ${count} modules into dist/\n`);
