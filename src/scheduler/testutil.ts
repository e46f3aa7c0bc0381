/**
 * Fixture builders for scheduler tests and benchmarks: nodes and pods as
 * plain v1 objects with just the fields the scheduler reads.
 */
import type { KObject } from "../api/types.ts";
import { CycleState } from "./framework/cycle_state.ts";
import { Framework, type HandleOptions, type PluginRef } from "./framework/framework.ts";
import type { ExtensionPoint } from "./framework/interface.ts";
import { inTreeRegistry } from "./plugins/registry.ts";
import { Snapshot } from "./framework/snapshot.ts";
import type { Clock } from "./queue.ts";

/** A manual clock: time moves only through `step`; timers never fire. */
export class FakeClock implements Clock {
  t = 1_000_000;
  now(): number {
    return this.t;
  }
  step(ms: number): void {
    this.t += ms;
  }
  setInterval(): unknown {
    return 0;
  }
  clearInterval(): void {}
}

export interface NodeOpts {
  cpu?: string;
  memory?: string;
  pods?: string;
  labels?: Record<string, string>;
  taints?: { key: string; value?: string; effect: string }[];
  unschedulable?: boolean;
  images?: { names: string[]; sizeBytes: number }[];
  extra?: Record<string, string>;
}

export function makeNode(name: string, o: NodeOpts = {}): KObject {
  const alloc = { cpu: o.cpu ?? "4", memory: o.memory ?? "16Gi", pods: o.pods ?? "110", ...(o.extra ?? {}) };
  return {
    apiVersion: "v1",
    kind: "Node",
    metadata: { name, labels: { "kubernetes.io/hostname": name, ...(o.labels ?? {}) } },
    spec: { taints: o.taints, unschedulable: o.unschedulable },
    status: { allocatable: alloc, capacity: alloc, images: o.images },
  };
}

export interface PodOpts {
  ns?: string;
  node?: string;
  cpu?: string;
  memory?: string;
  priority?: number;
  labels?: Record<string, string>;
  spec?: Record<string, unknown>;
  uid?: string;
  start?: string;
  ownerKind?: string;
  requests?: Record<string, string>;
  image?: string;
  hostPort?: number;
}

let seq = 0;

export function makePod(name: string, o: PodOpts = {}): KObject {
  const requests: Record<string, string> = { ...(o.requests ?? {}) };
  if (o.cpu) requests.cpu = o.cpu;
  if (o.memory) requests.memory = o.memory;
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name,
      namespace: o.ns ?? "default",
      uid: o.uid ?? `uid-${name}-${++seq}`,
      labels: o.labels,
      creationTimestamp: o.start,
      ownerReferences: o.ownerKind ? [{ apiVersion: "apps/v1", kind: o.ownerKind, name: "owner", uid: "o1", controller: true }] : undefined,
    },
    spec: {
      nodeName: o.node,
      priority: o.priority,
      containers: [
        {
          name: "c",
          image: o.image ?? "busybox",
          resources: Object.keys(requests).length ? { requests } : {},
          ports: o.hostPort ? [{ containerPort: o.hostPort, hostPort: o.hostPort }] : undefined,
        },
      ],
      ...(o.spec ?? {}),
    },
    status: { startTime: o.start },
  };
}

/** A framework with exactly the given plugins at the given points (weights for score). */
export function frameworkWith(
  plugins: Partial<Record<ExtensionPoint, (string | PluginRef)[]>>,
  pluginConfig: Record<string, unknown> = {},
  handle: HandleOptions = {},
): Framework {
  const norm: Partial<Record<ExtensionPoint, PluginRef[]>> = {};
  for (const [k, v] of Object.entries(plugins)) norm[k as ExtensionPoint] = v!.map((x) => (typeof x === "string" ? { name: x } : x));
  return new Framework(inTreeRegistry, { schedulerName: "test", plugins: norm, pluginConfig }, handle);
}

/** Runs PreFilter+Filter of `fwk` for `pod` on every node: name -> status message ("" = fits). */
export function filterAll(fwk: Framework, pod: KObject, snap: Snapshot): Record<string, string> {
  fwk.snapshot = snap;
  const state = new CycleState();
  const pre = fwk.runPreFilterPlugins(state, pod, snap.nodeInfoList);
  const out: Record<string, string> = {};
  for (const ni of snap.nodeInfoList) {
    if (pre.status) out[ni.name] = pre.status.message();
    else if (pre.result && !pre.result.nodeNames.has(ni.name)) out[ni.name] = "<prefilter>";
    else out[ni.name] = fwk.runFilterPlugins(state, pod, ni)?.message() ?? "";
  }
  return out;
}

/** Runs PreScore+Score (normalized, weighted) on every node: name -> total. */
export function scoreAll(fwk: Framework, pod: KObject, snap: Snapshot): Record<string, number> {
  fwk.snapshot = snap;
  const state = new CycleState();
  const s = fwk.runPreScorePlugins(state, pod, snap.nodeInfoList);
  if (s) throw new Error(s.message());
  const r = fwk.runScorePlugins(state, pod, snap.nodeInfoList);
  if (!Array.isArray(r)) throw new Error(r.message());
  return Object.fromEntries(r.map((x) => [x.name, x.total]));
}
