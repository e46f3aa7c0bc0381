/**
 * PodInfo: a pod with its pre-parsed inter-pod (anti-)affinity terms and
 * requests, memoised per pod object, plus small pod helpers (key, priority,
 * namespace) shared by plugins, cache and queue.
 */
import type { KObject } from "../../api/types.ts";
import { type Selector, everything, selectorFromLabelSelector, selectorFromSet } from "../../machinery/labels.ts";
import { podRequests, type PodRequests } from "./resources.ts";

/** A parsed PodAffinityTerm. */
export interface AffinityTerm {
  /** Namespaces listed in the term, or the pod's own namespace when neither list nor selector is given. */
  namespaces: Set<string>;
  selector: Selector;
  topologyKey: string;
  /** Null when the term has no namespaceSelector. */
  namespaceSelector: Selector | null;
}

export interface WeightedAffinityTerm extends AffinityTerm {
  weight: number;
}

export interface PodInfo {
  pod: KObject;
  requiredAffinityTerms: AffinityTerm[];
  requiredAntiAffinityTerms: AffinityTerm[];
  preferredAffinityTerms: WeightedAffinityTerm[];
  preferredAntiAffinityTerms: WeightedAffinityTerm[];
  requests: PodRequests;
}

/** Lookup of a namespace's labels; undefined for an unknown namespace. */
export type NamespaceLabels = (namespace: string) => Record<string, string> | undefined;

const memo = new WeakMap<object, PodInfo>();

function mergeMatchLabelKeys(pod: KObject, term: KObject): Selector {
  let sel = selectorFromLabelSelector(term.labelSelector ?? null);
  const labels: Record<string, string> = pod.metadata.labels ?? {};
  const extra: { key: string; operator: "in" | "notin"; values: string[] }[] = [];
  for (const k of term.matchLabelKeys ?? []) if (k in labels) extra.push({ key: k, operator: "in", values: [labels[k]] });
  for (const k of term.mismatchLabelKeys ?? []) if (k in labels) extra.push({ key: k, operator: "notin", values: [labels[k]] });
  if (extra.length && !sel.isNothing()) sel = sel.add(...extra);
  return sel;
}

function parseTerm(pod: KObject, t: KObject): AffinityTerm {
  const namespaces = new Set<string>(t.namespaces ?? []);
  const namespaceSelector = t.namespaceSelector ? selectorFromLabelSelector(t.namespaceSelector) : null;
  if (namespaces.size === 0 && !namespaceSelector) namespaces.add(podNamespace(pod));
  return { namespaces, selector: mergeMatchLabelKeys(pod, t), topologyKey: t.topologyKey ?? "", namespaceSelector };
}

function parseWeighted(pod: KObject, terms: KObject[] | undefined): WeightedAffinityTerm[] {
  return (terms ?? []).map((w) => ({ ...parseTerm(pod, w.podAffinityTerm ?? {}), weight: w.weight ?? 0 }));
}

/** The PodInfo for `pod`, memoised per object. */
export function podInfoFor(pod: KObject): PodInfo {
  let pi = memo.get(pod);
  if (pi) return pi;
  const aff = pod.spec?.affinity ?? {};
  pi = {
    pod,
    requiredAffinityTerms: (aff.podAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []).map((t: KObject) => parseTerm(pod, t)),
    requiredAntiAffinityTerms: (aff.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []).map((t: KObject) => parseTerm(pod, t)),
    preferredAffinityTerms: parseWeighted(pod, aff.podAffinity?.preferredDuringSchedulingIgnoredDuringExecution),
    preferredAntiAffinityTerms: parseWeighted(pod, aff.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution),
    requests: podRequests(pod),
  };
  memo.set(pod, pi);
  return pi;
}

/**
 * AffinityTerm.Matches: the pod's namespace is listed (or selected by the
 * namespaceSelector, resolved through `nsLabels`) and its labels match.
 */
export function termMatches(term: AffinityTerm, pod: KObject, nsLabels?: NamespaceLabels): boolean {
  const ns = podNamespace(pod);
  let nsOk = term.namespaces.has(ns);
  if (!nsOk && term.namespaceSelector) {
    if (term.namespaceSelector.empty()) nsOk = true;
    else {
      const labels = nsLabels?.(ns);
      nsOk = labels !== undefined && term.namespaceSelector.matches(labels);
    }
  }
  return nsOk && term.selector.matches(pod.metadata.labels);
}

export function hasAffinity(pi: PodInfo): boolean {
  return pi.requiredAffinityTerms.length + pi.requiredAntiAffinityTerms.length + pi.preferredAffinityTerms.length + pi.preferredAntiAffinityTerms.length > 0;
}

export function podNamespace(pod: KObject): string {
  return pod.metadata.namespace || "default";
}

/** `namespace/name`. */
export function podKey(pod: KObject): string {
  return `${podNamespace(pod)}/${pod.metadata.name ?? ""}`;
}

/** The pod's UID, or its key when it has none (tests, fixtures). */
export function podUID(pod: KObject): string {
  return pod.metadata.uid || podKey(pod);
}

/** spec.priority, 0 when unset. */
export function podPriority(pod: KObject): number {
  return typeof pod.spec?.priority === "number" ? pod.spec.priority : 0;
}

/** status.startTime (or creationTimestamp) in ms since the epoch; Infinity when unknown. */
export function podStartTime(pod: KObject): number {
  const t = pod.status?.startTime ?? pod.metadata.creationTimestamp;
  const ms = t ? Date.parse(t) : NaN;
  return Number.isNaN(ms) ? Infinity : ms;
}

/** A selector matching exactly the given labels (everything for none). */
export function labelsSelector(labels: Record<string, string> | undefined): Selector {
  return labels && Object.keys(labels).length ? selectorFromSet(labels) : everything();
}
