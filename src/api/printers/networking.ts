/**
 * Tables of networking.k8s.io/v1 (Ingress, IngressClass, NetworkPolicy) and
 * discovery.k8s.io/v1 (EndpointSlice).
 */

import type { KObject } from "../types.ts";
import { age, formatLabelSelector, listWithMore, loadBalancerIngress, str } from "./format.ts";
import { ageCol, col, nameCol, type Printer } from "./types.ts";

const name = (o: KObject) => str(o.metadata.name);

/** The HOSTS cell: up to three rule hosts, "*" when no rule names a host. */
export function ingressHosts(rules: { host?: string }[] | undefined): string {
  const list: string[] = [];
  const all = rules ?? [];
  const max = 3;
  let more = false;
  for (const rule of all) {
    if (list.length === max) more = true;
    if (!more && rule.host) list.push(rule.host);
  }
  if (list.length === 0) return "*";
  const s = list.join(",");
  return more ? `${s} + ${all.length - max} more...` : s;
}

/** Ingress: Name, Class, Hosts, Address, Ports, Age. */
export const ingressPrinter: Printer = {
  columns: [
    nameCol(),
    col("Class", "string", "Ingress class handling the ingress."),
    col("Hosts", "string", "Hosts the ingress rules match."),
    col("Address", "string", "Load-balancer addresses of the ingress."),
    col("Ports", "string", "Ports the ingress is served on."),
    ageCol(),
  ],
  cells: (o, now) => [
    name(o),
    typeof o.spec?.ingressClassName === "string" ? o.spec.ingressClassName : "<none>",
    ingressHosts(o.spec?.rules),
    loadBalancerIngress(o.status?.loadBalancer?.ingress),
    (o.spec?.tls ?? []).length > 0 ? "80, 443" : "80",
    age(o, now),
  ],
};

/** IngressClass: Name, Controller, Parameters (`Kind[.group]/name`), Age. */
export const ingressClassPrinter: Printer = {
  columns: [
    nameCol(),
    col("Controller", "string", "Controller implementing the class."),
    col("Parameters", "string", "Resource holding the class's parameters."),
    ageCol(),
  ],
  cells(o, now) {
    const p = o.spec?.parameters;
    let params = "<none>";
    if (p) {
      params = str(p.kind);
      if (typeof p.apiGroup === "string") params += `.${p.apiGroup}`;
      params += `/${str(p.name)}`;
    }
    return [name(o), str(o.spec?.controller), params, age(o, now)];
  },
};

/** NetworkPolicy: Name, Pod-Selector, Age. */
export const networkPolicyPrinter: Printer = {
  columns: [nameCol(), col("Pod-Selector", "string", "Pods the policy applies to."), ageCol()],
  cells: (o, now) => [name(o), formatLabelSelector(o.spec?.podSelector ?? {}), age(o, now)],
};

/** EndpointSlice: Name, AddressType, Ports, Endpoints, Age. */
export const endpointSlicePrinter: Printer = {
  columns: [
    nameCol(),
    col("AddressType", "string", "Address family of the endpoints."),
    col("Ports", "string", "Ports of the endpoints."),
    col("Endpoints", "string", "Addresses of the endpoints."),
    ageCol(),
  ],
  cells(o, now) {
    const ports = (o.ports ?? []).map((p: { port?: number; name?: string }) =>
      typeof p.port === "number" ? String(p.port) : typeof p.name === "string" ? p.name : "*",
    );
    const addresses = (o.endpoints ?? []).flatMap((e: { addresses?: string[] }) => e.addresses ?? []);
    return [name(o), str(o.addressType), listWithMore(ports), listWithMore(addresses), age(o, now)];
  },
};
