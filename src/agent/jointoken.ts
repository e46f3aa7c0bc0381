/**
 * The server side of joining: `tskube server` keeps one bootstrap token (a
 * `bootstrap-token-<id>` Secret in kube-system, no expiry) and writes it in
 * the secure join format `K10<sha256 of the CA PEM>::<id>.<secret>` to
 * `<data-dir>/server/token` and `<data-dir>/server/node-token` (mode 0600).
 * The token is created once and persisted; `--token` sets the secret part
 * (or the whole `<id>.<secret>`) explicitly.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { findResource } from "../api/resources.ts";
import type { ApiClient } from "../client/index.ts";
import { isNotFound } from "../client/index.ts";
import {
  bootstrapTokenNamespace,
  bootstrapTokenSecret,
  bootstrapTokenSecretName,
  isTokenSecret,
  parseBootstrapToken,
  randomTokenPart,
} from "../apiserver/authn/bootstraptoken.ts";
import { formatJoinToken, parseJoinToken } from "./token.ts";

const secretsRes = findResource("", "v1", "secrets")!;

export interface JoinTokenFiles {
  /** The secure join token, K10<ca-sha256>::<id>.<secret>. */
  token: string;
  /** `<data-dir>/server/token`. */
  tokenFile: string;
  /** `<data-dir>/server/node-token` (same content, k3s's name for agents). */
  nodeTokenFile: string;
}

/** Checks a `--token` value: a 16-character [a-z0-9] secret, or `<id>.<secret>`. Throws when malformed. */
export function checkTokenFlag(v: string): void {
  if (isTokenSecret(v) || parseBootstrapToken(v)) return;
  throw new Error("--token: must be 16 characters of [a-z0-9] (the token secret) or <6 chars>.<16 chars> of [a-z0-9]");
}

/**
 * Ensures the server's bootstrap token exists (through the API, with an
 * admin client) and the token files are current. `explicit` is the
 * `--token` value, if any.
 */
export async function ensureJoinToken(o: { dataDir: string; client: ApiClient; caPem: string; explicit?: string }): Promise<JoinTokenFiles> {
  const tokenFile = join(o.dataDir, "server", "token");
  const nodeTokenFile = join(o.dataDir, "server", "node-token");
  let id: string | undefined;
  let secret: string | undefined;
  if (existsSync(tokenFile)) {
    try {
      const prev = parseBootstrapToken(parseJoinToken(readFileSync(tokenFile, "utf8")).bootstrapToken)!;
      id = prev.id;
      secret = prev.secret;
    } catch {
      // unreadable: replace it
    }
  }
  if (o.explicit) {
    checkTokenFlag(o.explicit);
    const full = parseBootstrapToken(o.explicit);
    if (full) ({ id, secret } = full);
    else secret = o.explicit;
  }
  id ??= randomTokenPart(6);
  secret ??= randomTokenPart(16);

  const rc = o.client.resource(secretsRes);
  const want = bootstrapTokenSecret(id, secret, { description: "tskube join token (written to <data-dir>/server/token)" });
  try {
    const cur = await rc.get(bootstrapTokenNamespace, bootstrapTokenSecretName(id));
    const curSecret = Buffer.from(String(cur.data?.["token-secret"] ?? ""), "base64").toString("utf8");
    if (curSecret !== secret || cur.type !== want.type) {
      await rc.delete(bootstrapTokenNamespace, bootstrapTokenSecretName(id));
      await rc.create(bootstrapTokenNamespace, want);
    }
  } catch (err) {
    if (!isNotFound(err)) throw err;
    await rc.create(bootstrapTokenNamespace, want);
  }
  const token = formatJoinToken(o.caPem, `${id}.${secret}`);
  mkdirSync(dirname(tokenFile), { recursive: true, mode: 0o700 });
  for (const f of [tokenFile, nodeTokenFile]) {
    writeFileSync(f, `${token}\n`, { mode: 0o600 });
    chmodSync(f, 0o600);
  }
  return { token, tokenFile, nodeTokenFile };
}
