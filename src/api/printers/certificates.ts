/**
 * Table of certificates.k8s.io CertificateSigningRequests, as upstream
 * prints them: Name, Age, SignerName, Requestor, RequestedDuration,
 * Condition (Pending / Approved / Denied, then ",Failed" and ",Issued").
 */
import type { KObject } from "../types.ts";
import { age, humanDuration, str } from "./format.ts";
import { col, nameCol, ageCol, type Printer } from "./types.ts";

/** The Condition cell: Denied wins over Approved, else Pending; then Failed and Issued. */
export function csrCondition(o: KObject): string {
  const types = new Set(((o.status?.conditions ?? []) as { type?: string }[]).map((c) => c?.type));
  let s = types.has("Denied") ? "Denied" : types.has("Approved") ? "Approved" : "Pending";
  if (types.has("Failed")) s += ",Failed";
  if (o.status?.certificate) s += ",Issued";
  return s;
}

/** CertificateSigningRequest: Name, Age, SignerName, Requestor, RequestedDuration, Condition. */
export const certificateSigningRequestPrinter: Printer = {
  columns: [
    nameCol(),
    ageCol(),
    col("SignerName", "string", "Only one signer can sign a given certificate signing request."),
    col("Requestor", "string", "Name of the user that created the request."),
    col("RequestedDuration", "string", "Requested duration of the issued certificate."),
    col("Condition", "string", "Approval and issuance state of the request."),
  ],
  cells: (o, now) => [
    str(o.metadata.name),
    age(o, now),
    str(o.spec?.signerName),
    str(o.spec?.username),
    typeof o.spec?.expirationSeconds === "number" ? humanDuration(o.spec.expirationSeconds * 1000) : "<none>",
    csrCondition(o),
  ],
};
