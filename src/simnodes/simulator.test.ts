/**
 * Tests of simulated nodes against an in-process apiserver: registration with
 * capacity, labels and taints, Lease heartbeats, a node marked Unknown being
 * reported Ready again at its next heartbeat, pods bound to a node moving
 * to Running/Ready with a pod IP, finite pods completing, and terminating
 * pods being removed.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { findResource } from "../api/resources.ts";
import type { KObject } from "../api/types.ts";
import { startTestCluster, type TestCluster } from "../client/testserver.ts";
import { Simulator, simNodeSpecs } from "./simulator.ts";

const pods = findResource("", "v1", "pods")!;
const nodes = findResource("", "v1", "nodes")!;
const leases = findResource("coordination.k8s.io", "v1", "leases")!;

async function eventually<T>(what: string, fn: () => Promise<T | undefined>, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function pod(name: string, node: string, extra: Partial<KObject["spec"]> = {}, annotations?: Record<string, string>): KObject {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, annotations },
    spec: { nodeName: node, containers: [{ name: "c", image: "busybox" }], ...extra },
  };
}

describe("simulated nodes", () => {
  let tc: TestCluster;
  let sim: Simulator;

  before(async () => {
    tc = await startTestCluster();
    const specs = simNodeSpecs({
      count: 3,
      namePrefix: "sim-",
      cpu: "2",
      memory: "4Gi",
      pods: 20,
      labels: { zone: "a" },
      taints: [{ key: "dedicated", value: "x", effect: "NoSchedule" }],
    });
    sim = new Simulator({ client: tc.newClient(), nodes: specs, heartbeatMs: 200 });
    await sim.start();
  });
  after(async () => {
    await sim?.stop();
    await tc?.stop();
  });

  it("registers nodes with capacity, labels, taints and Ready, and renews Leases", async () => {
    const n = await tc.client.resource(nodes).get("", "sim-1");
    assert.equal(n.status.capacity.cpu, "2");
    assert.equal(n.status.allocatable.pods, "20");
    assert.equal(n.metadata.labels!.zone, "a");
    assert.equal(n.metadata.labels!["tskube.io/simulated"], "true");
    assert.deepEqual(n.spec.taints, [{ key: "dedicated", value: "x", effect: "NoSchedule" }]);
    assert.equal(n.status.conditions.find((c: { type: string }) => c.type === "Ready").status, "True");
    const first = await tc.client.resource(leases).get("kube-node-lease", "sim-1");
    const renewed = await eventually("a renewed lease", async () => {
      const l = await tc.client.resource(leases).get("kube-node-lease", "sim-1");
      return l.spec.renewTime !== first.spec.renewTime ? l : undefined;
    });
    assert.equal(renewed.spec.holderIdentity, "sim-1");
  });

  it("reports its conditions again at the next heartbeat once they were changed, not after the report period", async () => {
    const unknown = [{ type: "Ready", status: "Unknown", reason: "NodeStatusUnknown", message: "Kubelet stopped posting node status.", lastHeartbeatTime: "2026-01-01T00:00:00Z", lastTransitionTime: "2026-01-01T00:00:00Z" }];
    await tc.client.resource(nodes).patch("", "sim-2", "merge", { status: { conditions: unknown } }, { subresource: "status" });
    const back = await eventually("Ready again", async () => {
      const n = await tc.client.resource(nodes).get("", "sim-2");
      return n.status.conditions.find((c: { type: string }) => c.type === "Ready")?.status === "True" ? n : undefined;
    });
    assert.equal(back.status.conditions.length, 4, "the full set of kubelet conditions");
  });

  it("runs bound pods: Running and Ready with a pod IP", async () => {
    await tc.client.resource(pods).create("default", pod("web", "sim-0"));
    const p = await eventually("a running pod", async () => {
      const x = await tc.client.resource(pods).get("default", "web");
      return x.status?.phase === "Running" ? x : undefined;
    });
    assert.match(p.status.podIP, /^\d+\.\d+\.\d+\.\d+$/);
    const node = await tc.client.resource(nodes).get("", "sim-0");
    assert.equal(p.status.hostIP, node.status.addresses[0].address);
    assert.match(p.status.hostIP, /^172\.(1[6-9]|2\d|3[01])\./);
    assert.equal(p.status.containerStatuses[0].ready, true);
    assert.ok(p.status.conditions.some((c: { type: string; status: string }) => c.type === "Ready" && c.status === "True"));
  });

  it("completes pods that are told to finish, and fails those with an exit code", async () => {
    await tc.client.resource(pods).create("default", pod("job-ok", "sim-1", { restartPolicy: "Never" }, { "sim.tskube.io/run-seconds": "0.2" }));
    await tc.client.resource(pods).create("default", pod("job-bad", "sim-1", { restartPolicy: "Never" }, { "sim.tskube.io/run-seconds": "0.1", "sim.tskube.io/exit-code": "3" }));
    const ok = await eventually("Succeeded", async () => {
      const x = await tc.client.resource(pods).get("default", "job-ok");
      return x.status?.phase === "Succeeded" ? x : undefined;
    });
    assert.equal(ok.status.containerStatuses[0].state.terminated.exitCode, 0);
    const bad = await eventually("Failed", async () => {
      const x = await tc.client.resource(pods).get("default", "job-bad");
      return x.status?.phase === "Failed" ? x : undefined;
    });
    assert.equal(bad.status.containerStatuses[0].state.terminated.exitCode, 3);
  });

  it("removes terminating pods within their grace period", async () => {
    await tc.client.resource(pods).create("default", pod("gone", "sim-2", {}, { "sim.tskube.io/stop-seconds": "0.3" }));
    await eventually("running", async () => ((await tc.client.resource(pods).get("default", "gone")).status?.phase === "Running" ? true : undefined));
    await tc.client.resource(pods).delete("default", "gone", { gracePeriodSeconds: 5 });
    const marked = await tc.client.resource(pods).get("default", "gone");
    assert.ok(marked.metadata.deletionTimestamp, "a pod on a node is deleted gracefully");
    await eventually("deleted", async () => {
      try {
        await tc.client.resource(pods).get("default", "gone");
        return undefined;
      } catch {
        return true;
      }
    });
  });
});
