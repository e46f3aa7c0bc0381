/**
 * Bearer-token authentication tests: bootstrap tokens valid, wrong, expired,
 * not marked for authentication, with extra groups; and against an in-process
 * apiserver: a token request authenticates, a bad token gets 401 even on
 * /version, and /cacerts serves the CA without credentials.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { request } from "node:https";
import type { IncomingMessage } from "node:http";
import type { KObject } from "../../api/types.ts";
import { findResource } from "../../api/resources.ts";
import { startTestCluster } from "../../client/testserver.ts";
import { ApiClient } from "../../client/index.ts";
import { authenticateBootstrapToken, bootstrapTokenSecret, parseBootstrapToken, randomTokenPart, TokenAuthenticator } from "./index.ts";

/** The Secret as the apiserver stores it (data base64). */
function stored(id: string, secret: string, extra: Record<string, string> = {}, opts: Parameters<typeof bootstrapTokenSecret>[2] = {}): KObject {
  const s = bootstrapTokenSecret(id, secret, opts);
  const data: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...(s.stringData as Record<string, string>), ...extra })) data[k] = Buffer.from(v).toString("base64");
  return { ...s, stringData: undefined, data } as KObject;
}

function lookup(...secrets: KObject[]) {
  return (ns: string, name: string) => secrets.find((s) => s.metadata.namespace === ns && s.metadata.name === name);
}

test("token syntax and random parts", () => {
  assert.deepEqual(parseBootstrapToken("abcdef.0123456789abcdef"), { id: "abcdef", secret: "0123456789abcdef" });
  assert.equal(parseBootstrapToken("ABCDEF.0123456789abcdef"), undefined);
  assert.equal(parseBootstrapToken("abcdef.0123456789abcde"), undefined);
  assert.equal(parseBootstrapToken("abcdef0123456789abcdef"), undefined);
  const p = randomTokenPart(16);
  assert.match(p, /^[a-z0-9]{16}$/);
  assert.notEqual(p, randomTokenPart(16));
});

test("a valid bootstrap token authenticates as system:bootstrap:<id>", () => {
  const get = lookup(stored("abcdef", "0123456789abcdef"));
  const u = authenticateBootstrapToken("abcdef.0123456789abcdef", get);
  assert.deepEqual(u, { name: "system:bootstrap:abcdef", groups: ["system:bootstrappers", "system:authenticated"] });
});

test("wrong secret, unknown id, wrong type, deletion and usage flag are refused", () => {
  const good = stored("abcdef", "0123456789abcdef");
  assert.equal(authenticateBootstrapToken("abcdef.0123456789abcdee", lookup(good)), undefined, "wrong secret");
  assert.equal(authenticateBootstrapToken("zzzzzz.0123456789abcdef", lookup(good)), undefined, "unknown id");
  assert.equal(authenticateBootstrapToken("abcdef.0123456789abcdef", lookup({ ...good, type: "Opaque" })), undefined, "wrong type");
  const deleting = { ...good, metadata: { ...good.metadata, deletionTimestamp: "2024-01-01T00:00:00Z" } };
  assert.equal(authenticateBootstrapToken("abcdef.0123456789abcdef", lookup(deleting)), undefined, "being deleted");
  const noUsage = stored("abcdef", "0123456789abcdef", { "usage-bootstrap-authentication": "false" });
  assert.equal(authenticateBootstrapToken("abcdef.0123456789abcdef", lookup(noUsage)), undefined, "usage flag false");
  const idMismatch = stored("abcdef", "0123456789abcdef", { "token-id": "bcdefg" });
  assert.equal(authenticateBootstrapToken("abcdef.0123456789abcdef", lookup(idMismatch)), undefined, "token-id mismatch");
});

test("expiration is honoured", () => {
  const now = Date.parse("2025-01-01T00:00:00Z");
  const s = stored("abcdef", "0123456789abcdef", {}, { expiration: "2025-01-01T01:00:00Z" });
  assert.ok(authenticateBootstrapToken("abcdef.0123456789abcdef", lookup(s), now));
  assert.equal(authenticateBootstrapToken("abcdef.0123456789abcdef", lookup(s), now + 2 * 3600_000), undefined);
  const bad = stored("abcdef", "0123456789abcdef", { expiration: "soon" });
  assert.equal(authenticateBootstrapToken("abcdef.0123456789abcdef", lookup(bad), now), undefined);
});

test("auth-extra-groups are added; invalid ones refuse the token", () => {
  const s = stored("abcdef", "0123456789abcdef", {}, { extraGroups: ["system:bootstrappers:kubeadm:default-node-token"] });
  const u = authenticateBootstrapToken("abcdef.0123456789abcdef", lookup(s));
  assert.deepEqual(u?.groups, ["system:bootstrappers", "system:bootstrappers:kubeadm:default-node-token", "system:authenticated"]);
  const bad = stored("abcdef", "0123456789abcdef", { "auth-extra-groups": "system:masters" });
  assert.equal(authenticateBootstrapToken("abcdef.0123456789abcdef", lookup(bad)), undefined);
});

test("TokenAuthenticator reads the Authorization header", () => {
  const a = new TokenAuthenticator({ getSecret: lookup(stored("abcdef", "0123456789abcdef")) });
  const req = (h?: string) => ({ headers: h === undefined ? {} : { authorization: h } }) as IncomingMessage;
  assert.equal(a.authenticate(req()), undefined);
  const u = a.authenticate(req("Bearer abcdef.0123456789abcdef"));
  assert.equal(typeof u === "object" ? u.name : u, "system:bootstrap:abcdef");
  assert.equal(a.authenticate(req("Bearer nope")), "rejected");
  assert.equal(a.authenticate(req("Basic Zm9vOmJhcg==")), "rejected");
});

function get(url: string, token?: string): Promise<{ code: number; body: string }> {
  return new Promise((resolve, reject) => {
    const r = request(url, { rejectUnauthorized: false, headers: token ? { Authorization: `Bearer ${token}` } : {} }, (res) => {
      let body = "";
      res.on("data", (c) => (body += c));
      res.on("end", () => resolve({ code: res.statusCode ?? 0, body }));
    });
    r.on("error", reject);
    r.end();
  });
}

test("the apiserver authenticates bootstrap tokens and serves /cacerts", async () => {
  const tc = await startTestCluster();
  try {
    const secrets = findResource("", "v1", "secrets")!;
    await tc.client.resource(secrets).create("kube-system", bootstrapTokenSecret("abcdef", "0123456789abcdef"));
    const base = tc.config.server;
    const ca = await get(`${base}/cacerts`);
    assert.equal(ca.code, 200);
    assert.equal(ca.body, tc.config.ca);
    assert.equal((await get(`${base}/api/v1/namespaces`)).code, 401, "anonymous");
    assert.equal((await get(`${base}/version`, "abcdef.0123456789abcdee")).code, 401, "bad token on a public path");
    let ok = 0;
    for (let i = 0; i < 40 && ok !== 200; i++) {
      ok = (await get(`${base}/api/v1/namespaces`, "abcdef.0123456789abcdef")).code;
      if (ok !== 200) await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(ok, 200, "token accepted");
    const c = new ApiClient({ server: base, ca: tc.config.ca, token: "abcdef.0123456789abcdef" });
    try {
      await c.resource(findResource("", "v1", "namespaces")!).get("", "default");
    } finally {
      c.close();
    }
  } finally {
    await tc.stop();
  }
});
