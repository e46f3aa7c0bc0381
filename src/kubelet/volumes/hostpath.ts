/**
 * hostPath type checks as upstream's hostpath plugin performs them
 * (DirectoryOrCreate, Directory, FileOrCreate, File, Socket, CharDevice,
 * BlockDevice; "" means unchecked), creating missing paths for the
 * *OrCreate types.
 */
import { promises as fsp, type Stats } from "node:fs";
import { dirname } from "node:path";

async function statOrUndefined(p: string): Promise<Stats | undefined> {
  try {
    return await fsp.stat(p);
  } catch {
    return undefined;
  }
}

/** Throws an Error with upstream's "hostPath type check failed: ..." message on mismatch. */
export async function checkHostPathType(path: string, type: string | undefined): Promise<void> {
  const t = type ?? "";
  if (t === "") return;
  let st = await statOrUndefined(path);
  const fail = (what: string) => new Error(`hostPath type check failed: ${path} is not a ${what}`);
  switch (t) {
    case "DirectoryOrCreate":
      if (!st) {
        await fsp.mkdir(path, { recursive: true, mode: 0o755 });
        return;
      }
    // falls through
    case "Directory":
      if (!st?.isDirectory()) throw fail("directory");
      return;
    case "FileOrCreate":
      if (!st) {
        await fsp.mkdir(dirname(path), { recursive: true, mode: 0o755 });
        const h = await fsp.open(path, "a", 0o644);
        await h.close();
        st = await statOrUndefined(path);
      }
    // falls through
    case "File":
      if (!st?.isFile()) throw fail("file");
      return;
    case "Socket":
      if (!st?.isSocket()) throw fail("socket file");
      return;
    case "CharDevice":
      if (!st?.isCharacterDevice()) throw fail("character device");
      return;
    case "BlockDevice":
      if (!st?.isBlockDevice()) throw fail("block device");
      return;
  }
  throw new Error(`hostPath type check failed: unknown type ${t}`);
}
