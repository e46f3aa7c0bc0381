/**
 * Certificate controller tests: which CSRs are auto-approved (bootstrap
 * node, renewing node; not other users or subjects), what the signer puts in
 * a certificate, and in the controller test environment: a node CSR sent
 * with a bootstrap token is approved (AutoApproved) and signed by the
 * cluster CA; an apiserver-client CSR waits for a human, then is signed; a
 * request breaking its signer's rules gets a Failed condition.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { X509Certificate } from "node:crypto";
import { findResource } from "../../api/resources.ts";
import type { KObject } from "../../api/types.ts";
import { ApiClient } from "../../client/index.ts";
import { createCertificateRequest } from "../../agent/csr.ts";
import { bootstrapTokenSecret } from "../../apiserver/authn/index.ts";
import { ensurePki } from "../../machinery/certs.ts";
import { eventually, startControllerTestEnv } from "../testing.ts";
import { autoApprovalMessage, csrApprovingController, csrSigningController, newNodeMessage, selfNodeMessage, signRequest } from "./index.ts";

const csrs = findResource("certificates.k8s.io", "v1", "certificatesigningrequests")!;
const b64 = (s: string) => Buffer.from(s).toString("base64");

async function csr(name: string, subject: { cn: string; o?: string[]; dns?: string[] }, spec: Record<string, unknown> = {}): Promise<KObject> {
  const { csrPem } = await createCertificateRequest({ commonName: subject.cn, organizations: subject.o, dnsNames: subject.dns });
  return {
    apiVersion: "certificates.k8s.io/v1",
    kind: "CertificateSigningRequest",
    metadata: { name },
    spec: { request: b64(csrPem), signerName: "kubernetes.io/kube-apiserver-client-kubelet", usages: ["digital signature", "client auth"], ...spec },
  } as KObject;
}

test("auto-approval: bootstrapping and renewing nodes only", async () => {
  const node = { cn: "system:node:n1", o: ["system:nodes"] };
  const boot = await csr("a", node, { username: "system:bootstrap:abcdef", groups: ["system:bootstrappers", "system:authenticated"] });
  assert.equal(await autoApprovalMessage(boot), newNodeMessage);
  const self = await csr("b", node, { username: "system:node:n1", groups: ["system:nodes", "system:authenticated"] });
  assert.equal(await autoApprovalMessage(self), selfNodeMessage);
  const other = await csr("c", node, { username: "system:node:n2", groups: ["system:nodes", "system:authenticated"] });
  assert.equal(await autoApprovalMessage(other), undefined, "another node's name");
  const user = await csr("d", node, { username: "alice", groups: ["system:authenticated"] });
  assert.equal(await autoApprovalMessage(user), undefined, "an ordinary user");
  const wrongOrg = await csr("e", { cn: "system:node:n1", o: ["system:masters"] }, { username: "system:bootstrap:abcdef", groups: ["system:bootstrappers"] });
  assert.equal(await autoApprovalMessage(wrongOrg), undefined, "O must be system:nodes");
  const serverUsage = await csr("f", node, { username: "system:bootstrap:abcdef", groups: ["system:bootstrappers"], usages: ["digital signature", "server auth"] });
  assert.equal(await autoApprovalMessage(serverUsage), undefined, "client usages only");
  const otherSigner = await csr("g", node, { username: "system:bootstrap:abcdef", groups: ["system:bootstrappers"], signerName: "kubernetes.io/kube-apiserver-client" });
  assert.equal(await autoApprovalMessage(otherSigner), undefined, "kubelet client signer only");
});

test("signRequest: subject, usages, SANs and lifetime", async () => {
  const dir = mkdtempSync(join(tmpdir(), "tskube-sign-"));
  try {
    const pki = await ensurePki(dir, { ips: ["127.0.0.1"], dnsNames: ["localhost"] });
    const serving = await csr("s", { cn: "system:node:n1", o: ["system:nodes"], dns: ["n1.example"] }, {
      signerName: "kubernetes.io/kubelet-serving",
      usages: ["digital signature", "server auth"],
      expirationSeconds: 3600,
    });
    const now = Date.now();
    const cert = new X509Certificate(await signRequest(pki.ca, serving, 365 * 24 * 3600, now));
    assert.match(cert.subject, /CN=system:node:n1/);
    assert.match(cert.subject, /O=system:nodes/);
    assert.match(cert.subjectAltName ?? "", /DNS:n1\.example/);
    assert.ok(cert.keyUsage?.includes("1.3.6.1.5.5.7.3.1"), "server auth EKU");
    assert.ok(cert.checkIssued(new X509Certificate(pki.ca.cert)) && cert.verify(new X509Certificate(pki.ca.cert).publicKey));
    const life = Date.parse(cert.validTo) - now;
    assert.ok(life <= 3600_000 && life > 3500_000, `lifetime ${life}`);
    const caFrom = Date.parse(new X509Certificate(pki.ca.cert).validFrom);
    assert.ok(Date.parse(cert.validFrom) <= Math.max(now - 5 * 60_000, caFrom) + 1000, "backdated (to the CA's start at most)");
    const capped = new X509Certificate(await signRequest(pki.ca, serving, 1800, now));
    assert.ok(Date.parse(capped.validTo) - now <= 1800_000, "capped by the signing duration");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("controllers approve and sign node CSRs with the cluster CA", async () => {
  const dir = mkdtempSync(join(tmpdir(), "tskube-csrctl-"));
  const certFile = join(dir, "ca.crt");
  const keyFile = join(dir, "ca.key");
  const env = await startControllerTestEnv(
    { csrapproving: csrApprovingController, csrsigning: csrSigningController },
    { nodes: 1, bind: false, settings: { clusterSigningCertFile: certFile, clusterSigningKeyFile: keyFile } },
  );
  const boot = new ApiClient({ server: env.tc.config.server, ca: env.tc.config.ca, token: "abcdef.0123456789abcdef" });
  try {
    writeFileSync(certFile, env.tc.pki.ca.cert);
    writeFileSync(keyFile, env.tc.pki.ca.key, { mode: 0o600 });
    await env.client.resource(findResource("", "v1", "secrets")!).create("kube-system", bootstrapTokenSecret("abcdef", "0123456789abcdef"));
    await eventually("token accepted", () => boot.resource(findResource("", "v1", "namespaces")!).get("", "default"), 5000);

    await boot.resource(csrs).create("", await csr("node-n1", { cn: "system:node:n1", o: ["system:nodes"] }));
    const issued = await eventually("node CSR issued", async () => {
      const o = await env.client.resource(csrs).get("", "node-n1");
      return o.status?.certificate ? o : undefined;
    });
    const approved = issued.status.conditions.find((c: { type: string }) => c.type === "Approved");
    assert.equal(approved.reason, "AutoApproved");
    assert.equal(approved.message, newNodeMessage);
    const cert = new X509Certificate(Buffer.from(issued.status.certificate, "base64"));
    assert.ok(cert.verify(new X509Certificate(env.tc.pki.ca.cert).publicKey), "signed by the cluster CA");
    assert.match(cert.subject, /CN=system:node:n1/);

    // Not auto-approved: a plain client certificate, until someone approves it.
    await env.client.resource(csrs).create("", await csr("alice", { cn: "alice" }, { signerName: "kubernetes.io/kube-apiserver-client", expirationSeconds: 600 }));
    await new Promise((r) => setTimeout(r, 300));
    const pending = await env.client.resource(csrs).get("", "alice");
    assert.equal(pending.status?.conditions, undefined, "left pending");
    await env.client.resource(csrs).patch("", "alice", "merge", { status: { conditions: [{ type: "Approved", status: "True", reason: "Test", message: "" }] } }, { subresource: "approval" });
    const alice = await eventually("alice issued", async () => (await env.client.resource(csrs).get("", "alice")).status?.certificate);
    const ac = new X509Certificate(Buffer.from(alice, "base64"));
    assert.ok(Date.parse(ac.validTo) - Date.now() <= 600_000, "expirationSeconds honoured");

    // Approved but breaking the kubelet client rules: Failed.
    await env.client.resource(csrs).create("", await csr("bad", { cn: "system:node:n2", o: ["system:masters"] }));
    await env.client.resource(csrs).patch("", "bad", "merge", { status: { conditions: [{ type: "Approved", status: "True", reason: "Test", message: "" }] } }, { subresource: "approval" });
    const failed = await eventually("bad CSR failed", async () => {
      const o = await env.client.resource(csrs).get("", "bad");
      return o.status?.conditions?.find((c: { type: string }) => c.type === "Failed");
    });
    assert.equal(failed.reason, "SignerValidationFailure");
    assert.equal((await env.client.resource(csrs).get("", "bad")).status.certificate, undefined);
  } finally {
    boot.close();
    await env.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
