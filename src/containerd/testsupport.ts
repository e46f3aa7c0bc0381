/**
 * For tests that run real containers: why they must be skipped on this
 * machine (not root, containerd/runc/CNI plugins missing, or no gcc and
 * busybox-static to build the built-in images), or false when they can run.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { checkRuntimePrerequisites } from "./index.ts";

/** The skip reason for real-container tests, or false. */
export function realContainersSkipReason(): string | false {
  if (process.getuid?.() !== 0) return "needs root (containerd, runc and CNI need it)";
  const prereq = checkRuntimePrerequisites();
  if (prereq.missing.length > 0) return prereq.message;
  if (spawnSync("sh", ["-c", "command -v gcc"]).status !== 0 || !existsSync("/bin/busybox")) return "needs gcc, libc6-dev and busybox-static to build the built-in images";
  return false;
}
