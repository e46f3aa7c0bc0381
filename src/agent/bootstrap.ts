/**
 * Node TLS bootstrap, as upstream's kubelet does it with a bootstrap token
 * (and k3s with its join token): no admin credentials ever reach the node.
 *  1. Reuse `<dir>/kubelet.kubeconfig` when it holds a still-valid client
 *     certificate for system:node:<nodeName> issued by the pinned CA.
 *  2. Otherwise fetch the cluster CA from `<server>/cacerts` (the only call
 *     without server verification) and check its sha256 against the join
 *     token's hash; refuse on mismatch.
 *  3. Generate an ECDSA key, send a CertificateSigningRequest (CN
 *     system:node:<nodeName>, O system:nodes, signer
 *     kubernetes.io/kube-apiserver-client-kubelet) authenticated by the
 *     bootstrap token, wait (bounded) until it is approved and signed.
 *  4. Write the kubeconfig (CA, certificate, key; mode 0600).
 */
import { X509Certificate } from "node:crypto";
import { existsSync, mkdirSync } from "node:fs";
import { request } from "node:https";
import { join } from "node:path";
import { findResource } from "../api/resources.ts";
import type { KObject } from "../api/types.ts";
import { ApiClient, loadKubeconfig } from "../client/index.ts";
import { writeKubeconfig } from "../cli/kubeconfig.ts";
import { createCertificateRequestIsolated } from "./csr.ts";
import { caHash, parseJoinToken } from "./token.ts";

const csrsRes = findResource("certificates.k8s.io", "v1", "certificatesigningrequests")!;
export const kubeletClientSigner = "kubernetes.io/kube-apiserver-client-kubelet";

export interface BootstrapOptions {
  /** Apiserver URL, e.g. https://10.0.0.1:6443. */
  server: string;
  /** Join token: K10<ca-sha256>::<id>.<secret>, or <id>.<secret>. */
  token: string;
  nodeName: string;
  /** Directory for kubelet.kubeconfig (created 0700). */
  dir: string;
  /** How long to wait for approval and signing (default 5 minutes). */
  waitTimeoutMs?: number;
  log?: (msg: string, fields?: Record<string, unknown>) => void;
}

/** The kubeconfig path and the cluster CA; the kubeconfig authenticates as system:node:<nodeName>. */
export interface BootstrapResult {
  kubeconfig: string;
  caPem: string;
}

/** GETs `<server>/cacerts` without verifying the server (the CA is checked by hash afterwards). */
export function fetchCaCerts(server: string, timeoutMs = 10_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(new URL("/cacerts", server), { rejectUnauthorized: false, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        const body = Buffer.concat(chunks).toString("utf8");
        if (res.statusCode !== 200) reject(new Error(`GET ${server}/cacerts: HTTP ${res.statusCode}`));
        else if (!body.includes("-----BEGIN CERTIFICATE-----")) reject(new Error(`GET ${server}/cacerts: the answer is not a PEM certificate`));
        else resolve(body);
      });
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error(`GET ${server}/cacerts: timed out after ${timeoutMs} ms`)));
    req.on("error", (err) => reject(new Error(`cannot reach the server at ${server}: ${err.message}`)));
    req.end();
  });
}

/** True when the kubeconfig at `path` holds a usable node certificate for `nodeName` from `server` (and the pinned CA). */
function reusable(path: string, server: string, nodeName: string, pinned: string | undefined): { caPem: string } | undefined {
  if (!existsSync(path)) return undefined;
  try {
    const cfg = loadKubeconfig(path);
    if (!cfg.cert || !cfg.key || !cfg.ca || cfg.server !== server) return undefined;
    if (pinned && caHash(cfg.ca) !== pinned) return undefined;
    const cert = new X509Certificate(cfg.cert);
    if (!new RegExp(`(^|\\n)CN=system:node:${nodeName.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}(\\n|$)`).test(cert.subject)) return undefined;
    // Renew once less than 10% of the lifetime (or a day) is left, like kubelet's rotation threshold.
    const from = Date.parse(cert.validFrom);
    const to = Date.parse(cert.validTo);
    if (Date.now() > to - Math.min(24 * 3600_000, (to - from) / 10)) return undefined;
    if (!cert.checkIssued(new X509Certificate(cfg.ca))) return undefined;
    return { caPem: cfg.ca };
  } catch {
    return undefined;
  }
}

function condition(csr: KObject, type: string): { reason?: string; message?: string } | undefined {
  return ((csr.status?.conditions ?? []) as { type: string; reason?: string; message?: string }[]).find((c) => c.type === type);
}

/** Obtains (or reuses) node credentials; see the module comment. */
export async function bootstrapNodeCredentials(o: BootstrapOptions): Promise<BootstrapResult> {
  const token = parseJoinToken(o.token);
  const server = o.server.replace(/\/+$/, "");
  const kubeconfig = join(o.dir, "kubelet.kubeconfig");
  const log = o.log ?? (() => undefined);
  mkdirSync(o.dir, { recursive: true, mode: 0o700 });
  const existing = reusable(kubeconfig, server, o.nodeName, token.caHash);
  if (existing) {
    log("reusing node credentials", { kubeconfig });
    return { kubeconfig, caPem: existing.caPem };
  }

  const caPem = await fetchCaCerts(server);
  const got = caHash(caPem);
  if (token.caHash && got !== token.caHash) {
    throw new Error(
      `the CA certificate served by ${server} (sha256 ${got}) does not match the CA hash in the join token (${token.caHash}): refusing to join. Check --server and --token.`,
    );
  }
  if (!token.caHash) log("join token pins no CA: trusting the CA served by the server on first use", { sha256: got });

  const { csrPem, keyPem } = await createCertificateRequestIsolated({ commonName: `system:node:${o.nodeName}`, organizations: ["system:nodes"] });
  const client = new ApiClient({ server, ca: caPem, token: token.bootstrapToken }, { userAgent: "tskube-agent-bootstrap" });
  try {
    const rc = client.resource(csrsRes);
    let created: KObject;
    try {
      created = await rc.create("", {
        apiVersion: "certificates.k8s.io/v1",
        kind: "CertificateSigningRequest",
        metadata: { generateName: "node-csr-" },
        spec: {
          request: Buffer.from(csrPem).toString("base64"),
          signerName: kubeletClientSigner,
          usages: ["digital signature", "client auth"],
        },
      } as KObject);
    } catch (err) {
      if ((err as { code?: number }).code === 401) throw new Error(`the server at ${server} refused the join token (401 Unauthorized): check --token`);
      throw err;
    }
    const name = created.metadata.name!;
    log("certificate signing request sent, waiting for approval", { csr: name });
    const timeout = o.waitTimeoutMs ?? 5 * 60_000;
    const deadline = Date.now() + timeout;
    let certB64: string | undefined;
    for (let i = 0; ; i++) {
      const cur = await rc.get("", name);
      const denied = condition(cur, "Denied");
      if (denied) throw new Error(`certificate signing request ${name} was denied: ${denied.reason ?? ""} ${denied.message ?? ""}`.trim());
      const failed = condition(cur, "Failed");
      if (failed) throw new Error(`certificate signing request ${name} failed: ${failed.reason ?? ""} ${failed.message ?? ""}`.trim());
      if (cur.status?.certificate) {
        certB64 = cur.status.certificate;
        break;
      }
      if (Date.now() > deadline) {
        throw new Error(
          `timed out after ${Math.round(timeout / 1000)} s waiting for certificate signing request ${name} to be approved and signed (is the controller-manager running the csrapproving and csrsigning controllers with --cluster-signing-cert-file? approve by hand with: kubectl certificate approve ${name})`,
        );
      }
      await new Promise((r) => setTimeout(r, Math.min(1000, 100 * (i + 1))));
    }
    const certPem = Buffer.from(certB64!, "base64").toString("utf8");
    writeKubeconfig(kubeconfig, { server, caPem, certPem, keyPem, clusterName: "default", userName: `system:node:${o.nodeName}` }, 0o600, "json");
    log("node credentials written", { kubeconfig, csr: name });
    return { kubeconfig, caPem };
  } finally {
    client.close();
  }
}
