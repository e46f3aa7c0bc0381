/**
 * Duplicate-key detection in JSON text. JSON.parse keeps the last of repeated
 * keys silently; `fieldValidation` must report them (`duplicate field
 * "spec.replicas"`). This scanner walks already-valid JSON once, tracking the
 * keys of each open object, and returns the dotted paths of repeated keys.
 * Call it only on text JSON.parse accepted: it does not validate.
 */

import { childPath, indexPath } from "./validation.ts";

/**
 * One open object or array. Paths are not built while scanning (every request
 * body is scanned): a frame knows its parent and the segment naming it there,
 * and a path is formatted only for a duplicate.
 */
interface Frame {
  keys: Set<string> | undefined;
  parent: Frame | undefined;
  /** This frame's member name (in an object) or index (in an array) within its parent; undefined at the top. */
  seg: string | number | undefined;
  index: number;
  isArray: boolean;
}

function skipString(text: string, i: number): number {
  for (let j = i + 1; j < text.length; j++) {
    const c = text.charCodeAt(j);
    if (c === 92) j++;
    else if (c === 34) return j + 1;
  }
  return text.length;
}

function framePath(f: Frame | undefined): string {
  if (!f || f.seg === undefined) return "";
  const parent = framePath(f.parent);
  return typeof f.seg === "number" ? indexPath(parent, f.seg) : childPath(parent, f.seg);
}

/** Dotted paths (`a.b[0].c`) of keys that occur more than once in the same object. */
export function findDuplicateKeys(text: string): string[] {
  const out: string[] = [];
  const stack: Frame[] = [];
  let pendingSeg: string | number | undefined;
  let expectKey = false;
  for (let i = 0; i < text.length; ) {
    const c = text.charCodeAt(i);
    if (c === 123 /* { */) {
      stack.push({ keys: undefined, parent: stack[stack.length - 1], seg: pendingSeg, index: 0, isArray: false });
      expectKey = true;
      i++;
    } else if (c === 91 /* [ */) {
      stack.push({ keys: undefined, parent: stack[stack.length - 1], seg: pendingSeg, index: 0, isArray: true });
      pendingSeg = 0;
      expectKey = false;
      i++;
    } else if (c === 125 /* } */ || c === 93 /* ] */) {
      stack.pop();
      i++;
    } else if (c === 44 /* , */) {
      const top = stack[stack.length - 1];
      if (top?.isArray) pendingSeg = ++top.index;
      else expectKey = true;
      i++;
    } else if (c === 34 /* " */) {
      const end = skipString(text, i);
      const top = stack[stack.length - 1];
      if (expectKey && top && !top.isArray) {
        const raw = text.slice(i + 1, end - 1);
        const key = raw.includes("\\") ? (JSON.parse(text.slice(i, end)) as string) : raw;
        top.keys ??= new Set();
        if (top.keys.has(key)) out.push(childPath(framePath(top), key));
        else top.keys.add(key);
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
