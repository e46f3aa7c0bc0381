/**
 * The StatefulSet controller ("statefulset"): stable pod identities
 * `<set>-<ordinal>` with per-ordinal PersistentVolumeClaims, ordered or
 * parallel pod management, RollingUpdate (with partition) and OnDelete
 * updates tracked through ControllerRevisions. Handlers only enqueue set
 * keys; syncStatefulSet reconciles from listers.
 */
import { findResource } from "../../api/resources.ts";
import type { KObject } from "../../api/types.ts";
import { metaNamespaceKey, runWorkers, splitKey, WorkQueue } from "../../client/index.ts";
import { controllerOf, controllerUidIndex, ensureControllerUidIndex } from "../job/index.ts";
import { revisionsResource } from "../revisions/history.ts";
import type { Controller, ControllerContext, ControllerFactory } from "../types.ts";
import { syncStatefulSet, type StatefulSetSyncDeps } from "./sync.ts";

const setsRes = findResource("apps", "v1", "statefulsets")!;
const podsRes = findResource("", "v1", "pods")!;
const claimsRes = findResource("", "v1", "persistentvolumeclaims")!;

class StatefulSetController implements Controller {
  readonly name = "statefulset";
  readonly #queue = new WorkQueue<string>();
  #deps: StatefulSetSyncDeps | undefined;

  init(ctx: ControllerContext): void {
    const sets = ctx.informers.informerFor(setsRes);
    const pods = ctx.informers.informerFor(podsRes);
    const revisions = ctx.informers.informerFor(revisionsResource);
    const claims = ctx.informers.informerFor(claimsRes);
    ensureControllerUidIndex(pods);
    const enqueue = (s: KObject): void => this.#queue.add(metaNamespaceKey(s));
    sets.addEventHandler({ onAdd: enqueue, onUpdate: (_o, n) => enqueue(n), onDelete: enqueue });
    const byPod = (p: KObject): void => {
      const r = controllerOf(p, "StatefulSet");
      if (r) this.#queue.add(`${p.metadata.namespace}/${r.name}`);
    };
    pods.addEventHandler({ onAdd: byPod, onUpdate: (_o, n) => byPod(n), onDelete: byPod });
    this.#deps = {
      client: ctx.client,
      sets: sets.lister(),
      podsOf: (uid) => pods.byIndex(controllerUidIndex, uid),
      revisions: revisions.lister(),
      claims: claims.lister(),
      recorder: ctx.recorder("statefulset-controller"),
      res: { pods: ctx.client.resource(podsRes), claims: ctx.client.resource(claimsRes), sets: ctx.client.resource(setsRes) },
    };
  }

  async run(ctx: ControllerContext, signal: AbortSignal): Promise<void> {
    const deps = this.#deps!;
    await runWorkers(
      this.#queue,
      ctx.settings.workers,
      async (key) => {
        const { namespace, name } = splitKey(key);
        return syncStatefulSet(deps, namespace, name);
      },
      (msg, fields) => ctx.log.warn(`statefulset: ${msg}`, fields),
      signal,
    );
  }
}

/** Factory for the StatefulSet controller (upstream name "statefulset"). */
export const statefulSetController: ControllerFactory = () => new StatefulSetController();
