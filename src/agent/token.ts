/**
 * Join tokens, in k3s's secure format: `K10<sha256 hex of the cluster CA
 * certificate PEM>::<credentials>`, where the credentials here are a
 * bootstrap token `<id>.<secret>`. The hash lets a joining node pin the CA it
 * fetches from the unauthenticated `/cacerts` endpoint. A bare `<id>.<secret>`
 * is accepted too (the CA is then trusted on first use, as k3s does with
 * short tokens).
 */
import { createHash } from "node:crypto";

export interface JoinToken {
  /** sha256 hex of the CA PEM, when the token pins it. */
  caHash?: string;
  /** The bootstrap token `<id>.<secret>`. */
  bootstrapToken: string;
}

/** sha256 hex of a CA bundle as served by /cacerts (the exact bytes). */
export function caHash(caPem: string | Buffer): string {
  return createHash("sha256").update(caPem).digest("hex");
}

/** Formats a secure join token. */
export function formatJoinToken(caPem: string, bootstrapToken: string): string {
  return `K10${caHash(caPem)}::${bootstrapToken}`;
}

/** Parses a join token; throws with a readable message when it is neither form. */
export function parseJoinToken(text: string): JoinToken {
  const t = text.trim();
  const secure = /^K10([0-9a-f]{64})::(.+)$/.exec(t);
  const creds = secure ? secure[2] : t;
  if (!/^[a-z0-9]{6}\.[a-z0-9]{16}$/.test(creds)) {
    throw new Error("invalid join token: expected K10<ca-sha256>::<id>.<secret> or <id>.<secret> (the content of the server's <data-dir>/server/token)");
  }
  return secure ? { caHash: secure[1], bootstrapToken: creds } : { bootstrapToken: creds };
}
