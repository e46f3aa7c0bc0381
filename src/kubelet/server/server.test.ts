import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { appendFileSync, writeFileSync } from "node:fs";
import { request } from "node:https";
import { createServer as createNetServer, type Server as NetServer } from "node:net";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { WebSocket } from "ws";
import { SpdySession, type SpdyStream } from "../../streaming/spdy/session.ts";
import { dialUpgrade } from "../../streaming/upgrade.ts";
import { startKubeletServer, type KubeletServer } from "./index.ts";
import { fakeView, makeCerts, startFakeRuntime, type Certs, type FakeRuntime } from "./testutil.test.ts";

let certs: Certs;
let runtime: FakeRuntime;
let kubelet: KubeletServer;
let logPath: string;
const state = { running: true };

before(async () => {
  certs = await makeCerts();
  runtime = await startFakeRuntime();
  logPath = join(certs.dir, "c.log");
  writeFileSync(
    logPath,
    [
      "2026-11-22T08:29:40.1Z stdout F one",
      "2026-11-22T08:29:41.000000002Z stderr F two",
      "2026-11-22T08:29:42.5Z stdout P thr",
      "2026-11-22T08:29:42.6Z stdout P e",
      "2026-11-22T08:29:42.7Z stdout F e",
      "2026-11-22T08:29:43Z stdout F four",
      "",
    ].join("\n"),
  );
  kubelet = await startKubeletServer(fakeView(runtime, logPath, state), { bindAddress: "127.0.0.1", port: 0, healthzPort: 0, clientCAPem: certs.pki.ca.cert });
});

after(async () => {
  await kubelet.close();
  await runtime.close();
  certs.cleanup();
});

function get(path: string, client = certs.kubeletClient, method = "GET"): Promise<{ code: number; body: string; type: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port: kubelet.port, path, method, cert: client.cert, key: client.key, rejectUnauthorized: false }, (res) => {
      let body = "";
      res.on("data", (c) => (body += c));
      res.on("end", () => resolve({ code: res.statusCode!, body, type: String(res.headers["content-type"]) }));
    });
    req.on("error", reject);
    req.end();
  });
}

test("authn/authz: no certificate 401, other users 403, kubelet client and masters allowed", async () => {
  const anon = await new Promise<number>((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port: kubelet.port, path: "/pods", rejectUnauthorized: false }, (res) => (res.resume(), resolve(res.statusCode!)));
    req.on("error", reject);
    req.end();
  });
  assert.equal(anon, 401);
  const bob = await get("/pods", certs.stranger);
  assert.equal(bob.code, 403);
  assert.match(JSON.parse(bob.body).message, /user=bob/);
  assert.equal((await get("/pods", certs.pki.admin)).code, 200);
  const pods = JSON.parse((await get("/pods")).body);
  assert.equal(pods.kind, "PodList");
  assert.equal(pods.items[0].metadata.name, "web");
});

test("healthz on the plain port, stats and metrics on the API port", async () => {
  const r = await fetch(`http://127.0.0.1:${kubelet.healthzPort}/healthz`);
  assert.equal(await r.text(), "ok");
  assert.equal((await get("/healthz")).body, "ok");
  assert.equal(JSON.parse((await get("/stats/summary")).body).node.nodeName, "node1");
  assert.match((await get("/metrics/resource")).body, /node_cpu_usage_seconds_total/);
  assert.match((await get("/metrics")).body, /kubelet_running_pods 1/);
  assert.equal((await get("/nothing")).code, 404);
});

test("containerLogs: partial lines joined, tail, timestamps, since, limitBytes, errors", async () => {
  const all = await get("/containerLogs/default/web/c");
  assert.equal(all.code, 200);
  assert.equal(all.type, "text/plain");
  assert.equal(all.body, "one\ntwo\nthree\nfour\n");
  assert.equal((await get("/containerLogs/default/web/c?tailLines=2")).body, "three\nfour\n");
  assert.equal((await get("/containerLogs/default/web/c?tailLines=0")).body, "");
  assert.equal((await get("/containerLogs/default/web/c?tailLines=10")).body, "one\ntwo\nthree\nfour\n");
  assert.equal((await get("/containerLogs/default/web/c?tailLines=1&timestamps=true")).body, "2026-11-22T08:29:43Z four\n");
  assert.equal((await get("/containerLogs/default/web/c?timestamps=1&tailLines=2")).body, "2026-11-22T08:29:42.5Z three\n2026-11-22T08:29:43Z four\n");
  assert.equal((await get("/containerLogs/default/web/c?sinceTime=2026-11-22T08:29:41.000000001Z")).body, "two\nthree\nfour\n");
  assert.equal((await get("/containerLogs/default/web/c?limitBytes=6")).body, "one\ntw");
  const bad = await get("/containerLogs/default/web/nope");
  assert.equal(bad.code, 400);
  assert.equal(JSON.parse(bad.body).message, "container nope is not valid for pod web");
  assert.equal((await get("/containerLogs/default/web/c?sinceSeconds=1&sinceTime=2026-11-22T08:29:41Z")).code, 400);
});

test("containerLogs follow streams new lines and ends when the container exits", async () => {
  state.running = true;
  const chunks: string[] = [];
  const done = new Promise<void>((resolve, reject) => {
    const req = request(
      { host: "127.0.0.1", port: kubelet.port, path: "/containerLogs/default/web/c?follow=true&tailLines=1", cert: certs.kubeletClient.cert, key: certs.kubeletClient.key, rejectUnauthorized: false },
      (res) => {
        res.setEncoding("utf8");
        res.on("data", (c) => chunks.push(c));
        res.on("end", () => resolve());
      },
    );
    req.on("error", reject);
    req.end();
  });
  await new Promise((r) => setTimeout(r, 300));
  appendFileSync(logPath, "2026-11-22T08:29:44Z stdout F five\n");
  await new Promise((r) => setTimeout(r, 500));
  assert.equal(chunks.join(""), "four\nfive\n");
  state.running = false;
  await done;
  assert.equal(chunks.join(""), "four\nfive\n");
  state.running = true;
});

test("run executes a command synchronously", async () => {
  const r = await get("/run/default/web/c?cmd=echo%20hi", certs.kubeletClient, "POST");
  assert.equal(r.body, "ran echo hi\n");
});

function wsExec(path: string, protocols: string[], client = certs.kubeletClient): WebSocket {
  return new WebSocket(`wss://127.0.0.1:${kubelet.port}${path}`, protocols, { cert: client.cert, key: client.key, rejectUnauthorized: false });
}

function collect(ws: WebSocket): Promise<{ messages: Buffer[]; code: number }> {
  return new Promise((resolve) => {
    const messages: Buffer[] = [];
    ws.on("message", (m: Buffer) => messages.push(m));
    ws.on("close", (code) => resolve({ messages, code }));
  });
}

function channelText(messages: Buffer[], ch: number): string {
  return messages.filter((m) => m[0] === ch).map((m) => m.subarray(1).toString()).join("");
}

test("exec over WebSocket v5: stdin, close signal, stdout/stderr, status, normal close", async () => {
  const ws = wsExec("/exec/default/web/c?command=cat&input=1&output=1&error=1", ["v5.channel.k8s.io", "v4.channel.k8s.io"]);
  const res = collect(ws);
  await new Promise((r) => ws.once("open", r));
  assert.equal(ws.protocol, "v5.channel.k8s.io");
  ws.send(Buffer.concat([Buffer.from([0]), Buffer.from("hello ")]));
  ws.send(Buffer.concat([Buffer.from([0]), Buffer.from("world")]));
  ws.send(Buffer.from([255, 0]));
  const { messages, code } = await res;
  assert.equal(code, 1000);
  assert.equal(channelText(messages, 1), "HELLO WORLD");
  assert.equal(channelText(messages, 2), "err:cat");
  assert.deepEqual(JSON.parse(channelText(messages, 3)), { metadata: {}, status: "Success" });
  // the error channel comes after all output
  assert.equal(messages.at(-1)![0], 3);
  const exec = runtime.calls.find((c) => c.method === "Exec")!;
  assert.deepEqual(exec.req, { container_id: "ctr1", tty: false, stdin: true, stdout: true, stderr: true, cmd: ["cat"] });
});

test("exec over WebSocket v5: non-zero exit code and tty resize", async () => {
  const ws = wsExec("/exec/default/web/c?command=exit&command=3&input=1&output=1&tty=1", ["v5.channel.k8s.io"]);
  const res = collect(ws);
  await new Promise((r) => ws.once("open", r));
  ws.send(Buffer.concat([Buffer.from([4]), Buffer.from('{"Width":80,"Height":24}')]));
  await new Promise((r) => setTimeout(r, 50));
  ws.send(Buffer.from([255, 0]));
  const { messages } = await res;
  assert.match(channelText(messages, 1), /resize:\{"Width":80,"Height":24\}/);
  const status = JSON.parse(channelText(messages, 3));
  assert.equal(status.reason, "NonZeroExitCode");
  assert.equal(status.details.causes[0].message, "3");
  assert.equal(channelText(messages, 2), "");
});

test("exec over SPDY is relayed to the runtime untouched", async () => {
  const r = await dialUpgrade(`https://127.0.0.1:${kubelet.port}/exec/default/web/c?command=tr&input=1&output=1&error=1`, {
    headers: { Connection: "Upgrade", Upgrade: "SPDY/3.1", "X-Stream-Protocol-Version": ["v5.channel.k8s.io", "v4.channel.k8s.io"] },
    tls: { cert: certs.kubeletClient.cert, key: certs.kubeletClient.key },
  });
  assert.ok(r.upgraded);
  assert.equal(r.headers["x-stream-protocol-version"], "v4.channel.k8s.io");
  const s = new SpdySession(r.socket, { isServer: false });
  const error = s.openStream({ streamtype: "error" }, { fin: true });
  const stdin = s.openStream({ streamtype: "stdin" });
  const stdout = s.openStream({ streamtype: "stdout" }, { fin: true });
  const stderr = s.openStream({ streamtype: "stderr" }, { fin: true });
  await Promise.all([error, stdin, stdout, stderr].map((x) => x.waitReply()));
  const read = (x: SpdyStream) => new Promise<string>((resolve) => {
    let out = "";
    x.on("data", (c) => (out += c));
    x.on("end", () => resolve(out));
  });
  const outs = Promise.all([read(stdout), read(stderr), read(error)]);
  stdin.end("abc");
  const [o, e, st] = await outs;
  assert.equal(o, "ABC");
  assert.equal(e, "err:tr");
  assert.equal(JSON.parse(st).status, "Success");
  s.close();
});

test("exec errors: unknown container is a Status before the upgrade; missing streams are 400", async () => {
  const ws = wsExec("/exec/default/web/nope?command=sh&output=1", ["v5.channel.k8s.io"]);
  const code = await new Promise<number>((resolve) => ws.on("unexpected-response", (_req, res) => resolve(res.statusCode!)));
  assert.equal(code, 400);
  const r = await dialUpgrade(`https://127.0.0.1:${kubelet.port}/exec/default/web/c?command=sh`, {
    headers: { Connection: "Upgrade", Upgrade: "SPDY/3.1", "X-Stream-Protocol-Version": "v4.channel.k8s.io" },
    tls: { cert: certs.kubeletClient.cert, key: certs.kubeletClient.key },
  });
  assert.equal(r.upgraded, false);
  assert.equal(r.statusCode, 400);
  assert.match(r.upgraded ? "" : r.body.toString(), /at least 1 of stdin, stdout, stderr/);
  const forbidden = wsExec("/exec/default/web/c?command=sh&output=1", ["v5.channel.k8s.io"], certs.stranger);
  assert.equal(await new Promise<number>((resolve) => forbidden.on("unexpected-response", (_req, res) => resolve(res.statusCode!))), 403);
});

async function echoServer(): Promise<{ server: NetServer; port: number }> {
  const server = createNetServer((c) => c.on("data", (d) => c.write(`echo:${d}`)));
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  return { server, port: (server.address() as { port: number }).port };
}

test("port-forward: SPDY tunnelled in a WebSocket reaches the pod port", async () => {
  const { server, port } = await echoServer();
  try {
    // kubectl's subprotocol is not an RFC token, so the ws client refuses it: shake hands by hand.
    const r = await dialUpgrade(`https://127.0.0.1:${kubelet.port}/portForward/default/web`, {
      method: "GET",
      headers: { Connection: "Upgrade", Upgrade: "websocket", "Sec-WebSocket-Version": "13", "Sec-WebSocket-Key": randomBytes(16).toString("base64"), "Sec-WebSocket-Protocol": "SPDY/3.1+portforward.k8s.io" },
      tls: { cert: certs.kubeletClient.cert, key: certs.kubeletClient.key },
    });
    assert.ok(r.upgraded);
    assert.equal(r.headers["sec-websocket-protocol"], "SPDY/3.1+portforward.k8s.io");
    const ws = new (WebSocket as any)(null, undefined, { autoPong: true }) as WebSocket;
    (ws as any)._isServer = false;
    (ws as any).setSocket(r.socket, r.head, { maxPayload: 0, skipUTF8Validation: false });
    // A SPDY client over the tunnel: the WebSocket as a byte stream.
    const { Duplex } = await import("node:stream");
    const bytes = new Duplex({
      read() {},
      write(chunk, _e, cb) {
        ws.send(chunk, { binary: true }, cb);
      },
    });
    ws.on("message", (m: Buffer) => bytes.push(m));
    ws.on("close", () => bytes.push(null));
    const s = new SpdySession(bytes, { isServer: false });
    const err = s.openStream({ streamtype: "error", port: String(port), requestid: "0" }, { fin: true });
    const data = s.openStream({ streamtype: "data", port: String(port), requestid: "0" });
    await Promise.all([err.waitReply(), data.waitReply()]);
    data.write("ping");
    const got = await new Promise<string>((resolve) => data.once("data", (c) => resolve(String(c))));
    assert.equal(got, "echo:ping");
    s.close();
    ws.close();
    assert.deepEqual(runtime.calls.filter((c) => c.method === "PortForward").at(-1)!.req, { pod_sandbox_id: "sb1", port: [] });
  } finally {
    server.close();
  }
});

test("port-forward: the WebSocket channel protocol with ports in the query", async () => {
  const { server, port } = await echoServer();
  try {
    const ws = wsExec(`/portForward/default/web?port=${port}`, ["portforward.k8s.io"]);
    const first: Buffer[] = [];
    const got = new Promise<string>((resolve) => {
      ws.on("message", (m: Buffer) => {
        first.push(m);
        if (m[0] === 0 && m.length > 3) resolve(m.subarray(1).toString());
      });
    });
    await new Promise((r) => ws.once("open", r));
    ws.send(Buffer.concat([Buffer.from([0]), Buffer.from("hey")]));
    assert.equal(await got, "echo:hey");
    // The first message of each channel is the port number (little-endian).
    assert.equal(first[0].readUInt16LE(1), port);
    ws.close();
  } finally {
    server.close();
  }
});
