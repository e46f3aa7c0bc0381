/**
 * `tskube image`: build OCI image tarballs from a directory and manage the
 * images of a node's containerd (import, ls, rm) without a registry.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { buildImage, importImage, listImages, normalizeImageRef, removeImage, splitRepoTag } from "../images/index.ts";
import type { ImageInfo } from "../images/index.ts";

export const imageUsage = `Usage: tskube image COMMAND [flags]

Commands:
  build --tag REF --rootfs DIR [flags]   build an OCI image tarball from a directory
  import FILE...                         import OCI layout or docker-archive tarballs into the node
  ls [-q]                                list the node's images (like crictl images)
  rm REF...                              remove images from the node

Flags of every command that talks to the node:
  --container-runtime-endpoint URL  CRI socket (default $CONTAINER_RUNTIME_ENDPOINT, then
                                    unix://<data-dir>/agent/containerd/containerd.sock)
  --data-dir DIR                    tskube state directory (default /var/lib/tskube as root, ~/.tskube otherwise)

Flags of build:
  --tag REF          image name, e.g. myapp:1.0 (normalized to docker.io/library/myapp:1.0)
  --rootfs DIR       directory that becomes the image's root filesystem
  --entrypoint CMD   entrypoint: a JSON array or a space-separated command
  --cmd CMD          default arguments: a JSON array or a space-separated command
  --env K=V          environment variable (repeatable)
  --workdir DIR      working directory
  --user USER        user to run as (uid[:gid])
  --output FILE      where to write the tarball (default ./<name>_<tag>.tar; a temp file with --import)
  --import           import the image into the node after building it
`;

function defaultDataDir(): string {
  return process.getuid?.() === 0 ? "/var/lib/tskube" : join(homedir(), ".tskube");
}

/** The CRI endpoint from the flags: explicit endpoint, $CONTAINER_RUNTIME_ENDPOINT, or the agent's containerd under data-dir. */
export function resolveEndpoint(values: { "container-runtime-endpoint"?: string; "data-dir"?: string }, env: NodeJS.ProcessEnv = process.env): string {
  const explicit = values["container-runtime-endpoint"];
  if (explicit) return explicit.startsWith("unix://") ? explicit : `unix://${resolve(explicit)}`;
  if (!values["data-dir"] && env.CONTAINER_RUNTIME_ENDPOINT) return env.CONTAINER_RUNTIME_ENDPOINT;
  return `unix://${join(resolve(values["data-dir"] ?? defaultDataDir()), "agent", "containerd", "containerd.sock")}`;
}

/** A command given as a JSON array or as space-separated words. */
export function parseCommand(s: string | undefined): string[] | undefined {
  if (s === undefined) return undefined;
  const t = s.trim();
  if (t.startsWith("[")) {
    const v = JSON.parse(t);
    if (!Array.isArray(v) || v.some((x) => typeof x !== "string")) throw new Error(`"${s}" is not a JSON array of strings`);
    return v;
  }
  return t.split(/\s+/).filter(Boolean);
}

/** Sizes the way crictl prints them (decimal units, 3 significant digits). */
export function humanSize(bytes: number): string {
  const units = ["B", "kB", "MB", "GB", "TB", "PB"];
  let v = bytes;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${parseFloat(v.toPrecision(3))}${units[i]}`;
}

/** The `image ls` table: one row per tag (untagged images as <none>), columns IMAGE TAG IMAGE ID SIZE. */
export function formatImageTable(images: ImageInfo[]): string {
  const rows: string[][] = [["IMAGE", "TAG", "IMAGE ID", "SIZE"]];
  for (const img of images) {
    const id = img.id.replace(/^sha256:/, "").slice(0, 13);
    const tags = img.repoTags.length ? img.repoTags : [];
    if (tags.length === 0) {
      const repo = img.repoDigests[0] ? img.repoDigests[0].split("@")[0] : "<none>";
      rows.push([repo, "<none>", id, humanSize(img.size)]);
    }
    for (const t of tags) {
      const { repo, tag } = splitRepoTag(t);
      rows.push([repo, tag, id, humanSize(img.size)]);
    }
  }
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r) => r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c] + 3))).join("")).join("\n") + "\n";
}

const endpointOptions = {
  "container-runtime-endpoint": { type: "string" },
  "data-dir": { type: "string" },
} as const;

async function build(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      ...endpointOptions,
      tag: { type: "string", short: "t" },
      rootfs: { type: "string" },
      entrypoint: { type: "string" },
      cmd: { type: "string" },
      env: { type: "string", multiple: true },
      workdir: { type: "string" },
      user: { type: "string" },
      output: { type: "string", short: "o" },
      import: { type: "boolean" },
    },
  });
  if (!values.tag || !values.rootfs) throw new Error("image build needs --tag REF and --rootfs DIR");
  const ref = normalizeImageRef(values.tag);
  for (const e of values.env ?? []) if (!e.includes("=")) throw new Error(`--env "${e}" is not KEY=VALUE`);
  let tempDir: string | undefined;
  let out = values.output;
  if (!out && values.import) {
    tempDir = mkdtempSync(join(tmpdir(), "tskube-image-"));
    out = join(tempDir, "image.tar");
  }
  if (!out) {
    const { repo, tag } = splitRepoTag(ref);
    out = `${repo.split("/").pop()}_${tag}.tar`;
  }
  try {
    const built = await buildImage({
      rootfs: values.rootfs,
      ref,
      entrypoint: parseCommand(values.entrypoint),
      cmd: parseCommand(values.cmd),
      env: values.env,
      workingDir: values.workdir,
      user: values.user,
      out,
    });
    if (!tempDir) process.stdout.write(`wrote ${resolve(out)}\n`);
    process.stdout.write(`${ref} ${built.imageId}\n`);
    if (values.import) {
      const refs = await importImage(resolveEndpoint(values), out);
      process.stdout.write(`imported ${refs.join(", ") || ref}\n`);
    }
  } finally {
    if (tempDir) rmSync(tempDir, { recursive: true, force: true });
  }
}

/** Runs `tskube image ...` (argv without "image"); errors are printed, exit code 1. */
export async function runImageCommand(argv: string[]): Promise<void> {
  try {
    await imageCommand(argv);
  } catch (err) {
    const e = err as { code?: number; message: string };
    const hint = e.code === 14 || /ENOENT.*\.sock|connect.*\.sock/.test(e.message)
      ? " (is the node agent running? point --data-dir or --container-runtime-endpoint at its containerd)"
      : "";
    process.stderr.write(`tskube image: ${e.message}${hint}\n`);
    process.exitCode = 1;
  }
}

async function imageCommand(argv: string[]): Promise<void> {
  const [sub, ...rest] = argv;
  if (!sub || sub === "help" || argv.includes("--help") || argv.includes("-h")) {
    process.stdout.write(imageUsage);
    return;
  }
  switch (sub) {
    case "build":
      await build(rest);
      return;
    case "import": {
      const { values, positionals } = parseArgs({ args: rest, options: endpointOptions, allowPositionals: true });
      if (positionals.length === 0) throw new Error("image import needs at least one tarball");
      const endpoint = resolveEndpoint(values);
      for (const file of positionals) {
        const refs = await importImage(endpoint, resolve(file));
        process.stdout.write(`${file}: ${refs.join(", ") || "(no named images)"}\n`);
      }
      return;
    }
    case "ls":
    case "list": {
      const { values } = parseArgs({ args: rest, options: { ...endpointOptions, quiet: { type: "boolean", short: "q" } } });
      const images = await listImages(resolveEndpoint(values));
      if (values.quiet) process.stdout.write(images.map((i) => `${i.id}\n`).join(""));
      else process.stdout.write(formatImageTable(images));
      return;
    }
    case "rm":
    case "remove": {
      const { values, positionals } = parseArgs({ args: rest, options: endpointOptions, allowPositionals: true });
      if (positionals.length === 0) throw new Error("image rm needs at least one image reference");
      const endpoint = resolveEndpoint(values);
      let failed = false;
      for (const ref of positionals) {
        const target = /^(sha256:)?[0-9a-f]{12,64}$/.test(ref) ? ref : normalizeImageRef(ref);
        if (await removeImage(endpoint, target)) process.stdout.write(`Deleted: ${target}\n`);
        else {
          process.stderr.write(`tskube image rm: no such image ${ref}\n`);
          failed = true;
        }
      }
      if (failed) process.exitCode = 1;
      return;
    }
    default:
      process.stderr.write(`tskube image: unknown command "${sub}"\n\n${imageUsage}`);
      process.exitCode = 2;
  }
}
