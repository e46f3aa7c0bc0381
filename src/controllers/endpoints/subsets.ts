/**
 * The desired core/v1 Endpoints of a Service, computed from its pods (pure;
 * no I/O): one subset per distinct set of resolved ports, ready pods under
 * `addresses`, not-ready ones under `notReadyAddresses`, sorted so equal
 * inputs give byte-equal output. Mirrors upstream's endpoints controller
 * plus RepackSubsets.
 */
import type { KObject } from "../../api/types.ts";
import { canonical, findPort, isPodReady, podHostname, podIP, podTargetRef, shouldPodBeInEndpoints, type ServicePort } from "./pods.ts";

/** Upstream's cap on addresses in one Endpoints object. */
export const maxEndpointsPerObject = 1000;
/** Annotation set when addresses were dropped because of the cap. */
export const overCapacityAnnotation = "endpoints.kubernetes.io/over-capacity";

export interface EndpointAddress {
  ip: string;
  hostname?: string;
  nodeName?: string;
  targetRef: { kind: string; namespace: string; name: string; uid: string };
}

export interface EndpointPort {
  name?: string;
  port: number;
  protocol: string;
  appProtocol?: string;
}

export interface EndpointSubset {
  addresses?: EndpointAddress[];
  notReadyAddresses?: EndpointAddress[];
  ports?: EndpointPort[];
}

/** True for headless Services (clusterIP None). */
export function isHeadless(svc: KObject): boolean {
  return svc.spec?.clusterIP === "None";
}

/** The endpoint ports `pod` serves for `svc` (ports whose targetPort cannot be resolved are left out). */
export function podEndpointPorts(pod: KObject, svc: KObject): EndpointPort[] {
  const out: EndpointPort[] = [];
  for (const sp of (svc.spec?.ports ?? []) as ServicePort[]) {
    const port = findPort(pod, sp);
    if (port === undefined) continue;
    const ep: EndpointPort = { port, protocol: sp.protocol ?? "TCP" };
    if (sp.name) ep.name = sp.name;
    if (sp.appProtocol) ep.appProtocol = sp.appProtocol;
    out.push(ep);
  }
  return out.sort(comparePorts);
}

function comparePorts(a: EndpointPort, b: EndpointPort): number {
  return (a.name ?? "").localeCompare(b.name ?? "") || a.port - b.port || a.protocol.localeCompare(b.protocol);
}

function compareAddresses(a: EndpointAddress, b: EndpointAddress): number {
  return a.ip.localeCompare(b.ip) || a.targetRef.uid.localeCompare(b.targetRef.uid);
}

/**
 * The subsets of `svc` given the pods its selector matches, and whether the
 * 1000-address cap truncated them (ready addresses are kept first).
 */
export function desiredSubsets(svc: KObject, pods: KObject[]): { subsets: EndpointSubset[]; truncated: boolean } {
  const publishNotReady = svc.spec?.publishNotReadyAddresses === true;
  const servicePorts = (svc.spec?.ports ?? []) as ServicePort[];
  const groups = new Map<string, { ports: EndpointPort[]; ready: EndpointAddress[]; notReady: EndpointAddress[] }>();
  for (const pod of pods) {
    if (!shouldPodBeInEndpoints(pod, publishNotReady)) continue;
    const ports = podEndpointPorts(pod, svc);
    if (servicePorts.length === 0 ? !isHeadless(svc) : ports.length === 0) continue;
    const addr: EndpointAddress = { ip: podIP(pod)!, targetRef: podTargetRef(pod) };
    const hostname = podHostname(pod, svc);
    if (hostname) addr.hostname = hostname;
    if (pod.spec?.nodeName) addr.nodeName = pod.spec.nodeName;
    const key = canonical(ports);
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { ports, ready: [], notReady: [] }));
    (publishNotReady || isPodReady(pod) ? g.ready : g.notReady).push(addr);
  }
  let budget = maxEndpointsPerObject;
  let truncated = false;
  const sorted = [...groups.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([, g]) => g);
  for (const list of ["ready", "notReady"] as const) {
    for (const g of sorted) {
      g[list].sort(compareAddresses);
      if (g[list].length > budget) {
        g[list] = g[list].slice(0, budget);
        truncated = true;
      }
      budget -= g[list].length;
    }
  }
  const subsets: EndpointSubset[] = [];
  for (const g of sorted) {
    if (!g.ready.length && !g.notReady.length) continue;
    const s: EndpointSubset = {};
    if (g.ready.length) s.addresses = g.ready;
    if (g.notReady.length) s.notReadyAddresses = g.notReady;
    if (g.ports.length) s.ports = g.ports;
    subsets.push(s);
  }
  return { subsets, truncated };
}
