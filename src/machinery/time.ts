/**
 * Time formatting shared by every component: metav1.Time serialises as
 * RFC 3339 with second precision (`2026-11-23T19:43:28Z`).
 */

/** RFC 3339 at second precision of `t` (epoch milliseconds or a Date; default now). */
export function rfc3339(t: number | Date = Date.now()): string {
  return (typeof t === "number" ? new Date(t) : t).toISOString().slice(0, 19) + "Z";
}
