/**
 * Service IP and NodePort allocation. The apiserver owns both ranges: the
 * first service IP is reserved for the `kubernetes` Service, allocations are
 * rebuilt from the stored Services at start, and released on delete.
 */
import { fieldErr, type FieldError } from "../../machinery/errors.ts";
import type { KObject } from "../../api/types.ts";

function ipToInt(ip: string): number {
  const p = ip.split(".").map(Number);
  return ((p[0] << 24) >>> 0) + (p[1] << 16) + (p[2] << 8) + p[3];
}

function intToIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join(".");
}

/** Parses `a.b.c.d/len` into its first and last usable addresses. */
export function parseCidr(cidr: string): { base: number; size: number } {
  const m = /^(\d+\.\d+\.\d+\.\d+)\/(\d+)$/.exec(cidr);
  if (!m) throw new Error(`invalid CIDR ${cidr}`);
  const len = Number(m[2]);
  if (len < 8 || len > 30) throw new Error(`CIDR ${cidr}: prefix length must be between 8 and 30`);
  const size = 2 ** (32 - len);
  const base = (ipToInt(m[1]) & ~(size - 1)) >>> 0;
  return { base, size };
}

/** The first usable IP of a service CIDR (the `kubernetes` Service's address). */
export function firstServiceIp(cidr: string): string {
  return intToIp(parseCidr(cidr).base + 1);
}

export class IpAllocator {
  private readonly base: number;
  private readonly size: number;
  private readonly used = new Set<number>();
  private next = 0;
  readonly cidr: string;

  constructor(cidr: string) {
    this.cidr = cidr;
    const r = parseCidr(cidr);
    this.base = r.base;
    this.size = r.size;
  }

  contains(ip: string): boolean {
    if (!/^\d+\.\d+\.\d+\.\d+$/.test(ip)) return false;
    const n = ipToInt(ip);
    return n > this.base && n < this.base + this.size - 1;
  }

  /** Marks `ip` used; false when it is already taken or out of range. */
  allocate(ip: string): boolean {
    if (!this.contains(ip)) return false;
    const off = ipToInt(ip) - this.base;
    if (this.used.has(off)) return false;
    this.used.add(off);
    return true;
  }

  /** Picks a free address (never the first, which is reserved), or undefined when full. */
  allocateNext(): string | undefined {
    const usable = this.size - 2;
    for (let i = 0; i < usable; i++) {
      const off = 2 + ((this.next + i) % (usable - 1));
      if (!this.used.has(off)) {
        this.used.add(off);
        this.next = off - 1;
        return intToIp(this.base + off);
      }
    }
    return undefined;
  }

  release(ip: string): void {
    if (this.contains(ip)) this.used.delete(ipToInt(ip) - this.base);
  }
}

export class PortAllocator {
  readonly min: number;
  readonly max: number;
  private readonly used = new Set<number>();
  private next: number;

  constructor(range: string) {
    const m = /^(\d+)-(\d+)$/.exec(range);
    if (!m || Number(m[1]) > Number(m[2])) throw new Error(`invalid port range ${range}`);
    this.min = Number(m[1]);
    this.max = Number(m[2]);
    this.next = this.min;
  }

  contains(p: number): boolean {
    return p >= this.min && p <= this.max;
  }

  allocate(p: number): boolean {
    if (!this.contains(p) || this.used.has(p)) return false;
    this.used.add(p);
    return true;
  }

  allocateNext(): number | undefined {
    const n = this.max - this.min + 1;
    for (let i = 0; i < n; i++) {
      const p = this.min + ((this.next - this.min + i) % n);
      if (!this.used.has(p)) {
        this.used.add(p);
        this.next = p + 1 > this.max ? this.min : p + 1;
        return p;
      }
    }
    return undefined;
  }

  release(p: number): void {
    this.used.delete(p);
  }
}

function needsNodePorts(svc: KObject): boolean {
  return svc.spec?.type === "NodePort" || svc.spec?.type === "LoadBalancer";
}

function wantsClusterIp(svc: KObject): boolean {
  return svc.spec?.type !== "ExternalName" && svc.spec?.clusterIP !== "None";
}

/** What an allocation did, so a failed write can be rolled back. */
export interface Allocation {
  ips: string[];
  ports: number[];
}

/** Allocates and releases the cluster IPs and node ports of Services. */
export class ServiceAllocators {
  readonly ips: IpAllocator;
  readonly ports: PortAllocator;

  constructor(serviceCidr: string, nodePortRange: string) {
    this.ips = new IpAllocator(serviceCidr);
    this.ports = new PortAllocator(nodePortRange);
  }

  /** Records the allocations of an already stored Service (at start-up). */
  restore(svc: KObject): void {
    for (const ip of svc.spec?.clusterIPs ?? [svc.spec?.clusterIP]) if (ip) this.ips.allocate(ip);
    if (svc.spec?.clusterIP) this.ips.allocate(svc.spec.clusterIP);
    for (const p of svc.spec?.ports ?? []) if (p.nodePort) this.ports.allocate(p.nodePort);
  }

  /**
   * Fills in clusterIP(s) and nodePorts of a Service being created or updated
   * (`old` for updates), returning what it allocated, or field errors.
   */
  assign(svc: KObject, old: KObject | undefined): { alloc: Allocation; errors: FieldError[] } {
    const alloc: Allocation = { ips: [], ports: [] };
    const errors: FieldError[] = [];
    const spec = (svc.spec ??= {});
    if (wantsClusterIp(svc)) {
      const oldIp = old && wantsClusterIp(old) ? old.spec?.clusterIP : undefined;
      if (oldIp && (!spec.clusterIP || spec.clusterIP === oldIp)) {
        spec.clusterIP = oldIp;
      } else if (!spec.clusterIP) {
        const ip = this.ips.allocateNext();
        if (!ip) errors.push(fieldErr.invalid("spec.clusterIPs", spec.clusterIPs ?? [], "failed to allocate IP: range is full"));
        else {
          spec.clusterIP = ip;
          alloc.ips.push(ip);
        }
      } else if (!this.ips.contains(spec.clusterIP)) {
        errors.push(
          fieldErr.invalid("spec.clusterIPs", [spec.clusterIP], `failed to allocate IP ${spec.clusterIP}: the provided IP (${spec.clusterIP}) is not in the valid range. The range of valid IPs is ${this.ips.cidr}`),
        );
      } else if (!this.ips.allocate(spec.clusterIP)) {
        errors.push(fieldErr.invalid("spec.clusterIPs", [spec.clusterIP], `failed to allocate IP ${spec.clusterIP}: provided IP is already allocated`));
      } else {
        alloc.ips.push(spec.clusterIP);
      }
      if (spec.clusterIP) {
        spec.clusterIPs = [spec.clusterIP];
        spec.ipFamilies ??= ["IPv4"];
        spec.ipFamilyPolicy ??= "SingleStack";
      }
    } else if (spec.type === "ExternalName") {
      delete spec.clusterIP;
      delete spec.clusterIPs;
    } else {
      spec.clusterIPs = ["None"];
      spec.ipFamilies ??= ["IPv4"];
      spec.ipFamilyPolicy ??= "SingleStack";
    }
    if (needsNodePorts(svc)) {
      const oldPorts = new Map<string, number>();
      for (const p of old?.spec?.ports ?? []) if (p.nodePort) oldPorts.set(`${p.port}/${p.protocol ?? "TCP"}`, p.nodePort);
      (spec.ports ?? []).forEach((p: { port: number; protocol?: string; nodePort?: number }, i: number) => {
        const prev = oldPorts.get(`${p.port}/${p.protocol ?? "TCP"}`);
        if (p.nodePort && p.nodePort === prev) return;
        if (!p.nodePort && prev) {
          p.nodePort = prev;
          return;
        }
        if (!p.nodePort) {
          const np = this.ports.allocateNext();
          if (np === undefined) errors.push(fieldErr.invalid(`spec.ports[${i}].nodePort`, 0, "range is full"));
          else {
            p.nodePort = np;
            alloc.ports.push(np);
          }
          return;
        }
        if (!this.ports.contains(p.nodePort)) {
          errors.push(
            fieldErr.invalid(`spec.ports[${i}].nodePort`, p.nodePort, `provided port is not in the valid range. The range of valid ports is ${this.ports.min}-${this.ports.max}`),
          );
        } else if (!this.ports.allocate(p.nodePort)) {
          errors.push(fieldErr.invalid(`spec.ports[${i}].nodePort`, p.nodePort, "provided port is already allocated"));
        } else alloc.ports.push(p.nodePort);
      });
    } else {
      for (const p of spec.ports ?? []) delete p.nodePort;
    }
    if (errors.length) {
      this.rollback(alloc);
      return { alloc: { ips: [], ports: [] }, errors };
    }
    return { alloc, errors };
  }

  /** Releases what `assign` allocated (after a failed write). */
  rollback(alloc: Allocation): void {
    for (const ip of alloc.ips) this.ips.release(ip);
    for (const p of alloc.ports) this.ports.release(p);
  }

  /** Releases what `old` held but `svc` (undefined: deleted) no longer does. */
  releaseUnused(old: KObject, svc: KObject | undefined): void {
    const keepIp = svc?.spec?.clusterIP;
    if (old.spec?.clusterIP && old.spec.clusterIP !== "None" && old.spec.clusterIP !== keepIp) this.ips.release(old.spec.clusterIP);
    const keep = new Set<number>((svc?.spec?.ports ?? []).map((p: { nodePort?: number }) => p.nodePort).filter(Boolean));
    for (const p of old.spec?.ports ?? []) if (p.nodePort && !keep.has(p.nodePort)) this.ports.release(p.nodePort);
  }
}
