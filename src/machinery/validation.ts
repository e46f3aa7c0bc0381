/**
 * Validation primitives shared by every kind, with upstream apimachinery's
 * semantics and messages: name formats (RFC 1123 / RFC 1035 / qualified
 * names / label values / config keys / env var names), ports, IPs and CIDRs,
 * percentages, ObjectMeta create and update rules, and field path helpers.
 *
 * `is*` checks return a list of messages (empty when valid), like upstream's
 * `k8s.io/apimachinery/pkg/util/validation`; `validate*` functions return
 * FieldErrors at a given field path.
 */

import { fieldErr, type FieldError } from "./errors.ts";
import type { ObjectMeta, OwnerReference } from "../api/types.ts";

// ---------------------------------------------------------------------------
// Field paths

/** `parent.name`, or `name` at the root. */
export function childPath(parent: string, ...names: string[]): string {
  let p = parent;
  for (const n of names) p = p ? `${p}.${n}` : n;
  return p;
}

/** `parent[i]`. */
export function indexPath(parent: string, i: number): string {
  return `${parent}[${i}]`;
}

/** `parent[key]` for a map key. */
export function keyPath(parent: string, key: string): string {
  return `${parent}[${key}]`;
}

// ---------------------------------------------------------------------------
// Message builders (upstream wording)

export function emptyError(): string {
  return "must be non-empty";
}

export function maxLenError(length: number): string {
  return `must be no more than ${length} characters`;
}

export function inclusiveRangeError(lo: number, hi: number): string {
  return `must be between ${lo} and ${hi}, inclusive`;
}

/** `msg (e.g. 'a',  or 'b', regex used for validation is 're')`, as upstream. */
export function regexError(msg: string, fmt: string, ...examples: string[]): string {
  if (examples.length === 0) return `${msg} (regex used for validation is '${fmt}')`;
  let s = `${msg} (e.g. `;
  examples.forEach((ex, i) => {
    if (i > 0) s += " or ";
    s += `'${ex}', `;
  });
  return `${s}regex used for validation is '${fmt}')`;
}

const prefixEach = (msgs: string[], prefix: string): string[] => msgs.map((m) => prefix + m);

// ---------------------------------------------------------------------------
// Names

const qnameCharFmt = "[A-Za-z0-9]";
const qnameExtCharFmt = "[-A-Za-z0-9_.]";
export const qualifiedNameFmt = `(${qnameCharFmt}${qnameExtCharFmt}*)?${qnameCharFmt}`;
const qualifiedNameErrMsg =
  "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
export const qualifiedNameMaxLength = 63;
const qualifiedNameRe = new RegExp(`^${qualifiedNameFmt}$`);

/** A label key / annotation key: optional DNS subdomain prefix and `/`, then a name. */
export function isQualifiedName(value: string): string[] {
  const errs: string[] = [];
  const parts = value.split("/");
  let name: string;
  if (parts.length === 1) {
    name = parts[0];
  } else if (parts.length === 2) {
    const prefix = parts[0];
    name = parts[1];
    if (prefix.length === 0) errs.push("prefix part " + emptyError());
    else errs.push(...prefixEach(isDNS1123Subdomain(prefix), "prefix part "));
  } else {
    return [
      "a qualified name " +
        regexError(qualifiedNameErrMsg, qualifiedNameFmt, "MyName", "my.name", "123-abc") +
        " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
    ];
  }
  if (name.length === 0) errs.push("name part " + emptyError());
  else if (name.length > qualifiedNameMaxLength) errs.push("name part " + maxLenError(qualifiedNameMaxLength));
  if (!qualifiedNameRe.test(name))
    errs.push("name part " + regexError(qualifiedNameErrMsg, qualifiedNameFmt, "MyName", "my.name", "123-abc"));
  return errs;
}

const labelValueFmt = `(${qualifiedNameFmt})?`;
const labelValueErrMsg =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
export const labelValueMaxLength = 63;
const labelValueRe = new RegExp(`^${labelValueFmt}$`);

export function isValidLabelValue(value: string): string[] {
  const errs: string[] = [];
  if (value.length > labelValueMaxLength) errs.push(maxLenError(labelValueMaxLength));
  if (!labelValueRe.test(value)) errs.push(regexError(labelValueErrMsg, labelValueFmt, "MyValue", "my_value", "12345"));
  return errs;
}

const dns1123LabelFmt = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";
const dns1123LabelErrMsg =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character";
export const dns1123LabelMaxLength = 63;
const dns1123LabelRe = new RegExp(`^${dns1123LabelFmt}$`);

export function isDNS1123Label(value: string): string[] {
  const errs: string[] = [];
  if (value.length > dns1123LabelMaxLength) errs.push(maxLenError(dns1123LabelMaxLength));
  if (!dns1123LabelRe.test(value)) errs.push(regexError(dns1123LabelErrMsg, dns1123LabelFmt, "my-name", "123-abc"));
  return errs;
}

const dns1123SubdomainFmt = `${dns1123LabelFmt}(\\.${dns1123LabelFmt})*`;
const dns1123SubdomainErrMsg =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character";
export const dns1123SubdomainMaxLength = 253;
const dns1123SubdomainRe = new RegExp(`^${dns1123SubdomainFmt}$`);

export function isDNS1123Subdomain(value: string): string[] {
  const errs: string[] = [];
  if (value.length > dns1123SubdomainMaxLength) errs.push(maxLenError(dns1123SubdomainMaxLength));
  if (!dns1123SubdomainRe.test(value))
    errs.push(regexError(dns1123SubdomainErrMsg, dns1123SubdomainFmt, "example.com"));
  return errs;
}

const dns1035LabelFmt = "[a-z]([-a-z0-9]*[a-z0-9])?";
const dns1035LabelErrMsg =
  "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character";
export const dns1035LabelMaxLength = 63;
const dns1035LabelRe = new RegExp(`^${dns1035LabelFmt}$`);

export function isDNS1035Label(value: string): string[] {
  const errs: string[] = [];
  if (value.length > dns1035LabelMaxLength) errs.push(maxLenError(dns1035LabelMaxLength));
  if (!dns1035LabelRe.test(value)) errs.push(regexError(dns1035LabelErrMsg, dns1035LabelFmt, "my-name", "abc-123"));
  return errs;
}

const wildcardDNS1123SubdomainFmt = `\\*\\.${dns1123SubdomainFmt}`;
const wildcardDNS1123SubdomainErrMsg =
  "a wildcard DNS-1123 subdomain must start with '*.', followed by a valid DNS subdomain, which must consist of lower case alphanumeric characters, '-' or '.' and end with an alphanumeric character";
const wildcardRe = new RegExp(`^${wildcardDNS1123SubdomainFmt}$`);

export function isWildcardDNS1123Subdomain(value: string): string[] {
  const errs: string[] = [];
  if (value.length > dns1123SubdomainMaxLength) errs.push(maxLenError(dns1123SubdomainMaxLength));
  if (!wildcardRe.test(value))
    errs.push(regexError(wildcardDNS1123SubdomainErrMsg, wildcardDNS1123SubdomainFmt, "*.example.com"));
  return errs;
}

const configMapKeyFmt = "[-._a-zA-Z0-9]+";
const configMapKeyErrMsg = "a valid config key must consist of alphanumeric characters, '-', '_' or '.'";
const configMapKeyRe = new RegExp(`^${configMapKeyFmt}$`);

function isDotSegment(value: string): string[] {
  if (value === ".") return ["must not be '.'"];
  if (value === "..") return ["must not be '..'"];
  if (value.startsWith("..")) return ["must not start with '..'"];
  return [];
}

/** Keys of ConfigMap / Secret data. */
export function isConfigMapKey(value: string): string[] {
  const errs: string[] = [];
  if (value.length > dns1123SubdomainMaxLength) errs.push(maxLenError(dns1123SubdomainMaxLength));
  if (!configMapKeyRe.test(value))
    errs.push(regexError(configMapKeyErrMsg, configMapKeyFmt, "key.name", "KEY_NAME", "key-name"));
  errs.push(...isDotSegment(value));
  return errs;
}

const envVarNameFmt = "[-._a-zA-Z][-._a-zA-Z0-9]*";
const envVarNameFmtErrMsg =
  "a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or '.', and must not start with a digit";
const envVarNameRe = new RegExp(`^${envVarNameFmt}$`);

/** The strict (C identifier-like) environment variable name rule. */
export function isEnvVarName(value: string): string[] {
  const errs: string[] = [];
  if (!envVarNameRe.test(value))
    errs.push(regexError(envVarNameFmtErrMsg, envVarNameFmt, "my.env-name", "MY_ENV.NAME", "MyEnvName1"));
  errs.push(...isDotSegment(value));
  return errs;
}

/** The relaxed rule (upstream default since RelaxedEnvironmentVariableValidation): printable ASCII but `=`. */
export function isRelaxedEnvVarName(value: string): string[] {
  const errs: string[] = [];
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 32 || c > 126 || c === 61) {
      errs.push("a valid environment variable name must consist only of printable ASCII characters other than '='");
      break;
    }
  }
  errs.push(...isDotSegment(value));
  return errs;
}

const percentFmt = "[0-9]+%";
const percentRe = new RegExp(`^${percentFmt}$`);

export function isValidPercent(value: string): string[] {
  if (!percentRe.test(value))
    return [regexError("a valid percent string must be a numeric string followed by an ending '%'", percentFmt, "1%", "93%")];
  return [];
}

/** Path segment names (`.`/`..` and `/`/`%` are not allowed). */
export function isValidPathSegmentName(name: string): string[] {
  if (name === "." || name === "..") return [`may not be '${name}'`];
  const errs: string[] = [];
  for (const illegal of ["/", "%"]) if (name.includes(illegal)) errs.push(`may not contain '${illegal}'`);
  return errs;
}

/** A name validator: `prefix` is true when validating a generateName. */
export type NameValidator = (name: string, prefix: boolean) => string[];

/** A generateName may end in `-`; mask it so the format check passes. */
function maskTrailingDash(name: string): string {
  return name.length > 1 && name.endsWith("-") ? name.slice(0, -2) + "a" : name;
}

export const nameIsDNSSubdomain: NameValidator = (name, prefix) =>
  isDNS1123Subdomain(prefix ? maskTrailingDash(name) : name);
export const nameIsDNSLabel: NameValidator = (name, prefix) => isDNS1123Label(prefix ? maskTrailingDash(name) : name);
export const nameIsDNS1035Label: NameValidator = (name, prefix) =>
  isDNS1035Label(prefix ? maskTrailingDash(name) : name);
export const nameIsPathSegment: NameValidator = (name, prefix) =>
  prefix ? isValidPathSegmentPrefix(name) : isValidPathSegmentName(name);

function isValidPathSegmentPrefix(name: string): string[] {
  const errs: string[] = [];
  for (const illegal of ["/", "%"]) if (name.includes(illegal)) errs.push(`may not contain '${illegal}'`);
  return errs;
}

// ---------------------------------------------------------------------------
// Ports and addresses

export function isValidPortNum(port: number): string[] {
  if (Number.isInteger(port) && port >= 1 && port <= 65535) return [];
  return [inclusiveRangeError(1, 65535)];
}

export function isInRange(value: number, min: number, max: number): string[] {
  if (value >= min && value <= max) return [];
  return [inclusiveRangeError(min, max)];
}

const portNameCharsetRe = /^[-a-z0-9]+$/;
const portNameOneLetterRe = /[a-z]/;

/** IANA_SVC_NAME: at most 15 characters, lowercase alphanumerics and single inner hyphens. */
export function isValidPortName(port: string): string[] {
  const errs: string[] = [];
  if (port.length > 15) errs.push(maxLenError(15));
  if (!portNameCharsetRe.test(port)) errs.push("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)");
  if (!portNameOneLetterRe.test(port)) errs.push("must contain at least one letter (a-z)");
  if (port.includes("--")) errs.push("must not contain consecutive hyphens");
  if (port.length > 0 && (port.startsWith("-") || port.endsWith("-"))) errs.push("must not begin or end with a hyphen");
  return errs;
}

function parseIPv4(s: string): number[] | undefined {
  const parts = s.split(".");
  if (parts.length !== 4) return undefined;
  const out: number[] = [];
  for (const p of parts) {
    if (!/^[0-9]{1,3}$/.test(p)) return undefined;
    if (p.length > 1 && p.startsWith("0")) return undefined;
    const n = Number(p);
    if (n > 255) return undefined;
    out.push(n);
  }
  return out;
}

function isIPv6(s: string): boolean {
  if (!/^[0-9a-fA-F:.]+$/.test(s) || !s.includes(":")) return false;
  let head = s;
  let v4Groups = 0;
  const lastColon = s.lastIndexOf(":");
  const tail = s.slice(lastColon + 1);
  if (tail.includes(".")) {
    if (!parseIPv4(tail)) return false;
    head = s.slice(0, lastColon + 1) + "0:0";
    v4Groups = 0;
  }
  const dbl = head.split("::");
  if (dbl.length > 2) return false;
  const groups = (part: string): string[] | undefined => {
    if (part === "") return [];
    const gs = part.split(":");
    return gs.every((g) => /^[0-9a-fA-F]{1,4}$/.test(g)) ? gs : undefined;
  };
  const left = groups(dbl[0]);
  const right = dbl.length === 2 ? groups(dbl[1]) : [];
  if (!left || !right) return false;
  const n = left.length + right.length + v4Groups;
  return dbl.length === 2 ? n <= 7 : n === 8;
}

export function isIPv4Address(s: string): boolean {
  return parseIPv4(s) !== undefined;
}

export function isIPv6Address(s: string): boolean {
  return isIPv6(s);
}

/** Upstream message for an invalid IP. */
export function isValidIP(value: string): string[] {
  if (isIPv4Address(value) || isIPv6Address(value)) return [];
  return ["must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)"];
}

export function isValidCIDR(value: string): string[] {
  const bad = ["must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)"];
  const slash = value.indexOf("/");
  if (slash < 0) return bad;
  const ip = value.slice(0, slash);
  const bits = value.slice(slash + 1);
  if (!/^[0-9]{1,3}$/.test(bits)) return bad;
  const n = Number(bits);
  if (isIPv4Address(ip)) return n <= 32 ? [] : bad;
  if (isIPv6Address(ip)) return n <= 128 ? [] : bad;
  return bad;
}

// ---------------------------------------------------------------------------
// Generic field validators

export function validateNonnegativeField(value: number, path: string): FieldError[] {
  return value < 0 ? [fieldErr.invalid(path, value, "must be greater than or equal to 0")] : [];
}

/** Structural equality on JSON values; an absent key equals `undefined`. */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== "object" || typeof b !== "object") return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((v, i) => deepEqual(v, bb[i]));
  }
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  const keys = new Set([...Object.keys(ao), ...Object.keys(bo)]);
  for (const k of keys) if (!deepEqual(ao[k], bo[k])) return false;
  return true;
}

/** `field is immutable` when the value changed. */
export function validateImmutableField(newVal: unknown, oldVal: unknown, path: string): FieldError[] {
  return deepEqual(newVal, oldVal) ? [] : [fieldErr.invalid(path, newVal, "field is immutable")];
}

/** A label key (qualified name); errors are reported at `path` (the map), as upstream. */
export function validateLabelName(key: string, path: string): FieldError[] {
  return isQualifiedName(key).map((m) => fieldErr.invalid(path, key, m));
}

/** Label keys and values. */
export function validateLabels(labels: Record<string, string> | undefined, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!labels || typeof labels !== "object") return errs;
  for (const [k, v] of Object.entries(labels)) {
    errs.push(...validateLabelName(k, path));
    for (const m of isValidLabelValue(String(v ?? ""))) errs.push(fieldErr.invalid(path, v, m));
  }
  return errs;
}

/** Upstream limit on the total size of annotations (keys + values). */
export const totalAnnotationSizeLimitB = 256 * 1024;

export function validateAnnotations(annotations: Record<string, string> | undefined, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!annotations || typeof annotations !== "object") return errs;
  let total = 0;
  for (const [k, v] of Object.entries(annotations)) {
    for (const m of isQualifiedName(k.toLowerCase())) errs.push(fieldErr.invalid(path, k, m));
    total += Buffer.byteLength(k) + Buffer.byteLength(String(v ?? ""));
  }
  if (total > totalAnnotationSizeLimitB) errs.push(fieldErr.tooLong(path, totalAnnotationSizeLimitB));
  return errs;
}

const bannedOwners = new Set(["v1/Event"]);

function validateOwnerReference(ref: OwnerReference, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const apiVersion = ref.apiVersion ?? "";
  const version = apiVersion.includes("/") ? apiVersion.slice(apiVersion.indexOf("/") + 1) : apiVersion;
  if (!version) errs.push(fieldErr.invalid(childPath(path, "apiVersion"), apiVersion, "version must not be empty"));
  if (!ref.kind) errs.push(fieldErr.invalid(childPath(path, "kind"), ref.kind ?? "", "kind must not be empty"));
  if (!ref.name) errs.push(fieldErr.invalid(childPath(path, "name"), ref.name ?? "", "name must not be empty"));
  if (!ref.uid) errs.push(fieldErr.invalid(childPath(path, "uid"), ref.uid ?? "", "uid must not be empty"));
  const gvk = `${apiVersion}/${ref.kind}`;
  if (bannedOwners.has(gvk)) {
    const [g, v] = apiVersion.includes("/") ? apiVersion.split("/") : ["", apiVersion];
    errs.push(fieldErr.invalid(path, ref, `${g}/${v}, Kind=${ref.kind} is disallowed from being an owner`));
  }
  return errs;
}

export function validateOwnerReferences(refs: OwnerReference[] | undefined, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!Array.isArray(refs)) return errs;
  let first = "";
  for (const ref of refs) {
    errs.push(...validateOwnerReference(ref ?? ({} as OwnerReference), path));
    if (!ref?.controller) continue;
    const cur = `${ref.kind}/${ref.name}`;
    if (first)
      errs.push(
        fieldErr.invalid(path, refs, `Only one reference can have Controller set to true. Found "true" in references for ${first} and ${cur}`),
      );
    else first = cur;
  }
  return errs;
}

const standardFinalizers = new Set(["kubernetes", "orphan", "foregroundDeletion"]);

/** A finalizer name must be a qualified name (errors at `path`, as upstream). */
export function validateFinalizerName(name: string, path: string): FieldError[] {
  return isQualifiedName(name).map((m) => fieldErr.invalid(path, name, m));
}

/** Kubernetes' extra rule: unprefixed finalizers must be one of the standard names. */
export function validateKubeFinalizerName(name: string, path: string): FieldError[] {
  if (!name.includes("/") && !standardFinalizers.has(name))
    return [fieldErr.invalid(path, name, "name is neither a standard finalizer name nor is it fully qualified")];
  return [];
}

/** Finalizer names (reported at the list path) and the orphan/foregroundDeletion conflict. */
export function validateFinalizers(finalizers: string[] | undefined, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!Array.isArray(finalizers)) return errs;
  for (const f of finalizers) errs.push(...validateFinalizerName(String(f), path));
  if (finalizers.includes("orphan") && finalizers.includes("foregroundDeletion"))
    errs.push(fieldErr.invalid(path, finalizers, "finalizer orphan and foregroundDeletion cannot be both set"));
  return errs;
}

function validateKubeFinalizers(finalizers: string[] | undefined, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (Array.isArray(finalizers)) finalizers.forEach((f, i) => errs.push(...validateKubeFinalizerName(String(f), indexPath(path, i))));
  return errs;
}

/**
 * ObjectMeta of a new object: name or generateName required and well formed
 * (per `nameValidator`), namespace required for namespaced kinds and forbidden
 * otherwise, generation >= 0, labels, annotations, ownerReferences, finalizers.
 */
export function validateObjectMeta(
  meta: ObjectMeta | undefined,
  namespaced: boolean,
  nameValidator: NameValidator,
  fieldPath = "metadata",
): FieldError[] {
  const errs: FieldError[] = [];
  const m: ObjectMeta = meta ?? {};
  if (m.generateName) {
    for (const msg of nameValidator(m.generateName, true))
      errs.push(fieldErr.invalid(childPath(fieldPath, "generateName"), m.generateName, msg));
  }
  if (!m.name) errs.push(fieldErr.required(childPath(fieldPath, "name"), "name or generateName is required"));
  else for (const msg of nameValidator(m.name, false)) errs.push(fieldErr.invalid(childPath(fieldPath, "name"), m.name, msg));
  if (namespaced) {
    if (!m.namespace) errs.push(fieldErr.required(childPath(fieldPath, "namespace"), ""));
    else
      for (const msg of nameIsDNSLabel(m.namespace, false))
        errs.push(fieldErr.invalid(childPath(fieldPath, "namespace"), m.namespace, msg));
  } else if (m.namespace) {
    errs.push(fieldErr.forbidden(childPath(fieldPath, "namespace"), "not allowed on this type"));
  }
  errs.push(...validateNonnegativeField(m.generation ?? 0, childPath(fieldPath, "generation")));
  errs.push(...validateLabels(m.labels, childPath(fieldPath, "labels")));
  errs.push(...validateAnnotations(m.annotations, childPath(fieldPath, "annotations")));
  errs.push(...validateOwnerReferences(m.ownerReferences, childPath(fieldPath, "ownerReferences")));
  errs.push(...validateFinalizers(m.finalizers, childPath(fieldPath, "finalizers")));
  errs.push(...validateKubeFinalizers(m.finalizers, childPath(fieldPath, "finalizers")));
  return errs;
}

/**
 * ObjectMeta of an update: name, namespace, uid, creationTimestamp,
 * deletionTimestamp and deletionGracePeriodSeconds immutable; resourceVersion
 * must be set (the apiserver copies the stored one for unconditional updates
 * before validating, as upstream); generation never decreases; no new
 * finalizers once deletion started; labels/annotations/ownerReferences well
 * formed; unprefixed finalizers standard.
 */
export function validateObjectMetaUpdate(
  newMeta: ObjectMeta | undefined,
  oldMeta: ObjectMeta | undefined,
  fieldPath = "metadata",
): FieldError[] {
  const errs: FieldError[] = [];
  const n: ObjectMeta = newMeta ?? {};
  const o: ObjectMeta = oldMeta ?? {};
  if (o.deletionTimestamp) {
    const old = new Set(o.finalizers ?? []);
    const extra = (n.finalizers ?? []).filter((f) => !old.has(f)).sort();
    if (extra.length)
      errs.push(
        fieldErr.forbidden(
          childPath(fieldPath, "finalizers"),
          `no new finalizers can be added if the object is being deleted, found new finalizers []string{${extra.map((f) => JSON.stringify(f)).join(", ")}}`,
        ),
      );
  }
  if (!n.resourceVersion)
    errs.push(fieldErr.invalid(childPath(fieldPath, "resourceVersion"), n.resourceVersion ?? "", "must be specified for an update"));
  if ((n.generation ?? 0) < (o.generation ?? 0))
    errs.push(fieldErr.invalid(childPath(fieldPath, "generation"), n.generation ?? 0, "must not be decremented"));
  errs.push(...validateImmutableField(n.name ?? "", o.name ?? "", childPath(fieldPath, "name")));
  errs.push(...validateImmutableField(n.namespace ?? "", o.namespace ?? "", childPath(fieldPath, "namespace")));
  errs.push(...validateImmutableField(n.uid ?? "", o.uid ?? "", childPath(fieldPath, "uid")));
  errs.push(...validateImmutableField(n.creationTimestamp, o.creationTimestamp, childPath(fieldPath, "creationTimestamp")));
  errs.push(...validateImmutableField(n.deletionTimestamp, o.deletionTimestamp, childPath(fieldPath, "deletionTimestamp")));
  errs.push(
    ...validateImmutableField(
      n.deletionGracePeriodSeconds,
      o.deletionGracePeriodSeconds,
      childPath(fieldPath, "deletionGracePeriodSeconds"),
    ),
  );
  errs.push(...validateLabels(n.labels, childPath(fieldPath, "labels")));
  errs.push(...validateAnnotations(n.annotations, childPath(fieldPath, "annotations")));
  errs.push(...validateOwnerReferences(n.ownerReferences, childPath(fieldPath, "ownerReferences")));
  errs.push(...validateKubeFinalizers(n.finalizers, childPath(fieldPath, "finalizers")));
  return errs;
}
