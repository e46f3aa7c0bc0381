import { test } from "node:test";
import assert from "node:assert/strict";
import { formatImageTable, humanSize, parseCommand, resolveEndpoint } from "./image.ts";

test("resolveEndpoint: explicit flag, then $CONTAINER_RUNTIME_ENDPOINT, then the agent's containerd under --data-dir", () => {
  assert.equal(resolveEndpoint({ "container-runtime-endpoint": "unix:///run/x.sock" }, {}), "unix:///run/x.sock");
  assert.equal(resolveEndpoint({ "container-runtime-endpoint": "/run/x.sock" }, {}), "unix:///run/x.sock");
  assert.equal(resolveEndpoint({ "data-dir": "/d" }, { CONTAINER_RUNTIME_ENDPOINT: "unix:///e.sock" }), "unix:///d/agent/containerd/containerd.sock");
  assert.equal(resolveEndpoint({}, { CONTAINER_RUNTIME_ENDPOINT: "unix:///e.sock" }), "unix:///e.sock");
  assert.match(resolveEndpoint({}, {}), /^unix:\/\/.*\/agent\/containerd\/containerd\.sock$/);
});

test("parseCommand takes JSON arrays or words", () => {
  assert.deepEqual(parseCommand('["sh", "-c", "echo a b"]'), ["sh", "-c", "echo a b"]);
  assert.deepEqual(parseCommand(" /bin/app  --flag x "), ["/bin/app", "--flag", "x"]);
  assert.equal(parseCommand(undefined), undefined);
  assert.throws(() => parseCommand("[1]"), /JSON array of strings/);
});

test("humanSize prints like crictl", () => {
  assert.equal(humanSize(512), "512B");
  assert.equal(humanSize(762_664), "763kB");
  assert.equal(humanSize(1_234_567), "1.23MB");
  assert.equal(humanSize(1_200_000), "1.2MB");
  assert.equal(humanSize(3_000_000_000), "3GB");
});

test("formatImageTable: one row per tag, short ids, aligned columns", () => {
  const out = formatImageTable([
    { id: "sha256:0123456789abcdef0123", repoTags: ["docker.io/library/busybox:latest", "docker.io/library/busybox:1"], repoDigests: [], size: 2_100_000 },
    { id: "sha256:fedcba9876543210fedc", repoTags: [], repoDigests: [], size: 700 },
  ]);
  const lines = out.trimEnd().split("\n");
  assert.equal(lines.length, 4);
  assert.match(lines[0], /^IMAGE\s+TAG\s+IMAGE ID\s+SIZE$/);
  assert.match(lines[1], /^docker\.io\/library\/busybox\s+latest\s+0123456789abc\s+2\.1MB$/);
  assert.match(lines[2], /^docker\.io\/library\/busybox\s+1\s+0123456789abc\s+2\.1MB$/);
  assert.match(lines[3], /^<none>\s+<none>\s+fedcba9876543\s+700B$/);
  const col = lines[0].indexOf("TAG");
  assert.ok(lines.slice(1).every((l) => /\S/.test(l[col]) && l[col - 1] === " "), "TAG column aligned");
});
