/**
 * HTTP upgrade plumbing shared by the kubelet and the apiserver: dialing an
 * upgrade (SPDY/3.1 or WebSocket handshake) to an http(s) URL and getting the
 * raw socket back, writing raw HTTP responses on an upgrade socket, and
 * splicing two sockets together.
 */
import type { IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders } from "node:http";
import { http } from "../machinery/nodehttp.ts";
import { request as httpsRequest } from "node:https";
import type { Duplex } from "node:stream";
import type { Status } from "../machinery/errors.ts";

/** The result of an upgrade attempt: a socket on 101, else the response status, headers and (bounded) body. */
export type UpgradeResult =
  | { upgraded: true; statusCode: 101; headers: IncomingHttpHeaders; rawHeaders: string[]; socket: Duplex; head: Buffer }
  | { upgraded: false; statusCode: number; headers: IncomingHttpHeaders; body: Buffer };

export interface DialOptions {
  method?: string;
  headers: OutgoingHttpHeaders;
  /** Client certificate for https URLs; the server certificate is not verified (like upstream's kubelet client default). */
  tls?: { cert: string; key: string; ca?: string; rejectUnauthorized?: boolean };
  timeoutMs?: number;
  /** Largest error body kept (default 64 KiB). */
  maxBody?: number;
}

/** Sends an upgrade request and resolves once the server answers. */
export function dialUpgrade(url: string, o: DialOptions): Promise<UpgradeResult> {
  const u = new URL(url);
  const isTls = u.protocol === "https:";
  const fn = isTls ? httpsRequest : http.request;
  return new Promise((resolve, reject) => {
    const req = fn({
      method: o.method ?? "POST",
      host: u.hostname.replace(/^\[|\]$/g, ""),
      port: u.port || (isTls ? 443 : 80),
      path: u.pathname + u.search,
      headers: o.headers,
      agent: false,
      ...(isTls ? { cert: o.tls?.cert, key: o.tls?.key, ca: o.tls?.ca, rejectUnauthorized: o.tls?.rejectUnauthorized ?? false } : {}),
    });
    const timer = setTimeout(() => req.destroy(new Error(`upgrade to ${u.host} timed out`)), o.timeoutMs ?? 30_000);
    req.on("upgrade", (res: IncomingMessage, socket: Duplex, head: Buffer) => {
      clearTimeout(timer);
      resolve({ upgraded: true, statusCode: 101, headers: res.headers, rawHeaders: res.rawHeaders, socket, head });
    });
    req.on("response", (res: IncomingMessage) => {
      clearTimeout(timer);
      const max = o.maxBody ?? 64 * 1024;
      const chunks: Buffer[] = [];
      let size = 0;
      res.on("data", (c: Buffer) => {
        if (size < max) chunks.push(c.subarray(0, max - size));
        size += c.length;
      });
      res.on("end", () => resolve({ upgraded: false, statusCode: res.statusCode ?? 500, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on("error", reject);
    });
    req.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    req.end();
  });
}

const reasons: Record<number, string> = {
  101: "Switching Protocols", 200: "OK", 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
  405: "Method Not Allowed", 500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable",
};

/** Writes a raw HTTP/1.1 response head (and optional body) on a socket taken over from an upgrade. */
export function writeRawResponse(socket: Duplex, code: number, headers: [string, string][], body?: Buffer | string): void {
  const lines = [`HTTP/1.1 ${code} ${reasons[code] ?? "Status"}`];
  const b = body === undefined ? undefined : Buffer.isBuffer(body) ? body : Buffer.from(body);
  for (const [k, v] of headers) lines.push(`${k}: ${v}`);
  if (b !== undefined) lines.push(`Content-Length: ${b.length}`);
  socket.write(lines.join("\r\n") + "\r\n\r\n");
  if (b !== undefined) socket.write(b);
}

/** Answers an upgrade request with a Status error and closes the socket. */
export function rejectUpgrade(socket: Duplex, status: Status): void {
  if (socket.destroyed) return;
  writeRawResponse(socket, status.code, [["Content-Type", "application/json"], ["Connection", "close"]], JSON.stringify(status));
  socket.end();
}

/** Pipes two sockets both ways; closing or failing either side closes the other. Resolves when both are gone. */
export function splice(a: Duplex, b: Duplex): Promise<void> {
  return new Promise((resolve) => {
    let closed = 0;
    const done = () => {
      if (++closed === 2) resolve();
    };
    const kill = () => {
      a.destroy();
      b.destroy();
    };
    a.on("error", kill);
    b.on("error", kill);
    a.on("close", () => {
      b.end();
      setTimeout(() => b.destroy(), 5000).unref();
      done();
    });
    b.on("close", () => {
      a.end();
      setTimeout(() => a.destroy(), 5000).unref();
      done();
    });
    a.pipe(b);
    b.pipe(a);
  });
}

/** The values of a (possibly repeated, possibly comma-separated) request header. */
export function headerValues(rawHeaders: string[], name: string): string[] {
  const out: string[] = [];
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    if (rawHeaders[i].toLowerCase() === name.toLowerCase()) out.push(...rawHeaders[i + 1].split(",").map((s) => s.trim()).filter(Boolean));
  }
  return out;
}
