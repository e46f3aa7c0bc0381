/**
 * Two-way strategic merge patch creation (upstream's CreateTwoWayMergePatch):
 * the patch that turns `original` into `modified` for a client model, using
 * the same directives `kubectl` sends: `null` for removed keys, merge-keyed
 * list elements with `$patch: delete` for removed elements,
 * `$deleteFromPrimitiveList/<list>` for removed primitives,
 * `$setElementOrder/<list>` whenever a merged list's content or order changed,
 * and `$retainKeys` for fields tagged retainKeys.
 */
import { badRequest } from "./errors.ts";
import { jsonClone, jsonEqual } from "./jsonpatch.ts";
import { baseStrategy, lookup, retainsKeys } from "./strategicpatch-schema.ts";
import type { Schema } from "./strategicpatch-schema.ts";

type Json = unknown;
type JsonObject = Record<string, Json>;

const isObject = (v: unknown): v is JsonObject => typeof v === "object" && v !== null && !Array.isArray(v);

const keyString = (v: Json): string => (typeof v === "string" ? v : JSON.stringify(v));

function diffMaps(original: JsonObject, modified: JsonObject, schema: Schema, buildRetainKeys: boolean): JsonObject {
  const patch: JsonObject = {};
  const retain: string[] = [];
  for (const [key, mv] of Object.entries(modified)) {
    if (buildRetainKeys && mv !== null) retain.push(key);
    const ov = original[key];
    if (!Object.hasOwn(original, key)) {
      patch[key] = jsonClone(mv);
      continue;
    }
    if (jsonEqual(ov, mv)) continue;
    const { sub, meta } = lookup(schema, key);
    if (isObject(ov) && isObject(mv)) {
      if (baseStrategy(meta) === "replace") patch[key] = jsonClone(mv);
      else {
        const d = diffMaps(ov, mv, sub, retainsKeys(meta));
        if (Object.keys(d).length) patch[key] = d;
      }
    } else if (Array.isArray(ov) && Array.isArray(mv) && baseStrategy(meta) === "merge") {
      diffList(patch, key, ov, mv, sub, meta?.mergeKey ?? "", retainsKeys(meta));
    } else {
      patch[key] = jsonClone(mv);
    }
  }
  const removed = Object.keys(original).filter((k) => !Object.hasOwn(modified, k));
  for (const k of removed) patch[k] = null;
  if (retain.length && (Object.keys(patch).length > 0 || removed.length > 0)) {
    patch["$retainKeys"] = retain.sort();
  }
  return patch;
}

function diffList(
  patch: JsonObject,
  key: string,
  original: Json[],
  modified: Json[],
  sub: Schema,
  mergeKey: string,
  buildRetainKeys: boolean,
): void {
  if (original.length === 0) {
    if (modified.length) patch[key] = jsonClone(modified);
    return;
  }
  const sample = [...original, ...modified][0];
  if (!isObject(sample)) {
    const added = modified.filter((v, i) => !original.includes(v) && modified.indexOf(v) === i);
    const deleted = [...new Set(original.filter((v) => !modified.includes(v)))].sort((a, b) =>
      keyString(a) < keyString(b) ? -1 : keyString(a) > keyString(b) ? 1 : 0,
    );
    if (added.length) patch[key] = added;
    if (deleted.length) patch[`$deleteFromPrimitiveList/${key}`] = deleted;
    if (deleted.length || !jsonEqual(original, modified)) patch[`$setElementOrder/${key}`] = jsonClone(modified);
    return;
  }
  if (!mergeKey) throw badRequest(`cannot merge lists without merge key for ${sub.model ?? key}`);
  const keyOf = (v: Json) => (v as JsonObject)[mergeKey];
  const changes: Json[] = [];
  for (const m of modified) {
    const o = original.find((x) => keyOf(x) === keyOf(m));
    if (!o) changes.push(jsonClone(m));
    else {
      const d = diffMaps(o as JsonObject, m as JsonObject, sub, buildRetainKeys);
      if (Object.keys(d).length) changes.push({ ...d, [mergeKey]: keyOf(m) });
    }
  }
  const deletions = original
    .filter((o) => !modified.some((m) => keyOf(m) === keyOf(o)))
    .map((o) => keyOf(o))
    .sort((a, b) => (keyString(a) < keyString(b) ? -1 : keyString(a) > keyString(b) ? 1 : 0))
    .map((k) => ({ $patch: "delete", [mergeKey]: k }));
  const list = [...changes, ...deletions];
  const orderSame = original.length === modified.length && original.every((o, i) => keyOf(o) === keyOf(modified[i]));
  if (list.length) patch[key] = list;
  if (list.length > 0 || !orderSame) {
    patch[`$setElementOrder/${key}`] = modified.map((m) => ({ [mergeKey]: keyOf(m) }));
  }
}

/**
 * The strategic merge patch turning `original` into `modified` (both objects
 * of client model `model`, e.g. `V1Deployment`); `{}` when they are equal.
 * Applying it with applyStrategicMergePatch to `original` yields `modified`.
 */
export function createTwoWayStrategicMergePatch(original: unknown, modified: unknown, model: string): Record<string, unknown> {
  if (!isObject(original) || !isObject(modified)) throw badRequest("invalid JSON document");
  return diffMaps(original, modified, { model }, false);
}
