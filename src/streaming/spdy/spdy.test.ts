import { test } from "node:test";
import assert from "node:assert/strict";
import { duplexPair } from "node:stream";
import { constants, createDeflate, createInflate } from "node:zlib";
import { SPDY3_DICTIONARY } from "./dictionary.ts";
import { encodeFrame, FrameReader, type Frame } from "./frames.ts";
import { decodeHeaderBlock, encodeHeaderBlock, HeaderCompressor, HeaderDecompressor, type SpdyHeaders } from "./headers.ts";
import { SpdySession, type SpdyStream } from "./session.ts";

function adler32(b: Buffer): number {
  let a = 1;
  let c = 0;
  for (const x of b) {
    a = (a + x) % 65521;
    c = (c + a) % 65521;
  }
  return ((c << 16) | a) >>> 0;
}

test("dictionary matches the SPDY/3 constant (length and Adler-32)", () => {
  assert.equal(SPDY3_DICTIONARY.length, 1423);
  assert.equal(adler32(SPDY3_DICTIONARY), 0xe3c6a7c2);
});

test("every frame type round-trips through encode and an incremental reader", () => {
  const frames: Frame[] = [
    { type: "data", streamId: 5, flags: 1, data: Buffer.from("hello") },
    { type: "syn_stream", streamId: 7, associatedId: 3, priority: 5, slot: 2, flags: 2, block: Buffer.from([1, 2, 3]) },
    { type: "syn_reply", streamId: 7, flags: 1, block: Buffer.from([9]) },
    { type: "rst_stream", streamId: 9, status: 5, flags: 0 },
    { type: "settings", flags: 1, entries: [{ id: 7, flags: 1, value: 12345 }, { id: 4, flags: 0, value: 100 }] },
    { type: "ping", id: 0xfffffff1, flags: 0 },
    { type: "goaway", lastGoodStreamId: 11, status: 2, flags: 0 },
    { type: "headers", streamId: 13, flags: 0, block: Buffer.from([4, 5]) },
    { type: "window_update", streamId: 0, delta: 0x7fffffff, flags: 0 },
  ];
  const wire = Buffer.concat(frames.map(encodeFrame));
  const reader = new FrameReader();
  const got: Frame[] = [];
  // Feed byte by byte to exercise partial frames.
  for (let i = 0; i < wire.length; i++) got.push(...reader.push(wire.subarray(i, i + 1)));
  assert.equal(reader.pending, 0);
  assert.deepEqual(got, frames);
});

test("a frame larger than the reader's limit is a protocol error", () => {
  const r = new FrameReader(10);
  assert.throws(() => r.push(encodeFrame({ type: "data", streamId: 1, flags: 0, data: Buffer.alloc(11) })));
});

test("header blocks: our compressed blocks inflate with the dictionary across frames", async () => {
  const c = new HeaderCompressor();
  const inflate = createInflate({ dictionary: SPDY3_DICTIONARY });
  const blocks: SpdyHeaders[] = [{ streamtype: "stdout" }, { streamtype: "error", port: "8080", requestid: "0" }, {}];
  for (const h of blocks) {
    const block = c.compress(h);
    // Each block ends like a zlib sync flush (an empty stored block), which Go's inflater needs.
    assert.deepEqual([...block.subarray(-5)], [0, 0, 0, 0xff, 0xff]);
    inflate.write(block);
    await new Promise<void>((r) => inflate.flush(constants.Z_SYNC_FLUSH, () => r()));
    const chunks: Buffer[] = [];
    let b: Buffer | null;
    while ((b = inflate.read()) !== null) chunks.push(b);
    assert.deepEqual(decodeHeaderBlock(Buffer.concat(chunks)), h);
  }
  inflate.destroy();
});

test("header blocks: a peer's real zlib stream (dictionary, sync flush) decompresses block by block", async () => {
  const deflate = createDeflate({ dictionary: SPDY3_DICTIONARY, level: 9 });
  const d = new HeaderDecompressor();
  const blocks: SpdyHeaders[] = [{ streamtype: "stdin" }, { streamtype: "stdout" }, { "x-stream-protocol-version": "v4.channel.k8s.io", multi: "a\0b" }];
  for (const h of blocks) {
    deflate.write(encodeHeaderBlock(h));
    await new Promise<void>((r) => deflate.flush(constants.Z_SYNC_FLUSH, () => r()));
    const chunks: Buffer[] = [];
    let b: Buffer | null;
    while ((b = deflate.read()) !== null) chunks.push(b);
    assert.deepEqual(await d.decompress(Buffer.concat(chunks)), h);
  }
  deflate.destroy();
  d.close();
});

function pair(clientOpts = {}, serverOpts = {}): { client: SpdySession; server: SpdySession } {
  const [a, b] = duplexPair();
  return { client: new SpdySession(a, { isServer: false, ...clientOpts }), server: new SpdySession(b, { isServer: true, ...serverOpts }) };
}

function readAll(s: SpdyStream): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    s.on("data", (c) => chunks.push(c));
    s.on("end", () => resolve(Buffer.concat(chunks)));
  });
}

test("session: streams open, reply, carry data both ways and half-close", async () => {
  const { client, server } = pair();
  server.on("stream", (s: SpdyStream) => {
    s.reply({ ok: "yes" });
    readAll(s).then((data) => s.end(Buffer.concat([Buffer.from(`${s.headers.streamtype}:`), data])));
  });
  const st = client.openStream({ streamtype: "stdin" });
  const st2 = client.openStream({ streamtype: "other" });
  assert.deepEqual(await st.waitReply(), { ok: "yes" });
  st.end("abc");
  st2.end("xyz");
  assert.equal((await readAll(st)).toString(), "stdin:abc");
  assert.equal((await readAll(st2)).toString(), "other:xyz");
  assert.ok(st.id % 2 === 1 && st2.id === st.id + 2);
  assert.ok((await client.ping()) >= 0);
  assert.ok((await server.ping()) >= 0);
  client.close();
  server.close();
});

test("session: reset reaches the peer and GOAWAY refuses new streams", async () => {
  const { client, server } = pair();
  const got = new Promise<SpdyStream>((r) => server.once("stream", r));
  const st = client.openStream({ streamtype: "data" });
  const remote = await got;
  const reset = new Promise<void>((r) => remote.once("reset", () => r()));
  st.reset();
  await reset;
  assert.equal(remote.wasReset, true);
  const goaway = new Promise<void>((r) => client.once("goaway", () => r()));
  server.goAway();
  await goaway;
  assert.throws(() => client.openStream({}));
  client.close();
  server.close();
});

test("session: flow control stops a sender at the window until the receiver reads", async () => {
  const { client, server } = pair({ flowControl: "always" }, { flowControl: "always" });
  const got = new Promise<SpdyStream>((r) => server.once("stream", r));
  const st = client.openStream({});
  const remote = await got;
  remote.reply({});
  await st.waitReply();
  remote.pause();
  const total = 300 * 1024;
  let written = 0;
  const done = new Promise<void>((r) => st.write(Buffer.alloc(total, 7), () => r()));
  await new Promise((r) => setTimeout(r, 100));
  // The paused reader buffers at most its high-water mark plus one window; the sender is stuck at the window.
  assert.ok(st.sendWindow <= 0 && st.sendWindow > -16 * 1024, `sendWindow ${st.sendWindow}`);
  assert.ok(remote.readableLength <= 128 * 1024 && remote.readableLength < total / 2, `buffered ${remote.readableLength}`);
  remote.on("data", (c: Buffer) => (written += c.length));
  remote.resume();
  await done;
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(written, total);
  client.close();
  server.close();
});

test("session: connection close ends open streams without losing buffered data", async () => {
  const { client, server } = pair();
  server.on("stream", (s: SpdyStream) => {
    s.reply({});
    s.write("last words");
    setTimeout(() => server.socket.destroy(), 20);
  });
  const st = client.openStream({});
  const data = await readAll(st);
  assert.equal(data.toString(), "last words");
  client.close();
});

test("session: data received just before a connection error still reaches its stream", async () => {
  const [a, b] = duplexPair();
  b.on("error", () => undefined);
  const client = new SpdySession(a, { isServer: false });
  const st = client.openStream({ streamtype: "stdout" });
  const body = Buffer.alloc(40_000, "x");
  const received = new Promise<Buffer>((resolve) => {
    const chunks: Buffer[] = [];
    st.on("data", (c: Buffer) => chunks.push(c));
    st.on("end", () => resolve(Buffer.concat(chunks)));
    st.on("close", () => resolve(Buffer.concat(chunks)));
  });
  // The last frames and a reset of the connection arrive together (a peer
  // that closes with unread data): the error is emitted before the frames'
  // turn in the session's ordered frame handling.
  a.push(Buffer.concat([encodeFrame({ type: "data", streamId: st.id, flags: 0, data: body.subarray(0, 20_000) }), encodeFrame({ type: "data", streamId: st.id, flags: 1, data: body.subarray(20_000) })]));
  a.destroy(Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" }));
  assert.equal((await received).length, body.length);
});
