/**
 * The Kubernetes remote command protocols (exec/attach) and the bridge from
 * the WebSocket channel protocol (v5.channel.k8s.io, v4.channel.k8s.io) to
 * SPDY (v4.channel.k8s.io) as container runtimes speak it.
 *
 * WebSocket framing: every binary message starts with a channel byte — 0
 * stdin, 1 stdout, 2 stderr, 3 error (a meta/v1 Status JSON), 4 resize
 * (TerminalSize JSON). v5 adds channel 255: a message `[255, id]` half-closes
 * stream `id` (the client's end of stdin). The server ends the session with
 * a normal (1000) close after the error channel.
 *
 * SPDY: the client opens one stream per channel with the header `streamtype`
 * (error, stdin, stdout, stderr, resize); half-closing stdin is a FIN.
 */
import type { WebSocket } from "ws";
import type { SpdySession, SpdyStream } from "./spdy/session.ts";

export const Channel = { stdin: 0, stdout: 1, stderr: 2, error: 3, resize: 4, close: 255 } as const;

export const V5 = "v5.channel.k8s.io";
export const V4 = "v4.channel.k8s.io";
/** WebSocket subprotocols the kubelet terminates, best first. */
export const WS_REMOTECOMMAND_PROTOCOLS = [V5, V4];
/** SPDY remote command versions runtimes (containerd) accept. */
export const SPDY_REMOTECOMMAND_PROTOCOLS = [V4, "v3.channel.k8s.io", "v2.channel.k8s.io", "channel.k8s.io"];
/** Port-forward: SPDY protocol version, and the SPDY-in-WebSocket tunnel subprotocol (kubectl ≥ 1.30). */
export const PORTFORWARD_PROTOCOL = "portforward.k8s.io";
export const PORTFORWARD_TUNNEL_PROTOCOL = "SPDY/3.1+portforward.k8s.io";

export interface StreamFlags {
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
}

/** The SPDY streams of one remote command session (client side). */
export interface RemoteCommandStreams {
  error: SpdyStream;
  stdin?: SpdyStream;
  stdout?: SpdyStream;
  stderr?: SpdyStream;
  resize?: SpdyStream;
}

/**
 * Opens the v4 streams on a client SPDY session (error first, as upstream's
 * client does) and waits until the runtime has accepted all of them.
 */
export async function openRemoteCommandStreams(session: SpdySession, f: StreamFlags, timeoutMs = 30_000): Promise<RemoteCommandStreams> {
  const open = (type: string, fin = false) => session.openStream({ streamtype: type }, { fin });
  const streams: RemoteCommandStreams = { error: open("error", true) };
  if (f.stdin) streams.stdin = open("stdin");
  if (f.stdout) streams.stdout = open("stdout", true);
  if (f.stderr && !f.tty) streams.stderr = open("stderr", true);
  if (f.tty) streams.resize = open("resize");
  const all = Object.values(streams).filter(Boolean) as SpdyStream[];
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    Promise.all(all.map((s) => s.waitReply())),
    new Promise((_, reject) => (timer = setTimeout(() => reject(new Error("timed out waiting for the runtime to accept the streams")), timeoutMs))),
  ]).finally(() => clearTimeout(timer));
  return streams;
}

function ended(s: SpdyStream | undefined): Promise<void> {
  if (!s || s.readableEnded || s.destroyed) return Promise.resolve();
  return new Promise((r) => {
    s.once("end", r);
    s.once("close", r);
  });
}

const WS_HIGH_WATER = 1024 * 1024;

/**
 * Relays one accepted WebSocket (protocol v5 or v4) to the SPDY streams of a
 * runtime session until the command finishes: stdout/stderr become channel
 * 1/2 messages, the runtime's error stream the channel 3 message, then a
 * normal close. Client stdin (0) and resize (4) go to the runtime; v5's close
 * signal on stdin half-closes the SPDY stdin stream. Resolves when done.
 */
export function bridgeWebSocketToSpdy(ws: WebSocket, session: SpdySession, streams: RemoteCommandStreams): Promise<void> {
  return new Promise((resolve) => {
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      session.close();
      resolve();
    };
    const relay = (s: SpdyStream | undefined, channel: number) => {
      if (!s) return;
      const prefix = Buffer.from([channel]);
      s.on("data", (chunk: Buffer) => {
        if (ws.readyState !== ws.OPEN) return;
        ws.send(Buffer.concat([prefix, chunk]), { binary: true }, () => {
          if (s.isPaused() && ws.bufferedAmount < WS_HIGH_WATER / 2) s.resume();
        });
        if (ws.bufferedAmount > WS_HIGH_WATER) s.pause();
      });
    };
    relay(streams.stdout, Channel.stdout);
    relay(streams.stderr, Channel.stderr);
    const errorChunks: Buffer[] = [];
    streams.error.on("data", (c: Buffer) => errorChunks.push(c));

    ws.on("message", (data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean) => {
      const msg = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
      if (!isBinary || msg.length === 0) return;
      const payload = msg.subarray(1);
      switch (msg[0]) {
        case Channel.stdin:
          if (streams.stdin && !streams.stdin.writableEnded && payload.length) {
            if (!streams.stdin.write(payload)) {
              ws.pause();
              streams.stdin.once("drain", () => ws.resume());
            }
          }
          return;
        case Channel.resize:
          if (streams.resize && !streams.resize.writableEnded && payload.length) streams.resize.write(payload);
          return;
        case Channel.close:
          if (payload[0] === Channel.stdin && streams.stdin && !streams.stdin.writableEnded) streams.stdin.end();
          if (payload[0] === Channel.resize && streams.resize && !streams.resize.writableEnded) streams.resize.end();
          return;
      }
    });
    ws.on("close", () => finish());
    ws.on("error", () => finish());
    session.on("close", () => {
      // Let the relays drain what the runtime sent before the connection ended.
      setImmediate(() => void done());
    });

    let closing = false;
    const done = async () => {
      if (closing) return;
      closing = true;
      await Promise.all([ended(streams.stdout), ended(streams.stderr), ended(streams.error)]);
      if (ws.readyState === ws.OPEN) {
        const err = Buffer.concat(errorChunks);
        if (err.length) ws.send(Buffer.concat([Buffer.from([Channel.error]), err]), { binary: true });
        ws.close(1000);
      }
      finish();
    };
    Promise.all([ended(streams.stdout), ended(streams.stderr), ended(streams.error)]).then(() => void done());
  });
}
