/**
 * Deletion of a terminating namespace's content, after upstream's
 * NamespacedResourcesDeleter: every served namespaced resource that can be
 * listed and deleted is emptied with deletecollection (background
 * propagation), falling back to list + delete; what remains is counted, with
 * the finalizers it still carries; the outcome becomes the namespace's
 * NamespaceDeletion* / Namespace*Remaining conditions.
 */
import { groupVersion, resources, type ResourceInfo } from "../../api/resources.ts";
import type { KObject } from "../../api/types.ts";
import { isNotFound, type ApiClient } from "../../client/index.ts";
import { StatusError } from "../../machinery/errors.ts";

/** One namespace condition as upstream writes it. */
export interface NamespaceCondition {
  type: string;
  status: "True" | "False";
  reason: string;
  message: string;
  lastTransitionTime?: string;
}

/** What one deletion pass found. */
export interface ContentOutcome {
  /** Deletion failures, one line per resource. */
  errors: string[];
  /** Instances left per resource ("pods." / "jobs.batch"), for non-empty resources. */
  remaining: Map<string, number>;
  /** Instances left per finalizer name. */
  finalizers: Map<string, number>;
  /** Longest remaining graceful pod termination, in seconds (0 when none). */
  estimateSeconds: number;
}

/**
 * The namespaced resources a namespace can hold content in: listable and
 * deletable, one per storage bucket (core and events.k8s.io Events, or HPA
 * v1 and v2, are the same objects), so subresource-only kinds such as
 * bindings are left out.
 */
export function deletableNamespacedResources(): ResourceInfo[] {
  const seen = new Set<string>();
  const out: ResourceInfo[] = [];
  for (const r of resources) {
    if (!r.namespaced || !r.verbs.includes("list") || !(r.verbs.includes("delete") || r.verbs.includes("deletecollection"))) continue;
    if (seen.has(r.storage)) continue;
    seen.add(r.storage);
    out.push(r);
  }
  return out;
}

/** `plural.group` as upstream's messages spell a resource ("pods." for core). */
function resourceName(r: ResourceInfo): string {
  return `${r.plural}.${r.group}`;
}

function collectionPath(r: ResourceInfo, namespace: string): string {
  const base = r.group ? `/apis/${groupVersion(r)}` : `/api/${r.version}`;
  return `${base}/namespaces/${encodeURIComponent(namespace)}/${r.plural}`;
}

const unsupported = (err: unknown): boolean => err instanceof StatusError && (err.code === 404 || err.code === 405);

async function deleteAll(client: ApiClient, r: ResourceInfo, namespace: string): Promise<void> {
  if (r.verbs.includes("deletecollection")) {
    try {
      await client.request({ method: "DELETE", path: collectionPath(r, namespace), query: { propagationPolicy: "Background" } });
      return;
    } catch (err) {
      if (!unsupported(err)) throw err;
    }
  }
  const rc = client.resource(r);
  const list = await rc.list(namespace);
  for (const o of list.items) {
    if (o.metadata.deletionTimestamp) continue;
    try {
      await rc.delete(namespace, o.metadata.name!, { propagationPolicy: "Background", preconditions: { uid: o.metadata.uid } });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
}

/** Seconds until the slowest terminating pod's grace period ends (upstream's estimate). */
function podEstimate(pods: KObject[], now: number): number {
  let max = 0;
  for (const p of pods) {
    const ts = p.metadata.deletionTimestamp;
    const left = ts ? Math.ceil((Date.parse(ts) - now) / 1000) : (p.spec?.terminationGracePeriodSeconds ?? 30);
    if (left > max) max = left;
  }
  return max;
}

/**
 * Deletes everything in `namespace` and reports what is left. Never throws
 * for a single resource: failures are collected in `errors`.
 */
export async function deleteAllContent(client: ApiClient, namespace: string): Promise<ContentOutcome> {
  const out: ContentOutcome = { errors: [], remaining: new Map(), finalizers: new Map(), estimateSeconds: 0 };
  await Promise.all(
    deletableNamespacedResources().map(async (r) => {
      try {
        await deleteAll(client, r, namespace);
        const left = (await client.resource(r).list(namespace)).items;
        if (!left.length) return;
        out.remaining.set(resourceName(r), left.length);
        for (const o of left) for (const f of o.metadata.finalizers ?? []) out.finalizers.set(f, (out.finalizers.get(f) ?? 0) + 1);
        if (r.kind === "Pod") out.estimateSeconds = Math.max(out.estimateSeconds, podEstimate(left, Date.now()));
      } catch (err) {
        out.errors.push(`${resourceName(r)}: ${String((err as Error)?.message ?? err)}`);
      }
    }),
  );
  out.errors.sort();
  return out;
}

function describe(counts: Map<string, number>, verb: "has" | "in"): string {
  return [...counts.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([what, n]) => `${what} ${verb} ${n} resource instances`)
    .join(", ");
}

/** The five deletion conditions upstream sets on a terminating namespace, for `o`. */
export function deletionConditions(o: ContentOutcome): NamespaceCondition[] {
  const cond = (type: string, failed: boolean, reason: [string, string], message: [string, string]): NamespaceCondition => ({
    type,
    status: failed ? "True" : "False",
    reason: failed ? reason[0] : reason[1],
    message: failed ? message[0] : message[1],
  });
  return [
    cond("NamespaceDeletionDiscoveryFailure", false, ["DiscoveryFailed", "ResourcesDiscovered"], ["", "All resources successfully discovered"]),
    cond("NamespaceDeletionGroupVersionParsingFailure", false, ["GroupVersionParsingFailed", "ParsedGroupVersions"], ["", "All legacy kube types successfully parsed"]),
    cond(
      "NamespaceDeletionContentFailure",
      o.errors.length > 0,
      ["ContentDeletionFailed", "ContentDeleted"],
      [`Failed to delete all resource types, ${o.errors.length} remaining: ${o.errors.join(", ")}`, "All content successfully deleted, may be waiting on finalization"],
    ),
    cond(
      "NamespaceContentRemaining",
      o.remaining.size > 0,
      ["SomeResourcesRemain", "ContentRemoved"],
      [`Some resources are remaining: ${describe(o.remaining, "has")}`, "All content successfully removed"],
    ),
    cond(
      "NamespaceFinalizersRemaining",
      o.finalizers.size > 0,
      ["SomeFinalizersRemain", "ContentHasNoFinalizers"],
      [`Some content in the namespace has finalizers remaining: ${describe(o.finalizers, "in")}`, "All content-preserving finalizers finished"],
    ),
  ];
}

/**
 * Merges `wanted` into `current` conditions: unchanged conditions keep
 * their lastTransitionTime, changed ones get `now`. Returns undefined when
 * nothing changed.
 */
export function mergeConditions(current: NamespaceCondition[], wanted: NamespaceCondition[], now: string): NamespaceCondition[] | undefined {
  let changed = false;
  const out = current.filter((c) => !wanted.some((w) => w.type === c.type));
  for (const w of wanted) {
    const old = current.find((c) => c.type === w.type);
    if (old && old.status === w.status && old.reason === w.reason && old.message === w.message) {
      out.push(old);
      continue;
    }
    changed = true;
    out.push({ ...w, lastTransitionTime: old && old.status === w.status ? (old.lastTransitionTime ?? now) : now });
  }
  return changed ? out : undefined;
}
