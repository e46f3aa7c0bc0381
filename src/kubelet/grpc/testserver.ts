/**
 * A tiny plaintext HTTP/2 gRPC server for tests: unary handlers by path
 * that take and return raw message bytes, or throw `{ code, details }` to
 * answer with a gRPC error status (sent as a trailers-only response).
 */
import * as http2 from "node:http2";
import { frame } from "./unary.ts";

/** A handler: request message bytes → response message bytes (may be async). */
export type TestHandler = (req: Buffer, headers: http2.IncomingHttpHeaders) => Buffer | Uint8Array | Promise<Buffer | Uint8Array>;

/** Creates an (unlistened) HTTP/2 server that serves `handlers`; unknown paths get UNIMPLEMENTED. */
export function createTestGrpcServer(handlers: Record<string, TestHandler>): http2.Http2Server {
  const server = http2.createServer();
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on("session", (s) => { sessions.add(s); s.on("close", () => sessions.delete(s)); });
  // tests emit "closeSessions" to drop every open connection (server.close() keeps them)
  server.on("closeSessions", () => { for (const s of sessions) s.destroy(); });
  server.on("stream", (stream, headers) => {
    const chunks: Buffer[] = [];
    stream.on("data", (c: Buffer) => chunks.push(c));
    stream.on("error", () => {});
    stream.on("end", async () => {
      const handler = handlers[String(headers[":path"])];
      const fail = (code: number, details: string) => {
        if (stream.destroyed) return;
        stream.respond({ ":status": 200, "content-type": "application/grpc", "grpc-status": String(code), "grpc-message": encodeURIComponent(details) }, { endStream: true });
      };
      if (!handler) return fail(12, `unknown method ${headers[":path"]}`);
      const body = Buffer.concat(chunks);
      try {
        const res = await handler(body.subarray(5, 5 + body.readUInt32BE(1)), headers);
        if (stream.destroyed) return;
        stream.respond({ ":status": 200, "content-type": "application/grpc" }, { waitForTrailers: true });
        stream.on("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0", "grpc-message": "" }));
        stream.end(frame(res));
      } catch (err) {
        const e = err as { code?: number; details?: string; message?: string };
        fail(e.code ?? 2, e.details ?? e.message ?? String(err));
      }
    });
  });
  return server;
}
