/**
 * meta.k8s.io Table and PartialObjectMetadata responses: wraps objects into the
 * server-side printing format kubectl renders (`kubectl get`), with the
 * includeObject=None|Metadata|Object choice for row objects.
 */
import type { ResourceInfo } from "../api/resources.ts";
import type { KObject } from "../api/types.ts";
import { tableCells, tableColumns } from "../api/printers/index.ts";
import { badRequest } from "../machinery/errors.ts";

export type IncludeObject = "None" | "Metadata" | "Object";

export function parseIncludeObject(v: string | null): IncludeObject {
  if (v === null || v === "") return "Metadata";
  if (v === "None" || v === "Metadata" || v === "Object") return v;
  throw badRequest(`includeObject: Unsupported value: "${v}": supported values: "None", "Metadata", "Object"`);
}

/** PartialObjectMetadata of an object. */
export function partialMetadata(obj: KObject, version = "v1"): KObject {
  return { kind: "PartialObjectMetadata", apiVersion: `meta.k8s.io/${version}`, metadata: obj.metadata };
}

function row(info: ResourceInfo, obj: KObject, include: IncludeObject, now: Date): Record<string, unknown> {
  const r: Record<string, unknown> = { cells: tableCells(info, obj, now) };
  if (include === "Metadata") r.object = partialMetadata(obj);
  else if (include === "Object") r.object = obj;
  return r;
}

export interface TableOptions {
  version: string;
  include: IncludeObject;
  /** Omit columnDefinitions (later events of a watch). */
  noHeaders?: boolean;
  listMeta?: { resourceVersion?: string; continue?: string; remainingItemCount?: number };
}

/** A Table of `objs` with the kind's columns. */
export function toTable(info: ResourceInfo, objs: KObject[], opts: TableOptions): Record<string, unknown> {
  const now = new Date();
  const t: Record<string, unknown> = {
    kind: "Table",
    apiVersion: `meta.k8s.io/${opts.version}`,
    metadata: opts.listMeta ?? {},
    columnDefinitions: opts.noHeaders ? [] : tableColumns(info),
    rows: objs.map((o) => row(info, o, opts.include, now)),
  };
  return t;
}
