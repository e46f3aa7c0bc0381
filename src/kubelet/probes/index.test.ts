import { test } from "node:test";
import assert from "node:assert/strict";
import * as http from "node:http";
import * as net from "node:net";
import { createTestGrpcServer } from "../grpc/testserver.ts";
import { ProbeWorkers, runGrpc, runHttpGet, runTcp, type ProbeClock } from "./index.ts";
import { runLifecycleHandler } from "./hooks.ts";

/** A manual clock: advance() fires due timers and lets their async work settle. */
function manualClock() {
  let now = 0;
  let seq = 0;
  const timers = new Map<number, { at: number; fn: () => void }>();
  const clock: ProbeClock = {
    now: () => now,
    setTimeout: (fn, ms) => {
      timers.set(++seq, { at: now + ms, fn });
      return seq;
    },
    clearTimeout: (h) => void timers.delete(h as number),
  };
  const settle = () => new Promise((r) => setImmediate(r));
  const advance = async (ms: number) => {
    const end = now + ms;
    for (let i = 0; i < 10000; i++) {
      const due = [...timers.entries()].filter(([, t]) => t.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      timers.delete(due[0]);
      now = Math.max(now, due[1].at);
      due[1].fn();
      for (let k = 0; k < 5; k++) await settle();
    }
    now = end;
  };
  return { clock, advance };
}

const pod = { metadata: { name: "p", namespace: "ns", uid: "u1" }, spec: {} };

test("exec liveness: failureThreshold, events, hold until replaced", async () => {
  const { clock, advance } = manualClock();
  let exit = 0;
  const calls: string[][] = [];
  const failures: string[] = [];
  const events: string[] = [];
  const pw = new ProbeWorkers({
    exec: async (_id, cmd) => {
      calls.push(cmd);
      return { exitCode: exit, stdout: exit ? "bad\n" : "", stderr: "" };
    },
    onLivenessFailure: (_uid, name, id, msg) => failures.push(`${name}/${id}: ${msg}`),
    onChange: () => {},
    onEvent: (_p, type, reason, msg) => events.push(`${type} ${reason} ${msg}`),
    clock,
  });
  const c = { name: "app", livenessProbe: { exec: { command: ["cat", "/tmp/healthy"] }, initialDelaySeconds: 5, periodSeconds: 2, failureThreshold: 2 } };
  pw.addContainer(pod, c, "cid1", "10.0.0.1", 0);
  await advance(4000);
  assert.equal(calls.length, 0, "initial delay honoured");
  await advance(1000);
  assert.equal(calls.length, 1);
  exit = 1;
  await advance(2000);
  assert.equal(failures.length, 0, "below threshold");
  await advance(2000);
  assert.deepEqual(failures, ["app/cid1: Container app failed liveness probe, will be restarted"]);
  assert.deepEqual(events, ["Warning Unhealthy Liveness probe failed: bad\n", "Warning Unhealthy Liveness probe failed: bad\n"]);
  await advance(10000);
  assert.equal(failures.length, 1, "on hold after failure");
  pw.stop();
});

test("startup gates readiness; readiness thresholds drive isReady and onChange", async () => {
  const { clock, advance } = manualClock();
  const results: Record<string, number> = { startup: 1, ready: 0 };
  const changes: string[] = [];
  const pw = new ProbeWorkers({
    exec: async (_id, cmd) => ({ exitCode: results[cmd[0]], stdout: "", stderr: "" }),
    onLivenessFailure: () => assert.fail("no liveness"),
    onChange: (uid) => changes.push(uid),
    clock,
  });
  const c = {
    name: "app",
    startupProbe: { exec: { command: ["startup"] }, periodSeconds: 1, failureThreshold: 30 },
    readinessProbe: { exec: { command: ["ready"] }, periodSeconds: 1, successThreshold: 2 },
  };
  pw.addContainer(pod, c, "cid", "10.0.0.1", 0);
  await advance(3000);
  assert.equal(pw.isStarted("cid"), false);
  assert.equal(pw.isReady("cid"), false);
  results.startup = 0;
  await advance(1000);
  assert.equal(pw.isStarted("cid"), true);
  assert.equal(pw.isReady("cid"), false, "one success is below successThreshold 2");
  await advance(1000);
  assert.equal(pw.isReady("cid"), true);
  assert.deepEqual(changes, ["u1", "u1"]);
  // a container without probes is ready and started at once
  pw.addContainer(pod, { name: "plain" }, "cid2", "10.0.0.1", 0);
  assert.equal(pw.isReady("cid2"), true);
  pw.removePod("u1");
  assert.equal(pw.isReady("cid"), false);
  pw.stop();
});

test("httpGet, tcpSocket and grpc handlers against local servers", async () => {
  const server = http.createServer((req, res) => {
    if (req.url === "/healthz" && req.headers["x-custom"] === "yes") {
      res.writeHead(200);
      res.end("ok");
    } else if (req.url === "/redirect") {
      res.writeHead(302, { Location: "/elsewhere" });
      res.end();
    } else {
      res.writeHead(500);
      res.end("boom");
    }
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as net.AddressInfo).port;
  let serving = 1;
  const grpcServer = createTestGrpcServer({
    "/grpc.health.v1.Health/Check": (req) => {
      const v = (req.length > 2 ? req.subarray(2).toString() : "") === "svc" ? serving : 3;
      return v ? Buffer.from([0x08, v]) : Buffer.alloc(0);
    },
  });
  await new Promise<void>((r) => grpcServer.listen(0, "127.0.0.1", r));
  const gport = (grpcServer.address() as net.AddressInfo).port;
  try {
    const ctr = { name: "c", ports: [{ name: "http", containerPort: port }] };
    assert.equal((await runHttpGet({ path: "/healthz", port: "http", httpHeaders: [{ name: "X-Custom", value: "yes" }] }, ctr, "127.0.0.1", 1)).result, "success");
    assert.equal((await runHttpGet({ path: "/redirect", port }, ctr, "127.0.0.1", 1)).result, "success");
    assert.deepEqual(await runHttpGet({ path: "/other", port }, ctr, "127.0.0.1", 1), { result: "failure", output: "HTTP probe failed with statuscode: 500" });
    assert.equal((await runHttpGet({ path: "/", port: "nope" }, ctr, "127.0.0.1", 1)).result, "unknown");
    assert.equal((await runTcp({ port }, ctr, "127.0.0.1", 1)).result, "success");

    const closed = net.createServer();
    await new Promise<void>((r) => closed.listen(0, "127.0.0.1", r));
    const deadPort = (closed.address() as net.AddressInfo).port;
    await new Promise((r) => closed.close(r));
    assert.deepEqual(await runTcp({ port: deadPort }, ctr, "127.0.0.1", 1), { result: "failure", output: `dial tcp 127.0.0.1:${deadPort}: connect: connection refused` });
    const hf = await runHttpGet({ port: deadPort }, ctr, "127.0.0.1", 1);
    assert.equal(hf.output, `Get "http://127.0.0.1:${deadPort}/": dial tcp 127.0.0.1:${deadPort}: connect: connection refused`);

    assert.equal((await runGrpc({ port: gport, service: "svc" }, "127.0.0.1", 2)).result, "success");
    serving = 2;
    assert.deepEqual(await runGrpc({ port: gport, service: "svc" }, "127.0.0.1", 2), { result: "failure", output: 'service unhealthy (responded with "NOT_SERVING")' });
    assert.deepEqual(await runGrpc({ port: gport, service: "other" }, "127.0.0.1", 2), { result: "failure", output: 'service unhealthy (responded with "SERVICE_UNKNOWN")' });
    assert.equal((await runGrpc({ port: deadPort }, "127.0.0.1", 1)).result, "failure");

    // lifecycle hooks
    await runLifecycleHandler({ httpGet: { path: "/other", port } }, pod, ctr, "cid", "127.0.0.1", async () => assert.fail());
    await assert.rejects(
      runLifecycleHandler({ httpGet: { path: "/x", port: deadPort } }, pod, ctr, "cid", "127.0.0.1", async () => assert.fail()),
      /^Error: HTTP lifecycle hook \(\/x\) for Container "c" in Pod "p_ns\(u1\)" failed - error: Get/,
    );
  } finally {
    server.close();
    grpcServer.close();
  }
});

test("exec and sleep lifecycle hooks", async () => {
  const exec = async (_id: string, cmd: string[]) => ({ exitCode: cmd[0] === "false" ? 1 : 0, stdout: "out", stderr: cmd[0] === "false" ? "err" : "" });
  await runLifecycleHandler({ exec: { command: ["true"] } }, pod, { name: "c" }, "cid", "", exec);
  await assert.rejects(
    runLifecycleHandler({ exec: { command: ["false", "x"] } }, pod, { name: "c" }, "cid", "", exec),
    { message: 'Exec lifecycle hook ([false x]) for Container "c" in Pod "p_ns(u1)" failed - error: command \'false x\' exited with 1: err, message: "outerr"' },
  );
  const t0 = Date.now();
  await runLifecycleHandler({ sleep: { seconds: 1 } }, pod, { name: "c" }, "cid", "", exec);
  assert.ok(Date.now() - t0 >= 950);
});
