/**
 * A minimal gRPC client for unary calls over plaintext HTTP/2 (node:http2):
 * one long-lived session per channel, reopened on demand after it closes.
 * Messages are opaque bytes here (the caller encodes/decodes protobuf).
 * Failures reject with a `GrpcError` shaped like grpc-js's errors (`code`,
 * `details`, message `"<code> <NAME>: <details>"`), because callers match on
 * those fields.
 */
import * as http2 from "node:http2";
import type { Duplex } from "node:stream";

/** gRPC status code names, indexed by code. */
export const statusNames = [
  "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND", "ALREADY_EXISTS",
  "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE",
  "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED",
] as const;

/** The gRPC status codes used by name in this code base. */
export const Status = {
  OK: 0, CANCELLED: 1, UNKNOWN: 2, DEADLINE_EXCEEDED: 4, NOT_FOUND: 5, RESOURCE_EXHAUSTED: 8,
  UNIMPLEMENTED: 12, INTERNAL: 13, UNAVAILABLE: 14, UNAUTHENTICATED: 16, PERMISSION_DENIED: 7,
} as const;

/** A failed call: `code` is the gRPC status, `details` the server's (decoded) message. */
export class GrpcError extends Error {
  readonly code: number;
  readonly details: string;
  constructor(code: number, details: string) {
    super(`${code} ${statusNames[code] ?? "UNKNOWN"}: ${details}`);
    this.code = code;
    this.details = details;
  }
}

/** Channel options: how to open the transport and the largest response accepted. */
export interface ChannelOptions {
  /** Opens the byte stream the HTTP/2 session runs on (unix socket, TCP). */
  connect: () => Duplex;
  /** Value of `:authority`; default "localhost". */
  authority?: string;
  /** Largest response message in bytes; default 16 MiB. */
  maxReceiveBytes?: number;
}

/** A gRPC channel: `call(path, bytes, timeoutMs)` resolves to the response message bytes. */
export interface Channel {
  call(path: string, message: Uint8Array, timeoutMs: number): Promise<Buffer>;
  close(): void;
}

/** HTTP status → gRPC code, for responses that are not gRPC at all. */
function httpToGrpc(status: number): number {
  if (status === 400) return Status.INTERNAL;
  if (status === 401) return Status.UNAUTHENTICATED;
  if (status === 403) return Status.PERMISSION_DENIED;
  if (status === 404) return Status.UNIMPLEMENTED;
  if (status === 429 || status === 502 || status === 503 || status === 504) return Status.UNAVAILABLE;
  return Status.UNKNOWN;
}

/** Encodes a timeout as a `grpc-timeout` header value (at most 8 digits). */
export function grpcTimeout(ms: number): string {
  const n = Math.max(0, Math.ceil(ms));
  return n < 1e8 ? `${n}m` : `${Math.min(Math.ceil(n / 1000), 99_999_999)}S`;
}

/** Frames one message: compressed flag 0, 4-byte big-endian length, bytes. */
export function frame(message: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(5 + message.length);
  out[0] = 0;
  out.writeUInt32BE(message.length, 1);
  out.set(message, 5);
  return out;
}

function decodeMessage(raw: string | string[] | undefined): string {
  const s = Array.isArray(raw) ? raw.join(",") : raw ?? "";
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** Opens a channel; nothing connects until the first call. */
export function createChannel(opts: ChannelOptions): Channel {
  const maxReceive = opts.maxReceiveBytes ?? 16 * 1024 * 1024;
  const authority = `http://${opts.authority ?? "localhost"}`;
  let session: http2.ClientHttp2Session | undefined;
  let closed = false;
  let lastError = "";

  const getSession = (): http2.ClientHttp2Session => {
    if (session && !session.closed && !session.destroyed) return session;
    const s = http2.connect(authority, { createConnection: () => opts.connect() });
    s.on("error", (err) => { lastError = err.message; });
    s.on("close", () => { if (session === s) session = undefined; });
    s.on("goaway", () => { if (session === s) session = undefined; });
    s.unref();
    session = s;
    return s;
  };

  const call = (path: string, message: Uint8Array, timeoutMs: number): Promise<Buffer> => new Promise((resolve, reject) => {
    if (closed) return reject(new GrpcError(Status.UNAVAILABLE, "Channel has been shut down"));
    const start = Date.now();
    let done = false;
    let headersSeen = false;
    let stream: http2.ClientHttp2Stream | undefined;
    const finish = (err: GrpcError | undefined, body?: Buffer) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (stream && !stream.closed) stream.close(http2.constants.NGHTTP2_CANCEL);
      if (err) reject(err); else resolve(body!);
    };
    const timer = setTimeout(() => {
      finish(new GrpcError(Status.DEADLINE_EXCEEDED, `Deadline exceeded after ${((Date.now() - start) / 1000).toFixed(3)}s`));
    }, Math.max(0, timeoutMs));
    let s: http2.ClientHttp2Session;
    try {
      s = getSession();
      stream = s.request({
        ":method": "POST",
        ":path": path,
        "content-type": "application/grpc",
        te: "trailers",
        "grpc-timeout": grpcTimeout(timeoutMs),
        "user-agent": "tskube-grpc/1",
      });
    } catch (err) {
      return finish(new GrpcError(Status.UNAVAILABLE, `No connection established. Last error: ${(err as Error).message}`));
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let status: number | undefined;
    let details = "";
    const fromMeta = (h: http2.IncomingHttpHeaders) => {
      if (h["grpc-status"] !== undefined) {
        status = Number(h["grpc-status"]);
        details = decodeMessage(h["grpc-message"]);
      }
    };
    stream.on("response", (h) => {
      headersSeen = true;
      const httpStatus = Number(h[":status"]);
      fromMeta(h); // trailers-only response
      if (status === undefined && httpStatus !== 200) {
        status = httpToGrpc(httpStatus);
        details = `Received HTTP status code ${httpStatus}`;
      }
    });
    stream.on("trailers", (h) => fromMeta(h));
    stream.on("data", (c: Buffer) => {
      size += c.length;
      if (size > maxReceive + 5) return finish(new GrpcError(Status.RESOURCE_EXHAUSTED, `Received message larger than max (${size - 5} vs. ${maxReceive})`));
      chunks.push(c);
    });
    let streamError = "";
    stream.on("error", (err) => { streamError = err.message; });
    stream.on("close", () => {
      if (done) return;
      if (status === undefined) {
        const rst = stream!.rstCode;
        if (!headersSeen && s.destroyed) return finish(new GrpcError(Status.UNAVAILABLE, `No connection established. Last error: ${lastError || streamError || "connection closed"}`));
        if (rst === http2.constants.NGHTTP2_REFUSED_STREAM) return finish(new GrpcError(Status.UNAVAILABLE, "Stream refused by server"));
        if (rst === http2.constants.NGHTTP2_CANCEL) return finish(new GrpcError(Status.CANCELLED, "Call cancelled"));
        if (rst) return finish(new GrpcError(Status.INTERNAL, `Received RST_STREAM with code ${rst}`));
        return finish(new GrpcError(Status.UNAVAILABLE, lastError || streamError ? `Connection dropped: ${lastError || streamError}` : "Connection dropped"));
      }
      if (status !== Status.OK) return finish(new GrpcError(status, details));
      const body = Buffer.concat(chunks);
      if (body.length < 5) return finish(new GrpcError(Status.UNIMPLEMENTED, "No message received"));
      if (body[0] !== 0) return finish(new GrpcError(Status.INTERNAL, "Received compressed message but no compression was requested"));
      const len = body.readUInt32BE(1);
      if (body.length < 5 + len) return finish(new GrpcError(Status.INTERNAL, "Truncated message"));
      finish(undefined, body.subarray(5, 5 + len));
    });
    stream.end(frame(message));
  });

  return {
    call,
    close() {
      closed = true;
      session?.close();
      session = undefined;
    },
  };
}
