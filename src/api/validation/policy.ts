/**
 * Validation of the smaller groups as upstream: coordination Lease,
 * policy PodDisruptionBudget, scheduling PriorityClass and autoscaling
 * HorizontalPodAutoscaler (v2 shape, and v1's targetCPUUtilizationPercentage).
 */

import { fieldErr, type FieldError } from "../../machinery/errors.ts";
import {
  childPath,
  indexPath,
  isValidPathSegmentName,
  nameIsDNSSubdomain,
  validateImmutableField,
  validateObjectMeta,
  validateObjectMetaUpdate,
} from "../../machinery/validation.ts";
import type { KObject } from "../types.ts";
import {
  arr,
  isNotMoreThan100Percent,
  isObj,
  nonNegative,
  obj,
  quantityAt,
  str,
  validateEnum,
  validateLabelSelector,
  validatePositiveIntOrPercent,
  type Obj,
} from "./common.ts";

// ---------------------------------------------------------------------------
// Lease

function validateLeaseSpec(spec: Obj): FieldError[] {
  const errs: FieldError[] = [];
  if (typeof spec.leaseDurationSeconds === "number" && spec.leaseDurationSeconds <= 0)
    errs.push(fieldErr.invalid("spec.leaseDurationSeconds", spec.leaseDurationSeconds, "must be greater than 0"));
  errs.push(...nonNegative(spec.leaseTransitions, "spec.leaseTransitions"));
  if (spec.strategy !== undefined && spec.strategy !== null)
    errs.push(...validateEnum(spec.strategy, ["OldestEmulationVersion"], "spec.strategy"));
  if (spec.preferredHolder && !spec.strategy)
    errs.push(fieldErr.forbidden("spec.preferredHolder", "may only be specified if `strategy` is defined"));
  return errs;
}

export function validateLease(o: KObject): FieldError[] {
  return [...validateObjectMeta(o.metadata, true, nameIsDNSSubdomain), ...validateLeaseSpec(obj(o.spec))];
}

export function validateLeaseUpdate(o: KObject, old: KObject): FieldError[] {
  return [...validateObjectMetaUpdate(o.metadata, old.metadata), ...validateLeaseSpec(obj(o.spec))];
}

// ---------------------------------------------------------------------------
// PodDisruptionBudget

function validatePDBSpec(spec: Obj): FieldError[] {
  const errs: FieldError[] = [];
  const hasMin = spec.minAvailable !== undefined && spec.minAvailable !== null;
  const hasMax = spec.maxUnavailable !== undefined && spec.maxUnavailable !== null;
  if (hasMin && hasMax) errs.push(fieldErr.invalid("spec", spec, "minAvailable and maxUnavailable cannot be both set"));
  if (hasMin) {
    errs.push(...validatePositiveIntOrPercent(spec.minAvailable, "spec.minAvailable"));
    errs.push(...isNotMoreThan100Percent(spec.minAvailable, "spec.minAvailable"));
  }
  if (hasMax) {
    errs.push(...validatePositiveIntOrPercent(spec.maxUnavailable, "spec.maxUnavailable"));
    errs.push(...isNotMoreThan100Percent(spec.maxUnavailable, "spec.maxUnavailable"));
  }
  errs.push(...validateLabelSelector(spec.selector, "spec.selector"));
  if (spec.unhealthyPodEvictionPolicy !== undefined && spec.unhealthyPodEvictionPolicy !== null)
    errs.push(...validateEnum(spec.unhealthyPodEvictionPolicy, ["AlwaysAllow", "IfHealthyBudget"], "spec.unhealthyPodEvictionPolicy"));
  return errs;
}

export function validatePodDisruptionBudget(o: KObject): FieldError[] {
  return [...validateObjectMeta(o.metadata, true, nameIsDNSSubdomain), ...validatePDBSpec(obj(o.spec))];
}

export function validatePodDisruptionBudgetUpdate(o: KObject, old: KObject): FieldError[] {
  return [...validateObjectMetaUpdate(o.metadata, old.metadata), ...validatePDBSpec(obj(o.spec))];
}

export function validatePodDisruptionBudgetStatusUpdate(o: KObject, old: KObject): FieldError[] {
  const errs = validateObjectMetaUpdate(o.metadata, old.metadata);
  const st = obj(o.status);
  for (const f of ["disruptionsAllowed", "currentHealthy", "desiredHealthy", "expectedPods", "observedGeneration"])
    errs.push(...nonNegative(st[f], childPath("status", f)));
  return errs;
}

// ---------------------------------------------------------------------------
// PriorityClass

/** Upstream's ceiling for user-defined priorities. */
export const highestUserDefinablePriority = 1000000000;
const systemPriorityClasses: Record<string, number> = {
  "system-node-critical": 2000001000,
  "system-cluster-critical": 2000000000,
};

function knownSystemClassError(name: string, value: unknown, globalDefault: unknown): string | undefined {
  if (!(name in systemPriorityClasses)) return `${name} is not a known system priority class`;
  if (value !== systemPriorityClasses[name]) return `value of ${name} PriorityClass must be ${systemPriorityClasses[name]}`;
  if (globalDefault === true) return `globalDefault of ${name} PriorityClass must be false`;
  return undefined;
}

function validatePriorityClassBody(o: KObject): FieldError[] {
  const errs: FieldError[] = [];
  const name = str(o.metadata.name);
  if (name.startsWith("system-")) {
    const e = knownSystemClassError(name, o.value, o.globalDefault);
    if (e)
      errs.push(fieldErr.forbidden("metadata.name", `priority class names with 'system-' prefix are reserved for system use only. error: ${e}`));
  } else if (typeof o.value === "number" && o.value > highestUserDefinablePriority) {
    errs.push(fieldErr.forbidden("value", `maximum allowed value of a user defined priority is ${highestUserDefinablePriority}`));
  }
  if (o.preemptionPolicy !== undefined && o.preemptionPolicy !== null)
    errs.push(...validateEnum(o.preemptionPolicy, ["Never", "PreemptLowerPriority"], "preemptionPolicy"));
  return errs;
}

export function validatePriorityClass(o: KObject): FieldError[] {
  return [...validateObjectMeta(o.metadata, false, nameIsDNSSubdomain), ...validatePriorityClassBody(o)];
}

export function validatePriorityClassUpdate(o: KObject, old: KObject): FieldError[] {
  const errs = validateObjectMetaUpdate(o.metadata, old.metadata);
  errs.push(...validatePriorityClassBody(o));
  if (o.value !== old.value) errs.push(fieldErr.forbidden("value", "may not be changed in an update."));
  errs.push(...validateImmutableField(o.preemptionPolicy, old.preemptionPolicy, "preemptionPolicy"));
  return errs;
}

// ---------------------------------------------------------------------------
// HorizontalPodAutoscaler

function validateCrossVersionObjectReference(ref: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const r = obj(ref);
  if (!r.kind) errs.push(fieldErr.required(childPath(path, "kind"), ""));
  else for (const m of isValidPathSegmentName(str(r.kind))) errs.push(fieldErr.invalid(childPath(path, "kind"), r.kind, m));
  if (!r.name) errs.push(fieldErr.required(childPath(path, "name"), ""));
  else for (const m of isValidPathSegmentName(str(r.name))) errs.push(fieldErr.invalid(childPath(path, "name"), r.name, m));
  return errs;
}

const metricTypes = ["ContainerResource", "External", "Object", "Pods", "Resource"];

function validateMetricTarget(t: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const target = obj(t);
  errs.push(...validateEnum(target.type, ["AverageValue", "Utilization", "Value"], childPath(path, "type")));
  if (target.value === undefined && target.averageValue === undefined && target.averageUtilization === undefined)
    errs.push(fieldErr.required(path, "must set either a target raw value, a target average value, or a target percentage"));
  if (typeof target.averageUtilization === "number" && target.averageUtilization < 1)
    errs.push(fieldErr.invalid(childPath(path, "averageUtilization"), target.averageUtilization, "must be greater than 0"));
  for (const f of ["value", "averageValue"]) {
    if (target[f] === undefined || target[f] === null) continue;
    const q = quantityAt(target[f], childPath(path, f), errs);
    if (q && q.sign() <= 0) errs.push(fieldErr.invalid(childPath(path, f), q.toString(), "must be positive"));
  }
  return errs;
}

function validateMetrics(metrics: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  arr(metrics).forEach((raw, i) => {
    const m = obj(raw);
    const mp = indexPath(path, i);
    if (!m.type) {
      errs.push(fieldErr.required(childPath(mp, "type"), "must specify a metric source type"));
      return;
    }
    if (!metricTypes.includes(m.type)) {
      errs.push(fieldErr.notSupported(childPath(mp, "type"), m.type, metricTypes));
      return;
    }
    const key = m.type === "ContainerResource" ? "containerResource" : m.type.charAt(0).toLowerCase() + m.type.slice(1);
    const src = m[key];
    if (!isObj(src)) {
      errs.push(fieldErr.required(childPath(mp, key), `must populate information for the given metric source (only allowed when type is ${m.type})`));
      return;
    }
    const sp = childPath(mp, key);
    if (key === "resource" || key === "containerResource") {
      if (!src.name) errs.push(fieldErr.required(childPath(sp, "name"), "must specify a resource name"));
      if (key === "containerResource" && !src.container) errs.push(fieldErr.required(childPath(sp, "container"), "must specify a container"));
    } else {
      if (!isObj(src.metric) || !src.metric.name) errs.push(fieldErr.required(childPath(sp, "metric", "name"), "must specify a metric name"));
      if (key === "object") errs.push(...validateCrossVersionObjectReference(src.describedObject, childPath(sp, "describedObject")));
    }
    errs.push(...validateMetricTarget(src.target, childPath(sp, "target")));
  });
  return errs;
}

function validateHPASpec(spec: Obj, v1: boolean): FieldError[] {
  const errs: FieldError[] = [];
  if (typeof spec.minReplicas === "number" && spec.minReplicas < 1)
    errs.push(fieldErr.invalid("spec.minReplicas", spec.minReplicas, "must be greater than or equal to 1"));
  if (typeof spec.maxReplicas !== "number" || spec.maxReplicas < 1)
    errs.push(fieldErr.invalid("spec.maxReplicas", spec.maxReplicas ?? 0, "must be greater than 0"));
  if (typeof spec.minReplicas === "number" && typeof spec.maxReplicas === "number" && spec.maxReplicas < spec.minReplicas)
    errs.push(fieldErr.invalid("spec.maxReplicas", spec.maxReplicas, "must be greater than or equal to `minReplicas`"));
  errs.push(...validateCrossVersionObjectReference(spec.scaleTargetRef, "spec.scaleTargetRef"));
  if (v1) {
    const t = spec.targetCPUUtilizationPercentage;
    if (typeof t === "number" && t < 1) errs.push(fieldErr.invalid("spec.targetCPUUtilizationPercentage", t, "must be greater than 0"));
  } else {
    errs.push(...validateMetrics(spec.metrics, "spec.metrics"));
    const b = obj(spec.behavior);
    for (const dir of ["scaleUp", "scaleDown"]) {
      if (!isObj(b[dir])) continue;
      const rules = b[dir];
      const rp = childPath("spec.behavior", dir);
      if (typeof rules.stabilizationWindowSeconds === "number" && (rules.stabilizationWindowSeconds < 0 || rules.stabilizationWindowSeconds > 3600))
        errs.push(fieldErr.invalid(childPath(rp, "stabilizationWindowSeconds"), rules.stabilizationWindowSeconds, rules.stabilizationWindowSeconds < 0 ? "must be greater than or equal to zero" : "must be less than or equal to 3600"));
      if (rules.selectPolicy !== undefined && rules.selectPolicy !== null)
        errs.push(...validateEnum(rules.selectPolicy, ["Disabled", "Max", "Min"], childPath(rp, "selectPolicy")));
      arr(rules.policies).forEach((p, i) => {
        const pp = indexPath(childPath(rp, "policies"), i);
        const pol = obj(p);
        errs.push(...validateEnum(pol.type, ["Percent", "Pods"], childPath(pp, "type")));
        if (typeof pol.value !== "number" || pol.value <= 0) errs.push(fieldErr.invalid(childPath(pp, "value"), pol.value ?? 0, "must be greater than zero"));
        if (typeof pol.periodSeconds !== "number" || pol.periodSeconds <= 0)
          errs.push(fieldErr.invalid(childPath(pp, "periodSeconds"), pol.periodSeconds ?? 0, "must be greater than zero"));
        else if (pol.periodSeconds > 1800) errs.push(fieldErr.invalid(childPath(pp, "periodSeconds"), pol.periodSeconds, "must be less than or equal to 1800"));
      });
    }
  }
  return errs;
}

function isV1(o: KObject, version: string): boolean {
  return o.apiVersion ? o.apiVersion === "autoscaling/v1" : version === "v1";
}

export function validateHPA(o: KObject, version: string): FieldError[] {
  return [...validateObjectMeta(o.metadata, true, nameIsDNSSubdomain), ...validateHPASpec(obj(o.spec), isV1(o, version))];
}

export function validateHPAUpdate(o: KObject, old: KObject, version: string): FieldError[] {
  return [...validateObjectMetaUpdate(o.metadata, old.metadata), ...validateHPASpec(obj(o.spec), isV1(o, version))];
}

export function validateHPAStatusUpdate(o: KObject, old: KObject): FieldError[] {
  const errs = validateObjectMetaUpdate(o.metadata, old.metadata);
  const st = obj(o.status);
  errs.push(...nonNegative(st.currentReplicas, "status.currentReplicas"));
  if (typeof st.desiredReplicas === "number" && st.desiredReplicas < 0)
    errs.push(fieldErr.invalid("status.desiredReplicas", st.desiredReplicas, "must be greater than or equal to 0"));
  return errs;
}
