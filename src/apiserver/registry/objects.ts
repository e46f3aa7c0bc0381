/**
 * Small helpers of the generic registry: storage keys, the stored encoding of
 * objects (resourceVersion is the store revision, never stored), generated
 * names, version conversion at the edges and deep equality.
 */
import { randomInt, randomUUID } from "node:crypto";
import { groupVersion, type ResourceInfo } from "../../api/resources.ts";
import type { KObject } from "../../api/types.ts";
import { convertFromStorage, convertToStorage } from "../../api/conversion/index.ts";
import { rfc3339 } from "../../machinery/time.ts";
import { jsonClone } from "../../machinery/jsonpatch.ts";

/** Storage key of one object: /registry/<bucket>/<namespace>/<name> or /registry/<bucket>/<name>. */
export function objectKey(info: ResourceInfo, namespace: string, name: string): string {
  return info.namespaced ? `/registry/${info.storage}/${namespace}/${name}` : `/registry/${info.storage}/${name}`;
}

/** Key prefix of a collection (all namespaces when namespace is empty). */
export function collectionPrefix(info: ResourceInfo, namespace: string): string {
  return info.namespaced && namespace ? `/registry/${info.storage}/${namespace}/` : `/registry/${info.storage}/`;
}

/** Serialises an object for storage: resourceVersion and selfLink are not stored. */
export function encodeForStorage(obj: KObject): string {
  const { resourceVersion: _rv, selfLink: _sl, ...meta } = obj.metadata;
  return JSON.stringify({ ...obj, metadata: meta });
}

const nameChars = "bcdfghjklmnpqrstvwxz2456789";

/** Appends five random characters to generateName, like upstream's SimpleNameGenerator. */
export function generateName(base: string): string {
  const prefix = base.length > 58 ? base.slice(0, 58) : base;
  let s = "";
  for (let i = 0; i < 5; i++) s += nameChars[randomInt(nameChars.length)];
  return prefix + s;
}

export function newUid(): string {
  return randomUUID();
}

let lastSecond = -1;
let lastStamp = "";

/** RFC 3339 timestamp with second precision, as metav1.Time serialises. */
export function nowTimestamp(now?: Date): string {
  if (now) return rfc3339(now);
  const sec = Math.floor(Date.now() / 1000);
  if (sec !== lastSecond) {
    lastSecond = sec;
    lastStamp = rfc3339(sec * 1000);
  }
  return lastStamp;
}

/** Converts a stored object to the version the request addressed. */
export function toRequestVersion(info: ResourceInfo, obj: KObject): KObject {
  const gv = groupVersion(info);
  if (info.storageVersion === gv) {
    if (obj.apiVersion === gv && obj.kind === info.kind) return obj;
    return { ...obj, apiVersion: gv, kind: info.kind };
  }
  return convertFromStorage(obj, gv);
}

/** Converts a request-version object to its stored form. */
export function toStorageVersion(info: ResourceInfo, obj: KObject): KObject {
  if (info.storageVersion === groupVersion(info)) return obj;
  return convertToStorage(obj, info.storageVersion);
}

/** Structural equality of JSON values. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    if (a.length !== bb.length) return false;
    for (let i = 0; i < a.length; i++) if (!jsonEqual(a[i], bb[i])) return false;
    return true;
  }
  // Members whose value is undefined count as absent. No arrays are built:
  // updates compare whole objects, and this runs on every one.
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  let defined = 0;
  for (const k in ao) {
    if (!Object.hasOwn(ao, k) || ao[k] === undefined) continue;
    defined++;
    if (!Object.hasOwn(bo, k) || !jsonEqual(ao[k], bo[k])) return false;
  }
  for (const k in bo) if (Object.hasOwn(bo, k) && bo[k] !== undefined) defined--;
  return defined === 0;
}

/** Deep copy of a JSON value (see jsonClone). */
export const clone: <T>(v: T) => T = jsonClone;

/** Everything but metadata and status: what a generation bump is about. */
export function specPart(obj: KObject): Record<string, unknown> {
  const { metadata: _m, status: _s, apiVersion: _a, kind: _k, ...rest } = obj;
  return rest;
}

/** ObjectMeta fields that are omitted when empty (all are `omitempty` upstream, so `[]`/`{}` never come back). */
const omitEmptyMeta = ["labels", "annotations", "ownerReferences", "finalizers", "managedFields"] as const;

/** Removes empty labels, annotations, ownerReferences, finalizers and managedFields from `m`, as upstream's encoding drops them. */
export function dropEmptyMetadata(meta: object): void {
  const m = meta as Record<string, unknown>;
  for (const f of omitEmptyMeta) {
    const v = m[f];
    if (v === null || (Array.isArray(v) && v.length === 0) || (typeof v === "object" && v !== null && !Array.isArray(v) && Object.keys(v).length === 0)) delete m[f];
  }
}
