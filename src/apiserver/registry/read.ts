/**
 * Get and list: served from the watch cache (after waiting until it reflects
 * every acknowledged write, unless resourceVersion=0 allows any state), with
 * label and field selectors, limit/continue pagination (continuations and
 * resourceVersionMatch=Exact read the store at the list's revision), and
 * upstream's resourceVersion / resourceVersionMatch rules.
 */
import type { ResourceInfo } from "../../api/resources.ts";
import type { KObject } from "../../api/types.ts";
import { badRequest, notFound, StatusError } from "../../machinery/errors.ts";
import { checkFieldSelector, objectFields, parseFieldSelector } from "../../machinery/fields.ts";
import { parseSelector } from "../../machinery/labels.ts";
import { CompactedError, FutureRevisionError } from "../../storage/types.ts";
import { decodeStored } from "../watchcache.ts";
import { collectionPrefix, objectKey, toRequestVersion } from "./objects.ts";
import type { Registry } from "./registry.ts";

export interface ListQuery {
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
  resourceVersion?: string;
  resourceVersionMatch?: string;
}

export interface ListResult {
  items: KObject[];
  resourceVersion: string;
  continue?: string;
  remainingItemCount?: number;
}

/** A predicate over objects built from label and field selector strings. */
export type Matcher = (obj: KObject) => boolean;

/** Builds the selector predicate of a list or watch (400 on bad selectors). */
export function buildMatcher(info: ResourceInfo, labelSelector?: string, fieldSelector?: string): Matcher | undefined {
  const ls = labelSelector ? parseSelector(labelSelector) : undefined;
  // Labels are converted to the names objectFields produces (events.k8s.io regarding.name → involvedObject.name).
  const fs = fieldSelector ? checkFieldSelector(info.kind, info.group, parseFieldSelector(fieldSelector)) : undefined;
  const useLabels = ls && !ls.empty();
  const useFields = fs && !fs.empty();
  if (!useLabels && !useFields) return undefined;
  return (obj) =>
    (!useLabels || ls.matches(obj.metadata.labels)) && (!useFields || fs.matches(objectFields(info.kind, info.group, obj)));
}

function parseRv(rv: string, what = "resourceVersion"): number {
  if (!/^\d+$/.test(rv)) {
    throw new StatusError("BadRequest", `invalid ${what}: ${JSON.stringify(rv)}`);
  }
  return Number(rv);
}

/** Waits for the cache per the resourceVersion semantics of a get/list/watch. */
export async function waitForCache(reg: Registry, rv: string | undefined): Promise<void> {
  try {
    if (rv === undefined || rv === "") await reg.cache.waitFresh();
    else if (rv !== "0") await reg.cache.waitForRevision(parseRv(rv));
  } catch (err) {
    if (err instanceof StatusError) throw err;
    throw new StatusError("Timeout", `Too large resource version: ${rv}, current: ${reg.cache.revision}`, {
      causes: [{ reason: "ResourceVersionTooLarge", message: "Too large resource version" }],
      retryAfterSeconds: 1,
    });
  }
}

/** Reads one object. */
export async function getObject(
  reg: Registry,
  info: ResourceInfo,
  namespace: string,
  name: string,
  resourceVersion?: string,
): Promise<KObject> {
  const key = objectKey(info, namespace, name);
  await waitForCache(reg, resourceVersion);
  const c = reg.cache.get(key);
  if (!c) throw notFound({ group: info.group, resource: info.plural }, name);
  return toRequestVersion(info, c.obj);
}

interface ContinueToken {
  v: string;
  rv: number;
  start: string;
}

function encodeContinue(rv: number, start: string): string {
  return Buffer.from(JSON.stringify({ v: "meta.k8s.io/v1", rv, start } satisfies ContinueToken)).toString("base64url");
}

function decodeContinue(token: string): ContinueToken {
  try {
    const t = JSON.parse(Buffer.from(token, "base64").toString("utf8")) as ContinueToken;
    if (t.v !== "meta.k8s.io/v1" || typeof t.rv !== "number" || typeof t.start !== "string" || t.start.includes("..")) throw new Error();
    return t;
  } catch {
    throw badRequest("continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)");
  }
}

function prefixEnd(prefix: string): string {
  return prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);
}

const expiredMessage =
  "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.";

/** Pages through the store at a fixed revision, collecting up to `limit` matches. */
async function listFromStore(
  reg: Registry,
  info: ResourceInfo,
  prefix: string,
  startKey: string,
  revision: number,
  limit: number,
  match: Matcher | undefined,
): Promise<ListResult> {
  const items: KObject[] = [];
  const end = prefixEnd(prefix);
  let from = startKey;
  for (let round = 0; round < 10_000; round++) {
    let res;
    try {
      res = await reg.store.range(from, { end, revision, limit: limit > 0 ? limit + 1 : 0 });
    } catch (err) {
      if (err instanceof CompactedError) throw new StatusError("Expired", expiredMessage);
      if (err instanceof FutureRevisionError) throw new StatusError("Timeout", `Too large resource version: ${revision}`);
      throw err;
    }
    for (let i = 0; i < res.kvs.length; i++) {
      const kv = res.kvs[i];
      const obj = decodeStored(kv.value, kv.modRevision);
      if (match && !match(obj)) continue;
      if (limit > 0 && items.length === limit) {
        return { items, resourceVersion: String(revision), continue: encodeContinue(revision, kv.key.slice(prefix.length)) };
      }
      items.push(toRequestVersion(info, obj));
    }
    if (!res.more || res.kvs.length === 0) break;
    from = res.kvs[res.kvs.length - 1].key + "\u0000";
  }
  return { items, resourceVersion: String(revision) };
}

/** Lists a collection (all namespaces when `namespace` is empty). */
export async function listObjects(reg: Registry, info: ResourceInfo, namespace: string, q: ListQuery): Promise<ListResult> {
  const match = buildMatcher(info, q.labelSelector, q.fieldSelector);
  const prefix = collectionPrefix(info, namespace);
  const limit = q.limit && q.limit > 0 ? q.limit : 0;
  const rv = q.resourceVersion;
  if (q.resourceVersionMatch !== undefined && q.resourceVersionMatch !== "") {
    if (q.resourceVersionMatch !== "Exact" && q.resourceVersionMatch !== "NotOlderThan") {
      throw badRequest(`resourceVersionMatch: Unsupported value: "${q.resourceVersionMatch}": supported values: "Exact", "NotOlderThan"`);
    }
    if (!rv) throw badRequest("resourceVersionMatch is forbidden unless resourceVersion is provided");
    if (q.continue) throw badRequest("resourceVersionMatch is forbidden when continue is provided");
    if (q.resourceVersionMatch === "Exact" && rv === "0") {
      throw badRequest("resourceVersionMatch \"exact\" is forbidden for resourceVersion \"0\"");
    }
  }
  if (q.continue) {
    if (rv && rv !== "0") throw badRequest("specifying resource version is not allowed when using continue");
    const t = decodeContinue(q.continue);
    return listFromStore(reg, info, prefix, prefix + t.start, t.rv, limit, match);
  }
  if (q.resourceVersionMatch === "Exact") {
    return listFromStore(reg, info, prefix, prefix, parseRv(rv!), limit, match);
  }
  await waitForCache(reg, rv);
  const revision = reg.cache.revision;
  const cached = reg.cache.list(info.storage, prefix);
  const items: KObject[] = [];
  for (let i = 0; i < cached.length; i++) {
    const c = cached[i];
    if (match && !match(c.obj)) continue;
    if (limit > 0 && items.length === limit) {
      const out: ListResult = { items, resourceVersion: String(revision), continue: encodeContinue(revision, c.key.slice(prefix.length)) };
      if (!match) out.remainingItemCount = cached.length - i;
      return out;
    }
    items.push(toRequestVersion(info, c.obj));
  }
  return { items, resourceVersion: String(revision) };
}
