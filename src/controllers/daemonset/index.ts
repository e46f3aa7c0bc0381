/**
 * The DaemonSet controller ("daemonset"): one pod per eligible node
 * (nodeSelector, required node affinity, taints against tolerations including
 * the daemon-pod ones upstream adds), pods pinned with required node affinity
 * and bound by the scheduler, RollingUpdate (maxUnavailable / maxSurge) and
 * OnDelete via ControllerRevisions. Handlers only enqueue keys; node events
 * enqueue every DaemonSet.
 */
import { findResource } from "../../api/resources.ts";
import type { KObject } from "../../api/types.ts";
import { metaNamespaceKey, runWorkers, splitKey, WorkQueue } from "../../client/index.ts";
import { controllerOf, controllerUidIndex, ensureControllerUidIndex } from "../job/index.ts";
import { Expectations, ownedPodHandlers } from "../job/podcontrol.ts";
import { revisionsResource } from "../revisions/history.ts";
import type { Controller, ControllerContext, ControllerFactory } from "../types.ts";
import { syncDaemonSet, type DaemonSetSyncDeps } from "./sync.ts";

const setsRes = findResource("apps", "v1", "daemonsets")!;
const podsRes = findResource("", "v1", "pods")!;
const nodesRes = findResource("", "v1", "nodes")!;

class DaemonSetController implements Controller {
  readonly name = "daemonset";
  readonly #queue = new WorkQueue<string>();
  #deps: DaemonSetSyncDeps | undefined;

  init(ctx: ControllerContext): void {
    const sets = ctx.informers.informerFor(setsRes);
    const pods = ctx.informers.informerFor(podsRes);
    const nodes = ctx.informers.informerFor(nodesRes);
    const revisions = ctx.informers.informerFor(revisionsResource);
    ensureControllerUidIndex(pods);
    const exp = new Expectations();
    const enqueue = (s: KObject): void => this.#queue.add(metaNamespaceKey(s));
    sets.addEventHandler({ onAdd: enqueue, onUpdate: (_o, n) => enqueue(n), onDelete: enqueue });
    pods.addEventHandler(ownedPodHandlers("DaemonSet", exp, (k) => this.#queue.add(k), controllerOf));
    const all = (): void => {
      for (const s of sets.lister().list()) enqueue(s);
    };
    const nodeChanged = (o: KObject, n: KObject): void => {
      const same = JSON.stringify([o.metadata.labels, o.spec, o.status?.conditions?.map((c: { type: string; status: string }) => c.status)]);
      if (o === n || same !== JSON.stringify([n.metadata.labels, n.spec, n.status?.conditions?.map((c: { type: string; status: string }) => c.status)])) all();
    };
    nodes.addEventHandler({ onAdd: all, onUpdate: nodeChanged, onDelete: all });
    this.#deps = {
      client: ctx.client,
      sets: sets.lister(),
      nodes: nodes.lister(),
      podsOf: (uid) => pods.byIndex(controllerUidIndex, uid),
      revisions: revisions.lister(),
      exp,
      recorder: ctx.recorder("daemonset-controller"),
      res: { pods: ctx.client.resource(podsRes), sets: ctx.client.resource(setsRes) },
    };
  }

  async run(ctx: ControllerContext, signal: AbortSignal): Promise<void> {
    const deps = this.#deps!;
    await runWorkers(
      this.#queue,
      ctx.settings.workers,
      async (key) => {
        const { namespace, name } = splitKey(key);
        return syncDaemonSet(deps, key, namespace, name);
      },
      (msg, fields) => ctx.log.warn(`daemonset: ${msg}`, fields),
      signal,
    );
  }
}

/** Factory for the DaemonSet controller (upstream name "daemonset"). */
export const daemonSetController: ControllerFactory = () => new DaemonSetController();
