/**
 * Test harness for the pod lifecycle core without an apiserver: a FakeCri,
 * fake leaf services (recording hooks, settable readiness), a PodSyncer and
 * a helper that runs one sync and computes the resulting status, all on a
 * FakeClock. Tests only.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FakeClock } from "../../client/clock.ts";
import { log } from "../../machinery/log.ts";
import { RuntimeLister, type RuntimePod } from "../runtime.ts";
import type { KubeletServices } from "../services.ts";
import { computePodStatus } from "../status.ts";
import { PodSyncer, type SyncOutcome } from "../sync.ts";
import type { ContainerSpec, Pod, ProbeManager } from "../types.ts";
import { FakeCri } from "./fakecri.ts";

export interface FakeProbes extends ProbeManager {
  ready: Map<string, boolean>;
  added: string[];
}

export function fakeProbes(): FakeProbes {
  const ready = new Map<string, boolean>();
  const added: string[] = [];
  return {
    ready,
    added,
    addContainer: (_p, c, id) => void added.push(`${c.name}:${id}`),
    removeContainer: () => undefined,
    removePod: () => undefined,
    isReady: (id) => ready.get(id) ?? true,
    isStarted: () => true,
    stop: () => undefined,
  };
}

/** Fake leaf services; `hooks` records lifecycle handler runs as "<container>:<json>". */
export function fakeServices(probes: FakeProbes = fakeProbes()): KubeletServices & { hooks: string[]; probes: FakeProbes; tornDown: string[] } {
  const hooks: string[] = [];
  const tornDown: string[] = [];
  return {
    hooks,
    tornDown,
    probes,
    volumes: { setUp: async () => ({ mountsFor: () => [] }), tearDown: async (uid) => void tornDown.push(`volumes:${uid}`) },
    cgroups: { ensurePod: async (p) => `/tskube/test/pod${p.metadata.uid}`, removePod: async (p) => void tornDown.push(`cgroup:${p.metadata.uid}`) },
    resolveCommand: async (_pod, c) => ({ command: c.command ?? [], args: c.args ?? [], envs: [] }),
    hostsFileContent: (pod, ip) => `127.0.0.1\tlocalhost\n${ip}\t${pod.metadata.name}\n`,
    sandboxDnsConfig: async () => ({ servers: ["10.43.0.10"], searches: [], options: [] }),
    runLifecycleHandler: async (h, _pod, c) => void hooks.push(`${c.name}:${JSON.stringify(h)}`),
    qosClass: () => "BestEffort",
    containerResources: () => undefined,
  };
}

let uidSeq = 0;

/** A pod bound to node "n1" with the given containers (image "img:1" unless set). */
export function testPod(containers: ContainerSpec[], extra: { initContainers?: ContainerSpec[]; restartPolicy?: string; name?: string; grace?: number } = {}): Pod {
  const img = (c: ContainerSpec): ContainerSpec => ({ image: "img:1", ...c });
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: extra.name ?? "p", namespace: "default", uid: `uid-${++uidSeq}` },
    spec: {
      nodeName: "n1",
      restartPolicy: extra.restartPolicy ?? "Always",
      terminationGracePeriodSeconds: extra.grace ?? 30,
      containers: containers.map(img),
      ...(extra.initContainers ? { initContainers: extra.initContainers.map(img) } : {}),
    },
    status: { phase: "Pending", conditions: [{ type: "PodScheduled", status: "True" }] },
  };
}

export interface Harness {
  clock: FakeClock;
  cri: FakeCri;
  services: ReturnType<typeof fakeServices>;
  syncer: PodSyncer;
  lister: RuntimeLister;
  events: string[];
  rootDir: string;
  /** One sync of `pod`; updates pod.status with the computed status. */
  sync(pod: Pod): Promise<{ out: SyncOutcome; status: Record<string, any>; rp: RuntimePod | undefined }>;
  /** A new syncer/lister over the same runtime (a kubelet restart). */
  restart(): void;
  cleanup(): void;
}

export function harness(): Harness {
  const clock = new FakeClock(1_750_000_000_000);
  const cri = new FakeCri(clock);
  cri.addImage("img:1");
  const services = fakeServices();
  const events: string[] = [];
  const rootDir = mkdtempSync(join(tmpdir(), "tskube-kubelet-sync-"));
  const make = () => new PodSyncer({ cri, clock, services, events: { event: (_p, _t, r, m) => void events.push(`${r}: ${m}`) }, rootDir, log: log.child("test") });
  const h: Harness = {
    clock,
    cri,
    services,
    syncer: make(),
    lister: new RuntimeLister(cri),
    events,
    rootDir,
    async sync(pod) {
      const rp = await h.lister.listPod(pod.metadata.uid!);
      const out = await h.syncer.sync(pod, rp);
      const after = await h.lister.listPod(pod.metadata.uid!);
      const status = computePodStatus(pod, {
        runtime: after,
        waiting: h.syncer.waitingFor(pod.metadata.uid!),
        isReady: (id) => services.probes.isReady(id),
        isStarted: (id) => services.probes.isStarted(id),
        hostIP: "192.0.2.1",
        qosClass: "BestEffort",
        now: clock.now(),
      });
      pod.status = status;
      return { out, status, rp: after };
    },
    restart() {
      h.syncer = make();
      h.lister = new RuntimeLister(cri);
    },
    cleanup() {
      rmSync(rootDir, { recursive: true, force: true });
    },
  };
  return h;
}

export function cond(status: Record<string, any>, type: string): Record<string, any> | undefined {
  return (status.conditions ?? []).find((c: any) => c.type === type);
}
