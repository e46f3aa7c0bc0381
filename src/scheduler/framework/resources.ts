/**
 * Resource arithmetic for scheduling: a `Resource` holds milli-CPU, memory
 * and ephemeral storage in bytes, a pod count, and scalar (extended,
 * hugepages) resources by name. `podRequests` computes what a pod asks for
 * the way upstream's resource helper does: the larger of (sum of app
 * containers + restartable init "sidecar" containers) and the peak of the
 * init-container sequence, plus pod overhead. Results are memoised per pod
 * object (pods are treated as immutable values).
 */
import type { KObject } from "../../api/types.ts";
import { tryParseQuantity } from "../../machinery/quantity.ts";

/** Upstream's DefaultMilliCPURequest: used for scoring containers without a CPU request. */
export const DEFAULT_MILLI_CPU_REQUEST = 100;
/** Upstream's DefaultMemoryRequest (200 MiB): used for scoring containers without a memory request. */
export const DEFAULT_MEMORY_REQUEST = 200 * 1024 * 1024;

export class Resource {
  milliCPU = 0;
  memory = 0;
  ephemeralStorage = 0;
  allowedPodNumber = 0;
  scalar: Record<string, number> = {};

  /** The amount of `name` (cpu in millicores, others in base units). */
  get(name: string): number {
    switch (name) {
      case "cpu":
        return this.milliCPU;
      case "memory":
        return this.memory;
      case "ephemeral-storage":
        return this.ephemeralStorage;
      case "pods":
        return this.allowedPodNumber;
      default:
        return this.scalar[name] ?? 0;
    }
  }

  set(name: string, v: number): void {
    switch (name) {
      case "cpu":
        this.milliCPU = v;
        break;
      case "memory":
        this.memory = v;
        break;
      case "ephemeral-storage":
        this.ephemeralStorage = v;
        break;
      case "pods":
        this.allowedPodNumber = v;
        break;
      default:
        this.scalar[name] = v;
    }
  }

  /** Adds (sign 1) or subtracts (sign -1) `o` in place. */
  add(o: Resource, sign = 1): void {
    this.milliCPU += sign * o.milliCPU;
    this.memory += sign * o.memory;
    this.ephemeralStorage += sign * o.ephemeralStorage;
    this.allowedPodNumber += sign * o.allowedPodNumber;
    for (const k in o.scalar) this.scalar[k] = (this.scalar[k] ?? 0) + sign * o.scalar[k];
  }

  /** Raises every amount to at least `o`'s. */
  setMax(o: Resource): void {
    this.milliCPU = Math.max(this.milliCPU, o.milliCPU);
    this.memory = Math.max(this.memory, o.memory);
    this.ephemeralStorage = Math.max(this.ephemeralStorage, o.ephemeralStorage);
    this.allowedPodNumber = Math.max(this.allowedPodNumber, o.allowedPodNumber);
    for (const k in o.scalar) this.scalar[k] = Math.max(this.scalar[k] ?? 0, o.scalar[k]);
  }

  clone(): Resource {
    const r = new Resource();
    r.add(this);
    return r;
  }

  /** Names with a non-zero amount (cpu, memory, ephemeral-storage, scalars). */
  names(): string[] {
    const out: string[] = [];
    if (this.milliCPU) out.push("cpu");
    if (this.memory) out.push("memory");
    if (this.ephemeralStorage) out.push("ephemeral-storage");
    for (const k in this.scalar) if (this.scalar[k]) out.push(k);
    return out;
  }
}

/** A ResourceList (`{cpu: "500m", memory: "1Gi"}`) as a Resource; unparsable values count as 0. */
export function resourceFromList(list: Record<string, unknown> | undefined): Resource {
  const r = new Resource();
  if (!list) return r;
  for (const [name, raw] of Object.entries(list)) {
    const q = tryParseQuantity(raw);
    if (!q) continue;
    r.set(name, name === "cpu" ? q.milliValue() : q.value());
  }
  return r;
}

/** The pod's requests, plus the same with 100m CPU / 200Mi memory filled in for containers missing them. */
export interface PodRequests {
  requests: Resource;
  nonZero: Resource;
}

const memo = new WeakMap<object, PodRequests>();

function containerRequests(c: KObject, nonZero: boolean): Resource {
  const res = c.resources ?? {};
  const list: Record<string, unknown> = { ...(res.limits ?? {}), ...(res.requests ?? {}) };
  const r = resourceFromList(list);
  if (nonZero) {
    if (!("cpu" in list)) r.milliCPU = DEFAULT_MILLI_CPU_REQUEST;
    if (!("memory" in list)) r.memory = DEFAULT_MEMORY_REQUEST;
  }
  return r;
}

function compute(pod: KObject, nonZero: boolean): Resource {
  const spec = pod.spec ?? {};
  const reqs = new Resource();
  for (const c of spec.containers ?? []) reqs.add(containerRequests(c, nonZero));
  const sidecars = new Resource();
  const initPeak = new Resource();
  for (const c of spec.initContainers ?? []) {
    const cr = containerRequests(c, nonZero);
    if (c.restartPolicy === "Always") {
      sidecars.add(cr);
      initPeak.setMax(sidecars);
    } else {
      cr.add(sidecars);
      initPeak.setMax(cr);
    }
  }
  reqs.add(sidecars);
  reqs.setMax(initPeak);
  if (spec.overhead) reqs.add(resourceFromList(spec.overhead));
  return reqs;
}

/**
 * Requests of `pod` (memoised per object). Container requests fall back to
 * limits when absent (what API defaulting does). `allowedPodNumber` is 0.
 */
export function podRequests(pod: KObject): PodRequests {
  let r = memo.get(pod);
  if (!r) {
    r = { requests: compute(pod, false), nonZero: compute(pod, true) };
    memo.set(pod, r);
  }
  return r;
}
