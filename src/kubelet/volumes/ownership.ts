/**
 * Volume ownership for pods with `securityContext.fsGroup`, as upstream's
 * SetVolumeOwnership does: every file and directory of the volume becomes
 * group-owned by the fsGroup; files gain group read (and write for writable
 * volumes), directories gain the setgid bit and user/group execute, so files
 * created later inherit the group. Symlinks (the atomic writer's `..data`
 * and key links) are re-owned without following them.
 */
import { promises as fsp } from "node:fs";
import { join } from "node:path";

const S_ISGID = 0o2000;
const RO_MASK = 0o440;
const RW_MASK = 0o660;
const DIR_EXTRA = S_ISGID | 0o110;

/** Applies fsGroup `gid` to `dir` and everything under it. */
export async function applyFsGroup(dir: string, gid: number, readOnly: boolean): Promise<void> {
  const mask = readOnly ? RO_MASK : RW_MASK;
  const visit = async (path: string): Promise<void> => {
    const st = await fsp.lstat(path);
    if (st.isSymbolicLink()) {
      await fsp.lchown(path, st.uid, gid);
      return;
    }
    await fsp.chown(path, st.uid, gid);
    const extra = st.isDirectory() ? mask | DIR_EXTRA : mask;
    await fsp.chmod(path, (st.mode & 0o7777) | extra);
    if (st.isDirectory()) for (const name of await fsp.readdir(path)) await visit(join(path, name));
  };
  await visit(dir);
}

/** The pod's fsGroup, if set. */
export function podFsGroup(pod: object): number | undefined {
  const g: unknown = (pod as { spec?: { securityContext?: { fsGroup?: unknown } } }).spec?.securityContext?.fsGroup;
  return typeof g === "number" && Number.isInteger(g) && g >= 0 ? g : undefined;
}
