/**
 * Node IPAM: the CIDR bitmap, and the controller against a real in-process
 * apiserver (distinct CIDRs for simulated nodes, rebuild from existing
 * Nodes, exhaustion and release on deletion).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { findResource } from "../../api/resources.ts";
import type { KObject } from "../../api/types.ts";
import { startTestCluster } from "../../client/testserver.ts";
import { runControllers } from "../manager.ts";
import { eventually, startControllerTestEnv } from "../testing.ts";
import { defaultControllerSettings } from "../types.ts";
import { CidrSet } from "./cidrset.ts";
import { nodeIpamController } from "./index.ts";

const nodesRes = findResource("", "v1", "nodes")!;

test("CidrSet allocates, occupies and releases subnets", () => {
  const s = new CidrSet("10.42.0.0/16", 24);
  assert.equal(s.free(), 256);
  s.occupy("10.42.0.0/24");
  assert.equal(s.allocate(), "10.42.1.0/24");
  s.occupy("10.42.2.0/23");
  assert.equal(s.allocate(), "10.42.4.0/24");
  s.occupy("192.168.0.0/24");
  assert.equal(s.free(), 256 - 5);
  s.release("10.42.1.0/24");
  assert.equal(s.free(), 256 - 4);
  assert.ok(s.contains("10.42.7.0/24"));
  assert.ok(!s.contains("10.43.0.0/24"));
  const tiny = new CidrSet("10.0.0.0/30", 31);
  assert.ok(tiny.allocate());
  assert.ok(tiny.allocate());
  assert.equal(tiny.allocate(), undefined);
  assert.throws(() => new CidrSet("10.0.0.0/24", 16));
});

test("simulated nodes get distinct pod CIDRs", async () => {
  const env = await startControllerTestEnv({ nodeipam: nodeIpamController }, { nodes: 5, settings: { clusterCidr: "10.42.0.0/16", nodeCidrMaskSize: 24 } });
  try {
    const nodes = await eventually("every node has a pod CIDR", async () => {
      const l = (await env.client.resource(nodesRes).list("")).items;
      return l.length === 5 && l.every((n) => n.spec?.podCIDR) ? l : undefined;
    });
    const cidrs = nodes.map((n) => n.spec.podCIDR);
    assert.equal(new Set(cidrs).size, 5);
    for (const n of nodes) {
      assert.match(n.spec.podCIDR, /^10\.42\.\d+\.0\/24$/);
      assert.deepEqual(n.spec.podCIDRs, [n.spec.podCIDR]);
    }
  } finally {
    await env.stop();
  }
});

test("allocation map is rebuilt from existing nodes; deletion releases", async () => {
  const tc = await startTestCluster();
  const client = tc.newClient();
  const nodes = client.resource(nodesRes);
  const node = (name: string, cidr?: string): KObject => ({
    apiVersion: "v1",
    kind: "Node",
    metadata: { name },
    spec: cidr ? { podCIDR: cidr, podCIDRs: [cidr] } : {},
  });
  const abort = new AbortController();
  let running: Promise<void> | undefined;
  try {
    await nodes.create("", node("a", "10.42.0.0/26"));
    await nodes.create("", node("b", "10.42.0.128/26"));
    running = runControllers(
      {
        client,
        controllers: new Map([["nodeipam", nodeIpamController]]),
        settings: { ...defaultControllerSettings, clusterCidr: "10.42.0.0/24", nodeCidrMaskSize: 26 },
        leaderElect: false,
        identity: "test",
      },
      abort.signal,
    );
    await nodes.create("", node("c"));
    await nodes.create("", node("d"));
    const cidrOf = async (n: string): Promise<string | undefined> => (await nodes.get("", n)).spec?.podCIDR;
    const got = await eventually("c and d allocated", async () => {
      const c = await cidrOf("c");
      const d = await cidrOf("d");
      return c && d ? [c, d].sort() : undefined;
    });
    assert.deepEqual(got, ["10.42.0.192/26", "10.42.0.64/26"]);
    await nodes.create("", node("e"));
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(await cidrOf("e"), undefined, "no CIDR left");
    await nodes.delete("", "a");
    assert.equal(await eventually("e gets a's CIDR", () => cidrOf("e"), 20_000), "10.42.0.0/26");
  } finally {
    abort.abort();
    await running;
    client.close();
    await tc.stop();
  }
});
