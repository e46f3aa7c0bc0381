/**
 * StatefulSet identity helpers (upstream stateful_set_utils.go): ordinals
 * and stable names, the pod for an ordinal at a revision (labels, hostname,
 * subdomain, claim volumes), the PersistentVolumeClaims from
 * volumeClaimTemplates, and pod health predicates. Pure functions.
 */
import type { KObject } from "../../api/types.ts";
import { controllerRef, controllerRevisionHashLabel } from "../revisions/history.ts";

export const podNameLabel = "statefulset.kubernetes.io/pod-name";
export const podIndexLabel = "apps.kubernetes.io/pod-index";

/** First ordinal (spec.ordinals.start, default 0). */
export const startOrdinal = (set: KObject): number => set.spec?.ordinals?.start ?? 0;

/** The ordinal of `pod` if it is named `<set>-<n>`, else undefined. */
export function ordinalOf(set: KObject, pod: KObject): number | undefined {
  const prefix = `${set.metadata.name}-`;
  const n = pod.metadata.name ?? "";
  if (!n.startsWith(prefix)) return undefined;
  const rest = n.slice(prefix.length);
  return /^(0|[1-9]\d*)$/.test(rest) ? Number(rest) : undefined;
}

/** The data a StatefulSet's ControllerRevision records (upstream getPatch: the template, replaced wholesale). */
export function revisionData(set: KObject): Record<string, unknown> {
  return { spec: { template: { ...structuredClone(set.spec?.template ?? {}), $patch: "replace" } } };
}

/** The pod template stored in a revision. */
export function templateOf(rev: KObject): Record<string, any> {
  const { $patch: _drop, ...t } = (rev.data?.spec?.template ?? {}) as Record<string, unknown>;
  return t;
}

/** Name of the claim for template `claim` and ordinal `i`: `<template>-<set>-<ordinal>`. */
export const claimName = (set: KObject, claim: KObject, i: number): string => `${claim.metadata.name}-${set.metadata.name}-${i}`;

/** The pod for ordinal `i` built from `template` and labelled with revision `revName`. */
export function newPod(set: KObject, template: Record<string, any>, i: number, revName: string): KObject {
  const name = `${set.metadata.name}-${i}`;
  const spec = structuredClone(template.spec ?? {});
  const claims = (set.spec?.volumeClaimTemplates ?? []) as KObject[];
  const volumes = ((spec.volumes ?? []) as { name: string }[]).filter((v) => !claims.some((c) => c.metadata.name === v.name));
  for (const c of claims) volumes.push({ name: c.metadata.name!, persistentVolumeClaim: { claimName: claimName(set, c, i) } } as { name: string });
  if (volumes.length) spec.volumes = volumes;
  spec.hostname = name;
  if (set.spec?.serviceName) spec.subdomain = set.spec.serviceName;
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name,
      namespace: set.metadata.namespace,
      labels: {
        ...(template.metadata?.labels ?? {}),
        [podNameLabel]: name,
        [podIndexLabel]: String(i),
        [controllerRevisionHashLabel]: revName,
      },
      annotations: { ...(template.metadata?.annotations ?? {}) },
      ownerReferences: [controllerRef({ ...set, apiVersion: "apps/v1", kind: "StatefulSet" })],
    },
    spec,
  };
}

/**
 * The claims ordinal `i` needs. With whenDeleted=Delete the claim gets a
 * (non-controller) ownerReference to the set, as upstream.
 */
export function newClaims(set: KObject, i: number): KObject[] {
  const deleteWithSet = set.spec?.persistentVolumeClaimRetentionPolicy?.whenDeleted === "Delete";
  return ((set.spec?.volumeClaimTemplates ?? []) as KObject[]).map((t) => ({
    apiVersion: "v1",
    kind: "PersistentVolumeClaim",
    metadata: {
      name: claimName(set, t, i),
      namespace: set.metadata.namespace,
      labels: { ...(t.metadata.labels ?? {}), ...(set.spec?.selector?.matchLabels ?? {}) },
      annotations: t.metadata.annotations ? { ...t.metadata.annotations } : undefined,
      ownerReferences: deleteWithSet
        ? [{ apiVersion: "apps/v1", kind: "StatefulSet", name: set.metadata.name!, uid: set.metadata.uid!, blockOwnerDeletion: true }]
        : undefined,
    },
    spec: structuredClone(t.spec ?? {}),
  }));
}

export const isTerminating = (p: KObject): boolean => !!p.metadata.deletionTimestamp;
export const hasFinished = (p: KObject): boolean => p.status?.phase === "Succeeded" || p.status?.phase === "Failed";

function readyCondition(p: KObject): { status: string; lastTransitionTime?: string } | undefined {
  return (p.status?.conditions ?? []).find((c: { type: string }) => c.type === "Ready");
}

/** Running with Ready=True and not terminating. */
export const isRunningAndReady = (p: KObject): boolean => p.status?.phase === "Running" && readyCondition(p)?.status === "True" && !isTerminating(p);

/**
 * Milliseconds until a running-and-ready pod counts as available under
 * minReadySeconds: 0 when available now, Infinity when not ready.
 */
export function availableIn(p: KObject, minReadySeconds: number, now: number): number {
  if (!isRunningAndReady(p)) return Infinity;
  if (!minReadySeconds) return 0;
  const since = Date.parse(readyCondition(p)?.lastTransitionTime ?? "");
  if (!Number.isFinite(since)) return 0;
  return Math.max(0, since + minReadySeconds * 1000 - now);
}
