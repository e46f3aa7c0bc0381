/**
 * The CSR signing controller ("csrsigning"), as upstream's kube-controller-
 * manager signer: approved, not yet issued (nor failed) requests for
 * kubernetes.io/kube-apiserver-client-kubelet, kubernetes.io/kube-apiserver-client
 * and kubernetes.io/kubelet-serving are signed with the cluster CA
 * (--cluster-signing-cert-file / --cluster-signing-key-file, re-read when
 * the files change) and the certificate is written to status.certificate.
 * Requests breaking the signer's rules get a Failed condition
 * (SignerValidationFailure). The lifetime is spec.expirationSeconds (at least
 * 10 minutes) capped by --cluster-signing-duration and by the CA's own
 * expiry; notBefore is backdated 5 minutes for clock skew, as upstream.
 */
import { webcrypto } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import { findResource } from "../../api/resources.ts";
import type { KObject } from "../../api/types.ts";
import { isConflict, isNotFound, runWorkers, WorkQueue, type Informer, type ReconcileResult } from "../../client/index.ts";
import { x509, type KeyPair } from "../../machinery/certs.ts";
import type { Controller, ControllerContext, ControllerFactory } from "../types.ts";
import {
  apiserverClientProblem,
  apiserverClientSigner,
  isApproved,
  isFailed,
  isIssued,
  kubeletClientProblem,
  kubeletClientSigner,
  kubeletServingProblem,
  kubeletServingSigner,
  parseRequest,
  type ParsedRequest,
} from "./csr.ts";

const csrsRes = findResource("certificates.k8s.io", "v1", "certificatesigningrequests")!;
const knownSigners = new Set([kubeletClientSigner, apiserverClientSigner, kubeletServingSigner]);
const backdateMs = 5 * 60 * 1000;

const keyUsageBits: Record<string, number> = {
  signing: 1,
  "digital signature": 1,
  "content commitment": 2,
  "key encipherment": 4,
  "data encipherment": 8,
  "key agreement": 16,
  "cert sign": 32,
  "crl sign": 64,
  "encipher only": 128,
  "decipher only": 256,
};

const extKeyUsageOids: Record<string, string> = {
  any: "2.5.29.37.0",
  "server auth": "1.3.6.1.5.5.7.3.1",
  "client auth": "1.3.6.1.5.5.7.3.2",
  "code signing": "1.3.6.1.5.5.7.3.3",
  "email protection": "1.3.6.1.5.5.7.3.4",
  "s/mime": "1.3.6.1.5.5.7.3.4",
  "ipsec end system": "1.3.6.1.5.5.7.3.5",
  "ipsec tunnel": "1.3.6.1.5.5.7.3.6",
  "ipsec user": "1.3.6.1.5.5.7.3.7",
  timestamping: "1.3.6.1.5.5.7.3.8",
  "ocsp signing": "1.3.6.1.5.5.7.3.9",
  "microsoft sgc": "1.3.6.1.4.1.311.10.3.3",
  "netscape sgc": "2.16.840.1.113730.4.1",
};

/** The signer's rule violation for `csr`, or "" when it may be signed. */
export function signerProblem(csr: KObject, req: ParsedRequest): string {
  switch (csr.spec?.signerName) {
    case kubeletClientSigner:
      return kubeletClientProblem(csr, req);
    case kubeletServingSigner:
      return kubeletServingProblem(csr, req);
    case apiserverClientSigner:
      return apiserverClientProblem(csr);
    default:
      return "unknown signer";
  }
}

type SignAlg = { name: string; hash: string };
type ImportAlg = { name: string; namedCurve?: string; hash?: string };

async function importSigningKey(pem: string): Promise<{ key: webcrypto.CryptoKey; alg: SignAlg }> {
  const der = Buffer.from(pem.replace(/-----[^-]+-----/g, "").replace(/\s+/g, ""), "base64");
  const tries: [ImportAlg, SignAlg][] = [
    [{ name: "ECDSA", namedCurve: "P-256" }, { name: "ECDSA", hash: "SHA-256" }],
    [{ name: "ECDSA", namedCurve: "P-384" }, { name: "ECDSA", hash: "SHA-384" }],
    [{ name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" }, { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" }],
  ];
  for (const [imp, alg] of tries) {
    try {
      return { key: await webcrypto.subtle.importKey("pkcs8", der, imp as webcrypto.EcKeyImportParams, false, ["sign"]), alg };
    } catch {
      // try the next algorithm
    }
  }
  throw new Error("cluster signing key: unsupported key (want a PKCS#8 ECDSA P-256/P-384 or RSA key)");
}

/**
 * Signs the request in `csr` with `ca`: subject and SANs from the request,
 * key usages from spec.usages, lifetime as described in the module comment.
 * Returns the certificate PEM.
 */
export async function signRequest(ca: KeyPair, csr: KObject, maxDurationSeconds: number, now = Date.now()): Promise<string> {
  const x = await x509();
  const req = await parseRequest(csr);
  const caCert = new x.X509Certificate(ca.cert);
  const { key, alg } = await importSigningKey(ca.key);
  const usages: string[] = csr.spec?.usages ?? [];
  let bits = 0;
  for (const u of usages) bits |= keyUsageBits[u] ?? 0;
  const ekus = [...new Set(usages.map((u) => extKeyUsageOids[u]).filter(Boolean))];
  const requested = typeof csr.spec?.expirationSeconds === "number" ? Math.max(600, csr.spec.expirationSeconds) : maxDurationSeconds;
  const lifetime = Math.min(requested, maxDurationSeconds) * 1000;
  const notAfter = Math.min(now + lifetime, caCert.notAfter.getTime());
  const extensions: InstanceType<typeof x.Extension>[] = [new x.BasicConstraintsExtension(false, undefined, true)];
  if (bits) extensions.push(new x.KeyUsagesExtension(bits, true));
  if (ekus.length) extensions.push(new x.ExtendedKeyUsageExtension(ekus));
  extensions.push(await x.AuthorityKeyIdentifierExtension.create(caCert));
  const names = [
    ...req.dnsNames.map((value) => ({ type: "dns" as const, value })),
    ...req.ips.map((value) => ({ type: "ip" as const, value })),
    ...req.emails.map((value) => ({ type: "email" as const, value })),
    ...req.uris.map((value) => ({ type: "url" as const, value })),
  ];
  if (names.length) extensions.push(new x.SubjectAlternativeNameExtension(names));
  const serial = Buffer.from(webcrypto.getRandomValues(new Uint8Array(16))).toString("hex").replace(/^[89a-f]/, "1");
  const cert = await x.X509CertificateGenerator.create({
    serialNumber: serial,
    subject: req.raw.subjectName.toString(),
    issuer: caCert.subject,
    notBefore: new Date(Math.max(now - backdateMs, caCert.notBefore.getTime())),
    notAfter: new Date(notAfter),
    signingAlgorithm: alg,
    publicKey: req.raw.publicKey,
    signingKey: key as never,
    extensions,
  });
  return cert.toString("pem");
}

/** The signing CA from two PEM files, re-read when either file changes. */
class CaFiles {
  readonly #certFile: string;
  readonly #keyFile: string;
  #stamp = "";
  #ca: KeyPair | undefined;

  constructor(certFile: string, keyFile: string) {
    this.#certFile = certFile;
    this.#keyFile = keyFile;
  }

  /** The current CA; throws when the files cannot be read. */
  load(): KeyPair {
    const a = statSync(this.#certFile);
    const b = statSync(this.#keyFile);
    const stamp = `${a.mtimeMs}:${a.size}:${b.mtimeMs}:${b.size}`;
    if (!this.#ca || stamp !== this.#stamp) {
      this.#ca = { cert: readFileSync(this.#certFile, "utf8"), key: readFileSync(this.#keyFile, "utf8") };
      this.#stamp = stamp;
    }
    return this.#ca;
  }
}

class CsrSigningController implements Controller {
  readonly name = "csrsigning";
  readonly #queue = new WorkQueue<string>();
  #csrs: Informer | undefined;
  #ca: CaFiles | undefined;

  init(ctx: ControllerContext): void {
    const { clusterSigningCertFile: certFile, clusterSigningKeyFile: keyFile } = ctx.settings;
    if (!certFile || !keyFile) {
      ctx.log.child("csrsigning-controller").info("no --cluster-signing-cert-file/--cluster-signing-key-file: not signing certificates");
      return;
    }
    this.#ca = new CaFiles(certFile, keyFile);
    this.#csrs = ctx.informers.informerFor(csrsRes);
    const enqueue = (csr: KObject): void => {
      if (knownSigners.has(csr.spec?.signerName) && isApproved(csr) && !isFailed(csr) && !isIssued(csr)) this.#queue.add(csr.metadata.name!);
    };
    this.#csrs.addEventHandler({ onAdd: enqueue, onUpdate: (_o, n) => enqueue(n) });
  }

  async run(ctx: ControllerContext, signal: AbortSignal): Promise<void> {
    if (!this.#ca) return;
    const log = ctx.log.child("csrsigning-controller");
    await runWorkers(this.#queue, ctx.settings.workers, (key) => this.#sync(ctx, key), (m, f) => log.warn(m, f), signal);
  }

  async #sync(ctx: ControllerContext, name: string): Promise<ReconcileResult | void> {
    const csr = this.#csrs!.lister().get("", name);
    if (!csr || !knownSigners.has(csr.spec?.signerName) || !isApproved(csr) || isFailed(csr) || isIssued(csr)) return;
    const rc = ctx.client.resource(csrsRes);
    const log = ctx.log.child("csrsigning-controller");
    let req: ParsedRequest | undefined;
    let problem = "";
    try {
      req = await parseRequest(csr);
      problem = signerProblem(csr, req);
    } catch (err) {
      problem = `unable to parse csr: ${(err as Error).message}`;
    }
    const status: Record<string, unknown> = { ...(csr.status ?? {}) };
    if (problem) {
      status.conditions = [
        ...((csr.status?.conditions ?? []) as unknown[]),
        { type: "Failed", status: "True", reason: "SignerValidationFailure", message: problem },
      ];
      log.info("refusing to sign certificate signing request", { csr: name, reason: problem });
    } else {
      const pem = await signRequest(this.#ca!.load(), csr, ctx.settings.clusterSigningDurationSeconds);
      status.certificate = Buffer.from(pem).toString("base64");
    }
    try {
      await rc.updateStatus("", { ...csr, status });
      if (!problem) log.info("signed certificate signing request", { csr: name, signer: csr.spec?.signerName });
    } catch (err) {
      if (isNotFound(err)) return;
      if (isConflict(err)) return { requeueAfterMs: 100 };
      throw err;
    }
  }
}

/** Builds the CSR signing controller. */
export const csrSigningController: ControllerFactory = () => new CsrSigningController();
