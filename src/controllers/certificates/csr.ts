/**
 * What the certificate controllers share: CSR conditions (approved, denied,
 * failed, issued), the parsed request (subject and subject alternative
 * names, through the lazily loaded X.509 library), and upstream's signer
 * rules for the well-known kubernetes.io signers.
 */
import type { KObject } from "../../api/types.ts";
import { x509 } from "../../machinery/certs.ts";

export const kubeletClientSigner = "kubernetes.io/kube-apiserver-client-kubelet";
export const apiserverClientSigner = "kubernetes.io/kube-apiserver-client";
export const kubeletServingSigner = "kubernetes.io/kubelet-serving";
export const nodeUserPrefix = "system:node:";
export const nodesGroup = "system:nodes";

type Condition = { type?: string; status?: string };

function conditionsOf(csr: KObject): Condition[] {
  return Array.isArray(csr.status?.conditions) ? (csr.status.conditions as Condition[]) : [];
}

export function hasCondition(csr: KObject, type: string): boolean {
  return conditionsOf(csr).some((c) => c?.type === type && c.status !== "False");
}

export const isApproved = (csr: KObject): boolean => hasCondition(csr, "Approved") && !hasCondition(csr, "Denied");
export const isDenied = (csr: KObject): boolean => hasCondition(csr, "Denied");
export const isFailed = (csr: KObject): boolean => hasCondition(csr, "Failed");
export const isIssued = (csr: KObject): boolean => typeof csr.status?.certificate === "string" && csr.status.certificate !== "";

/** The parts of a PKCS#10 request the controllers look at. */
export interface ParsedRequest {
  commonName: string;
  organizations: string[];
  dnsNames: string[];
  ips: string[];
  emails: string[];
  uris: string[];
  /** The library object (public key, extensions) for signing. */
  raw: InstanceType<Awaited<ReturnType<typeof x509>>["Pkcs10CertificateRequest"]>;
}

/** Parses spec.request (base64 of a PEM CSR); throws with a readable message. */
export async function parseRequest(csr: KObject): Promise<ParsedRequest> {
  const x = await x509();
  const pem = Buffer.from(String(csr.spec?.request ?? ""), "base64").toString("latin1");
  if (!pem.includes("-----BEGIN CERTIFICATE REQUEST-----")) throw new Error("PEM block type must be CERTIFICATE REQUEST");
  const raw = new x.Pkcs10CertificateRequest(pem);
  const out: ParsedRequest = {
    commonName: raw.subjectName.getField("CN")[0] ?? "",
    organizations: raw.subjectName.getField("O"),
    dnsNames: [],
    ips: [],
    emails: [],
    uris: [],
    raw,
  };
  const ext = raw.extensions.find((e) => e.type === "2.5.29.17");
  const san = ext ? new x.SubjectAlternativeNameExtension(ext.rawData) : undefined;
  for (const n of san?.names.items ?? []) {
    if (n.type === "dns") out.dnsNames.push(n.value);
    else if (n.type === "ip") out.ips.push(n.value);
    else if (n.type === "email") out.emails.push(n.value);
    else if (n.type === "url") out.uris.push(n.value);
  }
  return out;
}

function sameSet(a: string[], b: string[]): boolean {
  const s = new Set(a);
  return s.size === a.length && a.length === b.length && b.every((x) => s.has(x));
}

function subset(a: string[], allowed: string[]): boolean {
  return a.every((x) => allowed.includes(x));
}

function usagesOf(csr: KObject): string[] {
  return Array.isArray(csr.spec?.usages) ? (csr.spec.usages as string[]) : [];
}

/**
 * Upstream's kubelet client CSR rules: O exactly system:nodes, CN
 * system:node:<name>, no SANs, usages exactly {digital signature, client
 * auth} (key encipherment also allowed). Returns the problem or "".
 */
export function kubeletClientProblem(csr: KObject, req: ParsedRequest): string {
  if (!sameSet(req.organizations, [nodesGroup])) return `subject organization is not ${nodesGroup}`;
  if (!req.commonName.startsWith(nodeUserPrefix) || req.commonName === nodeUserPrefix) return `subject common name does not begin with ${nodeUserPrefix}`;
  if (req.dnsNames.length || req.ips.length || req.emails.length || req.uris.length) return "subject alternative names are not allowed";
  const u = usagesOf(csr);
  if (!sameSet(u, ["digital signature", "client auth"]) && !sameSet(u, ["digital signature", "key encipherment", "client auth"])) {
    return `usages did not match [digital signature client auth] or [digital signature key encipherment client auth]`;
  }
  return "";
}

/** Upstream's kubelet serving CSR rules (O system:nodes, CN system:node:*, DNS/IP SANs only, server auth). */
export function kubeletServingProblem(csr: KObject, req: ParsedRequest): string {
  if (!sameSet(req.organizations, [nodesGroup])) return `subject organization is not ${nodesGroup}`;
  if (!req.commonName.startsWith(nodeUserPrefix)) return `subject common name does not begin with ${nodeUserPrefix}`;
  if (req.emails.length || req.uris.length) return "email and URI subjectAltName extensions are forbidden";
  if (!req.dnsNames.length && !req.ips.length) return "DNS or IP subjectAltName is required";
  const u = usagesOf(csr);
  if (!subset(u, ["digital signature", "key encipherment", "server auth"]) || !u.includes("server auth")) {
    return "usages did not match [digital signature key encipherment server auth]";
  }
  return "";
}

/** Upstream's kube-apiserver-client rules: client auth, and only signature/encipherment besides. */
export function apiserverClientProblem(csr: KObject): string {
  const u = usagesOf(csr);
  if (!u.includes("client auth") || !subset(u, ["digital signature", "key encipherment", "client auth"])) {
    return "invalid usage for client certificate: usages must include client auth and may include only digital signature and key encipherment";
  }
  return "";
}
