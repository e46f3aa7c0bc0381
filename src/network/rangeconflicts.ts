/**
 * Finds host interfaces that hold addresses inside a node's pod range. Such
 * an interface gets its own route for the range, and the kernel may send
 * traffic meant for pods there instead of to the node's bridge: the host
 * then cannot reach its pods, nor can hostPort traffic. The usual cause is a
 * bridge left by an earlier tskube agent of another node name (it was not
 * removed with `tskube killall`); such a bridge, with no port attached, is
 * removed. Anything else is only reported.
 */
import { execFile } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { promisify } from "node:util";
import { cidrMask, ipToInt, parseCidr } from "./cni.ts";

const run = promisify(execFile);

/** One interface of `ip -json -4 addr show`, as far as read here. */
export interface IpAddrEntry {
  ifname: string;
  addr_info?: { family?: string; local?: string; prefixlen?: number }[];
}

/** An interface address whose network overlaps the pod range. */
export interface RangeHolder {
  ifname: string;
  /** address/prefix, e.g. 10.42.0.1/24 */
  address: string;
}

/** Whether two IPv4 networks share any address (one contains the other). */
export function networksOverlap(a: { network: string; prefix: number }, b: { network: string; prefix: number }): boolean {
  const m = cidrMask(Math.min(a.prefix, b.prefix));
  return ((ipToInt(a.network) & m) >>> 0) === ((ipToInt(b.network) & m) >>> 0);
}

/** The addresses of interfaces other than `ownBridge` whose networks overlap `podCidr`. */
export function rangeHolders(entries: IpAddrEntry[], podCidr: string, ownBridge: string): RangeHolder[] {
  const range = parseCidr(podCidr);
  const out: RangeHolder[] = [];
  for (const e of entries) {
    if (e.ifname === ownBridge || e.ifname === "lo") continue;
    for (const a of e.addr_info ?? []) {
      if (a.family !== "inet" || !a.local || a.prefixlen === undefined || a.prefixlen < 1) continue;
      if (networksOverlap(range, { network: a.local, prefix: a.prefixlen })) out.push({ ifname: e.ifname, address: `${a.local}/${a.prefixlen}` });
    }
  }
  return out;
}

/** The bridge names tskube agents give their nodes (`tsk` and 8 hex digits, see kubelet cniNames). */
const TSKUBE_BRIDGE = /^tsk[0-9a-f]{8}$/;

/** Whether `ifname` is a tskube node bridge with no port attached (no pod uses it). */
export function isIdleTskubeBridge(ifname: string, sysClassNet = "/sys/class/net"): boolean {
  if (!TSKUBE_BRIDGE.test(ifname)) return false;
  const brif = `${sysClassNet}/${ifname}/brif`;
  if (!existsSync(`${sysClassNet}/${ifname}/bridge`) || !existsSync(brif)) return false;
  try {
    return readdirSync(brif).length === 0;
  } catch {
    return false;
  }
}

/** What `reclaimPodRange` did: bridges removed, and holders it left (with why traffic may go astray). */
export interface ReclaimResult {
  removed: string[];
  conflicts: RangeHolder[];
}

/**
 * Removes idle tskube bridges that hold addresses in `podCidr` (other than
 * `ownBridge`) and reports the other interfaces that do. Never throws: an
 * `ip` failure leaves the holder among the conflicts.
 */
export async function reclaimPodRange(podCidr: string, ownBridge: string): Promise<ReclaimResult> {
  const result: ReclaimResult = { removed: [], conflicts: [] };
  let entries: IpAddrEntry[];
  try {
    entries = JSON.parse((await run("ip", ["-json", "-4", "addr", "show"], { timeout: 10_000 })).stdout) as IpAddrEntry[];
  } catch {
    return result;
  }
  for (const h of rangeHolders(entries, podCidr, ownBridge)) {
    if (!result.removed.includes(h.ifname) && isIdleTskubeBridge(h.ifname)) {
      try {
        await run("ip", ["link", "delete", h.ifname, "type", "bridge"], { timeout: 10_000 });
        result.removed.push(h.ifname);
        continue;
      } catch {
        // reported below
      }
    }
    if (!result.removed.includes(h.ifname)) result.conflicts.push(h);
  }
  return result;
}
