/**
 * Field selectors with upstream semantics (k8s.io/apimachinery/pkg/fields):
 * the `?fieldSelector=` syntax (`a=b`, `a==b`, `a!=b`, comma-joined, values
 * escaped with `\,` `\=` `\\`), matching against an object's selectable
 * fields, and the per-kind tables of selectable fields and accepted labels that
 * upstream spreads over each registry's GetAttrs / ToSelectableFields and each
 * API version's field label conversion function.
 */
import { badRequest } from "./errors.ts";

/** One term: `field=value` or `field!=value`. */
export interface FieldRequirement {
  field: string;
  operator: "=" | "!=";
  value: string;
}

/** EscapeValue: escapes `\`, `,` and `=` in a field selector value. */
export function escapeValue(s: string): string {
  return s.replace(/[\\,=]/g, (c) => `\\${c}`);
}

/** UnescapeValue: the inverse of escapeValue; throws 400 on bad sequences. */
export function unescapeValue(s: string): string {
  if (!/[\\,=]/.test(s)) return s;
  let out = "";
  let inSlash = false;
  for (const c of s) {
    if (inSlash) {
      if (c !== "\\" && c !== "," && c !== "=") {
        throw badRequest(`invalid field selector: invalid escape sequence: \\${c}`);
      }
      out += c;
      inSlash = false;
      continue;
    }
    if (c === "\\") inSlash = true;
    else if (c === "," || c === "=") throw badRequest(`invalid field selector: unescaped character in value: ${c}`);
    else out += c;
  }
  if (inSlash) throw badRequest("invalid field selector: invalid escape sequence: \\");
  return out;
}

/** A parsed field selector: the conjunction of its requirements. */
export class FieldSelector {
  readonly #reqs: readonly FieldRequirement[];

  constructor(reqs: readonly FieldRequirement[]) {
    this.#reqs = [...reqs];
  }

  /** True when every term holds; a missing field reads as "". */
  matches(fields: Record<string, string>): boolean {
    return this.#reqs.every((r) => {
      const v = Object.hasOwn(fields, r.field) ? fields[r.field] : "";
      return r.operator === "=" ? v === r.value : v !== r.value;
    });
  }

  /** True when the selector has no terms (selects everything). */
  empty(): boolean {
    return this.#reqs.length === 0;
  }

  /** The terms in canonical (sorted) order. */
  requirements(): FieldRequirement[] {
    return this.#reqs.map((r) => ({ ...r }));
  }

  /** The value `field` must equal, if the selector pins it with `=`. */
  requiresExactMatch(field: string): string | undefined {
    return this.#reqs.find((r) => r.field === field && r.operator === "=")?.value;
  }

  /** A selector with every term's field label rewritten by `fn` (which may throw). */
  transform(fn: (field: string, value: string) => [string, string]): FieldSelector {
    return new FieldSelector(
      this.#reqs.map((r) => {
        const [field, value] = fn(r.field, r.value);
        return { field, operator: r.operator, value };
      }),
    );
  }

  /** Canonical string form (`==` printed as `=`); "" when empty. */
  toString(): string {
    return this.#reqs.map((r) => `${r.field}${r.operator}${escapeValue(r.value)}`).join(",");
  }
}

/** The selector with no terms. */
export function everythingFields(): FieldSelector {
  return new FieldSelector([]);
}

function splitTerms(s: string): string[] {
  if (s.length === 0) return [];
  const terms: string[] = [];
  let start = 0;
  let inSlash = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (inSlash) inSlash = false;
    else if (c === "\\") inSlash = true;
    else if (c === ",") {
      terms.push(s.slice(start, i));
      start = i + 1;
    }
  }
  terms.push(s.slice(start));
  return terms;
}

const termOperators = ["!=", "==", "="] as const;

function splitTerm(term: string): [string, string, string] | undefined {
  for (let i = 0; i < term.length; i++) {
    for (const op of termOperators) {
      if (term.startsWith(op, i)) return [term.slice(0, i), op, term.slice(i + op.length)];
    }
  }
  return undefined;
}

/**
 * ParseSelector: terms split on unescaped commas, sorted, empty terms skipped.
 * Throws 400 BadRequest with upstream's message, e.g.
 * `invalid selector: 'a'; can't understand 'a'`.
 */
export function parseFieldSelector(s: string): FieldSelector {
  const parts = splitTerms(s).sort();
  const reqs: FieldRequirement[] = [];
  for (const part of parts) {
    if (part === "") continue;
    const split = splitTerm(part);
    if (!split) throw badRequest(`invalid selector: '${s}'; can't understand '${part}'`);
    const [field, op, rhs] = split;
    reqs.push({ field, operator: op === "!=" ? "!=" : "=", value: unescapeValue(rhs) });
  }
  return new FieldSelector(reqs);
}

/** FieldSelector from a set: `k=v` per entry, sorted by key. */
export function fieldSelectorFromSet(set: Record<string, string>): FieldSelector {
  return new FieldSelector(
    Object.keys(set)
      .sort()
      .map((field) => ({ field, operator: "=" as const, value: set[field] })),
  );
}

// ---------------------------------------------------------------------------
// Per-kind selectable fields

type Obj = Record<string, unknown>;

function get(obj: unknown, ...path: string[]): unknown {
  let cur = obj;
  for (const p of path) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Obj)[p];
  }
  return cur;
}

const str = (v: unknown): string => (typeof v === "string" ? v : v === undefined || v === null ? "" : String(v));
const int = (v: unknown): string => (typeof v === "number" ? String(Math.trunc(v)) : "0");
const bool = (v: unknown): string => (v === true ? "true" : "false");

const clusterScoped = new Set(["/Namespace", "/Node", "/PersistentVolume", "networking.k8s.io/IngressClass", "storage.k8s.io/StorageClass", "scheduling.k8s.io/PriorityClass"]);

type FieldFn = (o: unknown) => Record<string, string>;

/** Kind-specific selectable fields, keyed `group/Kind` (core group = ""). */
const specificFields: Record<string, FieldFn> = {
  "/Pod": (o) => {
    const podIPs = get(o, "status", "podIPs");
    const first = Array.isArray(podIPs) && podIPs.length > 0 ? str(get(podIPs[0], "ip")) : "";
    return {
      "spec.nodeName": str(get(o, "spec", "nodeName")),
      "spec.restartPolicy": str(get(o, "spec", "restartPolicy")),
      "spec.schedulerName": str(get(o, "spec", "schedulerName")),
      "spec.serviceAccountName": str(get(o, "spec", "serviceAccountName")),
      "spec.hostNetwork": bool(get(o, "spec", "hostNetwork")),
      "status.phase": str(get(o, "status", "phase")),
      "status.podIP": first || str(get(o, "status", "podIP")),
      "status.nominatedNodeName": str(get(o, "status", "nominatedNodeName")),
    };
  },
  "/Event": (o) => {
    const ref = (f: string) => str(get(o, "involvedObject", f));
    return {
      "involvedObject.kind": ref("kind"),
      "involvedObject.namespace": ref("namespace"),
      "involvedObject.name": ref("name"),
      "involvedObject.uid": ref("uid"),
      "involvedObject.apiVersion": ref("apiVersion"),
      "involvedObject.resourceVersion": ref("resourceVersion"),
      "involvedObject.fieldPath": ref("fieldPath"),
      reason: str(get(o, "reason")),
      reportingComponent: str(get(o, "reportingComponent")),
      source: str(get(o, "source", "component")) || str(get(o, "reportingComponent")),
      type: str(get(o, "type")),
    };
  },
  // Served as events.k8s.io/v1; the field names are the core ones, which the
  // events.k8s.io labels are converted to (see convertFieldLabel). The object
  // may be in either form: the apiserver matches its stored (core) objects.
  "events.k8s.io/Event": (o) => {
    if (get(o, "involvedObject") !== undefined || get(o, "source") !== undefined || get(o, "reportingComponent") !== undefined) return specificFields["/Event"](o);
    const ref = (f: string) => str(get(o, "regarding", f));
    return {
      "involvedObject.kind": ref("kind"),
      "involvedObject.namespace": ref("namespace"),
      "involvedObject.name": ref("name"),
      "involvedObject.uid": ref("uid"),
      "involvedObject.apiVersion": ref("apiVersion"),
      "involvedObject.resourceVersion": ref("resourceVersion"),
      "involvedObject.fieldPath": ref("fieldPath"),
      reason: str(get(o, "reason")),
      reportingComponent: str(get(o, "reportingController")),
      source: str(get(o, "deprecatedSource", "component")) || str(get(o, "reportingController")),
      type: str(get(o, "type")),
    };
  },
  "/Node": (o) => ({ "spec.unschedulable": bool(get(o, "spec", "unschedulable")) }),
  "/Namespace": (o) => ({ "status.phase": str(get(o, "status", "phase")) }),
  "/Secret": (o) => ({ type: str(get(o, "type")) }),
  "/Service": (o) => ({ "spec.clusterIP": str(get(o, "spec", "clusterIP")), "spec.type": str(get(o, "spec", "type")) }),
  "/ReplicationController": (o) => ({ "status.replicas": int(get(o, "status", "replicas")) }),
  "apps/ReplicaSet": (o) => ({ "status.replicas": int(get(o, "status", "replicas")) }),
  "batch/Job": (o) => ({ "status.successful": int(get(o, "status", "succeeded")) }),
  "/PersistentVolumeClaim": (o) => ({ name: str(get(o, "metadata", "name")) }),
  "/PersistentVolume": (o) => ({ name: str(get(o, "metadata", "name")) }),
};

/**
 * The selectable fields of `obj` (a `kind` of API `group`, "" for core), as
 * upstream's registry ToSelectableFields: `metadata.name`, `metadata.namespace`
 * for namespaced kinds, plus the kind's own fields. Values are strings
 * (booleans "true"/"false", counts in decimal).
 */
export function objectFields(kind: string, group: string, obj: unknown): Record<string, string> {
  const key = `${group}/${kind}`;
  const out: Record<string, string> = { ...(specificFields[key]?.(obj) ?? {}) };
  out["metadata.name"] = str(get(obj, "metadata", "name"));
  if (!clusterScoped.has(key)) out["metadata.namespace"] = str(get(obj, "metadata", "namespace"));
  return out;
}

type Conversion = { labels: Record<string, string>; message: (label: string) => string };

const notSupported = (label: string) => `field label not supported: ${label}`;
const identity = (...labels: string[]) => Object.fromEntries(labels.map((l) => [l, l]));

/**
 * Field label conversions registered upstream per group/kind (accepted label →
 * selectable field name). Kinds without one accept only metadata.name and
 * metadata.namespace (DefaultMetaV1FieldSelectorConversion).
 */
const conversions: Record<string, Conversion> = {
  "/Pod": {
    labels: {
      ...identity(
        "metadata.name",
        "metadata.namespace",
        "spec.nodeName",
        "spec.restartPolicy",
        "spec.schedulerName",
        "spec.serviceAccountName",
        "spec.hostNetwork",
        "status.phase",
        "status.podIP",
        "status.nominatedNodeName",
      ),
      "spec.host": "spec.nodeName",
    },
    message: notSupported,
  },
  "/Node": { labels: identity("metadata.name", "spec.unschedulable"), message: notSupported },
  "/ReplicationController": { labels: identity("metadata.name", "metadata.namespace", "status.replicas"), message: notSupported },
  "/Event": {
    labels: identity(
      "involvedObject.kind",
      "involvedObject.namespace",
      "involvedObject.name",
      "involvedObject.uid",
      "involvedObject.apiVersion",
      "involvedObject.resourceVersion",
      "involvedObject.fieldPath",
      "reason",
      "reportingComponent",
      "source",
      "type",
      "metadata.namespace",
      "metadata.name",
    ),
    message: notSupported,
  },
  "/Namespace": { labels: identity("status.phase", "metadata.name"), message: notSupported },
  "/Secret": { labels: identity("type", "metadata.namespace", "metadata.name"), message: notSupported },
  "/Service": { labels: identity("metadata.namespace", "metadata.name", "spec.clusterIP", "spec.type"), message: notSupported },
  "batch/Job": {
    labels: identity("metadata.name", "metadata.namespace", "status.successful"),
    message: (l) => `field label ${JSON.stringify(l)} not supported for batchv1.Job`,
  },
  "events.k8s.io/Event": {
    labels: {
      reason: "reason",
      "regarding.kind": "involvedObject.kind",
      "regarding.namespace": "involvedObject.namespace",
      "regarding.name": "involvedObject.name",
      "regarding.uid": "involvedObject.uid",
      "regarding.apiVersion": "involvedObject.apiVersion",
      "regarding.resourceVersion": "involvedObject.resourceVersion",
      "regarding.fieldPath": "involvedObject.fieldPath",
      reportingController: "reportingComponent",
      type: "type",
      "metadata.namespace": "metadata.namespace",
      "metadata.name": "metadata.name",
    },
    message: notSupported,
  },
};

/**
 * ConvertFieldLabel: the selectable-field name for `label` on `group/kind`, or
 * a 400 BadRequest with upstream's message (`field label not supported: x`, or
 * `"x" is not a known field selector: only "metadata.name", "metadata.namespace"`
 * for kinds without their own conversion).
 */
export function convertFieldLabel(kind: string, group: string, label: string): string {
  const conv = conversions[`${group}/${kind}`];
  if (!conv) {
    if (label === "metadata.name" || label === "metadata.namespace") return label;
    throw badRequest(`${JSON.stringify(label)} is not a known field selector: only "metadata.name", "metadata.namespace"`);
  }
  if (!Object.hasOwn(conv.labels, label)) throw badRequest(conv.message(label));
  return conv.labels[label];
}

/**
 * Validates `sel` for `group/kind` and returns it with labels converted to the
 * names `objectFields` produces (e.g. `spec.host` → `spec.nodeName`,
 * events.k8s.io `regarding.name` → `involvedObject.name`). Throws 400.
 */
export function checkFieldSelector(kind: string, group: string, sel: FieldSelector): FieldSelector {
  return sel.transform((field, value) => [convertFieldLabel(kind, group, field), value]);
}
