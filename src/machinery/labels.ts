/**
 * Label selectors with upstream semantics (k8s.io/apimachinery/pkg/labels and
 * meta/v1 LabelSelector helpers): the string syntax served in `?labelSelector=`
 * (`a=b`, `a==b`, `a!=b`, `a in (x,y)`, `a notin (x)`, `a`, `!a`, `a>1`, `a<1`),
 * conversion of meta/v1 LabelSelector objects, matching, canonical printing,
 * and the label key / value syntax checks with upstream's messages.
 */
import { badRequest, fieldErr, fieldErrorString } from "./errors.ts";
import { isQualifiedName, isValidLabelValue, validateLabels } from "./validation.ts";
import type { FieldError } from "./errors.ts";
import type { LabelSelector } from "../api/types.ts";

// Key and value syntax checks live in validation.ts; re-exported for callers of this module.
export { isDNS1123Subdomain, isQualifiedName, isValidLabelValue, regexError, validateLabels } from "./validation.ts";

// ---------------------------------------------------------------------------
// Requirements and selectors

/** Requirement operators as upstream's selection.Operator strings. */
export type Operator = "=" | "==" | "!=" | "in" | "notin" | "exists" | "!" | "gt" | "lt";

/** One `key op values` term of a selector. Values are sorted and de-duplicated. */
export interface Requirement {
  key: string;
  operator: Operator;
  values: string[];
}

function joinErrors(errs: FieldError[]): string {
  const parts = [...new Set(errs.map(fieldErrorString))];
  return parts.length === 1 ? parts[0] : `[${parts.join(", ")}]`;
}

/**
 * NewRequirement: validates a requirement. Returns the field errors (paths
 * `key`, `values`, `values[i]`, `operator` under `path`) instead of throwing.
 */
export function requirementErrors(r: Requirement, path = ""): FieldError[] {
  const at = (child: string) => (path ? `${path}.${child}` : child);
  const errs: FieldError[] = [];
  const keyMsgs = isQualifiedName(r.key);
  if (keyMsgs.length) errs.push(fieldErr.invalid(at("key"), r.key, keyMsgs.join("; ")));
  const vals = r.values;
  switch (r.operator) {
    case "in":
    case "notin":
      if (vals.length === 0) errs.push(fieldErr.invalid(at("values"), vals, "for 'in', 'notin' operators, values set can't be empty"));
      break;
    case "=":
    case "==":
    case "!=":
      if (vals.length !== 1) errs.push(fieldErr.invalid(at("values"), vals, "exact-match compatibility requires one single value"));
      break;
    case "exists":
    case "!":
      if (vals.length !== 0) errs.push(fieldErr.invalid(at("values"), vals, "values set must be empty for exists and does not exist"));
      break;
    case "gt":
    case "lt":
      if (vals.length !== 1) errs.push(fieldErr.invalid(at("values"), vals, "for 'Gt', 'Lt' operators, exactly one value is required"));
      vals.forEach((v, i) => {
        if (parseInt64(v) === undefined) {
          errs.push(fieldErr.invalid(`${at("values")}[${i}]`, v, "for 'Gt', 'Lt' operators, the value must be an integer"));
        }
      });
      break;
    default:
      errs.push(fieldErr.notSupported(at("operator"), r.operator, ["in", "notin", "=", "==", "!=", "gt", "lt", "exists", "!"]));
  }
  vals.forEach((v, i) => {
    const msgs = isValidLabelValue(v);
    if (msgs.length) errs.push(fieldErr.invalid(`${at("values")}[${i}]`, v, msgs.join("; ")));
  });
  return errs;
}

/** strconv.ParseInt(s, 10, 64) as a bigint, or undefined. */
function parseInt64(s: string): bigint | undefined {
  if (!/^[+-]?[0-9]+$/.test(s)) return undefined;
  const n = BigInt(s);
  if (n > 9223372036854775807n || n < -9223372036854775808n) return undefined;
  return n;
}

function requirementMatches(r: Requirement, labels: Record<string, string>): boolean {
  const has = Object.hasOwn(labels, r.key);
  switch (r.operator) {
    case "=":
    case "==":
    case "in":
      return has && r.values.includes(labels[r.key]);
    case "!=":
    case "notin":
      return !has || !r.values.includes(labels[r.key]);
    case "exists":
      return has;
    case "!":
      return !has;
    case "gt":
    case "lt": {
      if (!has || r.values.length !== 1) return false;
      const lv = parseInt64(labels[r.key]);
      const rv = parseInt64(r.values[0]);
      if (lv === undefined || rv === undefined) return false;
      return r.operator === "gt" ? lv > rv : lv < rv;
    }
  }
}

/** Upstream's Requirement.String(). */
export function requirementString(r: Requirement): string {
  switch (r.operator) {
    case "!":
      return `!${r.key}`;
    case "exists":
      return r.key;
    case "in":
    case "notin":
      return `${r.key} ${r.operator} (${r.values.join(",")})`;
    case "gt":
      return `${r.key}>${r.values.join(",")}`;
    case "lt":
      return `${r.key}<${r.values.join(",")}`;
    default:
      return `${r.key}${r.operator}${r.values.join(",")}`;
  }
}

/**
 * A parsed label selector. Requirements are kept sorted by key (stable), as
 * upstream's internalSelector is, so `toString()` is canonical.
 */
export class Selector {
  readonly #reqs: readonly Requirement[];
  readonly #nothing: boolean;

  constructor(reqs: readonly Requirement[], nothing = false) {
    this.#reqs = [...reqs].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    this.#nothing = nothing;
  }

  /** True when every requirement holds for `labels` (missing labels = none). */
  matches(labels: Record<string, string> | undefined): boolean {
    if (this.#nothing) return false;
    const ls = labels ?? {};
    return this.#reqs.every((r) => requirementMatches(r, ls));
  }

  /** True for the selector that matches everything (no requirements). */
  empty(): boolean {
    return !this.#nothing && this.#reqs.length === 0;
  }

  /** True for the selector that matches nothing (from a null LabelSelector). */
  isNothing(): boolean {
    return this.#nothing;
  }

  /** The requirements, sorted by key. */
  requirements(): Requirement[] {
    return this.#reqs.map((r) => ({ ...r, values: [...r.values] }));
  }

  /** The value `key` must equal (`=`, `==`, or `in` with one value), if any. */
  requiresExactMatch(key: string): string | undefined {
    for (const r of this.#reqs) {
      if (r.key !== key) continue;
      if ((r.operator === "=" || r.operator === "==" || r.operator === "in") && r.values.length === 1) return r.values[0];
    }
    return undefined;
  }

  /** A new selector with the extra requirements (validated). */
  add(...reqs: Requirement[]): Selector {
    for (const r of reqs) {
      const errs = requirementErrors(r);
      if (errs.length) throw badRequest(joinErrors(errs));
    }
    return new Selector([...this.#reqs, ...reqs.map(normalizeRequirement)], this.#nothing);
  }

  /** Canonical string form, parseable by `parseSelector`; "" for everything and nothing. */
  toString(): string {
    if (this.#nothing) return "";
    return this.#reqs.map(requirementString).join(",");
  }
}

function normalizeRequirement(r: Requirement): Requirement {
  return { key: r.key, operator: r.operator, values: [...new Set(r.values)].sort() };
}

/** The selector matching every object. */
export function everything(): Selector {
  return new Selector([]);
}

/** The selector matching no object. */
export function nothing(): Selector {
  return new Selector([], true);
}

/** SelectorFromSet: `k=v` for every entry (validated). An empty set selects everything. */
export function selectorFromSet(set: Record<string, string> | undefined): Selector {
  const reqs: Requirement[] = Object.entries(set ?? {}).map(([key, v]) => ({ key, operator: "=", values: [v] }));
  return everything().add(...reqs);
}

// ---------------------------------------------------------------------------
// The string syntax (lexer + recursive-descent parser as upstream's)

type Tok =
  | "ident"
  | "eos"
  | "("
  | ")"
  | ","
  | "!"
  | "!="
  | "="
  | "=="
  | ">"
  | "<"
  | "in"
  | "notin"
  | "error";

const symbolTokens = new Set(["!", "!=", "(", ")", ",", "=", "==", ">", "<"]);
const specialChars = new Set(["=", "!", "(", ")", ",", ">", "<"]);
const isSpace = (c: string) => c === " " || c === "\t" || c === "\r" || c === "\n";

interface Lexeme {
  tok: Tok;
  lit: string;
}

function lex(s: string): Lexeme[] {
  const out: Lexeme[] = [];
  let i = 0;
  for (;;) {
    while (i < s.length && isSpace(s[i])) i++;
    if (i >= s.length) {
      out.push({ tok: "eos", lit: "" });
      return out;
    }
    if (specialChars.has(s[i])) {
      let buf = "";
      let last: Lexeme | undefined;
      while (i < s.length && specialChars.has(s[i])) {
        buf += s[i];
        if (symbolTokens.has(buf)) {
          last = { tok: buf as Tok, lit: buf };
          i++;
        } else if (last) {
          break;
        } else {
          i++;
        }
      }
      out.push(last ?? { tok: "error", lit: `error expected: keyword found '${buf}'` });
      continue;
    }
    let word = "";
    while (i < s.length && !isSpace(s[i]) && !specialChars.has(s[i])) word += s[i++];
    out.push({ tok: word === "in" || word === "notin" ? word : "ident", lit: word });
  }
}

class Parser {
  readonly #items: Lexeme[];
  #pos = 0;

  constructor(s: string) {
    this.#items = lex(s);
  }

  /** Values context turns the keywords `in` / `notin` into identifiers. */
  #peek(values: boolean): Lexeme {
    const it = this.#items[Math.min(this.#pos, this.#items.length - 1)];
    return values && (it.tok === "in" || it.tok === "notin") ? { tok: "ident", lit: it.lit } : it;
  }

  #next(values: boolean): Lexeme {
    const it = this.#peek(values);
    if (this.#pos < this.#items.length - 1) this.#pos++;
    return it;
  }

  parse(): Requirement[] {
    const reqs: Requirement[] = [];
    for (;;) {
      const { tok, lit } = this.#peek(true);
      if (tok === "eos") return reqs;
      if (tok !== "ident" && tok !== "!") throw new Error(`found '${lit}', expected: !, identifier, or 'end of string'`);
      let r: Requirement;
      try {
        r = this.#requirement();
      } catch (e) {
        throw new Error(`unable to parse requirement: ${(e as Error).message}`);
      }
      reqs.push(r);
      const after = this.#next(true);
      if (after.tok === "eos") return reqs;
      if (after.tok !== ",") throw new Error(`found '${after.lit}', expected: ',' or 'end of string'`);
      const following = this.#peek(true);
      if (following.tok !== "ident" && following.tok !== "!") {
        throw new Error(`found '${following.lit}', expected: identifier after ','`);
      }
    }
  }

  #requirement(): Requirement {
    let op: Operator | undefined;
    let t = this.#next(true);
    if (t.tok === "!") {
      op = "!";
      t = this.#next(true);
    }
    if (t.tok !== "ident") throw new Error(`found '${t.lit}', expected: identifier`);
    const key = t.lit;
    const keyMsgs = isQualifiedName(key);
    if (keyMsgs.length) throw new Error(fieldErrorString(fieldErr.invalid("<nil>", key, keyMsgs.join("; "))));
    const ahead = this.#peek(true).tok;
    if (ahead === "eos" || ahead === ",") op ??= "exists";
    if (op === "exists" || op === "!") return this.#validated({ key, operator: op, values: [] });
    const o = this.#next(false);
    let operator: Operator;
    switch (o.tok) {
      case "in":
      case "notin":
      case "=":
      case "==":
      case "!=":
        operator = o.tok;
        break;
      case ">":
        operator = "gt";
        break;
      case "<":
        operator = "lt";
        break;
      default:
        throw new Error(`found '${o.lit}', expected: in, notin, =, ==, !=, gt, lt`);
    }
    const values = operator === "in" || operator === "notin" ? this.#setValues() : this.#exactValue();
    return this.#validated({ key, operator, values: [...new Set(values)].sort() });
  }

  #validated(r: Requirement): Requirement {
    const errs = requirementErrors(r);
    if (errs.length) throw new Error(joinErrors(errs));
    return r;
  }

  #setValues(): string[] {
    const open = this.#next(true);
    if (open.tok !== "(") throw new Error(`found '${open.lit}' expected: '('`);
    const t = this.#peek(true);
    if (t.tok === ")") {
      this.#next(true);
      return [""];
    }
    if (t.tok !== "ident" && t.tok !== ",") throw new Error(`found '${t.lit}', expected: ',', ')' or identifier`);
    const vals = this.#identifierList();
    if (this.#next(true).tok !== ")") throw new Error(`found '${t.lit}', expected: ')'`);
    return vals;
  }

  #identifierList(): string[] {
    const vals: string[] = [];
    for (;;) {
      const t = this.#next(true);
      if (t.tok === "ident") {
        vals.push(t.lit);
        const n = this.#peek(true);
        if (n.tok === ",") continue;
        if (n.tok === ")") return vals;
        throw new Error(`found '${n.lit}', expected: ',' or ')'`);
      } else if (t.tok === ",") {
        if (vals.length === 0) vals.push("");
        const n = this.#peek(true);
        if (n.tok === ")") {
          vals.push("");
          return vals;
        }
        if (n.tok === ",") {
          this.#next(true);
          vals.push("");
        }
      } else {
        throw new Error(`found '${t.lit}', expected: ',', or identifier`);
      }
    }
  }

  #exactValue(): string[] {
    const t = this.#peek(true);
    if (t.tok === "eos" || t.tok === ",") return [""];
    const v = this.#next(true);
    if (v.tok === "ident") return [v.lit];
    throw new Error(`found '${v.lit}', expected: identifier`);
  }
}

/**
 * Parses a label selector string as upstream's labels.Parse. The empty string
 * selects everything. Throws a 400 BadRequest StatusError carrying upstream's
 * message (e.g. `unable to parse requirement: found '', expected: identifier`).
 */
export function parseSelector(s: string): Selector {
  try {
    return new Selector(new Parser(s).parse());
  } catch (e) {
    throw badRequest((e as Error).message);
  }
}

// ---------------------------------------------------------------------------
// meta/v1 LabelSelector

const exprOps: Record<string, Operator> = { In: "in", NotIn: "notin", Exists: "exists", DoesNotExist: "!" };

/**
 * LabelSelectorAsSelector: `null`/`undefined` selects nothing, `{}` selects
 * everything; otherwise matchLabels (as `=`) and matchExpressions combined.
 * Throws 400 BadRequest for an unknown operator or invalid requirement.
 */
export function selectorFromLabelSelector(ls: LabelSelector | null | undefined): Selector {
  if (ls === null || ls === undefined) return nothing();
  const ml = Object.entries(ls.matchLabels ?? {});
  const me = ls.matchExpressions ?? [];
  if (ml.length + me.length === 0) return everything();
  const reqs: Requirement[] = ml.map(([key, v]) => ({ key, operator: "=", values: [v] }));
  for (const e of me) {
    const op = exprOps[e.operator];
    if (!op) throw badRequest(`${JSON.stringify(e.operator)} is not a valid label selector operator`);
    reqs.push({ key: e.key, operator: op, values: [...(e.values ?? [])] });
  }
  return everything().add(...reqs);
}

/**
 * ValidateLabelSelector: field errors for a meta/v1 LabelSelector at
 * `fieldPath` (e.g. `spec.selector`); empty when valid or absent.
 */
export function validateLabelSelector(ls: LabelSelector | null | undefined, fieldPath: string): FieldError[] {
  if (!ls) return [];
  const errs = validateLabels(ls.matchLabels, `${fieldPath}.matchLabels`);
  (ls.matchExpressions ?? []).forEach((e, i) => {
    const p = `${fieldPath}.matchExpressions[${i}]`;
    const values = e.values ?? [];
    switch (e.operator) {
      case "In":
      case "NotIn":
        if (values.length === 0) errs.push(fieldErr.required(`${p}.values`, "must be specified when `operator` is 'In' or 'NotIn'"));
        break;
      case "Exists":
      case "DoesNotExist":
        if (values.length > 0) {
          errs.push(fieldErr.forbidden(`${p}.values`, "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"));
        }
        break;
      default:
        errs.push(fieldErr.invalid(`${p}.operator`, e.operator, "not a valid selector operator"));
    }
    for (const m of isQualifiedName(e.key ?? "")) errs.push(fieldErr.invalid(`${p}.key`, e.key, m));
    values.forEach((v, j) => {
      for (const m of isValidLabelValue(v)) errs.push(fieldErr.invalid(`${p}.values[${j}]`, v, m));
    });
  });
  return errs;
}

/** FormatLabels: `k=v,...` sorted by key, or `<none>` when empty (as kubectl prints). */
export function formatLabels(labels: Record<string, string> | undefined): string {
  const keys = Object.keys(labels ?? {}).sort();
  return keys.length ? keys.map((k) => `${k}=${labels![k]}`).join(",") : "<none>";
}
