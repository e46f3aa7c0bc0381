/**
 * REST client tests against an in-process apiserver: CRUD, status, the three
 * patch types, errors as ApiError, paging, watch events and kubeconfig loading.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { KObject } from "../api/types.ts";
import { loadKubeconfig } from "./config.ts";
import { ApiClient, ApiError, isAlreadyExists, isConflict, isNotFound, type WatchEvent } from "./rest.ts";
import { startTestCluster, type TestCluster } from "./testserver.ts";

const cm = (name: string, data: Record<string, string> = {}, labels?: Record<string, string>): KObject => ({ metadata: { name, labels }, data });

describe("ApiClient", () => {
  let tc: TestCluster;
  before(async () => {
    tc = await startTestCluster();
  });
  after(async () => {
    await tc.stop();
  });

  it("creates, gets, updates, lists and deletes", async () => {
    const cms = tc.client.for("v1", "ConfigMap");
    const created = await cms.create("default", cm("a", { k: "1" }));
    assert.equal(created.metadata.namespace, "default");
    assert.ok(created.metadata.uid);
    const got = await cms.get("default", "a");
    assert.deepEqual(got.data, { k: "1" });
    got.data = { k: "2" };
    const updated = await cms.update("default", got);
    assert.equal(updated.data.k, "2");
    assert.notEqual(updated.metadata.resourceVersion, got.metadata.resourceVersion);
    const list = await cms.list("default");
    assert.ok(list.items.some((o) => o.metadata.name === "a" && o.kind === "ConfigMap"));
    assert.ok(Number(list.metadata.resourceVersion) > 0);
    await cms.delete("default", "a");
    await assert.rejects(cms.get("default", "a"), (e: unknown) => e instanceof ApiError && e.code === 404 && e.reason === "NotFound" && isNotFound(e));
  });

  it("maps error answers to ApiError with code, reason and details", async () => {
    const cms = tc.client.for("v1", "ConfigMap");
    await cms.create("default", cm("dup"));
    await assert.rejects(cms.create("default", cm("dup")), (e: unknown) => e instanceof ApiError && e.code === 409 && isAlreadyExists(e) && e.details?.name === "dup");
    const cur = await cms.get("default", "dup");
    await cms.update("default", { ...cur, data: { x: "1" } });
    await assert.rejects(cms.update("default", { ...cur, data: { x: "2" } }), (e: unknown) => isConflict(e));
    await assert.rejects(cms.create("default", cm("Bad_Name")), (e: unknown) => e instanceof ApiError && e.code === 422 && e.reason === "Invalid" && (e.details?.causes?.length ?? 0) > 0);
  });

  it("leaves network errors as plain Errors", async () => {
    const c = new ApiClient({ ...tc.config, server: "https://127.0.0.1:1" }, { timeoutMs: 2000 });
    try {
      await assert.rejects(c.for("v1", "ConfigMap").get("default", "x"), (e: unknown) => e instanceof Error && !(e instanceof ApiError));
    } finally {
      c.close();
    }
  });

  it("updates status and patches with merge, strategic and json patches", async () => {
    const pods = tc.client.for("v1", "Pod");
    const pod: KObject = { metadata: { name: "p1", labels: { a: "1" } }, spec: { containers: [{ name: "c", image: "busybox" }] } };
    await pods.create("default", pod);
    const merged = await pods.patch("default", "p1", "merge", { metadata: { labels: { b: "2" } } });
    assert.deepEqual(merged.metadata.labels, { a: "1", b: "2" });
    const strategic = await pods.patch("default", "p1", "strategic", { metadata: { labels: { c: "3" } } });
    assert.equal(strategic.metadata.labels?.c, "3");
    const jsonp = await pods.patch("default", "p1", "json", [{ op: "remove", path: "/metadata/labels/a" }]);
    assert.deepEqual(jsonp.metadata.labels, { b: "2", c: "3" });
    const withStatus = await pods.updateStatus("default", { ...jsonp, status: { ...jsonp.status, phase: "Running" } });
    assert.equal(withStatus.status.phase, "Running");
    const patched = await pods.patch("default", "p1", "merge", { status: { message: "hi" } }, { subresource: "status" });
    assert.equal(patched.status.message, "hi");
    const dry = await pods.patch("default", "p1", "merge", { metadata: { labels: { d: "4" } } }, { dryRun: true });
    assert.equal(dry.metadata.labels?.d, "4");
    assert.equal((await pods.get("default", "p1")).metadata.labels?.d, undefined);
    await pods.delete("default", "p1", { gracePeriodSeconds: 0 });
  });

  it("creates and reads subresources (eviction, status)", async () => {
    const pods = tc.client.for("v1", "Pod");
    await pods.create("default", { metadata: { name: "pe" }, spec: { containers: [{ name: "c", image: "busybox" }] } });
    const st = (await pods.getSubresource("default", "pe", "status")) as KObject;
    assert.equal(st.metadata.name, "pe");
    await pods.createSubresource("default", "pe", "eviction", { apiVersion: "policy/v1", kind: "Eviction", metadata: { name: "pe", namespace: "default" } });
    await assert.rejects(pods.get("default", "pe"), isNotFound);
  });

  it("pages lists with limit and continue", async () => {
    const cms = tc.client.for("v1", "ConfigMap");
    await tc.client.for("v1", "Namespace").create("", { metadata: { name: "paging" } });
    for (let i = 0; i < 5; i++) await cms.create("paging", cm(`p${i}`, {}, { page: "yes" }));
    const first = await cms.list("paging", { limit: 2, labelSelector: "page=yes" });
    assert.equal(first.items.length, 2);
    assert.ok(first.metadata.continue);
    const names = first.items.map((o) => o.metadata.name);
    let cont: string | undefined = first.metadata.continue;
    for (let i = 0; cont && i < 5; i++) {
      const next = await cms.list("paging", { limit: 2, continue: cont, labelSelector: "page=yes" });
      names.push(...next.items.map((o) => o.metadata.name));
      cont = next.metadata.continue;
    }
    assert.deepEqual(names, ["p0", "p1", "p2", "p3", "p4"]);
  });

  it("watches ADDED, MODIFIED, DELETED and ends on timeoutSeconds", async () => {
    const cms = tc.client.for("v1", "ConfigMap");
    await tc.client.for("v1", "Namespace").create("", { metadata: { name: "watched" } });
    const rv = (await cms.list("watched")).metadata.resourceVersion;
    const events: WatchEvent<KObject>[] = [];
    const h = cms.watch("watched", { resourceVersion: rv, timeoutSeconds: 1 }, (ev) => events.push(ev));
    const c = await cms.create("watched", cm("w"));
    await cms.update("watched", { ...c, data: { a: "b" } });
    await cms.delete("watched", "w");
    await h.done;
    assert.deepEqual(events.map((e) => `${e.type} ${e.object.metadata.name}`), ["ADDED w", "MODIFIED w", "DELETED w"]);
  });

  it("stop() resolves done; a bad watch rejects with ApiError", async () => {
    const cms = tc.client.for("v1", "ConfigMap");
    const h = cms.watch("default", {}, () => undefined);
    setTimeout(() => h.stop(), 50);
    await h.done;
    const bad = cms.watch("default", { resourceVersionMatch: "Exact" }, () => undefined);
    await assert.rejects(bad.done, (e: unknown) => e instanceof ApiError && e.code === 400);
  });

  it("rate limits with qps/burst", async () => {
    const c = tc.newClient({ qps: 20, burst: 1 });
    try {
      const t0 = Date.now();
      for (let i = 0; i < 5; i++) await c.for("v1", "Namespace").get("", "default");
      assert.ok(Date.now() - t0 >= 150, `took ${Date.now() - t0} ms`);
    } finally {
      c.close();
    }
  });
});

describe("loadKubeconfig", () => {
  it("reads data fields, files relative to the kubeconfig and tokens", () => {
    const dir = mkdtempSync(join(tmpdir(), "tskube-kc-"));
    try {
      writeFileSync(join(dir, "ca.pem"), "CA PEM");
      writeFileSync(
        join(dir, "config"),
        [
          "apiVersion: v1",
          "kind: Config",
          "current-context: admin",
          "clusters:",
          "- name: c",
          "  cluster: {server: 'https://127.0.0.1:6443', certificate-authority: ca.pem}",
          "users:",
          "- name: admin",
          `  user: {client-certificate-data: ${Buffer.from("CERT").toString("base64")}, client-key-data: ${Buffer.from("KEY").toString("base64")}}`,
          "- name: bot",
          "  user: {token: abc}",
          "contexts:",
          "- name: admin",
          "  context: {cluster: c, user: admin}",
          "- name: bot",
          "  context: {cluster: c, user: bot}",
        ].join("\n"),
      );
      assert.deepEqual(loadKubeconfig(join(dir, "config")), { server: "https://127.0.0.1:6443", ca: "CA PEM", cert: "CERT", key: "KEY" });
      assert.deepEqual(loadKubeconfig(join(dir, "config"), "bot"), { server: "https://127.0.0.1:6443", ca: "CA PEM", token: "abc" });
      assert.throws(() => loadKubeconfig(join(dir, "config"), "nope"), /context "nope" not found/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
