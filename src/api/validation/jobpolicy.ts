/**
 * Validation of a Job's podFailurePolicy and successPolicy, as upstream's
 * batch validation: supported actions, operators and statuses, exit-code
 * lists (ordered, unique, no 0 for In), container names, one of
 * onExitCodes/onPodConditions per rule, rule counts, and success rules
 * (Indexed jobs only; succeededIndexes within completions, succeededCount
 * within completions and the listed indexes).
 */
import { fieldErr, omitValue, type FieldError } from "../../machinery/errors.ts";
import { childPath, indexPath, isQualifiedName } from "../../machinery/validation.ts";
import { isObj, obj, type Obj } from "./common.ts";

const MAX_RULES = 20;
const MAX_POD_CONDITION_PATTERNS = 20;
const MAX_EXIT_CODE_VALUES = 255;
const MAX_SUCCEEDED_INDEXES_LENGTH = 64 * 1024;
const ACTIONS = ["Count", "FailIndex", "FailJob", "Ignore"];
const OPERATORS = ["In", "NotIn"];
const STATUSES = ["False", "True", "Unknown"];

const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

function containerNames(spec: Obj): Set<string> {
  const podSpec = obj(obj(spec.template).spec);
  return new Set([...arr(podSpec.containers), ...arr(podSpec.initContainers)].map((c) => obj(c).name as string));
}

function validateOnExitCodes(req: Obj, path: string, names: Set<string>): FieldError[] {
  const errs: FieldError[] = [];
  if (!OPERATORS.includes(req.operator as string)) errs.push(fieldErr.notSupported(childPath(path, "operator"), req.operator ?? "", OPERATORS));
  if (req.containerName !== undefined && req.containerName !== null && !names.has(req.containerName as string)) {
    errs.push(fieldErr.invalid(childPath(path, "containerName"), req.containerName, "must be one of the container or initContainer names in the pod template"));
  }
  const vp = childPath(path, "values");
  const values = arr(req.values) as number[];
  if (!values.length) errs.push(fieldErr.invalid(vp, req.values ?? null, "at least one value is required"));
  else if (values.length > MAX_EXIT_CODE_VALUES) errs.push(fieldErr.tooMany(vp, values.length, MAX_EXIT_CODE_VALUES));
  const seen = new Set<number>();
  let ordered = true;
  values.forEach((v, j) => {
    if (req.operator === "In" && v === 0) errs.push(fieldErr.invalid(indexPath(vp, j), v, "must not be 0 for the In operator"));
    if (seen.has(v)) errs.push(fieldErr.duplicate(indexPath(vp, j), v));
    else seen.add(v);
    if (j > 0 && values[j - 1] > v) ordered = false;
  });
  if (!ordered) errs.push(fieldErr.invalid(vp, values, "must be ordered"));
  return errs;
}

function validateOnPodConditions(patterns: unknown[], path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (patterns.length > MAX_POD_CONDITION_PATTERNS) errs.push(fieldErr.tooMany(path, patterns.length, MAX_POD_CONDITION_PATTERNS));
  patterns.forEach((p, j) => {
    const pp = indexPath(path, j);
    const pattern = obj(p);
    for (const m of isQualifiedName(String(pattern.type ?? ""))) errs.push(fieldErr.invalid(childPath(pp, "type"), pattern.type ?? "", m));
    const sp = childPath(pp, "status");
    if (!pattern.status) errs.push(fieldErr.required(sp, `valid values: ${JSON.stringify(STATUSES).replaceAll(",", " ")}`));
    else if (!STATUSES.includes(pattern.status as string)) errs.push(fieldErr.notSupported(sp, pattern.status, STATUSES));
  });
  return errs;
}

/** spec.podFailurePolicy of a Job spec at `path` (the spec's path). */
export function validatePodFailurePolicy(spec: Obj, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const rp = childPath(childPath(path, "podFailurePolicy"), "rules");
  const rules = arr(obj(spec.podFailurePolicy).rules);
  if (rules.length > MAX_RULES) errs.push(fieldErr.tooMany(rp, rules.length, MAX_RULES));
  const names = containerNames(spec);
  rules.forEach((r, i) => {
    const rule = obj(r);
    const path = indexPath(rp, i);
    const ap = childPath(path, "action");
    if (rule.action === "FailIndex" && (spec.backoffLimitPerIndex === undefined || spec.backoffLimitPerIndex === null)) {
      errs.push(fieldErr.invalid(ap, rule.action, "requires the backoffLimitPerIndex to be set"));
    }
    if (!ACTIONS.includes(rule.action as string)) errs.push(fieldErr.notSupported(ap, rule.action ?? "", ACTIONS));
    const exit = isObj(rule.onExitCodes) ? rule.onExitCodes : undefined;
    const conds = arr(rule.onPodConditions);
    if (exit) errs.push(...validateOnExitCodes(exit, childPath(path, "onExitCodes"), names));
    if (conds.length) errs.push(...validateOnPodConditions(conds, childPath(path, "onPodConditions")));
    if (exit && conds.length) errs.push(fieldErr.invalid(path, omitValue, "specifying both OnExitCodes and OnPodConditions is not supported"));
    if (!exit && !conds.length) errs.push(fieldErr.invalid(path, omitValue, "specifying one of OnExitCodes and OnPodConditions is required"));
  });
  return errs;
}

/** Parses "1,3-5" as upstream's validateIndexesFormat: ordered, within `completions`; returns the count or an error. */
export function countIndexes(s: string, completions: number): number | string {
  if (s === "") return 0;
  let total = 0;
  let prev = -1;
  for (const part of s.split(",")) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) return `cannot convert string to integer for index: "${part}"`;
    const first = Number(m[1]);
    const last = m[2] === undefined ? first : Number(m[2]);
    if (last < first) return `non-increasing order, previous: ${first}, current: ${last}`;
    if (first <= prev) return `non-increasing order, previous: ${prev}, current: ${first}`;
    if (last >= completions) return `too large index: ${last}`;
    total += last - first + 1;
    prev = last;
  }
  return total;
}

/** spec.successPolicy of a Job spec at `path` (the spec's path). */
export function validateSuccessPolicy(spec: Obj, path: string): FieldError[] {
  const sp = childPath(path, "successPolicy");
  if (spec.completionMode !== "Indexed") return [fieldErr.invalid(sp, spec.completionMode ?? "NonIndexed", "requires indexed completion mode")];
  const errs: FieldError[] = [];
  const rp = childPath(sp, "rules");
  const rules = arr(obj(spec.successPolicy).rules);
  if (!rules.length) errs.push(fieldErr.required(rp, "at least one rules must be specified when the successPolicy is specified"));
  if (rules.length > MAX_RULES) errs.push(fieldErr.tooMany(rp, rules.length, MAX_RULES));
  const completions = typeof spec.completions === "number" ? spec.completions : 0;
  rules.forEach((r, i) => {
    const rule = obj(r);
    const path = indexPath(rp, i);
    const hasIndexes = typeof rule.succeededIndexes === "string";
    const hasCount = typeof rule.succeededCount === "number";
    if (!hasIndexes && !hasCount) errs.push(fieldErr.required(path, "at least one of succeededCount or succeededIndexes must be specified"));
    let total = 0;
    if (hasIndexes) {
      const ip = childPath(path, "succeededIndexes");
      const s = rule.succeededIndexes as string;
      if (s.length > MAX_SUCCEEDED_INDEXES_LENGTH) errs.push(fieldErr.tooLong(ip, MAX_SUCCEEDED_INDEXES_LENGTH));
      const n = countIndexes(s, completions);
      if (typeof n === "string") errs.push(fieldErr.invalid(ip, s, `error parsing succeededIndexes: ${n}`));
      else total = n;
    }
    if (hasCount) {
      const cp = childPath(path, "succeededCount");
      const count = rule.succeededCount as number;
      if (count < 0) errs.push(fieldErr.invalid(cp, count, "must be greater than or equal to 0"));
      if (count > completions) errs.push(fieldErr.invalid(cp, count, `must be less than or equal to ${completions} (the number of specified completions)`));
      if (hasIndexes && count > total) errs.push(fieldErr.invalid(cp, count, `must be less than or equal to ${total} (the number of indexes in the specified succeededIndexes field)`));
    }
  });
  return errs;
}
