/**
 * HTTP-level tests of the apiserver, in process over HTTPS with the generated
 * PKI: authentication, error statuses (401, 404, 406, 413, 415, 400),
 * discovery with ETags and aggregated content types, Table output, and watch
 * semantics (initial events, resume, selector transitions, bookmarks,
 * sendInitialEvents, 410 for revisions the cache no longer holds, timeouts),
 * and HTTP/2 beside HTTP/1.1 (ALPN, certificates per session, large bodies,
 * watch lines without chunk framing from a stream shared with HTTP/1.1).
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { Agent, request } from "node:https";
import { connect, type ClientHttp2Session } from "node:http2";
import { startTestCluster, type TestCluster } from "../client/testserver.ts";
import type { ApiServer } from "./server.ts";
import { groupCount } from "./watchgroups.ts";

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

describe("apiserver over HTTPS", () => {
  let tc: TestCluster;
  let api: ApiServer;
  let agent: Agent;
  let anon: Agent;

  const call = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}, useAgent?: Agent): Promise<Reply> =>
    new Promise((ok, fail) => {
      const data = body === undefined ? undefined : typeof body === "string" || Buffer.isBuffer(body) ? body : JSON.stringify(body);
      const req = request(
        { host: "127.0.0.1", port: api.port, method, path, agent: useAgent ?? agent, headers: { "Content-Type": "application/json", ...headers } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c) => chunks.push(c));
          res.on("end", () => ok({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString() }));
        },
      );
      req.on("error", fail);
      req.end(data);
    });

  /** Opens a watch and collects event lines until `until` says stop (or 5 s pass). */
  const watch = (path: string, until: (events: { type: string; object: Record<string, any> }[]) => boolean, action?: () => Promise<void>) =>
    new Promise<{ type: string; object: Record<string, any> }[]>((ok, fail) => {
      const events: { type: string; object: Record<string, any> }[] = [];
      const req = request({ host: "127.0.0.1", port: api.port, path, agent }, (res) => {
        let buf = "";
        const timer = setTimeout(() => {
          req.destroy();
          ok(events);
        }, 5000);
        res.on("data", (c) => {
          buf += c;
          let nl;
          while ((nl = buf.indexOf("\n")) >= 0) {
            events.push(JSON.parse(buf.slice(0, nl)));
            buf = buf.slice(nl + 1);
          }
          if (until(events)) {
            clearTimeout(timer);
            req.destroy();
            ok(events);
          }
        });
        res.on("end", () => {
          clearTimeout(timer);
          ok(events);
        });
        if (action) action().catch(fail);
      });
      req.on("error", (e) => ((e as NodeJS.ErrnoException).code === "ECONNRESET" ? undefined : fail(e)));
      req.end();
    });

  before(async () => {
    tc = await startTestCluster({ watchCacheEventWindow: 8 });
    api = tc.api;
    agent = new Agent({ keepAlive: true, ca: tc.config.ca, cert: tc.config.cert, key: tc.config.key });
    anon = new Agent({ keepAlive: false, ca: tc.config.ca });
  });
  after(async () => {
    agent?.destroy();
    anon?.destroy();
    await tc?.stop();
  });

  it("rejects anonymous requests except the public endpoints", async () => {
    const r = await call("GET", "/api/v1/namespaces", undefined, {}, anon);
    assert.equal(r.status, 401);
    assert.equal(JSON.parse(r.body).reason, "Unauthorized");
    assert.equal((await call("GET", "/version", undefined, {}, anon)).status, 200);
    assert.equal((await call("GET", "/readyz", undefined, {}, anon)).body, "ok");
  });

  it("answers bad requests with Status objects and the right codes", async () => {
    const notFound = await call("GET", "/apis/nope.example/v1/things");
    assert.equal(notFound.status, 404);
    assert.equal(JSON.parse(notFound.body).kind, "Status");
    assert.equal((await call("POST", "/api/v1/namespaces/default/configmaps", "{not json")).status, 400);
    assert.equal((await call("POST", "/api/v1/namespaces/default/configmaps", "a: b", { "Content-Type": "text/plain" })).status, 415);
    const huge = JSON.stringify({ metadata: { name: "big" }, data: { k: "x".repeat(3 * 1024 * 1024 + 10) } });
    assert.equal((await call("POST", "/api/v1/namespaces/default/configmaps", huge)).status, 413);
    assert.equal((await call("GET", "/api/v1/namespaces", undefined, { Accept: "application/vnd.kubernetes.protobuf" })).status, 406);
    const applyPatch = await call("PATCH", "/api/v1/namespaces/default", "{}", { "Content-Type": "application/apply-patch+yaml" });
    assert.equal(applyPatch.status, 415);
    const yaml = await call("POST", "/api/v1/namespaces/default/configmaps", "metadata:\n  name: from-yaml\ndata:\n  a: b\n", { "Content-Type": "application/yaml" });
    assert.equal(yaml.status, 201, yaml.body);
  });

  it("applies fieldValidation to unknown and duplicate fields", async () => {
    const body = '{"metadata":{"name":"dup"},"data":{"a":"1"},"data":{"a":"2"},"dataa":{}}';
    const strict = await call("POST", "/api/v1/namespaces/default/configmaps?fieldValidation=Strict", body);
    assert.equal(strict.status, 400);
    assert.match(JSON.parse(strict.body).message, /strict decoding error: duplicate field "data"/);
    const warn = await call("POST", "/api/v1/namespaces/default/configmaps", body);
    assert.equal(warn.status, 201);
    const warnings = String(warn.headers.warning);
    assert.match(warnings, /duplicate field \\"data\\"/);
    assert.match(warnings, /unknown field \\"dataa\\"/);
    assert.deepEqual(JSON.parse(warn.body).data, { a: "2" });
    const ignore = await call("PUT", "/api/v1/namespaces/default/configmaps/dup?fieldValidation=Ignore", body);
    assert.equal(ignore.status, 200);
    assert.equal(ignore.headers.warning, undefined);
  });

  it("serves aggregated discovery with its content type and honours ETags", async () => {
    const accept = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json";
    const agg = await call("GET", "/apis", undefined, { Accept: accept });
    assert.equal(agg.headers["content-type"], "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList");
    const doc = JSON.parse(agg.body);
    assert.equal(doc.kind, "APIGroupDiscoveryList");
    assert.ok(doc.items.some((g: { metadata: { name: string } }) => g.metadata.name === "apps"));
    const again = await call("GET", "/apis", undefined, { Accept: accept, "If-None-Match": agg.headers.etag as string });
    assert.equal(again.status, 304);
    const legacy = JSON.parse((await call("GET", "/api/v1")).body);
    const pods = legacy.resources.find((r: { name: string }) => r.name === "pods");
    assert.deepEqual(pods.shortNames, ["po"]);
    assert.ok(legacy.resources.some((r: { name: string }) => r.name === "pods/status"));
  });

  it("returns Tables for kubectl get", async () => {
    const r = await call("GET", "/api/v1/namespaces", undefined, { Accept: "application/json;as=Table;v=v1;g=meta.k8s.io,application/json" });
    const t = JSON.parse(r.body);
    assert.equal(t.kind, "Table");
    assert.deepEqual(t.columnDefinitions.map((c: { name: string }) => c.name).slice(0, 3), ["Name", "Status", "Age"]);
    const names = t.rows.map((row: { cells: string[] }) => row.cells[0]);
    assert.ok(names.includes("kube-system"));
    assert.equal(t.rows[0].object.kind, "PartialObjectMetadata");
  });

  it("streams watch events from a resourceVersion, with selector transitions", async () => {
    await call("POST", "/api/v1/namespaces", { metadata: { name: "w" } });
    const list = JSON.parse((await call("GET", "/api/v1/namespaces/w/configmaps")).body);
    const rv = list.metadata.resourceVersion;
    const events = await watch(
      `/api/v1/namespaces/w/configmaps?watch=1&resourceVersion=${rv}&labelSelector=keep%3Dyes`,
      (ev) => ev.length >= 3,
      async () => {
        await call("POST", "/api/v1/namespaces/w/configmaps", { metadata: { name: "a", labels: { keep: "yes" } } });
        await call("POST", "/api/v1/namespaces/w/configmaps", { metadata: { name: "ignored", labels: { keep: "no" } } });
        await call("PATCH", "/api/v1/namespaces/w/configmaps/a", { data: { x: "1" } }, { "Content-Type": "application/merge-patch+json" });
        await call("PATCH", "/api/v1/namespaces/w/configmaps/a", { metadata: { labels: { keep: "no" } } }, { "Content-Type": "application/merge-patch+json" });
      },
    );
    assert.deepEqual(events.map((e) => `${e.type}:${e.object.metadata.name}`), ["ADDED:a", "MODIFIED:a", "DELETED:a"]);
    assert.ok(Number(events[2].object.metadata.resourceVersion) > Number(events[1].object.metadata.resourceVersion));
  });

  it("sends initial events, the initial-events-end bookmark and honours timeoutSeconds", async () => {
    const initial = await watch("/api/v1/namespaces/w/configmaps?watch=1", (ev) => ev.length >= 2);
    assert.deepEqual(initial.map((e) => e.type), ["ADDED", "ADDED"]);
    const sie = await watch(
      "/api/v1/namespaces/w/configmaps?watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true",
      (ev) => ev.some((e) => e.type === "BOOKMARK"),
    );
    const bm = sie[sie.length - 1];
    assert.equal(bm.type, "BOOKMARK");
    assert.equal(bm.object.metadata.annotations["k8s.io/initial-events-end"], "true");
    assert.equal(sie.filter((e) => e.type === "ADDED").length, 2);
    const bad = await call("GET", "/api/v1/namespaces/w/configmaps?watch=1&sendInitialEvents=true");
    assert.equal(bad.status, 422);
    const t0 = Date.now();
    const rv = JSON.parse((await call("GET", "/api/v1/namespaces/w/configmaps")).body).metadata.resourceVersion;
    const timed = await watch(`/api/v1/namespaces/w/configmaps?watch=1&resourceVersion=${rv}&timeoutSeconds=1`, () => false);
    assert.deepEqual(timed, []);
    assert.ok(Date.now() - t0 < 4000, "the server ends the watch after timeoutSeconds");
  });

  it("serves watchers of one collection from one shared stream, each from its own starting point", async () => {
    await call("POST", "/api/v1/namespaces", { metadata: { name: "g" } });
    const path = "/api/v1/namespaces/g/configmaps";
    const rv0 = JSON.parse((await call("GET", path)).body).metadata.resourceVersion;
    const x = JSON.parse((await call("POST", path, { metadata: { name: "x" } })).body);
    const names = (evs: { type: string; object: Record<string, any> }[]): string[] => evs.map((e) => `${e.type}:${e.object.metadata.name}`);
    const groupsBefore = groupCount(api.registry.cache);
    const rest = async (): Promise<void> => {
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(groupCount(api.registry.cache), groupsBefore + 1, "the three watchers share one group");
      await call("PATCH", `${path}/x`, { data: { a: "1" } }, { "Content-Type": "application/merge-patch+json" });
      await call("POST", path, { metadata: { name: "y" } });
      await call("DELETE", `${path}/x`);
    };
    const done = (evs: { type: string }[]): boolean => evs.some((e) => e.type === "DELETED");
    const [fromStart, fromX, initial] = await Promise.all([
      watch(`${path}?watch=1&resourceVersion=${rv0}`, done),
      watch(`${path}?watch=1&resourceVersion=${x.metadata.resourceVersion}&allowWatchBookmarks=true`, done),
      watch(`${path}?watch=1`, done, rest),
    ]);
    assert.deepEqual(names(fromStart), ["ADDED:x", "MODIFIED:x", "ADDED:y", "DELETED:x"]);
    assert.deepEqual(names(fromX), ["MODIFIED:x", "ADDED:y", "DELETED:x"]);
    assert.deepEqual(names(initial), ["ADDED:x", "MODIFIED:x", "ADDED:y", "DELETED:x"]);
    const rvs = fromStart.map((e) => Number(e.object.metadata.resourceVersion));
    assert.deepEqual([...rvs].sort((a, b) => a - b), rvs, "in revision order");
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(groupCount(api.registry.cache), groupsBefore, "the group is gone with its last watcher");
  });

  it("answers a watch from a revision outside the cache window with 410 Expired", async () => {
    const first = JSON.parse((await call("POST", "/api/v1/namespaces/w/configmaps", { metadata: { name: "old-0" } })).body);
    for (let i = 1; i < 12; i++) await call("POST", "/api/v1/namespaces/w/configmaps", { metadata: { name: `old-${i}` } });
    const events = await watch(`/api/v1/namespaces/w/configmaps?watch=1&resourceVersion=${first.metadata.resourceVersion}`, (ev) => ev.length >= 1);
    assert.equal(events.length, 1);
    assert.equal(events[0].type, "ERROR");
    assert.equal(events[0].object.code, 410);
    assert.equal(events[0].object.reason, "Expired");
    const future = await call("GET", "/api/v1/namespaces/w/configmaps?resourceVersion=999999999");
    assert.equal(future.status, 504);
  });
  it("speaks HTTP/2 when the client offers it, beside HTTP/1.1", async () => {
    const h2 = (withCert: boolean): Promise<ClientHttp2Session> =>
      new Promise((ok, fail) => {
        const auth = withCert ? { cert: tc.config.cert, key: tc.config.key } : {};
        const s = connect(`https://127.0.0.1:${api.port}`, { ca: tc.config.ca, ...auth });
        s.once("connect", () => ok(s));
        s.once("error", fail);
      });
    const send = (s: ClientHttp2Session, method: string, path: string, body?: string): Promise<Reply> =>
      new Promise((ok, fail) => {
        const st = s.request({ ":method": method, ":path": path, "content-type": "application/json" }, { endStream: body === undefined });
        let status = 0;
        let headers: Record<string, string | string[] | undefined> = {};
        const chunks: Buffer[] = [];
        st.on("response", (h) => {
          status = Number(h[":status"]);
          headers = h;
        });
        st.on("data", (c: Buffer) => chunks.push(c));
        st.on("end", () => ok({ status, headers, body: Buffer.concat(chunks).toString() }));
        st.on("error", fail);
        if (body !== undefined) st.end(body);
      });
    const admin = await h2(true);
    const anonymous = await h2(false);
    try {
      assert.equal(admin.alpnProtocol, "h2");
      assert.equal((await send(anonymous, "GET", "/api/v1/namespaces")).status, 401, "no certificate, no user");
      assert.equal((await send(anonymous, "GET", "/version")).status, 200);
      const [a, b] = await Promise.all([send(admin, "GET", "/api/v1/namespaces/default"), send(admin, "GET", "/api/v1/namespaces/kube-system")]);
      assert.deepEqual([a.status, b.status], [200, 200], "the session's certificate authenticates each stream");
      assert.equal(a.headers["transfer-encoding"], undefined);

      await call("POST", "/api/v1/namespaces", { metadata: { name: "h2" } });
      const path = "/api/v1/namespaces/h2/configmaps";
      const big = await send(admin, "POST", path, JSON.stringify({ metadata: { name: "big" }, data: { k: "x".repeat(1000 * 1024) } }));
      assert.equal(big.status, 201, `a body far larger than HTTP/2's default 64 KiB window arrives whole: ${big.status} ${big.body.slice(0, 300)}`);

      const st = admin.request({ ":method": "GET", ":path": `${path}?watch=1` });
      let raw = "";
      st.setEncoding("utf8");
      st.on("data", (c: string) => (raw += c));
      // The DELETED line has arrived whole (the 1 MB ADDED line before it may come in many frames).
      const deleted = (): boolean => raw.endsWith("\n") && raw.includes('"type":"DELETED"');
      const h1 = watch(`${path}?watch=1`, (evs) => evs.some((e) => e.type === "DELETED"), async () => {
        await new Promise((r) => setTimeout(r, 100));
        await call("POST", path, { metadata: { name: "small" } });
        await call("DELETE", `${path}/big`);
      });
      const h1Events = await h1;
      for (let i = 0; i < 500 && !deleted(); i++) await new Promise((r) => setTimeout(r, 20));
      assert.ok(deleted(), "the HTTP/2 watch received every event within 10 s");
      st.close();
      const lines = raw.split("\n").filter((l) => l);
      const h2Events = lines.map((l) => JSON.parse(l) as { type: string; object: Record<string, any> });
      const seen = (evs: { type: string; object: Record<string, any> }[]) => evs.map((e) => `${e.type}:${e.object.metadata.name}`);
      assert.deepEqual(seen(h2Events), ["ADDED:big", "ADDED:small", "DELETED:big"], "every line is one JSON event: no chunk framing");
      assert.deepEqual(seen(h1Events), seen(h2Events));
    } finally {
      admin.destroy();
      anonymous.destroy();
    }
  });
});
