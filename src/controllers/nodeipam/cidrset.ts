/**
 * A set of equal-sized IPv4 subnets carved out of a cluster CIDR, tracked in
 * a bitmap (upstream's cidrset): allocate hands out the next free subnet
 * after the last one handed out, occupy marks subnets already in use, release
 * frees them. Pure; no I/O.
 */

function parseIPv4(ip: string): number {
  const p = ip.split(".");
  if (p.length !== 4 || p.some((x) => !/^\d{1,3}$/.test(x) || Number(x) > 255)) throw new Error(`invalid IPv4 address "${ip}"`);
  return ((Number(p[0]) << 24) >>> 0) + (Number(p[1]) << 16) + (Number(p[2]) << 8) + Number(p[3]);
}

function formatIPv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join(".");
}

/** Parses "a.b.c.d/len" into its (masked) base address and prefix length; throws on anything else. */
export function parseCidr(cidr: string): { base: number; prefix: number } {
  const [ip, len, extra] = cidr.trim().split("/");
  const prefix = Number(len);
  if (extra !== undefined || !/^\d{1,2}$/.test(len ?? "") || prefix > 32) throw new Error(`invalid CIDR "${cidr}"`);
  const mask = prefix === 0 ? 0 : (~0 << (32 - prefix)) >>> 0;
  return { base: (parseIPv4(ip) & mask) >>> 0, prefix };
}

export class CidrSet {
  readonly #base: number;
  readonly #clusterPrefix: number;
  readonly #subnetPrefix: number;
  readonly #used: Uint8Array;
  #next = 0;
  #free: number;

  /** Throws when either CIDR is invalid or the subnet size is not inside the cluster CIDR. */
  constructor(clusterCidr: string, subnetPrefix: number) {
    const c = parseCidr(clusterCidr);
    if (!Number.isInteger(subnetPrefix) || subnetPrefix < c.prefix || subnetPrefix > 32) {
      throw new Error(`node CIDR mask size /${subnetPrefix} does not fit cluster CIDR ${clusterCidr}`);
    }
    if (subnetPrefix - c.prefix > 24) throw new Error(`too many node CIDRs: /${subnetPrefix} in ${clusterCidr}`);
    this.#base = c.base;
    this.#clusterPrefix = c.prefix;
    this.#subnetPrefix = subnetPrefix;
    this.#used = new Uint8Array(2 ** (subnetPrefix - c.prefix));
    this.#free = this.#used.length;
  }

  /** Number of subnets not in use. */
  free(): number {
    return this.#free;
  }

  /** The next free subnet as "a.b.c.d/len", or undefined when the set is full. */
  allocate(): string | undefined {
    const n = this.#used.length;
    for (let i = 0; i < n; i++) {
      const idx = (this.#next + i) % n;
      if (this.#used[idx]) continue;
      this.#used[idx] = 1;
      this.#free--;
      this.#next = (idx + 1) % n;
      return `${formatIPv4((this.#base + idx * 2 ** (32 - this.#subnetPrefix)) >>> 0)}/${this.#subnetPrefix}`;
    }
    return undefined;
  }

  /** Marks every subnet overlapping `cidr` used; CIDRs outside the cluster CIDR are ignored. */
  occupy(cidr: string): void {
    this.#mark(cidr, 1);
  }

  /** Frees every subnet overlapping `cidr`. */
  release(cidr: string): void {
    this.#mark(cidr, 0);
  }

  /** True when `cidr` is exactly one of this set's subnets. */
  contains(cidr: string): boolean {
    try {
      const c = parseCidr(cidr);
      return c.prefix === this.#subnetPrefix && this.#range(c) !== undefined;
    } catch {
      return false;
    }
  }

  #range(c: { base: number; prefix: number }): [number, number] | undefined {
    const size = 2 ** (32 - this.#subnetPrefix);
    const clusterEnd = this.#base + 2 ** (32 - this.#clusterPrefix);
    const start = Math.max(c.base, this.#base);
    const end = Math.min(c.base + 2 ** (32 - c.prefix), clusterEnd);
    if (start >= end) return undefined;
    return [Math.floor((start - this.#base) / size), Math.ceil((end - this.#base) / size)];
  }

  #mark(cidr: string, v: 0 | 1): void {
    let c;
    try {
      c = parseCidr(cidr);
    } catch {
      return;
    }
    const r = this.#range(c);
    if (!r) return;
    for (let i = r[0]; i < r[1]; i++) {
      if (this.#used[i] !== v) this.#free += v ? -1 : 1;
      this.#used[i] = v;
    }
  }
}
