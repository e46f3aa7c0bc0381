/**
 * Workload controllers as upstream's apps and core validation:
 * Deployment, ReplicaSet, ReplicationController, StatefulSet, DaemonSet and
 * ControllerRevision. Selectors are required, non-empty and must match the
 * template labels; templates restart Always; strategies and IntOrString
 * percentages are checked; selectors are immutable on update.
 */

import { fieldErr, type FieldError } from "../../machinery/errors.ts";
import {
  childPath,
  deepEqual,
  nameIsDNSLabel,
  nameIsDNSSubdomain,
  validateAnnotations,
  validateImmutableField,
  validateLabels,
  validateNonnegativeField,
  validateObjectMeta,
  validateObjectMetaUpdate,
} from "../../machinery/validation.ts";
import type { KObject } from "../types.ts";
import {
  arr,
  intOrPercentValue,
  isNotMoreThan100Percent,
  isObj,
  mapSelectorMatches,
  nonNegative,
  obj,
  selectorConvertible,
  selectorIsEmpty,
  selectorMatches,
  validateLabelSelector,
  validatePositiveIntOrPercent,
  type Obj,
} from "./common.ts";
import { validatePodTemplateSpec } from "./podspec.ts";
import { validatePVCSpec } from "./storage.ts";

const selectorMismatch = "`selector` does not match template `labels`";

/**
 * Selector required/valid/non-empty; an unconvertible selector is reported
 * with `badMsg`. Returns whether the template match can be evaluated.
 */
function validateSelector(sel: unknown, path: string, emptyMsg: string, badMsg: string, errs: FieldError[]): boolean {
  if (!isObj(sel)) {
    errs.push(fieldErr.required(path, ""));
    return false;
  }
  errs.push(...validateLabelSelector(sel, path));
  if (selectorIsEmpty(sel)) errs.push(fieldErr.invalid(path, sel, emptyMsg));
  if (selectorConvertible(sel)) return true;
  errs.push(fieldErr.invalid(path, sel, badMsg));
  return false;
}

/** Template for RS/Deployment-like controllers: labels match, restart Always, no deadline. */
function validateTemplateForController(
  template: unknown,
  sel: unknown,
  path: string,
  kindName: string,
  checkMatch: boolean,
  fullSpec = true,
): FieldError[] {
  const errs: FieldError[] = [];
  if (!isObj(template)) return [fieldErr.required(path, "")];
  const meta = obj(template.metadata);
  const labels = meta.labels;
  if (checkMatch && !selectorIsEmpty(sel as Obj) && !selectorMatches(sel as Obj, labels))
    errs.push(fieldErr.invalid(childPath(path, "metadata", "labels"), labels ?? null, selectorMismatch));
  if (fullSpec) errs.push(...validatePodTemplateSpec(template, path));
  else {
    // upstream validates only template metadata for StatefulSets
    errs.push(...validateLabels(meta.labels, childPath(path, "labels")));
    errs.push(...validateAnnotations(meta.annotations, childPath(path, "annotations")));
  }
  const rp = obj(template.spec).restartPolicy;
  if (rp !== "Always") errs.push(fieldErr.notSupported(childPath(path, "spec", "restartPolicy"), rp ?? "", ["Always"]));
  if (obj(template.spec).activeDeadlineSeconds !== undefined && obj(template.spec).activeDeadlineSeconds !== null)
    errs.push(fieldErr.forbidden(childPath(path, "spec", "activeDeadlineSeconds"), `activeDeadlineSeconds in ${kindName} is not Supported`));
  return errs;
}

// ---------------------------------------------------------------------------
// Deployment

function validateDeploymentStrategy(strategy: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const s = obj(strategy);
  switch (s.type) {
    case "Recreate":
      if (isObj(s.rollingUpdate)) errs.push(fieldErr.forbidden(childPath(path, "rollingUpdate"), "may not be specified when strategy `type` is 'Recreate'"));
      break;
    case "RollingUpdate": {
      if (!isObj(s.rollingUpdate)) {
        errs.push(fieldErr.required(childPath(path, "rollingUpdate"), "this should be defaulted and never be nil"));
        break;
      }
      const ru = s.rollingUpdate;
      const rp = childPath(path, "rollingUpdate");
      errs.push(...validatePositiveIntOrPercent(ru.maxUnavailable, childPath(rp, "maxUnavailable")));
      errs.push(...validatePositiveIntOrPercent(ru.maxSurge, childPath(rp, "maxSurge")));
      if (intOrPercentValue(ru.maxUnavailable) === 0 && intOrPercentValue(ru.maxSurge) === 0)
        errs.push(fieldErr.invalid(childPath(rp, "maxUnavailable"), ru.maxUnavailable, "may not be 0 when `maxSurge` is 0"));
      errs.push(...isNotMoreThan100Percent(ru.maxUnavailable, childPath(rp, "maxUnavailable")));
      break;
    }
    default:
      errs.push(fieldErr.notSupported(path, strategy ?? {}, ["Recreate", "RollingUpdate"]));
  }
  return errs;
}

function validateDeploymentSpec(spec: Obj, path: string): FieldError[] {
  const errs: FieldError[] = [];
  errs.push(...nonNegative(spec.replicas, childPath(path, "replicas")));
  const ok = validateSelector(spec.selector, childPath(path, "selector"), "empty selector is invalid for deployment", "invalid label selector", errs);
  errs.push(...validateTemplateForController(spec.template, spec.selector, childPath(path, "template"), "ReplicaSet", ok));
  errs.push(...validateDeploymentStrategy(spec.strategy, childPath(path, "strategy")));
  errs.push(...nonNegative(spec.minReadySeconds, childPath(path, "minReadySeconds")));
  errs.push(...nonNegative(spec.revisionHistoryLimit, childPath(path, "revisionHistoryLimit")));
  if (typeof spec.progressDeadlineSeconds === "number") {
    errs.push(...validateNonnegativeField(spec.progressDeadlineSeconds, childPath(path, "progressDeadlineSeconds")));
    if (spec.progressDeadlineSeconds <= (spec.minReadySeconds ?? 0))
      errs.push(fieldErr.invalid(childPath(path, "progressDeadlineSeconds"), spec.progressDeadlineSeconds, "must be greater than minReadySeconds"));
  }
  return errs;
}

export function validateDeployment(o: KObject): FieldError[] {
  return [...validateObjectMeta(o.metadata, true, nameIsDNSSubdomain), ...validateDeploymentSpec(obj(o.spec), "spec")];
}

export function validateDeploymentUpdate(o: KObject, old: KObject): FieldError[] {
  const errs = validateObjectMetaUpdate(o.metadata, old.metadata);
  errs.push(...validateDeploymentSpec(obj(o.spec), "spec"));
  errs.push(...validateImmutableField(obj(o.spec).selector, obj(old.spec).selector, "spec.selector"));
  return errs;
}

// ---------------------------------------------------------------------------
// ReplicaSet and ReplicationController

function validateReplicaSetSpec(spec: Obj, path: string): FieldError[] {
  const errs: FieldError[] = [];
  errs.push(...nonNegative(spec.replicas, childPath(path, "replicas")));
  errs.push(...nonNegative(spec.minReadySeconds, childPath(path, "minReadySeconds")));
  const ok = validateSelector(spec.selector, childPath(path, "selector"), "empty selector is invalid for deployment", "invalid label selector", errs);
  errs.push(...validateTemplateForController(spec.template, spec.selector, childPath(path, "template"), "ReplicaSet", ok));
  return errs;
}

export function validateReplicaSet(o: KObject): FieldError[] {
  return [...validateObjectMeta(o.metadata, true, nameIsDNSSubdomain), ...validateReplicaSetSpec(obj(o.spec), "spec")];
}

export function validateReplicaSetUpdate(o: KObject, old: KObject): FieldError[] {
  const errs = validateObjectMetaUpdate(o.metadata, old.metadata);
  errs.push(...validateReplicaSetSpec(obj(o.spec), "spec"));
  errs.push(...validateImmutableField(obj(o.spec).selector, obj(old.spec).selector, "spec.selector"));
  return errs;
}

function validateRCSpec(spec: Obj, path: string): FieldError[] {
  const errs: FieldError[] = [];
  errs.push(...nonNegative(spec.minReadySeconds, childPath(path, "minReadySeconds")));
  const sel = obj(spec.selector);
  if (Object.keys(sel).length === 0) errs.push(fieldErr.required(childPath(path, "selector"), ""));
  else errs.push(...validateLabels(sel, childPath(path, "selector")));
  errs.push(...nonNegative(spec.replicas, childPath(path, "replicas")));
  const tp = childPath(path, "template");
  if (!isObj(spec.template)) {
    errs.push(fieldErr.required(tp, ""));
    return errs;
  }
  const labels = obj(spec.template.metadata).labels;
  if (Object.keys(sel).length > 0 && !mapSelectorMatches(sel, labels))
    errs.push(fieldErr.invalid(childPath(tp, "metadata", "labels"), labels ?? null, selectorMismatch));
  errs.push(...validateTemplateForController(spec.template, undefined, tp, "ReplicationController", false));
  return errs;
}

export function validateReplicationController(o: KObject): FieldError[] {
  return [...validateObjectMeta(o.metadata, true, nameIsDNSSubdomain), ...validateRCSpec(obj(o.spec), "spec")];
}

export function validateReplicationControllerUpdate(o: KObject, old: KObject): FieldError[] {
  return [...validateObjectMetaUpdate(o.metadata, old.metadata), ...validateRCSpec(obj(o.spec), "spec")];
}

function statusCounters(st: Obj, fields: string[], errs: FieldError[]): void {
  for (const f of fields) errs.push(...nonNegative(st[f], childPath("status", f)));
}

function notAbove(st: Obj, fields: string[], limit: string, msg: string, errs: FieldError[]): void {
  for (const f of fields)
    if (typeof st[f] === "number" && st[f] > (st[limit] ?? 0)) errs.push(fieldErr.invalid(childPath("status", f), st[f], msg));
}

function collisionNotDecremented(st: Obj, old: Obj, errs: FieldError[]): void {
  if (typeof old.collisionCount === "number" && (typeof st.collisionCount !== "number" || st.collisionCount < old.collisionCount))
    errs.push(fieldErr.invalid("status.collisionCount", st.collisionCount ?? 0, "cannot be decremented"));
}

/**
 * /status of Deployment, ReplicaSet, ReplicationController, StatefulSet and
 * DaemonSet: counters non-negative and consistent, collisionCount never
 * decremented.
 */
export function validateWorkloadStatusUpdate(o: KObject, old: KObject, info?: { kind: string }): FieldError[] {
  const errs = validateObjectMetaUpdate(o.metadata, old.metadata);
  const st = obj(o.status);
  const above = "cannot be greater than status.replicas";
  switch (info?.kind ?? o.kind ?? old.kind) {
    case "Deployment":
      statusCounters(st, ["observedGeneration", "replicas", "updatedReplicas", "readyReplicas", "availableReplicas", "unavailableReplicas", "collisionCount"], errs);
      notAbove(st, ["updatedReplicas", "readyReplicas", "availableReplicas"], "replicas", above, errs);
      notAbove(st, ["availableReplicas"], "readyReplicas", "cannot be greater than readyReplicas", errs);
      collisionNotDecremented(st, obj(old.status), errs);
      break;
    case "StatefulSet":
      statusCounters(st, ["replicas", "readyReplicas", "currentReplicas", "updatedReplicas", "availableReplicas", "observedGeneration", "collisionCount"], errs);
      notAbove(st, ["readyReplicas", "currentReplicas", "updatedReplicas", "availableReplicas"], "replicas", above, errs);
      notAbove(st, ["availableReplicas"], "readyReplicas", "cannot be greater than status.readyReplicas", errs);
      collisionNotDecremented(st, obj(old.status), errs);
      break;
    case "DaemonSet":
      statusCounters(st, ["currentNumberScheduled", "numberMisscheduled", "desiredNumberScheduled", "numberReady", "observedGeneration", "updatedNumberScheduled", "numberAvailable", "numberUnavailable", "collisionCount"], errs);
      collisionNotDecremented(st, obj(old.status), errs);
      break;
    default:
      statusCounters(st, ["replicas", "fullyLabeledReplicas", "readyReplicas", "availableReplicas", "observedGeneration"], errs);
      notAbove(st, ["fullyLabeledReplicas", "readyReplicas", "availableReplicas"], "replicas", above, errs);
      notAbove(st, ["availableReplicas"], "readyReplicas", "cannot be greater than readyReplicas", errs);
  }
  return errs;
}

// ---------------------------------------------------------------------------
// StatefulSet

function validateStatefulSetSpec(spec: Obj, path: string): FieldError[] {
  const errs: FieldError[] = [];
  switch (spec.podManagementPolicy ?? "") {
    case "OrderedReady":
    case "Parallel":
      break;
    case "":
      errs.push(fieldErr.required(childPath(path, "podManagementPolicy"), ""));
      break;
    default:
      errs.push(fieldErr.invalid(childPath(path, "podManagementPolicy"), spec.podManagementPolicy, "must be 'OrderedReady' or 'Parallel'"));
  }
  const us = obj(spec.updateStrategy);
  const usp = childPath(path, "updateStrategy");
  switch (us.type ?? "") {
    case "":
      errs.push(fieldErr.required(usp, ""));
      break;
    case "OnDelete":
      if (isObj(us.rollingUpdate))
        errs.push(fieldErr.invalid(childPath(usp, "rollingUpdate"), us.rollingUpdate, "only allowed for updateStrategy 'RollingUpdate'"));
      break;
    case "RollingUpdate":
      if (isObj(us.rollingUpdate)) {
        errs.push(...nonNegative(us.rollingUpdate.partition, childPath(usp, "rollingUpdate", "partition")));
        if (us.rollingUpdate.maxUnavailable !== undefined && us.rollingUpdate.maxUnavailable !== null) {
          const mp = childPath(usp, "rollingUpdate", "maxUnavailable");
          errs.push(...validatePositiveIntOrPercent(us.rollingUpdate.maxUnavailable, mp));
          if (intOrPercentValue(us.rollingUpdate.maxUnavailable) === 0)
            errs.push(fieldErr.invalid(mp, us.rollingUpdate.maxUnavailable, "cannot be 0"));
          errs.push(...isNotMoreThan100Percent(us.rollingUpdate.maxUnavailable, mp));
        }
      }
      break;
    default:
      errs.push(fieldErr.invalid(usp, spec.updateStrategy, "must be 'RollingUpdate' or 'OnDelete'"));
  }
  const policy = spec.persistentVolumeClaimRetentionPolicy;
  if (isObj(policy)) {
    const pp = childPath(path, "persistentVolumeClaimRetentionPolicy");
    errs.push(...validateRetention(policy.whenDeleted, childPath(pp, "whenDeleted")));
    errs.push(...validateRetention(policy.whenScaled, childPath(pp, "whenScaled")));
  }
  errs.push(...nonNegative(spec.replicas, childPath(path, "replicas")));
  errs.push(...nonNegative(spec.minReadySeconds, childPath(path, "minReadySeconds")));
  errs.push(...nonNegative(spec.revisionHistoryLimit, childPath(path, "revisionHistoryLimit")));
  if (isObj(spec.ordinals)) errs.push(...nonNegative(spec.ordinals.start, childPath(path, "ordinals", "start")));
  const ok = validateSelector(spec.selector, childPath(path, "selector"), "empty selector is invalid for statefulset", "", errs);
  errs.push(...validateTemplateForController(spec.template, spec.selector, childPath(path, "template"), "StatefulSet", ok, false));
  arr(spec.volumeClaimTemplates).forEach((t, i) => {
    const tp = `${childPath(path, "volumeClaimTemplates")}[${i}]`;
    errs.push(...validatePVCSpec(obj(obj(t).spec), childPath(tp, "spec")));
  });
  return errs;
}

function validateRetention(v: unknown, path: string): FieldError[] {
  if (v === "Retain" || v === "Delete") return [];
  return [fieldErr.notSupported(path, v ?? "", ["Retain", "Delete"])];
}

export function validateStatefulSet(o: KObject): FieldError[] {
  return [...validateObjectMeta(o.metadata, true, nameIsDNSLabel), ...validateStatefulSetSpec(obj(o.spec), "spec")];
}

export function validateStatefulSetUpdate(o: KObject, old: KObject): FieldError[] {
  const errs = validateObjectMetaUpdate(o.metadata, old.metadata);
  const mutable = [
    "replicas",
    "ordinals",
    "template",
    "updateStrategy",
    "revisionHistoryLimit",
    "persistentVolumeClaimRetentionPolicy",
    "minReadySeconds",
  ];
  const strip = (s: Obj): Obj => Object.fromEntries(Object.entries(s).filter(([k]) => !mutable.includes(k)));
  if (!deepEqual(strip(obj(o.spec)), strip(obj(old.spec))))
    errs.push(
      fieldErr.forbidden(
        "spec",
        "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
      ),
    );
  errs.push(...validateStatefulSetSpec(obj(o.spec), "spec"));
  return errs;
}

// ---------------------------------------------------------------------------
// DaemonSet

function validateDaemonSetSpec(spec: Obj, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const sp = childPath(path, "selector");
  const tp = childPath(path, "template");
  errs.push(...validateLabelSelector(spec.selector, sp));
  const labels = obj(obj(spec.template).metadata).labels;
  // a missing selector selects nothing, so it never matches the template
  if (!isObj(spec.selector) || (selectorConvertible(spec.selector) && !selectorMatches(spec.selector, labels)))
    errs.push(fieldErr.invalid(childPath(tp, "metadata", "labels"), labels ?? null, selectorMismatch));
  if (isObj(spec.selector) && selectorIsEmpty(spec.selector))
    errs.push(fieldErr.invalid(sp, spec.selector, "empty selector is invalid for daemonset"));
  errs.push(...validateTemplateForController(spec.template, undefined, tp, "DaemonSet", false));
  errs.push(...nonNegative(spec.minReadySeconds, childPath(path, "minReadySeconds")));
  errs.push(...nonNegative(spec.templateGeneration, childPath(path, "templateGeneration")));
  const us = obj(spec.updateStrategy);
  const usp = childPath(path, "updateStrategy");
  switch (us.type) {
    case "OnDelete":
      break;
    case "RollingUpdate": {
      if (!isObj(us.rollingUpdate)) {
        errs.push(fieldErr.required(childPath(usp, "rollingUpdate"), ""));
        break;
      }
      const ru = us.rollingUpdate;
      const rp = childPath(usp, "rollingUpdate");
      errs.push(...validatePositiveIntOrPercent(ru.maxUnavailable ?? 0, childPath(rp, "maxUnavailable")));
      errs.push(...validatePositiveIntOrPercent(ru.maxSurge ?? 0, childPath(rp, "maxSurge")));
      errs.push(...isNotMoreThan100Percent(ru.maxUnavailable, childPath(rp, "maxUnavailable")));
      errs.push(...isNotMoreThan100Percent(ru.maxSurge, childPath(rp, "maxSurge")));
      const hasUnavailable = (intOrPercentValue(ru.maxUnavailable ?? 0) ?? 0) !== 0;
      const hasSurge = (intOrPercentValue(ru.maxSurge ?? 0) ?? 0) !== 0;
      if (hasUnavailable && hasSurge)
        errs.push(fieldErr.invalid(childPath(rp, "maxSurge"), ru.maxSurge, "may not be set when maxUnavailable is non-zero"));
      else if (!hasUnavailable && !hasSurge) errs.push(fieldErr.required(childPath(rp, "maxUnavailable"), "cannot be 0 when maxSurge is 0"));
      break;
    }
    default:
      errs.push(fieldErr.notSupported(usp, spec.updateStrategy ?? {}, ["RollingUpdate", "OnDelete"]));
  }
  errs.push(...nonNegative(spec.revisionHistoryLimit, childPath(path, "revisionHistoryLimit")));
  return errs;
}

export function validateDaemonSet(o: KObject): FieldError[] {
  return [...validateObjectMeta(o.metadata, true, nameIsDNSSubdomain), ...validateDaemonSetSpec(obj(o.spec), "spec")];
}

export function validateDaemonSetUpdate(o: KObject, old: KObject): FieldError[] {
  const errs = validateObjectMetaUpdate(o.metadata, old.metadata);
  errs.push(...validateDaemonSetSpec(obj(o.spec), "spec"));
  errs.push(...validateImmutableField(obj(o.spec).selector, obj(old.spec).selector, "spec.selector"));
  return errs;
}

// ---------------------------------------------------------------------------
// ControllerRevision

export function validateControllerRevision(o: KObject): FieldError[] {
  const errs = validateObjectMeta(o.metadata, true, nameIsDNSSubdomain);
  if (o.data === undefined || o.data === null) errs.push(fieldErr.required("data", "data is mandatory"));
  errs.push(...nonNegative(o.revision, "revision"));
  return errs;
}

export function validateControllerRevisionUpdate(o: KObject, old: KObject): FieldError[] {
  const errs = validateObjectMetaUpdate(o.metadata, old.metadata);
  if (o.data === undefined || o.data === null) errs.push(fieldErr.required("data", "data is mandatory"));
  errs.push(...nonNegative(o.revision, "revision"));
  errs.push(...validateImmutableField(o.data, old.data, "data"));
  return errs;
}
