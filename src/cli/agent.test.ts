/** `tskube agent` flag parsing: required server and token, token file, kubelet args. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseAgentFlags } from "./agent.ts";

const token = `K10${"a".repeat(64)}::abcdef.0123456789abcdef`;

test("agent flags", () => {
  assert.throws(() => parseAgentFlags([], {}), /--server is required/);
  assert.throws(() => parseAgentFlags(["--server", "https://10.0.0.1:6443"], {}), /--token or --token-file is required/);
  assert.throws(() => parseAgentFlags(["--server", "http://10.0.0.1:6443", "--token", token], {}), /https/);
  assert.throws(() => parseAgentFlags(["--server", "https://h:6443", "--token", "nope"], {}), /invalid join token/);
  assert.throws(() => parseAgentFlags(["--server", "https://h:6443", "--token", token, "--kubelet-arg", "max-pods"], {}), /KEY=VALUE/);
  const o = parseAgentFlags(
    ["--server", "https://h:6443/", "--token", token, "--data-dir", "/tmp/d", "--node-name", "n1", "--kubelet-arg", "max-pods=50", "--kubelet-arg=--cluster-dns=10.0.0.10"],
    {},
  );
  assert.equal(o.server, "https://h:6443");
  assert.equal(o.dataDir, "/tmp/d");
  assert.equal(o.nodeName, "n1");
  assert.deepEqual(o.kubeletArgs, { "max-pods": "50", "cluster-dns": "10.0.0.10" });
  const dir = mkdtempSync(join(tmpdir(), "tskube-agentflags-"));
  try {
    writeFileSync(join(dir, "token"), `${token}\n`);
    assert.equal(parseAgentFlags(["--server", "https://h:6443", "--token-file", join(dir, "token")], {}).token, token);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
