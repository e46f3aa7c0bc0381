/**
 * Key pairs and PKCS#10 certificate signing requests for node credentials:
 * an ECDSA P-256 key (webcrypto) and a CSR carrying the subject (and
 * optional DNS/IP subject alternative names), both PEM.
 */
import { webcrypto } from "node:crypto";
import { x509 } from "../machinery/certs.ts";
import { runIsolated } from "../machinery/isolated.ts";

const alg = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;

export interface CsrSubject {
  commonName: string;
  organizations?: string[];
  dnsNames?: string[];
  ips?: string[];
}

function toPem(der: ArrayBuffer, label: string): string {
  const b64 = Buffer.from(der).toString("base64").replace(/(.{64})/g, "$1\n").replace(/\n$/, "");
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`;
}

function escapeDn(v: string): string {
  return v.replace(/([,+"\\<>;=])/g, "\\$1");
}

/** A fresh private key (PKCS#8 PEM) and a CSR for `subject` signed with it. */
/** createCertificateRequest on a short-lived worker thread (the X.509 library is not kept loaded by the agent). */
export function createCertificateRequestIsolated(subject: CsrSubject): Promise<{ csrPem: string; keyPem: string }> {
  return runIsolated(import.meta.url, "createCertificateRequest", [subject]);
}

export async function createCertificateRequest(subject: CsrSubject): Promise<{ csrPem: string; keyPem: string }> {
  const x = await x509();
  const keys = (await webcrypto.subtle.generateKey(alg, true, ["sign", "verify"])) as webcrypto.CryptoKeyPair;
  const name = [...(subject.organizations ?? []).map((o) => `O=${escapeDn(o)}`), `CN=${escapeDn(subject.commonName)}`].join(", ");
  const names = [
    ...(subject.dnsNames ?? []).map((value) => ({ type: "dns" as const, value })),
    ...(subject.ips ?? []).map((value) => ({ type: "ip" as const, value })),
  ];
  const csr = await x.Pkcs10CertificateRequestGenerator.create({
    name,
    keys,
    signingAlgorithm: alg,
    extensions: names.length ? [new x.SubjectAlternativeNameExtension(names)] : [],
  });
  return { csrPem: csr.toString("pem"), keyPem: toPem(await webcrypto.subtle.exportKey("pkcs8", keys.privateKey), "PRIVATE KEY") };
}
