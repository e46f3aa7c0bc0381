/**
 * Images in a node's containerd: import tarballs (OCI layout or
 * docker-archive) with `ctr` into the CRI namespace `k8s.io`, and list,
 * inspect or remove images through CRI's ImageService.
 */
import { existsSync } from "node:fs";
import { connectCri, isNotFound, type CriMessage } from "../kubelet/cri/client.ts";
import { run } from "./oci.ts";

/** The containerd namespace the CRI plugin uses. */
export const CRI_NAMESPACE = "k8s.io";

/** An image as CRI reports it. `size` is in bytes; `id` is the config digest. */
export interface ImageInfo {
  id: string;
  repoTags: string[];
  repoDigests: string[];
  size: number;
}

/** The socket path of a `unix://` endpoint (or the bare path). */
export function socketPath(endpoint: string): string {
  return endpoint.replace(/^unix:\/\//, "");
}

/**
 * Imports an image tarball (OCI layout or `docker save` archive) into the
 * node's containerd (namespace k8s.io, unpacked for the default snapshotter)
 * and returns the image references it created. Throws with ctr's output on
 * failure (e.g. not a tarball, containerd not reachable).
 */
export async function importImage(endpoint: string, tarball: string): Promise<string[]> {
  if (!existsSync(tarball)) throw new Error(`image tarball ${tarball} does not exist`);
  const { stdout, stderr } = await run("ctr", ["-a", socketPath(endpoint), "-n", CRI_NAMESPACE, "images", "import", tarball], { timeoutMs: 5 * 60_000 });
  const refs: string[] = [];
  for (const line of `${stdout}\n${stderr}`.split("\n")) {
    const m = /^unpacking (\S+) \(sha256:[0-9a-f]+\)/.exec(line.trim());
    if (m && !refs.includes(m[1])) refs.push(m[1]);
  }
  return refs;
}

function toInfo(img: CriMessage): ImageInfo {
  return { id: img.id, repoTags: img.repo_tags ?? [], repoDigests: img.repo_digests ?? [], size: Number(img.size ?? 0) };
}

/** All images CRI knows, in CRI's order. */
export async function listImages(endpoint: string): Promise<ImageInfo[]> {
  const cri = connectCri(endpoint);
  try {
    const res = await cri.image.ListImages({}, 30_000);
    return (res.images ?? []).map(toInfo);
  } finally {
    cri.close();
  }
}

/** One image by reference or id; undefined when the runtime does not have it. */
export async function imageStatus(endpoint: string, ref: string): Promise<ImageInfo | undefined> {
  const cri = connectCri(endpoint);
  try {
    const res = await cri.image.ImageStatus({ image: { image: ref } }, 30_000);
    return res.image ? toInfo(res.image) : undefined;
  } finally {
    cri.close();
  }
}

/**
 * Removes an image by reference or id (CRI RemoveImage removes every tag of
 * the image). Returns false when it did not exist. Throws when containers
 * still use it or the runtime fails.
 */
export async function removeImage(endpoint: string, ref: string): Promise<boolean> {
  const cri = connectCri(endpoint);
  try {
    const st = await cri.image.ImageStatus({ image: { image: ref } }, 30_000);
    if (!st.image) return false;
    await cri.image.RemoveImage({ image: { image: ref } }, 60_000);
    return true;
  } catch (err) {
    if (isNotFound(err)) return false;
    throw err;
  } finally {
    cri.close();
  }
}
