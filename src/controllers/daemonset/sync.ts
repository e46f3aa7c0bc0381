/**
 * The DaemonSet reconcile function (upstream syncDaemonSet): ensures the
 * update ControllerRevision, then per node decides whether a daemon pod
 * should run there; creates missing pods (pinned by node affinity),
 * deletes failed, duplicate and misscheduled pods (but keeps a pod on a node
 * it may still run on, e.g. one newly tainted NoSchedule; and deletes pods
 * for nodes that no longer exist), performs the RollingUpdate (maxUnavailable, or maxSurge:
 * new pod first, old one deleted once the new one is available) and writes
 * status. Creates and deletes go through expectations so a stale cache never
 * double-creates.
 */
import type { KObject } from "../../api/types.ts";
import { isNotFound, type ApiClient, type EventRecorder, type Lister, type ReconcileResult } from "../../client/index.ts";
import { deepEqual } from "../../machinery/validation.ts";
import { slowStartBatch, type Expectations } from "../job/podcontrol.ts";
import { controllerRevisionHashLabel, ensureRevision, ownedRevisions, truncateHistory } from "../revisions/history.ts";
import { availableIn, isRunningAndReady } from "../statefulset/pods.ts";
import { newDaemonPod, nodeShouldContinueRunning, nodeShouldRun, podNode, scaled } from "./predicates.ts";

export interface DaemonSetSyncDeps {
  client: ApiClient;
  sets: Lister<KObject>;
  nodes: Lister<KObject>;
  podsOf(uid: string): KObject[];
  revisions: Lister<KObject>;
  exp: Expectations;
  recorder: EventRecorder;
  res: { pods: ReturnType<ApiClient["resource"]>; sets: ReturnType<ApiClient["resource"]> };
}

const hashOf = (p: KObject): string | undefined => p.metadata.labels?.[controllerRevisionHashLabel];
const terminating = (p: KObject): boolean => !!p.metadata.deletionTimestamp;
const failed = (p: KObject): boolean => p.status?.phase === "Failed" || p.status?.phase === "Succeeded";

/** Reconciles DaemonSet `namespace/name`; throws to be retried. */
export async function syncDaemonSet(d: DaemonSetSyncDeps, key: string, namespace: string, name: string): Promise<ReconcileResult | void> {
  const ds = d.sets.get(namespace, name);
  if (!ds) {
    d.exp.delete(key);
    return;
  }
  if (ds.metadata.deletionTimestamp) return;
  const spec = ds.spec ?? {};
  const template = spec.template ?? {};
  const now = Date.now();
  const revs = ownedRevisions(d.revisions.listNamespace(namespace), ds);
  const data = { spec: { template: { ...structuredClone(template), $patch: "replace" } } };
  const ensured = await ensureRevision(d.client, ds, revs, data, { ...(template.metadata?.labels ?? {}) }, ds.status?.collisionCount ?? 0);
  const hash = ensured.revision.metadata.labels![controllerRevisionHashLabel];

  const nodes = d.nodes.list();
  const byNode = new Map<string, KObject[]>();
  for (const p of d.podsOf(ds.metadata.uid!)) {
    const n = podNode(p);
    if (!n) continue;
    byNode.set(n, [...(byNode.get(n) ?? []), p]);
  }
  const minReady: number = spec.minReadySeconds ?? 0;
  const available = (p: KObject): boolean => !terminating(p) && availableIn(p, minReady, now) === 0;
  const eligible = nodes.filter((n) => nodeShouldRun(n, template.spec ?? {}));
  const eligibleNames = new Set(eligible.map((n) => n.metadata.name!));

  const toCreate: string[] = [];
  const toDelete: KObject[] = [];
  const surge = spec.updateStrategy?.type !== "OnDelete" ? scaled(spec.updateStrategy?.rollingUpdate?.maxSurge, eligible.length, 0) : 0;
  const nodeByName = new Map(nodes.map((n) => [n.metadata.name!, n]));
  for (const [node, pods] of byNode) {
    if (eligibleNames.has(node)) continue;
    const n = nodeByName.get(node);
    // A pod may stay on a node it should no longer be placed on (e.g. a new NoSchedule taint), failed ones go.
    const stay = n !== undefined && nodeShouldContinueRunning(n, template.spec ?? {});
    toDelete.push(...pods.filter((p) => !terminating(p) && (!stay || failed(p))));
  }
  for (const n of eligible) {
    const pods = (byNode.get(n.metadata.name!) ?? []).filter((p) => !terminating(p));
    const bad = pods.filter(failed);
    toDelete.push(...bad);
    const running = pods.filter((p) => !failed(p)).sort((a, b) => String(a.metadata.creationTimestamp).localeCompare(String(b.metadata.creationTimestamp)));
    const anyTerminating = (byNode.get(n.metadata.name!) ?? []).some(terminating);
    if (!running.length) {
      if (!anyTerminating || bad.length) toCreate.push(n.metadata.name!);
      continue;
    }
    const keepTwo = surge > 0 && running.length === 2 && hashOf(running[0]) !== hash && hashOf(running[1]) === hash;
    if (running.length > 1 && !keepTwo) toDelete.push(...running.slice(1));
  }

  if (d.exp.satisfied(key)) {
    if (spec.updateStrategy?.type !== "OnDelete") rollingUpdate(ds, eligible, byNode, hash, surge, available, toCreate, toDelete);
    await deletePods(d, key, ds, [...new Set(toDelete)]);
    await createPods(d, key, ds, template, toCreate, hash);
  }

  let wait = Infinity;
  let desired = 0, current = 0, misscheduled = 0, ready = 0, avail = 0, updated = 0;
  for (const n of nodes) {
    const pods = (byNode.get(n.metadata.name!) ?? []).filter((p) => !terminating(p));
    const should = eligibleNames.has(n.metadata.name!);
    if (should) desired++;
    if (!pods.length) continue;
    if (!should) {
      misscheduled++;
      continue;
    }
    current++;
    const pod = pods.find((p) => hashOf(p) === hash) ?? pods[0];
    if (hashOf(pod) === hash) updated++;
    if (isRunningAndReady(pod)) ready++;
    const t = availableIn(pod, minReady, now);
    if (t === 0) avail++;
    else if (t < Infinity) wait = Math.min(wait, t);
  }
  const status: Record<string, unknown> = {
    observedGeneration: ds.metadata.generation,
    desiredNumberScheduled: desired,
    currentNumberScheduled: current,
    numberMisscheduled: misscheduled,
    numberReady: ready,
    numberAvailable: avail,
    numberUnavailable: Math.max(0, desired - avail),
    updatedNumberScheduled: updated,
    collisionCount: ensured.collisionCount,
  };
  const live = new Set<string>([ensured.revision.metadata.name!]);
  for (const r of revs) if ([...byNode.values()].flat().some((p) => hashOf(p) === r.metadata.labels?.[controllerRevisionHashLabel])) live.add(r.metadata.name!);
  await truncateHistory(d.client, revs, live, spec.revisionHistoryLimit ?? 10);
  const old = ds.status ?? {};
  if (Object.entries(status).some(([k, v]) => !deepEqual(old[k], v))) await d.res.sets.patch(namespace, name, "merge", { status }, { subresource: "status" });
  return wait < Infinity ? { requeueAfterMs: wait + 50 } : undefined;
}

/**
 * Adds rolling-update work to toCreate/toDelete. Without surge: old pods that
 * are unavailable go first, then available ones while the number of
 * unavailable nodes stays within maxUnavailable. With surge: a new pod is
 * added beside an available old one (up to maxSurge at once); the old pod is
 * deleted once its replacement is available; unavailable old pods are
 * replaced at once.
 */
function rollingUpdate(
  ds: KObject,
  eligible: KObject[],
  byNode: Map<string, KObject[]>,
  hash: string,
  surge: number,
  available: (p: KObject) => boolean,
  toCreate: string[],
  toDelete: KObject[],
): void {
  const ru = ds.spec?.updateStrategy?.rollingUpdate ?? {};
  let maxUnavailable = scaled(ru.maxUnavailable, eligible.length, 1);
  if (maxUnavailable === 0 && surge === 0) maxUnavailable = 1;
  const pending = new Set(toDelete);
  let unavailable = 0;
  const oldAvailable: KObject[] = [];
  let surging = 0;
  for (const n of eligible) {
    const pods = (byNode.get(n.metadata.name!) ?? []).filter((p) => !terminating(p) && !failed(p) && !pending.has(p));
    const oldPods = pods.filter((p) => hashOf(p) !== hash);
    const newPod = pods.find((p) => hashOf(p) === hash);
    if (!pods.some(available)) unavailable++;
    if (!oldPods.length) continue;
    if (surge > 0) {
      if (newPod) {
        surging++;
        if (available(newPod)) toDelete.push(...oldPods);
      } else if (!oldPods.some(available)) {
        toDelete.push(...oldPods);
      } else oldAvailable.push(oldPods[0]);
      continue;
    }
    if (newPod) continue;
    if (!oldPods.some(available)) toDelete.push(...oldPods);
    else oldAvailable.push(oldPods[0]);
  }
  if (surge > 0) {
    for (const p of oldAvailable) {
      if (surging >= surge) break;
      toCreate.push(podNode(p)!);
      surging++;
    }
    return;
  }
  for (const p of oldAvailable) {
    if (unavailable >= maxUnavailable) break;
    toDelete.push(p);
    unavailable++;
  }
}

async function deletePods(d: DaemonSetSyncDeps, key: string, ds: KObject, pods: KObject[]): Promise<void> {
  await Promise.all(
    pods.map(async (p) => {
      d.exp.expectDeletion(key, p.metadata.uid!);
      try {
        await d.res.pods.delete(p.metadata.namespace!, p.metadata.name!, { preconditions: { uid: p.metadata.uid } });
        d.recorder.event(ds, "Normal", "SuccessfulDelete", `Deleted pod: ${p.metadata.name}`);
      } catch (err) {
        d.exp.deletionObserved(key, p.metadata.uid!);
        if (!isNotFound(err)) throw err;
      }
    }),
  );
}

async function createPods(d: DaemonSetSyncDeps, key: string, ds: KObject, template: Record<string, any>, nodes: string[], hash: string): Promise<void> {
  if (!nodes.length) return;
  d.exp.expectCreations(key, nodes.length);
  const res = await slowStartBatch(nodes.length, async (i) => {
    const pod = await d.res.pods.create(ds.metadata.namespace!, newDaemonPod(ds, template, nodes[i], hash));
    d.recorder.event(ds, "Normal", "SuccessfulCreate", `Created pod: ${pod.metadata.name}`);
  });
  for (let i = res.ok; i < nodes.length; i++) d.exp.creationObserved(key);
  if (res.error) {
    d.recorder.event(ds, "Warning", "FailedCreate", `Error creating: ${String((res.error as Error)?.message ?? res.error)}`);
    throw res.error;
  }
}
