/**
 * batch/v1 Job and CronJob validation as upstream, including the cron
 * schedule parser's error messages (robfig/cron's standard parser: five
 * fields, month/day names, ranges, steps and `@` descriptors) and the
 * generated-selector rules for Jobs.
 */

import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { fieldErr, type FieldError } from "../../machinery/errors.ts";
import {
  childPath,
  deepEqual,
  keyPath,
  maxLenError,
  nameIsDNSSubdomain,
  validateImmutableField,
  validateObjectMeta,
  validateObjectMetaUpdate,
} from "../../machinery/validation.ts";
import type { KObject } from "../types.ts";
import {
  isObj,
  nonNegative,
  obj,
  selectorConvertible,
  selectorMatches,
  str,
  validateEnum,
  validateLabelSelector,
  type Obj,
} from "./common.ts";
import { validatePodFailurePolicy, validateSuccessPolicy } from "./jobpolicy.ts";
import { validatePodTemplateSpec } from "./podspec.ts";

// ---------------------------------------------------------------------------
// Cron schedules

interface Bounds {
  min: number;
  max: number;
  names?: Record<string, number>;
}

const months: Record<string, number> = { jan: 1, feb: 2, mar: 3, apr: 4, may: 5, jun: 6, jul: 7, aug: 8, sep: 9, oct: 10, nov: 11, dec: 12 };
const dows: Record<string, number> = { sun: 0, mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6 };
const fieldBounds: Bounds[] = [
  { min: 0, max: 59 },
  { min: 0, max: 23 },
  { min: 1, max: 31 },
  { min: 1, max: 12, names: months },
  { min: 0, max: 6, names: dows },
];
const descriptors = new Set(["@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"]);

function mustParseInt(expr: string): number {
  if (!/^[+-]?[0-9]+$/.test(expr)) throw new Error(`failed to parse int from ${expr}: strconv.Atoi: parsing ${JSON.stringify(expr)}: invalid syntax`);
  const n = Number(expr);
  if (n < 0) throw new Error(`negative number (${n}) not allowed: ${expr}`);
  return n;
}

function parseIntOrName(expr: string, names?: Record<string, number>): number {
  if (names && expr.toLowerCase() in names) return names[expr.toLowerCase()];
  return mustParseInt(expr);
}

function checkRange(expr: string, b: Bounds): void {
  const rangeAndStep = expr.split("/");
  const lowAndHigh = rangeAndStep[0].split("-");
  const single = lowAndHigh.length === 1;
  let start: number;
  let end: number;
  if (lowAndHigh[0] === "*" || lowAndHigh[0] === "?") {
    start = b.min;
    end = b.max;
  } else {
    start = parseIntOrName(lowAndHigh[0], b.names);
    if (lowAndHigh.length === 1) end = start;
    else if (lowAndHigh.length === 2) end = parseIntOrName(lowAndHigh[1], b.names);
    else throw new Error(`too many hyphens: ${expr}`);
  }
  let step = 1;
  if (rangeAndStep.length === 2) {
    step = mustParseInt(rangeAndStep[1]);
    if (single) end = b.max;
  } else if (rangeAndStep.length > 2) {
    throw new Error(`too many slashes: ${expr}`);
  }
  if (start < b.min) throw new Error(`beginning of range (${start}) below minimum (${b.min}): ${expr}`);
  if (end > b.max) throw new Error(`end of range (${end}) above maximum (${b.max}): ${expr}`);
  if (start > end) throw new Error(`beginning of range (${start}) beyond end of range (${end}): ${expr}`);
  if (step === 0) throw new Error(`step of range should be a positive number: ${expr}`);
}

function goDuration(s: string): boolean {
  return /^[+-]?((\d+(\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h))+$/.test(s) || s === "0";
}

/**
 * Checks a cron schedule like upstream's `cron.ParseStandard`; returns the
 * parser's error message, or undefined when the schedule is valid.
 */
export function cronScheduleError(spec: string): string | undefined {
  try {
    let s = spec;
    if (s.length === 0) return "empty spec string";
    const tz = /^(?:CRON_)?TZ=(\S*)\s*/.exec(s);
    if (tz) {
      if (!isKnownTimeZone(tz[1])) return `provided bad location ${tz[1]}: unknown time zone ${tz[1]}`;
      s = s.slice(tz[0].length);
    }
    if (s.startsWith("@")) {
      if (descriptors.has(s)) return undefined;
      if (s.startsWith("@every ")) {
        const d = s.slice("@every ".length);
        return goDuration(d) ? undefined : `failed to parse duration ${s}: time: invalid duration ${JSON.stringify(d)}`;
      }
      return `unrecognized descriptor: ${s}`;
    }
    const fields = s.trim().split(/\s+/).filter(Boolean);
    if (fields.length !== 5) return `expected exactly 5 fields, found ${fields.length}: [${fields.join(" ")}]`;
    fields.forEach((f, i) => {
      for (const expr of f.split(",")) checkRange(expr, fieldBounds[i]);
    });
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

const ZONEINFO = "/usr/share/zoneinfo";

/**
 * Whether the IANA zone name is known: to this runtime, and, where the
 * system has a zone database, as a file there (names are case-sensitive, as
 * Go's time.LoadLocation reads them: "utc" is not "UTC").
 */
export function isKnownTimeZone(tz: string): boolean {
  if (tz === "UTC" || tz === "") return true;
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: tz });
  } catch {
    return false;
  }
  if (!existsSync(ZONEINFO)) return true;
  try {
    return statSync(join(ZONEINFO, tz)).isFile();
  } catch {
    return false;
  }
}

function validateTimeZone(tz: unknown, path: string): FieldError[] {
  if (tz === undefined || tz === null) return [];
  const t = str(tz);
  if (t.length === 0) return [fieldErr.invalid(path, tz, "timeZone must be nil or non-empty string")];
  for (const part of t.split("/"))
    if (part === "." || part === ".." || part.startsWith("-") || !/^[A-Za-z.\-_0-9+]{1,14}$/.test(part))
      return [fieldErr.invalid(path, tz, `unknown time zone ${t}`)];
  if (t.toLowerCase() === "local")
    return [fieldErr.invalid(path, tz, "timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones")];
  if (!isKnownTimeZone(t)) return [fieldErr.invalid(path, tz, `unknown time zone ${t}`)];
  return [];
}

// ---------------------------------------------------------------------------
// Job

/** Checks shared by Jobs and CronJob job templates. */
function validateJobSpecCommon(spec: Obj, path: string): FieldError[] {
  const errs: FieldError[] = [];
  for (const f of ["parallelism", "completions", "activeDeadlineSeconds", "backoffLimit", "ttlSecondsAfterFinished", "backoffLimitPerIndex", "maxFailedIndexes"])
    errs.push(...nonNegative(spec[f], childPath(path, f)));
  const mode = spec.completionMode;
  if (mode !== undefined && mode !== null) {
    if (mode !== "NonIndexed" && mode !== "Indexed") errs.push(fieldErr.notSupported(childPath(path, "completionMode"), mode, ["NonIndexed", "Indexed"]));
    if (mode === "Indexed") {
      if (spec.completions === undefined || spec.completions === null)
        errs.push(fieldErr.required(childPath(path, "completions"), "when completion mode is Indexed"));
      if (typeof spec.parallelism === "number" && spec.parallelism > 100000)
        errs.push(fieldErr.invalid(childPath(path, "parallelism"), spec.parallelism, "must be less than or equal to 100000 when completion mode is Indexed"));
    }
  }
  const set = (v: unknown) => v !== undefined && v !== null;
  if (set(spec.backoffLimitPerIndex) && mode !== "Indexed")
    errs.push(fieldErr.invalid(childPath(path, "backoffLimitPerIndex"), spec.backoffLimitPerIndex, "requires indexed completion mode"));
  if (set(spec.maxFailedIndexes) && !set(spec.backoffLimitPerIndex))
    errs.push(fieldErr.required(childPath(path, "backoffLimitPerIndex"), "when maxFailedIndexes is specified"));
  if (isObj(spec.podFailurePolicy)) errs.push(...validatePodFailurePolicy(spec, path));
  if (isObj(spec.successPolicy)) errs.push(...validateSuccessPolicy(spec, path));
  if (spec.podReplacementPolicy !== undefined && spec.podReplacementPolicy !== null) {
    const allowed = isObj(spec.podFailurePolicy) ? ["Failed"] : ["TerminatingOrFailed", "Failed"];
    errs.push(...validateEnum(spec.podReplacementPolicy, allowed, childPath(path, "podReplacementPolicy")));
  }
  const tp = childPath(path, "template");
  errs.push(...validatePodTemplateSpec(spec.template, tp));
  const rp = obj(obj(spec.template).spec).restartPolicy;
  if (rp !== "OnFailure" && rp !== "Never")
    errs.push(fieldErr.notSupported(childPath(tp, "spec", "restartPolicy"), rp ?? "", ["OnFailure", "Never"]));
  else if (rp === "OnFailure" && isObj(spec.podFailurePolicy))
    errs.push(fieldErr.invalid(childPath(tp, "spec", "restartPolicy"), rp, 'only "Never" is supported when podFailurePolicy is specified'));
  return errs;
}

function validateJobSpec(spec: Obj, path: string): FieldError[] {
  const errs = validateJobSpecCommon(spec, path);
  const sp = childPath(path, "selector");
  if (!isObj(spec.selector)) errs.push(fieldErr.required(sp, ""));
  else errs.push(...validateLabelSelector(spec.selector, sp));
  if (isObj(spec.selector) && selectorConvertible(spec.selector)) {
    const labels = obj(obj(spec.template).metadata).labels;
    if (!selectorMatches(spec.selector, labels))
      errs.push(fieldErr.invalid(childPath(path, "template", "metadata", "labels"), labels ?? null, "`selector` does not match template `labels`"));
  }
  return errs;
}

function validateHasLabel(labels: unknown, path: string, key: string, value: string): FieldError[] {
  const l = obj(labels);
  const kp = keyPath(childPath(path, "labels"), key);
  if (!(key in l)) return [fieldErr.required(kp, `must be '${value}'`)];
  if (l[key] !== value) return [fieldErr.invalid(kp, l[key], `must be '${value}'`)];
  return [];
}

/** Unless manualSelector, the selector and template labels must be the generated ones. */
function validateGeneratedSelector(o: KObject): FieldError[] {
  const spec = obj(o.spec);
  if (spec.manualSelector === true || !isObj(spec.selector)) return [];
  const errs: FieldError[] = [];
  const uid = str(o.metadata.uid);
  const name = str(o.metadata.name);
  if (!uid) errs.push(fieldErr.required("metadata.uid", ""));
  const labels = obj(obj(spec.template).metadata).labels;
  errs.push(...validateHasLabel(labels, "spec.template.metadata", "controller-uid", uid));
  errs.push(...validateHasLabel(labels, "spec.template.metadata", "job-name", name));
  errs.push(...validateHasLabel(labels, "spec.template.metadata", "batch.kubernetes.io/controller-uid", uid));
  errs.push(...validateHasLabel(labels, "spec.template.metadata", "batch.kubernetes.io/job-name", name));
  const expected = {
    "controller-uid": uid,
    "job-name": name,
    "batch.kubernetes.io/controller-uid": uid,
    "batch.kubernetes.io/job-name": name,
  };
  if (selectorConvertible(spec.selector) && !selectorMatches(spec.selector, expected))
    errs.push(fieldErr.invalid("spec.selector", spec.selector, "`selector` not auto-generated"));
  return errs;
}

export function validateJob(o: KObject): FieldError[] {
  const errs = validateObjectMeta(o.metadata, true, nameIsDNSSubdomain);
  errs.push(...validateGeneratedSelector(o));
  errs.push(...validateJobSpec(obj(o.spec), "spec"));
  return errs;
}

const schedulingDirectives = ["nodeSelector", "affinity", "tolerations", "schedulingGates"];

export function validateJobUpdate(o: KObject, old: KObject): FieldError[] {
  const errs = validateObjectMetaUpdate(o.metadata, old.metadata);
  const ns = obj(o.spec);
  const os = obj(old.spec);
  errs.push(...validateJobSpec(ns, "spec"));
  if (!deepEqual(ns.completions, os.completions)) {
    const elastic = ns.completionMode === "Indexed" && os.completionMode === "Indexed";
    if (!elastic) errs.push(...validateImmutableField(ns.completions, os.completions, "spec.completions"));
    else if (ns.completions !== ns.parallelism || deepEqual(ns.parallelism, os.parallelism))
      errs.push(fieldErr.invalid("spec.completions", ns.completions, "can only be modified in tandem with spec.parallelism"));
  }
  errs.push(...validateImmutableField(ns.selector, os.selector, "spec.selector"));
  const mutableScheduling = os.suspend === true && !obj(old.status).startTime;
  const strip = (t: unknown): unknown => {
    if (!mutableScheduling || !isObj(t)) return t;
    const c: Obj = structuredClone(t);
    if (isObj(c.metadata)) {
      delete c.metadata.labels;
      delete c.metadata.annotations;
    }
    if (isObj(c.spec)) for (const f of schedulingDirectives) delete c.spec[f];
    return c;
  };
  if (!deepEqual(strip(ns.template), strip(os.template))) errs.push(fieldErr.invalid("spec.template", ns.template, "field is immutable"));
  for (const f of ["completionMode", "podFailurePolicy", "backoffLimitPerIndex"])
    errs.push(...validateImmutableField(ns[f], os[f], childPath("spec", f)));
  return errs;
}

export function validateJobStatusUpdate(o: KObject, old: KObject): FieldError[] {
  const errs = validateObjectMetaUpdate(o.metadata, old.metadata);
  const st = obj(o.status);
  for (const f of ["active", "succeeded", "failed", "terminating", "ready"]) errs.push(...nonNegative(st[f], childPath("status", f)));
  return errs;
}

// ---------------------------------------------------------------------------
// CronJob

function validateCronJobSpec(spec: Obj, oldSpec: Obj | undefined): FieldError[] {
  const errs: FieldError[] = [];
  const sched = str(spec.schedule);
  if (!sched) errs.push(fieldErr.required("spec.schedule", ""));
  else {
    const msg = cronScheduleError(sched);
    if (msg) errs.push(fieldErr.invalid("spec.schedule", sched, msg));
    const allowTZ = oldSpec !== undefined && str(oldSpec.schedule).includes("TZ");
    if (allowTZ && sched.includes("TZ") && spec.timeZone !== undefined && spec.timeZone !== null)
      errs.push(fieldErr.invalid("spec.schedule", sched, "cannot use both timeZone field and TZ or CRON_TZ in schedule"));
    else if (!allowTZ && sched.includes("TZ"))
      errs.push(fieldErr.invalid("spec.schedule", sched, "cannot use TZ or CRON_TZ in schedule, use timeZone field instead"));
  }
  errs.push(...nonNegative(spec.startingDeadlineSeconds, "spec.startingDeadlineSeconds"));
  if (!oldSpec || oldSpec.timeZone !== spec.timeZone) errs.push(...validateTimeZone(spec.timeZone, "spec.timeZone"));
  errs.push(...validateEnum(spec.concurrencyPolicy, ["Allow", "Forbid", "Replace"], "spec.concurrencyPolicy"));
  const jt = obj(spec.jobTemplate);
  const jspec = obj(jt.spec);
  errs.push(...validateJobSpecCommon(jspec, "spec.jobTemplate.spec"));
  if (isObj(jspec.selector)) errs.push(fieldErr.invalid("spec.jobTemplate.spec.selector", jspec.selector, "`selector` will be auto-generated"));
  if (jspec.manualSelector === true) errs.push(fieldErr.notSupported("spec.jobTemplate.spec.manualSelector", true, ["nil", "false"]));
  errs.push(...nonNegative(spec.successfulJobsHistoryLimit, "spec.successfulJobsHistoryLimit"));
  errs.push(...nonNegative(spec.failedJobsHistoryLimit, "spec.failedJobsHistoryLimit"));
  return errs;
}

export function validateCronJob(o: KObject): FieldError[] {
  const errs = validateObjectMeta(o.metadata, true, nameIsDNSSubdomain);
  if (str(o.metadata.name).length > 52) errs.push(fieldErr.invalid("metadata.name", o.metadata.name, maxLenError(52)));
  errs.push(...validateCronJobSpec(obj(o.spec), undefined));
  return errs;
}

export function validateCronJobUpdate(o: KObject, old: KObject): FieldError[] {
  const errs = validateObjectMetaUpdate(o.metadata, old.metadata);
  errs.push(...validateCronJobSpec(obj(o.spec), obj(old.spec)));
  return errs;
}
