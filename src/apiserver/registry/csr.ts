/**
 * CertificateSigningRequest strategy (certificates.k8s.io/v1), as upstream's
 * registry: on create the requester's identity is recorded in
 * spec.username/uid/groups (whatever the client sent) and the request is
 * parsed and its signature checked; updates of the main resource keep spec
 * and status; the approval subresource changes only status.conditions; status
 * and approval writes stamp condition times.
 */
import type { KObject } from "../../api/types.ts";
import { bytesField, csrPemProblem } from "../../api/validation/certificates.ts";
import { invalid } from "../../machinery/errors.ts";
import type { UserInfo } from "../authn/types.ts";
import { clone, nowTimestamp } from "./objects.ts";
import { x509 } from "../../machinery/certs.ts";

export const csrKind = "CertificateSigningRequest";

/**
 * Prepares a new CSR: records the requester, drops client-set status, and
 * (when the request is structurally a CSR PEM) parses it and verifies its
 * self-signature, failing with 422 as upstream does.
 */
export async function prepareCsrForCreate(csr: KObject, user: UserInfo | undefined): Promise<void> {
  if (csr.spec === null || typeof csr.spec !== "object" || Array.isArray(csr.spec)) csr.spec = {};
  const spec = csr.spec;
  spec.username = user?.name ?? "";
  if (user?.uid) spec.uid = user.uid;
  else delete spec.uid;
  if (user?.groups.length) spec.groups = [...user.groups];
  else delete spec.groups;
  delete spec.extra;
  csr.status = {};
  const pem = bytesField(spec.request);
  if (pem === undefined || csrPemProblem(pem)) return;
  const x = await x509();
  let ok = false;
  let detail = "x509: invalid signature on the certificate request";
  try {
    ok = await new x.Pkcs10CertificateRequest(pem).verify();
  } catch (err) {
    detail = `asn1: structure error: ${(err as Error).message}`;
  }
  if (!ok) throw invalid(csrKind, "certificates.k8s.io", csr.metadata.name ?? "", [{ type: "FieldValueInvalid", field: "spec.request", value: spec.request, detail }]);
}

type Condition = { type?: string; status?: string; lastUpdateTime?: string; lastTransitionTime?: string };

/** Upstream's populateConditionTimestamps: fills missing lastUpdateTime / lastTransitionTime. */
function stampConditions(csr: KObject, old: KObject): void {
  const now = nowTimestamp();
  const before = (old.status?.conditions ?? []) as Condition[];
  for (const c of (csr.status?.conditions ?? []) as Condition[]) {
    if (!c || typeof c !== "object") continue;
    if (!c.lastUpdateTime) c.lastUpdateTime = now;
    if (!c.lastTransitionTime) {
      const prev = before.find((p) => p.type === c.type);
      c.lastTransitionTime = prev && prev.status === c.status && prev.lastTransitionTime ? prev.lastTransitionTime : now;
    }
  }
}

/**
 * Adjusts `desired` for an update of `current`: "main" keeps the stored spec
 * (status is kept by the generic status-subresource rule); "status" keeps the
 * spec; "approval" keeps everything but status.conditions.
 */
export function prepareCsrForUpdate(mode: "main" | "status" | "approval", desired: KObject, current: KObject, submitted: KObject): void {
  desired.spec = clone(current.spec ?? {});
  if (mode === "main") return;
  if (mode === "approval") desired.status = { ...clone(current.status ?? {}), conditions: submitted.status?.conditions };
  if (desired.status?.conditions === undefined || desired.status?.conditions === null) delete desired.status?.conditions;
  stampConditions(desired, current);
}
