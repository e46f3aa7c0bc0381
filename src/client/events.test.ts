/**
 * Event recorder and leader election against an in-process apiserver.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import type { KObject } from "../api/types.ts";
import { EventRecorder } from "./events.ts";
import { runLeaderElection } from "./leaderelection.ts";
import { startTestCluster, type TestCluster } from "./testserver.ts";

async function waitFor(cond: () => boolean, what: string, timeoutMs = 8000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe("EventRecorder and leader election", () => {
  let tc: TestCluster;
  before(async () => {
    tc = await startTestCluster();
  });
  after(async () => {
    await tc.stop();
  });

  it("drops events beyond its queue with one warning, not one per event", async () => {
    const cm = await tc.client.for("v1", "ConfigMap").create("default", { metadata: { name: "ev-flood" } });
    const r = new EventRecorder(tc.client, { component: "flood-test" });
    const lines: string[] = [];
    const write = process.stderr.write;
    process.stderr.write = ((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    }) as typeof process.stderr.write;
    try {
      for (let i = 0; i < 1200; i++) r.event(cm, "Normal", "Flood", `event ${i}`);
    } finally {
      process.stderr.write = write;
    }
    const warnings = lines.filter((l) => l.includes("event queue full"));
    assert.equal(warnings.length, 1, "one warning for the burst");
    assert.equal(JSON.parse(warnings[0]).dropped, 1);
    await r.flush();
  });

  it("records events and aggregates identical ones", async () => {
    const cm = await tc.client.for("v1", "ConfigMap").create("default", { metadata: { name: "ev-target" } });
    const node = await tc.client.for("v1", "Node").create("", { metadata: { name: "ev-node" } });
    const r = new EventRecorder(tc.client, { component: "test-controller", host: "h1" });
    r.event(cm, "Normal", "Synced", "all good");
    r.event(cm, "Normal", "Synced", "all good");
    r.event(cm, "Warning", "Failed", "oops");
    r.event(node, "Normal", "Ready", "node ready");
    await r.flush();
    const events = (await tc.client.for("v1", "Event").list("default")).items;
    const synced = events.filter((e: KObject) => e.reason === "Synced");
    assert.equal(synced.length, 1);
    const e = synced[0];
    assert.equal(e.count, 2);
    assert.ok(e.metadata.name?.startsWith("ev-target."));
    assert.deepEqual(
      { kind: e.involvedObject.kind, name: e.involvedObject.name, namespace: e.involvedObject.namespace, uid: e.involvedObject.uid, apiVersion: e.involvedObject.apiVersion },
      { kind: "ConfigMap", name: "ev-target", namespace: "default", uid: cm.metadata.uid, apiVersion: "v1" },
    );
    assert.deepEqual(e.source, { component: "test-controller", host: "h1" });
    assert.equal(e.type, "Normal");
    assert.ok(e.firstTimestamp && e.lastTimestamp);
    assert.equal(events.filter((x: KObject) => x.reason === "Failed")[0]?.count, 1);
    const ready = events.find((x: KObject) => x.reason === "Ready");
    assert.equal(ready?.involvedObject.kind, "Node");
    assert.equal(ready?.involvedObject.namespace, undefined);
  });

  it("combines similar events from the tenth distinct message on, as upstream's aggregator", async () => {
    const cm = await tc.client.for("v1", "ConfigMap").create("default", { metadata: { name: "ev-similar" } });
    const r = new EventRecorder(tc.client, { component: "scaler" });
    for (let i = 0; i < 14; i++) r.event(cm, "Normal", "Scaled", `scaled to ${i}`);
    r.event(cm, "Normal", "Scaled", "scaled to 3"); // seen before: aggregated with its twin
    await r.flush();
    const events = (await tc.client.for("v1", "Event").list("default")).items.filter((e: KObject) => e.involvedObject?.name === "ev-similar");
    const combined = events.filter((e: KObject) => String(e.message).startsWith("(combined from similar events): "));
    assert.equal(combined.length, 1);
    assert.equal(combined[0].message, "(combined from similar events): scaled to 13");
    assert.equal(combined[0].count, 5, "the 10th to 14th distinct messages");
    const single = events.filter((e: KObject) => !combined.includes(e));
    assert.equal(single.length, 9);
    assert.equal(single.find((e: KObject) => e.message === "scaled to 3")?.count, 2);
  });

  it("elects one leader; the other takes over when the first stops", async () => {
    const leading: string[] = [];
    const stopped: string[] = [];
    const seen: string[] = [];
    const timing = { leaseDurationMs: 1000, renewDeadlineMs: 700, retryPeriodMs: 100 };
    const candidate = (identity: string, ac: AbortController) =>
      runLeaderElection(
        {
          client: tc.client,
          namespace: "default",
          name: "test-lock",
          identity,
          ...timing,
          onStartedLeading: (signal) => {
            leading.push(identity);
            signal.addEventListener("abort", () => stopped.push(`${identity} signal`));
          },
          onStoppedLeading: () => stopped.push(identity),
          onNewLeader: (id) => seen.push(`${identity} sees ${id}`),
        },
        ac.signal,
      );
    const a = new AbortController();
    const b = new AbortController();
    const runA = candidate("a", a);
    await waitFor(() => leading.length === 1, "first leader");
    const runB = candidate("b", b);
    await new Promise((r) => setTimeout(r, 1500));
    assert.deepEqual(leading, ["a"], "b must not lead while a renews");
    assert.ok(seen.includes("b sees a"));
    const lease = await tc.client.for("coordination.k8s.io/v1", "Lease").get("default", "test-lock");
    assert.equal(lease.spec.holderIdentity, "a");
    assert.equal(lease.spec.leaseDurationSeconds, 1);

    const t0 = Date.now();
    a.abort();
    await runA;
    assert.deepEqual(stopped, ["a signal", "a"]);
    await waitFor(() => leading.length === 2, "takeover", 3000);
    assert.deepEqual(leading, ["a", "b"]);
    assert.ok(Date.now() - t0 < 900, "release lets the successor take over before the lease would expire");
    const taken = await tc.client.for("coordination.k8s.io/v1", "Lease").get("default", "test-lock");
    assert.equal(taken.spec.holderIdentity, "b");
    assert.equal(taken.spec.leaseTransitions, 1);
    b.abort();
    await runB;
  });

  it("loses leadership when another holder takes the lease", async () => {
    const leases = tc.client.for("coordination.k8s.io/v1", "Lease");
    const events: string[] = [];
    const ac = new AbortController();
    const run = runLeaderElection(
      {
        client: tc.client,
        namespace: "default",
        name: "steal-lock",
        identity: "c",
        leaseDurationMs: 1000,
        renewDeadlineMs: 500,
        retryPeriodMs: 50,
        onStartedLeading: (signal) => {
          events.push("started");
          signal.addEventListener("abort", () => events.push("aborted"));
        },
        onStoppedLeading: () => events.push("stopped"),
      },
      ac.signal,
    );
    try {
      await waitFor(() => events.includes("started"), "leadership");
      for (let i = 0; i < 10; i++) {
        const cur = await leases.get("default", "steal-lock");
        try {
          await leases.update("default", { ...cur, spec: { ...cur.spec, holderIdentity: "intruder" } });
          break;
        } catch {
          continue;
        }
      }
      await run;
      assert.deepEqual(events, ["started", "aborted", "stopped"]);
      assert.equal((await leases.get("default", "steal-lock")).spec.holderIdentity, "intruder");
    } finally {
      ac.abort();
      await run;
    }
  });
});
