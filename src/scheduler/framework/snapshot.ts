/**
 * Snapshot: the immutable-per-cycle view of the cluster that plugins read:
 * the NodeInfo list (zone-interleaved order, as upstream's node tree), a map
 * by name, and the lists of nodes having pods with (required anti-)affinity.
 * The cache refreshes a Snapshot in place (`Cache.updateSnapshot`).
 */
import type { KObject } from "../../api/types.ts";
import { NodeInfo } from "./node_info.ts";

export class Snapshot {
  nodeInfoList: NodeInfo[] = [];
  nodeInfoMap = new Map<string, NodeInfo>();
  havePodsWithAffinityList: NodeInfo[] = [];
  havePodsWithRequiredAntiAffinityList: NodeInfo[] = [];
  /** The cache generation this snapshot reflects. */
  generation = 0;

  /** The NodeInfo of `name`, undefined when unknown. */
  get(name: string): NodeInfo | undefined {
    return this.nodeInfoMap.get(name);
  }

  get numNodes(): number {
    return this.nodeInfoList.length;
  }

  /** Rebuilds the derived lists from `nodeInfoMap` and the given node order. */
  rebuildLists(order: string[]): void {
    this.nodeInfoList = [];
    this.havePodsWithAffinityList = [];
    this.havePodsWithRequiredAntiAffinityList = [];
    for (const name of order) {
      const ni = this.nodeInfoMap.get(name);
      if (!ni || !ni.node) continue;
      this.nodeInfoList.push(ni);
      if (ni.podsWithAffinity.length) this.havePodsWithAffinityList.push(ni);
      if (ni.podsWithRequiredAntiAffinity.length) this.havePodsWithRequiredAntiAffinityList.push(ni);
    }
  }

  /** A snapshot built directly from nodes and pods (tests, simulations). Pods without spec.nodeName are ignored. */
  static from(nodes: KObject[], pods: KObject[] = []): Snapshot {
    const s = new Snapshot();
    for (const n of nodes) s.nodeInfoMap.set(n.metadata.name!, new NodeInfo(n));
    for (const p of pods) {
      const name = p.spec?.nodeName;
      if (!name) continue;
      let ni = s.nodeInfoMap.get(name);
      if (!ni) s.nodeInfoMap.set(name, (ni = new NodeInfo()));
      ni.addPod(p);
    }
    s.rebuildLists(zoneOrder(nodes));
    return s;
  }
}

/** The zone of a node: `region:zone` from the well-known topology labels ("" when unlabeled). */
export function nodeZone(node: KObject): string {
  const l = node.metadata.labels ?? {};
  const region = l["topology.kubernetes.io/region"] ?? "";
  const zone = l["topology.kubernetes.io/zone"] ?? "";
  return region || zone ? `${region}:\x00:${zone}` : "";
}

/** Node names interleaved across zones round-robin (upstream nodeTree.list()). */
export function zoneOrder(nodes: KObject[]): string[] {
  const byZone = new Map<string, string[]>();
  for (const n of nodes) {
    const z = nodeZone(n);
    let l = byZone.get(z);
    if (!l) byZone.set(z, (l = []));
    l.push(n.metadata.name!);
  }
  if (byZone.size <= 1) return nodes.map((n) => n.metadata.name!);
  const lists = [...byZone.values()];
  const out: string[] = [];
  for (let i = 0; out.length < nodes.length; i++) for (const l of lists) if (i < l.length) out.push(l[i]);
  return out;
}
