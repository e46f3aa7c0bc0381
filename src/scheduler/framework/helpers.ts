/**
 * Node-side helpers shared by plugins: node selector term matching (v1
 * NodeSelector semantics), the pod's required node affinity, taint and
 * toleration matching, and upstream's DefaultNormalizeScore.
 */
import type { KObject } from "../../api/types.ts";

export const MAX_NODE_SCORE = 100;
export const MIN_NODE_SCORE = 0;

export interface NodeSelectorRequirement {
  key: string;
  operator: string;
  values?: string[];
}

export interface NodeSelectorTerm {
  matchExpressions?: NodeSelectorRequirement[];
  matchFields?: NodeSelectorRequirement[];
}

function requirementMatches(r: NodeSelectorRequirement, labels: Record<string, string>): boolean {
  const has = Object.hasOwn(labels, r.key);
  const v = labels[r.key];
  const vals = r.values ?? [];
  switch (r.operator) {
    case "In":
      return has && vals.includes(v);
    case "NotIn":
      return !has || !vals.includes(v);
    case "Exists":
      return has;
    case "DoesNotExist":
      return !has;
    case "Gt":
    case "Lt": {
      if (!has || vals.length !== 1 || !/^-?\d+$/.test(v) || !/^-?\d+$/.test(vals[0])) return false;
      const a = BigInt(v);
      const b = BigInt(vals[0]);
      return r.operator === "Gt" ? a > b : a < b;
    }
    default:
      return false;
  }
}

/** One NodeSelectorTerm: every expression and field requirement holds; an empty term matches nothing. */
export function nodeSelectorTermMatches(term: NodeSelectorTerm, node: KObject): boolean {
  const exprs = term.matchExpressions ?? [];
  const fields = term.matchFields ?? [];
  if (exprs.length === 0 && fields.length === 0) return false;
  const labels = node.metadata.labels ?? {};
  for (const r of exprs) if (!requirementMatches(r, labels)) return false;
  for (const f of fields) {
    if (f.key !== "metadata.name" || (f.operator !== "In" && f.operator !== "NotIn")) return false;
    if (!requirementMatches(f, { "metadata.name": node.metadata.name ?? "" })) return false;
  }
  return true;
}

/** A NodeSelector (terms ORed). */
export function nodeSelectorMatches(terms: NodeSelectorTerm[], node: KObject): boolean {
  return terms.some((t) => nodeSelectorTermMatches(t, node));
}

/** spec.nodeSelector and requiredDuringScheduling node affinity both hold (GetRequiredNodeAffinity.Match). */
export function podMatchesNodeSelectorAndAffinity(pod: KObject, node: KObject): boolean {
  const sel: Record<string, string> | undefined = pod.spec?.nodeSelector;
  if (sel) {
    const labels = node.metadata.labels ?? {};
    for (const k in sel) if (labels[k] !== sel[k]) return false;
  }
  const req = pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  if (req) return nodeSelectorMatches(req.nodeSelectorTerms ?? [], node);
  return true;
}

export interface Taint {
  key: string;
  value?: string;
  effect: string;
}

export interface Toleration {
  key?: string;
  operator?: string;
  value?: string;
  effect?: string;
}

/** Toleration.ToleratesTaint. */
export function toleratesTaint(t: Toleration, taint: Taint): boolean {
  if (t.effect && t.effect !== taint.effect) return false;
  if (t.key && t.key !== taint.key) return false;
  switch (t.operator || "Equal") {
    case "Exists":
      return true;
    case "Equal":
      return (t.value ?? "") === (taint.value ?? "");
    default:
      return false;
  }
}

/** The first taint (with an effect passing `filter`) not tolerated by any toleration. */
export function findUntoleratedTaint(taints: Taint[], tolerations: Toleration[], filter: (t: Taint) => boolean): Taint | undefined {
  for (const taint of taints) {
    if (!filter(taint)) continue;
    if (!tolerations.some((tol) => toleratesTaint(tol, taint))) return taint;
  }
  return undefined;
}

/** A node and its score from one plugin (or the weighted total). */
export interface NodeScore {
  name: string;
  score: number;
}

/**
 * DefaultNormalizeScore: scales scores to [0, maxPriority] by the highest
 * score; `reverse` flips them. All zeros stay zero (or become max if reversed).
 */
export function defaultNormalizeScore(maxPriority: number, reverse: boolean, scores: NodeScore[]): void {
  let max = 0;
  for (const s of scores) if (s.score > max) max = s.score;
  if (max === 0) {
    if (reverse) for (const s of scores) s.score = maxPriority;
    return;
  }
  for (const s of scores) {
    let v = Math.trunc((maxPriority * s.score) / max);
    if (reverse) v = maxPriority - v;
    s.score = v;
  }
}
