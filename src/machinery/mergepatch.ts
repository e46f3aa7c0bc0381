/**
 * JSON Merge Patch (RFC 7386), the `application/merge-patch+json` patch type:
 * objects merge key by key, `null` deletes a key, anything else (arrays
 * included) replaces. `createMergePatch` computes the patch turning one
 * document into another, for clients and tests.
 *
 * As upstream's apiserver does, a patch that is neither an object nor an array
 * is rejected with 400 BadRequest "Invalid JSON Patch".
 */
import { badRequest } from "./errors.ts";
import { jsonClone, jsonEqual } from "./jsonpatch.ts";

type JsonObject = Record<string, unknown>;

const isObject = (v: unknown): v is JsonObject => typeof v === "object" && v !== null && !Array.isArray(v);

/** A deep copy of `v` with null members of nested objects removed (as a merge into nothing). */
function pruneNulls(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(pruneNulls);
  if (!isObject(v)) return v;
  const out: JsonObject = {};
  for (const [k, val] of Object.entries(v)) if (val !== null) out[k] = pruneNulls(val);
  return out;
}

function mergeInto(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return jsonClone(patch);
  const out: JsonObject = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = isObject(v) ? mergeInto(out[k], v) : pruneNulls(v);
  }
  return out;
}

/**
 * Applies a JSON-decoded merge patch to `doc` and returns the result; neither
 * argument is mutated. An array patch replaces the whole document.
 */
export function applyMergePatch(doc: unknown, patch: unknown): unknown {
  if (Array.isArray(patch)) return pruneNulls(patch);
  if (!isObject(patch)) throw badRequest("Invalid JSON Patch");
  return mergeInto(jsonClone(doc), patch);
}

/**
 * The merge patch that turns `original` into `modified`: changed keys with
 * their new value, removed keys as null, nested objects diffed recursively.
 * Both must be objects; the result is `{}` when they are equal.
 */
export function createMergePatch(original: unknown, modified: unknown): Record<string, unknown> {
  if (!isObject(original) || !isObject(modified)) throw badRequest("Invalid JSON Document");
  const patch: JsonObject = {};
  for (const k of Object.keys(original)) if (!Object.hasOwn(modified, k)) patch[k] = null;
  for (const [k, v] of Object.entries(modified)) {
    const o = original[k];
    if (Object.hasOwn(original, k) && jsonEqual(o, v)) continue;
    if (isObject(o) && isObject(v)) {
      const sub = createMergePatch(o, v);
      if (Object.keys(sub).length) patch[k] = sub;
    } else patch[k] = jsonClone(v);
  }
  return patch;
}
