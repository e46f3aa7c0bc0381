/**
 * pods/eviction: deletes a pod unless that would break its
 * PodDisruptionBudget, following upstream's eviction REST. Terminal, pending
 * and terminating pods are deleted without consulting budgets. Otherwise the
 * pod's one budget must allow a disruption: the eviction takes it by
 * decrementing status.disruptionsAllowed and recording the pod in
 * status.disruptedPods (so concurrent evictions cannot overdraw the budget,
 * and the disruption controller stops counting the pod as healthy), then
 * marks the pod DisruptionTarget=True and deletes it. An unready pod may go
 * without taking a disruption when the budget's unhealthyPodEvictionPolicy
 * is AlwaysAllow, or (IfHealthyBudget, the default) when the budget is met.
 */
import { findResource } from "../api/resources.ts";
import { setStatusCondition } from "../api/conditions.ts";
import type { KObject, LabelSelector } from "../api/types.ts";
import { badRequest, conflict, forbidden, StatusError } from "../machinery/errors.ts";
import { selectorFromLabelSelector } from "../machinery/labels.ts";
import type { RequestContext } from "./handlers.ts";
import { sendObject } from "./http.ts";
import { checkDeleteOptions, deleteObject, type DeleteOptions } from "./registry/delete.ts";
import { nowTimestamp } from "./registry/objects.ts";
import { getObject } from "./registry/read.ts";
import type { WriteOptions } from "./registry/registry.ts";
import { updateStatusWith } from "./registry/update.ts";

const pdbs = findResource("policy", "v1", "poddisruptionbudgets")!;
/** How upstream names the pod in the mark step's conflicts. */
const podQr = { group: "", resource: "Pod" };
const pdbQr = { group: "policy", resource: "poddisruptionbudget" };

/** Upstream's MaxDisruptedPodSize: evictions the disruption controller has not yet confirmed. */
const MAX_DISRUPTED_PODS = 2000;

/** Upstream's EvictionsRetry steps: reads of a pod that changed under a budget-free eviction. */
const EVICTION_ATTEMPTS = 20;

const refusal = "Cannot evict pod as it would violate the pod's disruption budget.";

function tooManyRequests(cause: string, retryAfterSeconds?: number): StatusError {
  return new StatusError("TooManyRequests", refusal, { causes: [{ reason: "DisruptionBudget", message: cause }], retryAfterSeconds });
}

/** The budget is behind its spec, or the pod changed: upstream's createTooManyRequestsError (retry after 10 s). */
function stillProcessing(pdbName: string): StatusError {
  return tooManyRequests(`The disruption budget ${pdbName} is still being processed by the server.`, 10);
}

/** Pods whose eviction needs no budget (upstream's canIgnorePDB). */
function canIgnoreBudget(pod: KObject): boolean {
  const phase = pod.status?.phase;
  return phase === "Succeeded" || phase === "Failed" || phase === "Pending" || !!pod.metadata.deletionTimestamp;
}

/** Whether a budget's selector picks the pod; a missing or empty selector picks nothing. */
function selects(selector: LabelSelector | undefined, pod: KObject): boolean {
  if (!selector || (!Object.keys(selector.matchLabels ?? {}).length && !(selector.matchExpressions ?? []).length)) return false;
  try {
    return selectorFromLabelSelector(selector).matches(pod.metadata.labels);
  } catch {
    return false; // an invalid selector matches nothing
  }
}

function isReady(pod: KObject): boolean {
  return (pod.status?.conditions ?? []).some((c: { type?: string; status?: string }) => c.type === "Ready" && c.status === "True");
}

function withResourceVersion(opts: DeleteOptions, rv: string | undefined): DeleteOptions {
  return { ...opts, preconditions: { ...opts.preconditions, resourceVersion: rv } };
}

/**
 * Marks the pod DisruptionTarget=True (reason EvictionByEvictionAPI), then
 * deletes it. The delete's preconditions are checked against the pod before
 * the mark; a resourceVersion precondition then follows the mark's write.
 */
async function markAndDelete(ctx: RequestContext, opts: DeleteOptions, wopts: WriteOptions): Promise<void> {
  const { reg, resource, info } = ctx;
  let options = opts;
  if (!opts.dryRun) {
    const pre = opts.preconditions;
    const marked = await updateStatusWith(reg, resource, info.namespace, info.name, wopts, (pod) => {
      if (pre?.uid && pre.uid !== pod.metadata.uid) {
        throw conflict(podQr, info.name, `the UID in the precondition (${pre.uid}) does not match the UID in record (${pod.metadata.uid}). The object might have been deleted and then recreated`);
      }
      if (pre?.resourceVersion && pre.resourceVersion !== pod.metadata.resourceVersion) {
        throw conflict(podQr, info.name, `the ResourceVersion in the precondition (${pre.resourceVersion}) does not match the ResourceVersion in record (${pod.metadata.resourceVersion}). The object might have been modified`);
      }
      const target = { type: "DisruptionTarget", status: "True", reason: "EvictionByEvictionAPI", message: "Eviction API: evicting", lastProbeTime: null };
      const conditions = setStatusCondition(pod.status?.conditions, target, nowTimestamp());
      pod.status = { ...(pod.status ?? {}), conditions };
      return pod;
    });
    if (pre?.resourceVersion) options = withResourceVersion(opts, marked.metadata.resourceVersion);
  }
  await deleteObject(reg, resource, info.namespace, info.name, options);
}

/**
 * Takes one disruption from the budget for `podName` (upstream's
 * checkAndDecrement), atomically against concurrent evictions.
 */
async function takeDisruption(ctx: RequestContext, pdbName: string, podName: string, dryRun: boolean, wopts: WriteOptions): Promise<void> {
  await updateStatusWith(ctx.reg, pdbs, ctx.info.namespace, pdbName, { ...wopts, dryRun }, (pdb) => {
    const st = pdb.status ?? {};
    if ((st.observedGeneration ?? 0) < (pdb.metadata.generation ?? 1)) throw stillProcessing(pdbName);
    const allowed = st.disruptionsAllowed ?? 0;
    if (allowed < 0) throw forbidden(pdbQr, pdbName, "pdb disruptions allowed is negative");
    if (Object.keys(st.disruptedPods ?? {}).length > MAX_DISRUPTED_PODS) {
      throw forbidden(pdbQr, pdbName, "DisruptedPods map too big - too many evictions not confirmed by PDB controller");
    }
    if (allowed === 0) {
      throw tooManyRequests(`The disruption budget ${pdbName} needs ${st.desiredHealthy ?? 0} healthy pods and has ${st.currentHealthy ?? 0} currently`);
    }
    const status = { ...st, disruptionsAllowed: allowed - 1, disruptedPods: { ...(st.disruptedPods ?? {}), [podName]: nowTimestamp() } };
    if (allowed - 1 === 0) {
      const cond = { type: "DisruptionAllowed", status: "False", reason: "InsufficientPods", message: "", observedGeneration: st.observedGeneration };
      status.conditions = setStatusCondition(st.conditions, cond, nowTimestamp());
    }
    pdb.status = status;
    return pdb;
  });
}

/** POST pods/<name>/eviction with the decoded Eviction `ev`; answers 201 Success or a Status error. */
export async function handleEviction(ctx: RequestContext, ev: KObject, wopts: WriteOptions): Promise<void> {
  const { reg, info, resource } = ctx;
  if (!ev || typeof ev !== "object" || Array.isArray(ev)) throw badRequest("the body of an eviction must be an Eviction object");
  if (ev.metadata?.name && ev.metadata.name !== info.name) throw badRequest("name in URL does not match name in Eviction object");
  const d = ev.deleteOptions ?? {};
  const opts = checkDeleteOptions({
    gracePeriodSeconds: d.gracePeriodSeconds,
    propagationPolicy: d.propagationPolicy,
    preconditions: d.preconditions,
    dryRun: (d.dryRun ?? []).includes("All") || wopts.dryRun,
  });
  const success = () => sendObject(ctx.res, 201, { kind: "Status", apiVersion: "v1", metadata: {}, status: "Success", code: 201 }, ctx.rep);
  let pod: KObject;
  for (let attempt = 1; ; attempt++) {
    pod = await getObject(reg, resource, info.namespace, info.name);
    if (!canIgnoreBudget(pod)) break;
    // Only the pod as read may go: a pending pod may start (and count for a budget) meanwhile.
    const terminal = pod.status?.phase === "Succeeded" || pod.status?.phase === "Failed";
    const enforce = !opts.preconditions?.resourceVersion && !terminal && !pod.metadata.deletionTimestamp;
    try {
      await markAndDelete(ctx, enforce ? withResourceVersion(opts, pod.metadata.resourceVersion) : opts, wopts);
      success();
      return;
    } catch (err) {
      if (enforce && err instanceof StatusError && err.code === 409 && attempt < EVICTION_ATTEMPTS) continue;
      throw err;
    }
  }
  const matching = reg.cache
    .list(pdbs.storage, `/registry/${pdbs.storage}/${info.namespace}/`)
    .filter((b) => selects(b.obj.spec?.selector, pod));
  if (matching.length > 1) throw new StatusError("InternalError", "This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.");
  let options = opts;
  const pdb = matching[0]?.obj;
  if (pdb) {
    const healthyBudget = (pdb.status?.currentHealthy ?? 0) >= (pdb.status?.desiredHealthy ?? 0) && (pdb.status?.desiredHealthy ?? 0) > 0;
    const unhealthyMayGo = !isReady(pod) && (pdb.spec?.unhealthyPodEvictionPolicy === "AlwaysAllow" || healthyBudget);
    if (unhealthyMayGo) {
      // Only while the pod is still the unready one read here.
      if (!opts.preconditions?.resourceVersion) options = withResourceVersion(opts, pod.metadata.resourceVersion);
    } else {
      await takeDisruption(ctx, pdb.metadata.name!, info.name, opts.dryRun, wopts);
    }
    try {
      await markAndDelete(ctx, options, wopts);
    } catch (err) {
      // The unready pod changed: let the client retry against the budget.
      if (unhealthyMayGo && options !== opts && err instanceof StatusError && err.code === 409) throw stillProcessing(pdb.metadata.name!);
      throw err;
    }
    success();
    return;
  }
  await markAndDelete(ctx, options, wopts);
  success();
}
