/**
 * ControllerRevision history shared by the StatefulSet and DaemonSet
 * controllers (upstream pkg/controller/history): a revision snapshots the
 * owner's pod template; its name is `<owner>-<hash>` where the hash is FNV-32a
 * of the snapshot (plus the owner's collisionCount) in upstream's "safe"
 * alphabet. Helpers find or create the revision matching the current
 * template (bumping collisionCount on a name clash with different data) and
 * prune old revisions no pod uses beyond revisionHistoryLimit.
 */
import { findResource } from "../../api/resources.ts";
import type { KObject } from "../../api/types.ts";
import { isAlreadyExists, type ApiClient } from "../../client/index.ts";
import { deepEqual } from "../../machinery/validation.ts";

export const revisionsResource = findResource("apps", "v1", "controllerrevisions")!;

/** Pod and revision label carrying the revision identity. */
export const controllerRevisionHashLabel = "controller-revision-hash";

const safeAlphabet = "bcdfghjklmnpqrstvwxz2456789";

/** JSON with object keys sorted, so equal values hash equally. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
  if (v && typeof v === "object") {
    const o = v as Record<string, unknown>;
    const keys = Object.keys(o).filter((k) => o[k] !== undefined).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`).join(",")}}`;
  }
  return JSON.stringify(v) ?? "null";
}

/** FNV-32a of a string's UTF-8 bytes. */
export function fnv32a(s: string): number {
  let h = 0x811c9dc5;
  for (const b of new TextEncoder().encode(s)) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** The revision hash of `data` given the owner's collisionCount (deterministic, label-safe). */
export function revisionHash(data: unknown, collisionCount = 0): string {
  const n = fnv32a(canonical(data) + (collisionCount ? `#${collisionCount}` : ""));
  return [...String(n)].map((c) => safeAlphabet[c.charCodeAt(0) % safeAlphabet.length]).join("");
}

/** Revisions controlled by `owner` (by controller ownerReference uid), oldest first. */
export function ownedRevisions(all: KObject[], owner: KObject): KObject[] {
  return all
    .filter((r) => (r.metadata.ownerReferences ?? []).some((o) => o.controller && o.uid === owner.metadata.uid))
    .sort((a, b) => (a.revision ?? 0) - (b.revision ?? 0));
}

export interface EnsuredRevision {
  revision: KObject;
  /** The collisionCount to record in the owner's status. */
  collisionCount: number;
}

/**
 * Returns the revision whose data equals `data`, creating it (with revision
 * number max+1) when absent. An existing equal revision that is not the
 * newest gets its revision number raised to max+1 (a rollback), as upstream.
 * A name clash with different data bumps collisionCount and retries.
 */
export async function ensureRevision(
  client: ApiClient,
  owner: KObject,
  revisions: KObject[],
  data: unknown,
  labels: Record<string, string>,
  collisionCount: number,
): Promise<EnsuredRevision> {
  const res = client.resource(revisionsResource);
  const ns = owner.metadata.namespace!;
  const max = revisions.reduce((m, r) => Math.max(m, r.revision ?? 0), 0);
  const equal = revisions.filter((r) => deepEqual(r.data, data));
  if (equal.length) {
    const r = equal[equal.length - 1];
    if ((r.revision ?? 0) === max) return { revision: r, collisionCount };
    const bumped = await res.patch(ns, r.metadata.name!, "merge", { revision: max + 1 });
    return { revision: bumped, collisionCount };
  }
  for (let cc = collisionCount; cc < collisionCount + 10; cc++) {
    const hash = revisionHash(data, cc);
    const rev: KObject = {
      apiVersion: "apps/v1",
      kind: "ControllerRevision",
      metadata: {
        name: `${owner.metadata.name}-${hash}`,
        namespace: ns,
        labels: { ...labels, [controllerRevisionHashLabel]: hash },
        ownerReferences: [controllerRef(owner)],
      },
      data,
      revision: max + 1,
    };
    try {
      return { revision: await res.create(ns, rev), collisionCount: cc };
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
      const existing = await res.get(ns, rev.metadata.name!);
      const ours = (existing.metadata.ownerReferences ?? []).some((o) => o.uid === owner.metadata.uid);
      if (ours && deepEqual(existing.data, data)) return { revision: existing, collisionCount: cc };
    }
  }
  throw new Error(`could not create a ControllerRevision for ${ns}/${owner.metadata.name}: too many hash collisions`);
}

/**
 * Deletes the oldest revisions not named in `live` until at most `limit`
 * non-live revisions remain. Errors other than NotFound propagate.
 */
export async function truncateHistory(client: ApiClient, revisions: KObject[], live: Set<string>, limit: number): Promise<void> {
  const dead = revisions.filter((r) => !live.has(r.metadata.name!));
  const excess = dead.length - Math.max(0, limit);
  for (const r of dead.slice(0, Math.max(0, excess))) {
    await client
      .resource(revisionsResource)
      .delete(r.metadata.namespace!, r.metadata.name!)
      .catch((err: { code?: number }) => {
        if (err?.code !== 404) throw err;
      });
  }
}

/** A controller ownerReference to `owner` (blockOwnerDeletion set, as upstream). */
export function controllerRef(owner: KObject): { apiVersion: string; kind: string; name: string; uid: string; controller: true; blockOwnerDeletion: true } {
  return { apiVersion: owner.apiVersion!, kind: owner.kind!, name: owner.metadata.name!, uid: owner.metadata.uid!, controller: true, blockOwnerDeletion: true };
}

/** The controller ownerReference uid of `obj`, if any. */
export function controllerUid(obj: KObject): string | undefined {
  return (obj.metadata.ownerReferences ?? []).find((o) => o.controller)?.uid;
}
