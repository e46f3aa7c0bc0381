/**
 * Unknown-field handling for `fieldValidation` (Strict / Warn / Ignore): walks
 * an object along its kind's model structure, removes fields the kind does not
 * have (as upstream's decoder drops them) and reports their paths.
 */
import { fieldType } from "../../api/patchmeta.ts";
import { childPath, indexPath, keyPath } from "../../machinery/validation.ts";

const scalarTypes = new Set(["string", "number", "boolean", "Date", "IntOrString", "object", "any"]);

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

/**
 * Walks `value` as a `type`; the path is kept as a stack of segments and only
 * formatted for an unknown field (every request walks its whole object).
 */
function walk(value: unknown, type: string, segs: Segment[], out: string[]): void {
  if (value === null || typeof value !== "object") return;
  const t = elementType(type);
  if (t.kind === "array") {
    if (!Array.isArray(value)) return;
    for (let i = 0; i < value.length; i++) {
      const v: unknown = value[i];
      if (v === null || typeof v !== "object") continue;
      segs.push(i);
      walk(v, t.inner, segs, out);
      segs.pop();
    }
    return;
  }
  if (t.kind === "map") {
    if (Array.isArray(value)) return;
    const obj = value as Record<string, unknown>;
    for (const k of Object.keys(obj)) {
      const v = obj[k];
      if (v === null || typeof v !== "object") continue;
      segs.push({ mapKey: k });
      walk(v, t.inner, segs, out);
      segs.pop();
    }
    return;
  }
  if (t.kind !== "model" || Array.isArray(value)) return;
  const obj = value as Record<string, unknown>;
  for (const k of Object.keys(obj)) {
    const ft = fieldType(t.inner, k);
    segs.push(k);
    if (ft === undefined) {
      out.push(formatPath(segs));
      delete obj[k];
    } else {
      walk(obj[k], ft, segs, out);
    }
    segs.pop();
  }
}

/**
 * Removes fields unknown to `model` from `obj` (in place) and returns their
 * dotted paths, e.g. `spec.template.spec.containers[0].imagee`.
 */
export function pruneUnknownFields(model: string, obj: Record<string, unknown>): string[] {
  const out: string[] = [];
  walk(obj, model, [], out);
  return out;
}
