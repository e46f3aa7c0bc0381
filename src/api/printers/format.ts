/**
 * Cell formatting shared by the printers: human durations and ages, label and
 * selector strings, container lists, booleans and int-or-string values, all in
 * the exact text upstream's table printers produce.
 */

import type { LabelSelector } from "../types.ts";

/**
 * Human-readable approximation of a duration in milliseconds with two to three
 * significant figures: "0s", "45s", "5m3s", "15m", "3h", "5h20m", "2d3h",
 * "30d", "2y45d", "9y". Durations more than one second negative (clock skew
 * is tolerated up to that) print as "<invalid>".
 */
export function humanDuration(ms: number): string {
  const seconds = Math.trunc(ms / 1000);
  if (seconds < -1) return "<invalid>";
  if (seconds < 0) return "0s";
  if (seconds < 60 * 2) return `${seconds}s`;
  const minutes = Math.trunc(ms / 60_000);
  if (minutes < 10) {
    const s = seconds % 60;
    return s === 0 ? `${minutes}m` : `${minutes}m${s}s`;
  }
  if (minutes < 60 * 3) return `${minutes}m`;
  const hours = Math.trunc(ms / 3_600_000);
  if (hours < 8) {
    const m = minutes % 60;
    return m === 0 ? `${hours}h` : `${hours}h${m}m`;
  }
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) {
    const h = hours % 24;
    return h === 0 ? `${Math.trunc(hours / 24)}d` : `${Math.trunc(hours / 24)}d${h}h`;
  }
  if (hours < 24 * 365 * 2) return `${Math.trunc(hours / 24)}d`;
  if (hours < 24 * 365 * 8) {
    const days = Math.trunc(hours / 24);
    const dy = days % 365;
    const years = Math.trunc(days / 365);
    return dy === 0 ? `${years}y` : `${years}y${dy}d`;
  }
  return `${Math.trunc(hours / 24 / 365)}y`;
}

/** Milliseconds since the epoch of an RFC 3339 timestamp, or undefined when unset or unparsable. */
export function parseTime(ts: unknown): number | undefined {
  if (typeof ts !== "string" || ts === "") return undefined;
  const t = Date.parse(ts);
  return Number.isNaN(t) ? undefined : t;
}

/** Human duration from `ts` until `now`; "<unknown>" when `ts` is unset. */
export function since(ts: unknown, now: Date): string {
  const t = parseTime(ts);
  return t === undefined ? "<unknown>" : humanDuration(now.getTime() - t);
}

/** The Age cell of an object. */
export function age(obj: { metadata?: { creationTimestamp?: string } }, now: Date): string {
  return since(obj.metadata?.creationTimestamp, now);
}

/** `k=v` pairs sorted by key, comma separated; "<none>" when empty. */
export function formatLabels(labels: Record<string, string> | undefined | null): string {
  const keys = Object.keys(labels ?? {}).sort();
  if (keys.length === 0) return "<none>";
  return keys.map((k) => `${k}=${labels![k]}`).join(",");
}

/**
 * A label selector in selector syntax (`a=b,c in (d,e),!f`), requirements
 * sorted by key and set values sorted; empty for a nil or empty selector and
 * undefined when the selector is invalid (unknown operator, or values that do
 * not fit the operator).
 */
export function labelSelectorString(sel: LabelSelector | undefined | null): string | undefined {
  if (!sel) return "";
  const reqs: { key: string; text: string }[] = [];
  for (const [key, value] of Object.entries(sel.matchLabels ?? {})) {
    reqs.push({ key, text: `${key}=${value}` });
  }
  for (const expr of sel.matchExpressions ?? []) {
    const values = [...(expr.values ?? [])].sort();
    switch (expr.operator) {
      case "In":
      case "NotIn":
        if (values.length === 0) return undefined;
        reqs.push({ key: expr.key, text: `${expr.key} ${expr.operator === "In" ? "in" : "notin"} (${values.join(",")})` });
        break;
      case "Exists":
      case "DoesNotExist":
        if (values.length > 0) return undefined;
        reqs.push({ key: expr.key, text: expr.operator === "Exists" ? expr.key : `!${expr.key}` });
        break;
      default:
        return undefined;
    }
  }
  reqs.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return reqs.map((r) => r.text).join(",");
}

/** A label selector as printed in Selector columns: "<none>" when it selects everything or nothing, "<error>" when invalid. */
export function formatLabelSelector(sel: LabelSelector | undefined | null): string {
  const s = labelSelectorString(sel);
  if (s === undefined) return "<error>";
  return s === "" ? "<none>" : s;
}

/** Comma-joined container names and images of a container list. */
export function containerCells(containers: { name?: string; image?: string }[] | undefined): [string, string] {
  const list = containers ?? [];
  return [list.map((c) => c.name ?? "").join(","), list.map((c) => c.image ?? "").join(",")];
}

/** "True" / "False" as upstream prints booleans rendered as text. */
export function printBool(v: boolean): string {
  return v ? "True" : "False";
}

/** printBool of an optional boolean, "<unset>" when absent. */
export function printBoolPtr(v: unknown): string {
  return typeof v === "boolean" ? printBool(v) : "<unset>";
}

/** An int-or-string value as text. */
export function intOrString(v: unknown): string {
  return typeof v === "number" ? String(Math.trunc(v)) : String(v ?? "");
}

/** Integer value of a numeric field, 0 when absent. */
export function int(v: unknown): number {
  return typeof v === "number" ? Math.trunc(v) : 0;
}

/** String value of a field, "" when absent. */
export function str(v: unknown): string {
  return typeof v === "string" ? v : v === undefined || v === null ? "" : String(v);
}

/** Joins the first `max` items and appends " + N more..." for the rest; "<unset>" when empty. */
export function listWithMore(items: string[], max = 3): string {
  if (items.length > max) return `${items.slice(0, max).join(",")} + ${items.length - max} more...`;
  const s = items.join(",");
  return s === "" ? "<unset>" : s;
}

/** `host:port`, bracketing IPv6 hosts. */
export function joinHostPort(host: string, port: number): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Whether a condition of the given type exists with status "True" (the first one of that type decides). */
export function conditionTrue(conditions: { type?: string; status?: string }[] | undefined, type: string): boolean {
  for (const c of conditions ?? []) {
    if (c.type === type) return c.status === "True";
  }
  return false;
}

/** Load-balancer ingress points (IP, else hostname), de-duplicated, sorted and comma-joined. */
export function loadBalancerIngress(ingress: { ip?: string; hostname?: string }[] | undefined): string {
  const set = new Set<string>();
  for (const i of ingress ?? []) {
    if (i.ip) set.add(i.ip);
    else if (i.hostname) set.add(i.hostname);
  }
  return [...set].sort().join(",");
}
