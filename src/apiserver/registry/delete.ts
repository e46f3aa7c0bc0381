/**
 * Delete with upstream's semantics: preconditions (uid, resourceVersion),
 * propagation policy finalizers (foreground, orphan), graceful deletion of
 * pods on nodes, objects with finalizers only marked (deletionTimestamp),
 * everything else removed with a compare-and-swap on the read revision.
 */
import type { ResourceInfo } from "../../api/resources.ts";
import type { KObject } from "../../api/types.ts";
import { badRequest, conflict, notFound, StatusError } from "../../machinery/errors.ts";
import { KeyNotFoundError, RevisionMismatchError } from "../../storage/types.ts";
import { decodeStored } from "../watchcache.ts";
import { encodeForStorage, nowTimestamp, objectKey, toRequestVersion, toStorageVersion } from "./objects.ts";
import type { Registry } from "./registry.ts";
import { gracefulDeletionSeconds } from "./strategy.ts";

/** meta/v1 DeleteOptions as accepted from the body or the query. */
export interface DeleteOptions {
  gracePeriodSeconds?: number;
  propagationPolicy?: "Foreground" | "Background" | "Orphan";
  orphanDependents?: boolean;
  preconditions?: { uid?: string; resourceVersion?: string };
  dryRun: boolean;
}

export interface DeleteOutcome {
  /** The object as it was deleted, or as it now is when only marked for deletion. */
  obj: KObject;
  /** True when the object is gone from the store; false when it was only marked. */
  deleted: boolean;
}

const policies = new Set(["Foreground", "Background", "Orphan"]);

/** Validates and normalises DeleteOptions (400 on contradictions). */
export function checkDeleteOptions(o: DeleteOptions): DeleteOptions {
  if (o.propagationPolicy !== undefined && !policies.has(o.propagationPolicy)) {
    throw new StatusError("Invalid", `DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: Unsupported value: "${o.propagationPolicy}": supported values: "Foreground", "Background", "Orphan"`);
  }
  if (o.orphanDependents !== undefined && o.propagationPolicy !== undefined) {
    throw badRequest("DeleteOptions: orphanDependents and propagationPolicy cannot both be set");
  }
  if (o.gracePeriodSeconds !== undefined && (!Number.isInteger(o.gracePeriodSeconds) || o.gracePeriodSeconds < 0)) {
    if (o.gracePeriodSeconds < 0) o.gracePeriodSeconds = 1;
    else throw badRequest("DeleteOptions: gracePeriodSeconds must be an integer");
  }
  return o;
}

function finalizersFor(o: DeleteOptions): string | undefined {
  if (o.propagationPolicy === "Foreground") return "foregroundDeletion";
  if (o.propagationPolicy === "Orphan" || o.orphanDependents === true) return "orphan";
  return undefined;
}

/** Deletes (or marks for deletion) one object. */
export async function deleteObject(
  reg: Registry,
  info: ResourceInfo,
  namespace: string,
  name: string,
  opts: DeleteOptions,
): Promise<DeleteOutcome> {
  const key = objectKey(info, namespace, name);
  const qr = { group: info.group, resource: info.plural };
  for (let attempt = 0; attempt < 16; attempt++) {
    const kv = await reg.store.get(key);
    if (!kv) throw notFound(qr, name);
    const cur = decodeStored(kv.value, kv.modRevision);
    const pre = opts.preconditions;
    if (pre?.uid && pre.uid !== cur.metadata.uid) {
      throw conflict(qr, name, `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${cur.metadata.uid}`);
    }
    if (pre?.resourceVersion && pre.resourceVersion !== cur.metadata.resourceVersion) {
      throw conflict(
        qr,
        name,
        `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${cur.metadata.resourceVersion}`,
      );
    }
    const next = structuredClone(cur) as KObject;
    const m = next.metadata;
    const extra = finalizersFor(opts);
    if (extra && !(m.finalizers ?? []).includes(extra)) m.finalizers = [...(m.finalizers ?? []), extra];
    const grace = gracefulDeletionSeconds(info, cur, opts.gracePeriodSeconds);
    let mark = false;
    if (info.kind === "Namespace") {
      mark = true;
      next.status = { ...(next.status ?? {}), phase: "Terminating" };
      if (!m.deletionTimestamp) {
        m.deletionTimestamp = nowTimestamp();
        m.deletionGracePeriodSeconds = 0;
      }
      if (!(next.spec?.finalizers?.length) && !(m.finalizers?.length)) mark = false;
    } else if (m.finalizers?.length) {
      mark = true;
      if (!m.deletionTimestamp) {
        m.deletionTimestamp = nowTimestamp();
        m.deletionGracePeriodSeconds = grace ?? 0;
      }
    } else if (grace !== undefined) {
      mark = true;
      const deadline = nowTimestamp(new Date(Date.now() + grace * 1000));
      if (!m.deletionTimestamp || (m.deletionGracePeriodSeconds ?? Infinity) > grace) {
        m.deletionTimestamp = deadline;
        m.deletionGracePeriodSeconds = grace;
      }
    }
    try {
      if (mark) {
        if (JSON.stringify(next) === JSON.stringify(cur)) return { obj: toRequestVersion(info, cur), deleted: false };
        if (opts.dryRun) return { obj: toRequestVersion(info, next), deleted: false };
        const res = await reg.store.update(key, encodeForStorage(toStorageVersion(info, next)), kv.modRevision);
        next.metadata.resourceVersion = String(res.revision);
        return { obj: toRequestVersion(info, next), deleted: false };
      }
      if (opts.dryRun) return { obj: toRequestVersion(info, cur), deleted: true };
      const res = await reg.store.delete(key, kv.modRevision);
      if (info.kind === "Service") reg.allocators.releaseUnused(cur, undefined);
      cur.metadata.resourceVersion = String(res.revision);
      return { obj: toRequestVersion(info, cur), deleted: true };
    } catch (err) {
      if (err instanceof RevisionMismatchError || err instanceof KeyNotFoundError) continue;
      throw err;
    }
  }
  throw conflict(qr, name, "the object is changing too fast to delete; try again");
}
