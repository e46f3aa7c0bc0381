/**
 * Server join token tests: created once and persisted (same token on the
 * next start), files 0600 in the K10 format, `--token` sets the secret, and
 * the token authenticates against the apiserver.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { findResource } from "../api/resources.ts";
import { ApiClient } from "../client/index.ts";
import { startTestCluster } from "../client/testserver.ts";
import { eventually } from "../controllers/testing.ts";
import { checkTokenFlag, ensureJoinToken } from "./jointoken.ts";
import { caHash, parseJoinToken } from "./token.ts";

test("the server's join token is created once, persisted and usable", async () => {
  const dir = mkdtempSync(join(tmpdir(), "tskube-jt-"));
  const tc = await startTestCluster();
  try {
    const first = await ensureJoinToken({ dataDir: dir, client: tc.client, caPem: tc.pki.ca.cert });
    assert.equal(first.tokenFile, join(dir, "server", "token"));
    assert.equal(readFileSync(first.tokenFile, "utf8").trim(), first.token);
    assert.equal(readFileSync(first.nodeTokenFile, "utf8").trim(), first.token);
    assert.equal(statSync(first.tokenFile).mode & 0o777, 0o600);
    const parsed = parseJoinToken(first.token);
    assert.equal(parsed.caHash, caHash(tc.pki.ca.cert));
    const again = await ensureJoinToken({ dataDir: dir, client: tc.client, caPem: tc.pki.ca.cert });
    assert.equal(again.token, first.token, "persisted");

    const c = new ApiClient({ server: tc.config.server, ca: tc.config.ca, token: parsed.bootstrapToken });
    try {
      await eventually("token authenticates", () => c.resource(findResource("", "v1", "namespaces")!).get("", "default"), 5000);
    } finally {
      c.close();
    }

    const explicit = await ensureJoinToken({ dataDir: dir, client: tc.client, caPem: tc.pki.ca.cert, explicit: "0123456789abcdef" });
    const p2 = parseJoinToken(explicit.token);
    assert.equal(p2.bootstrapToken, `${parsed.bootstrapToken.split(".")[0]}.0123456789abcdef`, "--token sets the secret, the id is kept");
    const secret = await tc.client.resource(findResource("", "v1", "secrets")!).get("kube-system", `bootstrap-token-${p2.bootstrapToken.split(".")[0]}`);
    assert.equal(Buffer.from(secret.data["token-secret"], "base64").toString(), "0123456789abcdef");
    assert.throws(() => checkTokenFlag("short"), /--token/);
  } finally {
    await tc.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
