/**
 * Which nodes a DaemonSet pod should run on (upstream NodeShouldRunDaemonPod
 * with the scheduler predicates it uses): nodeSelector, required node
 * affinity, and NoSchedule/NoExecute taints against the pod's tolerations
 * plus the ones upstream adds to every daemon pod. Also builds the pinned
 * pod (required node affinity `metadata.name In [node]`). Pure functions.
 */
import type { KObject } from "../../api/types.ts";
import { controllerRef, controllerRevisionHashLabel } from "../revisions/history.ts";

export interface Toleration {
  key?: string;
  operator?: string;
  value?: string;
  effect?: string;
  tolerationSeconds?: number;
}

interface Taint {
  key: string;
  value?: string;
  effect: string;
}

interface Requirement {
  key: string;
  operator: string;
  values?: string[];
}

interface Term {
  matchExpressions?: Requirement[];
  matchFields?: Requirement[];
}

/** Tolerations upstream adds to daemon pods (AddOrUpdateDaemonPodTolerations). */
export function daemonTolerations(hostNetwork: boolean): Toleration[] {
  const t = (key: string, effect: string): Toleration => ({ key, operator: "Exists", effect });
  const out = [
    t("node.kubernetes.io/not-ready", "NoExecute"),
    t("node.kubernetes.io/unreachable", "NoExecute"),
    t("node.kubernetes.io/disk-pressure", "NoSchedule"),
    t("node.kubernetes.io/memory-pressure", "NoSchedule"),
    t("node.kubernetes.io/pid-pressure", "NoSchedule"),
    t("node.kubernetes.io/unschedulable", "NoSchedule"),
  ];
  if (hostNetwork) out.push(t("node.kubernetes.io/network-unavailable", "NoSchedule"));
  return out;
}

/** The template's tolerations plus the daemon ones not already present (same key and effect). */
export function withDaemonTolerations(spec: Record<string, any>): Toleration[] {
  const own = (spec.tolerations ?? []) as Toleration[];
  const extra = daemonTolerations(spec.hostNetwork === true).filter((d) => !own.some((o) => o.key === d.key && o.effect === d.effect));
  return [...own, ...extra];
}

/** Toleration.ToleratesTaint. */
export function tolerates(t: Toleration, taint: Taint): boolean {
  if (t.effect && t.effect !== taint.effect) return false;
  if (t.key && t.key !== taint.key) return false;
  if (!t.key && t.operator !== "Exists") return false;
  if (t.operator === "Exists") return true;
  return (t.value ?? "") === (taint.value ?? "");
}

function matchRequirement(r: Requirement, value: string | undefined): boolean {
  const vs = r.values ?? [];
  switch (r.operator) {
    case "In":
      return value !== undefined && vs.includes(value);
    case "NotIn":
      return value === undefined || !vs.includes(value);
    case "Exists":
      return value !== undefined;
    case "DoesNotExist":
      return value === undefined;
    case "Gt":
    case "Lt": {
      if (value === undefined || !/^-?\d+$/.test(value) || vs.length !== 1) return false;
      return r.operator === "Gt" ? Number(value) > Number(vs[0]) : Number(value) < Number(vs[0]);
    }
    default:
      return false;
  }
}

/** A nodeSelectorTerm matches when all its expressions and fields match (an empty term matches nothing). */
function matchTerm(t: Term, node: KObject): boolean {
  const exprs = t.matchExpressions ?? [];
  const fields = t.matchFields ?? [];
  if (!exprs.length && !fields.length) return false;
  return (
    exprs.every((r) => matchRequirement(r, node.metadata.labels?.[r.key])) &&
    fields.every((r) => matchRequirement(r, r.key === "metadata.name" ? node.metadata.name : undefined))
  );
}

function fitsNode(node: KObject, spec: Record<string, any>, effects: readonly string[]): boolean {
  const labels = node.metadata.labels ?? {};
  for (const [k, v] of Object.entries((spec.nodeSelector ?? {}) as Record<string, string>)) if (labels[k] !== v) return false;
  const terms = spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms as Term[] | undefined;
  if (terms && !terms.some((t) => matchTerm(t, node))) return false;
  const tols = withDaemonTolerations(spec);
  for (const taint of (node.spec?.taints ?? []) as Taint[]) {
    if (!effects.includes(taint.effect ?? "")) continue;
    if (!tols.some((t) => tolerates(t, taint))) return false;
  }
  return true;
}

/** Whether a daemon pod with `spec` should run on `node`: selector, required affinity, NoSchedule/NoExecute taints. */
export function nodeShouldRun(node: KObject, spec: Record<string, any>): boolean {
  return fitsNode(node, spec, ["NoSchedule", "NoExecute"]);
}

/**
 * Whether a daemon pod already on `node` may stay there (upstream's
 * shouldContinueRunning): as nodeShouldRun, but only NoExecute taints count.
 */
export function nodeShouldContinueRunning(node: KObject, spec: Record<string, any>): boolean {
  return fitsNode(node, spec, ["NoExecute"]);
}

/** The node a daemon pod is for: spec.nodeName, else its `metadata.name In [x]` affinity field. */
export function podNode(p: KObject): string | undefined {
  if (p.spec?.nodeName) return p.spec.nodeName;
  const terms = (p.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? []) as Term[];
  for (const t of terms)
    for (const f of t.matchFields ?? []) if (f.key === "metadata.name" && f.operator === "In" && f.values?.length === 1) return f.values[0];
  return undefined;
}

/**
 * The daemon pod for `node`: template labels plus controller-revision-hash
 * and pod-template-generation, daemon tolerations, and required node
 * affinity replaced by `metadata.name In [node]` (upstream
 * ReplaceDaemonSetPodNodeNameNodeAffinity); the scheduler binds it.
 */
export function newDaemonPod(ds: KObject, template: Record<string, any>, node: string, hash: string): KObject {
  const spec = structuredClone(template.spec ?? {});
  spec.tolerations = withDaemonTolerations(spec);
  spec.affinity = {
    ...(spec.affinity ?? {}),
    nodeAffinity: {
      ...(spec.affinity?.nodeAffinity ?? {}),
      requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: "metadata.name", operator: "In", values: [node] }] }] },
    },
  };
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      generateName: `${ds.metadata.name}-`,
      namespace: ds.metadata.namespace,
      labels: {
        ...(template.metadata?.labels ?? {}),
        [controllerRevisionHashLabel]: hash,
        "pod-template-generation": String(ds.metadata.generation ?? 1),
      },
      annotations: { ...(template.metadata?.annotations ?? {}) },
      ownerReferences: [controllerRef({ ...ds, apiVersion: "apps/v1", kind: "DaemonSet" })],
    },
    spec,
  };
}

/** An int-or-percent scaled to `total` (percentages round up, as upstream for DaemonSets). */
export function scaled(v: number | string | undefined, total: number, fallback: number): number {
  if (v === undefined || v === null) return fallback;
  if (typeof v === "number") return v;
  const m = /^(\d+)%$/.exec(v);
  return m ? Math.ceil((Number(m[1]) * total) / 100) : Number(v) || 0;
}
