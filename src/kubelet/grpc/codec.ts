/**
 * Protobuf (proto3) binary encoder/decoder driven by a schema from
 * schema.ts, producing and taking plain objects with the conventions of
 * proto-loader's `{ keepCase: true, longs: String, enums: String,
 * defaults: true }`: field names as in the .proto, 64-bit integers decoded
 * as decimal strings, enums decoded as value names, and every field present
 * on decode (scalars zero, repeated `[]`, maps `{}`, messages `null`, bytes
 * an empty Buffer). Packed and unpacked repeated scalars both decode;
 * unknown fields are skipped.
 */
import type { FieldDef, MessageDef, Schema } from "./schema.ts";

type Obj = Record<string, any>;

const is64 = new Set(["int64", "uint64", "sint64", "fixed64", "sfixed64"]);
const VARINT = 0, I64 = 1, LEN = 2, I32 = 5;

function wireType(f: FieldDef): number {
  if (f.kind === "message" || f.kind === "map") return LEN;
  if (f.kind === "enum") return VARINT;
  switch (f.type) {
    case "string": case "bytes": return LEN;
    case "double": case "fixed64": case "sfixed64": return I64;
    case "float": case "fixed32": case "sfixed32": return I32;
    default: return VARINT;
  }
}

// ---- encoding ----

class Writer {
  buf = Buffer.allocUnsafe(256);
  pos = 0;
  ensure(n: number) {
    if (this.pos + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }
  /** Unsigned varint of a non-negative number below 2^53. */
  varint(n: number) {
    this.ensure(10);
    while (n > 0x7f) {
      this.buf[this.pos++] = (n % 128) | 0x80;
      n = Math.floor(n / 128);
    }
    this.buf[this.pos++] = n;
  }
  varint64(v: bigint) {
    let u = BigInt.asUintN(64, v);
    if (u < 0x20000000000000n) return this.varint(Number(u));
    this.ensure(10);
    while (u > 0x7fn) {
      this.buf[this.pos++] = Number(u & 0x7fn) | 0x80;
      u >>= 7n;
    }
    this.buf[this.pos++] = Number(u);
  }
  bytes(b: Uint8Array) {
    this.varint(b.length);
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }
  tag(field: number, wire: number) {
    this.varint(field * 8 + wire);
  }
  finish(): Buffer {
    return this.buf.subarray(0, this.pos);
  }
}

function toBigInt(v: unknown): bigint {
  if (typeof v === "bigint") return v;
  if (typeof v === "number") return Number.isFinite(v) ? BigInt(Math.trunc(v)) : 0n;
  if (typeof v === "string" && v.trim() !== "") {
    try {
      return BigInt(v.trim());
    } catch {
      return BigInt(Math.trunc(Number(v)) || 0);
    }
  }
  if (v && typeof v === "object" && "low" in v && "high" in v) { // Long-like
    const l = v as { low: number; high: number; unsigned?: boolean };
    return (BigInt(l.high >>> 0) << 32n) | BigInt(l.low >>> 0);
  }
  return 0n;
}

function enumNumber(schema: Schema, f: FieldDef, v: unknown): number {
  if (typeof v === "number") return v | 0;
  if (typeof v === "string") return schema.enums.get(f.type)!.byName.get(v) ?? (/^-?\d+$/.test(v) ? Number(v) | 0 : 0);
  return 0;
}

/** Writes a scalar/enum value without tag. */
function writeValue(w: Writer, schema: Schema, f: FieldDef, v: unknown) {
  if (f.kind === "enum") {
    const n = enumNumber(schema, f, v);
    return n < 0 ? w.varint64(BigInt(n)) : w.varint(n);
  }
  switch (f.type) {
    case "string": return w.bytes(Buffer.from(String(v), "utf8"));
    case "bytes": return w.bytes(typeof v === "string" ? Buffer.from(v, "base64") : (v as Uint8Array));
    case "bool": return w.varint(v ? 1 : 0);
    case "int32": {
      const n = Number(v) | 0;
      return n < 0 ? w.varint64(BigInt(n)) : w.varint(n);
    }
    case "uint32": return w.varint(Number(v) >>> 0);
    case "sint32": {
      const n = Number(v) | 0;
      return w.varint(((n << 1) ^ (n >> 31)) >>> 0);
    }
    case "int64": case "uint64": return w.varint64(toBigInt(v));
    case "sint64": {
      const n = BigInt.asIntN(64, toBigInt(v));
      return w.varint64((n << 1n) ^ (n >> 63n));
    }
    case "double": w.ensure(8); w.buf.writeDoubleLE(Number(v), w.pos); w.pos += 8; return;
    case "float": w.ensure(4); w.buf.writeFloatLE(Number(v), w.pos); w.pos += 4; return;
    case "fixed32": w.ensure(4); w.buf.writeUInt32LE(Number(v) >>> 0, w.pos); w.pos += 4; return;
    case "sfixed32": w.ensure(4); w.buf.writeInt32LE(Number(v) | 0, w.pos); w.pos += 4; return;
    case "fixed64": w.ensure(8); w.buf.writeBigUInt64LE(BigInt.asUintN(64, toBigInt(v)), w.pos); w.pos += 8; return;
    case "sfixed64": w.ensure(8); w.buf.writeBigInt64LE(BigInt.asIntN(64, toBigInt(v)), w.pos); w.pos += 8; return;
  }
  throw new Error(`protobuf: cannot encode type ${f.type}`);
}

/** True for proto3 default values, which are not written for singular fields. */
function isDefault(schema: Schema, f: FieldDef, v: unknown): boolean {
  if (f.kind === "enum") return enumNumber(schema, f, v) === 0;
  switch (f.type) {
    case "string": return String(v) === "";
    case "bytes": return (v as Uint8Array).length === 0;
    case "bool": return !v;
    default: return is64.has(f.type) ? toBigInt(v) === 0n : Number(v) === 0 && !Object.is(Number(v), -0);
  }
}

function writeField(w: Writer, schema: Schema, f: FieldDef, v: unknown) {
  if (f.kind === "message") {
    w.tag(f.number, LEN);
    w.bytes(encodeMessage(schema, schema.messages.get(f.type)!, v as Obj));
    return;
  }
  w.tag(f.number, wireType(f));
  writeValue(w, schema, f, v);
}

function encodeMessage(schema: Schema, def: MessageDef, obj: Obj): Buffer {
  const w = new Writer();
  if (obj === null || typeof obj !== "object") throw new TypeError(`${def.name}: object expected`);
  for (const f of def.fields) {
    const v = obj[f.name];
    if (v === undefined || v === null) continue;
    if (f.kind === "map") {
      for (const [k, val] of v instanceof Map ? v : Object.entries(v)) {
        if (val === undefined || val === null) continue;
        const e = new Writer();
        writeField(e, schema, f.key!, f.key!.type === "bool" ? k === "true" || k === true : k);
        writeField(e, schema, f.value!, val);
        w.tag(f.number, LEN);
        w.bytes(e.finish());
      }
    } else if (f.repeated) {
      if (!Array.isArray(v)) throw new TypeError(`${def.name}.${f.name}: array expected`);
      if (v.length === 0) continue;
      if (wireType(f) === LEN) {
        for (const item of v) writeField(w, schema, f, item);
      } else { // packed
        const p = new Writer();
        for (const item of v) writeValue(p, schema, f, item);
        w.tag(f.number, LEN);
        w.bytes(p.finish());
      }
    } else if (f.kind === "message" || !isDefault(schema, f, v)) {
      writeField(w, schema, f, v);
    }
  }
  return w.finish();
}

/** Encodes a plain object as the named message (full name without the package). */
export function encode(schema: Schema, type: string, obj: Obj = {}): Buffer {
  const def = schema.messages.get(type);
  if (!def) throw new Error(`protobuf: unknown message ${type}`);
  return encodeMessage(schema, def, obj);
}

// ---- decoding ----

class Reader {
  readonly buf: Buffer;
  readonly end: number;
  pos: number;
  constructor(buf: Buffer, pos = 0, end = buf.length) {
    this.buf = buf;
    this.pos = pos;
    this.end = end;
  }
  /** Unsigned varint as a number (exact below 2^53); low 32 bits are exact for any length. */
  varint(): number {
    let n = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new Error("protobuf: truncated varint");
      const b = this.buf[this.pos++];
      n += (b & 0x7f) * mul;
      if (!(b & 0x80)) return n;
      mul *= 128;
    }
    throw new Error("protobuf: varint too long");
  }
  varint64(): bigint {
    let v = 0n;
    let shift = 0n;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new Error("protobuf: truncated varint");
      const b = this.buf[this.pos++];
      v |= BigInt(b & 0x7f) << shift;
      if (!(b & 0x80)) return BigInt.asUintN(64, v);
      shift += 7n;
    }
    throw new Error("protobuf: varint too long");
  }
  /** Low 32 bits of a varint, as a signed int. */
  varint32(): number {
    let lo = 0;
    for (let i = 0, shift = 0; i < 10; i++, shift += 7) {
      if (this.pos >= this.end) throw new Error("protobuf: truncated varint");
      const b = this.buf[this.pos++];
      if (shift < 32) lo |= (b & 0x7f) << shift;
      if (!(b & 0x80)) return lo | 0;
    }
    throw new Error("protobuf: varint too long");
  }
  take(n: number): number {
    const start = this.pos;
    if (n < 0 || start + n > this.end) throw new Error("protobuf: truncated field");
    this.pos += n;
    return start;
  }
  skip(wire: number) {
    if (wire === VARINT) this.varint64();
    else if (wire === I64) this.take(8);
    else if (wire === LEN) this.take(this.varint());
    else if (wire === I32) this.take(4);
    else throw new Error(`protobuf: unsupported wire type ${wire}`);
  }
}

function readValue(r: Reader, schema: Schema, f: FieldDef): unknown {
  if (f.kind === "enum") {
    const n = r.varint32();
    return schema.enums.get(f.type)!.byNumber.get(n) ?? n;
  }
  switch (f.type) {
    case "string": {
      const len = r.varint();
      const at = r.take(len);
      return r.buf.toString("utf8", at, at + len);
    }
    case "bytes": {
      const len = r.varint();
      const at = r.take(len);
      return r.buf.subarray(at, at + len);
    }
    case "bool": return r.varint64() !== 0n;
    case "int32": return r.varint32();
    case "uint32": return r.varint32() >>> 0;
    case "sint32": {
      const n = r.varint32() >>> 0;
      return (n >>> 1) ^ -(n & 1);
    }
    case "int64": {
      const n = r.varint64();
      return (n < 0x20000000000000n ? n : BigInt.asIntN(64, n)).toString();
    }
    case "uint64": return r.varint64().toString();
    case "sint64": {
      const n = r.varint64();
      return ((n >> 1n) ^ -(n & 1n)).toString();
    }
    case "double": return r.buf.readDoubleLE(r.take(8));
    case "float": return r.buf.readFloatLE(r.take(4));
    case "fixed32": return r.buf.readUInt32LE(r.take(4));
    case "sfixed32": return r.buf.readInt32LE(r.take(4));
    case "fixed64": return r.buf.readBigUInt64LE(r.take(8)).toString();
    case "sfixed64": return r.buf.readBigInt64LE(r.take(8)).toString();
  }
  throw new Error(`protobuf: cannot decode type ${f.type}`);
}

function defaultValue(schema: Schema, f: FieldDef): unknown {
  if (f.kind === "map") return {};
  if (f.repeated) return [];
  if (f.kind === "message") return null;
  if (f.kind === "enum") return schema.enums.get(f.type)!.defaultName;
  switch (f.type) {
    case "string": return "";
    case "bytes": return Buffer.alloc(0);
    case "bool": return false;
    default: return is64.has(f.type) ? "0" : 0;
  }
}

function readField(r: Reader, schema: Schema, f: FieldDef): unknown {
  if (f.kind !== "message") return readValue(r, schema, f);
  const len = r.varint();
  const at = r.take(len);
  return decodeMessage(schema, schema.messages.get(f.type)!, new Reader(r.buf, at, at + len));
}

function decodeMessage(schema: Schema, def: MessageDef, r: Reader): Obj {
  const out: Obj = {};
  for (const f of def.fields) out[f.name] = defaultValue(schema, f);
  while (r.pos < r.end) {
    const tag = r.varint();
    const num = Math.floor(tag / 8);
    const wire = tag & 7;
    const f = def.byNumber.get(num);
    if (!f) { r.skip(wire); continue; }
    if (f.kind === "map") {
      const len = r.varint();
      const at = r.take(len);
      const e = new Reader(r.buf, at, at + len);
      let k: unknown = defaultValue(schema, f.key!);
      let v: unknown = defaultValue(schema, f.value!);
      while (e.pos < e.end) {
        const t = e.varint();
        const n = Math.floor(t / 8);
        if (n === 1 && (t & 7) === wireType(f.key!)) k = readField(e, schema, f.key!);
        else if (n === 2 && (t & 7) === wireType(f.value!)) v = readField(e, schema, f.value!);
        else e.skip(t & 7);
      }
      out[f.name][String(k)] = v;
    } else if (f.repeated) {
      const expected = wireType(f);
      if (wire === LEN && expected !== LEN) { // packed
        const len = r.varint();
        const at = r.take(len);
        const p = new Reader(r.buf, at, at + len);
        while (p.pos < p.end) out[f.name].push(readValue(p, schema, f));
      } else if (wire === expected) out[f.name].push(readField(r, schema, f));
      else r.skip(wire);
    } else if (wire === wireType(f)) {
      out[f.name] = readField(r, schema, f);
    } else r.skip(wire);
  }
  return out;
}

/** Decodes bytes as the named message into a plain object (see the module comment for conventions). */
export function decode(schema: Schema, type: string, buf: Buffer): Obj {
  const def = schema.messages.get(type);
  if (!def) throw new Error(`protobuf: unknown message ${type}`);
  return decodeMessage(schema, def, new Reader(buf));
}
