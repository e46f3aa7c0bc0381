/**
 * The images every tskube node has without a registry: the pod sandbox
 * (pause) image, compiled from src/images/pause/pause.c, and busybox, made
 * from the host's static /bin/busybox (Debian busybox-static; its static
 * glibc >= 2.34 resolves names through /etc/hosts and DNS without any NSS
 * modules in the image). Built once into a cache directory and imported
 * into containerd when CRI lacks them.
 */
import { createHash } from "node:crypto";
import { accessSync, constants, existsSync, readFileSync } from "node:fs";
import { chmod, copyFile, mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { buildImage, run } from "./oci.ts";
import { importImage, imageStatus } from "./runtime.ts";

/** Sandbox image name; matches upstream's default so pods and configs look familiar. */
export const PAUSE_IMAGE = "registry.k8s.io/pause:3.10";
/** Busybox image name; `kubectl run --image=busybox` normalizes to this. */
export const BUSYBOX_IMAGE = "docker.io/library/busybox:latest";

const PAUSE_SOURCE = fileURLToPath(new URL("./pause/pause.c", import.meta.url));
/** Bump when the way built-in images are made changes, so caches rebuild. */
const BUILDER_VERSION = "2";

const PASSWD = "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n";
const GROUP = "root:x:0:\nnobody:x:65534:\n";
const NSSWITCH = "passwd: files\ngroup: files\nshadow: files\nhosts: files dns\nnetworks: files\nprotocols: files\nservices: files\n";

function shortHash(...parts: (string | Buffer)[]): string {
  const h = createHash("sha256");
  for (const p of parts) h.update(p);
  return h.digest("hex").slice(0, 12);
}

/** The path of an executable on $PATH, if any. */
function which(bin: string): string | undefined {
  for (const d of (process.env.PATH ?? "").split(":")) {
    if (!d) continue;
    try {
      accessSync(join(d, bin), constants.X_OK);
      return join(d, bin);
    } catch {}
  }
  return undefined;
}

/** Cache file name of the pause image (changes with pause.c). */
function pauseTarball(cacheDir: string): string {
  return join(cacheDir, `pause-${shortHash(BUILDER_VERSION, readFileSync(PAUSE_SOURCE))}.tar`);
}

/** Cache file name of the busybox image (changes with the host's busybox binary). */
function busyboxTarball(cacheDir: string, busybox: string): string {
  if (!existsSync(busybox)) throw new Error(`${busybox} not found: apt-get install busybox-static`);
  return join(cacheDir, `busybox-${shortHash(BUILDER_VERSION, readFileSync(busybox))}.tar`);
}

/** Compiles pause.c statically and builds the pause image tarball at `out`. */
export async function buildPauseImage(out: string): Promise<void> {
  if (!which("gcc")) throw new Error("gcc is needed to build the pause image: apt-get install gcc libc6-dev");
  await mkdir(dirname(out), { recursive: true });
  const work = await mkdtemp(join(dirname(out), ".pause-"));
  try {
    const rootfs = join(work, "rootfs");
    await mkdir(rootfs);
    try {
      await run("gcc", ["-static", "-Os", "-s", "-o", join(rootfs, "pause"), PAUSE_SOURCE]);
    } catch (err) {
      throw new Error(`compiling ${PAUSE_SOURCE} failed (static glibc missing? apt-get install gcc libc6-dev): ${(err as Error).message}`);
    }
    await buildImage({ rootfs, ref: PAUSE_IMAGE, entrypoint: ["/pause"], user: "65535:65535", rootOwned: true, out });
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** True for a 64-bit little-endian ELF executable without a PT_INTERP header (no dynamic loader needed). */
export function isStaticElf(buf: Buffer): boolean {
  if (buf.length < 64 || buf.readUInt32BE(0) !== 0x7f454c46 || buf[4] !== 2 || buf[5] !== 1) return false;
  const phoff = Number(buf.readBigUInt64LE(0x20));
  const phentsize = buf.readUInt16LE(0x36);
  const phnum = buf.readUInt16LE(0x38);
  for (let i = 0; i < phnum; i++) {
    const off = phoff + i * phentsize;
    if (off + 4 > buf.length) return false;
    if (buf.readUInt32LE(off) === 3) return false; // PT_INTERP
  }
  return true;
}

/** Builds the busybox image tarball at `out` from the host's static busybox. */
export async function buildBusyboxImage(out: string, busybox = "/bin/busybox"): Promise<void> {
  if (!existsSync(busybox)) throw new Error(`${busybox} not found: apt-get install busybox-static`);
  if (!isStaticElf(readFileSync(busybox))) {
    throw new Error(`${busybox} is not statically linked: apt-get install busybox-static`);
  }
  await mkdir(dirname(out), { recursive: true });
  const work = await mkdtemp(join(dirname(out), ".busybox-"));
  try {
    const rootfs = join(work, "rootfs");
    for (const d of ["bin", "sbin", "usr/bin", "usr/sbin", "etc", "root", "home", "var", "dev", "proc", "sys"]) await mkdir(join(rootfs, d), { recursive: true });
    await mkdir(join(rootfs, "tmp"));
    await chmod(join(rootfs, "tmp"), 0o1777);
    await mkdir(join(rootfs, "var/tmp"));
    await chmod(join(rootfs, "var/tmp"), 0o1777);
    await copyFile(busybox, join(rootfs, "bin/busybox"));
    await chmod(join(rootfs, "bin/busybox"), 0o755);
    const { stdout } = await run(busybox, ["--list-full"]);
    const applets = stdout.split("\n").map((s) => s.trim()).filter((s) => s && !s.includes("..") && s !== "bin/busybox");
    for (const applet of applets) {
      const dest = join(rootfs, applet);
      if (existsSync(dest)) continue;
      await mkdir(dirname(dest), { recursive: true });
      await symlink("/bin/busybox", dest);
    }
    await writeFile(join(rootfs, "etc/passwd"), PASSWD);
    await writeFile(join(rootfs, "etc/group"), GROUP);
    await writeFile(join(rootfs, "etc/nsswitch.conf"), NSSWITCH);
    await buildImage({ rootfs, ref: BUSYBOX_IMAGE, cmd: ["sh"], rootOwned: true, out });
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** Options of ensureBuiltinImages. */
export interface EnsureBuiltinImagesOptions {
  /** Where built tarballs are kept between runs (e.g. `<data-dir>/agent/images`). */
  cacheDir: string;
  log?: (msg: string, fields?: object) => void;
}

/**
 * Makes sure the node's containerd has PAUSE_IMAGE and BUSYBOX_IMAGE: asks
 * CRI ImageStatus, builds missing tarballs into cacheDir (kept for next
 * time) and imports only what is missing. Returns the two references.
 * Throws with an install hint when gcc or busybox-static is missing.
 */
export async function ensureBuiltinImages(endpoint: string, opts: EnsureBuiltinImagesOptions): Promise<{ pause: string; busybox: string }> {
  const log = opts.log ?? (() => {});
  const ensure = async (ref: string, tarball: () => string, build: (out: string) => Promise<void>): Promise<void> => {
    if (await imageStatus(endpoint, ref)) return;
    const out = tarball();
    if (!existsSync(out)) {
      const t0 = Date.now();
      await build(out);
      log("built image", { image: ref, tarball: out, ms: Date.now() - t0 });
    }
    const t1 = Date.now();
    const refs = await importImage(endpoint, out);
    if (!refs.includes(ref) && !(await imageStatus(endpoint, ref))) {
      throw new Error(`importing ${out} did not create ${ref} (got ${refs.join(", ") || "nothing"})`);
    }
    log("imported image", { image: ref, ms: Date.now() - t1 });
  };
  await mkdir(opts.cacheDir, { recursive: true });
  await Promise.all([
    ensure(PAUSE_IMAGE, () => pauseTarball(opts.cacheDir), buildPauseImage),
    ensure(BUSYBOX_IMAGE, () => busyboxTarball(opts.cacheDir, "/bin/busybox"), (out) => buildBusyboxImage(out)),
  ]);
  return { pause: PAUSE_IMAGE, busybox: BUSYBOX_IMAGE };
}
