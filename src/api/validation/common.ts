/**
 * Validation helpers shared by several kind families: label selectors (format
 * and matching), IntOrString percentages, resource names and quantities,
 * enum checks and small type guards over untyped JSON objects.
 */

import { fieldErr, type FieldError } from "../../machinery/errors.ts";
import {
  childPath,
  indexPath,
  isQualifiedName,
  isValidLabelValue,
  isValidPercent,
  keyPath,
  validateLabelName,
  validateLabels,
  validateNonnegativeField,
} from "../../machinery/validation.ts";
import { tryParseQuantity, errFormatWrong, type Quantity } from "../../machinery/quantity.ts";
import type { LabelSelector } from "../types.ts";

/** Any JSON object. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Obj = Record<string, any>;

export function isObj(v: unknown): v is Obj {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** The value as an object, or an empty one. */
export function obj(v: unknown): Obj {
  return isObj(v) ? v : {};
}

/** The value as an array, or an empty one. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function arr(v: unknown): any[] {
  return Array.isArray(v) ? v : [];
}

export function str(v: unknown): string {
  return typeof v === "string" ? v : v === undefined || v === null ? "" : String(v);
}

/** NotSupported unless `value` is one of `allowed`; Required when empty and `required`. */
export function validateEnum(
  value: unknown,
  allowed: readonly string[],
  path: string,
  required = true,
): FieldError[] {
  if (value === undefined || value === null || value === "") return required ? [fieldErr.required(path, "")] : [];
  return allowed.includes(String(value)) ? [] : [fieldErr.notSupported(path, value, allowed)];
}

// ---------------------------------------------------------------------------
// Label selectors

/** meta/v1 LabelSelector format: matchLabels and matchExpressions. */
export function validateLabelSelector(sel: LabelSelector | undefined, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!isObj(sel)) return errs;
  errs.push(...validateLabels(sel.matchLabels, childPath(path, "matchLabels")));
  arr(sel.matchExpressions).forEach((req, i) => {
    const rp = indexPath(childPath(path, "matchExpressions"), i);
    const r = obj(req);
    const values = arr(r.values);
    switch (r.operator) {
      case "In":
      case "NotIn":
        if (values.length === 0)
          errs.push(fieldErr.required(childPath(rp, "values"), "must be specified when `operator` is 'In' or 'NotIn'"));
        break;
      case "Exists":
      case "DoesNotExist":
        if (values.length > 0)
          errs.push(
            fieldErr.forbidden(childPath(rp, "values"), "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"),
          );
        break;
      default:
        errs.push(fieldErr.invalid(childPath(rp, "operator"), r.operator, "not a valid selector operator"));
    }
    errs.push(...validateLabelName(str(r.key), childPath(rp, "key")));
    values.forEach((v, j) => {
      for (const m of isValidLabelValue(str(v))) errs.push(fieldErr.invalid(indexPath(childPath(rp, "values"), j), v, m));
    });
  });
  return errs;
}

/** True when the selector selects nothing-in-particular (no requirements). */
export function selectorIsEmpty(sel: LabelSelector | undefined): boolean {
  if (!isObj(sel)) return true;
  return Object.keys(obj(sel.matchLabels)).length + arr(sel.matchExpressions).length === 0;
}

/** Whether a meta/v1 LabelSelector matches a label set (an empty selector matches everything). */
export function selectorMatches(sel: LabelSelector | undefined, labels: Record<string, string> | undefined): boolean {
  if (!isObj(sel)) return true;
  const l = obj(labels);
  for (const [k, v] of Object.entries(obj(sel.matchLabels))) if (l[k] !== v) return false;
  for (const req of arr(sel.matchExpressions)) {
    const has = Object.prototype.hasOwnProperty.call(l, req.key);
    const values = arr(req.values);
    switch (req.operator) {
      case "In":
        if (!has || !values.includes(l[req.key])) return false;
        break;
      case "NotIn":
        if (has && values.includes(l[req.key])) return false;
        break;
      case "Exists":
        if (!has) return false;
        break;
      case "DoesNotExist":
        if (has) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}

/** True when matchExpressions are well formed enough to build a selector. */
export function selectorConvertible(sel: LabelSelector | undefined): boolean {
  if (!isObj(sel)) return true;
  for (const req of arr(sel.matchExpressions)) {
    const r = obj(req);
    const values = arr(r.values);
    if (r.operator === "In" || r.operator === "NotIn") {
      if (values.length === 0) return false;
    } else if (r.operator === "Exists" || r.operator === "DoesNotExist") {
      if (values.length > 0) return false;
    } else return false;
    if (isQualifiedName(str(r.key)).length) return false;
  }
  return true;
}

/** A map selector (Service, ReplicationController) matches when every pair is present. */
export function mapSelectorMatches(sel: Record<string, string> | undefined, labels: Record<string, string> | undefined): boolean {
  const l = obj(labels);
  return Object.entries(obj(sel)).every(([k, v]) => l[k] === v);
}

// ---------------------------------------------------------------------------
// IntOrString

/** `25%` -> 25, 3 -> 3, anything else -> undefined. */
export function intOrPercentValue(v: unknown): number | undefined {
  if (typeof v === "number") return v;
  if (typeof v === "string" && isValidPercent(v).length === 0) return Number(v.slice(0, -1));
  return undefined;
}

/** A non-negative integer or a valid percentage string. */
export function validatePositiveIntOrPercent(v: unknown, path: string): FieldError[] {
  if (typeof v === "string") return isValidPercent(v).map((m) => fieldErr.invalid(path, v, m));
  if (typeof v === "number" && Number.isInteger(v)) return validateNonnegativeField(v, path);
  return [fieldErr.invalid(path, v, "must be an integer or percentage (e.g '5%')")];
}

/** Percentages above 100% are rejected. */
export function isNotMoreThan100Percent(v: unknown, path: string): FieldError[] {
  if (typeof v !== "string") return [];
  const n = intOrPercentValue(v);
  return n !== undefined && n > 100 ? [fieldErr.invalid(path, v, "must not be greater than 100%")] : [];
}

/** A port given as number (1-65535) or IANA name. */
export function validatePortNumOrName(v: unknown, path: string, isValidPortNum: (n: number) => string[], isValidPortName: (s: string) => string[]): FieldError[] {
  if (typeof v === "number") return isValidPortNum(v).map((m) => fieldErr.invalid(path, v, m));
  if (typeof v === "string") {
    if (v.length === 0) return [fieldErr.required(path, "")];
    return isValidPortName(v).map((m) => fieldErr.invalid(path, v, m));
  }
  return [fieldErr.invalid(path, v, "must be an int or a string")];
}

// ---------------------------------------------------------------------------
// Resources and quantities

/** Parses a quantity field, reporting upstream's parse message as Invalid. */
export function quantityAt(v: unknown, path: string, errs: FieldError[]): Quantity | undefined {
  const q = tryParseQuantity(v);
  if (!q) errs.push(fieldErr.invalid(path, v, errFormatWrong));
  return q;
}

const nativePrefix = "kubernetes.io/";

/** A resource name without a domain, or in `kubernetes.io/`. */
export function isNativeResource(name: string): boolean {
  return !name.includes("/") || name.startsWith(nativePrefix);
}

export function isHugePageResourceName(name: string): boolean {
  return name.startsWith("hugepages-");
}

/** Extended resources (`example.com/gpu`) must be integers and cannot be overcommitted. */
export function isExtendedResourceName(name: string): boolean {
  if (isNativeResource(name) || name.startsWith("requests.")) return false;
  return isQualifiedName(`requests.${name}`).length === 0;
}

export function isOvercommitAllowed(name: string): boolean {
  return isNativeResource(name) && !isHugePageResourceName(name);
}

/** Integer-valued resources: extended resources. */
export function isIntegerResourceName(name: string): boolean {
  return isExtendedResourceName(name);
}

/** A resource name must be a qualified name. */
export function validateResourceName(name: string, path: string): FieldError[] {
  return isQualifiedName(name).map((m) => fieldErr.invalid(path, name, m));
}

/** Quantity non-negative, integral for integer resources. */
export function validateResourceQuantityValue(name: string, v: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const q = quantityAt(v, path, errs);
  if (!q) return errs;
  if (q.sign() < 0) errs.push(fieldErr.invalid(path, q.toString(), "must be greater than or equal to 0"));
  if (isIntegerResourceName(name) && q.milliValue() % 1000 !== 0)
    errs.push(fieldErr.invalid(path, q.toString(), "must be an integer"));
  return errs;
}

/** Every entry of a ResourceList: name qualified and quantity valid. */
export function validateResourceList(list: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  for (const [k, v] of Object.entries(obj(list))) {
    const kp = keyPath(path, k);
    errs.push(...validateResourceName(k, kp));
    errs.push(...validateResourceQuantityValue(k, v, kp));
  }
  return errs;
}

/** Validates a non-negative int32-like value when present. */
export function nonNegative(v: unknown, path: string): FieldError[] {
  return typeof v === "number" ? validateNonnegativeField(v, path) : [];
}
