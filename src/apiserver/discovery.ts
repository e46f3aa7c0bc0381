/**
 * API discovery documents built once from the resource table: /api, /apis,
 * /api/v1, /apis/<group>/<version>, and the aggregated discovery documents
 * (apidiscovery.k8s.io v2 and v2beta1) kubectl prefers, each with an ETag.
 */
import { createHash } from "node:crypto";
import { preferredVersion, resources, type ResourceInfo } from "../api/resources.ts";

/** A serialised document and its ETag. */
export interface Doc {
  json: string;
  etag: string;
}

function doc(body: unknown): Doc {
  const json = JSON.stringify(body);
  return { json, etag: `"${createHash("sha256").update(json).digest("hex").slice(0, 32)}"` };
}

function groupsInOrder(): string[] {
  const out: string[] = [];
  for (const r of resources) if (r.group && !out.includes(r.group)) out.push(r.group);
  return out;
}

function versionsOf(group: string): string[] {
  const out: string[] = [];
  for (const r of resources) if (r.group === group && !out.includes(r.version)) out.push(r.version);
  return out;
}

function subVerbs(sub: string): string[] {
  switch (sub) {
    case "status":
    case "approval":
      return ["get", "patch", "update"];
    case "scale":
      return ["get", "patch", "update"];
    case "binding":
    case "eviction":
    case "token":
      return ["create"];
    case "log":
      return ["get"];
    case "exec":
    case "attach":
    case "portforward":
      return ["create", "get"];
    case "proxy":
      return ["create", "delete", "get", "patch", "update"];
    case "finalize":
      return ["update"];
    case "ephemeralcontainers":
      return ["get", "patch", "update"];
    default:
      return ["get"];
  }
}

function subKind(r: ResourceInfo, sub: string): { group: string; version: string; kind: string } {
  switch (sub) {
    case "scale":
      return { group: "autoscaling", version: "v1", kind: "Scale" };
    case "binding":
      return { group: "", version: "v1", kind: "Binding" };
    case "eviction":
      return { group: "policy", version: "v1", kind: "Eviction" };
    case "token":
      return { group: "authentication.k8s.io", version: "v1", kind: "TokenRequest" };
    case "log":
    case "exec":
    case "attach":
    case "portforward":
      return { group: "", version: "v1", kind: sub === "log" ? "Pod" : sub === "exec" ? "PodExecOptions" : sub === "attach" ? "PodAttachOptions" : "PodPortForwardOptions" };
    case "proxy":
      return { group: "", version: "v1", kind: r.kind === "Pod" ? "PodProxyOptions" : r.kind === "Node" ? "NodeProxyOptions" : "ServiceProxyOptions" };
    default:
      return { group: r.group, version: r.version, kind: r.kind };
  }
}

function legacyResourceList(group: string, version: string): unknown {
  const list: unknown[] = [];
  for (const r of resources) {
    if (r.group !== group || r.version !== version) continue;
    const entry: Record<string, unknown> = {
      name: r.plural,
      singularName: r.singular,
      namespaced: r.namespaced,
      kind: r.kind,
      verbs: r.verbs,
    };
    if (r.shortNames.length) entry.shortNames = r.shortNames;
    if (r.categories.length) entry.categories = r.categories;
    entry.storageVersionHash = createHash("sha256").update(`${r.storageVersion}/${r.kind}`).digest("base64").slice(0, 11);
    list.push(entry);
    for (const sub of r.subresources) {
      const k = subKind(r, sub);
      const e: Record<string, unknown> = { name: `${r.plural}/${sub}`, singularName: "", namespaced: r.namespaced, kind: k.kind, verbs: subVerbs(sub) };
      if (k.group !== r.group || k.version !== r.version) {
        e.group = k.group;
        e.version = k.version;
      }
      list.push(e);
    }
  }
  return { kind: "APIResourceList", apiVersion: "v1", groupVersion: group ? `${group}/${version}` : version, resources: list };
}

function apiGroup(group: string): Record<string, unknown> {
  const versions = versionsOf(group).map((v) => ({ groupVersion: `${group}/${v}`, version: v }));
  const pref = preferredVersion(group)!;
  return { name: group, versions, preferredVersion: { groupVersion: `${group}/${pref}`, version: pref } };
}

function aggregated(core: boolean, version: "v2" | "v2beta1"): unknown {
  const groups = core ? [""] : groupsInOrder();
  const items = groups.map((group) => ({
    metadata: { name: group, creationTimestamp: null },
    versions: versionsOf(group).map((v) => ({
      version: v,
      freshness: "Current",
      resources: resources
        .filter((r) => r.group === group && r.version === v)
        .map((r) => {
          const e: Record<string, unknown> = {
            resource: r.plural,
            responseKind: { group: r.group, version: r.version, kind: r.kind },
            scope: r.namespaced ? "Namespaced" : "Cluster",
            singularResource: r.singular,
            verbs: r.verbs,
          };
          if (r.shortNames.length) e.shortNames = r.shortNames;
          if (r.categories.length) e.categories = r.categories;
          if (r.subresources.length) {
            e.subresources = r.subresources.map((sub) => ({ subresource: sub, responseKind: subKind(r, sub), verbs: subVerbs(sub) }));
          }
          return e;
        }),
    })),
  }));
  return { kind: "APIGroupDiscoveryList", apiVersion: `apidiscovery.k8s.io/${version}`, metadata: {}, items };
}

/** All discovery documents, keyed by path (and `agg:<path>:<version>` for aggregated ones). */
export function buildDiscovery(serverAddress: string): Map<string, Doc> {
  const docs = new Map<string, Doc>();
  docs.set("/api", doc({
    kind: "APIVersions",
    versions: ["v1"],
    serverAddressByClientCIDRs: [{ clientCIDR: "0.0.0.0/0", serverAddress }],
  }));
  docs.set("/apis", doc({ kind: "APIGroupList", apiVersion: "v1", groups: groupsInOrder().map(apiGroup) }));
  docs.set("/api/v1", doc(legacyResourceList("", "v1")));
  for (const g of groupsInOrder()) {
    docs.set(`/apis/${g}`, doc({ kind: "APIGroup", apiVersion: "v1", ...apiGroup(g) }));
    for (const v of versionsOf(g)) docs.set(`/apis/${g}/${v}`, doc(legacyResourceList(g, v)));
  }
  for (const v of ["v2", "v2beta1"] as const) {
    docs.set(`agg:/api:${v}`, doc(aggregated(true, v)));
    docs.set(`agg:/apis:${v}`, doc(aggregated(false, v)));
  }
  return docs;
}

/** The aggregated-discovery version asked for in an Accept header, if any. */
export function aggregatedVersion(accept: string | undefined): "v2" | "v2beta1" | undefined {
  if (!accept) return undefined;
  for (const part of accept.split(",")) {
    const p = part.replace(/\s+/g, "");
    if (!p.startsWith("application/json") || !p.includes("as=APIGroupDiscoveryList") || !p.includes("g=apidiscovery.k8s.io")) {
      if (p.startsWith("application/json") && !p.includes("as=")) return undefined;
      continue;
    }
    if (p.includes("v=v2beta1")) return "v2beta1";
    if (p.includes("v=v2")) return "v2";
  }
  return undefined;
}
