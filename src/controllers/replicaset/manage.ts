/**
 * Bringing a ReplicaSet's pod count to spec.replicas (upstream
 * manageReplicas): creates in slow-start batches (1, 2, 4, ...) and deletes
 * the best-ranked pods, at most burstReplicas per sync, recording
 * expectations first so a lagging cache cannot cause double creates or
 * deletes, and events for every create and delete.
 */
import type { KObject } from "../../api/types.ts";
import { findResource } from "../../api/resources.ts";
import { isNotFound, metaNamespaceKey, type ApiClient, type EventRecorder } from "../../client/index.ts";
import { newControllerRef } from "./controllerref.ts";
import type { Expectations } from "./expectations.ts";
import type { ReplicaKind } from "./kinds.ts";
import { rankPodsForDeletion } from "./pods.ts";

const podsRes = findResource("", "v1", "pods")!;

/** Upstream's BurstReplicas: the most pods created or deleted in one sync. */
export const burstReplicas = 500;
/** Upstream's SlowStartInitialBatchSize. */
export const slowStartInitialBatch = 1;

export interface ManageDeps {
  client: ApiClient;
  recorder: EventRecorder;
  expectations: Expectations;
  kind: ReplicaKind;
}

/**
 * Runs `fn` `count` times in batches of 1, 2, 4, ... (starting at `initial`),
 * stopping after the first batch with a failure. Returns how many calls
 * succeeded and the first error.
 */
export async function slowStartBatch(count: number, initial: number, fn: () => Promise<void>): Promise<{ successes: number; error?: unknown }> {
  let remaining = count;
  let successes = 0;
  for (let batch = Math.min(remaining, initial); batch > 0; batch = Math.min(2 * batch, remaining)) {
    const results = await Promise.allSettled(Array.from({ length: batch }, () => fn()));
    let error: unknown;
    for (const r of results) {
      if (r.status === "fulfilled") successes++;
      else error ??= r.reason;
    }
    if (error !== undefined) return { successes, error };
    remaining -= batch;
  }
  return { successes };
}

/** The pod a controller creates from its template: generateName `<name>-`, template labels, controller reference. */
export function podFromTemplate(owner: KObject, kind: ReplicaKind): KObject {
  const tmpl = owner.spec?.template ?? {};
  const meta = tmpl.metadata ?? {};
  const pod: KObject = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      generateName: `${owner.metadata.name}-`,
      namespace: owner.metadata.namespace,
      labels: { ...(meta.labels ?? {}) },
      ownerReferences: [newControllerRef(owner, kind.apiVersion, kind.kind)],
    },
    spec: structuredClone(tmpl.spec ?? {}),
  };
  if (meta.annotations) pod.metadata.annotations = { ...meta.annotations };
  if (meta.finalizers) pod.metadata.finalizers = [...meta.finalizers];
  return pod;
}

function isNamespaceTerminating(err: unknown): boolean {
  const causes = (err as { details?: { causes?: { reason?: string }[] } })?.details?.causes ?? [];
  return causes.some((c) => c.reason === "NamespaceTerminating");
}

/**
 * Creates or deletes pods so `pods` (the claimed active pods) approaches
 * spec.replicas. `related` are the pods of sibling controllers (same owner),
 * used to rank doubled-up pods first. Throws the first create/delete error
 * after adjusting expectations.
 */
export async function manageReplicas(d: ManageDeps, owner: KObject, pods: KObject[], related: KObject[]): Promise<void> {
  const key = metaNamespaceKey(owner);
  const want = Number(owner.spec?.replicas ?? 1);
  const diff = pods.length - want;
  const podClient = d.client.resource(podsRes);
  const ns = owner.metadata.namespace ?? "";
  if (diff < 0) {
    const n = Math.min(-diff, burstReplicas);
    d.expectations.expectCreations(key, n);
    const { successes, error } = await slowStartBatch(n, slowStartInitialBatch, async () => {
      try {
        const created = await podClient.create(ns, podFromTemplate(owner, d.kind));
        d.recorder.event(owner, "Normal", "SuccessfulCreate", `Created pod: ${created.metadata.name}`);
      } catch (err) {
        if (isNamespaceTerminating(err)) return;
        d.recorder.event(owner, "Warning", "FailedCreate", `Error creating: ${String((err as Error)?.message ?? err)}`);
        throw err;
      }
    });
    if (n - successes > 0) d.expectations.lowerCreations(key, n - successes);
    if (error !== undefined) throw error;
    return;
  }
  if (diff > 0) {
    const n = Math.min(diff, burstReplicas);
    const onNode = new Map<string, number>();
    for (const p of related) {
      const node = p.spec?.nodeName ?? "";
      onNode.set(node, (onNode.get(node) ?? 0) + 1);
    }
    const victims = rankPodsForDeletion(pods, (p) => onNode.get(p.spec?.nodeName ?? "") ?? 0).slice(0, n);
    d.expectations.expectDeletions(key, victims.map(metaNamespaceKey));
    const errors: unknown[] = [];
    await Promise.all(
      victims.map(async (p) => {
        try {
          await podClient.delete(ns, p.metadata.name!);
          d.recorder.event(owner, "Normal", "SuccessfulDelete", `Deleted pod: ${p.metadata.name}`);
        } catch (err) {
          d.expectations.deletionObserved(key, metaNamespaceKey(p));
          if (isNotFound(err)) return;
          d.recorder.event(owner, "Warning", "FailedDelete", `Error deleting: ${String((err as Error)?.message ?? err)}`);
          errors.push(err);
        }
      }),
    );
    if (errors.length) throw errors[0];
  }
}
