import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BUSYBOX_IMAGE, PAUSE_IMAGE, buildBusyboxImage, buildPauseImage, isStaticElf } from "./builtin.ts";

/** Unpacks an OCI layout tarball with one image; returns its config and the unpacked rootfs dir. */
function unpack(tarball: string, dir: string): { index: any; config: any; rootfs: string } {
  const layout = join(dir, "layout");
  const rootfs = join(dir, "rootfs");
  mkdirSync(layout, { recursive: true });
  mkdirSync(rootfs, { recursive: true });
  assert.equal(spawnSync("tar", ["-C", layout, "-xf", tarball]).status, 0);
  const index = JSON.parse(readFileSync(join(layout, "index.json"), "utf8"));
  const blob = (d: string) => readFileSync(join(layout, "blobs/sha256", d.slice(7)));
  const manifest = JSON.parse(blob(index.manifests[0].digest).toString());
  const config = JSON.parse(blob(manifest.config.digest).toString());
  assert.equal(spawnSync("tar", ["-C", rootfs, "-xf", join(layout, "blobs/sha256", manifest.layers[0].digest.slice(7))]).status, 0);
  return { index, config, rootfs };
}

const hasBusybox = existsSync("/bin/busybox") && /statically linked|not a dynamic/.test(spawnSync("sh", ["-c", "ldd /bin/busybox 2>&1"], { encoding: "utf8" }).stdout ?? "");
const hasGcc = spawnSync("sh", ["-c", "command -v gcc"]).status === 0;

test("the busybox image has busybox, its applets, passwd/group and /tmp", { skip: hasBusybox ? false : "needs busybox-static" }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "tskube-bb-"));
  try {
    await buildBusyboxImage(join(dir, "bb.tar"));
    const { index, config, rootfs } = unpack(join(dir, "bb.tar"), dir);
    assert.equal(index.manifests[0].annotations["io.containerd.image.name"], BUSYBOX_IMAGE);
    assert.deepEqual(config.config.Cmd, ["sh"]);
    assert.ok(statSync(join(rootfs, "bin/busybox")).mode & 0o111);
    assert.equal(readlinkSync(join(rootfs, "bin/sh")), "/bin/busybox");
    assert.ok(lstatSync(join(rootfs, "usr/bin/wget")).isSymbolicLink());
    assert.match(readFileSync(join(rootfs, "etc/passwd"), "utf8"), /^root:x:0:0:.*\nnobody:x:65534:65534:/);
    assert.match(readFileSync(join(rootfs, "etc/group"), "utf8"), /nobody:x:65534:/);
    assert.equal(statSync(join(rootfs, "tmp")).mode & 0o7777, 0o1777);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the pause image runs a static /pause that exits 0 on SIGTERM", { skip: hasGcc ? false : "needs gcc and libc6-dev" }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "tskube-pause-"));
  try {
    await buildPauseImage(join(dir, "pause.tar"));
    const { index, config, rootfs } = unpack(join(dir, "pause.tar"), dir);
    assert.equal(index.manifests[0].annotations["io.containerd.image.name"], PAUSE_IMAGE);
    assert.deepEqual(config.config.Entrypoint, ["/pause"]);
    assert.match(spawnSync("sh", ["-c", `ldd ${join(rootfs, "pause")} 2>&1`], { encoding: "utf8" }).stdout, /not a dynamic|statically linked/);
    const r = spawnSync("sh", ["-c", `${join(rootfs, "pause")} 2>/dev/null & p=$!; sleep 0.2; kill -TERM $p; wait $p; echo exit=$?`], { encoding: "utf8", timeout: 10_000 });
    assert.match(r.stdout, /exit=0/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("building the pause image without gcc says what to install", async () => {
  const dir = mkdtempSync(join(tmpdir(), "tskube-nogcc-"));
  const savedPath = process.env.PATH;
  process.env.PATH = dir;
  try {
    await assert.rejects(buildPauseImage(join(dir, "p.tar")), /apt-get install gcc libc6-dev/);
  } finally {
    process.env.PATH = savedPath;
    rmSync(dir, { recursive: true, force: true });
  }
});

test("isStaticElf tells static from dynamic executables", () => {
  assert.equal(isStaticElf(readFileSync(process.execPath)), false, "node is dynamically linked");
  assert.equal(isStaticElf(Buffer.from("#!/bin/sh\necho hi\n".padEnd(100))), false);
  if (hasBusybox) assert.equal(isStaticElf(readFileSync("/bin/busybox")), true);
});
