/** Tests for the gRPC unary client against an in-test HTTP/2 server on a unix socket. */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { createTestGrpcServer } from "./testserver.ts";
import { createChannel, frame, GrpcError, grpcTimeout } from "./unary.ts";

async function withServer(handlers: Parameters<typeof createTestGrpcServer>[0], fn: (sock: string) => Promise<void>) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "grpc-"));
  const sock = path.join(dir, "s.sock");
  const server = createTestGrpcServer(handlers);
  await new Promise<void>((r) => server.listen(sock, r));
  try {
    await fn(sock);
  } finally {
    await new Promise((r) => server.close(r));
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

test("framing and timeout header", () => {
  assert.deepEqual([...frame(Buffer.from([1, 2]))], [0, 0, 0, 0, 2, 1, 2]);
  assert.equal(grpcTimeout(1500), "1500m");
  assert.equal(grpcTimeout(2e8), "200000S");
});

test("unary calls succeed and reuse one connection", async () => {
  let timeout = "";
  let connects = 0;
  await withServer({ "/svc/Echo": (b, h) => { timeout = String(h["grpc-timeout"]); return Buffer.concat([b, b]); } }, async (sock) => {
    const ch = createChannel({ connect: () => { connects++; return net.connect(sock); } });
    assert.deepEqual([...await ch.call("/svc/Echo", Buffer.from("ab"), 5000)], [...Buffer.from("abab")]);
    assert.deepEqual([...await ch.call("/svc/Echo", Buffer.alloc(0), 5000)], []);
    const many = await Promise.all(Array.from({ length: 20 }, (_, i) => ch.call("/svc/Echo", Buffer.from([i]), 5000)));
    assert.deepEqual([...many[7]], [7, 7]);
    assert.equal(connects, 1);
    assert.equal(timeout, "5000m");
    ch.close();
  });
});

test("error statuses carry code and details like grpc-js", async () => {
  await withServer({
    "/svc/Missing": () => { throw { code: 5, details: "container \"abc\" not found: 100% gone" }; },
  }, async (sock) => {
    const ch = createChannel({ connect: () => net.connect(sock) });
    const err = await ch.call("/svc/Missing", Buffer.alloc(0), 5000).catch((e) => e);
    assert.ok(err instanceof GrpcError);
    assert.equal(err.code, 5);
    assert.equal(err.details, 'container "abc" not found: 100% gone');
    assert.equal(err.message, '5 NOT_FOUND: container "abc" not found: 100% gone');
    const un = await ch.call("/svc/Nope", Buffer.alloc(0), 5000).catch((e) => e);
    assert.equal(un.code, 12);
    ch.close();
  });
});

test("deadline exceeded", async () => {
  await withServer({ "/svc/Slow": () => new Promise((r) => setTimeout(() => r(Buffer.alloc(0)), 2000)) }, async (sock) => {
    const ch = createChannel({ connect: () => net.connect(sock) });
    const t0 = Date.now();
    const err = await ch.call("/svc/Slow", Buffer.alloc(0), 100).catch((e) => e);
    assert.equal(err.code, 4);
    assert.match(err.details, /^Deadline exceeded/);
    assert.ok(Date.now() - t0 < 1500);
    ch.close();
  });
});

test("unreachable socket is UNAVAILABLE; the channel reconnects once the server is up", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "grpc-"));
  const sock = path.join(dir, "s.sock");
  const ch = createChannel({ connect: () => net.connect(sock) });
  try {
    const err = await ch.call("/svc/Echo", Buffer.alloc(0), 2000).catch((e) => e);
    assert.equal(err.code, 14);
    assert.match(err.details, /ENOENT/);
    const server = createTestGrpcServer({ "/svc/Echo": (b) => b });
    await new Promise<void>((r) => server.listen(sock, r));
    assert.deepEqual([...await ch.call("/svc/Echo", Buffer.from("x"), 2000)], [...Buffer.from("x")]);
    // the server goes away and comes back: the next call opens a new connection
    await new Promise<void>((r) => { server.close(() => r()); server.emit("closeSessions"); });
    await new Promise((r) => setTimeout(r, 50));
    fs.rmSync(sock, { force: true });
    const again = createTestGrpcServer({ "/svc/Echo": () => Buffer.from("y") });
    await new Promise<void>((r) => again.listen(sock, r));
    try {
      assert.deepEqual([...await ch.call("/svc/Echo", Buffer.from("x"), 2000)], [...Buffer.from("y")]);
    } finally {
      ch.close();
      again.close();
    }
    const closed = await ch.call("/svc/Echo", Buffer.alloc(0), 2000).catch((e) => e);
    assert.equal(closed.code, 14);
  } finally {
    ch.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("responses above the receive limit fail with RESOURCE_EXHAUSTED", async () => {
  await withServer({ "/svc/Big": () => Buffer.alloc(4096) }, async (sock) => {
    const ch = createChannel({ connect: () => net.connect(sock), maxReceiveBytes: 1024 });
    const err = await ch.call("/svc/Big", Buffer.alloc(0), 5000).catch((e) => e);
    assert.equal(err.code, 8);
    ch.close();
  });
});
