/**
 * Tables of the core (v1) group other than Pod and Event: Namespace, Service,
 * Endpoints, ConfigMap, Secret, ServiceAccount, Node, PersistentVolume,
 * PersistentVolumeClaim, ResourceQuota and ReplicationController.
 */

import type { KObject } from "../types.ts";
import {
  age,
  containerCells,
  formatLabels,
  int,
  joinHostPort,
  loadBalancerIngress,
  str,
} from "./format.ts";
import { canonicalQuantity } from "./quantity.ts";
import { ageCol, col, containerCols, nameCol, selectorCol, type Printer } from "./types.ts";

const name = (o: KObject) => str(o.metadata.name);

/** Namespace: Name, Status, Age. */
export const namespacePrinter: Printer = {
  columns: [nameCol(), col("Status", "string", "Lifecycle phase of the namespace."), ageCol()],
  cells: (o, now) => [name(o), str(o.status?.phase), age(o, now)],
};

function serviceExternalIP(svc: KObject): string {
  const spec = svc.spec ?? {};
  const externalIPs: string[] = spec.externalIPs ?? [];
  switch (spec.type) {
    case "ClusterIP":
    case "NodePort":
      return externalIPs.length > 0 ? externalIPs.join(",") : "<none>";
    case "LoadBalancer": {
      const lb = loadBalancerIngress(svc.status?.loadBalancer?.ingress);
      if (externalIPs.length > 0) return [...(lb ? lb.split(",") : []), ...externalIPs].join(",");
      return lb || "<pending>";
    }
    case "ExternalName":
      return str(spec.externalName);
  }
  return "<unknown>";
}

/** `port/proto` or `port:nodePort/proto` for each service port, comma separated. */
export function servicePorts(ports: { port?: number; nodePort?: number; protocol?: string }[] | undefined): string {
  return (ports ?? [])
    .map((p) => {
      const proto = p.protocol || "TCP";
      return int(p.nodePort) > 0 ? `${int(p.port)}:${int(p.nodePort)}/${proto}` : `${int(p.port)}/${proto}`;
    })
    .join(",");
}

/** Service: Name, Type, Cluster-IP, External-IP, Port(s), Age; wide Selector. */
export const servicePrinter: Printer = {
  columns: [
    nameCol(),
    col("Type", "string", "How the service is exposed."),
    col("Cluster-IP", "string", "Virtual IP allocated to the service inside the cluster."),
    col("External-IP", "string", "Addresses the service is reachable at from outside the cluster."),
    col("Port(s)", "string", "Ports the service exposes."),
    ageCol(),
    col("Selector", "string", "Labels of the pods that back the service.", 1),
  ],
  cells(o, now) {
    const spec = o.spec ?? {};
    const clusterIPs: string[] = spec.clusterIPs ?? (spec.clusterIP ? [spec.clusterIP] : []);
    return [
      name(o),
      str(spec.type),
      clusterIPs.length > 0 ? clusterIPs[0] : "<none>",
      serviceExternalIP(o),
      servicePorts(spec.ports) || "<none>",
      age(o, now),
      formatLabels(spec.selector),
    ];
  },
};

/** The ENDPOINTS cell: up to three `ip:port` entries, then " + N more...". */
export function formatEndpoints(o: KObject): string {
  const subsets: { addresses?: { ip?: string }[]; ports?: { port?: number }[] }[] = o.subsets ?? [];
  if (subsets.length === 0) return "<none>";
  const max = 3;
  const list: string[] = [];
  let count = 0;
  for (const ss of subsets) {
    const addrs = ss.addresses ?? [];
    const ports = ss.ports ?? [];
    if (ports.length === 0) {
      count += addrs.length;
      for (const a of addrs) {
        if (list.length === max) break;
        list.push(str(a.ip));
      }
      continue;
    }
    for (const p of ports) {
      count += addrs.length;
      for (const a of addrs) {
        if (list.length === max) break;
        list.push(joinHostPort(str(a.ip), int(p.port)));
      }
    }
  }
  const s = list.join(",");
  return count > max ? `${s} + ${count - max} more...` : s;
}

/** Endpoints: Name, Endpoints, Age. */
export const endpointsPrinter: Printer = {
  columns: [nameCol(), col("Endpoints", "string", "Ready addresses and ports of the endpoints."), ageCol()],
  cells: (o, now) => [name(o), formatEndpoints(o), age(o, now)],
};

/** ConfigMap: Name, Data (entries in data plus binaryData), Age. */
export const configMapPrinter: Printer = {
  columns: [nameCol(), col("Data", "string", "Number of entries in the config map."), ageCol()],
  cells: (o, now) => [
    name(o),
    Object.keys(o.data ?? {}).length + Object.keys(o.binaryData ?? {}).length,
    age(o, now),
  ],
};

/** Secret: Name, Type, Data, Age. */
export const secretPrinter: Printer = {
  columns: [
    nameCol(),
    col("Type", "string", "Type of the secret's content."),
    col("Data", "string", "Number of entries in the secret."),
    ageCol(),
  ],
  cells(o, now) {
    const keys = new Set([...Object.keys(o.data ?? {}), ...Object.keys(o.stringData ?? {})]);
    return [name(o), str(o.type), keys.size, age(o, now)];
  },
};

/** ServiceAccount: Name, Secrets, Age. */
export const serviceAccountPrinter: Printer = {
  columns: [nameCol(), col("Secrets", "string", "Number of secrets the service account references."), ageCol()],
  cells: (o, now) => [name(o), (o.secrets ?? []).length, age(o, now)],
};

function nodeStatus(o: KObject): string {
  let ready: string | undefined;
  for (const c of o.status?.conditions ?? []) {
    if (c.type === "Ready") ready = c.status === "True" ? "Ready" : "NotReady";
  }
  const parts = [ready ?? "Unknown"];
  if (o.spec?.unschedulable) parts.push("SchedulingDisabled");
  return parts.join(",");
}

/** Roles from `node-role.kubernetes.io/<role>` label keys and the `kubernetes.io/role` label value, sorted. */
export function nodeRoles(o: KObject): string {
  const roles = new Set<string>();
  for (const [k, v] of Object.entries((o.metadata.labels ?? {}) as Record<string, string>)) {
    if (k.startsWith("node-role.kubernetes.io/")) {
      const role = k.slice("node-role.kubernetes.io/".length);
      if (role) roles.add(role);
    } else if (k === "kubernetes.io/role" && v !== "") {
      roles.add(v);
    }
  }
  return roles.size > 0 ? [...roles].sort().join(",") : "<none>";
}

function nodeAddress(o: KObject, type: string): string {
  const a = (o.status?.addresses ?? []).find((x: { type?: string }) => x.type === type);
  return a ? str(a.address) : "<none>";
}

/** Node: Name, Status, Roles, Age, Version; wide addresses, OS image, kernel, container runtime. */
export const nodePrinter: Printer = {
  columns: [
    nameCol(),
    col("Status", "string", "Readiness of the node, and whether scheduling is disabled."),
    col("Roles", "string", "Roles of the node, from its node-role labels."),
    ageCol(),
    col("Version", "string", "Kubelet version reported by the node."),
    col("Internal-IP", "string", "First internal address of the node.", 1),
    col("External-IP", "string", "First external address of the node.", 1),
    col("OS-Image", "string", "Operating system image reported by the node.", 1),
    col("Kernel-Version", "string", "Kernel version reported by the node.", 1),
    col("Container-Runtime", "string", "Container runtime and version reported by the node.", 1),
  ],
  cells(o, now) {
    const info = o.status?.nodeInfo ?? {};
    return [
      name(o),
      nodeStatus(o),
      nodeRoles(o),
      age(o, now),
      str(info.kubeletVersion),
      nodeAddress(o, "InternalIP"),
      nodeAddress(o, "ExternalIP"),
      str(info.osImage) || "<unknown>",
      str(info.kernelVersion) || "<unknown>",
      str(info.containerRuntimeVersion) || "<unknown>",
    ];
  },
};

/** Access modes abbreviated (RWO, ROX, RWX, RWOP) in that fixed order. */
export function accessModes(modes: string[] | undefined): string {
  const set = new Set(modes ?? []);
  const out: string[] = [];
  if (set.has("ReadWriteOnce")) out.push("RWO");
  if (set.has("ReadOnlyMany")) out.push("ROX");
  if (set.has("ReadWriteMany")) out.push("RWX");
  if (set.has("ReadWriteOncePod")) out.push("RWOP");
  return out.join(",");
}

const betaStorageClassAnnotation = "volume.beta.kubernetes.io/storage-class";

function storageClassOf(o: KObject): string {
  const ann = o.metadata.annotations ?? {};
  if (betaStorageClassAnnotation in ann) return str(ann[betaStorageClassAnnotation]);
  return str(o.spec?.storageClassName);
}

/** PersistentVolume: Name, Capacity, Access Modes, Reclaim Policy, Status, Claim, StorageClass, VolumeAttributesClass, Reason, Age; wide VolumeMode. */
export const persistentVolumePrinter: Printer = {
  columns: [
    nameCol(),
    col("Capacity", "string", "Storage capacity of the volume."),
    col("Access Modes", "string", "Ways the volume can be mounted."),
    col("Reclaim Policy", "string", "What happens to the volume when its claim is released."),
    col("Status", "string", "Lifecycle phase of the volume."),
    col("Claim", "string", "Claim bound to the volume."),
    col("StorageClass", "string", "Storage class of the volume."),
    col("VolumeAttributesClass", "string", "Volume attributes class of the volume."),
    col("Reason", "string", "Why the volume is in its current phase."),
    ageCol(),
    col("VolumeMode", "string", "Whether the volume is a filesystem or a raw block device.", 1),
  ],
  cells(o, now) {
    const spec = o.spec ?? {};
    const claim = spec.claimRef ? `${str(spec.claimRef.namespace)}/${str(spec.claimRef.name)}` : "";
    const phase = o.metadata.deletionTimestamp ? "Terminating" : str(o.status?.phase);
    return [
      name(o),
      canonicalQuantity(spec.capacity?.storage),
      accessModes(spec.accessModes),
      str(spec.persistentVolumeReclaimPolicy),
      phase,
      claim,
      storageClassOf(o),
      spec.volumeAttributesClassName ?? "<unset>",
      str(o.status?.reason),
      age(o, now),
      spec.volumeMode ?? "<unset>",
    ];
  },
};

/** PersistentVolumeClaim: Name, Status, Volume, Capacity, Access Modes, StorageClass, VolumeAttributesClass, Age; wide VolumeMode. */
export const persistentVolumeClaimPrinter: Printer = {
  columns: [
    nameCol(),
    col("Status", "string", "Lifecycle phase of the claim."),
    col("Volume", "string", "Volume bound to the claim."),
    col("Capacity", "string", "Storage capacity of the bound volume."),
    col("Access Modes", "string", "Ways the bound volume can be mounted."),
    col("StorageClass", "string", "Storage class of the claim."),
    col("VolumeAttributesClass", "string", "Volume attributes class of the claim."),
    ageCol(),
    col("VolumeMode", "string", "Whether the claim asks for a filesystem or a raw block device.", 1),
  ],
  cells(o, now) {
    const spec = o.spec ?? {};
    const phase = o.metadata.deletionTimestamp ? "Terminating" : str(o.status?.phase);
    const bound = str(spec.volumeName) !== "";
    return [
      name(o),
      phase,
      str(spec.volumeName),
      bound ? canonicalQuantity(o.status?.capacity?.storage) : "",
      bound ? accessModes(o.status?.accessModes) : "",
      storageClassOf(o),
      spec.volumeAttributesClassName ?? "<unset>",
      age(o, now),
      spec.volumeMode ?? "<unset>",
    ];
  },
};

/** The Request and Limit cells of a quota: `resource: used/hard` sorted by resource, limits.* in Limit. */
export function quotaCells(o: KObject): [string, string] {
  const hard: Record<string, unknown> = o.status?.hard ?? {};
  const used: Record<string, unknown> = o.status?.used ?? {};
  const request: string[] = [];
  const limit: string[] = [];
  for (const r of Object.keys(hard).sort()) {
    const entry = `${r}: ${canonicalQuantity(used[r])}/${canonicalQuantity(hard[r])}`;
    const pieces = r.split(".");
    (pieces.length > 1 && pieces[0] === "limits" ? limit : request).push(entry);
  }
  return [request.join(", "), limit.join(", ")];
}

/** ResourceQuota: Name, Request, Limit, Age. */
export const resourceQuotaPrinter: Printer = {
  columns: [
    nameCol(),
    col("Request", "string", "Used and hard amounts of every quota resource other than limits."),
    col("Limit", "string", "Used and hard amounts of the limits.* quota resources."),
    ageCol(),
  ],
  cells(o, now) {
    const [request, limit] = quotaCells(o);
    return [name(o), request, limit, age(o, now)];
  },
};

/** ReplicationController: Name, Desired, Current, Ready, Age; wide Containers, Images, Selector. */
export const replicationControllerPrinter: Printer = {
  columns: [
    nameCol(),
    col("Desired", "integer", "Number of replicas asked for."),
    col("Current", "integer", "Number of replicas that exist."),
    col("Ready", "integer", "Number of ready replicas."),
    ageCol(),
    ...containerCols(),
    selectorCol(),
  ],
  cells(o, now) {
    const [names, images] = containerCells(o.spec?.template?.spec?.containers);
    return [
      name(o),
      int(o.spec?.replicas ?? 1),
      int(o.status?.replicas),
      int(o.status?.readyReplicas),
      age(o, now),
      names,
      images,
      formatLabels(o.spec?.selector),
    ];
  },
};
