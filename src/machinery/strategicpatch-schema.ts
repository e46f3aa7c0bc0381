/**
 * Schema positions for strategic merge patch: walks client model types
 * (`fieldType`) and upstream patch tags (`patchMeta`) to find, for a field of
 * the current position, the position of its value and its patch strategy.
 */
import { elementModel, fieldPatchMeta, fieldType } from "../api/patchmeta.ts";
import type { FieldPatchMeta } from "../api/patchmeta.ts";

/** A position in the schema: a model class, a map whose values are a model class, or unknown. */
export interface Schema {
  model?: string;
  mapOf?: string;
}

/** The position of free-form values: maps merge, lists are replaced. */
export const unknownSchema: Schema = {};

/** The schema of `field`'s value (list elements for lists) and the field's patch tags. */
export function lookup(schema: Schema, field: string): { sub: Schema; meta: FieldPatchMeta | undefined } {
  if (schema.mapOf) return { sub: { model: schema.mapOf }, meta: undefined };
  if (!schema.model) return { sub: unknownSchema, meta: undefined };
  const type = fieldType(schema.model, field);
  const meta = fieldPatchMeta(schema.model, field);
  const inner = elementModel(type);
  if (!inner) return { sub: unknownSchema, meta };
  const isMap = type !== undefined && type.startsWith("{");
  return { sub: isMap ? { mapOf: inner } : { model: inner }, meta };
}

/** The strategy with `retainKeys` stripped, as upstream's extractRetainKeysPatchStrategy. */
export function baseStrategy(meta: FieldPatchMeta | undefined): "merge" | "replace" | "" {
  if (!meta) return "";
  if (meta.strategy === "merge" || meta.strategy === "merge,retainKeys") return "merge";
  if (meta.strategy === "replace") return "replace";
  return "";
}

/** True when the field's tags ask for a `$retainKeys` directive in generated patches. */
export function retainsKeys(meta: FieldPatchMeta | undefined): boolean {
  return meta?.strategy === "retainKeys" || meta?.strategy === "merge,retainKeys";
}
