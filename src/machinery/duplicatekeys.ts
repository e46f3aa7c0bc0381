/**
 * Duplicate-key detection in JSON text. JSON.parse keeps the last of repeated
 * keys silently; `fieldValidation` must report them (`duplicate field
 * "spec.replicas"`). This scanner walks already-valid JSON once, tracking the
 * keys of each open object, and returns the dotted paths of repeated keys.
 * Call it only on text JSON.parse accepted: it does not validate.
 */

import { childPath, indexPath } from "./validation.ts";

/** Objects with more keys than this get a Set; smaller ones are searched in place. */
const linearKeys = 16;

/** Index just past the closing quote of the string starting at `i`. */
function skipString(text: string, i: number): number {
  let j = text.indexOf('"', i + 1);
  while (j > 0) {
    let backslashes = 0;
    while (text.charCodeAt(j - 1 - backslashes) === 92) backslashes++;
    if ((backslashes & 1) === 0) return j + 1;
    j = text.indexOf('"', j + 1);
  }
  return text.length;
}

/**
 * Dotted paths (`a.b[0].c`) of keys that occur more than once in the same
 * object. Every write's body is scanned, so nothing is allocated per object:
 * the open objects and arrays are parallel stacks, and the keys of all open
 * objects share one stack (an object's keys sit above its parent's, and are
 * dropped when it closes); only large objects get a Set.
 */
export function findDuplicateKeys(text: string): string[] {
  const out: string[] = [];
  /** Per open container: whether it is an array, its member name or index in its parent, its element index, where its keys start. */
  const isArray: boolean[] = [];
  const seg: (string | number | undefined)[] = [];
  const index: number[] = [];
  const keysFrom: number[] = [];
  const sets: (Set<string> | undefined)[] = [];
  const keys: string[] = [];
  let depth = 0;
  let pendingSeg: string | number | undefined;
  let expectKey = false;
  const path = (upTo: number): string => {
    let p = "";
    for (let d = 1; d < upTo; d++) {
      const sg = seg[d];
      p = typeof sg === "number" ? indexPath(p, sg) : childPath(p, sg as string);
    }
    return p;
  };
  for (let i = 0; i < text.length; ) {
    const c = text.charCodeAt(i);
    if (c === 123 /* { */ || c === 91 /* [ */) {
      const arr = c === 91;
      isArray[depth] = arr;
      seg[depth] = pendingSeg;
      index[depth] = 0;
      keysFrom[depth] = keys.length;
      sets[depth] = undefined;
      depth++;
      pendingSeg = arr ? 0 : undefined;
      expectKey = !arr;
      i++;
    } else if (c === 125 /* } */ || c === 93 /* ] */) {
      if (depth > 0) {
        depth--;
        keys.length = keysFrom[depth];
        sets[depth] = undefined;
      }
      i++;
    } else if (c === 44 /* , */) {
      if (depth > 0 && isArray[depth - 1]) pendingSeg = ++index[depth - 1];
      else expectKey = true;
      i++;
    } else if (c === 34 /* " */) {
      const end = skipString(text, i);
      if (expectKey && depth > 0 && !isArray[depth - 1]) {
        const raw = text.slice(i + 1, end - 1);
        const key = raw.includes("\\") ? (JSON.parse(text.slice(i, end)) as string) : raw;
        const top = depth - 1;
        let dup = false;
        const set = sets[top];
        if (set) {
          dup = set.has(key);
          set.add(key);
        } else {
          for (let k = keysFrom[top]; k < keys.length; k++) {
            if (keys[k] === key) {
              dup = true;
              break;
            }
          }
          if (!dup) {
            keys.push(key);
            if (keys.length - keysFrom[top] > linearKeys) sets[top] = new Set(keys.slice(keysFrom[top]));
          }
        }
        // seg[depth] is this object's own name in its parent; path(depth) names the object.
        if (dup) out.push(childPath(path(depth), key));
        pendingSeg = key;
        expectKey = false;
      }
      i = end;
    } else {
      i++;
    }
  }
  return out;
}
