/**
 * Deployment helpers (upstream pkg/controller/deployment/util): annotation
 * and label names, revisions, the pod-template-hash, template equality that
 * ignores the hash label, maxSurge/maxUnavailable resolution, ReplicaSet
 * orderings and replica sums, and finding the new and old ReplicaSets.
 * Pure functions; no I/O.
 */
import type { KObject } from "../../api/types.ts";

export const revisionAnnotation = "deployment.kubernetes.io/revision";
export const revisionHistoryAnnotation = "deployment.kubernetes.io/revision-history";
export const desiredReplicasAnnotation = "deployment.kubernetes.io/desired-replicas";
export const maxReplicasAnnotation = "deployment.kubernetes.io/max-replicas";
export const rollbackToAnnotation = "deprecated.deployment.rollback.to";
export const lastAppliedAnnotation = "kubectl.kubernetes.io/last-applied-configuration";
export const podTemplateHashLabel = "pod-template-hash";
/** Upstream caps revision-history at this many characters. */
export const maxRevisionHistoryChars = 2000;

/** Deployment annotations that are not copied onto ReplicaSets. */
const annotationsToSkip = new Set([lastAppliedAnnotation, revisionAnnotation, revisionHistoryAnnotation, desiredReplicasAnnotation, maxReplicasAnnotation, rollbackToAnnotation]);

/** spec.replicas with the API default (1). */
export function replicasOf(o: KObject | undefined): number {
  return o ? Number(o.spec?.replicas ?? 1) : 0;
}

/** The revision annotation as a number (0 when absent or unparsable). */
export function revisionOf(o: KObject): number {
  const v = Number(o.metadata.annotations?.[revisionAnnotation] ?? "0");
  return Number.isInteger(v) && v >= 0 ? v : 0;
}

/** The highest revision among `rss` (0 for none). */
export function maxRevision(rss: KObject[]): number {
  return rss.reduce((m, rs) => Math.max(m, revisionOf(rs)), 0);
}

// --- hashing ---------------------------------------------------------------

function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
  if (v && typeof v === "object") {
    const keys = Object.keys(v as object)
      .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
      .sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`).join(",")}}`;
  }
  return JSON.stringify(v);
}

function fnv32a(bytes: Uint8Array, h = 0x811c9dc5): number {
  for (const b of bytes) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

const safeAlphabet = "bcdfghjklmnpqrstvwxz2456789";

/**
 * The pod-template-hash of a template: FNV-32a over the template's canonical
 * JSON (plus the collision count, little-endian, when set), its decimal form
 * encoded with upstream's vowel-free alphabet (rand.SafeEncodeString).
 */
export function computeHash(template: unknown, collisionCount?: number): string {
  let h = fnv32a(new TextEncoder().encode(canonical(template)));
  if (collisionCount !== undefined && collisionCount !== null) {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, collisionCount >>> 0, true);
    h = fnv32a(b, h);
  }
  return [...String(h)].map((c) => safeAlphabet[c.charCodeAt(0) % safeAlphabet.length]).join("");
}

// --- template equality -------------------------------------------------------

/** Drops empty objects/arrays, empty strings, false, 0 and nulls (Go's zero values), recursively. */
function semantic(v: unknown): unknown {
  if (Array.isArray(v)) return v.length ? v.map(semantic) : undefined;
  if (v && typeof v === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      const s = semantic(x);
      if (s !== undefined) out[k] = s;
    }
    return Object.keys(out).length ? out : undefined;
  }
  if (v === null || v === "" || v === false || v === 0) return undefined;
  return v;
}

/** True when two pod templates are equal apart from the pod-template-hash label (upstream EqualIgnoreHash). */
export function equalIgnoreHash(a: KObject | undefined, b: KObject | undefined): boolean {
  const strip = (t: KObject | undefined): unknown => {
    const c = structuredClone(t ?? {}) as KObject;
    if (c.metadata?.labels) delete c.metadata.labels[podTemplateHashLabel];
    return canonical(semantic(c) ?? {});
  };
  return strip(a) === strip(b);
}

// --- surge and unavailability ------------------------------------------------

function scaled(v: unknown, total: number, roundUp: boolean): number {
  if (typeof v === "number") return v;
  const s = String(v ?? "25%");
  const m = /^(\d+)%$/.exec(s);
  if (!m) {
    const n = Number(s);
    if (Number.isInteger(n)) return n;
    throw new Error(`invalid value for IntOrString: invalid value "${s}"`);
  }
  const x = (Number(m[1]) * total) / 100;
  return roundUp ? Math.ceil(x) : Math.floor(x);
}

export function isRollingUpdate(d: KObject): boolean {
  return (d.spec?.strategy?.type ?? "RollingUpdate") === "RollingUpdate";
}

/**
 * maxSurge (rounded up) and maxUnavailable (rounded down) against `desired`;
 * when both come out 0, maxUnavailable becomes 1 (upstream ResolveFenceposts).
 */
export function resolveFenceposts(maxSurge: unknown, maxUnavailable: unknown, desired: number): { surge: number; unavailable: number } {
  const surge = scaled(maxSurge, desired, true);
  let unavailable = scaled(maxUnavailable, desired, false);
  if (surge === 0 && unavailable === 0) unavailable = 1;
  return { surge, unavailable };
}

/** The resolved maxSurge of a RollingUpdate deployment (0 for Recreate). */
export function maxSurge(d: KObject): number {
  if (!isRollingUpdate(d)) return 0;
  const ru = d.spec?.strategy?.rollingUpdate ?? {};
  return resolveFenceposts(ru.maxSurge, ru.maxUnavailable, replicasOf(d)).surge;
}

/** The resolved maxUnavailable, capped at spec.replicas (0 for Recreate or no replicas). */
export function maxUnavailable(d: KObject): number {
  const want = replicasOf(d);
  if (!isRollingUpdate(d) || want === 0) return 0;
  const ru = d.spec?.strategy?.rollingUpdate ?? {};
  return Math.min(want, resolveFenceposts(ru.maxSurge, ru.maxUnavailable, want).unavailable);
}

// --- replica sets --------------------------------------------------------------

const created = (o: KObject): number => Date.parse(o.metadata.creationTimestamp ?? "") || 0;

/** Oldest first; ties by name. */
export function byCreation(a: KObject, b: KObject): number {
  return created(a) - created(b) || (a.metadata.name! < b.metadata.name! ? -1 : a.metadata.name! > b.metadata.name! ? 1 : 0);
}

/** Lowest revision first; ties by creation. */
export function byRevision(a: KObject, b: KObject): number {
  return revisionOf(a) - revisionOf(b) || byCreation(a, b);
}

/** Largest first; ties newest first (for scaling up). */
export function bySizeNewer(a: KObject, b: KObject): number {
  return replicasOf(b) - replicasOf(a) || byCreation(b, a);
}

/** Largest first; ties oldest first (for scaling down). */
export function bySizeOlder(a: KObject, b: KObject): number {
  return replicasOf(b) - replicasOf(a) || byCreation(a, b);
}

/** ReplicaSets with spec.replicas > 0. */
export function activeReplicaSets(rss: (KObject | undefined)[]): KObject[] {
  return rss.filter((rs): rs is KObject => !!rs && replicasOf(rs) > 0);
}

/** Sum of spec.replicas. */
export function specReplicas(rss: (KObject | undefined)[]): number {
  return rss.reduce((s, rs) => s + (rs ? replicasOf(rs) : 0), 0);
}

/** Sum of a status field (replicas, readyReplicas, availableReplicas). */
export function statusSum(rss: (KObject | undefined)[], field: "replicas" | "readyReplicas" | "availableReplicas"): number {
  return rss.reduce((s, rs) => s + Number(rs?.status?.[field] ?? 0), 0);
}

/** The oldest ReplicaSet whose template equals the deployment's (ignoring the hash). */
export function findNewReplicaSet(d: KObject, rss: KObject[]): KObject | undefined {
  return [...rss].sort(byCreation).find((rs) => equalIgnoreHash(rs.spec?.template, d.spec?.template));
}

/** Every ReplicaSet other than `newRS`. */
export function findOldReplicaSets(rss: KObject[], newRS: KObject | undefined): KObject[] {
  return rss.filter((rs) => rs.metadata.uid !== newRS?.metadata.uid);
}

/** Reads an integer annotation. */
export function intAnnotation(o: KObject, key: string): number | undefined {
  const v = o.metadata.annotations?.[key];
  if (v === undefined) return undefined;
  const n = Number(v);
  return Number.isInteger(n) ? n : undefined;
}

/** True when the replica annotations of `rs` differ from `desired` / `max`. */
export function replicasAnnotationsNeedUpdate(rs: KObject, desired: number, max: number): boolean {
  const a = rs.metadata.annotations ?? {};
  return a[desiredReplicasAnnotation] !== String(desired) || a[maxReplicasAnnotation] !== String(max);
}

/** Sets desired-replicas and max-replicas on `rs`; returns whether anything changed. */
export function setReplicasAnnotations(rs: KObject, desired: number, max: number): boolean {
  if (!replicasAnnotationsNeedUpdate(rs, desired, max)) return false;
  rs.metadata.annotations = { ...(rs.metadata.annotations ?? {}), [desiredReplicasAnnotation]: String(desired), [maxReplicasAnnotation]: String(max) };
  return true;
}

/**
 * Copies the deployment's annotations (minus the controller's own) onto the
 * new ReplicaSet, sets its revision to `newRevision` when that is higher,
 * appending the previous revision to revision-history, and (for a
 * ReplicaSet being created) sets the replica annotations. Returns whether
 * `rs` changed.
 */
export function setNewReplicaSetAnnotations(d: KObject, rs: KObject, newRevision: number, exists: boolean): boolean {
  let changed = false;
  const ann: Record<string, string> = { ...(rs.metadata.annotations ?? {}) };
  for (const [k, v] of Object.entries(d.metadata.annotations ?? {})) {
    if (annotationsToSkip.has(k) || ann[k] === v) continue;
    ann[k] = v;
    changed = true;
  }
  const oldRevision = ann[revisionAnnotation];
  const oldNum = oldRevision === undefined ? 0 : Number(oldRevision);
  if (!Number.isInteger(oldNum)) {
    rs.metadata.annotations = ann;
    return changed;
  }
  if (oldNum < newRevision) {
    ann[revisionAnnotation] = String(newRevision);
    changed = true;
    if (oldRevision !== undefined && oldRevision !== "") {
      const hist = ann[revisionHistoryAnnotation];
      if (!hist) ann[revisionHistoryAnnotation] = oldRevision;
      else {
        const parts = [...hist.split(","), oldRevision];
        while (parts.join(",").length > maxRevisionHistoryChars && parts.length > 1) parts.shift();
        ann[revisionHistoryAnnotation] = parts.join(",");
      }
    }
  }
  rs.metadata.annotations = ann;
  if (!exists && setReplicasAnnotations(rs, replicasOf(d), replicasOf(d) + maxSurge(d))) changed = true;
  return changed;
}

/** Sets the deployment's revision annotation; returns whether it changed. */
export function setDeploymentRevision(d: KObject, revision: string): boolean {
  const ann = d.metadata.annotations ?? {};
  if (ann[revisionAnnotation] === revision) return false;
  d.metadata.annotations = { ...ann, [revisionAnnotation]: revision };
  return true;
}

/** Replicas the new ReplicaSet should have now (upstream NewRSNewReplicas). */
export function newRSNewReplicas(d: KObject, allRSs: KObject[], newRS: KObject): number {
  const want = replicasOf(d);
  if (!isRollingUpdate(d)) return want;
  const current = specReplicas(allRSs);
  const maxTotal = want + maxSurge(d);
  if (current >= maxTotal) return replicasOf(newRS);
  const up = Math.min(maxTotal - current, want - replicasOf(newRS));
  return replicasOf(newRS) + up;
}

/** Spec replicas equal, desired annotation equal and all available (upstream IsSaturated). */
export function isSaturated(d: KObject, rs: KObject | undefined): boolean {
  if (!rs) return false;
  const want = replicasOf(d);
  return replicasOf(rs) === want && intAnnotation(rs, desiredReplicasAnnotation) === want && Number(rs.status?.availableReplicas ?? 0) === want;
}
