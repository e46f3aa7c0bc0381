/**
 * SPDY/3.1 framing: encoding and incremental decoding of data frames and the
 * control frames SYN_STREAM, SYN_REPLY, RST_STREAM, SETTINGS, PING, GOAWAY,
 * HEADERS and WINDOW_UPDATE. Header blocks stay opaque (compressed) here;
 * headers.ts turns them into name/value pairs.
 */

export const SPDY_VERSION = 3;

export const FrameType = {
  SYN_STREAM: 1,
  SYN_REPLY: 2,
  RST_STREAM: 3,
  SETTINGS: 4,
  PING: 6,
  GOAWAY: 7,
  HEADERS: 8,
  WINDOW_UPDATE: 9,
} as const;

export const FLAG_FIN = 0x01;
export const FLAG_UNIDIRECTIONAL = 0x02;

/** RST_STREAM status codes. */
export const RstStatus = {
  PROTOCOL_ERROR: 1,
  INVALID_STREAM: 2,
  REFUSED_STREAM: 3,
  UNSUPPORTED_VERSION: 4,
  CANCEL: 5,
  INTERNAL_ERROR: 6,
  FLOW_CONTROL_ERROR: 7,
  STREAM_IN_USE: 8,
  STREAM_ALREADY_CLOSED: 9,
  FRAME_TOO_LARGE: 11,
} as const;

/** SETTINGS ids used here. */
export const SETTINGS_INITIAL_WINDOW_SIZE = 7;
export const SETTINGS_MAX_CONCURRENT_STREAMS = 4;

/** Largest payload of one frame (24-bit length). */
export const MAX_FRAME_LENGTH = 0xffffff;

export type Frame =
  | { type: "data"; streamId: number; flags: number; data: Buffer }
  | { type: "syn_stream"; streamId: number; associatedId: number; priority: number; slot: number; flags: number; block: Buffer }
  | { type: "syn_reply"; streamId: number; flags: number; block: Buffer }
  | { type: "rst_stream"; streamId: number; status: number; flags: number }
  | { type: "settings"; flags: number; entries: { id: number; flags: number; value: number }[] }
  | { type: "ping"; id: number; flags: number }
  | { type: "goaway"; lastGoodStreamId: number; status: number; flags: number }
  | { type: "headers"; streamId: number; flags: number; block: Buffer }
  | { type: "window_update"; streamId: number; delta: number; flags: number }
  | { type: "unknown"; frameType: number; flags: number; payload: Buffer };

function control(type: number, flags: number, payload: Buffer): Buffer {
  if (payload.length > MAX_FRAME_LENGTH) throw new Error("spdy: frame too large");
  const h = Buffer.allocUnsafe(8);
  h.writeUInt16BE(0x8000 | SPDY_VERSION, 0);
  h.writeUInt16BE(type, 2);
  h.writeUInt32BE(((flags & 0xff) << 24 | payload.length) >>> 0, 4);
  return Buffer.concat([h, payload]);
}

function u32(...values: number[]): Buffer {
  const b = Buffer.allocUnsafe(values.length * 4);
  values.forEach((v, i) => b.writeUInt32BE(v >>> 0, i * 4));
  return b;
}

/** Encodes one frame to its wire bytes. */
export function encodeFrame(f: Frame): Buffer {
  switch (f.type) {
    case "data": {
      if (f.data.length > MAX_FRAME_LENGTH) throw new Error("spdy: frame too large");
      const h = Buffer.allocUnsafe(8);
      h.writeUInt32BE(f.streamId & 0x7fffffff, 0);
      h.writeUInt32BE(((f.flags & 0xff) << 24 | f.data.length) >>> 0, 4);
      return Buffer.concat([h, f.data]);
    }
    case "syn_stream": {
      const p = Buffer.allocUnsafe(10);
      p.writeUInt32BE(f.streamId & 0x7fffffff, 0);
      p.writeUInt32BE(f.associatedId & 0x7fffffff, 4);
      p[8] = (f.priority & 0x7) << 5;
      p[9] = f.slot & 0xff;
      return control(FrameType.SYN_STREAM, f.flags, Buffer.concat([p, f.block]));
    }
    case "syn_reply":
      return control(FrameType.SYN_REPLY, f.flags, Buffer.concat([u32(f.streamId & 0x7fffffff), f.block]));
    case "rst_stream":
      return control(FrameType.RST_STREAM, f.flags, u32(f.streamId & 0x7fffffff, f.status));
    case "settings": {
      const parts = [u32(f.entries.length)];
      for (const e of f.entries) parts.push(u32(((e.flags & 0xff) << 24 | (e.id & 0xffffff)) >>> 0, e.value));
      return control(FrameType.SETTINGS, f.flags, Buffer.concat(parts));
    }
    case "ping":
      return control(FrameType.PING, f.flags, u32(f.id));
    case "goaway":
      return control(FrameType.GOAWAY, f.flags, u32(f.lastGoodStreamId & 0x7fffffff, f.status));
    case "headers":
      return control(FrameType.HEADERS, f.flags, Buffer.concat([u32(f.streamId & 0x7fffffff), f.block]));
    case "window_update":
      return control(FrameType.WINDOW_UPDATE, f.flags, u32(f.streamId & 0x7fffffff, f.delta & 0x7fffffff));
    case "unknown":
      return control(f.frameType, f.flags, f.payload);
  }
}

/** Thrown for malformed frames; the session answers with GOAWAY(PROTOCOL_ERROR). */
export class SpdyProtocolError extends Error {}

function decodeControl(type: number, flags: number, p: Buffer): Frame {
  const need = (n: number) => {
    if (p.length < n) throw new SpdyProtocolError(`spdy: control frame ${type} too short (${p.length} bytes)`);
  };
  switch (type) {
    case FrameType.SYN_STREAM:
      need(10);
      return {
        type: "syn_stream",
        streamId: p.readUInt32BE(0) & 0x7fffffff,
        associatedId: p.readUInt32BE(4) & 0x7fffffff,
        priority: p[8] >> 5,
        slot: p[9],
        flags,
        block: p.subarray(10),
      };
    case FrameType.SYN_REPLY:
      need(4);
      return { type: "syn_reply", streamId: p.readUInt32BE(0) & 0x7fffffff, flags, block: p.subarray(4) };
    case FrameType.RST_STREAM:
      need(8);
      return { type: "rst_stream", streamId: p.readUInt32BE(0) & 0x7fffffff, status: p.readUInt32BE(4), flags };
    case FrameType.SETTINGS: {
      need(4);
      const n = p.readUInt32BE(0);
      need(4 + n * 8);
      const entries = [];
      for (let i = 0; i < n; i++) {
        const w = p.readUInt32BE(4 + i * 8);
        entries.push({ flags: w >>> 24, id: w & 0xffffff, value: p.readUInt32BE(8 + i * 8) });
      }
      return { type: "settings", flags, entries };
    }
    case FrameType.PING:
      need(4);
      return { type: "ping", id: p.readUInt32BE(0), flags };
    case FrameType.GOAWAY:
      need(8);
      return { type: "goaway", lastGoodStreamId: p.readUInt32BE(0) & 0x7fffffff, status: p.readUInt32BE(4), flags };
    case FrameType.HEADERS:
      need(4);
      return { type: "headers", streamId: p.readUInt32BE(0) & 0x7fffffff, flags, block: p.subarray(4) };
    case FrameType.WINDOW_UPDATE:
      need(8);
      return { type: "window_update", streamId: p.readUInt32BE(0) & 0x7fffffff, delta: p.readUInt32BE(4) & 0x7fffffff, flags };
    default:
      return { type: "unknown", frameType: type, flags, payload: p };
  }
}

/**
 * Incremental frame decoder: `push(bytes)` returns every frame completed so
 * far; partial frames are kept until the rest arrives. Frames larger than
 * `maxFrameLength` are a protocol error (bounds memory per connection).
 */
export class FrameReader {
  private buf: Buffer = Buffer.alloc(0);
  private readonly maxFrameLength: number;

  constructor(maxFrameLength = MAX_FRAME_LENGTH) {
    this.maxFrameLength = maxFrameLength;
  }

  push(chunk: Buffer): Frame[] {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    const out: Frame[] = [];
    while (this.buf.length >= 8) {
      const len = this.buf.readUInt32BE(4) & 0xffffff;
      if (len > this.maxFrameLength) throw new SpdyProtocolError(`spdy: frame of ${len} bytes exceeds limit`);
      if (this.buf.length < 8 + len) break;
      const flags = this.buf[4];
      const payload = Buffer.from(this.buf.subarray(8, 8 + len));
      const first = this.buf.readUInt32BE(0);
      if (first & 0x80000000) {
        const version = (first >>> 16) & 0x7fff;
        if (version !== SPDY_VERSION) throw new SpdyProtocolError(`spdy: unsupported version ${version}`);
        out.push(decodeControl(first & 0xffff, flags, payload));
      } else {
        out.push({ type: "data", streamId: first & 0x7fffffff, flags, data: payload });
      }
      this.buf = this.buf.subarray(8 + len);
    }
    return out;
  }

  /** Bytes held for an incomplete frame. */
  get pending(): number {
    return this.buf.length;
  }
}
