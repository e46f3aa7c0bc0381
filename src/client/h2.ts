/**
 * One HTTP/2 connection to an apiserver, shared by every request and watch of
 * an ApiClient (as client-go multiplexes over one connection per transport).
 * The session is opened on first use and again after it closes (GOAWAY,
 * network error, server restart); it keeps the process alive only while
 * streams are open, like an idle keep-alive socket does not.
 */
import { connect, constants, type ClientHttp2Session, type ClientHttp2Stream, type OutgoingHttpHeaders } from "node:http2";

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

export class H2Connection {
  readonly #origin: string;
  readonly #tls: H2TlsOptions;
  #session: ClientHttp2Session | undefined;
  readonly #open = new Map<ClientHttp2Session, number>();
  #streams = 0;
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
    let s = this.#current();
    let st: ClientHttp2Stream;
    try {
      st = s.request(headers, { endStream });
    } catch {
      // The session went away between the check and the request: one retry on a fresh one.
      s.destroy();
      s = this.#current();
      st = s.request(headers, { endStream });
    }
    this.#streams++;
    const n = (this.#open.get(s) ?? 0) + 1;
    this.#open.set(s, n);
    if (n === 1) s.ref();
    st.once("close", () => {
      const left = (this.#open.get(s) ?? 1) - 1;
      if (left > 0) return void this.#open.set(s, left);
      this.#open.delete(s);
      if (!s.destroyed) s.unref();
    });
    return st;
  }

  /** Cancels `st` (RST_STREAM CANCEL); safe on finished streams. */
  static cancel(st: ClientHttp2Stream): void {
    if (!st.closed && !st.destroyed) st.close(constants.NGHTTP2_CANCEL);
  }

  /** Ends the session and every stream on it; later streams throw. */
  close(): void {
    this.#closed = true;
    this.#session?.destroy();
    this.#session = undefined;
  }

  #current(): ClientHttp2Session {
    const s = this.#session;
    if (s && !s.closed && !s.destroyed && this.#streams < maxStreamsPerSession) return s;
    if (s && !s.closed) s.close();
    this.#streams = 0;
    const ns = connect(this.#origin, {
      ca: this.#tls.ca,
      cert: this.#tls.cert,
      key: this.#tls.key,
      rejectUnauthorized: this.#tls.rejectUnauthorized,
      settings: { enablePush: false, initialWindowSize: streamWindowBytes },
    });
    // Failures reach the streams on the session; the session itself only needs forgetting.
    ns.on("error", () => {});
    ns.once("connect", () => ns.setLocalWindowSize(sessionWindowBytes));
    ns.once("close", () => {
      if (this.#session === ns) this.#session = undefined;
      this.#open.delete(ns);
    });
    ns.unref();
    this.#session = ns;
    return ns;
  }
}
