/**
 * Node bootstrap end to end against an in-process apiserver running the
 * csrapproving and csrsigning controllers: the join token gets a CSR
 * approved and signed, the kubeconfig written authenticates as
 * system:node:<name>, a second run reuses it, and a token pinning another CA
 * is refused before anything is sent.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { findResource } from "../api/resources.ts";
import { ApiClient, loadKubeconfig } from "../client/index.ts";
import { bootstrapTokenSecret } from "../apiserver/authn/index.ts";
import { csrApprovingController, csrSigningController } from "../controllers/certificates/index.ts";
import { eventually, startControllerTestEnv } from "../controllers/testing.ts";
import { startTestCluster } from "../client/testserver.ts";
import { bootstrapNodeCredentials } from "./bootstrap.ts";
import { createCertificateRequest } from "./csr.ts";
import { formatJoinToken, parseJoinToken } from "./token.ts";

const csrs = findResource("certificates.k8s.io", "v1", "certificatesigningrequests")!;

test("join token parsing", () => {
  const t = formatJoinToken("-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----\n", "abcdef.0123456789abcdef");
  assert.match(t, /^K10[0-9a-f]{64}::abcdef\.0123456789abcdef$/);
  assert.equal(parseJoinToken(t).bootstrapToken, "abcdef.0123456789abcdef");
  assert.equal(parseJoinToken("abcdef.0123456789abcdef").caHash, undefined);
  assert.throws(() => parseJoinToken("K10abc::server:password"), /invalid join token/);
});

test("a node bootstraps its credentials with the join token", async () => {
  const dir = mkdtempSync(join(tmpdir(), "tskube-boot-"));
  const certFile = join(dir, "ca.crt");
  const keyFile = join(dir, "ca.key");
  const env = await startControllerTestEnv(
    { csrapproving: csrApprovingController, csrsigning: csrSigningController },
    { nodes: 1, bind: false, settings: { clusterSigningCertFile: certFile, clusterSigningKeyFile: keyFile } },
  );
  try {
    writeFileSync(certFile, env.tc.pki.ca.cert);
    writeFileSync(keyFile, env.tc.pki.ca.key, { mode: 0o600 });
    await env.client.resource(findResource("", "v1", "secrets")!).create("kube-system", bootstrapTokenSecret("abcdef", "0123456789abcdef"));
    const server = env.tc.config.server;
    const token = formatJoinToken(env.tc.pki.ca.cert, "abcdef.0123456789abcdef");
    const agentDir = join(dir, "agent");

    // A token pinning another CA is refused.
    const wrong = `K10${"0".repeat(64)}::abcdef.0123456789abcdef`;
    await assert.rejects(bootstrapNodeCredentials({ server, token: wrong, nodeName: "n1", dir: agentDir }), /does not match the CA hash in the join token/);
    assert.equal((await env.client.resource(csrs).list("")).items.length, 0, "nothing sent");

    const probe = new ApiClient({ server, ca: env.tc.config.ca, token: "abcdef.0123456789abcdef" });
    await eventually("token usable", () => probe.resource(findResource("", "v1", "namespaces")!).get("", "default"), 5000);
    probe.close();

    const res = await bootstrapNodeCredentials({ server, token, nodeName: "n1", dir: agentDir, waitTimeoutMs: 20_000 });
    assert.equal(res.kubeconfig, join(agentDir, "kubelet.kubeconfig"));
    assert.equal(res.caPem, env.tc.pki.ca.cert);
    assert.equal(statSync(res.kubeconfig).mode & 0o777, 0o600);
    const list = await env.client.resource(csrs).list("");
    assert.equal(list.items.length, 1);
    assert.equal(list.items[0].spec.username, "system:bootstrap:abcdef");

    // The kubeconfig authenticates as the node: what it creates records system:node:n1.
    const node = new ApiClient(loadKubeconfig(res.kubeconfig));
    try {
      const { csrPem } = await createCertificateRequest({ commonName: "system:node:n1", organizations: ["system:nodes"] });
      const made = await node.resource(csrs).create("", {
        apiVersion: "certificates.k8s.io/v1",
        kind: "CertificateSigningRequest",
        metadata: { name: "whoami" },
        spec: { request: Buffer.from(csrPem).toString("base64"), signerName: "example.com/none", usages: ["client auth"] },
      });
      assert.equal(made.spec.username, "system:node:n1");
      assert.deepEqual(made.spec.groups, ["system:nodes", "system:authenticated"]);
    } finally {
      node.close();
    }

    // A second run reuses the credentials.
    const again = await bootstrapNodeCredentials({ server, token, nodeName: "n1", dir: agentDir });
    assert.equal(again.kubeconfig, res.kubeconfig);
    assert.equal((await env.client.resource(csrs).list("")).items.length, 2, "no new CSR (only the whoami one)");

  } finally {
    await env.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("bootstrap gives up with a clear message when nobody signs", async () => {
  const dir = mkdtempSync(join(tmpdir(), "tskube-boot-"));
  const tc = await startTestCluster();
  try {
    await tc.client.resource(findResource("", "v1", "secrets")!).create("kube-system", bootstrapTokenSecret("abcdef", "0123456789abcdef"));
    const probe = new ApiClient({ server: tc.config.server, ca: tc.config.ca, token: "abcdef.0123456789abcdef" });
    await eventually("token usable", () => probe.resource(findResource("", "v1", "namespaces")!).get("", "default"), 5000);
    probe.close();
    const token = formatJoinToken(tc.pki.ca.cert, "abcdef.0123456789abcdef");
    await assert.rejects(
      bootstrapNodeCredentials({ server: tc.config.server, token, nodeName: "n2", dir, waitTimeoutMs: 300 }),
      /timed out after .* waiting for certificate signing request node-csr-\w+ .*kubectl certificate approve/,
    );
    await assert.rejects(
      bootstrapNodeCredentials({ server: tc.config.server, token: formatJoinToken(tc.pki.ca.cert, "abcdef.0123456789abcdee"), nodeName: "n2", dir }),
      /refused the join token/,
    );
  } finally {
    await tc.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
