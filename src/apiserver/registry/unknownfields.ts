/**
 * Unknown-field handling for `fieldValidation` (Strict / Warn / Ignore): walks
 * an object along its kind's model structure, removes fields the kind does not
 * have (as upstream's decoder drops them) and reports their paths. The same
 * walk finds the first value of the wrong JSON type (a boolean label value,
 * a string where a number belongs), which upstream's decoder refuses.
 */
import { fieldType } from "../../api/patchmeta.ts";
import { childPath, indexPath, keyPath } from "../../machinery/validation.ts";
import { propertyKinds, type PropertyKind } from "../openapi/index.ts";

const scalarTypes = new Set(["string", "number", "boolean", "Date", "V1MicroTime", "IntOrString", "object", "any"]);

interface ElementType {
  kind: "array" | "map" | "model" | "scalar";
  inner: string;
}

/** Parsed field types, by type string (a few hundred distinct ones). */
const elementTypes = new Map<string, ElementType>();

function elementType(t: string): ElementType {
  let e = elementTypes.get(t);
  if (e) return e;
  const m = t.startsWith("Array<") ? null : /^\{ \[key: string\]: (.+); \}$/.exec(t);
  if (t.startsWith("Array<") && t.endsWith(">")) e = { kind: "array", inner: t.slice(6, -1) };
  else if (m) e = { kind: "map", inner: m[1] };
  else if (scalarTypes.has(t) || /^[a-z]/.test(t)) e = { kind: "scalar", inner: t };
  else e = { kind: "model", inner: t };
  elementTypes.set(t, e);
  return e;
}

/** A path segment: an object member name, an array index, or a map key. */
type Segment = string | number | { mapKey: string };

/** The dotted path of `segs`, e.g. `spec.containers[0].imagee` or `data[k]`. */
function formatPath(segs: Segment[]): string {
  let p = "";
  for (const s of segs) p = typeof s === "number" ? indexPath(p, s) : typeof s === "object" ? keyPath(p, s.mapKey) : childPath(p, s);
  return p;
}

/** The first value of the wrong JSON type: upstream's "json: cannot unmarshal X into Go struct field S.path of type T". */
export interface TypeMismatch {
  /** Go-style struct name of the model holding the field, e.g. ObjectMeta. */
  struct: string;
  /** Dotted JSON path of the field from the object's root (map keys and indexes left out, as Go reports it). */
  field: string;
  /** JSON type of the value found: string, number, bool, array or object. */
  found: string;
  /** Go-style type expected, e.g. string, int32, bool, []string, map[string]string, struct. */
  want: string;
}

interface WalkState {
  unknown: string[];
  mismatch?: TypeMismatch;
}

function jsonType(v: unknown): string {
  if (Array.isArray(v)) return "array";
  if (typeof v === "boolean") return "bool";
  return typeof v;
}

/** Whether `v` (not null) may stand where `type` is declared (a Quantity's string may be a number). */
function fits(v: unknown, type: string, kind: PropertyKind | undefined): boolean {
  switch (type) {
    case "string":
      return typeof v === "string" || (kind?.quantity === true && typeof v === "number");
    case "Date":
    case "V1MicroTime":
      return typeof v === "string";
    case "number":
      return typeof v === "number";
    case "boolean":
      return typeof v === "boolean";
    case "IntOrString":
      return typeof v === "string" || typeof v === "number";
    case "object":
    case "any":
      return true;
  }
  const t = elementType(type);
  if (t.kind === "array") return Array.isArray(v);
  if (t.kind === "map" || t.kind === "model") return typeof v === "object" && !Array.isArray(v);
  return true;
}

const goNumbers: Record<string, string> = { int32: "int32", int64: "int64", double: "float64" };

function goType(type: string, kind: PropertyKind | undefined): string {
  switch (type) {
    case "string":
      return kind?.quantity ? "resource.Quantity" : "string";
    case "Date":
      return "v1.Time";
    case "V1MicroTime":
      return "v1.MicroTime";
    case "number":
      return goNumbers[kind?.format ?? ""] ?? "int32";
    case "boolean":
      return "bool";
    case "IntOrString":
      return "intstr.IntOrString";
  }
  const t = elementType(type);
  if (t.kind === "array") return `[]${goType(t.inner, kind)}`;
  if (t.kind === "map") return `map[string]${goType(t.inner, kind)}`;
  return goStruct(type);
}

/** V1ObjectMeta → ObjectMeta, AppsV1DeploymentSpec → DeploymentSpec (the Go type's own name). */
function goStruct(model: string): string {
  return model.replace(/^(?:[A-Z][a-z]+)*V\d+(?:(?:alpha|beta)\d+)?(?=[A-Z])/, "");
}

/** Dotted path of the named members in `segs` (Go leaves indexes and map keys out). */
function fieldPath(segs: Segment[]): string {
  return segs.filter((s): s is string => typeof s === "string").join(".");
}

function checkValue(v: unknown, type: string, kind: PropertyKind | undefined, struct: string, segs: Segment[], st: WalkState): boolean {
  if (v === null || v === undefined || st.mismatch || fits(v, type, kind)) return true;
  st.mismatch = { struct, field: fieldPath(segs), found: jsonType(v), want: goType(type, kind) };
  return false;
}

/**
 * Walks `value` as a `type`; the path is kept as a stack of segments and only
 * formatted for an unknown field (every request walks its whole object).
 */
function walk(value: unknown, type: string, kind: PropertyKind | undefined, struct: string, segs: Segment[], st: WalkState): void {
  if (value === null || typeof value !== "object") return;
  const t = elementType(type);
  if (t.kind === "array") {
    if (!Array.isArray(value)) return;
    for (let i = 0; i < value.length; i++) {
      const v: unknown = value[i];
      if (!checkValue(v, t.inner, kind, struct, segs, st)) return;
      if (v === null || typeof v !== "object") continue;
      segs.push(i);
      walk(v, t.inner, kind, struct, segs, st);
      segs.pop();
    }
    return;
  }
  if (t.kind === "map") {
    if (Array.isArray(value)) return;
    const obj = value as Record<string, unknown>;
    for (const k of Object.keys(obj)) {
      const v = obj[k];
      if (!checkValue(v, t.inner, kind, struct, segs, st)) return;
      if (v === null || typeof v !== "object") continue;
      segs.push({ mapKey: k });
      walk(v, t.inner, kind, struct, segs, st);
      segs.pop();
    }
    return;
  }
  if (t.kind !== "model" || Array.isArray(value)) return;
  const obj = value as Record<string, unknown>;
  const own = goStruct(t.inner);
  const kinds = propertyKinds(t.inner);
  for (const k of Object.keys(obj)) {
    const ft = fieldType(t.inner, k);
    segs.push(k);
    if (ft === undefined) {
      st.unknown.push(formatPath(segs));
      delete obj[k];
    } else if (checkValue(obj[k], ft, kinds[k], own, segs, st)) {
      walk(obj[k], ft, kinds[k], own, segs, st);
    }
    segs.pop();
  }
}

/**
 * Removes fields unknown to `model` from `obj` (in place) and returns their
 * dotted paths, e.g. `spec.template.spec.containers[0].imagee`, with the
 * first value of the wrong type, if any.
 */
export function pruneUnknownFields(model: string, obj: Record<string, unknown>): { unknown: string[]; mismatch?: TypeMismatch } {
  const st: WalkState = { unknown: [] };
  walk(obj, model, undefined, goStruct(model), [], st);
  return st;
}
