/**
 * Controller references (upstream ControllerRefManager): finding an object's
 * managing controller, and claiming objects for an owner — adopting orphans
 * that match its selector and releasing owned objects that stopped matching.
 * Adoption and release are strategic-merge patches of metadata.ownerReferences
 * (merge key uid) that also carry the object's uid, so they never touch a
 * recreated object of the same name.
 */
import type { KObject, OwnerReference } from "../../api/types.ts";
import { isNotFound, type ResourceClient } from "../../client/index.ts";
import type { Selector } from "../../machinery/labels.ts";

/** The ownerReference with controller: true, if any. */
export function controllerRefOf(obj: KObject): OwnerReference | undefined {
  return obj.metadata.ownerReferences?.find((r) => r.controller === true);
}

/** A controller ownerReference pointing at `owner` (blockOwnerDeletion set, as upstream). */
export function newControllerRef(owner: KObject, apiVersion: string, kind: string): OwnerReference {
  return { apiVersion, kind, name: owner.metadata.name!, uid: owner.metadata.uid!, controller: true, blockOwnerDeletion: true };
}

export interface ClaimOptions {
  owner: KObject;
  /** apiVersion and kind written into adoption references. */
  apiVersion: string;
  kind: string;
  selector: Selector;
  /** Client of the claimed objects' resource (pods, replicasets). */
  client: ResourceClient;
  /**
   * Called once before the first adoption; rejects (throws) when the owner may
   * not adopt (deleted or replaced since the cache was read). Upstream
   * re-reads the owner from the API here.
   */
  canAdopt(): Promise<void>;
}

/**
 * Returns the objects `owner` controls after claiming: those it already owns
 * and still match, plus adopted orphans that match. Owned objects that no
 * longer match are released (unless the owner is being deleted). Objects
 * being deleted are never adopted. An object that vanished meanwhile is
 * skipped; other API errors are thrown after the loop; a refusing canAdopt()
 * is thrown at once.
 */
export async function claimObjects(objs: KObject[], o: ClaimOptions): Promise<KObject[]> {
  const claimed: KObject[] = [];
  const errors: unknown[] = [];
  const uid = o.owner.metadata.uid!;
  const ownerDeleting = !!o.owner.metadata.deletionTimestamp;
  let adoptChecked = false;
  for (const obj of objs) {
    const ref = controllerRefOf(obj);
    const matches = o.selector.matches(obj.metadata.labels);
    if (!ref && matches && !ownerDeleting && !obj.metadata.deletionTimestamp && !adoptChecked) {
      await o.canAdopt();
      adoptChecked = true;
    }
    try {
      if (ref) {
        if (ref.uid !== uid) continue;
        if (matches) {
          claimed.push(obj);
          continue;
        }
        if (ownerDeleting) continue;
        await release(obj, uid, o.client);
        continue;
      }
      if (!matches || ownerDeleting || obj.metadata.deletionTimestamp) continue;
      const patch = { metadata: { ownerReferences: [newControllerRef(o.owner, o.apiVersion, o.kind)], uid: obj.metadata.uid } };
      const adopted = await o.client.patch(obj.metadata.namespace ?? "", obj.metadata.name!, "strategic", patch);
      claimed.push(adopted);
    } catch (err) {
      if (isNotFound(err)) continue;
      errors.push(err);
    }
  }
  if (errors.length) throw errors[0];
  return claimed;
}

async function release(obj: KObject, ownerUid: string, client: ResourceClient): Promise<void> {
  const patch = { metadata: { ownerReferences: [{ $patch: "delete", uid: ownerUid }], uid: obj.metadata.uid } };
  try {
    await client.patch(obj.metadata.namespace ?? "", obj.metadata.name!, "strategic", patch);
  } catch (err) {
    if (isNotFound(err)) return;
    if ((err as { code?: number }).code === 422) return;
    throw err;
  }
}
