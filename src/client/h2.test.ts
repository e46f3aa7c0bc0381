/**
 * Tests for the client's HTTP/2 connection against a local HTTP/2 server:
 * concurrent streams share one session, a second session is opened only when
 * the server's stream limit is reached, a session the server ends (GOAWAY) or
 * breaks is replaced on the next stream, close() refuses later streams, and
 * an idle session does not keep the process alive.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createSecureServer, type Http2SecureServer, type ServerHttp2Session } from "node:http2";
import type { ClientHttp2Stream } from "node:http2";
import { selfSignedServing } from "../machinery/certs.ts";
import { H2Connection } from "./h2.ts";

/** Sends a GET on `conn` and resolves with the status and body; rejects when no answer came. */
function get(conn: H2Connection, path: string): Promise<{ status: number; body: string }> {
  return new Promise((ok, fail) => {
    let st: ClientHttp2Stream;
    try {
      st = conn.stream({ ":method": "GET", ":path": path }, true);
    } catch (err) {
      return fail(err);
    }
    let status = 0;
    let body = "";
    st.on("response", (h) => (status = Number(h[":status"])));
    st.setEncoding("utf8");
    st.on("data", (c: string) => (body += c));
    st.on("end", () => (status ? ok({ status, body }) : fail(new Error("ended without an answer"))));
    st.on("error", fail);
  });
}

describe("H2Connection", () => {
  let server: Http2SecureServer;
  let origin: string;
  let ca: string;
  const sessions: ServerHttp2Session[] = [];

  before(async () => {
    const pki = await selfSignedServing("h2-test");
    ca = pki.ca.cert;
    server = createSecureServer({ key: pki.serving.key, cert: pki.serving.cert }, (req, res) => {
      const delay = Number(new URL(req.url, "https://x").searchParams.get("delay") ?? 0);
      setTimeout(() => res.end(`ok ${req.url}`), delay);
    });
    server.on("session", (s: ServerHttp2Session) => sessions.push(s));
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const addr = server.address();
    origin = `https://127.0.0.1:${typeof addr === "object" && addr ? addr.port : 0}`;
  });
  after(() => {
    for (const s of sessions) s.destroy();
    server.close();
  });

  it("multiplexes concurrent streams over one session", async () => {
    const before = sessions.length;
    const conn = new H2Connection(origin, { ca, rejectUnauthorized: true });
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => get(conn, `/r${i}?delay=20`)));
    assert.deepEqual(
      answers.map((a) => a.body),
      Array.from({ length: 20 }, (_, i) => `ok /r${i}?delay=20`),
    );
    assert.equal(sessions.length - before, 1, "one session for all twenty");
    conn.close();
  });

  it("opens another session only when every one is at the server's stream limit", async () => {
    const pki = await selfSignedServing("h2-limit");
    const limited = createSecureServer({ key: pki.serving.key, cert: pki.serving.cert, settings: { maxConcurrentStreams: 2 } }, (req, res) => {
      setTimeout(() => res.end("ok"), req.url === "/hold" ? 1500 : 0);
    });
    const seen: ServerHttp2Session[] = [];
    limited.on("session", (s: ServerHttp2Session) => seen.push(s));
    await new Promise<void>((r) => limited.listen(0, "127.0.0.1", r));
    const addr = limited.address();
    const conn = new H2Connection(`https://127.0.0.1:${typeof addr === "object" && addr ? addr.port : 0}`, { ca: pki.ca.cert, rejectUnauthorized: true });
    try {
      await get(conn, "/first");
      let heldDone = 0;
      const held = [get(conn, "/hold"), get(conn, "/hold")].map((p) => p.then(() => heldDone++));
      assert.equal((await get(conn, "/third")).body, "ok");
      assert.equal(heldDone, 0, "answered while both held streams are still open: not queued behind them");
      assert.equal(conn.sessionCount, 2);
      assert.equal(seen.length, 2);
      await Promise.all(held);
    } finally {
      conn.close();
      for (const s of seen) s.destroy();
      limited.close();
    }
  });

  it("opens a new session after the server ends or breaks the current one", async () => {
    const conn = new H2Connection(origin, { ca, rejectUnauthorized: true });
    assert.equal((await get(conn, "/one")).status, 200);
    const first = sessions[sessions.length - 1];
    first.close();
    await new Promise((r) => setTimeout(r, 50));
    assert.equal((await get(conn, "/two")).body, "ok /two", "served after GOAWAY");
    const second = sessions[sessions.length - 1];
    assert.notEqual(second, first);
    const inFlight = get(conn, "/slow?delay=2000");
    await new Promise((r) => setTimeout(r, 50));
    second.destroy();
    await assert.rejects(inFlight, "a stream on a broken session fails");
    assert.equal((await get(conn, "/three")).body, "ok /three", "served after the break");
    assert.notEqual(sessions[sessions.length - 1], second);
    conn.close();
    assert.throws(() => conn.stream({ ":path": "/" }, true), /closed/);
  });

  it("does not keep the process alive while idle", async () => {
    const script = [
      `import { H2Connection } from ${JSON.stringify(new URL("./h2.ts", import.meta.url).pathname)};`,
      `const conn = new H2Connection(${JSON.stringify(origin)}, { ca: process.env.CA, rejectUnauthorized: true });`,
      `const st = conn.stream({ ":method": "GET", ":path": "/idle" }, true);`,
      `st.on("data", () => {}); st.on("end", () => console.log("answered"));`,
    ].join("\n");
    const child = spawn(process.execPath, ["--input-type=module", "-e", script], { env: { ...process.env, CA: ca }, stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.on("data", (c) => (out += c));
    const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
    const code = await new Promise<number | null>((r) => child.on("exit", (c) => r(c)));
    clearTimeout(timer);
    assert.equal(out.trim(), "answered");
    assert.equal(code, 0, "the child exits by itself once its only stream is done");
  });
});
