/**
 * Strategic merge patch (`application/strategic-merge-patch+json`) with the
 * semantics of upstream's k8s.io/apimachinery/pkg/util/strategicpatch as the
 * apiserver applies it:
 *
 * - objects merge key by key; `null` deletes a key;
 * - lists whose field is tagged `patchStrategy: merge` with a merge key merge
 *   element by element on that key; primitive lists tagged `merge` are unions;
 *   every other list is replaced;
 * - directives: `$patch: replace | delete` on objects, `$patch: replace |
 *   delete` as list elements, `$retainKeys`, `$setElementOrder/<list>`,
 *   `$deleteFromPrimitiveList/<list>`;
 * - element order: elements named by the patch (or by `$setElementOrder`)
 *   take the patch's order, elements only on the server keep theirs, and the
 *   two are interleaved by server position; a new element therefore lands
 *   before the server-only elements that follow no patched one (upstream's
 *   mergeSortedSlice).
 *
 * The schema is walked with the client model type table (`fieldType`) and
 * `patchMeta` tags; values of unknown type get no strategy (maps merge, lists
 * are replaced), which is JSON-merge-patch behaviour.
 *
 * Errors follow upstream's patch handler: malformed directives are 400
 * BadRequest, lists of lists and retainKeys mismatches 422, everything else
 * the library reports (missing merge key, unknown `$patch`) a 500 carrying
 * the library's message.
 */
import { StatusError, badRequest } from "./errors.ts";
import type { FieldPatchMeta } from "../api/patchmeta.ts";
import { baseStrategy, lookup } from "./strategicpatch-schema.ts";
import type { Schema } from "./strategicpatch-schema.ts";
import { jsonClone } from "./jsonpatch.ts";

type Json = unknown;
type JsonObject = Record<string, Json>;

const directiveMarker = "$patch";
const retainKeysDirective = "$retainKeys";
const setElementOrderPrefix = "$setElementOrder/";
const deleteFromPrimitiveListPrefix = "$deleteFromPrimitiveList/";

const isObject = (v: unknown): v is JsonObject => typeof v === "object" && v !== null && !Array.isArray(v);

/** Go's `%v` rendering of a decoded JSON value, used in upstream's messages. */
export function goFormat(v: unknown): string {
  if (v === null || v === undefined) return "<nil>";
  if (Array.isArray(v)) return `[${v.map(goFormat).join(" ")}]`;
  if (isObject(v)) {
    return `map[${Object.keys(v)
      .sort()
      .map((k) => `${k}:${goFormat(v[k])}`)
      .join(" ")}]`;
  }
  return String(v);
}

function goKind(v: unknown): string {
  if (Array.isArray(v)) return "slice";
  if (isObject(v)) return "map";
  if (v === null || v === undefined) return "invalid";
  if (typeof v === "number") return "float64";
  if (typeof v === "boolean") return "bool";
  return "string";
}

// Upstream's mergepatch error values and how the handler maps them.
const errBadPatchFormatForPrimitiveList = () => badRequest("invalid patch format of primitive list");
const errBadPatchFormatForRetainKeys = () => badRequest("invalid patch format of retainKeys");
const errNoListOfLists = () => new StatusError("Invalid", "lists of lists are not supported");

/** An error the handler does not classify: upstream answers 500 with the raw message. */
function libraryError(message: string): StatusError {
  return new StatusError("InternalError", message);
}

const errNoMergeKey = (m: unknown, key: string) =>
  libraryError(`map: ${goFormat(m)} does not contain declared merge key: ${key}`);
const errBadArgType = (expected: string, actual: unknown) =>
  libraryError(`expected a ${expected}, but received a ${goKind(actual)}`);
const errBadPatchType = (t: unknown, m: unknown) => libraryError(`unknown patch type: ${goFormat(t)} in map: ${goFormat(m)}`);

// ---------------------------------------------------------------------------
// Maps

function mergeMap(original: JsonObject, patch: JsonObject, schema: Schema): JsonObject {
  if (Object.hasOwn(patch, directiveMarker)) {
    const directive = patch[directiveMarker];
    if (directive === "replace") {
      const rest = { ...patch };
      delete rest[directiveMarker];
      return mergeMap({}, rest, schema);
    }
    if (directive === "delete") return {};
    throw errBadPatchType(directive, patch);
  }
  const work = { ...patch };
  applyRetainKeys(original, work);
  mergeSetElementOrder(original, work, schema);

  const keys = Object.keys(work);
  const ordered = [
    ...keys.filter((k) => k.startsWith(deleteFromPrimitiveListPrefix)),
    ...keys.filter((k) => !k.startsWith(deleteFromPrimitiveListPrefix)),
  ];
  for (const key of ordered) {
    const patchV = work[key];
    if (key.startsWith(deleteFromPrimitiveListPrefix)) {
      const k = key.slice(deleteFromPrimitiveListPrefix.length);
      if (patchV === null) {
        delete original[k];
        continue;
      }
      if (!Array.isArray(patchV)) throw errBadPatchFormatForPrimitiveList();
      const cur = original[k];
      if (Array.isArray(cur)) original[k] = cur.filter((v) => !patchV.some((d) => scalarEqual(d, v)));
      continue;
    }
    if (key.startsWith("$")) continue;
    if (patchV === null) {
      delete original[key];
      continue;
    }
    const { sub, meta } = lookup(schema, key);
    const cur = original[key];
    const both = (isObject(cur) && isObject(patchV)) || (Array.isArray(cur) && Array.isArray(patchV));
    if (!Object.hasOwn(original, key) || cur === null || !both) {
      original[key] = fresh(patchV, sub, meta);
    } else if (isObject(patchV)) {
      original[key] = baseStrategy(meta) === "replace" ? jsonClone(patchV) : mergeMap(cur as JsonObject, patchV, sub);
    } else {
      original[key] = mergeSliceHandler(cur as Json[], patchV as Json[], sub, meta);
    }
  }
  return original;
}

/** A patch value for a key the original lacks: directives applied against nothing, nulls dropped. */
function fresh(patchV: Json, sub: Schema, meta: FieldPatchMeta | undefined): Json {
  if (isObject(patchV)) return baseStrategy(meta) === "replace" ? jsonClone(patchV) : mergeMap({}, patchV, sub);
  if (!Array.isArray(patchV)) return patchV;
  if (baseStrategy(meta) !== "merge") return jsonClone(patchV);
  const out: Json[] = [];
  for (const v of patchV) {
    if (!isObject(v)) out.push(v);
    else if (!Object.hasOwn(v, directiveMarker)) out.push(mergeMap({}, v, sub));
  }
  return out;
}

function applyRetainKeys(original: JsonObject, patch: JsonObject): void {
  if (!Object.hasOwn(patch, retainKeysDirective)) return;
  const keep = patch[retainKeysDirective];
  delete patch[retainKeysDirective];
  if (!Array.isArray(keep)) throw errBadPatchFormatForRetainKeys();
  const set = new Set(keep);
  for (const [k, v] of Object.entries(patch)) {
    if (v === null || k.startsWith(deleteFromPrimitiveListPrefix) || k.startsWith(setElementOrderPrefix)) continue;
    if (!set.has(k)) throw errBadPatchFormatForRetainKeys();
  }
  for (const k of Object.keys(original)) if (!set.has(k)) delete original[k];
}

// ---------------------------------------------------------------------------
// Lists

function scalarEqual(a: Json, b: Json): boolean {
  return a === b;
}

function mergeKeyValue(item: Json, mergeKey: string): Json {
  return isObject(item) ? item[mergeKey] : undefined;
}

function mergeSliceHandler(original: Json[], patch: Json[], sub: Schema, meta: FieldPatchMeta | undefined): Json[] {
  if (baseStrategy(meta) !== "merge") return jsonClone(patch);
  return mergeSlice(original, patch, sub, meta?.mergeKey ?? "", sub.model ?? "");
}

/** The common element kind of the lists: "map", "scalar", or undefined when all are empty. */
function elementKind(...lists: Json[][]): "map" | "scalar" | undefined {
  let kind: string | undefined;
  for (const list of lists) {
    for (const v of list) {
      const k = Array.isArray(v) ? "slice" : isObject(v) ? "map" : v === null ? "null" : typeof v;
      if (k === "slice") throw errNoListOfLists();
      if (kind === undefined) kind = k;
      else if (kind !== k) throw libraryError(`list element types are not identical: ${goFormat(lists)}`);
    }
  }
  if (kind === undefined) return undefined;
  return kind === "map" ? "map" : "scalar";
}

function mergeSlice(original: Json[], patch: Json[], sub: Schema, mergeKey: string, modelName: string): Json[] {
  if (original.length === 0 && patch.length === 0) return original;
  const kind = elementKind(original, patch);
  if (kind === undefined) throw libraryError("no elements in any of the given slices");
  let merged: Json[];
  let base = original;
  let rest = patch;
  if (kind === "scalar") {
    merged = [];
    for (const v of [...original, ...patch]) if (!merged.some((m) => scalarEqual(m, v))) merged.push(v);
    const patchItems = merged.filter((v) => patch.some((p) => scalarEqual(p, v)));
    const serverOnly = merged.filter((v) => !patch.some((p) => scalarEqual(p, v)));
    return normalizeElementOrder(patchItems, serverOnly, patch, original, "");
  }
  if (!mergeKey) throw libraryError(`cannot merge lists without merge key for ${modelName}`);
  [base, rest] = applySpecialElements(original, patch, mergeKey, sub);
  merged = [...base];
  for (const v of rest) {
    const m = v as JsonObject;
    if (!Object.hasOwn(m, mergeKey)) throw errNoMergeKey(m, mergeKey);
    const idx = merged.findIndex((o) => keyEqual(mergeKeyValue(o, mergeKey), m[mergeKey]));
    if (idx >= 0) merged[idx] = mergeMap({ ...(merged[idx] as JsonObject) }, m, sub);
    else merged.push(mergeMap({}, m, sub));
  }
  const inRest = (item: Json) => rest.some((p) => keyEqual(mergeKeyValue(p, mergeKey), mergeKeyValue(item, mergeKey)));
  return normalizeElementOrder(merged.filter(inRest), merged.filter((v) => !inRest(v)), rest, base, mergeKey);
}

function keyEqual(a: Json, b: Json): boolean {
  return a !== undefined && a === b;
}

/** Applies `$patch` list elements: deletes by key, or `replace` (the rest becomes the list). */
function applySpecialElements(original: Json[], patch: Json[], mergeKey: string, sub: Schema): [Json[], Json[]] {
  const plain: Json[] = [];
  let base = original;
  let replace = false;
  for (const v of patch) {
    const m = v as JsonObject;
    if (!Object.hasOwn(m, directiveMarker)) {
      plain.push(v);
      continue;
    }
    const directive = m[directiveMarker];
    if (directive === "delete") {
      if (!Object.hasOwn(m, mergeKey)) throw errNoMergeKey(m, mergeKey);
      base = base.filter((o) => !keyEqual(mergeKeyValue(o, mergeKey), m[mergeKey]));
    } else if (directive === "replace") {
      replace = true;
    } else if (directive === "merge") {
      throw libraryError("merging lists cannot yet be specified in the patch");
    } else {
      throw errBadPatchType(directive, m);
    }
  }
  if (replace) return [plain.map((v) => mergeMap({}, v as JsonObject, sub)), []];
  return [base, plain];
}

function indexIn(list: Json[], item: Json, mergeKey: string): number {
  if (!mergeKey) return list.findIndex((v) => scalarEqual(v, item));
  const key = mergeKeyValue(item, mergeKey);
  return list.findIndex((v) => keyEqual(mergeKeyValue(v, mergeKey), key));
}

/** Stable sort of `items` by position in `order`; items absent from `order` keep their relative place after. */
function sortByOrder(items: Json[], order: Json[], mergeKey: string): Json[] {
  if (mergeKey) {
    for (const v of [...items, ...order]) {
      if (!isObject(v)) throw errBadArgType("map", v);
      if (!Object.hasOwn(v, mergeKey)) throw errNoMergeKey(v, mergeKey);
    }
  }
  const ranked = items.map((v, i) => ({ v, i, at: indexIn(order, v, mergeKey) }));
  ranked.sort((a, b) => {
    if (a.at >= 0 && b.at >= 0) return a.at - b.at;
    if (a.at >= 0) return -1;
    if (b.at >= 0) return 1;
    return a.i - b.i;
  });
  return ranked.map((r) => r.v);
}

/**
 * Orders patch items by `patchOrder`, server-only items by `serverOrder`, then
 * interleaves them: a server-only item goes first only when both it and the
 * next patch item are on the server and it comes earlier there.
 */
function normalizeElementOrder(patchItems: Json[], serverOnly: Json[], patchOrder: Json[], serverOrder: Json[], mergeKey: string): Json[] {
  const right = sortByOrder(patchItems, patchOrder, mergeKey);
  const left = sortByOrder(serverOnly, serverOrder, mergeKey);
  const out: Json[] = [];
  let i = 0;
  let j = 0;
  while (i < left.length || j < right.length) {
    if (i >= left.length) out.push(right[j++]);
    else if (j >= right.length) out.push(left[i++]);
    else {
      const li = indexIn(serverOrder, left[i], mergeKey);
      const ri = indexIn(serverOrder, right[j], mergeKey);
      if (li >= 0 && ri >= 0 && li < ri) out.push(left[i++]);
      else out.push(right[j++]);
    }
  }
  return out;
}

/** Processes every `$setElementOrder/<key>` directive of `patch` (removing it and `<key>` from the patch). */
function mergeSetElementOrder(original: JsonObject, patch: JsonObject, schema: Schema): void {
  for (const directiveKey of Object.keys(patch)) {
    if (!directiveKey.startsWith(setElementOrderPrefix)) continue;
    const order = patch[directiveKey];
    delete patch[directiveKey];
    if (!Array.isArray(order)) throw errBadArgType("slice", order);
    const key = directiveKey.slice(setElementOrderPrefix.length);
    const foundOriginal = Object.hasOwn(original, key);
    const foundPatch = Object.hasOwn(patch, key);
    const originalList = foundOriginal ? original[key] : undefined;
    const patchList = foundPatch ? patch[key] : undefined;
    if (foundOriginal && !Array.isArray(originalList)) throw errBadArgType("slice", originalList);
    if (foundPatch && !Array.isArray(patchList)) throw errBadArgType("slice", patchList);
    const { sub, meta } = lookup(schema, key);
    const mergeKey = meta?.mergeKey ?? "";
    const origArr = (originalList ?? []) as Json[];
    const patchArr = (patchList ?? []) as Json[];
    validateSetOrder(patchArr, order, mergeKey);
    let merged: Json[];
    if (foundOriginal && foundPatch) merged = mergeSliceHandler(origArr, patchArr, sub, meta);
    else if (foundPatch) merged = fresh(patchArr, sub, meta) as Json[];
    else if (foundOriginal) merged = origArr;
    else continue;
    const inOrder = (v: Json) => indexIn(order, v, mergeKey) >= 0;
    if (mergeKey) for (const v of [...merged, ...order]) if (!isObject(v)) throw errBadArgType("map", v);
    if (elementKind(origArr, patchArr) === undefined) {
      original[key] = merged;
    } else {
      original[key] = normalizeElementOrder(merged.filter(inOrder), merged.filter((v) => !inOrder(v)), order, origArr, mergeKey);
    }
    delete patch[key];
  }
}

/** The non-delete patch items must appear in the `$setElementOrder` list in the same relative order. */
function validateSetOrder(patchList: Json[], order: Json[], mergeKey: string): void {
  if (order.length === 0 || patchList.length === 0) return;
  const items = mergeKey ? patchList.filter((v) => !(isObject(v) && v[directiveMarker] === "delete")) : patchList;
  let p = 0;
  let s = 0;
  while (p < items.length && s < order.length) {
    if (isObject(items[p]) && Object.hasOwn(items[p] as JsonObject, directiveMarker)) {
      p++;
      continue;
    }
    if (mergeKey) {
      if (!isObject(items[p]) || !isObject(order[s])) throw errBadArgType("map", isObject(items[p]) ? order[s] : items[p]);
      if (!Object.hasOwn(items[p] as JsonObject, mergeKey)) throw errNoMergeKey(items[p], mergeKey);
      if (!Object.hasOwn(order[s] as JsonObject, mergeKey)) throw errNoMergeKey(order[s], mergeKey);
    }
    const equal = mergeKey
      ? keyEqual(mergeKeyValue(items[p], mergeKey), mergeKeyValue(order[s], mergeKey))
      : scalarEqual(items[p], order[s]);
    if (equal) p++;
    s++;
  }
  if (p < items.length && s >= order.length) {
    throw libraryError(
      `The order in patch list:\n${goFormat(patchList)}\n doesn't match ${setElementOrderPrefix} list:\n${goFormat(order)}\n`,
    );
  }
}

// ---------------------------------------------------------------------------
// Entry points

/**
 * Applies a JSON-decoded strategic merge patch to `doc`, an object of client
 * model `model` (e.g. `V1Deployment`), and returns the result; neither input
 * is mutated. A `null` patch changes nothing; a non-object patch is 400.
 */
export function applyStrategicMergePatch(doc: unknown, patch: unknown, model: string): unknown {
  if (patch === null || patch === undefined) return jsonClone(doc);
  if (!isObject(patch)) {
    throw badRequest(`json: cannot unmarshal ${Array.isArray(patch) ? "array" : typeof patch} into Go value of type map[string]interface {}`);
  }
  if (!isObject(doc)) throw badRequest("invalid JSON document");
  return mergeMap(jsonClone(doc), jsonClone(patch), { model });
}

export { createTwoWayStrategicMergePatch } from "./strategicpatch-diff.ts";
