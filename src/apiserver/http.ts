/**
 * HTTP plumbing of the apiserver: reading bounded request bodies, decoding
 * JSON/YAML, content negotiation (JSON, YAML, Table, PartialObjectMetadata)
 * and writing objects and Status errors.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import { findDuplicateKeys } from "../machinery/duplicatekeys.ts";
import { badRequest, StatusError, toStatusError } from "../machinery/errors.ts";

/** Request bodies larger than this get 413 (upstream's limit is 3 MiB). */
export const maxBodyBytes = 3 * 1024 * 1024;

/** Reads the whole body, rejecting with 413 past `maxBodyBytes`. */
export function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers["content-length"] ?? "0");
    if (declared > maxBodyBytes) {
      req.resume();
      reject(tooLarge());
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > maxBodyBytes) {
        req.removeAllListeners("data");
        req.resume();
        reject(tooLarge());
        return;
      }
      chunks.push(c);
    });
    req.on("end", () => resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

function tooLarge(): StatusError {
  return new StatusError("RequestEntityTooLarge", "Request entity too large: limit is 3145728");
}

const jsonTypes = new Set([
  "application/json",
  "application/json-patch+json",
  "application/merge-patch+json",
  "application/strategic-merge-patch+json",
]);

/** A decoded body plus the paths of keys it repeated (the last occurrence wins). */
export interface DecodedBody {
  value: unknown;
  duplicates: string[];
}

/** Like decodeBody, also reporting duplicate keys for `fieldValidation`. */
export function decodeBodyChecked(buf: Buffer, contentType: string | undefined): DecodedBody {
  const ct = (contentType ?? "application/json").split(";")[0].trim().toLowerCase();
  if (ct === "application/yaml" || ct === "application/apply-patch+yaml") {
    try {
      return { value: decodeBody(buf, contentType), duplicates: [] };
    } catch (err) {
      if (!/must be unique/i.test((err as Error).message)) throw err;
      const value = parseYaml(buf.toString("utf8"), { maxAliasCount: 100, uniqueKeys: false });
      return { value, duplicates: [(err as Error).message.split("\n")[0]] };
    }
  }
  const value = decodeBody(buf, contentType);
  return { value, duplicates: value !== null && typeof value === "object" ? findDuplicateKeys(buf.toString("utf8")) : [] };
}

/**
 * Decodes a request body per its Content-Type (JSON, or YAML for
 * application/yaml). 415 for other media types, 400 for malformed input.
 */
export function decodeBody(buf: Buffer, contentType: string | undefined): unknown {
  const ct = (contentType ?? "application/json").split(";")[0].trim().toLowerCase();
  const text = buf.toString("utf8");
  if (jsonTypes.has(ct) || ct === "") {
    if (text.trim() === "") throw badRequest("the body of the request was empty");
    try {
      return JSON.parse(text);
    } catch (err) {
      throw badRequest(`the body of the request was in an unknown format - accepted media types include: application/json, application/yaml: ${(err as Error).message}`);
    }
  }
  if (ct === "application/yaml" || ct === "application/apply-patch+yaml") {
    try {
      return parseYaml(text, { maxAliasCount: 100 });
    } catch (err) {
      throw badRequest(`error converting YAML to JSON: ${(err as Error).message}`);
    }
  }
  throw new StatusError(
    "UnsupportedMediaType",
    `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml`,
  );
}

/** The representation a client asked for. */
export type Representation =
  | { kind: "json"; pretty: boolean }
  | { kind: "yaml" }
  | { kind: "table"; version: string }
  | { kind: "partial"; version: string; list: boolean };

interface MediaRange {
  type: string;
  params: Record<string, string>;
}

function parseAccept(accept: string): MediaRange[] {
  return accept
    .split(",")
    .map((part) => {
      const [type, ...rest] = part.split(";").map((s) => s.trim());
      const params: Record<string, string> = {};
      for (const p of rest) {
        const eq = p.indexOf("=");
        if (eq > 0) params[p.slice(0, eq).trim().toLowerCase()] = p.slice(eq + 1).trim();
      }
      return { type: type.toLowerCase(), params };
    })
    .filter((m) => m.type !== "");
}

/**
 * Picks the first acceptable representation from the Accept header; 406 when
 * nothing offered is servable.
 */
export function negotiate(accept: string | undefined, pretty: boolean): Representation {
  if (!accept) return { kind: "json", pretty };
  for (const m of parseAccept(accept)) {
    const as = m.params["as"];
    if (m.type === "application/json" || m.type === "*/*" || m.type === "application/*") {
      if (!as) return { kind: "json", pretty };
      if (m.params["g"] !== "meta.k8s.io") continue;
      const v = m.params["v"];
      if (as === "Table" && (v === "v1" || v === "v1beta1")) return { kind: "table", version: v };
      if ((as === "PartialObjectMetadata" || as === "PartialObjectMetadataList") && (v === "v1" || v === "v1beta1")) {
        return { kind: "partial", version: v, list: as === "PartialObjectMetadataList" };
      }
      continue;
    }
    if (m.type === "application/yaml") return { kind: "yaml" };
  }
  throw new StatusError("NotAcceptable", `only the following media types are accepted: application/json, application/yaml`);
}

/** Writes a JSON body (already serialised or to be serialised). */
export function sendJson(res: ServerResponse, code: number, body: unknown, extraHeaders?: Record<string, string>): void {
  const text = typeof body === "string" ? body : JSON.stringify(body);
  res.writeHead(code, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(text), ...extraHeaders });
  res.end(text);
}

/** Writes an object in the negotiated JSON or YAML representation. */
export function sendObject(res: ServerResponse, code: number, body: unknown, rep: Representation, headers?: Record<string, string>): void {
  if (rep.kind === "yaml") {
    const text = stringifyYaml(body);
    res.writeHead(code, { "Content-Type": "application/yaml", "Content-Length": Buffer.byteLength(text), ...headers });
    res.end(text);
    return;
  }
  const pretty = rep.kind === "json" && rep.pretty;
  sendJson(res, code, pretty ? JSON.stringify(body, null, 2) : JSON.stringify(body), headers);
}

/** Writes any thrown error as a Status object with its HTTP code. */
export function sendError(res: ServerResponse, err: unknown): void {
  const se = toStatusError(err);
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const headers: Record<string, string> = {};
  if (se.details?.retryAfterSeconds) headers["Retry-After"] = String(se.details.retryAfterSeconds);
  sendJson(res, se.code, se.toStatus(), headers);
}

/** Formats warnings as RFC 7234 Warning headers (code 299, agent "-"). */
export function warningHeaders(warnings: string[]): Record<string, string[]> | undefined {
  if (!warnings.length) return undefined;
  return { Warning: [...new Set(warnings)].map((w) => `299 - ${JSON.stringify(w)}`) };
}
