/**
 * certificates.k8s.io/v1 CertificateSigningRequest validation, as upstream:
 * spec.request a PEM "CERTIFICATE REQUEST" (base64 in JSON), usages required,
 * known and unique, signerName a `domain/path` qualified name,
 * expirationSeconds >= 600; conditions typed, Approved/Denied/Failed only
 * "True", no duplicates, Approved and Denied exclusive; status.certificate
 * only CERTIFICATE PEM blocks. Updates may not remove Approved/Denied/Failed
 * conditions; only the approval subresource changes Approved/Denied and only
 * the status subresource sets the certificate (once).
 *
 * The request is checked structurally here (PEM block, DER framing); the
 * registry parses it fully and checks its signature on create (the X.509
 * library is loaded lazily, and validation is synchronous).
 */
import { fieldErr, type FieldError } from "../../machinery/errors.ts";
import { deepEqual, isDNS1123Subdomain, validateObjectMeta, validateObjectMetaUpdate } from "../../machinery/validation.ts";
import type { KObject } from "../types.ts";
import { arr, obj, str } from "./common.ts";

/** Every key usage upstream accepts, sorted. */
export const allKeyUsages = [
  "any",
  "cert sign",
  "client auth",
  "code signing",
  "content commitment",
  "crl sign",
  "data encipherment",
  "decipher only",
  "digital signature",
  "email protection",
  "encipher only",
  "ipsec end system",
  "ipsec tunnel",
  "ipsec user",
  "key agreement",
  "key encipherment",
  "microsoft sgc",
  "netscape sgc",
  "ocsp signing",
  "s/mime",
  "server auth",
  "signing",
  "timestamping",
] as const;

const trueOnlyTypes = new Set(["Approved", "Denied", "Failed"]);

/** One PEM block: its type and DER bytes. */
export interface PemBlock {
  type: string;
  der: Buffer;
}

/** Decodes the PEM blocks of `text` (headers not allowed; undefined entries skipped). */
export function pemBlocks(text: string): PemBlock[] {
  const out: PemBlock[] = [];
  const re = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n([\s\S]*?)-----END \1-----/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const body = m[2];
    if (body.includes(":")) throw new Error("no PEM block headers are permitted");
    out.push({ type: m[1], der: Buffer.from(body.replace(/\s+/g, ""), "base64") });
  }
  return out;
}

/** True when `der` is one complete DER SEQUENCE (the outer framing of certificates and CSRs). */
export function isDerSequence(der: Buffer): boolean {
  if (der.length < 2 || der[0] !== 0x30) return false;
  let len = der[1];
  let off = 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4 || der.length < 2 + n) return false;
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + der[2 + i];
    off = 2 + n;
  }
  return off + len === der.length;
}

/** Base64 field (`[]byte` in Go) to text; undefined when not a string. */
export function bytesField(v: unknown): string | undefined {
  return typeof v === "string" ? Buffer.from(v, "base64").toString("latin1") : undefined;
}

/** The structural problem of a CSR PEM, or "" when it looks like one. */
export function csrPemProblem(pem: string): string {
  let blocks: PemBlock[];
  try {
    blocks = pemBlocks(pem);
  } catch (err) {
    return (err as Error).message;
  }
  const b = blocks[0];
  if (!b || b.type !== "CERTIFICATE REQUEST") return "PEM block type must be CERTIFICATE REQUEST";
  if (!isDerSequence(b.der)) return "asn1: structure error: malformed certificate request";
  return "";
}

function certificateProblem(pem: string): string {
  if (pem === "") return "";
  let blocks: PemBlock[];
  try {
    blocks = pemBlocks(pem);
  } catch (err) {
    return (err as Error).message;
  }
  if (!blocks.length) return "must contain at least one CERTIFICATE PEM block";
  for (const b of blocks) {
    if (b.type !== "CERTIFICATE") return `only CERTIFICATE PEM blocks are allowed, found "${b.type}"`;
    if (!isDerSequence(b.der)) return "x509: malformed certificate";
  }
  return "";
}

/** Upstream's signer name rule: `<DNS subdomain>/<path>`. */
export function validateSignerName(name: unknown, path: string): FieldError[] {
  const s = str(name);
  if (!s) return [fieldErr.required(path, "")];
  const slash = s.indexOf("/");
  const msg = "must be a fully qualified domain and path of the form 'example.com/signer-name'";
  if (slash <= 0 || slash === s.length - 1) return [fieldErr.invalid(path, s, msg)];
  const domain = s.slice(0, slash);
  const rest = s.slice(slash + 1);
  const errs: FieldError[] = [];
  for (const m of isDNS1123Subdomain(domain)) errs.push(fieldErr.invalid(path, s, `${msg}: ${m}`));
  if (domain.length > 253) errs.push(fieldErr.tooLong(path, 253));
  if (rest.length > 571 || /[^A-Za-z0-9._/-]/.test(rest) || rest.split("/").some((p) => p === "")) {
    errs.push(fieldErr.invalid(path, s, `${msg}: validating path segment: must consist of alphanumeric characters, '-', '_', '.' or '/'`));
  }
  return errs;
}

interface Options {
  allowSettingApproval: boolean;
  allowSettingCertificate: boolean;
  /** Tolerate content already stored (on updates). */
  old?: KObject;
}

function conditions(o: KObject): { type?: string; status?: string }[] {
  return arr(o.status?.conditions).map((c) => obj(c));
}

function validateConditions(csr: KObject, old: KObject | undefined): FieldError[] {
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  let approved = false;
  let denied = false;
  const oldBoth = old ? conditions(old).some((c) => c.type === "Approved") && conditions(old).some((c) => c.type === "Denied") : false;
  conditions(csr).forEach((c, i) => {
    const p = `status.conditions[${i}]`;
    const type = str(c.type);
    if (!type) errs.push(fieldErr.required(`${p}.type`, ""));
    const allowed = trueOnlyTypes.has(type) ? ["True"] : ["False", "True", "Unknown"];
    if (!c.status) errs.push(fieldErr.required(`${p}.status`, ""));
    else if (!allowed.includes(str(c.status))) errs.push(fieldErr.notSupported(`${p}.status`, c.status, allowed));
    if (!oldBoth) {
      if (type === "Approved") {
        approved = true;
        if (denied) errs.push(fieldErr.invalid(`${p}.type`, type, "Approved and Denied conditions are mutually exclusive"));
      } else if (type === "Denied") {
        denied = true;
        if (approved) errs.push(fieldErr.invalid(`${p}.type`, type, "Approved and Denied conditions are mutually exclusive"));
      }
    }
    if (seen.has(type)) errs.push(fieldErr.duplicate(`${p}.type`, type));
    seen.add(type);
  });
  return errs;
}

function validateCsr(csr: KObject, o: Options): FieldError[] {
  const errs = validateObjectMeta(csr.metadata, false, () => []);
  const spec = obj(csr.spec);
  const pem = bytesField(spec.request);
  if (o.old === undefined || spec.request !== o.old.spec?.request) {
    const problem = pem === undefined ? "PEM block type must be CERTIFICATE REQUEST" : csrPemProblem(pem);
    if (problem) errs.push(fieldErr.invalid("spec.request", spec.request ?? "", problem));
  }
  const usages = arr(spec.usages);
  if (!usages.length) errs.push(fieldErr.required("spec.usages", ""));
  const seen = new Set<string>();
  usages.forEach((u, i) => {
    if (!(allKeyUsages as readonly string[]).includes(u)) errs.push(fieldErr.notSupported(`spec.usages[${i}]`, u, allKeyUsages));
    if (seen.has(u)) errs.push(fieldErr.duplicate(`spec.usages[${i}]`, u));
    seen.add(u);
  });
  if (spec.signerName === "kubernetes.io/legacy-unknown" && o.old?.spec?.signerName !== spec.signerName) {
    errs.push(fieldErr.invalid("spec.signerName", spec.signerName, "the legacy signerName is not allowed via this API version"));
  } else errs.push(...validateSignerName(spec.signerName, "spec.signerName"));
  if (spec.expirationSeconds !== undefined && spec.expirationSeconds !== null) {
    if (!Number.isInteger(spec.expirationSeconds)) errs.push(fieldErr.invalid("spec.expirationSeconds", spec.expirationSeconds, "must be an integer"));
    else if (spec.expirationSeconds < 600) {
      errs.push(fieldErr.invalid("spec.expirationSeconds", spec.expirationSeconds, "may not specify a duration less than 600 seconds (10 minutes)"));
    }
  }
  errs.push(...validateConditions(csr, o.old));
  const cert = csr.status?.certificate;
  if (cert !== undefined && cert !== null && (o.old === undefined || cert !== o.old.status?.certificate)) {
    const problem = certificateProblem(bytesField(cert) ?? "");
    if (problem) errs.push(fieldErr.invalid("status.certificate", "<certificate data>", problem));
  }
  return errs;
}

function byType(o: KObject, t: string): unknown[] {
  return conditions(o).filter((c) => c.type === t);
}

function validateCsrUpdate(csr: KObject, old: KObject, o: Options): FieldError[] {
  const errs = validateCsr(csr, { ...o, old });
  for (const t of ["Approved", "Denied", "Failed"]) {
    if (byType(csr, t).length < byType(old, t).length) errs.push(fieldErr.forbidden("status.conditions", `updates may not remove a condition of type "${t}"`));
  }
  if (!o.allowSettingApproval) {
    for (const t of ["Approved", "Denied"]) {
      const n = byType(csr, t);
      const p = byType(old, t);
      if (n.length > p.length) errs.push(fieldErr.forbidden("status.conditions", `updates may not add a condition of type "${t}"`));
      else if (n.length === p.length && !deepEqual(n, p)) errs.push(fieldErr.forbidden("status.conditions", `updates may not modify a condition of type "${t}"`));
    }
  }
  const nc = str(csr.status?.certificate);
  const oc = str(old.status?.certificate);
  if (nc !== oc) {
    if (!o.allowSettingCertificate) errs.push(fieldErr.forbidden("status.certificate", "updates may not set certificate content"));
    else if (oc) errs.push(fieldErr.forbidden("status.certificate", "updates may not modify existing certificate content"));
  }
  return [...errs, ...validateObjectMetaUpdate(csr.metadata, old.metadata)];
}

/** A new CSR (after the registry filled spec.username/groups/uid). */
export function validateCertificateSigningRequest(csr: KObject): FieldError[] {
  return validateCsr(csr, { allowSettingApproval: false, allowSettingCertificate: false });
}

/** An update of the main resource (the registry keeps spec and status). */
export function validateCertificateSigningRequestUpdate(csr: KObject, old: KObject): FieldError[] {
  return validateCsrUpdate(csr, old, { allowSettingApproval: false, allowSettingCertificate: false });
}

/** An update through the status subresource: may set status.certificate once. */
export function validateCertificateSigningRequestStatusUpdate(csr: KObject, old: KObject): FieldError[] {
  return validateCsrUpdate(csr, old, { allowSettingApproval: false, allowSettingCertificate: true });
}

/** An update through the approval subresource: may add Approved/Denied conditions. */
export function validateCertificateSigningRequestApprovalUpdate(csr: KObject, old: KObject): FieldError[] {
  return validateCsrUpdate(csr, old, { allowSettingApproval: true, allowSettingCertificate: false });
}
