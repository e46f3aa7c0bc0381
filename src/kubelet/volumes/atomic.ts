/**
 * Atomic publication of a set of files into a volume directory, like
 * upstream's AtomicWriter: the payload goes into a fresh timestamped
 * directory `..2006_01_02_15_04_05.XXXXXX`, the `..data` symlink is switched
 * to it with a rename (readers see the old or the new set, never a mix), and
 * the user-visible top-level entries are symlinks `name -> ..data/name`.
 * Old timestamped directories and stale user-visible links are removed.
 */
import { promises as fsp } from "node:fs";
import { dirname, join, posix } from "node:path";

/** One file of a payload: its content and permission bits. */
export interface FileProjection {
  data: Buffer;
  mode: number;
}

/** Relative path -> file. Paths use `/`, must not be absolute or contain `..`. */
export type Payload = Map<string, FileProjection>;

const DATA = "..data";
const DATA_TMP = "..data_tmp";

/** Upstream validatePath rules for payload paths. */
export function validatePayloadPath(p: string): string | undefined {
  if (p === "") return "invalid path: must not be empty";
  if (p.length > 4096) return `invalid path: must be less than or equal to 4096 characters`;
  if (posix.isAbsolute(p)) return `invalid path: must be relative path: ${p}`;
  const parts = p.split("/");
  if (parts.includes("..")) return `invalid path: must not contain '..': ${p}`;
  if (parts[0].startsWith("..")) return `invalid path: must not start with '..': ${p}`;
  return undefined;
}

function timestampPrefix(d = new Date()): string {
  const z = (n: number, w = 2) => String(n).padStart(w, "0");
  return `..${d.getUTCFullYear()}_${z(d.getUTCMonth() + 1)}_${z(d.getUTCDate())}_${z(d.getUTCHours())}_${z(d.getUTCMinutes())}_${z(d.getUTCSeconds())}.`;
}

async function readLinkOrUndefined(p: string): Promise<string | undefined> {
  try {
    return await fsp.readlink(p);
  } catch {
    return undefined;
  }
}

async function walkFiles(root: string, rel = ""): Promise<Map<string, { size: number; mode: number }>> {
  const out = new Map<string, { size: number; mode: number }>();
  const entries = await fsp.readdir(join(root, rel), { withFileTypes: true }).catch(() => []);
  for (const e of entries) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) for (const [k, v] of await walkFiles(root, r)) out.set(k, v);
    else {
      const st = await fsp.lstat(join(root, r));
      out.set(r, { size: st.size, mode: st.mode & 0o7777 });
    }
  }
  return out;
}

/** True when dir holds exactly the payload (same paths, bytes and modes). */
async function sameContent(dir: string, payload: Payload): Promise<boolean> {
  const existing = await walkFiles(dir);
  if (existing.size !== payload.size) return false;
  for (const [p, f] of payload) {
    const e = existing.get(p);
    if (!e || e.size !== f.data.length || e.mode !== (f.mode & 0o7777)) return false;
    const cur = await fsp.readFile(join(dir, p)).catch(() => undefined);
    if (!cur || !cur.equals(f.data)) return false;
  }
  return true;
}

function topLevel(paths: Iterable<string>): Set<string> {
  const s = new Set<string>();
  for (const p of paths) s.add(p.split("/")[0]);
  return s;
}

/**
 * Publishes `payload` into `targetDir`. Returns false when the directory
 * already holds exactly this payload (nothing written), true otherwise.
 * Throws on invalid paths.
 */
export async function writeAtomic(targetDir: string, payload: Payload): Promise<boolean> {
  for (const p of payload.keys()) {
    const bad = validatePayloadPath(p);
    if (bad) throw new Error(bad);
  }
  await fsp.mkdir(targetDir, { recursive: true });
  const dataLink = join(targetDir, DATA);
  const oldTs = await readLinkOrUndefined(dataLink);
  if (oldTs && (await sameContent(join(targetDir, oldTs), payload))) {
    // still make sure the user-visible links exist
    await ensureUserVisible(targetDir, payload);
    return false;
  }
  const oldPaths = oldTs ? new Set((await walkFiles(join(targetDir, oldTs))).keys()) : new Set<string>();

  const tsDir = await fsp.mkdtemp(join(targetDir, timestampPrefix()));
  await fsp.chmod(tsDir, 0o755);
  for (const [p, f] of payload) {
    const file = join(tsDir, p);
    await fsp.mkdir(dirname(file), { recursive: true, mode: 0o755 });
    await fsp.writeFile(file, f.data);
    await fsp.chmod(file, f.mode & 0o7777);
  }
  const tsName = tsDir.slice(targetDir.replace(/\/+$/, "").length + 1);
  await ensureUserVisible(targetDir, payload);
  const tmpLink = join(targetDir, DATA_TMP);
  await fsp.rm(tmpLink, { force: true });
  await fsp.symlink(tsName, tmpLink);
  await fsp.rename(tmpLink, dataLink);

  const newTop = topLevel(payload.keys());
  for (const top of topLevel(oldPaths)) {
    if (newTop.has(top)) continue;
    const link = join(targetDir, top);
    const target = await readLinkOrUndefined(link);
    if (target === `${DATA}/${top}`) await fsp.rm(link, { force: true });
  }
  if (oldTs && oldTs !== tsName) await fsp.rm(join(targetDir, oldTs), { recursive: true, force: true });
  return true;
}

/** Creates missing `top -> ..data/top` links for the payload's top-level names. */
async function ensureUserVisible(targetDir: string, payload: Payload): Promise<void> {
  for (const top of topLevel(payload.keys())) {
    const link = join(targetDir, top);
    const cur = await readLinkOrUndefined(link);
    if (cur === `${DATA}/${top}`) continue;
    await fsp.rm(link, { force: true, recursive: true });
    await fsp.symlink(`${DATA}/${top}`, link);
  }
}
