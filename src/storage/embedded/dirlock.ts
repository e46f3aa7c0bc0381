/**
 * An exclusive lock on a data directory: a `LOCK` file created with O_EXCL
 * that holds the owner's pid. A lock whose owner is gone (the process was
 * killed) is taken over; a live owner — another server, or another store in
 * this process — makes the open fail with a clear message instead of two
 * writers interleaving records in one log.
 */
import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from "node:fs";
import { join } from "node:path";

/** Thrown when another live process (or store) holds the directory. */
export class DirLockedError extends Error {
  constructor(dir: string, pid: number) {
    super(`data directory ${dir} is in use by process ${pid}${pid === process.pid ? " (this process)" : ""}: stop it first`);
    this.name = "DirLockedError";
  }
}

function alive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
  return true;
}

/** Takes the lock of `dir`; returns its release function. */
export function lockDir(dir: string): () => void {
  const path = join(dir, "LOCK");
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(path, "wx", 0o600);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        try {
          unlinkSync(path);
        } catch {
          // already gone
        }
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
    let owner = NaN;
    try {
      owner = Number(readFileSync(path, "utf8").trim());
    } catch {
      // removed meanwhile: retry
    }
    if (alive(owner)) throw new DirLockedError(dir, owner);
    try {
      unlinkSync(path);
    } catch {
      // another opener took it over first: retry
    }
  }
  throw new Error(`could not lock data directory ${dir}`);
}
