/**
 * Generates `src/apiserver/openapi/schemas.json`: the structural OpenAPI v3
 * schema of every type reachable from the served kinds, keyed by upstream
 * definition name (`io.k8s.api.apps.v1.Deployment`), plus the map from
 * @kubernetes/client-node model class name to that definition name.
 *
 * Importing @kubernetes/client-node costs ~0.4 s, so the apiserver loads this
 * compact file instead. Descriptions, enums, defaults and patch metadata are
 * overlaid at runtime (src/apiserver/openapi/overlay.ts). Re-run after
 * upgrading @kubernetes/client-node or changing src/api/resources.ts:
 *
 *   node scripts/gen-openapi.ts
 */
import { readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { resources } from "../src/api/resources.ts";

interface Attr {
  name: string;
  baseName: string;
  type: string;
  format: string;
}
type Model = { attributeTypeMap?: Attr[] };
type Schema = Record<string, unknown>;

const started = performance.now();
const lib = (await import("@kubernetes/client-node")) as unknown as Record<string, Model>;
const importMs = performance.now() - started;
const modelsDir = createRequire(import.meta.url)
  .resolve("@kubernetes/client-node")
  .replace(/index\.js$/, "gen/models/");
const libVersion = (
  JSON.parse(readFileSync(modelsDir.replace(/dist\/gen\/models\/$/, "package.json"), "utf8")) as { version: string }
).version;

const META = "io.k8s.apimachinery.pkg.apis.meta.v1";
const CORE = "io.k8s.api.core.v1";
const QUANTITY = "io.k8s.apimachinery.pkg.api.resource.Quantity";
const INT_OR_STRING = "io.k8s.apimachinery.pkg.util.intstr.IntOrString";
const RAW_EXTENSION = "io.k8s.apimachinery.pkg.runtime.RawExtension";

/** Model classes defined in apimachinery's meta/v1 package. */
const metaClasses = new Set([
  "V1ObjectMeta",
  "V1ListMeta",
  "V1LabelSelector",
  "V1LabelSelectorRequirement",
  "V1OwnerReference",
  "V1ManagedFieldsEntry",
  "V1Condition",
  "V1DeleteOptions",
  "V1Preconditions",
  "V1Status",
  "V1StatusDetails",
  "V1StatusCause",
  "V1WatchEvent",
  "V1APIResource",
  "V1APIResourceList",
  "V1APIGroup",
  "V1APIGroupList",
  "V1APIVersions",
  "V1GroupVersionForDiscovery",
  "V1ServerAddressByClientCIDR",
]);

/** Core types referenced from other groups but not reachable from a served core kind. */
const extraCoreRoots = ["V1TopologySelectorTerm", "V1PodTemplateSpec"];

/** Fields typed `string` by client-node that upstream types as resource.Quantity. */
const quantityFields: Record<string, string[]> = {
  V1ResourceRequirements: ["limits", "requests"],
  V1VolumeResourceRequirements: ["limits", "requests"],
  V1ResourceQuotaSpec: ["hard"],
  V1ResourceQuotaStatus: ["hard", "used"],
  V1LimitRangeItem: ["max", "min", "default", "defaultRequest", "maxLimitRequestRatio"],
  V1NodeStatus: ["capacity", "allocatable"],
  V1PersistentVolumeSpec: ["capacity"],
  V1PersistentVolumeClaimStatus: ["capacity", "allocatedResources"],
  V1EmptyDirVolumeSource: ["sizeLimit"],
  V1ResourceFieldSelector: ["divisor"],
  V1PodSpec: ["overhead"],
  V1PodStatus: ["allocatedResources"],
  V1NodeAllocatableResourceClaimStatus: ["resources"],
  V1ContainerStatus: ["allocatedResources"],
  V2MetricTarget: ["value", "averageValue"],
  V2MetricValueStatus: ["value", "averageValue"],
};

/** `any`-typed fields and the upstream definition they hold. */
const anyFields: Record<string, Record<string, string>> = {
  V1ControllerRevision: { data: RAW_EXTENSION },
  V1ManagedFieldsEntry: { fieldsV1: `${META}.FieldsV1` },
  V1WatchEvent: { object: RAW_EXTENSION },
};

/** Extra roots beyond the served kinds and their lists. */
const extraRoots: Record<string, string> = {
  V1Scale: "io.k8s.api.autoscaling.v1",
  V1Eviction: "io.k8s.api.policy.v1",
  AuthenticationV1TokenRequest: "io.k8s.api.authentication.v1",
};

/** `apps` → `io.k8s.api.apps.v1`; `` → core; `networking.k8s.io` → networking. */
function packageOf(group: string, version: string): string {
  return `io.k8s.api.${group === "" ? "core" : group.split(".")[0]}.${version}`;
}

const prefixRe = /^([A-Z][a-z]+)?(V\d+(?:(?:alpha|beta)\d+)?)(?=[A-Z])/;

/** Splits `CoreV1EndpointPort` into group hint `core`, version `v1`, name `EndpointPort`. */
function splitClass(cls: string): { groupHint?: string; version: string; name: string } {
  const m = prefixRe.exec(cls);
  if (!m) throw new Error(`unexpected model class name ${cls}`);
  return { groupHint: m[1]?.toLowerCase(), version: m[2].toLowerCase(), name: cls.slice(m[0].length) };
}

function modelOf(cls: string): Model {
  const m = lib[cls];
  if (!m || !Array.isArray(m.attributeTypeMap)) throw new Error(`no model class ${cls} in @kubernetes/client-node`);
  return m;
}

/** Types client-node names like classes but defines as aliases of scalars. */
const scalarAliases: Record<string, string> = { V1MicroTime: `${META}.MicroTime` };

/** Field references of one class: every model class named in its attribute types. */
function classRefs(cls: string): string[] {
  const out: string[] = [];
  for (const a of modelOf(cls).attributeTypeMap!) {
    for (const t of a.type.match(/\b(?:[A-Z][a-z]+)?V\d+(?:(?:alpha|beta)\d+)?[A-Z]\w*/g) ?? []) {
      if (!scalarAliases[t]) out.push(t);
    }
  }
  return out;
}

function closure(roots: string[]): Set<string> {
  const seen = new Set<string>();
  const stack = [...roots];
  while (stack.length) {
    const c = stack.pop()!;
    if (seen.has(c)) continue;
    seen.add(c);
    stack.push(...classRefs(c));
  }
  return seen;
}

/** Names of fields declared without `?` in the class's .d.ts. */
function requiredFields(cls: string): string[] {
  const text = readFileSync(`${modelsDir}${cls}.d.ts`, "utf8");
  return [...text.matchAll(/^\s+'([^']+)':/gm)].map((m) => m[1]);
}

// Assign an upstream package to every reachable class.
const coreSet = closure([...resources.filter((r) => r.group === "").map((r) => r.model), ...extraCoreRoots]);
const pkgOf = new Map<string, string>();
function assign(cls: string, fromPkg: string): void {
  if (pkgOf.has(cls)) return;
  const { groupHint, version } = splitClass(cls);
  let pkg: string;
  if (metaClasses.has(cls)) pkg = META;
  else if (groupHint) pkg = packageOf(groupHint === "core" ? "" : groupHint, version);
  else if (coreSet.has(cls)) pkg = CORE;
  else pkg = fromPkg;
  pkgOf.set(cls, pkg);
  for (const r of classRefs(cls)) assign(r, pkg);
}
for (const r of resources) {
  const pkg = packageOf(r.group, r.version);
  assign(r.model, pkg);
  if (r.verbs.includes("list")) assign(`${r.model}List`, pkg);
}
for (const [cls, pkg] of Object.entries(extraRoots)) assign(cls, pkg);
for (const cls of metaClasses) if (lib[cls]) assign(cls, META);

const models: Record<string, string> = {};
for (const [cls, pkg] of [...pkgOf].sort()) models[cls] = `${pkg}.${splitClass(cls).name}`;
const byDef = new Map<string, string>();
for (const [cls, def] of Object.entries(models)) {
  const other = byDef.get(def);
  if (other) throw new Error(`${cls} and ${other} both map to ${def}`);
  byDef.set(def, cls);
}

const ref = (def: string): Schema => ({ $ref: `#/components/schemas/${def}` });

/** Schema of one client-node attribute type. */
function typeSchema(type: string, format: string, quantity: boolean): Schema {
  const arr = /^Array<(.+)>$/.exec(type);
  if (arr) return { type: "array", items: typeSchema(arr[1], format, quantity) };
  const map = /^\{ \[key: string\]: (.+); \}$/.exec(type);
  if (map) return { type: "object", additionalProperties: typeSchema(map[1], format, quantity) };
  if (quantity) return ref(QUANTITY);
  switch (type) {
    case "string":
      return format ? { type: "string", format } : { type: "string" };
    case "boolean":
      return { type: "boolean" };
    case "number":
      if (format === "int32" || format === "int64") return { type: "integer", format };
      return format ? { type: "number", format } : { type: "number" };
    case "Date":
      return ref(format === "date-time-micro" ? `${META}.MicroTime` : `${META}.Time`);
    case "IntOrString":
      return ref(INT_OR_STRING);
    case "any":
      return { type: "object", "x-kubernetes-preserve-unknown-fields": true };
  }
  if (scalarAliases[type]) return ref(scalarAliases[type]);
  if (models[type]) return ref(models[type]);
  throw new Error(`unmapped type ${type}`);
}

for (const [table, cls, field] of [
  ...Object.entries(quantityFields).flatMap(([c, fs]) => fs.map((f) => ["quantityFields", c, f])),
  ...Object.entries(anyFields).flatMap(([c, fs]) => Object.keys(fs).map((f) => ["anyFields", c, f])),
]) {
  if (!modelOf(cls).attributeTypeMap!.some((a) => a.baseName === field)) throw new Error(`${table}: ${cls} has no field ${field}`);
}

const schemas: Record<string, Schema> = {};
for (const [cls, def] of Object.entries(models)) {
  const properties: Record<string, Schema> = {};
  for (const a of modelOf(cls).attributeTypeMap!) {
    const anyDef = anyFields[cls]?.[a.baseName];
    let s = anyDef ? ref(anyDef) : typeSchema(a.type, a.format, quantityFields[cls]?.includes(a.baseName) ?? false);
    if (typeof s.$ref === "string") s = { allOf: [s] };
    properties[a.baseName] = s;
  }
  const schema: Schema = { type: "object", properties };
  const required = requiredFields(cls);
  if (required.length) schema.required = required;
  schemas[def] = schema;
}

// Scalar and opaque apimachinery types client-node does not model as classes.
schemas[QUANTITY] = { type: "string", format: "quantity" };
schemas[INT_OR_STRING] = { type: "string", format: "int-or-string" };
schemas[`${META}.Time`] = { type: "string", format: "date-time" };
schemas[`${META}.MicroTime`] = { type: "string", format: "date-time" };
schemas[`${META}.FieldsV1`] = { type: "object" };
schemas[`${META}.Patch`] = { type: "object" };
schemas[RAW_EXTENSION] = { type: "object" };

const out = { generatedFrom: `@kubernetes/client-node ${libVersion}`, models, schemas };
const target = new URL("../src/apiserver/openapi/schemas.json", import.meta.url);
writeFileSync(target, JSON.stringify(out) + "\n");
console.log(
  `imported client-node in ${importMs.toFixed(0)} ms; wrote ${Object.keys(schemas).length} schemas ` +
    `(${Object.keys(models).length} model classes) to ${target.pathname} in ${(performance.now() - started).toFixed(0)} ms`,
);
