/**
 * Pod facts shared by the Endpoints and EndpointSlice controllers (upstream's
 * podutil and endpointutil helpers): readiness, whether a pod belongs in a
 * Service's endpoints at all, and resolution of a Service port's targetPort
 * against a pod's container ports.
 */
import type { KObject } from "../../api/types.ts";

/** True when the pod's Ready condition is True. */
export function isPodReady(pod: KObject): boolean {
  return (pod.status?.conditions ?? []).some((c: { type?: string; status?: string }) => c.type === "Ready" && c.status === "True");
}

/** True for pods in phase Succeeded or Failed. */
export function isPodTerminal(pod: KObject): boolean {
  const phase = pod.status?.phase;
  return phase === "Succeeded" || phase === "Failed";
}

/**
 * Whether a pod may appear in endpoints at all: it has an IP, has not
 * finished, and is not terminating unless `includeTerminating`.
 */
export function shouldPodBeInEndpoints(pod: KObject, includeTerminating: boolean): boolean {
  if (!pod.status?.podIP) return false;
  if (isPodTerminal(pod)) return false;
  if (!includeTerminating && pod.metadata.deletionTimestamp) return false;
  return true;
}

/** The pod's primary IP (status.podIPs[0], else status.podIP). */
export function podIP(pod: KObject): string | undefined {
  return pod.status?.podIPs?.[0]?.ip ?? pod.status?.podIP ?? undefined;
}

/** A Service port as read from spec.ports. */
export interface ServicePort {
  name?: string;
  port: number;
  protocol?: string;
  targetPort?: number | string;
  appProtocol?: string;
}

/**
 * The pod port a Service port targets: a numeric targetPort as is, a named
 * one looked up among the pod's container ports with the same protocol
 * (undefined when no container declares it). A missing targetPort means the
 * Service port itself.
 */
export function findPort(pod: KObject, sp: ServicePort): number | undefined {
  const target = sp.targetPort ?? sp.port;
  if (typeof target === "number") return target;
  const asNumber = /^\d+$/.test(target) ? Number(target) : undefined;
  if (asNumber !== undefined) return asNumber;
  const protocol = sp.protocol ?? "TCP";
  for (const c of (pod.spec?.containers ?? []) as { ports?: { name?: string; containerPort: number; protocol?: string }[] }[]) {
    for (const p of c.ports ?? []) {
      if (p.name === target && (p.protocol ?? "TCP") === protocol) return p.containerPort;
    }
  }
  return undefined;
}

/** The targetRef of an endpoint address pointing at `pod`. */
export function podTargetRef(pod: KObject): { kind: string; namespace: string; name: string; uid: string } {
  return { kind: "Pod", namespace: pod.metadata.namespace!, name: pod.metadata.name!, uid: pod.metadata.uid! };
}

/** The pod's hostname for DNS when its subdomain names the Service (upstream's hostname rule). */
export function podHostname(pod: KObject, service: KObject): string | undefined {
  const h = pod.spec?.hostname;
  return h && pod.spec?.subdomain === service.metadata.name && service.metadata.namespace === pod.metadata.namespace ? h : undefined;
}

/** Stable JSON for comparing desired and observed API fragments (key order independent). */
export function canonical(v: unknown): string {
  return JSON.stringify(v, (_k, x) =>
    x && typeof x === "object" && !Array.isArray(x) ? Object.fromEntries(Object.keys(x).sort().filter((k) => x[k] !== undefined).map((k) => [k, x[k]])) : x,
  );
}
