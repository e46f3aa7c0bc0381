/**
 * The kubelet's exec, attach and port-forward endpoints: asks the runtime
 * (CRI Exec/Attach/PortForward) for a one-time stream URL and connects the
 * caller to it.
 *
 * - SPDY callers: the upgrade request is replayed to the runtime's stream
 *   server and, once it answers 101, the bytes are relayed untouched.
 * - WebSocket remote command callers (v5/v4.channel.k8s.io): terminated here
 *   and bridged to SPDY streams towards the runtime (v4 WebSocket cannot
 *   half-close stdin, SPDY can).
 * - WebSocket port-forward tunnel (`SPDY/3.1+portforward.k8s.io`): the SPDY
 *   bytes inside the WebSocket messages are relayed to the runtime's SPDY
 *   port-forward endpoint.
 * - WebSocket port-forward channel protocol (`portforward.k8s.io`, ports in
 *   the query): channel 2i carries port i's data, 2i+1 its errors.
 */
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { WebSocketServer, type WebSocket } from "ws";
import { badRequest, StatusError } from "../../machinery/errors.ts";
import {
  bridgeWebSocketToSpdy,
  openRemoteCommandStreams,
  PORTFORWARD_PROTOCOL,
  PORTFORWARD_TUNNEL_PROTOCOL,
  V4,
  WS_REMOTECOMMAND_PROTOCOLS,
  type StreamFlags,
} from "../../streaming/remotecommand.ts";
import { SpdySession } from "../../streaming/spdy/session.ts";
import { dialUpgrade, headerValues, splice, writeRawResponse, type UpgradeResult } from "../../streaming/upgrade.ts";

function isWebSocket(req: IncomingMessage): boolean {
  return (req.headers.upgrade ?? "").toLowerCase() === "websocket";
}

function offeredWsProtocols(req: IncomingMessage): string[] {
  return headerValues(req.rawHeaders, "sec-websocket-protocol");
}

/** Parses exec/attach flags the way the kubelet does (input/output/error/tty, also stdin/stdout/stderr). */
export function streamFlags(q: URLSearchParams): StreamFlags {
  const flag = (...names: string[]) => names.some((n) => ["1", "true"].includes((q.get(n) ?? "").toLowerCase()));
  const tty = flag("tty");
  const f = { stdin: flag("input", "stdin"), stdout: flag("output", "stdout"), stderr: flag("error", "stderr") && !tty, tty };
  if (!f.stdin && !f.stdout && !f.stderr && !(flag("error", "stderr") && tty)) {
    throw badRequest("you must specify at least 1 of stdin, stdout, stderr");
  }
  return f;
}

/**
 * Completes the WebSocket handshake answering with `protocol`. The offered
 * list is taken out of the request first: `ws` rejects subprotocol names that
 * are not RFC 7230 tokens, such as kubectl's `SPDY/3.1+portforward.k8s.io`.
 */
function acceptWs(req: IncomingMessage, socket: Duplex, head: Buffer, protocol: string): Promise<WebSocket> {
  return new Promise((resolve) => {
    delete req.headers["sec-websocket-protocol"];
    const server = new WebSocketServer({ noServer: true, perMessageDeflate: false });
    server.on("headers", (headers: string[]) => headers.push(`Sec-WebSocket-Protocol: ${protocol}`));
    server.handleUpgrade(req, socket, head, (ws) => resolve(ws));
  });
}

/** Relays a SPDY upgrade to the runtime's URL untouched (exec, attach, port-forward). */
async function relaySpdy(req: IncomingMessage, socket: Duplex, head: Buffer, url: string): Promise<void> {
  const versions = headerValues(req.rawHeaders, "x-stream-protocol-version");
  const r = await dialUpgrade(url, {
    method: "POST",
    headers: { Connection: "Upgrade", Upgrade: "SPDY/3.1", "X-Stream-Protocol-Version": versions },
  });
  if (!r.upgraded) return relayRefusal(socket, r);
  const chosen = r.headers["x-stream-protocol-version"];
  const hdrs: [string, string][] = [["Connection", "Upgrade"], ["Upgrade", "SPDY/3.1"]];
  if (chosen) hdrs.push(["X-Stream-Protocol-Version", String(chosen)]);
  writeRawResponse(socket, 101, hdrs);
  if (r.head.length) socket.write(r.head);
  if (head.length) r.socket.write(head);
  await splice(socket, r.socket);
}

function relayRefusal(socket: Duplex, r: Extract<UpgradeResult, { upgraded: false }>): void {
  writeRawResponse(socket, r.statusCode, [["Content-Type", String(r.headers["content-type"] ?? "text/plain")], ["Connection", "close"]], r.body);
  socket.end();
}

/** A SPDY client session to the runtime's stream URL with the given protocol versions. */
async function runtimeSpdy(url: string, versions: string[]): Promise<SpdySession> {
  const r = await dialUpgrade(url, { method: "POST", headers: { Connection: "Upgrade", Upgrade: "SPDY/3.1", "X-Stream-Protocol-Version": versions } });
  if (!r.upgraded) {
    throw new StatusError("InternalError", `error dialing the container runtime stream server: ${r.statusCode} ${r.body.toString().trim()}`);
  }
  const session = new SpdySession(r.socket, { isServer: false });
  if (r.head.length) r.socket.unshift(r.head);
  return session;
}

/** Serves an exec or attach upgrade once the runtime URL is known. */
export async function serveRemoteCommand(req: IncomingMessage, socket: Duplex, head: Buffer, url: string, flags: StreamFlags): Promise<void> {
  if (!isWebSocket(req)) return relaySpdy(req, socket, head, url);
  const offered = offeredWsProtocols(req);
  const protocol = WS_REMOTECOMMAND_PROTOCOLS.find((p) => offered.includes(p));
  if (!protocol) throw badRequest(`unable to upgrade: none of the requested WebSocket subprotocols ${JSON.stringify(offered)} is supported (${WS_REMOTECOMMAND_PROTOCOLS.join(", ")})`);
  const session = await runtimeSpdy(url, [V4]);
  let streams;
  try {
    streams = await openRemoteCommandStreams(session, flags);
  } catch (err) {
    session.close();
    throw new StatusError("InternalError", String((err as Error).message));
  }
  const ws = await acceptWs(req, socket, head, protocol);
  await bridgeWebSocketToSpdy(ws, session, streams);
}

/** Serves a port-forward upgrade once the runtime URL is known. */
export async function servePortForward(req: IncomingMessage, socket: Duplex, head: Buffer, url: string, ports: number[]): Promise<void> {
  if (!isWebSocket(req)) return relaySpdy(req, socket, head, url);
  const offered = offeredWsProtocols(req);
  if (offered.includes(PORTFORWARD_TUNNEL_PROTOCOL)) {
    const r = await dialUpgrade(url, { method: "POST", headers: { Connection: "Upgrade", Upgrade: "SPDY/3.1", "X-Stream-Protocol-Version": PORTFORWARD_PROTOCOL } });
    if (!r.upgraded) return relayRefusal(socket, r);
    const ws = await acceptWs(req, socket, head, PORTFORWARD_TUNNEL_PROTOCOL);
    return tunnel(ws, r.socket, r.head);
  }
  const protocol = [PORTFORWARD_PROTOCOL, V4].find((p) => offered.includes(p)) ?? (offered.length === 0 ? PORTFORWARD_PROTOCOL : undefined);
  if (!protocol) throw badRequest(`unable to upgrade: unsupported WebSocket subprotocols ${JSON.stringify(offered)}`);
  if (ports.length === 0) throw badRequest("query parameter \"port\" is required");
  const session = await runtimeSpdy(url, [PORTFORWARD_PROTOCOL]);
  const ws = await acceptWs(req, socket, head, protocol);
  channelPortForward(ws, session, ports);
}

/** SPDY-in-WebSocket tunnel: each binary message is a run of SPDY bytes. */
function tunnel(ws: WebSocket, runtime: Duplex, head: Buffer): Promise<void> {
  return new Promise((resolve) => {
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      runtime.destroy();
      if (ws.readyState === ws.OPEN) ws.close(1000);
      resolve();
    };
    if (head.length) ws.send(head, { binary: true });
    runtime.on("data", (c: Buffer) => {
      ws.send(c, { binary: true });
      if (ws.bufferedAmount > 1024 * 1024) {
        runtime.pause();
        const t = setInterval(() => {
          if (ws.bufferedAmount < 256 * 1024 || ws.readyState !== ws.OPEN) {
            clearInterval(t);
            runtime.resume();
          }
        }, 10);
      }
    });
    ws.on("message", (data: Buffer | ArrayBuffer | Buffer[]) => {
      const b = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
      if (!runtime.write(b)) {
        ws.pause();
        runtime.once("drain", () => ws.resume());
      }
    });
    runtime.on("close", finish);
    runtime.on("error", finish);
    ws.on("close", finish);
    ws.on("error", finish);
  });
}

/** The older WebSocket port-forward protocol, one data/error channel pair per requested port. */
function channelPortForward(ws: WebSocket, session: SpdySession, ports: number[]): void {
  const dataStreams = ports.map((port, i) => {
    const headers = { port: String(port), requestid: String(i) };
    const err = session.openStream({ ...headers, streamtype: "error" }, { fin: true });
    const data = session.openStream({ ...headers, streamtype: "data" });
    const portBytes = Buffer.alloc(2);
    portBytes.writeUInt16LE(port);
    ws.send(Buffer.concat([Buffer.from([i * 2]), portBytes]), { binary: true });
    ws.send(Buffer.concat([Buffer.from([i * 2 + 1]), portBytes]), { binary: true });
    data.on("data", (c: Buffer) => ws.readyState === ws.OPEN && ws.send(Buffer.concat([Buffer.from([i * 2]), c]), { binary: true }));
    err.on("data", (c: Buffer) => ws.readyState === ws.OPEN && ws.send(Buffer.concat([Buffer.from([i * 2 + 1]), c]), { binary: true }));
    data.on("end", () => ws.readyState === ws.OPEN && ws.close(1000));
    return data;
  });
  ws.on("message", (m: Buffer | ArrayBuffer | Buffer[], isBinary: boolean) => {
    const b = Buffer.isBuffer(m) ? m : Array.isArray(m) ? Buffer.concat(m) : Buffer.from(m);
    if (!isBinary || b.length < 1 || b[0] % 2 !== 0) return;
    const s = dataStreams[b[0] / 2];
    if (s && !s.writableEnded) s.write(b.subarray(1));
  });
  ws.on("close", () => session.close());
  session.on("close", () => ws.readyState === ws.OPEN && ws.close(1000));
}
