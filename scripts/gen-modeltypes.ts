/**
 * Generates `src/api/modeltypes.json`: for every @kubernetes/client-node model
 * class, a map from JSON field name to the field's declared model type
 * (`V1Container`, `Array<V1Container>`, `{ [key: string]: string; }`, `string`,
 * ...). Importing the whole client library costs ~0.7 s, so the apiserver reads
 * this compact table instead. Re-run after upgrading @kubernetes/client-node:
 *
 *   node scripts/gen-modeltypes.ts
 */
import { writeFileSync } from "node:fs";

interface Attr {
  name: string;
  baseName: string;
  type: string;
}

const lib = (await import("@kubernetes/client-node")) as unknown as Record<string, unknown>;
const out: Record<string, Record<string, string>> = {};
for (const name of Object.keys(lib).sort()) {
  const value: unknown = lib[name];
  if (typeof value !== "function") continue;
  const attrs = (value as { attributeTypeMap?: unknown }).attributeTypeMap;
  if (!Array.isArray(attrs)) continue;
  const fields: Record<string, string> = {};
  for (const a of attrs as Attr[]) fields[a.baseName] = a.type;
  out[name] = fields;
}
const target = new URL("../src/api/modeltypes.json", import.meta.url);
writeFileSync(target, JSON.stringify(out) + "\n");
console.log(`wrote ${Object.keys(out).length} models to ${target.pathname}`);
