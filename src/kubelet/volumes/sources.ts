/**
 * Payloads of the API-backed volume types: configMap, secret, downwardAPI
 * and projected (configMap, secret, downwardAPI, serviceAccountToken
 * sources), computed as upstream's MakePayload/CollectData do, with item
 * key->path mappings, per-item modes, defaultMode and optional sources.
 */
import type { KObject } from "../../api/types.ts";
import { KubeletError } from "../types.ts";
import type { ObjectSource, Pod } from "../types.ts";
import type { Payload } from "./atomic.ts";
import { containerResourceValue, extractFieldPath, type NodeAllocatable } from "./fieldpath.ts";

/** Upstream default for configMap, secret, downwardAPI and projected volumes (0644). */
export const DEFAULT_MODE = 0o644;

/** A payload failure; the caller wraps it in FailedMount. */
export class SourceError extends Error {}

interface KeyToPath {
  key: string;
  path: string;
  mode?: number;
}

/** Key -> bytes of a configMap (data + binaryData) or secret (data base64 + stringData). */
export function objectBytes(kind: "configmap" | "secret", obj: any): Map<string, Buffer> {
  const m = new Map<string, Buffer>();
  if (kind === "configmap") {
    for (const [k, v] of Object.entries(obj?.data ?? {})) m.set(k, Buffer.from(String(v), "utf8"));
    for (const [k, v] of Object.entries(obj?.binaryData ?? {})) m.set(k, Buffer.from(String(v), "base64"));
  } else {
    for (const [k, v] of Object.entries(obj?.data ?? {})) m.set(k, Buffer.from(String(v), "base64"));
    for (const [k, v] of Object.entries(obj?.stringData ?? {})) m.set(k, Buffer.from(String(v), "utf8"));
  }
  return m;
}

/** Upstream MakePayload for configMap/secret: all keys, or only `items` (missing keys fail unless optional). */
export function keysPayload(
  kind: "configmap" | "secret",
  obj: KObject | undefined,
  items: KeyToPath[] | undefined,
  defaultMode: number,
  optional: boolean,
  into: Payload = new Map(),
): Payload {
  if (!obj) return into;
  const data = objectBytes(kind, obj);
  if (!items || items.length === 0) {
    for (const [k, v] of data) into.set(k, { data: v, mode: defaultMode });
    return into;
  }
  for (const it of items) {
    const v = data.get(it.key);
    if (v === undefined) {
      if (optional) continue;
      throw new SourceError(
        kind === "configmap" ? `configmap references non-existent config key: ${it.key}` : `references non-existent secret key: ${it.key}`,
      );
    }
    into.set(it.path, { data: v, mode: it.mode ?? defaultMode });
  }
  return into;
}

/** Fetches a configMap/secret; undefined when missing and optional; throws upstream's NotFound text otherwise. */
export async function fetchObject(source: ObjectSource, kind: "configmap" | "secret", ns: string, name: string, optional: boolean): Promise<KObject | undefined> {
  const obj = kind === "configmap" ? await source.getConfigMap(ns, name) : await source.getSecret(ns, name);
  if (!obj && !optional) throw new SourceError(`${kind} "${name}" not found`);
  return obj;
}

/** Upstream downwardAPI CollectData: fieldRef (metadata) and resourceFieldRef (needs containerName). */
export function downwardPayload(pod: Pod, items: any[], defaultMode: number, allocatable: NodeAllocatable, into: Payload = new Map()): Payload {
  const errs: string[] = [];
  for (const it of items ?? []) {
    let value = "";
    try {
      if (it.fieldRef) value = extractFieldPath(pod, it.fieldRef.fieldPath);
      else if (it.resourceFieldRef) {
        const name = it.resourceFieldRef.containerName;
        const c = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])].find((x: any) => x.name === name);
        if (!c) throw new Error(`container ${name} not found`);
        value = containerResourceValue(c, it.resourceFieldRef, allocatable);
      }
    } catch (err) {
      errs.push((err as Error).message);
      continue;
    }
    into.set(it.path, { data: Buffer.from(value, "utf8"), mode: it.mode ?? defaultMode });
  }
  if (errs.length > 0) throw new SourceError(errs.join(", "));
  return into;
}

/** Everything a projected volume's payload needs. */
export interface ProjectionContext {
  pod: Pod;
  source: ObjectSource;
  allocatable: NodeAllocatable;
}

/** Upstream projected collectData over all sources (later sources overwrite earlier paths). */
export async function projectedPayload(ctx: ProjectionContext, projected: any): Promise<Payload> {
  const ns: string = ctx.pod.metadata?.namespace ?? "default";
  const defaultMode: number = projected.defaultMode ?? DEFAULT_MODE;
  const out: Payload = new Map();
  for (const s of projected.sources ?? []) {
    if (s.configMap) {
      const optional = !!s.configMap.optional;
      const obj = await fetchObject(ctx.source, "configmap", ns, s.configMap.name, optional);
      keysPayload("configmap", obj, s.configMap.items, defaultMode, optional, out);
    } else if (s.secret) {
      const optional = !!s.secret.optional;
      const obj = await fetchObject(ctx.source, "secret", ns, s.secret.name, optional);
      keysPayload("secret", obj, s.secret.items, defaultMode, optional, out);
    } else if (s.downwardAPI) {
      downwardPayload(ctx.pod, s.downwardAPI.items ?? [], defaultMode, ctx.allocatable, out);
    } else if (s.serviceAccountToken) {
      const t = s.serviceAccountToken;
      if (!ctx.source.serviceAccountToken) continue;
      const token = await ctx.source.serviceAccountToken(ctx.pod, t.audience || undefined, t.expirationSeconds ?? 3600);
      if (token === undefined) continue;
      // upstream: token files are 0600 when the pod sets fsGroup-less runAsUser; keep the projected mode
      out.set(t.path, { data: Buffer.from(token, "utf8"), mode: defaultMode });
    }
    // clusterTrustBundle: not supported, ignored
  }
  return out;
}

/** Wraps a payload failure as upstream's FailedMount event text. */
export function failedMount(volume: string, err: unknown): KubeletError {
  if (err instanceof KubeletError) return err;
  return new KubeletError("FailedMount", `MountVolume.SetUp failed for volume "${volume}" : ${(err as Error).message}`);
}
