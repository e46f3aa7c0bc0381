/**
 * Kubernetes API errors: one error class (StatusError) whose `reason` maps to an
 * HTTP code through a constant table, plus field errors (FieldError) that render
 * like upstream's `field.Error` and become `details.causes` of an Invalid Status.
 */

/** HTTP status code for every Status reason the apiserver answers with. */
export const reasonCodes = {
  BadRequest: 400,
  Unauthorized: 401,
  Forbidden: 403,
  NotFound: 404,
  MethodNotAllowed: 405,
  NotAcceptable: 406,
  AlreadyExists: 409,
  Conflict: 409,
  Gone: 410,
  Expired: 410,
  RequestEntityTooLarge: 413,
  UnsupportedMediaType: 415,
  Invalid: 422,
  TooManyRequests: 429,
  InternalError: 500,
  ServiceUnavailable: 503,
  Timeout: 504,
} as const;

export type Reason = keyof typeof reasonCodes;

/** One cause inside `Status.details.causes`. */
export interface StatusCause {
  reason?: string;
  message?: string;
  field?: string;
}

/** `Status.details` as upstream serialises it (empty fields omitted). */
export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

/** The wire form of a meta/v1 Status failure. */
export interface Status {
  kind: "Status";
  apiVersion: "v1";
  metadata: Record<string, unknown>;
  status: "Failure" | "Success";
  message: string;
  reason: Reason | "";
  details?: StatusDetails;
  code: number;
}

/** The single error class of the project: anything thrown towards a client. */
export class StatusError extends Error {
  readonly reason: Reason;
  readonly code: number;
  readonly details: StatusDetails | undefined;

  constructor(reason: Reason, message: string, details?: StatusDetails, code?: number) {
    super(message);
    this.name = "StatusError";
    this.reason = reason;
    this.code = code ?? reasonCodes[reason];
    this.details = details;
  }

  toStatus(): Status {
    const status: Status = {
      kind: "Status",
      apiVersion: "v1",
      metadata: {},
      status: "Failure",
      message: this.message,
      reason: this.reason,
      code: this.code,
    };
    if (this.details && Object.keys(this.details).length > 0) status.details = this.details;
    return status;
  }
}

/** Turns anything thrown into a StatusError (unknown errors become InternalError). */
export function toStatusError(err: unknown): StatusError {
  if (err instanceof StatusError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new StatusError("InternalError", `Internal error occurred: ${message}`, {
    causes: [{ message }],
  });
}

/** Identifies a resource in messages: `deployments.apps`, `pods`. */
export interface QualifiedResource {
  group: string;
  resource: string;
}

function qualified(r: QualifiedResource): string {
  return r.group ? `${r.resource}.${r.group}` : r.resource;
}

export function notFound(r: QualifiedResource, name: string): StatusError {
  return new StatusError("NotFound", `${qualified(r)} "${name}" not found`, {
    name,
    group: r.group || undefined,
    kind: r.resource,
  });
}

export function alreadyExists(r: QualifiedResource, name: string): StatusError {
  return new StatusError("AlreadyExists", `${qualified(r)} "${name}" already exists`, {
    name,
    group: r.group || undefined,
    kind: r.resource,
  });
}

export function conflict(r: QualifiedResource, name: string, why: string): StatusError {
  return new StatusError(
    "Conflict",
    `Operation cannot be fulfilled on ${qualified(r)} "${name}": ${why}`,
    { name, group: r.group || undefined, kind: r.resource },
  );
}

export function badRequest(message: string): StatusError {
  return new StatusError("BadRequest", message);
}

export function methodNotAllowed(verb: string, r: QualifiedResource): StatusError {
  return new StatusError(
    "MethodNotAllowed",
    `the server does not allow this method on the requested resource`,
    { group: r.group || undefined, kind: r.resource },
  );
}

export function forbidden(r: QualifiedResource, name: string, why: string): StatusError {
  const what = name ? `${qualified(r)} "${name}"` : qualified(r);
  return new StatusError("Forbidden", `${what} is forbidden: ${why}`, {
    name: name || undefined,
    group: r.group || undefined,
    kind: r.resource,
  });
}

export function gone(message: string): StatusError {
  return new StatusError("Expired", message);
}

export function internal(message: string): StatusError {
  return new StatusError("InternalError", `Internal error occurred: ${message}`, {
    causes: [{ message }],
  });
}

// ---------------------------------------------------------------------------
// Field errors (k8s.io/apimachinery/pkg/util/validation/field)

/** The `reason` of a field cause, as upstream's CauseType strings. */
export type FieldErrorType =
  | "FieldValueNotFound"
  | "FieldValueRequired"
  | "FieldValueDuplicate"
  | "FieldValueInvalid"
  | "FieldValueNotSupported"
  | "FieldValueForbidden"
  | "FieldValueTooLong"
  | "FieldValueTooMany"
  | "InternalError"
  | "FieldValueTypeInvalid";

const typeText: Record<FieldErrorType, string> = {
  FieldValueNotFound: "Not found",
  FieldValueRequired: "Required value",
  FieldValueDuplicate: "Duplicate value",
  FieldValueInvalid: "Invalid value",
  FieldValueNotSupported: "Unsupported value",
  FieldValueForbidden: "Forbidden",
  FieldValueTooLong: "Too long",
  FieldValueTooMany: "Too many",
  InternalError: "Internal error",
  FieldValueTypeInvalid: "Invalid value",
};

/** Types whose message does not repeat the offending value. */
const omitsValue = new Set<FieldErrorType>([
  "FieldValueRequired",
  "FieldValueForbidden",
  "FieldValueTooLong",
  "FieldValueTooMany",
  "InternalError",
]);

/** One validation failure at a field path such as `spec.containers[0].image`. */
export interface FieldError {
  type: FieldErrorType;
  field: string;
  value?: unknown;
  detail?: string;
}

function renderValue(v: unknown): string {
  if (typeof v === "string") return JSON.stringify(v);
  if (v === undefined || v === null) return "null";
  if (typeof v === "number" || typeof v === "boolean" || typeof v === "bigint") return String(v);
  try {
    return JSON.stringify(v);
  } catch {
    return String(v);
  }
}

/** A field error value that is left out of the message (upstream's field.OmitValueType). */
export const omitValue: unique symbol = Symbol("omitValue");

/** The part of the message after `field: `, e.g. `Invalid value: "x": must be ...`. */
export function fieldErrorBody(e: FieldError): string {
  let s = typeText[e.type];
  if (!omitsValue.has(e.type) && e.value !== omitValue) s += `: ${renderValue(e.value)}`;
  if (e.detail) s += `: ${e.detail}`;
  return s;
}

export function fieldErrorString(e: FieldError): string {
  return e.field ? `${e.field}: ${fieldErrorBody(e)}` : fieldErrorBody(e);
}

/** Builders for field errors; `field` is a dotted path with [i] / [key] indices. */
export const fieldErr = {
  required: (field: string, detail = ""): FieldError => ({ type: "FieldValueRequired", field, detail }),
  invalid: (field: string, value: unknown, detail = ""): FieldError => ({
    type: "FieldValueInvalid",
    field,
    value,
    detail,
  }),
  notSupported: (field: string, value: unknown, supported: readonly string[]): FieldError => ({
    type: "FieldValueNotSupported",
    field,
    value,
    detail: supported.length ? `supported values: ${supported.map((s) => JSON.stringify(s)).join(", ")}` : "",
  }),
  forbidden: (field: string, detail: string): FieldError => ({ type: "FieldValueForbidden", field, detail }),
  duplicate: (field: string, value: unknown): FieldError => ({ type: "FieldValueDuplicate", field, value }),
  notFound: (field: string, value: unknown): FieldError => ({ type: "FieldValueNotFound", field, value }),
  tooLong: (field: string, max: number): FieldError => ({
    type: "FieldValueTooLong",
    field,
    detail: `may not be more than ${max} bytes`,
  }),
  tooMany: (field: string, actual: number, max: number): FieldError => ({
    type: "FieldValueTooMany",
    field,
    detail: `must have at most ${max} items`,
    value: actual,
  }),
  typeInvalid: (field: string, value: unknown, detail: string): FieldError => ({
    type: "FieldValueTypeInvalid",
    field,
    value,
    detail,
  }),
};

/**
 * The 422 Invalid error for a kind/name with its field errors, rendered as
 * upstream: `Kind "name" is invalid: [a, b]` (no brackets for a single error).
 */
export function invalid(
  kind: string,
  group: string,
  name: string,
  errs: readonly FieldError[],
): StatusError {
  const causes = errs.map((e) => ({ reason: e.type, message: fieldErrorBody(e), field: e.field }));
  const parts = errs.map(fieldErrorString);
  const body = parts.length === 1 ? parts[0] : `[${parts.join(", ")}]`;
  return new StatusError("Invalid", `${kind}${group ? "." + group : ""} "${name}" is invalid: ${body}`, {
    name,
    group: group || undefined,
    kind,
    causes,
  });
}
