/**
 * Objects the apiserver keeps in place itself, as upstream's bootstrap
 * controllers do: the default, kube-system, kube-public and kube-node-lease
 * namespaces, the system-node-critical and system-cluster-critical
 * PriorityClasses, and the `kubernetes` Service (first service IP, port 443) with
 * Endpoints and an EndpointSlice pointing at this apiserver. Written through the registry, so they
 * get the same defaulting and validation as any client's objects.
 */
import { findResource } from "../api/resources.ts";
import type { KObject } from "../api/types.ts";
import { StatusError } from "../machinery/errors.ts";
import { createObject } from "./registry/create.ts";
import { objectKey } from "./registry/objects.ts";
import type { Registry, WriteOptions } from "./registry/registry.ts";
import { updateObject } from "./registry/update.ts";

const systemNamespaces = ["default", "kube-system", "kube-public", "kube-node-lease"];

/** Upstream's system PriorityClasses: name, value, description. */
const systemPriorityClasses: [string, number, string][] = [
  ["system-node-critical", 2000001000, "Used for system critical pods that must not be moved from their current node."],
  ["system-cluster-critical", 2000000000, "Used for system critical pods that must run in the cluster, but can be moved to another node if necessary."],
];

function opts(): WriteOptions {
  return { dryRun: false, fieldValidation: "Strict", warnings: [] };
}

async function ensure(reg: Registry, plural: string, namespace: string, obj: KObject, group = ""): Promise<void> {
  const info = findResource(group, "v1", plural)!;
  if (await reg.store.get(objectKey(info, namespace, obj.metadata.name!))) return;
  try {
    await createObject(reg, info, namespace, obj, opts());
  } catch (err) {
    if (!(err instanceof StatusError && err.reason === "AlreadyExists")) throw err;
  }
}

export interface BootstrapOptions {
  firstServiceIp: string;
  /** Address and port other components reach this apiserver at. */
  advertiseAddress: string;
  port: number;
}

/** Creates what is missing; safe to run on every start. */
export async function bootstrap(reg: Registry, o: BootstrapOptions): Promise<void> {
  for (const name of systemNamespaces) {
    await ensure(reg, "namespaces", "", { apiVersion: "v1", kind: "Namespace", metadata: { name } });
  }
  for (const [name, value, description] of systemPriorityClasses) {
    await ensure(reg, "priorityclasses", "", { apiVersion: "scheduling.k8s.io/v1", kind: "PriorityClass", metadata: { name }, value, description }, "scheduling.k8s.io");
  }
  await ensure(reg, "services", "default", {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: "kubernetes", namespace: "default", labels: { component: "apiserver", provider: "kubernetes" } },
    spec: {
      type: "ClusterIP",
      clusterIP: o.firstServiceIp,
      ports: [{ name: "https", port: 443, protocol: "TCP", targetPort: o.port }],
      sessionAffinity: "None",
    },
  });
  const endpoints: KObject = {
    apiVersion: "v1",
    kind: "Endpoints",
    metadata: { name: "kubernetes", namespace: "default", labels: { "endpointslice.kubernetes.io/skip-mirror": "true" } },
    subsets: [{ addresses: [{ ip: o.advertiseAddress }], ports: [{ name: "https", port: o.port, protocol: "TCP" }] }],
  };
  await updateObject(reg, findResource("", "v1", "endpoints")!, "default", "kubernetes", endpoints, "", opts());
  // The same as an EndpointSlice, as upstream's EndpointsAdapter keeps it (EndpointSlice readers see the apiserver too).
  const slice: KObject = {
    apiVersion: "discovery.k8s.io/v1",
    kind: "EndpointSlice",
    metadata: { name: "kubernetes", namespace: "default", labels: { "kubernetes.io/service-name": "kubernetes" } },
    addressType: "IPv4",
    endpoints: [{ addresses: [o.advertiseAddress], conditions: { ready: true } }],
    ports: [{ name: "https", port: o.port, protocol: "TCP" }],
  };
  await updateObject(reg, findResource("discovery.k8s.io", "v1", "endpointslices")!, "default", "kubernetes", slice, "", opts());
}
