/**
 * CNI configuration for a node's pod network: one conflist with the bridge
 * plugin (host-local IPAM over the node's pod CIDR, gateway = first address)
 * and portmap (hostPort). No loopback plugin: containerd sets up `lo` itself.
 */
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";

/** Inputs of the node's conflist. */
export interface CniConfigOptions {
  /** Directory containerd reads (its `cni.conf_dir`). */
  confDir: string;
  /** CNI network name (also the conflist file name). */
  networkName: string;
  /** Linux bridge device name (at most 15 characters). */
  bridge: string;
  /** The node's pod CIDR, e.g. 10.42.0.0/24 (IPv4). */
  podCidr: string;
  /** host-local's allocation directory. */
  ipamDataDir: string;
  /** Masquerade pod traffic leaving the node (default true). */
  ipMasq?: boolean;
}

/** An IPv4 address as an unsigned 32-bit integer; throws on invalid input. */
export function ipToInt(ip: string): number {
  const parts = ip.split(".").map((p) => Number(p));
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) throw new Error(`invalid IPv4 address "${ip}"`);
  return ((parts[0] << 24) | (parts[1] << 16) | (parts[2] << 8) | parts[3]) >>> 0;
}

function intToIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join(".");
}

/** The netmask of an IPv4 prefix length as an unsigned 32-bit integer (0 for /0). */
export function cidrMask(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

/** Parses an IPv4 CIDR into its network address (normalized) and prefix length; throws on invalid input. */
export function parseCidr(cidr: string): { network: string; prefix: number } {
  const m = /^(\d+\.\d+\.\d+\.\d+)\/(\d+)$/.exec(cidr.trim());
  if (!m) throw new Error(`invalid IPv4 CIDR "${cidr}"`);
  const prefix = Number(m[2]);
  if (prefix < 1 || prefix > 30) throw new Error(`CIDR "${cidr}": prefix must be between 1 and 30`);
  const mask = cidrMask(prefix);
  return { network: intToIp((ipToInt(m[1]) & mask) >>> 0), prefix };
}

/** The first usable address of a CIDR (the bridge gateway), e.g. 10.42.0.1 for 10.42.0.0/24. */
export function cidrGateway(cidr: string): string {
  const { network } = parseCidr(cidr);
  return intToIp(ipToInt(network) + 1);
}

/** The conflist object (CNI 1.0.0): bridge + host-local + portmap. */
export function buildCniConfig(opts: Omit<CniConfigOptions, "confDir">): Record<string, unknown> {
  if (!/^[A-Za-z0-9_.-]{1,15}$/.test(opts.bridge)) throw new Error(`bridge name "${opts.bridge}" must be 1-15 characters of [A-Za-z0-9_.-]`);
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(opts.networkName)) throw new Error(`invalid CNI network name "${opts.networkName}"`);
  const { network, prefix } = parseCidr(opts.podCidr);
  const subnet = `${network}/${prefix}`;
  return {
    cniVersion: "1.0.0",
    name: opts.networkName,
    plugins: [
      {
        type: "bridge",
        bridge: opts.bridge,
        isGateway: true,
        ipMasq: opts.ipMasq ?? true,
        hairpinMode: true,
        ipam: {
          type: "host-local",
          ranges: [[{ subnet, gateway: cidrGateway(subnet) }]],
          routes: [{ dst: "0.0.0.0/0" }],
          dataDir: resolve(opts.ipamDataDir),
        },
      },
      { type: "portmap", capabilities: { portMappings: true } },
    ],
  };
}

/**
 * Writes `<confDir>/10-<networkName>.conflist` (atomically, via rename) and
 * returns its path. Idempotent: the file is left untouched when its content
 * would not change, so containerd does not reload it needlessly.
 */
export async function writeCniConfig(opts: CniConfigOptions): Promise<string> {
  const content = JSON.stringify(buildCniConfig(opts), null, 2) + "\n";
  await mkdir(opts.confDir, { recursive: true });
  await mkdir(opts.ipamDataDir, { recursive: true });
  const path = join(resolve(opts.confDir), `10-${opts.networkName}.conflist`);
  let current: string | undefined;
  try {
    current = await readFile(path, "utf8");
  } catch {}
  if (current === content) return path;
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, content);
  await rename(tmp, path);
  return path;
}
