/**
 * The garbage collector's view of ownership: the table of resources it
 * watches, work-item keys, and helpers over metadata.ownerReferences and
 * the deletion finalizers ("foregroundDeletion", "orphan").
 */
import { findResource, type ResourceInfo } from "../../api/resources.ts";
import type { KObject, OwnerReference } from "../../api/types.ts";

export type { OwnerReference };

/**
 * Every resource the collector keeps informers on, i.e. the kinds whose
 * ownership it resolves from its caches. Owners of other served kinds are
 * still honoured, but always checked with a live GET.
 */
export const gcResourceTable: readonly [group: string, version: string, plural: string][] = [
  ["", "v1", "pods"],
  ["", "v1", "services"],
  ["", "v1", "endpoints"],
  ["", "v1", "configmaps"],
  ["", "v1", "secrets"],
  ["", "v1", "serviceaccounts"],
  ["", "v1", "persistentvolumeclaims"],
  ["", "v1", "persistentvolumes"],
  ["", "v1", "replicationcontrollers"],
  ["", "v1", "nodes"],
  ["apps", "v1", "deployments"],
  ["apps", "v1", "replicasets"],
  ["apps", "v1", "statefulsets"],
  ["apps", "v1", "daemonsets"],
  ["apps", "v1", "controllerrevisions"],
  ["batch", "v1", "jobs"],
  ["batch", "v1", "cronjobs"],
  ["discovery.k8s.io", "v1", "endpointslices"],
  ["coordination.k8s.io", "v1", "leases"],
  ["policy", "v1", "poddisruptionbudgets"],
];

/** The table as ResourceInfos (every entry is served; a missing one is a programming error). */
export function gcResources(): ResourceInfo[] {
  return gcResourceTable.map(([g, v, p]) => {
    const r = findResource(g, v, p);
    if (!r) throw new Error(`garbage collector: ${g}/${v}/${p} is not served`);
    return r;
  });
}

export const foregroundFinalizer = "foregroundDeletion";
export const orphanFinalizer = "orphan";

/** `group/plural` identifying a resource in work-item keys. */
export function resourceId(r: ResourceInfo): string {
  return `${r.group}/${r.plural}`;
}

/** The work-item key of an object of resource `r`: "group/plural|namespace|name". */
export function itemKey(r: ResourceInfo, namespace: string, name: string): string {
  return `${resourceId(r)}|${namespace}|${name}`;
}

/** Inverse of itemKey. */
export function parseItemKey(key: string): { resource: string; namespace: string; name: string } {
  const [resource, namespace, name] = key.split("|");
  return { resource, namespace, name };
}

export function ownerRefs(o: KObject): OwnerReference[] {
  return o.metadata?.ownerReferences ?? [];
}

export function hasFinalizer(o: KObject, f: string): boolean {
  return (o.metadata?.finalizers ?? []).includes(f);
}

/** Being deleted and waiting for its dependents (foreground deletion). */
export function isDeletingDependents(o: KObject): boolean {
  return !!o.metadata?.deletionTimestamp && hasFinalizer(o, foregroundFinalizer);
}

/** Being deleted and waiting for its dependents to be orphaned. */
export function isOrphaning(o: KObject): boolean {
  return !!o.metadata?.deletionTimestamp && hasFinalizer(o, orphanFinalizer);
}

/** The propagation policy a garbage-collected object is deleted with, from its own finalizers. */
export function policyFor(o: KObject): "Orphan" | "Foreground" | "Background" {
  if (hasFinalizer(o, orphanFinalizer)) return "Orphan";
  if (hasFinalizer(o, foregroundFinalizer)) return "Foreground";
  return "Background";
}

/**
 * Strategic merge patch removing the ownerReferences whose uid is in `uids`
 * (by their merge key, so a stale copy of the object cannot misplace it), and
 * naming the object's uid so that it fails on a recreated object, as
 * upstream's garbage collector patches.
 */
export function removeOwnerRefsPatch(o: KObject, uids: Set<string>): unknown {
  return { metadata: { ownerReferences: [...uids].map((uid) => ({ $patch: "delete", uid })), uid: o.metadata.uid } };
}

/** JSON patch removing finalizer `f` (guarded by a test); undefined when absent. */
export function removeFinalizerPatch(o: KObject, f: string): unknown[] | undefined {
  const i = (o.metadata.finalizers ?? []).indexOf(f);
  if (i < 0) return undefined;
  return [
    { op: "test", path: "/metadata/uid", value: o.metadata.uid },
    { op: "test", path: `/metadata/finalizers/${i}`, value: f },
    { op: "remove", path: `/metadata/finalizers/${i}` },
  ];
}
