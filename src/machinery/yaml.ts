/**
 * YAML through the `yaml` package, loaded on first use: it is about 290 KB
 * of source that stays resident once loaded, and the node processes rarely
 * need it (JSON, which is YAML too, is parsed without it).
 */
import { createRequire } from "node:module";

type YamlLib = typeof import("yaml");

let lib: YamlLib | undefined;

function yaml(): YamlLib {
  lib ??= createRequire(import.meta.url)("yaml") as YamlLib;
  return lib;
}

/** Parses one YAML document; a document that is a JSON object is parsed as JSON first (same result, no YAML library needed). */
export function parseYaml(text: string): unknown {
  if (text.trimStart().startsWith("{")) {
    try {
      return JSON.parse(text);
    } catch {
      // a YAML flow mapping that is not strict JSON: the YAML parser decides
    }
  }
  return yaml().parse(text);
}

/** Renders `value` as a YAML document. */
export function stringifyYaml(value: unknown): string {
  return yaml().stringify(value);
}
