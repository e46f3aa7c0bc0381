/**
 * Downward API value extraction shared by container env (fieldRef,
 * resourceFieldRef) and downwardAPI/projected volumes: upstream's
 * fieldpath.ExtractFieldPathAsString, FormatMap and
 * ExtractContainerResourceValue (with divisor rounding up).
 */
import { parseQuantity, type Quantity } from "../../machinery/quantity.ts";
import type { ContainerSpec, Pod } from "../types.ts";

/** Upstream FormatMap: sorted `key="value"` lines (Go %q quoting), no trailing newline. */
export function formatMap(m: Record<string, string> | undefined): string {
  return Object.keys(m ?? {})
    .sort()
    .map((k) => `${k}=${JSON.stringify(m![k])}`)
    .join("\n");
}

/** Splits `metadata.labels['key']` style paths; undefined for plain paths. */
function subscript(path: string): { base: string; key: string } | undefined {
  const m = /^([^[]+)\['([^']*)'\]$/.exec(path);
  return m ? { base: m[1], key: m[2] } : undefined;
}

/**
 * Metadata field paths allowed in downwardAPI volumes and env:
 * metadata.name/namespace/uid/labels/annotations (+ ['key'] subscripts).
 * Throws an Error with upstream's message for unsupported paths.
 */
export function extractFieldPath(pod: Pod, fieldPath: string): string {
  const meta = pod.metadata ?? {};
  const sub = subscript(fieldPath);
  if (sub) {
    if (sub.base === "metadata.labels") return meta.labels?.[sub.key] ?? "";
    if (sub.base === "metadata.annotations") return meta.annotations?.[sub.key] ?? "";
    throw new Error(`fieldPath "${fieldPath}" does not support subscript`);
  }
  switch (fieldPath) {
    case "metadata.name":
      return meta.name ?? "";
    case "metadata.namespace":
      return meta.namespace ?? "";
    case "metadata.uid":
      return meta.uid ?? "";
    case "metadata.labels":
      return formatMap(meta.labels);
    case "metadata.annotations":
      return formatMap(meta.annotations);
  }
  throw new Error(`unsupported fieldPath: ${fieldPath}`);
}

/** Extra pod fields only env vars may reference (status and spec). */
export interface PodRuntimeFields {
  podIPs?: string[];
  hostIPs?: string[];
}

/** Env fieldRef: metadata paths plus spec.nodeName, spec.serviceAccountName, status.hostIP(s), status.podIP(s). */
export function podFieldSelectorValue(pod: Pod, fieldPath: string, rt: PodRuntimeFields): string {
  const podIPs = rt.podIPs ?? (pod.status?.podIPs ?? []).map((p: any) => p.ip).filter(Boolean);
  const hostIPs = rt.hostIPs ?? (pod.status?.hostIPs ?? []).map((p: any) => p.ip).filter(Boolean);
  switch (fieldPath) {
    case "spec.nodeName":
      return pod.spec?.nodeName ?? "";
    case "spec.serviceAccountName":
      return pod.spec?.serviceAccountName ?? "";
    case "status.hostIP":
      return hostIPs[0] ?? pod.status?.hostIP ?? "";
    case "status.hostIPs":
      return (hostIPs.length ? hostIPs : [pod.status?.hostIP].filter(Boolean)).join(",");
    case "status.podIP":
      return podIPs[0] ?? pod.status?.podIP ?? "";
    case "status.podIPs":
      return (podIPs.length ? podIPs : [pod.status?.podIP].filter(Boolean)).join(",");
  }
  return extractFieldPath(pod, fieldPath);
}

/** Node allocatable used when a container declares no limit (upstream defaults limits to it). */
export interface NodeAllocatable {
  cpu?: string;
  memory?: string;
  "ephemeral-storage"?: string;
}

function q(v: unknown): Quantity | undefined {
  if (v === undefined || v === null || v === "") return undefined;
  return parseQuantity(v as string);
}

/**
 * Upstream ExtractContainerResourceValue after MergeContainerResourceLimits:
 * limits.cpu/memory/ephemeral-storage fall back to node allocatable,
 * requests.* to zero; the value is divided by the divisor and rounded up.
 */
export function containerResourceValue(
  container: ContainerSpec,
  fs: { resource: string; divisor?: string | number },
  allocatable: NodeAllocatable = {},
): string {
  const [kind, name] = fs.resource.split(".", 2) as [string, string];
  const res = container.resources ?? {};
  let value: Quantity | undefined;
  if (kind === "limits") value = q(res.limits?.[name]) ?? q((allocatable as any)[name]);
  else if (kind === "requests") value = q(res.requests?.[name]);
  else throw new Error(`unsupported container resource : ${fs.resource}`);
  if (!["cpu", "memory", "ephemeral-storage"].includes(name) && !name.startsWith("hugepages-")) {
    throw new Error(`unsupported container resource : ${fs.resource}`);
  }
  const divisor = q(fs.divisor) ?? parseQuantity("1");
  if (divisor.isZero()) throw new Error("divisor must be non-zero");
  const v = value ?? parseQuantity("0");
  if (name === "cpu") return String(Math.ceil(v.milliValue() / divisor.milliValue()));
  return String(Math.ceil(v.value() / divisor.value()));
}
