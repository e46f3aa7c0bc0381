/**
 * Builds single-layer OCI image layout tarballs from a root filesystem
 * directory, without a registry or a container engine: the layer is a
 * reproducible tar (numeric owners, sorted names, mtime 0) made with the
 * system `tar`; config, manifest, index.json (with the image name
 * annotations containerd's importer reads) and oci-layout are written here.
 */
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, mkdtemp, rename, rm, stat, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { normalizeImageRef } from "./refs.ts";

export const MEDIA_TYPE_INDEX = "application/vnd.oci.image.index.v1+json";
export const MEDIA_TYPE_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
export const MEDIA_TYPE_CONFIG = "application/vnd.oci.image.config.v1+json";
export const MEDIA_TYPE_LAYER = "application/vnd.oci.image.layer.v1.tar";
export const ANNOTATION_REF_NAME = "org.opencontainers.image.ref.name";
export const ANNOTATION_CONTAINERD_NAME = "io.containerd.image.name";

/** Options of buildImage. */
export interface BuildImageOptions {
  /** Directory whose contents become the image's root filesystem. */
  rootfs: string;
  /** Image reference, normalized like Docker does (`busybox` → docker.io/library/busybox:latest). */
  ref: string;
  entrypoint?: string[];
  cmd?: string[];
  /** KEY=VALUE entries; PATH defaults to the usual value when absent. */
  env?: string[];
  workingDir?: string;
  /** User the image runs as (config.User), e.g. "65534". */
  user?: string;
  /** Record every file as owned by 0:0 (for rootfs trees built by a non-root user). */
  rootOwned?: boolean;
  /** Where to write the OCI layout tarball. */
  out: string;
}

/** Result of buildImage: manifest digest and image id (config digest, what CRI shows as the image id). */
export interface BuiltImage {
  digest: string;
  imageId: string;
}

const DEFAULT_PATH = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/** Maps Node's process.arch to the OCI architecture name. */
export function ociArch(arch: string = process.arch): string {
  const map: Record<string, string> = { x64: "amd64", arm64: "arm64", arm: "arm", ia32: "386", ppc64: "ppc64le", s390x: "s390x", riscv64: "riscv64" };
  return map[arch] ?? arch;
}

/** Runs a command, resolving on exit 0 and rejecting with its stderr otherwise. */
export function run(cmd: string, args: string[], opts: { cwd?: string; timeoutMs?: number } = {}): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, stdio: ["ignore", "pipe", "pipe"], timeout: opts.timeoutMs ?? 120_000 });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", (err) => reject(new Error(`${cmd}: ${err.message}`)));
    child.on("close", (code, signal) => {
      if (code === 0) resolvePromise({ stdout, stderr });
      else reject(new Error(`${cmd} ${args.join(" ")} failed (${code ?? signal}): ${stderr.trim() || stdout.trim()}`));
    });
  });
}

function sha256File(path: string): Promise<string> {
  return new Promise((res, rej) => {
    const h = createHash("sha256");
    createReadStream(path).on("data", (d) => h.update(d)).on("error", rej).on("end", () => res(`sha256:${h.digest("hex")}`));
  });
}

function sha256(data: string | Buffer): string {
  return `sha256:${createHash("sha256").update(data).digest("hex")}`;
}

/** Flags that make `tar -c` output depend only on the tree's content. */
function reproducibleTarFlags(rootOwned: boolean): string[] {
  const flags = ["--format=gnu", "--numeric-owner", "--sort=name", "--mtime=@0"];
  if (rootOwned) flags.push("--owner=0", "--group=0");
  return flags;
}

/** The image config JSON (OCI image config) for one uncompressed layer. */
export function imageConfig(opts: Omit<BuildImageOptions, "rootfs" | "out" | "ref">, diffId: string): Record<string, unknown> {
  const env = [...(opts.env ?? [])];
  if (!env.some((e) => e.startsWith("PATH="))) env.unshift(DEFAULT_PATH);
  const config: Record<string, unknown> = { Env: env };
  if (opts.entrypoint?.length) config.Entrypoint = opts.entrypoint;
  if (opts.cmd?.length) config.Cmd = opts.cmd;
  if (opts.workingDir) config.WorkingDir = opts.workingDir;
  if (opts.user) config.User = opts.user;
  return {
    created: "1970-01-01T00:00:00Z",
    architecture: ociArch(),
    os: "linux",
    config,
    rootfs: { type: "layers", diff_ids: [diffId] },
    history: [{ created: "1970-01-01T00:00:00Z", created_by: "tskube image build" }],
  };
}

/**
 * Builds an OCI layout tarball at `out` holding one image named `ref`.
 * Deterministic: the same rootfs content and options give the same digests.
 * Throws when rootfs is not a directory or tar fails.
 */
export async function buildImage(opts: BuildImageOptions): Promise<BuiltImage> {
  const rootfs = resolve(opts.rootfs);
  const st = await stat(rootfs).catch(() => undefined);
  if (!st?.isDirectory()) throw new Error(`rootfs ${rootfs} is not a directory`);
  const ref = normalizeImageRef(opts.ref);
  const out = resolve(opts.out);
  await mkdir(dirname(out), { recursive: true });
  const work = await mkdtemp(join(dirname(out), ".oci-build-"));
  try {
    const blobs = join(work, "layout", "blobs", "sha256");
    await mkdir(blobs, { recursive: true });
    const layerTmp = join(work, "layer.tar");
    await run("tar", ["-C", rootfs, ...reproducibleTarFlags(opts.rootOwned ?? false), "-cf", layerTmp, "."]);
    const layerDigest = await sha256File(layerTmp);
    const layerSize = (await stat(layerTmp)).size;
    await rename(layerTmp, join(blobs, layerDigest.slice(7)));

    const putJson = async (obj: unknown): Promise<{ digest: string; size: number }> => {
      const data = Buffer.from(JSON.stringify(obj));
      const digest = sha256(data);
      await writeFile(join(blobs, digest.slice(7)), data);
      return { digest, size: data.length };
    };
    const config = await putJson(imageConfig(opts, layerDigest));
    const manifest = await putJson({
      schemaVersion: 2,
      mediaType: MEDIA_TYPE_MANIFEST,
      config: { mediaType: MEDIA_TYPE_CONFIG, digest: config.digest, size: config.size },
      layers: [{ mediaType: MEDIA_TYPE_LAYER, digest: layerDigest, size: layerSize }],
    });
    const index = {
      schemaVersion: 2,
      mediaType: MEDIA_TYPE_INDEX,
      manifests: [{
        mediaType: MEDIA_TYPE_MANIFEST,
        digest: manifest.digest,
        size: manifest.size,
        platform: { architecture: ociArch(), os: "linux" },
        annotations: { [ANNOTATION_REF_NAME]: ref, [ANNOTATION_CONTAINERD_NAME]: ref },
      }],
    };
    await writeFile(join(work, "layout", "index.json"), JSON.stringify(index));
    await writeFile(join(work, "layout", "oci-layout"), JSON.stringify({ imageLayoutVersion: "1.0.0" }));
    const outTmp = join(work, "image.tar");
    await run("tar", ["-C", join(work, "layout"), ...reproducibleTarFlags(true), "-cf", outTmp, "oci-layout", "index.json", "blobs"]);
    await rename(outTmp, out);
    return { digest: manifest.digest, imageId: config.digest };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
