import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync, chmodSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildImage, ociArch, MEDIA_TYPE_CONFIG, MEDIA_TYPE_INDEX, MEDIA_TYPE_LAYER, MEDIA_TYPE_MANIFEST } from "./oci.ts";

interface TarEntry { name: string; type: string; mode: number; uid: number; gid: number; mtime: number; linkname: string; data: Buffer }

/** A minimal tar reader (ustar + GNU long names), enough to check what we wrote. */
function parseTar(buf: Buffer): TarEntry[] {
  const out: TarEntry[] = [];
  const str = (b: Buffer) => b.toString("utf8").replace(/\0.*$/s, "");
  const oct = (b: Buffer) => parseInt(str(b).trim() || "0", 8);
  let off = 0;
  let longName: string | undefined;
  while (off + 512 <= buf.length) {
    const h = buf.subarray(off, off + 512);
    if (h.every((x) => x === 0)) break;
    const size = oct(h.subarray(124, 136));
    const type = String.fromCharCode(h[156] || 48);
    const data = buf.subarray(off + 512, off + 512 + size);
    off += 512 + Math.ceil(size / 512) * 512;
    if (type === "L") { longName = str(data); continue; }
    const prefix = str(h.subarray(345, 500));
    const name = longName ?? (h.subarray(257, 262).toString() === "ustar" && prefix && h[263] !== 0x20 ? `${prefix}/${str(h.subarray(0, 100))}` : str(h.subarray(0, 100)));
    longName = undefined;
    out.push({ name, type, mode: oct(h.subarray(100, 108)), uid: oct(h.subarray(108, 116)), gid: oct(h.subarray(116, 124)), mtime: oct(h.subarray(136, 148)), linkname: str(h.subarray(157, 257)), data: Buffer.from(data) });
  }
  return out;
}

const sha = (b: Buffer) => `sha256:${createHash("sha256").update(b).digest("hex")}`;

test("buildImage writes a valid, reproducible OCI layout tarball", async () => {
  const dir = mkdtempSync(join(tmpdir(), "tskube-oci-"));
  try {
    const rootfs = join(dir, "rootfs");
    mkdirSync(join(rootfs, "bin"), { recursive: true });
    mkdirSync(join(rootfs, "tmp"));
    chmodSync(join(rootfs, "tmp"), 0o1777);
    writeFileSync(join(rootfs, "bin/hello"), "#!/bin/sh\necho hello\n");
    chmodSync(join(rootfs, "bin/hello"), 0o755);
    writeFileSync(join(rootfs, "a-file"), "x");
    symlinkSync("/bin/hello", join(rootfs, "bin/hi"));
    const ref = "docker.io/library/hello:1.0";
    const opts = { rootfs, ref, entrypoint: ["/bin/hello"], cmd: ["--x"], env: ["A=1"], workingDir: "/tmp", rootOwned: true, out: join(dir, "out/hello.tar") };
    const built = await buildImage(opts);
    assert.match(built.digest, /^sha256:[0-9a-f]{64}$/);

    const entries = parseTar(readFileSync(opts.out));
    const files = new Map(entries.filter((e) => e.type === "0").map((e) => [e.name.replace(/^\.\//, ""), e.data]));
    assert.deepEqual(JSON.parse(files.get("oci-layout")!.toString()), { imageLayoutVersion: "1.0.0" });
    const blob = (digest: string) => {
      const b = files.get(`blobs/sha256/${digest.slice(7)}`);
      assert.ok(b, `blob ${digest} missing`);
      assert.equal(sha(b), digest, "blob content matches its digest");
      return b;
    };

    const index = JSON.parse(files.get("index.json")!.toString());
    assert.equal(index.schemaVersion, 2);
    assert.equal(index.mediaType, MEDIA_TYPE_INDEX);
    assert.equal(index.manifests.length, 1);
    const desc = index.manifests[0];
    assert.equal(desc.mediaType, MEDIA_TYPE_MANIFEST);
    assert.equal(desc.digest, built.digest);
    assert.deepEqual(desc.annotations, { "org.opencontainers.image.ref.name": ref, "io.containerd.image.name": ref });
    assert.deepEqual(desc.platform, { architecture: ociArch(), os: "linux" });

    const manifestBytes = blob(desc.digest);
    assert.equal(manifestBytes.length, desc.size);
    const manifest = JSON.parse(manifestBytes.toString());
    assert.equal(manifest.schemaVersion, 2);
    assert.equal(manifest.mediaType, MEDIA_TYPE_MANIFEST);
    assert.equal(manifest.config.mediaType, MEDIA_TYPE_CONFIG);
    assert.equal(manifest.config.digest, built.imageId);
    assert.equal(manifest.layers.length, 1);
    assert.equal(manifest.layers[0].mediaType, MEDIA_TYPE_LAYER);

    const config = JSON.parse(blob(manifest.config.digest).toString());
    assert.equal(blob(manifest.config.digest).length, manifest.config.size);
    assert.equal(config.os, "linux");
    assert.equal(config.architecture, ociArch());
    assert.deepEqual(config.config.Entrypoint, ["/bin/hello"]);
    assert.deepEqual(config.config.Cmd, ["--x"]);
    assert.equal(config.config.WorkingDir, "/tmp");
    assert.ok(config.config.Env.includes("A=1"));
    assert.ok(config.config.Env.some((e: string) => e.startsWith("PATH=/")), "a default PATH is added");
    assert.deepEqual(config.rootfs, { type: "layers", diff_ids: [manifest.layers[0].digest] });

    const layerBytes = blob(manifest.layers[0].digest);
    assert.equal(layerBytes.length, manifest.layers[0].size);
    const layer = parseTar(layerBytes);
    const names = layer.map((e) => e.name.replace(/^\.\//, "").replace(/\/$/, "")).filter(Boolean);
    assert.deepEqual(names, ["a-file", "bin", "bin/hello", "bin/hi", "tmp"], "sorted by name");
    for (const e of layer) {
      assert.equal(e.mtime, 0, `${e.name} mtime`);
      assert.equal(e.uid, 0);
      assert.equal(e.gid, 0);
    }
    const byName = new Map(layer.map((e) => [e.name.replace(/^\.\//, "").replace(/\/$/, ""), e]));
    assert.equal(byName.get("bin/hi")!.type, "2");
    assert.equal(byName.get("bin/hi")!.linkname, "/bin/hello");
    assert.equal(byName.get("bin/hello")!.mode & 0o777, 0o755);
    assert.equal(byName.get("tmp")!.mode & 0o7777, 0o1777);
    assert.equal(byName.get("bin/hello")!.data.toString(), "#!/bin/sh\necho hello\n");

    // Same input, same digests and bytes.
    const again = await buildImage({ ...opts, out: join(dir, "out/again.tar") });
    assert.deepEqual(again, built);
    assert.ok(readFileSync(join(dir, "out/again.tar")).equals(readFileSync(opts.out)));
    // Different config, different digest.
    const other = await buildImage({ ...opts, cmd: ["--y"], out: join(dir, "out/other.tar") });
    assert.notEqual(other.digest, built.digest);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("buildImage rejects a missing rootfs and bad references", async () => {
  const dir = mkdtempSync(join(tmpdir(), "tskube-oci-"));
  try {
    await assert.rejects(buildImage({ rootfs: join(dir, "nope"), ref: "x:1", out: join(dir, "x.tar") }), /not a directory/);
    await assert.rejects(buildImage({ rootfs: dir, ref: "has space", out: join(dir, "x.tar") }), /invalid image reference/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
