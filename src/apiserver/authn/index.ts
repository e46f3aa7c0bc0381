/**
 * Request authentication beyond client certificates: bearer tokens. Today the
 * only token kind is the bootstrap token (bootstraptoken.ts), looked up in
 * the apiserver's watch cache. A request that presents a bearer token which
 * does not authenticate is rejected (401) even on public paths, as upstream.
 */
import type { IncomingMessage } from "node:http";
import type { KObject } from "../../api/types.ts";
import { authenticateBootstrapToken } from "./bootstraptoken.ts";
import type { UserInfo } from "./types.ts";

export type { UserInfo } from "./types.ts";
export * from "./bootstraptoken.ts";

/** The bearer token of a request's Authorization header, if any. */
export function bearerToken(req: IncomingMessage): string | undefined {
  const h = req.headers.authorization;
  if (typeof h !== "string") return undefined;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(h);
  return m ? m[1] : h.trim() === "" ? undefined : "";
}

export interface TokenAuthenticatorOptions {
  /** Reads a Secret (undefined when absent); must not throw. */
  getSecret(namespace: string, name: string): KObject | undefined;
  /** Clock in ms (tests). */
  now?: () => number;
}

/** Authenticates bearer tokens. */
export class TokenAuthenticator {
  readonly #o: TokenAuthenticatorOptions;

  constructor(o: TokenAuthenticatorOptions) {
    this.#o = o;
  }

  /** The user of `token`, or undefined when no authenticator accepts it. */
  authenticateToken(token: string): UserInfo | undefined {
    return authenticateBootstrapToken(token, this.#o.getSecret, this.#o.now?.() ?? Date.now());
  }

  /**
   * Authenticates a request by its bearer token: the user; "rejected" when a
   * token (or a malformed Authorization header) was presented and failed;
   * undefined when the request carries none.
   */
  authenticate(req: IncomingMessage): UserInfo | "rejected" | undefined {
    const token = bearerToken(req);
    if (token === undefined) return undefined;
    return (token && this.authenticateToken(token)) || "rejected";
  }
}
