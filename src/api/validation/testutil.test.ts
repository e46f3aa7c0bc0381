/** Shared fixtures for validation tests (also a smoke test of the fixtures themselves). */
import { test } from "node:test";
import assert from "node:assert/strict";
import { applyDefaults } from "../defaults/index.ts";
import { findByKind } from "../resources.ts";
import type { ResourceInfo } from "../resources.ts";
import type { KObject } from "../types.ts";
import type { FieldError } from "../../machinery/errors.ts";
import { validateCreate } from "./index.ts";

export function infoFor(apiVersion: string, kind: string): ResourceInfo {
  const r = findByKind(apiVersion, kind);
  if (!r) throw new Error(`no resource ${apiVersion} ${kind}`);
  return r;
}

/** Builds an object with metadata (name x, namespace default unless cluster-scoped) and applies defaults. */
export function make(apiVersion: string, kind: string, body: Record<string, unknown>, meta: Record<string, unknown> = {}): KObject {
  const info = infoFor(apiVersion, kind);
  const o = {
    apiVersion,
    kind,
    metadata: { name: "x", ...(info.namespaced ? { namespace: "default" } : {}), uid: "uid-1", resourceVersion: "1", ...meta },
    ...structuredClone(body),
  } as KObject;
  applyDefaults(info, o);
  return o;
}

/** `[field, type]` pairs, the usual assertion shape. */
export function pairs(errs: FieldError[]): [string, string][] {
  return errs.map((e) => [e.field, e.type]);
}

export const container = () => ({ name: "c", image: "nginx:1.25" });
export const podSpec = () => ({ containers: [container()] });
export const template = (labels: Record<string, string> = { app: "web" }) => ({ metadata: { labels }, spec: podSpec() });

test("fixtures produce a valid pod", () => {
  assert.deepEqual(validateCreate(infoFor("v1", "Pod"), make("v1", "Pod", { spec: podSpec() })), []);
});
