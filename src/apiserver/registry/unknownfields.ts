/**
 * Unknown-field handling for `fieldValidation` (Strict / Warn / Ignore): walks
 * an object along its kind's model structure, removes fields the kind does not
 * have (as upstream's decoder drops them) and reports their paths.
 */
import { fieldType } from "../../api/patchmeta.ts";

const scalarTypes = new Set(["string", "number", "boolean", "Date", "IntOrString", "object", "any"]);

function elementType(t: string): { kind: "array" | "map" | "model" | "scalar"; inner: string } {
  if (t.startsWith("Array<") && t.endsWith(">")) return { kind: "array", inner: t.slice(6, -1) };
  const m = /^\{ \[key: string\]: (.+); \}$/.exec(t);
  if (m) return { kind: "map", inner: m[1] };
  if (scalarTypes.has(t) || /^[a-z]/.test(t)) return { kind: "scalar", inner: t };
  return { kind: "model", inner: t };
}

function walk(value: unknown, type: string, path: string, out: string[]): void {
  if (value === null || typeof value !== "object") return;
  const t = elementType(type);
  if (t.kind === "array") {
    if (Array.isArray(value)) value.forEach((v, i) => walk(v, t.inner, `${path}[${i}]`, out));
    return;
  }
  if (t.kind === "map") {
    if (!Array.isArray(value)) for (const [k, v] of Object.entries(value)) walk(v, t.inner, `${path}[${k}]`, out);
    return;
  }
  if (t.kind !== "model" || Array.isArray(value)) return;
  const obj = value as Record<string, unknown>;
  for (const k of Object.keys(obj)) {
    const ft = fieldType(t.inner, k);
    const p = path ? `${path}.${k}` : k;
    if (ft === undefined) {
      out.push(p);
      delete obj[k];
      continue;
    }
    walk(obj[k], ft, p, out);
  }
}

/**
 * Removes fields unknown to `model` from `obj` (in place) and returns their
 * dotted paths, e.g. `spec.template.spec.containers[0].imagee`.
 */
export function pruneUnknownFields(model: string, obj: Record<string, unknown>): string[] {
  const out: string[] = [];
  walk(obj, model, "", out);
  return out;
}
