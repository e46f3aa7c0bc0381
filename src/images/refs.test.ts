import { test } from "node:test";
import assert from "node:assert/strict";
import { normalizeImageRef, splitRepoTag } from "./refs.ts";

test("normalizeImageRef follows Docker's rules", () => {
  assert.equal(normalizeImageRef("busybox"), "docker.io/library/busybox:latest");
  assert.equal(normalizeImageRef("busybox:1.36"), "docker.io/library/busybox:1.36");
  assert.equal(normalizeImageRef("me/app:v1"), "docker.io/me/app:v1");
  assert.equal(normalizeImageRef("docker.io/busybox"), "docker.io/library/busybox:latest");
  assert.equal(normalizeImageRef("index.docker.io/library/busybox"), "docker.io/library/busybox:latest");
  assert.equal(normalizeImageRef("registry.k8s.io/pause:3.10"), "registry.k8s.io/pause:3.10");
  assert.equal(normalizeImageRef("localhost/app"), "localhost/app:latest");
  assert.equal(normalizeImageRef("registry.local:5000/team/app"), "registry.local:5000/team/app:latest");
  const d = "sha256:" + "a".repeat(64);
  assert.equal(normalizeImageRef(`busybox@${d}`), `docker.io/library/busybox@${d}`);
  assert.throws(() => normalizeImageRef(""), /invalid/);
  assert.throws(() => normalizeImageRef("Busy Box"), /invalid/);
  assert.throws(() => normalizeImageRef("me/App"), /invalid/);
  assert.throws(() => normalizeImageRef("a//b"), /invalid/);
});

test("splitRepoTag", () => {
  assert.deepEqual(splitRepoTag("docker.io/library/busybox:latest"), { repo: "docker.io/library/busybox", tag: "latest" });
  assert.deepEqual(splitRepoTag("registry.local:5000/app"), { repo: "registry.local:5000/app", tag: "<none>" });
});
