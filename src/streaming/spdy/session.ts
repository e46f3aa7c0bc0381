/**
 * A SPDY/3.1 session over any byte stream (an upgraded HTTP socket, a TLS
 * socket, or the tunnelled bytes of a WebSocket): stream creation and
 * acceptance (SYN_STREAM/SYN_REPLY), data with half-close (FIN), resets,
 * PING, GOAWAY, SETTINGS and flow control windows.
 *
 * Flow control: received data is acknowledged with stream WINDOW_UPDATEs as
 * the consumer reads it. Sending honours the peer's windows once the peer has
 * shown that it does flow control (sent a WINDOW_UPDATE) — Go's spdystream,
 * which kubectl, the kubelet and containerd use, never does and ignores
 * windows — or always with `flowControl: "always"`.
 */
import { EventEmitter } from "node:events";
import { Duplex } from "node:stream";
import {
  encodeFrame,
  FLAG_FIN,
  FLAG_UNIDIRECTIONAL,
  FrameReader,
  RstStatus,
  SETTINGS_INITIAL_WINDOW_SIZE,
  SpdyProtocolError,
  type Frame,
} from "./frames.ts";
import { HeaderCompressor, HeaderDecompressor, type SpdyHeaders } from "./headers.ts";

export type { SpdyHeaders } from "./headers.ts";

export const DEFAULT_WINDOW = 64 * 1024;
const MAX_DATA_FRAME = 16 * 1024;

export interface SpdySessionOptions {
  /** Server sessions open even stream ids and answer odd pings; clients the opposite. */
  isServer: boolean;
  /** "auto" (default): enforce the peer's windows once it sends WINDOW_UPDATE; "always"; "never". */
  flowControl?: "auto" | "always" | "never";
  /** Receive window advertised per stream (default 64 KiB; sent in SETTINGS when different). */
  receiveWindow?: number;
}

interface PendingWrite {
  data: Buffer;
  fin: boolean;
  cb: (err?: Error | null) => void;
}

/**
 * One SPDY stream: a Duplex whose readable side carries the peer's DATA and
 * whose writable side sends DATA; `end()` half-closes (FIN). A reset by the
 * peer ends both sides without an 'error' and emits 'reset'.
 */
export class SpdyStream extends Duplex {
  readonly id: number;
  readonly session: SpdySession;
  /** Headers of the SYN_STREAM (plus later HEADERS frames). */
  headers: SpdyHeaders;
  /** Headers of the SYN_REPLY (streams this side opened). */
  replyHeaders: SpdyHeaders | undefined;
  wasReset = false;
  /** @internal */ sendWindow: number;
  /** @internal */ recvWindow: number;
  /** @internal */ unacked = 0;
  /** @internal */ pending: PendingWrite[] = [];
  /** @internal */ localFin = false;
  /** @internal */ remoteFin = false;
  /** @internal */ replied = false;
  private replyWaiters: { resolve: (h: SpdyHeaders) => void; reject: (e: Error) => void }[] = [];

  constructor(session: SpdySession, id: number, headers: SpdyHeaders, sendWindow: number, recvWindow: number) {
    super({ allowHalfOpen: true, highWaterMark: 64 * 1024 });
    this.session = session;
    this.id = id;
    this.headers = headers;
    this.sendWindow = sendWindow;
    this.recvWindow = recvWindow;
    // Failures surface as 'reset'/'close'; an 'error' nobody listens to must not crash the process.
    this.on("error", () => {});
  }

  /** Answers a stream the peer opened (SYN_REPLY). */
  reply(headers: SpdyHeaders = {}, fin = false): void {
    if (this.replied) return;
    this.replied = true;
    this.session.sendControl({ type: "syn_reply", streamId: this.id, flags: fin ? FLAG_FIN : 0, block: this.session.compress(headers) });
    if (fin) {
      this.localFin = true;
      this.end();
    }
  }

  /** Resolves with the SYN_REPLY headers of a stream this side opened; rejects on reset/close. */
  waitReply(): Promise<SpdyHeaders> {
    if (this.replyHeaders) return Promise.resolve(this.replyHeaders);
    if (this.wasReset || this.destroyed) return Promise.reject(new Error(`spdy: stream ${this.id} reset`));
    return new Promise((resolve, reject) => this.replyWaiters.push({ resolve, reject }));
  }

  /** Sends RST_STREAM and tears the stream down. */
  reset(status: number = RstStatus.CANCEL): void {
    if (this.destroyed) return;
    this.session.sendControl({ type: "rst_stream", streamId: this.id, status, flags: 0 });
    this.session.forget(this);
    this.destroy();
  }

  /** @internal */ onReply(headers: SpdyHeaders): void {
    this.replyHeaders = headers;
    this.replied = true;
    for (const w of this.replyWaiters.splice(0)) w.resolve(headers);
  }

  /** @internal */ onRemoteFin(): void {
    if (this.remoteFin) return;
    this.remoteFin = true;
    this.push(null);
    this.session.maybeForget(this);
  }

  /** @internal */ onReset(): void {
    this.wasReset = true;
    for (const w of this.replyWaiters.splice(0)) w.reject(new Error(`spdy: stream ${this.id} reset by peer`));
    this.emit("reset");
    if (!this.remoteFin) {
      this.remoteFin = true;
      this.push(null);
    }
    for (const p of this.pending.splice(0)) p.cb();
    this.destroy();
  }

  override _read(): void {
    this.session.ack(this);
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    if (this.localFin) return cb(new Error(`spdy: write after end on stream ${this.id}`));
    this.pending.push({ data: chunk, fin: false, cb });
    this.session.flushStream(this);
  }

  override _final(cb: (err?: Error | null) => void): void {
    if (this.localFin || this.wasReset) return cb();
    this.pending.push({ data: Buffer.alloc(0), fin: true, cb });
    this.session.flushStream(this);
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    for (const w of this.replyWaiters.splice(0)) w.reject(err ?? new Error(`spdy: stream ${this.id} closed`));
    this.session.forget(this);
    cb(err);
  }
}

/**
 * Events: 'stream' (SpdyStream opened by the peer; answer with reply() or
 * reset()), 'goaway', 'close' (the connection ended; all streams are torn down).
 */
export class SpdySession extends EventEmitter {
  readonly socket: Duplex;
  readonly isServer: boolean;
  readonly streams = new Map<number, SpdyStream>();
  goneAway = false;
  closed = false;
  private readonly reader = new FrameReader();
  private readonly compressor = new HeaderCompressor();
  private readonly decompressor = new HeaderDecompressor();
  private chain: Promise<void> = Promise.resolve();
  private nextId: number;
  private nextPing: number;
  private lastRemoteId = 0;
  private readonly mode: "auto" | "always" | "never";
  private enforceStream: boolean;
  private enforceSession: boolean;
  private sessionSendWindow = DEFAULT_WINDOW;
  private peerInitialWindow = DEFAULT_WINDOW;
  private readonly receiveWindow: number;
  private pings = new Map<number, () => void>();
  private blocked = new Set<SpdyStream>();
  private drainWaiters: (() => void)[] = [];

  constructor(socket: Duplex, opts: SpdySessionOptions) {
    super();
    this.socket = socket;
    this.isServer = opts.isServer;
    this.nextId = opts.isServer ? 2 : 1;
    this.nextPing = opts.isServer ? 2 : 1;
    this.mode = opts.flowControl ?? "auto";
    this.enforceStream = this.mode === "always";
    this.enforceSession = this.mode === "always";
    this.receiveWindow = opts.receiveWindow ?? DEFAULT_WINDOW;
    if (this.receiveWindow !== DEFAULT_WINDOW) {
      this.sendControl({ type: "settings", flags: 0, entries: [{ id: SETTINGS_INITIAL_WINDOW_SIZE, flags: 0, value: this.receiveWindow }] });
    }
    socket.on("data", (chunk: Buffer) => this.onBytes(chunk));
    socket.on("end", () => this.enqueue(() => this.teardown()));
    socket.on("close", () => this.enqueue(() => this.teardown()));
    // Like end and close, an error (say ECONNRESET from a peer that closed
    // with unread data) tears down only after the frames already received:
    // they may still hold a command's last output.
    socket.on("error", () => this.enqueue(() => this.teardown()));
    socket.on("drain", () => {
      for (const w of this.drainWaiters.splice(0)) w();
    });
  }

  /** Opens a stream (SYN_STREAM). `fin`: no data will follow from this side. */
  openStream(headers: SpdyHeaders, opts: { fin?: boolean; priority?: number } = {}): SpdyStream {
    if (this.closed || this.goneAway) throw new Error("spdy: session is closed");
    const id = this.nextId;
    this.nextId += 2;
    const s = new SpdyStream(this, id, headers, this.peerInitialWindow, this.receiveWindow);
    this.streams.set(id, s);
    this.sendControl({
      type: "syn_stream",
      streamId: id,
      associatedId: 0,
      priority: opts.priority ?? 0,
      slot: 0,
      flags: opts.fin ? FLAG_FIN : 0,
      block: this.compress(headers),
    });
    if (opts.fin) {
      s.localFin = true;
      s.end();
    }
    return s;
  }

  /** Round trip time of a PING in ms. */
  ping(timeoutMs = 10_000): Promise<number> {
    const id = this.nextPing;
    this.nextPing += 2;
    const start = Date.now();
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => {
        this.pings.delete(id);
        reject(new Error("spdy: ping timeout"));
      }, timeoutMs);
      this.pings.set(id, () => {
        clearTimeout(t);
        resolve(Date.now() - start);
      });
      this.sendControl({ type: "ping", id, flags: 0 });
    });
  }

  /** Sends GOAWAY: no new streams are accepted; open ones continue. */
  goAway(status = 0): void {
    if (this.goneAway || this.closed) return;
    this.goneAway = true;
    this.sendControl({ type: "goaway", lastGoodStreamId: this.lastRemoteId, status, flags: 0 });
  }

  /** GOAWAY, then ends the connection. */
  close(): void {
    this.goAway();
    if (!this.socket.destroyed) this.socket.end();
    this.teardown();
  }

  /** @internal */ compress(headers: SpdyHeaders): Buffer {
    return this.compressor.compress(headers);
  }

  /** @internal */ sendControl(f: Frame): boolean {
    if (this.socket.destroyed || this.socket.writableEnded) return false;
    return this.socket.write(encodeFrame(f));
  }

  /** @internal */ forget(s: SpdyStream): void {
    if (this.streams.get(s.id) === s) this.streams.delete(s.id);
    this.blocked.delete(s);
  }

  /** @internal */ maybeForget(s: SpdyStream): void {
    if (s.localFin && s.remoteFin) this.forget(s);
  }

  /** @internal Acknowledges consumed data (stream WINDOW_UPDATE). */
  ack(s: SpdyStream): void {
    if (s.unacked <= 0 || this.closed || s.remoteFin) return;
    const delta = s.unacked;
    s.unacked = 0;
    s.recvWindow += delta;
    this.sendControl({ type: "window_update", streamId: s.id, delta, flags: 0 });
    if (this.enforceSession && this.mode !== "never") this.sendControl({ type: "window_update", streamId: 0, delta, flags: 0 });
  }

  /** @internal Sends as much of a stream's pending writes as windows allow. */
  flushStream(s: SpdyStream): void {
    while (s.pending.length) {
      const p = s.pending[0];
      if (this.closed || this.socket.destroyed) {
        s.pending.shift();
        s.localFin = true;
        p.cb();
        continue;
      }
      let allowed = Math.min(p.data.length, MAX_DATA_FRAME);
      if (this.enforceStream) allowed = Math.min(allowed, s.sendWindow);
      if (this.enforceSession) allowed = Math.min(allowed, this.sessionSendWindow);
      if (allowed <= 0 && p.data.length > 0) {
        this.blocked.add(s);
        return;
      }
      const part = p.data.subarray(0, allowed);
      const rest = p.data.subarray(allowed);
      const last = rest.length === 0;
      const fin = p.fin && last;
      s.sendWindow -= part.length;
      this.sessionSendWindow -= part.length;
      const ok = this.socket.write(encodeFrame({ type: "data", streamId: s.id, flags: fin ? FLAG_FIN : 0, data: Buffer.from(part) }));
      if (!last) {
        p.data = rest;
        if (!ok) {
          this.drainWaiters.push(() => this.flushStream(s));
          return;
        }
        continue;
      }
      s.pending.shift();
      if (fin) {
        s.localFin = true;
        this.maybeForget(s);
      }
      if (ok) p.cb();
      else this.drainWaiters.push(() => p.cb());
    }
  }

  private onBytes(chunk: Buffer): void {
    let frames: Frame[];
    try {
      frames = this.reader.push(chunk);
    } catch (err) {
      this.protocolError(err as Error);
      return;
    }
    for (const f of frames) this.enqueue(() => this.handle(f));
  }

  private enqueue(fn: () => void | Promise<void>): void {
    this.chain = this.chain.then(fn).catch((err) => this.protocolError(err as Error));
  }

  private protocolError(err: Error): void {
    if (this.closed) return;
    this.emit("protocolError", err);
    this.goAway(1);
    this.socket.destroy();
    this.teardown();
  }

  private async handle(f: Frame): Promise<void> {
    if (this.closed) return;
    switch (f.type) {
      case "data": {
        const s = this.streams.get(f.streamId);
        if (!s) return;
        if (f.data.length) {
          s.recvWindow -= f.data.length;
          if (s.recvWindow < 0 && this.mode === "always") {
            s.reset(RstStatus.FLOW_CONTROL_ERROR);
            return;
          }
          s.unacked += f.data.length;
          if (s.remoteFin) return;
          const more = s.push(f.data);
          if (more && s.unacked >= this.receiveWindow / 2) this.ack(s);
        }
        if (f.flags & FLAG_FIN) s.onRemoteFin();
        return;
      }
      case "syn_stream": {
        const headers = await this.decompressor.decompress(f.block);
        if (f.streamId <= this.lastRemoteId || (f.streamId % 2 === 1) === !this.isServer) {
          this.sendControl({ type: "rst_stream", streamId: f.streamId, status: RstStatus.PROTOCOL_ERROR, flags: 0 });
          return;
        }
        this.lastRemoteId = f.streamId;
        if (this.goneAway) {
          this.sendControl({ type: "rst_stream", streamId: f.streamId, status: RstStatus.REFUSED_STREAM, flags: 0 });
          return;
        }
        const s = new SpdyStream(this, f.streamId, headers, this.peerInitialWindow, this.receiveWindow);
        this.streams.set(f.streamId, s);
        if (f.flags & FLAG_UNIDIRECTIONAL) {
          s.localFin = true;
          s.replied = true;
          s.end();
        }
        if (f.flags & FLAG_FIN) s.onRemoteFin();
        this.emit("stream", s);
        return;
      }
      case "syn_reply": {
        const headers = await this.decompressor.decompress(f.block);
        const s = this.streams.get(f.streamId);
        if (!s) return;
        s.onReply(headers);
        if (f.flags & FLAG_FIN) s.onRemoteFin();
        return;
      }
      case "headers": {
        const headers = await this.decompressor.decompress(f.block);
        const s = this.streams.get(f.streamId);
        if (!s) return;
        Object.assign(s.headers, headers);
        s.emit("headers", headers);
        if (f.flags & FLAG_FIN) s.onRemoteFin();
        return;
      }
      case "rst_stream": {
        const s = this.streams.get(f.streamId);
        if (!s) return;
        this.forget(s);
        s.onReset();
        return;
      }
      case "settings": {
        for (const e of f.entries) {
          if (e.id === SETTINGS_INITIAL_WINDOW_SIZE) {
            const delta = e.value - this.peerInitialWindow;
            this.peerInitialWindow = e.value;
            for (const s of this.streams.values()) s.sendWindow += delta;
            this.unblock();
          }
        }
        return;
      }
      case "ping": {
        const mine = (f.id % 2 === 0) === this.isServer;
        if (!mine) {
          this.sendControl({ type: "ping", id: f.id, flags: 0 });
          return;
        }
        const done = this.pings.get(f.id);
        this.pings.delete(f.id);
        done?.();
        return;
      }
      case "goaway":
        this.goneAway = true;
        this.emit("goaway", f.lastGoodStreamId, f.status);
        return;
      case "window_update": {
        if (this.mode === "never") return;
        if (f.streamId === 0) {
          this.enforceSession = true;
          this.sessionSendWindow += f.delta;
        } else {
          this.enforceStream = true;
          const s = this.streams.get(f.streamId);
          if (s) s.sendWindow += f.delta;
        }
        this.unblock();
        return;
      }
      case "unknown":
        return;
    }
  }

  private unblock(): void {
    for (const s of [...this.blocked]) {
      this.blocked.delete(s);
      this.flushStream(s);
    }
  }

  private teardown(): void {
    if (this.closed) return;
    this.closed = true;
    this.goneAway = true;
    for (const s of [...this.streams.values()]) {
      if (!s.remoteFin) {
        s.remoteFin = true;
        s.push(null);
      }
      s.localFin = true;
      for (const p of s.pending.splice(0)) p.cb();
      if (!s.writableEnded) s.end();
    }
    this.streams.clear();
    for (const w of this.drainWaiters.splice(0)) w();
    this.decompressor.close();
    this.emit("close");
  }
}

export { SpdyProtocolError };
