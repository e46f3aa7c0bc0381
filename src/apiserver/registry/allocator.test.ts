/**
 * Tests for Service IP and NodePort allocation: ranges, reservation of the
 * first IP, explicit requests, conflicts, release and exhaustion.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { firstServiceIp, IpAllocator, PortAllocator, ServiceAllocators } from "./allocator.ts";

describe("IpAllocator", () => {
  it("never hands out the network, the first or the broadcast address", () => {
    const a = new IpAllocator("10.0.0.0/29");
    assert.equal(firstServiceIp("10.0.0.0/29"), "10.0.0.1");
    const got = new Set<string>();
    for (let i = 0; i < 10; i++) {
      const ip = a.allocateNext();
      if (ip) got.add(ip);
    }
    assert.deepEqual([...got].sort(), ["10.0.0.2", "10.0.0.3", "10.0.0.4", "10.0.0.5", "10.0.0.6"]);
    assert.equal(a.allocateNext(), undefined);
    a.release("10.0.0.4");
    assert.equal(a.allocateNext(), "10.0.0.4");
    assert.equal(a.allocate("10.0.0.1"), true);
    assert.equal(a.allocate("10.0.0.1"), false);
    assert.equal(a.contains("10.0.0.7"), false);
  });
});

describe("PortAllocator", () => {
  it("allocates within the range and refuses duplicates", () => {
    const p = new PortAllocator("30000-30002");
    assert.equal(p.allocate(30001), true);
    assert.equal(p.allocate(30001), false);
    assert.deepEqual([p.allocateNext(), p.allocateNext(), p.allocateNext()], [30000, 30002, undefined]);
    assert.throws(() => new PortAllocator("5-1"));
  });
});

describe("ServiceAllocators", () => {
  it("assigns, keeps on update, rolls back on errors and releases on delete", () => {
    const s = new ServiceAllocators("10.43.0.0/24", "30000-30010");
    const svc: { metadata: object; spec: { type: string; clusterIP?: string; ports: { port: number; protocol: string }[] } } = {
      metadata: {},
      spec: { type: "NodePort", ports: [{ port: 80, protocol: "TCP" }] },
    };
    const r = s.assign(svc, undefined);
    assert.deepEqual(r.errors, []);
    const ip = svc.spec.clusterIP!;
    assert.match(ip, /^10\.43\.0\.\d+$/);
    const port = (svc.spec.ports[0] as { nodePort?: number }).nodePort!;
    assert.ok(port >= 30000 && port <= 30010);
    const updated = structuredClone(svc);
    delete (updated.spec.ports[0] as { nodePort?: number }).nodePort;
    assert.deepEqual(s.assign(updated, svc).errors, []);
    assert.equal((updated.spec.ports[0] as { nodePort?: number }).nodePort, port);
    const clash = { metadata: {}, spec: { type: "ClusterIP", clusterIP: ip, ports: [{ port: 80 }] } };
    const bad = s.assign(clash, undefined);
    assert.equal(bad.errors.length, 1);
    assert.match(bad.errors[0].detail!, /already allocated/);
    const outside = s.assign({ metadata: {}, spec: { type: "NodePort", ports: [{ port: 1, nodePort: 40000 }] } }, undefined);
    assert.equal(outside.errors[0].field, "spec.ports[0].nodePort");
    s.releaseUnused(svc, undefined);
    assert.equal(s.ips.allocate(ip), true);
    assert.equal(s.ports.allocate(port), true);
  });
});
