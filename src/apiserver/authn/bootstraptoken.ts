/**
 * Bootstrap tokens, as upstream's bootstrap-token authenticator and kubeadm
 * define them: a token `<id>.<secret>` (6 and 16 characters of [a-z0-9])
 * backed by a Secret `bootstrap-token-<id>` of type
 * `bootstrap.kubernetes.io/token` in kube-system. A valid token with
 * `usage-bootstrap-authentication: "true"` that has not expired authenticates
 * as `system:bootstrap:<id>` in `system:bootstrappers` (plus the Secret's
 * `auth-extra-groups`, each of which must start with `system:bootstrappers:`).
 */
import { randomBytes, timingSafeEqual } from "node:crypto";
import type { KObject } from "../../api/types.ts";
import type { UserInfo } from "./types.ts";

export const bootstrapTokenSecretType = "bootstrap.kubernetes.io/token";
export const bootstrapTokenSecretPrefix = "bootstrap-token-";
export const bootstrapTokenNamespace = "kube-system";
export const bootstrapUserPrefix = "system:bootstrap:";
export const bootstrappersGroup = "system:bootstrappers";

const tokenPattern = /^([a-z0-9]{6})\.([a-z0-9]{16})$/;
const groupPattern = /^system:bootstrappers:[a-z0-9:-]{0,255}[a-z0-9]$/;

/** Splits `<id>.<secret>`; undefined when the text is not a bootstrap token. */
export function parseBootstrapToken(token: string): { id: string; secret: string } | undefined {
  const m = tokenPattern.exec(token);
  return m ? { id: m[1], secret: m[2] } : undefined;
}

/** The name of the Secret holding token `id`. */
export function bootstrapTokenSecretName(id: string): string {
  return `${bootstrapTokenSecretPrefix}${id}`;
}

const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";

/** A random token part of `n` characters from [a-z0-9]. */
export function randomTokenPart(n: number): string {
  const bytes = randomBytes(n * 2);
  let out = "";
  for (let i = 0; out.length < n && i < bytes.length; i++) {
    if (bytes[i] < 252) out += alphabet[bytes[i] % 36];
  }
  while (out.length < n) out += alphabet[randomBytes(1)[0] % 36];
  return out;
}

/** True when `s` is a valid token secret part (16 of [a-z0-9]). */
export function isTokenSecret(s: string): boolean {
  return /^[a-z0-9]{16}$/.test(s);
}

/**
 * The Secret object for a bootstrap token (stringData form, as kubeadm writes
 * it). `expiration` is an RFC 3339 time or undefined for no expiry.
 */
export function bootstrapTokenSecret(id: string, secret: string, opts: { expiration?: string; extraGroups?: string[]; description?: string } = {}): KObject {
  const data: Record<string, string> = {
    "token-id": id,
    "token-secret": secret,
    "usage-bootstrap-authentication": "true",
    "usage-bootstrap-signing": "true",
  };
  if (opts.description) data.description = opts.description;
  if (opts.expiration) data.expiration = opts.expiration;
  if (opts.extraGroups?.length) data["auth-extra-groups"] = opts.extraGroups.join(",");
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: bootstrapTokenSecretName(id), namespace: bootstrapTokenNamespace },
    type: bootstrapTokenSecretType,
    stringData: data,
  } as KObject;
}

function field(secret: KObject, key: string): string | undefined {
  const d = (secret.data as Record<string, string> | undefined)?.[key];
  if (typeof d === "string") return Buffer.from(d, "base64").toString("utf8");
  const s = (secret.stringData as Record<string, string> | undefined)?.[key];
  return typeof s === "string" ? s : undefined;
}

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * Authenticates bootstrap token `token` against its Secret (looked up with
 * `getSecret(namespace, name)`), at time `now` (ms). Returns the user, or
 * undefined when the token is malformed, unknown, wrong, expired, being
 * deleted, or not marked for authentication.
 */
export function authenticateBootstrapToken(
  token: string,
  getSecret: (namespace: string, name: string) => KObject | undefined,
  now = Date.now(),
): UserInfo | undefined {
  const parsed = parseBootstrapToken(token);
  if (!parsed) return undefined;
  const secret = getSecret(bootstrapTokenNamespace, bootstrapTokenSecretName(parsed.id));
  if (!secret || secret.metadata.deletionTimestamp) return undefined;
  if (secret.type !== bootstrapTokenSecretType) return undefined;
  if (field(secret, "token-id") !== parsed.id) return undefined;
  const stored = field(secret, "token-secret");
  if (stored === undefined || !sameText(stored, parsed.secret)) return undefined;
  const exp = field(secret, "expiration");
  if (exp !== undefined) {
    const t = Date.parse(exp);
    if (Number.isNaN(t) || t <= now) return undefined;
  }
  if (field(secret, "usage-bootstrap-authentication") !== "true") return undefined;
  const extra = (field(secret, "auth-extra-groups") ?? "").split(",").map((g) => g.trim()).filter(Boolean);
  if (extra.some((g) => !groupPattern.test(g))) return undefined;
  return {
    name: `${bootstrapUserPrefix}${parsed.id}`,
    groups: [...new Set([bootstrappersGroup, ...extra]), "system:authenticated"],
  };
}
