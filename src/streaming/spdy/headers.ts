/**
 * SPDY/3 header blocks: the name/value block format (32-bit counts and
 * lengths, lower-case names, multiple values joined by NUL) and its zlib
 * compression with the SPDY/3 dictionary. One compressor and one
 * decompressor live per session and per direction: every block continues the
 * same zlib stream.
 *
 * The compressor emits uncompressed (stored) deflate blocks, each header
 * block closed by an empty stored block like a zlib sync flush: always valid,
 * byte-aligned and synchronous; header blocks here are a few dozen bytes, so
 * compression buys nothing. The decompressor is a real zlib inflater (peers
 * such as Go's framer do compress), fed one block at a time with a sync flush.
 */
import { constants, createInflate, type Inflate } from "node:zlib";
import { SPDY3_DICTIONARY } from "./dictionary.ts";

/** Header names (lower case) to values; several values of one name are NUL-joined as on the wire. */
export type SpdyHeaders = Record<string, string>;

/** Encodes a name/value block (uncompressed). */
export function encodeHeaderBlock(headers: SpdyHeaders): Buffer {
  const entries = Object.entries(headers);
  const parts: Buffer[] = [];
  const n = Buffer.allocUnsafe(4);
  n.writeUInt32BE(entries.length);
  parts.push(n);
  for (const [name, value] of entries) {
    for (const s of [name.toLowerCase(), value]) {
      const b = Buffer.from(s, "utf8");
      const l = Buffer.allocUnsafe(4);
      l.writeUInt32BE(b.length);
      parts.push(l, b);
    }
  }
  return Buffer.concat(parts);
}

/** Decodes a name/value block; throws on truncation. Names are lower-cased. */
export function decodeHeaderBlock(b: Buffer): SpdyHeaders {
  let off = 0;
  const u32 = () => {
    if (off + 4 > b.length) throw new Error("spdy: truncated header block");
    const v = b.readUInt32BE(off);
    off += 4;
    return v;
  };
  const str = () => {
    const len = u32();
    if (off + len > b.length) throw new Error("spdy: truncated header block");
    const s = b.toString("utf8", off, off + len);
    off += len;
    return s;
  };
  const count = u32();
  const out: SpdyHeaders = {};
  for (let i = 0; i < count; i++) {
    const name = str().toLowerCase();
    const value = str();
    out[name] = name in out ? `${out[name]}\0${value}` : value;
  }
  return out;
}

/** Session-wide header compressor (one zlib stream of stored blocks). */
export class HeaderCompressor {
  private started = false;

  compress(headers: SpdyHeaders): Buffer {
    const raw = encodeHeaderBlock(headers);
    const parts: Buffer[] = [];
    if (!this.started) {
      // zlib header: deflate, 32K window, no preset dictionary needed for stored blocks.
      parts.push(Buffer.from([0x78, 0x01]));
      this.started = true;
    }
    for (let off = 0; off < raw.length || off === 0; off += 0xffff) {
      const chunk = raw.subarray(off, off + 0xffff);
      const h = Buffer.allocUnsafe(5);
      h[0] = 0x00; // BFINAL=0, BTYPE=00 (stored), padded to the byte boundary
      h.writeUInt16LE(chunk.length, 1);
      h.writeUInt16LE(~chunk.length & 0xffff, 3);
      parts.push(h, chunk);
      if (raw.length === 0) break;
    }
    // An empty stored block ends every header block (what a zlib sync flush emits): Go's inflater
    // only hands out stored data when it meets one, instead of reading past the frame for the next block.
    parts.push(Buffer.from([0x00, 0x00, 0x00, 0xff, 0xff]));
    return Buffer.concat(parts);
  }
}

/**
 * Session-wide header decompressor. `decompress` calls are serialised; each
 * resolves with the name/value pairs of one block.
 */
export class HeaderDecompressor {
  private readonly inflate: Inflate = createInflate({ dictionary: SPDY3_DICTIONARY });
  private chain: Promise<unknown> = Promise.resolve();
  private error: Error | undefined;

  constructor() {
    this.inflate.on("error", (err) => (this.error = err));
    this.inflate.pause();
  }

  decompress(block: Buffer): Promise<SpdyHeaders> {
    const run = () =>
      new Promise<SpdyHeaders>((resolve, reject) => {
        if (this.error) return reject(this.error);
        this.inflate.write(block);
        this.inflate.flush(constants.Z_SYNC_FLUSH, () => {
          if (this.error) return reject(this.error);
          const chunks: Buffer[] = [];
          let c: Buffer | null;
          while ((c = this.inflate.read()) !== null) chunks.push(c);
          try {
            resolve(decodeHeaderBlock(Buffer.concat(chunks)));
          } catch (err) {
            reject(err);
          }
        });
      });
    const p = this.chain.then(run, run);
    this.chain = p.catch(() => undefined);
    return p;
  }

  close(): void {
    this.inflate.destroy();
  }
}
