/**
 * The OpenAPI v3 documents the apiserver serves under /openapi/v3: a discovery
 * document listing one URL per group-version, and per group-version a
 * document with the paths of its resources and the schemas reachable from
 * them (what `kubectl explain` and kubectl's field-validation detection read).
 *
 * Structure comes from `schemas.json`, generated from @kubernetes/client-node
 * by scripts/gen-openapi.ts; descriptions, enums and defaults from
 * overlay.ts; patch strategies from src/api/patchmeta.ts.
 * Documents are built on first request and kept for the life of the process.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { patchMeta } from "../../api/patchmeta.ts";
import { groupVersion, resources, type ResourceInfo } from "../../api/resources.ts";
import { commonFieldDocs, defaults, docs, enums } from "./overlay.ts";
import { buildPaths, type Gvk, type Json } from "./paths.ts";

interface Generated {
  generatedFrom: string;
  models: Record<string, string>;
  schemas: Record<string, Json>;
}

const META = "io.k8s.apimachinery.pkg.apis.meta.v1";

let generated: Generated | undefined;
let schemaCache: Record<string, Json> | undefined;
const docCache = new Map<string, { json: string; etag: string }>();
let rootCache: unknown;

function load(): Generated {
  generated ??= JSON.parse(readFileSync(new URL("./schemas.json", import.meta.url), "utf8")) as Generated;
  return generated;
}

/** Upstream definition name of a client-node model class; throws for unknown classes. */
export function definitionName(modelClass: string): string {
  const def = load().models[modelClass];
  if (!def) throw new Error(`openapi: no schema generated for model ${modelClass}; re-run scripts/gen-openapi.ts`);
  return def;
}

/** What the schema says of one property beyond its JSON type (for the decoder's type checks). */
export interface PropertyKind {
  /** A resource.Quantity (or a list/map of them): JSON strings and numbers both decode. */
  quantity: boolean;
  /** Integer/number format of the value (or of its items/values): int32, int64, double. */
  format?: string;
}

const QUANTITY_REF = "#/components/schemas/io.k8s.apimachinery.pkg.api.resource.Quantity";
const propertyKindCache = new Map<string, Record<string, PropertyKind>>();

/** The properties of a client-node model class, from its generated schema ({} when it has none). */
export function propertyKinds(modelClass: string): Record<string, PropertyKind> {
  let out = propertyKindCache.get(modelClass);
  if (out) return out;
  out = {};
  const def = load().models[modelClass];
  const props = ((def && load().schemas[def]?.properties) ?? {}) as Record<string, Json>;
  for (const [name, prop] of Object.entries(props)) {
    const inner = ((prop.additionalProperties ?? prop.items ?? prop) as Json) ?? {};
    out[name] = { quantity: prop.$ref === QUANTITY_REF || inner.$ref === QUANTITY_REF, format: (prop.format ?? inner.format) as string | undefined };
  }
  propertyKindCache.set(modelClass, out);
  return out;
}

/** Every served group-version, in resource-table order: `v1`, `apps/v1`, ... */
export function servedGroupVersions(): string[] {
  return [...new Set(resources.map(groupVersion))];
}

/** Schemas with overlays, GVK extensions and patch metadata applied (built once). */
function allSchemas(): Record<string, Json> {
  if (schemaCache) return schemaCache;
  const g = load();
  const classOf = new Map(Object.entries(g.models).map(([cls, def]) => [def, cls]));
  const out: Record<string, Json> = structuredClone(g.schemas);
  for (const [def, schema] of Object.entries(out)) {
    const d = docs[def] ?? {};
    const ordered: Json = { description: d[""] ?? "", ...schema };
    const props = (schema.properties ?? {}) as Record<string, Json>;
    const pm = patchMeta[classOf.get(def) ?? ""] ?? {};
    for (const [field, prop] of Object.entries(props)) {
      const desc = d[field] ?? commonFieldDocs[field];
      const next: Json = desc ? { description: desc, ...prop } : { ...prop };
      const key = `${def}#${field}`;
      if (key in defaults) next.default = defaults[key];
      if (enums[key]) next.enum = enums[key];
      const meta = pm[field];
      if (meta) {
        next["x-kubernetes-patch-strategy"] = meta.strategy;
        if (meta.mergeKey) next["x-kubernetes-patch-merge-key"] = meta.mergeKey;
      }
      props[field] = next;
    }
    out[def] = ordered;
  }
  const gvks = new Map<string, Gvk[]>();
  const addGvk = (def: string, gvk: Gvk): void => {
    gvks.set(def, [...(gvks.get(def) ?? []), gvk]);
  };
  for (const r of resources) {
    addGvk(definitionName(r.model), { group: r.group, kind: r.kind, version: r.version });
    if (r.verbs.includes("list")) addGvk(definitionName(`${r.model}List`), { group: r.group, kind: `${r.kind}List`, version: r.version });
  }
  addGvk("io.k8s.api.autoscaling.v1.Scale", { group: "autoscaling", kind: "Scale", version: "v1" });
  addGvk("io.k8s.api.policy.v1.Eviction", { group: "policy", kind: "Eviction", version: "v1" });
  addGvk("io.k8s.api.authentication.v1.TokenRequest", { group: "authentication.k8s.io", kind: "TokenRequest", version: "v1" });
  addGvk(`${META}.Status`, { group: "", kind: "Status", version: "v1" });
  for (const gv of servedGroupVersions()) {
    const [group, version] = gv.includes("/") ? gv.split("/") : ["", gv];
    addGvk(`${META}.DeleteOptions`, { group, kind: "DeleteOptions", version });
    addGvk(`${META}.WatchEvent`, { group, kind: "WatchEvent", version });
  }
  for (const [def, list] of gvks) {
    const unique = [...new Map(list.map((x) => [`${x.group}/${x.version}/${x.kind}`, x])).values()];
    if (out[def]) out[def]["x-kubernetes-group-version-kind"] = unique;
  }
  schemaCache = out;
  return out;
}

/** Every definition name referenced (transitively) from `value`. */
function collectRefs(value: unknown, schemas: Record<string, Json>, seen: Set<string>): void {
  if (Array.isArray(value)) {
    for (const v of value) collectRefs(v, schemas, seen);
    return;
  }
  if (!value || typeof value !== "object") return;
  for (const [k, v] of Object.entries(value)) {
    if (k === "$ref" && typeof v === "string") {
      const def = v.slice("#/components/schemas/".length);
      if (!seen.has(def)) {
        seen.add(def);
        collectRefs(schemas[def], schemas, seen);
      }
    } else collectRefs(v, schemas, seen);
  }
}

/** Document path (`api/v1`, `apis/apps/v1`) of a group-version. */
function docPath(gv: string): string {
  return gv.includes("/") ? `apis/${gv}` : `api/${gv}`;
}

function build(gv: string): { json: string; etag: string } {
  const rs: ResourceInfo[] = resources.filter((r) => groupVersion(r) === gv);
  const schemas = allSchemas();
  const paths = buildPaths(gv, rs, definitionName);
  const used = new Set<string>();
  collectRefs(paths, schemas, used);
  const components: Record<string, Json> = {};
  for (const def of [...used].sort()) {
    if (!schemas[def]) throw new Error(`openapi: dangling reference to ${def}`);
    components[def] = schemas[def];
  }
  const doc = {
    openapi: "3.0.0",
    info: { title: "Kubernetes", version: "v1.31.4" },
    paths,
    components: {
      schemas: components,
      securitySchemes: { BearerToken: { type: "apiKey", description: "Bearer token authentication.", name: "authorization", in: "header" } },
    },
    security: [{ BearerToken: [] }],
  };
  const json = JSON.stringify(doc);
  return { json, etag: createHash("sha512").update(json).digest("hex").toUpperCase() };
}

/**
 * The per group-version document for `api/v1` or `apis/apps/v1` (a leading
 * slash or `/openapi/v3/` prefix is tolerated); undefined if no served
 * group-version has that path. The JSON string and its ETag (upper-case hex
 * SHA-512 of the JSON, unquoted) are computed once and never change within
 * the process, so the server may answer If-None-Match and mark hashed URLs
 * immutable.
 */
export function openapiDocument(path: string): { json: string; etag: string } | undefined {
  const p = path.replace(/^\/+/, "").replace(/^openapi\/v3\//, "").replace(/\/+$/, "");
  const cached = docCache.get(p);
  if (cached) return cached;
  const gv = servedGroupVersions().find((x) => docPath(x) === p);
  if (!gv) return undefined;
  const doc = build(gv);
  docCache.set(p, doc);
  return doc;
}

/**
 * The /openapi/v3 discovery document:
 * `{ paths: { "api/v1": { serverRelativeURL: "/openapi/v3/api/v1?hash=<ETAG>" }, ... } }`,
 * one entry per served group-version. Builds every document on first call.
 */
export function openapiRoot(): unknown {
  if (rootCache) return rootCache;
  const paths: Record<string, { serverRelativeURL: string }> = {};
  for (const gv of servedGroupVersions()) {
    const p = docPath(gv);
    paths[p] = { serverRelativeURL: `/openapi/v3/${p}?hash=${openapiDocument(p)!.etag}` };
  }
  rootCache = { paths };
  return rootCache;
}
