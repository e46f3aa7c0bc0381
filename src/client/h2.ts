/**
 * The HTTP/2 connection to an apiserver, shared by every request and watch of
 * an ApiClient (as client-go multiplexes over one connection per transport).
 * A session is opened on first use and again after it closes (GOAWAY,
 * network error, server restart); another one only when every session is at
 * the server's concurrent-stream limit. A session keeps the process alive only
 * while streams are open on it, as an idle keep-alive socket does not.
 */
import { connect, constants, type ClientHttp2Session, type ClientHttp2Stream, type OutgoingHttpHeaders } from "node:http2";

/** How the connection authenticates the server and itself (PEM strings). */
export interface H2TlsOptions {
  ca?: string;
  cert?: string;
  key?: string;
  rejectUnauthorized: boolean;
}

/** Receive windows: a watch or a large list streams without waiting on window updates. */
const streamWindowBytes = 4 << 20;
const sessionWindowBytes = 32 << 20;

/** Streams a session may open before it is retired (stream ids are 31-bit and odd). */
const maxStreamsPerSession = 1 << 29;

interface Session {
  s: ClientHttp2Session;
  /** Streams open now. */
  open: number;
  /** Streams opened so far. */
  opened: number;
  /** The server's concurrent-stream limit, once its SETTINGS arrived. */
  limit: number;
}

/** Streams to one apiserver origin over as few HTTP/2 sessions as its stream limit allows. */
export class H2Connection {
  readonly #origin: string;
  readonly #tls: H2TlsOptions;
  /** Usually one; another is dialled when every one is at the server's stream limit (long watches hold streams). */
  readonly #sessions: Session[] = [];
  #closed = false;

  /** A connection to `origin` (`https://host:port`); nothing is dialled until the first stream. */
  constructor(origin: string, tls: H2TlsOptions) {
    this.#origin = origin;
    this.#tls = tls;
  }

  /**
   * Opens a stream with `headers` (`:method`, `:path` and the rest). With
   * `endStream` the request has no body; otherwise the caller ends the stream.
   * Throws when the connection was closed.
   */
  stream(headers: OutgoingHttpHeaders, endStream: boolean): ClientHttp2Stream {
    if (this.#closed) throw new Error("client closed");
    let x = this.#pick();
    let st: ClientHttp2Stream;
    try {
      st = x.s.request(headers, { endStream });
    } catch {
      // The session went away between the check and the request: one retry on a fresh one.
      x.s.destroy();
      this.#forget(x);
      x = this.#pick();
      st = x.s.request(headers, { endStream });
    }
    x.opened++;
    if (x.open++ === 0) x.s.ref();
    st.once("close", () => {
      if (--x.open === 0 && !x.s.destroyed) x.s.unref();
    });
    return st;
  }

  /** Cancels `st` (RST_STREAM CANCEL); safe on finished streams. */
  static cancel(st: ClientHttp2Stream): void {
    if (!st.closed && !st.destroyed) st.close(constants.NGHTTP2_CANCEL);
  }

  /** Ends the sessions and every stream on them; later streams throw. */
  close(): void {
    this.#closed = true;
    for (const x of this.#sessions.splice(0)) x.s.destroy();
  }

  /** Sessions open now (for tests). */
  get sessionCount(): number {
    return this.#sessions.length;
  }

  #pick(): Session {
    for (const x of this.#sessions) {
      if (x.s.closed || x.s.destroyed) continue;
      if (x.opened >= maxStreamsPerSession) {
        x.s.close();
        continue;
      }
      if (x.open < x.limit) return x;
    }
    return this.#dial();
  }

  #forget(x: Session): void {
    const i = this.#sessions.indexOf(x);
    if (i >= 0) this.#sessions.splice(i, 1);
  }

  #dial(): Session {
    const s = connect(this.#origin, {
      ca: this.#tls.ca,
      cert: this.#tls.cert,
      key: this.#tls.key,
      rejectUnauthorized: this.#tls.rejectUnauthorized,
      settings: { enablePush: false, initialWindowSize: streamWindowBytes },
    });
    const x: Session = { s, open: 0, opened: 0, limit: Infinity };
    // Failures reach the streams on the session; the session itself only needs forgetting.
    s.on("error", () => {});
    s.once("connect", () => s.setLocalWindowSize(sessionWindowBytes));
    s.on("remoteSettings", (st) => (x.limit = st.maxConcurrentStreams ?? Infinity));
    s.once("close", () => this.#forget(x));
    s.unref();
    this.#sessions.push(x);
    return x;
  }
}
