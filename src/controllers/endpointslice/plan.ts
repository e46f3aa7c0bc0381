/**
 * EndpointSlice planning (pure; no I/O): the desired endpoints of a Service
 * grouped by their resolved ports, and the creates, updates and deletes that
 * turn the existing slices into at most `maxPerSlice` endpoints each while
 * moving as few endpoints as possible (upstream's reconciler, simplified:
 * kept endpoints stay in their slice, new ones fill free space first).
 */
import type { KObject } from "../../api/types.ts";
import { canonical, isPodReady, podHostname, podIP, podTargetRef, shouldPodBeInEndpoints } from "../endpoints/pods.ts";
import { podEndpointPorts } from "../endpoints/subsets.ts";

/** Upstream's default --max-endpoints-per-slice. */
export const defaultMaxEndpointsPerSlice = 100;
export const zoneLabel = "topology.kubernetes.io/zone";

export interface SlicePort {
  name: string;
  port: number;
  protocol: string;
  appProtocol?: string;
}

export interface SliceEndpoint {
  addresses: string[];
  conditions: { ready: boolean; serving: boolean; terminating: boolean };
  hostname?: string;
  targetRef: { kind: string; namespace: string; name: string; uid: string };
  nodeName?: string;
  zone?: string;
}

/** Desired endpoints sharing one port set. */
export interface EndpointGroup {
  ports: SlicePort[];
  /** By pod uid. */
  endpoints: Map<string, SliceEndpoint>;
}

/** Identity of an endpoint within a Service's slices. */
export function endpointKey(e: SliceEndpoint): string {
  return e.targetRef?.uid ?? e.addresses[0];
}

/** Canonical key of a port set. */
export function portsKey(ports: SlicePort[] | undefined): string {
  return canonical([...(ports ?? [])].sort((a, b) => a.name.localeCompare(b.name) || a.port - b.port || a.protocol.localeCompare(b.protocol)));
}

/**
 * The desired endpoints of `svc` from its selected pods, grouped by port set.
 * Terminating pods stay (ready false unless publishNotReadyAddresses);
 * pods without an IPv4 address or that finished are left out.
 */
export function desiredGroups(svc: KObject, pods: KObject[], zoneOf: (node: string) => string | undefined): Map<string, EndpointGroup> {
  const publishNotReady = svc.spec?.publishNotReadyAddresses === true;
  const groups = new Map<string, EndpointGroup>();
  for (const pod of pods) {
    if (!shouldPodBeInEndpoints(pod, true)) continue;
    const ip = podIP(pod)!;
    if (ip.includes(":")) continue;
    const ports: SlicePort[] = podEndpointPorts(pod, svc).map((p) => ({ ...p, name: p.name ?? "" }));
    const serving = isPodReady(pod);
    const terminating = !!pod.metadata.deletionTimestamp;
    const ep: SliceEndpoint = {
      addresses: [ip],
      conditions: { ready: publishNotReady || (serving && !terminating), serving, terminating },
      targetRef: podTargetRef(pod),
    };
    const hostname = podHostname(pod, svc);
    if (hostname) ep.hostname = hostname;
    const node = pod.spec?.nodeName;
    if (node) {
      ep.nodeName = node;
      const zone = zoneOf(node);
      if (zone) ep.zone = zone;
    }
    const key = portsKey(ports);
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { ports, endpoints: new Map() }));
    g.endpoints.set(endpointKey(ep), ep);
  }
  return groups;
}

/** What to write: new slices' contents, updated slices (full objects) and slices to delete. */
export interface SlicePlan {
  create: { ports: SlicePort[]; endpoints: SliceEndpoint[] }[];
  update: { slice: KObject; ports: SlicePort[]; endpoints: SliceEndpoint[] }[];
  delete: KObject[];
}

/**
 * Plans the writes that make `existing` (this controller's slices of the
 * Service, owned by it) hold exactly the desired endpoints. With no desired
 * endpoints one empty placeholder slice remains, as upstream keeps.
 * `needsRelabel(slice)` marks slices whose metadata must be rewritten anyway.
 */
export function planSlices(
  existing: KObject[],
  groups: Map<string, EndpointGroup>,
  maxPerSlice: number,
  needsRelabel: (slice: KObject) => boolean,
): SlicePlan {
  const plan: SlicePlan = { create: [], update: [], delete: [] };
  const total = [...groups.values()].reduce((n, g) => n + g.endpoints.size, 0);
  if (total === 0) {
    const placeholder = existing.find((s) => !(s.endpoints ?? []).length && !(s.ports ?? []).length);
    for (const s of existing) if (s !== placeholder) plan.delete.push(s);
    if (!placeholder) plan.create.push({ ports: [], endpoints: [] });
    else if (needsRelabel(placeholder)) plan.update.push({ slice: placeholder, ports: [], endpoints: [] });
    return plan;
  }
  const byPorts = new Map<string, KObject[]>();
  for (const s of existing) {
    const key = portsKey(s.ports);
    const g = groups.get(key);
    if (!g || s.addressType !== "IPv4") {
      plan.delete.push(s);
      continue;
    }
    let list = byPorts.get(key);
    if (!list) byPorts.set(key, (list = []));
    list.push(s);
  }
  for (const [key, g] of groups) {
    const unplaced = new Map(g.endpoints);
    const working: { slice: KObject; endpoints: SliceEndpoint[]; changed: boolean }[] = [];
    for (const s of byPorts.get(key) ?? []) {
      const kept: SliceEndpoint[] = [];
      let changed = needsRelabel(s);
      for (const e of (s.endpoints ?? []) as SliceEndpoint[]) {
        const k = endpointKey(e);
        const want = unplaced.get(k);
        if (!want || kept.length >= maxPerSlice) {
          changed = true;
          continue;
        }
        unplaced.delete(k);
        if (canonical(want) !== canonical(e)) changed = true;
        kept.push(want);
      }
      working.push({ slice: s, endpoints: kept, changed });
    }
    // Fill slices already being rewritten first, then others with room, then new ones.
    const order = [...working.filter((w) => w.changed), ...working.filter((w) => !w.changed)];
    const rest = [...unplaced.values()];
    for (const w of order) {
      while (rest.length && w.endpoints.length < maxPerSlice) {
        w.endpoints.push(rest.shift()!);
        w.changed = true;
      }
    }
    while (rest.length) plan.create.push({ ports: g.ports, endpoints: rest.splice(0, maxPerSlice) });
    for (const w of working) {
      if (!w.endpoints.length) plan.delete.push(w.slice);
      else if (w.changed) plan.update.push({ slice: w.slice, ports: g.ports, endpoints: w.endpoints });
    }
  }
  return plan;
}
