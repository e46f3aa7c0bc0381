/**
 * CertificateSigningRequest API tests against an in-process apiserver:
 * spec.username/groups come from the requester (admin certificate or
 * bootstrap token), validation of request/usages/signerName/expiration and
 * of the request signature, spec immutability, the approval subresource, and
 * the status subresource setting the certificate once. Also the table cells.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { findResource } from "../../api/resources.ts";
import type { KObject } from "../../api/types.ts";
import { tableCells, tableColumns } from "../../api/printers/index.ts";
import { ApiClient } from "../../client/index.ts";
import { startTestCluster } from "../../client/testserver.ts";
import { createCertificateRequest } from "../../agent/csr.ts";
import { bootstrapTokenSecret } from "../authn/index.ts";

const csrs = findResource("certificates.k8s.io", "v1", "certificatesigningrequests")!;
const b64 = (s: string) => Buffer.from(s).toString("base64");

async function csrObject(name: string, extra: Record<string, unknown> = {}): Promise<KObject> {
  const { csrPem } = await createCertificateRequest({ commonName: "system:node:n1", organizations: ["system:nodes"] });
  return {
    apiVersion: "certificates.k8s.io/v1",
    kind: "CertificateSigningRequest",
    metadata: { name },
    spec: { request: b64(csrPem), signerName: "kubernetes.io/kube-apiserver-client-kubelet", usages: ["digital signature", "client auth"], ...extra },
  } as KObject;
}

async function rejects422(p: Promise<unknown>, field: string): Promise<string> {
  try {
    await p;
  } catch (err) {
    const e = err as { code?: number; message: string };
    assert.equal(e.code, 422, e.message);
    assert.ok(e.message.includes(field), `${e.message} should mention ${field}`);
    return e.message;
  }
  assert.fail(`expected 422 on ${field}`);
}

test("CSR create records the requester and validates the request", async () => {
  const tc = await startTestCluster();
  try {
    const rc = tc.client.resource(csrs);
    const created = await rc.create("", await csrObject("a", { username: "mallory", groups: ["system:masters"] }));
    assert.equal(created.spec.username, "admin");
    assert.deepEqual(created.spec.groups, ["system:masters", "system:authenticated"]);
    assert.deepEqual(created.status, {});

    await rejects422(rc.create("", await csrObject("b", { request: b64("not a csr") })), "spec.request");
    await rejects422(rc.create("", await csrObject("c", { usages: [] })), "spec.usages");
    await rejects422(rc.create("", await csrObject("d", { usages: ["client auth", "bogus"] })), "spec.usages[1]");
    await rejects422(rc.create("", await csrObject("e", { signerName: "nodomain" })), "spec.signerName");
    await rejects422(rc.create("", await csrObject("f", { signerName: undefined })), "spec.signerName");
    await rejects422(rc.create("", await csrObject("g", { expirationSeconds: 300 })), "spec.expirationSeconds");
    // A CSR whose signature does not match its content.
    const good = await csrObject("h");
    const der = Buffer.from(Buffer.from(good.spec.request, "base64").toString().replace(/-----[^-]+-----/g, "").replace(/\s+/g, ""), "base64");
    der[der.length - 3] ^= 0xff;
    const pem = `-----BEGIN CERTIFICATE REQUEST-----\n${der.toString("base64")}\n-----END CERTIFICATE REQUEST-----\n`;
    await rejects422(rc.create("", { ...good, spec: { ...good.spec, request: b64(pem) } }), "spec.request");

    // Bootstrap-token users are recorded too.
    await tc.client.resource(findResource("", "v1", "secrets")!).create("kube-system", bootstrapTokenSecret("abcdef", "0123456789abcdef"));
    const boot = new ApiClient({ server: tc.config.server, ca: tc.config.ca, token: "abcdef.0123456789abcdef" });
    try {
      let made: KObject | undefined;
      for (let i = 0; i < 40 && !made; i++) {
        made = await boot.resource(csrs).create("", await csrObject("boot")).catch(async (err) => {
          if ((err as { code?: number }).code !== 401) throw err;
          await new Promise((r) => setTimeout(r, 50));
          return undefined;
        });
      }
      assert.equal(made?.spec.username, "system:bootstrap:abcdef");
      assert.deepEqual(made?.spec.groups, ["system:bootstrappers", "system:authenticated"]);
    } finally {
      boot.close();
    }
  } finally {
    await tc.stop();
  }
});

test("CSR spec is immutable, approval and certificate go through their subresources", async () => {
  const tc = await startTestCluster();
  try {
    const rc = tc.client.resource(csrs);
    const created = await rc.create("", await csrObject("x"));
    const updated = await rc.update("", { ...created, spec: { ...created.spec, signerName: "example.com/other" } });
    assert.equal(updated.spec.signerName, "kubernetes.io/kube-apiserver-client-kubelet", "spec changes are ignored");

    const approved = { type: "Approved", status: "True", reason: "Test", message: "ok" };
    await assert.rejects(rc.updateStatus("", { ...updated, status: { conditions: [approved] } }), /may not add a condition of type "Approved"/);
    const a = await rc.patch("", "x", "merge", { status: { conditions: [approved] } }, { subresource: "approval" });
    assert.equal(a.status.conditions[0].type, "Approved");
    assert.ok(a.status.conditions[0].lastUpdateTime && a.status.conditions[0].lastTransitionTime, "condition times stamped");
    await assert.rejects(rc.patch("", "x", "merge", { status: { conditions: [] } }, { subresource: "approval" }), /may not remove a condition of type "Approved"/);
    const viaApproval = await rc.patch("", "x", "merge", { status: { certificate: b64("x") } }, { subresource: "approval" });
    assert.equal(viaApproval.status.certificate, undefined, "approval writes only conditions");

    const certPem = tc.config.cert as string;
    await assert.rejects(rc.patch("", "x", "merge", { status: { certificate: b64("garbage") } }, { subresource: "status" }), /CERTIFICATE PEM block/);
    const withCert = await rc.patch("", "x", "merge", { status: { certificate: b64(certPem) } }, { subresource: "status" });
    assert.equal(withCert.status.certificate, b64(certPem));
    assert.equal(withCert.status.conditions.length, 1, "status write keeps the approval");
    await assert.rejects(rc.patch("", "x", "merge", { status: { certificate: b64(tc.config.ca as string) } }, { subresource: "status" }), /may not modify existing certificate content/);

    const cols = tableColumns(csrs).map((c) => c.name);
    assert.deepEqual(cols, ["Name", "Age", "SignerName", "Requestor", "RequestedDuration", "Condition"]);
    const cells = tableCells(csrs, withCert, new Date());
    assert.deepEqual(cells.slice(2), ["kubernetes.io/kube-apiserver-client-kubelet", "admin", "<none>", "Approved,Issued"]);
  } finally {
    await tc.stop();
  }
});
