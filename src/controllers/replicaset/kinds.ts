/**
 * The two kinds the replica controller manages: apps/v1 ReplicaSet (a
 * LabelSelector) and core/v1 ReplicationController (a map selector). The
 * sync logic is shared; a ReplicaKind says how the kinds differ.
 */
import { findResource, type ResourceInfo } from "../../api/resources.ts";
import type { KObject } from "../../api/types.ts";
import { nothing, selectorFromLabelSelector, selectorFromSet, type Selector } from "../../machinery/labels.ts";

export interface ReplicaKind {
  /** Controller name as upstream's --controllers spells it. */
  controllerName: string;
  /** Event source component. */
  component: string;
  resource: ResourceInfo;
  apiVersion: string;
  kind: string;
  /** The pod selector of an object of this kind (matches nothing when invalid or absent). */
  selector(obj: KObject): Selector;
}

function safe(fn: () => Selector): Selector {
  try {
    return fn();
  } catch {
    return nothing();
  }
}

export const replicaSetKind: ReplicaKind = {
  controllerName: "replicaset",
  component: "replicaset-controller",
  resource: findResource("apps", "v1", "replicasets")!,
  apiVersion: "apps/v1",
  kind: "ReplicaSet",
  selector: (rs) => safe(() => selectorFromLabelSelector(rs.spec?.selector)),
};

export const replicationControllerKind: ReplicaKind = {
  controllerName: "replicationcontroller",
  component: "replication-controller",
  resource: findResource("", "v1", "replicationcontrollers")!,
  apiVersion: "v1",
  kind: "ReplicationController",
  selector: (rc) => {
    const sel = rc.spec?.selector as Record<string, string> | undefined;
    if (!sel || Object.keys(sel).length === 0) return nothing();
    return safe(() => selectorFromSet(sel));
  },
};
