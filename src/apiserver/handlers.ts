/**
 * Resource handlers: turn an authenticated, routed request into registry calls
 * and write the response (object, list, Table, Status). One function per verb
 * family; subresources (status, scale, binding, eviction) are in subresources.ts.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { groupVersion, type ResourceInfo } from "../api/resources.ts";
import type { KObject } from "../api/types.ts";
import { badRequest, methodNotAllowed, StatusError } from "../machinery/errors.ts";
import { decodeBody, decodeBodyChecked, readBody, sendObject, type Representation } from "./http.ts";
import { createObject, parseDryRun } from "./registry/create.ts";
import { checkDeleteOptions, deleteObject, type DeleteOptions } from "./registry/delete.ts";
import { getObject, listObjects, type ListQuery } from "./registry/read.ts";
import type { FieldValidation, Registry, WriteOptions } from "./registry/registry.ts";
import { patchObject, patchTypeOf, updateObject } from "./registry/update.ts";
import type { RequestInfo } from "./request.ts";
import type { UserInfo } from "./authn/types.ts";
import { handleSubresource } from "./subresources.ts";
import { parseIncludeObject, partialMetadata, toTable } from "./table.ts";
import { serveWatch } from "./watch.ts";

/** Everything a handler needs about one request. */
export interface RequestContext {
  reg: Registry;
  info: RequestInfo;
  resource: ResourceInfo;
  query: URLSearchParams;
  req: IncomingMessage;
  res: ServerResponse;
  rep: Representation;
  warnings: string[];
  stopSignal: AbortSignal;
  /** The authenticated caller. */
  user?: UserInfo;
}

function boolParam(q: URLSearchParams, name: string): boolean | undefined {
  const v = q.get(name);
  if (v === null) return undefined;
  if (v === "true" || v === "1" || v === "") return true;
  if (v === "false" || v === "0") return false;
  throw badRequest(`invalid boolean value for ${name}: ${JSON.stringify(v)}`);
}

function intParam(q: URLSearchParams, name: string): number | undefined {
  const v = q.get(name);
  if (v === null || v === "") return undefined;
  if (!/^-?\d+$/.test(v)) throw badRequest(`invalid integer value for ${name}: ${JSON.stringify(v)}`);
  return Number(v);
}

function strParam(q: URLSearchParams, name: string): string | undefined {
  const v = q.get(name);
  return v === null ? undefined : v;
}

/** Parses the write options shared by create, update, patch. */
export function writeOptions(ctx: RequestContext): WriteOptions {
  const q = ctx.query;
  const fv = q.get("fieldValidation") ?? "Warn";
  if (fv !== "Strict" && fv !== "Warn" && fv !== "Ignore") {
    throw badRequest(`fieldValidation: Unsupported value: "${fv}": supported values: "Ignore", "Strict", "Warn"`);
  }
  const fm = q.get("fieldManager") ?? undefined;
  if (fm !== undefined && (fm.length > 128 || /[^\x20-\x7e]/.test(fm))) {
    throw new StatusError("Invalid", `fieldManager: Invalid value: "${fm}": must be at most 128 printable characters`);
  }
  return { dryRun: parseDryRun(q.getAll("dryRun")), fieldManager: fm, fieldValidation: fv as FieldValidation, warnings: ctx.warnings, user: ctx.user };
}

function listKind(kind: string): string {
  return `${kind}List`;
}

/** Writes one object in the negotiated representation. */
export function respondObject(ctx: RequestContext, code: number, obj: KObject): void {
  const { rep, resource } = ctx;
  if (rep.kind === "table") {
    const include = parseIncludeObject(ctx.query.get("includeObject"));
    sendObject(ctx.res, code, toTable(resource, [obj], { version: rep.version, include, listMeta: { resourceVersion: obj.metadata.resourceVersion } }), rep);
  } else if (rep.kind === "partial") {
    sendObject(ctx.res, code, partialMetadata(obj, rep.version), rep);
  } else sendObject(ctx.res, code, obj, rep);
}

/**
 * Reads and decodes a write's body; repeated keys fail the request under
 * fieldValidation=Strict and become warnings under Warn, as upstream.
 */
export async function readObjectBody(ctx: RequestContext, opts: WriteOptions): Promise<unknown> {
  const { value, duplicates } = decodeBodyChecked(await readBody(ctx.req), ctx.req.headers["content-type"]);
  if (duplicates.length && opts.fieldValidation !== "Ignore") {
    const msgs = duplicates.map((d) => `duplicate field "${d}"`);
    if (opts.fieldValidation === "Strict") {
      const { kind, version } = ctx.resource;
      throw badRequest(`${kind} in version "${version}" cannot be handled as a ${kind}: strict decoding error: ${msgs.join(", ")}`);
    }
    opts.warnings.push(...msgs);
  }
  return value;
}

async function handleList(ctx: RequestContext): Promise<void> {
  const q = ctx.query;
  const lq: ListQuery = {
    labelSelector: strParam(q, "labelSelector"),
    fieldSelector: strParam(q, "fieldSelector"),
    limit: intParam(q, "limit"),
    continue: strParam(q, "continue"),
    resourceVersion: strParam(q, "resourceVersion"),
    resourceVersionMatch: strParam(q, "resourceVersionMatch"),
  };
  const out = await listObjects(ctx.reg, ctx.resource, ctx.info.namespace, lq);
  const meta: Record<string, unknown> = { resourceVersion: out.resourceVersion };
  if (out.continue) meta.continue = out.continue;
  if (out.remainingItemCount !== undefined) meta.remainingItemCount = out.remainingItemCount;
  const { rep, resource } = ctx;
  if (rep.kind === "table") {
    const include = parseIncludeObject(q.get("includeObject"));
    sendObject(ctx.res, 200, toTable(resource, out.items, { version: rep.version, include, listMeta: meta }), rep);
  } else if (rep.kind === "partial") {
    sendObject(ctx.res, 200, { kind: "PartialObjectMetadataList", apiVersion: `meta.k8s.io/${rep.version}`, metadata: meta, items: out.items.map((o) => partialMetadata(o, rep.version)) }, rep);
  } else {
    sendObject(ctx.res, 200, { kind: listKind(resource.kind), apiVersion: groupVersion(resource), metadata: meta, items: out.items }, rep);
  }
}

async function handleWatch(ctx: RequestContext): Promise<void> {
  const q = ctx.query;
  const name = ctx.info.name || undefined;
  const sie = boolParam(q, "sendInitialEvents");
  await serveWatch(
    ctx.reg,
    ctx.resource,
    {
      namespace: ctx.info.namespace,
      name,
      resourceVersion: strParam(q, "resourceVersion"),
      resourceVersionMatch: strParam(q, "resourceVersionMatch"),
      labelSelector: strParam(q, "labelSelector"),
      fieldSelector: strParam(q, "fieldSelector"),
      allowWatchBookmarks: boolParam(q, "allowWatchBookmarks") ?? false,
      sendInitialEvents: sie,
      timeoutSeconds: intParam(q, "timeoutSeconds"),
      include: parseIncludeObject(q.get("includeObject")),
    },
    ctx.rep,
    ctx.req,
    ctx.res,
    ctx.stopSignal,
  );
}

/** DeleteOptions from the body (if any) and the query, query winning as upstream does for set fields. */
export async function deleteOptions(ctx: RequestContext): Promise<DeleteOptions> {
  const buf = await readBody(ctx.req);
  let body: Record<string, unknown> = {};
  if (buf.length > 0 && buf.toString("utf8").trim() !== "") {
    const decoded = decodeBody(buf, ctx.req.headers["content-type"]);
    if (decoded && typeof decoded === "object" && !Array.isArray(decoded)) body = decoded as Record<string, unknown>;
    else throw badRequest("the body of a delete request must be a DeleteOptions object");
  }
  const q = ctx.query;
  const dryRun = parseDryRun([...q.getAll("dryRun"), ...((body.dryRun as string[] | undefined) ?? [])]);
  return checkDeleteOptions({
    gracePeriodSeconds: intParam(q, "gracePeriodSeconds") ?? (body.gracePeriodSeconds as number | undefined),
    propagationPolicy: (strParam(q, "propagationPolicy") ?? body.propagationPolicy) as DeleteOptions["propagationPolicy"],
    orphanDependents: boolParam(q, "orphanDependents") ?? (body.orphanDependents as boolean | undefined),
    preconditions: body.preconditions as DeleteOptions["preconditions"],
    dryRun,
  });
}

const returnsDeletedObject = new Set(["Pod", "Service", "Namespace"]);

function deleteResponse(ctx: RequestContext, obj: KObject, deleted: boolean): void {
  if (!deleted || returnsDeletedObject.has(ctx.resource.kind)) {
    respondObject(ctx, 200, obj);
    return;
  }
  sendObject(
    ctx.res,
    200,
    {
      kind: "Status",
      apiVersion: "v1",
      metadata: {},
      status: "Success",
      details: { name: obj.metadata.name, group: ctx.resource.group || undefined, kind: ctx.resource.plural, uid: obj.metadata.uid },
    },
    ctx.rep.kind === "yaml" ? ctx.rep : { kind: "json", pretty: false },
  );
}

async function handleDeleteCollection(ctx: RequestContext): Promise<void> {
  const opts = await deleteOptions(ctx);
  const q = ctx.query;
  const out = await listObjects(ctx.reg, ctx.resource, ctx.info.namespace, {
    labelSelector: strParam(q, "labelSelector"),
    fieldSelector: strParam(q, "fieldSelector"),
  });
  const items: KObject[] = [];
  for (const o of out.items) {
    try {
      const r = await deleteObject(ctx.reg, ctx.resource, o.metadata.namespace ?? "", o.metadata.name!, opts);
      items.push(r.obj);
    } catch (err) {
      if (!(err instanceof StatusError && err.code === 404)) throw err;
    }
  }
  sendObject(ctx.res, 200, { kind: listKind(ctx.resource.kind), apiVersion: groupVersion(ctx.resource), metadata: {}, items }, ctx.rep);
}

/** Dispatches a resource request by verb. */
export async function handleResource(ctx: RequestContext): Promise<void> {
  const { info, resource, reg } = ctx;
  if (info.subresource) {
    await handleSubresource(ctx);
    return;
  }
  if (!resource.verbs.includes(info.verb)) throw methodNotAllowed(info.verb, { group: resource.group, resource: resource.plural });
  if (resource.namespaced && !info.namespace && !["list", "watch"].includes(info.verb)) {
    throw new StatusError("NotFound", "the server could not find the requested resource");
  }
  if (!resource.namespaced && info.namespace) throw new StatusError("NotFound", "the server could not find the requested resource");
  switch (info.verb) {
    case "get":
      respondObject(ctx, 200, await getObject(reg, resource, info.namespace, info.name, strParam(ctx.query, "resourceVersion")));
      return;
    case "list":
      await handleList(ctx);
      return;
    case "watch":
      await handleWatch(ctx);
      return;
    case "create": {
      if (info.name) throw methodNotAllowed("create", { group: resource.group, resource: resource.plural });
      const opts = writeOptions(ctx);
      const obj = await createObject(reg, resource, info.namespace, await readObjectBody(ctx, opts), opts);
      respondObject(ctx, 201, obj);
      return;
    }
    case "update": {
      const opts = writeOptions(ctx);
      const out = await updateObject(reg, resource, info.namespace, info.name, await readObjectBody(ctx, opts), "", opts);
      respondObject(ctx, out.created ? 201 : 200, out.obj);
      return;
    }
    case "patch": {
      const type = patchTypeOf(ctx.req.headers["content-type"] ?? "");
      if (!type) throw unsupportedPatch(ctx.req.headers["content-type"]);
      const opts = writeOptions(ctx);
      const obj = await patchObject(reg, resource, info.namespace, info.name, type, await readObjectBody(ctx, opts), "", opts);
      respondObject(ctx, 200, obj);
      return;
    }
    case "delete": {
      const opts = await deleteOptions(ctx);
      const out = await deleteObject(reg, resource, info.namespace, info.name, opts);
      deleteResponse(ctx, out.obj, out.deleted);
      return;
    }
    case "deletecollection":
      await handleDeleteCollection(ctx);
      return;
    default:
      throw methodNotAllowed(info.verb, { group: resource.group, resource: resource.plural });
  }
}

/** 415 for PATCH media types we do not speak (server-side apply comes later). */
export function unsupportedPatch(ct: string | undefined): StatusError {
  return new StatusError(
    "UnsupportedMediaType",
    `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json (got ${ct ?? "none"})`,
  );
}
