/**
 * Image reference normalization the way Docker and containerd's CRI do it:
 * `busybox` → `docker.io/library/busybox:latest`, `me/app:1` →
 * `docker.io/me/app:1`, `registry.local:5000/app` → `registry.local:5000/app:latest`.
 */

/**
 * The fully qualified form of an image reference. A digest reference
 * (`name@sha256:...`) keeps its digest and gets no tag. Throws on an empty
 * or malformed reference.
 */
export function normalizeImageRef(ref: string): string {
  const s = ref.trim();
  if (!s || /\s/.test(s)) {
    throw new Error(`invalid image reference "${ref}"`);
  }
  let name = s;
  let digest = "";
  const at = s.indexOf("@");
  if (at >= 0) {
    name = s.slice(0, at);
    digest = s.slice(at);
    if (!/^@[a-z0-9]+:[0-9a-f]{32,}$/.test(digest)) throw new Error(`invalid image reference "${ref}": bad digest`);
  }
  let tag = "";
  const lastSlash = name.lastIndexOf("/");
  const colon = name.lastIndexOf(":");
  if (colon > lastSlash) {
    tag = name.slice(colon + 1);
    name = name.slice(0, colon);
    if (!/^[\w][\w.-]{0,127}$/.test(tag)) throw new Error(`invalid image reference "${ref}": bad tag`);
  }
  const parts = name.split("/");
  if (parts.some((p) => !p)) throw new Error(`invalid image reference "${ref}"`);
  const first = parts[0];
  const hasDomain = parts.length > 1 && (first.includes(".") || first.includes(":") || first === "localhost");
  if (!hasDomain) parts.unshift("docker.io");
  if (parts[0] === "index.docker.io") parts[0] = "docker.io";
  if (parts[0] === "docker.io" && parts.length === 2) parts.splice(1, 0, "library");
  for (const p of parts.slice(1)) {
    if (!/^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/.test(p)) throw new Error(`invalid image reference "${ref}": bad path component "${p}"`);
  }
  const full = parts.join("/");
  if (digest) return tag ? `${full}:${tag}${digest}` : `${full}${digest}`;
  return `${full}:${tag || "latest"}`;
}

/** Splits a normalized reference into repository and tag (`<none>` when untagged), like `crictl images`. */
export function splitRepoTag(ref: string): { repo: string; tag: string } {
  const at = ref.indexOf("@");
  const name = at >= 0 ? ref.slice(0, at) : ref;
  const colon = name.lastIndexOf(":");
  if (colon > name.lastIndexOf("/")) return { repo: name.slice(0, colon), tag: name.slice(colon + 1) };
  return { repo: name, tag: "<none>" };
}
