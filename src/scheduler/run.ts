/**
 * The kube-scheduler process loop: informers feed nodes and pods into the
 * scheduler core (cache and queue), one pod at a time is scheduled, bound
 * through pods/binding (asynchronously, so the next cycle starts at once) or
 * marked PodScheduled=False with upstream's message and a FailedScheduling
 * event; preemption victims are deleted gracefully. Runs under leader
 * election on the kube-system/kube-scheduler Lease.
 *
 * The loop yields to the event loop after YIELD_AFTER_MS of back-to-back
 * scheduling cycles, so a long queue never starves informers, bindings or —
 * when composed into `tskube server` — the apiserver sharing the process,
 * while cheap cycles still run in batches. At most MAX_BINDS_IN_FLIGHT
 * bindings are sent at once (the rest wait in order, their pods already
 * assumed), so a burst does not put thousands of streams on the client's
 * connection at once.
 */
import { findResource } from "../api/resources.ts";
import type { KObject } from "../api/types.ts";
import { EventRecorder, Informer, isConflict, isNotFound, runLeaderElection, SharedInformerFactory, type ApiClient } from "../client/index.ts";
import { selectorFromLabelSelector, selectorFromSet, type Selector } from "../machinery/labels.ts";
import { log as rootLog } from "../machinery/log.ts";
import type { SchedulerConfig } from "./profile.ts";
import { Scheduler, type ScheduleOneResult } from "./scheduler.ts";
import { rfc3339 as nowStamp } from "../machinery/time.ts";

const log = rootLog.child("scheduler");
const res = {
  pods: findResource("", "v1", "pods")!,
  nodes: findResource("", "v1", "nodes")!,
  namespaces: findResource("", "v1", "namespaces")!,
  services: findResource("", "v1", "services")!,
  pdbs: findResource("policy", "v1", "poddisruptionbudgets")!,
  replicasets: findResource("apps", "v1", "replicasets")!,
  statefulsets: findResource("apps", "v1", "statefulsets")!,
  rcs: findResource("", "v1", "replicationcontrollers")!,
};

export interface SchedulerRunOptions {
  client: ApiClient;
  config: SchedulerConfig;
  leaderElect: boolean;
  identity: string;
  onLeading?(leading: boolean): void;
}

/** Binding requests sent concurrently; later bindings wait in FIFO order. */
export const MAX_BINDS_IN_FLIGHT = 32;

/** Runs async tasks with at most `limit` in flight, the rest in FIFO order. */
export class TaskLimiter {
  readonly #limit: number;
  readonly #waiting: (() => Promise<void>)[] = [];
  #head = 0;
  #running = 0;

  constructor(limit: number) {
    this.#limit = limit;
  }

  /** Starts `task` now or when a slot frees up; task errors are the task's own business. */
  run(task: () => Promise<void>): void {
    if (this.#running < this.#limit) this.#start(task);
    else this.#waiting.push(task);
  }

  #start(task: () => Promise<void>): void {
    this.#running++;
    task()
      .catch(() => undefined)
      .finally(() => {
        this.#running--;
        if (this.#head < this.#waiting.length) {
          const next = this.#waiting[this.#head++];
          if (this.#head > 1024 && this.#head * 2 > this.#waiting.length) {
            this.#waiting.splice(0, this.#head);
            this.#head = 0;
          }
          this.#start(next);
        }
      });
  }
}

/** Longest stretch of back-to-back scheduling cycles before the loop lets other work run. */
export const YIELD_AFTER_MS = 5;

const yieldToEventLoop = (): Promise<void> => new Promise((r) => setImmediate(r));


/** The selector of the workload owning `pod` (for the default topology spread constraints). */
function workloadSelectorFrom(inf: { services: Informer; replicasets: Informer; statefulsets: Informer; rcs: Informer }) {
  return (pod: KObject): Selector | undefined => {
    const ns = pod.metadata.namespace ?? "";
    const owner = (pod.metadata.ownerReferences ?? []).find((o) => o.controller);
    let sel: Selector | undefined;
    if (owner?.kind === "ReplicaSet") sel = selectorOf(inf.replicasets.lister().get(ns, owner.name)?.spec?.selector);
    else if (owner?.kind === "StatefulSet") sel = selectorOf(inf.statefulsets.lister().get(ns, owner.name)?.spec?.selector);
    else if (owner?.kind === "ReplicationController") {
      const rc = inf.rcs.lister().get(ns, owner.name);
      if (rc?.spec?.selector) sel = selectorFromSet(rc.spec.selector);
    }
    for (const svc of inf.services.lister().listNamespace(ns)) {
      const s = svc.spec?.selector;
      if (s && Object.keys(s).length && selectorFromSet(s).matches(pod.metadata.labels)) {
        const svcSel = selectorFromSet(s);
        sel = sel ? sel.add(...svcSel.requirements()) : svcSel;
      }
    }
    return sel;
  };
}

function selectorOf(ls: unknown): Selector | undefined {
  return ls ? selectorFromLabelSelector(ls as never) : undefined;
}

/** Schedules pods until `signal` aborts (one leadership term). */
export async function runSchedulerOnce(o: SchedulerRunOptions, signal: AbortSignal): Promise<void> {
  const { client } = o;
  const informers = new SharedInformerFactory(client);
  const inf = {
    pods: informers.informerFor(res.pods),
    nodes: informers.informerFor(res.nodes),
    namespaces: informers.informerFor(res.namespaces),
    services: informers.informerFor(res.services),
    pdbs: informers.informerFor(res.pdbs),
    replicasets: informers.informerFor(res.replicasets),
    statefulsets: informers.informerFor(res.statefulsets),
    rcs: informers.informerFor(res.rcs),
  };
  const recorder = new EventRecorder(client, { component: "default-scheduler", host: o.identity });
  const pods = client.resource(res.pods);
  const s = Scheduler.fromConfig(o.config, {
    binder: async (pod, nodeName) => {
      await pods.createSubresource(pod.metadata.namespace!, pod.metadata.name!, "binding", {
        apiVersion: "v1",
        kind: "Binding",
        metadata: { name: pod.metadata.name, namespace: pod.metadata.namespace, uid: pod.metadata.uid },
        target: { apiVersion: "v1", kind: "Node", name: nodeName },
      });
    },
    pdbs: () => inf.pdbs.lister().list(),
    namespaceLabels: (ns) => inf.namespaces.lister().get("", ns)?.metadata.labels,
    workloadSelector: workloadSelectorFrom(inf),
  });
  inf.nodes.addEventHandler({ onAdd: (n) => s.onNodeAdd(n), onUpdate: (a, b) => s.onNodeUpdate(a, b), onDelete: (n) => s.onNodeDelete(n) });
  inf.pods.addEventHandler({ onAdd: (p) => s.onPodAdd(p), onUpdate: (a, b) => s.onPodUpdate(a, b), onDelete: (p) => s.onPodDelete(p) });
  informers.start();
  try {
    if (!(await informers.waitForSync(signal))) return;
    s.start();
    signal.addEventListener("abort", () => s.stop(), { once: true });
    const binds = new TaskLimiter(MAX_BINDS_IN_FLIGHT);
    let busyMs = 0;
    while (!signal.aborted) {
      const q = await s.queue.pop();
      if (!q) break;
      const started = performance.now();
      const r = s.scheduleOne(q);
      if (r.kind === "scheduled") binds.run(() => bindAndRecord(s, r, recorder));
      else if (r.kind === "unschedulable") void recordFailure(client, r, recorder);
      busyMs += performance.now() - started;
      if (busyMs >= YIELD_AFTER_MS) {
        await yieldToEventLoop();
        busyMs = 0;
      }
    }
  } finally {
    s.stop();
    informers.stop();
    await recorder.flush().catch(() => undefined);
  }
}

async function bindAndRecord(s: Scheduler, r: Extract<ScheduleOneResult, { kind: "scheduled" }>, recorder: EventRecorder): Promise<void> {
  try {
    const out = await s.bind(r);
    const p = r.pod;
    if (out.ok) recorder.event(p, "Normal", "Scheduled", `Successfully assigned ${p.metadata.namespace}/${p.metadata.name} to ${r.node}`);
    else recorder.event(p, "Warning", "FailedScheduling", out.message);
  } catch (err) {
    log.warn("binding failed", { pod: `${r.pod.metadata.namespace}/${r.pod.metadata.name}`, error: String(err) });
  }
}

async function recordFailure(client: ApiClient, r: Extract<ScheduleOneResult, { kind: "unschedulable" }>, recorder: EventRecorder): Promise<void> {
  const pod = r.pod;
  const pods = client.resource(res.pods);
  const status: Record<string, unknown> = {
    conditions: [{ type: "PodScheduled", status: "False", reason: r.reason, message: r.message, lastProbeTime: null, lastTransitionTime: nowStamp() }],
  };
  if (r.nominatedNodeName !== undefined) status.nominatedNodeName = r.nominatedNodeName || null;
  recorder.event(pod, "Warning", "FailedScheduling", r.message);
  try {
    await pods.patch(pod.metadata.namespace!, pod.metadata.name!, "strategic", { status }, { subresource: "status" });
  } catch (err) {
    if (!isNotFound(err) && !isConflict(err)) log.warn("could not record the scheduling failure", { error: String(err) });
  }
  for (const victim of r.victims) {
    // Like upstream's prepareCandidate: mark the victim DisruptionTarget=True, then delete it.
    const target = {
      type: "DisruptionTarget",
      status: "True",
      reason: "PreemptionByScheduler",
      message: `${pod.spec?.schedulerName ?? "default-scheduler"}: preempting to accommodate a higher priority pod`,
      lastProbeTime: null,
      lastTransitionTime: nowStamp(),
    };
    await pods
      .patch(victim.metadata.namespace!, victim.metadata.name!, "strategic", { status: { conditions: [target] } }, { subresource: "status" })
      .catch((err) => (isNotFound(err) ? undefined : log.warn("could not mark a preemption victim", { error: String(err) })));
    recorder.event(victim, "Normal", "Preempted", `Preempted by pod ${pod.metadata.uid} on node ${r.nominatedNodeName ?? ""}`);
    await pods
      .delete(victim.metadata.namespace!, victim.metadata.name!, { preconditions: { uid: victim.metadata.uid } })
      .catch((err) => (isNotFound(err) ? undefined : log.warn("could not delete a preemption victim", { error: String(err) })));
  }
}

/** Runs the scheduler (with leader election unless disabled) until `signal` aborts or leadership is lost. */
export async function runScheduler(o: SchedulerRunOptions, signal: AbortSignal): Promise<void> {
  if (!o.leaderElect) {
    o.onLeading?.(true);
    await runSchedulerOnce(o, signal);
    return;
  }
  let running: Promise<void> | undefined;
  await runLeaderElection(
    {
      client: o.client,
      namespace: "kube-system",
      name: "kube-scheduler",
      identity: o.identity,
      onStartedLeading: (leading) => {
        o.onLeading?.(true);
        running = runSchedulerOnce(o, leading);
      },
      onStoppedLeading: () => o.onLeading?.(false),
    },
    signal,
  );
  await running;
}
