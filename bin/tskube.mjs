#!/usr/bin/env node
// tskube command entry point: checks the Node.js version, then hands over to src/cli.
const major = Number(process.versions.node.split(".")[0]);
if (major < 24) {
  process.stderr.write(
    `tskube needs Node.js 24 or newer (this is ${process.version}). ` +
      "Run it through npm (npx tskube ...) so the pinned Node.js 24 from node_modules is used.\n",
  );
  process.exit(1);
}
const { main } = await import("../src/cli/main.ts");
await main(process.argv.slice(2));
