import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, statSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildCniConfig, cidrGateway, parseCidr, writeCniConfig } from "./cni.ts";

test("cidrGateway and parseCidr", () => {
  assert.equal(cidrGateway("10.42.3.0/24"), "10.42.3.1");
  assert.equal(cidrGateway("10.42.3.77/24"), "10.42.3.1");
  assert.equal(cidrGateway("10.0.0.0/8"), "10.0.0.1");
  assert.deepEqual(parseCidr("192.168.1.130/25"), { network: "192.168.1.128", prefix: 25 });
  assert.throws(() => parseCidr("10.0.0.0"), /invalid IPv4 CIDR/);
  assert.throws(() => parseCidr("10.0.0.300/24"), /invalid IPv4 address/);
  assert.throws(() => parseCidr("10.0.0.0/31"), /prefix/);
});

test("buildCniConfig: bridge with host-local over the pod CIDR, then portmap, no loopback", () => {
  const c = buildCniConfig({ networkName: "tskube", bridge: "cni0", podCidr: "10.42.1.0/24", ipamDataDir: "/var/lib/x/ipam" }) as any;
  assert.equal(c.cniVersion, "1.0.0");
  assert.equal(c.name, "tskube");
  assert.deepEqual(c.plugins.map((p: any) => p.type), ["bridge", "portmap"]);
  const [bridge, portmap] = c.plugins;
  assert.equal(bridge.bridge, "cni0");
  assert.equal(bridge.isGateway, true);
  assert.equal(bridge.ipMasq, true);
  assert.equal(bridge.hairpinMode, true);
  assert.deepEqual(bridge.ipam, {
    type: "host-local",
    ranges: [[{ subnet: "10.42.1.0/24", gateway: "10.42.1.1" }]],
    routes: [{ dst: "0.0.0.0/0" }],
    dataDir: "/var/lib/x/ipam",
  });
  assert.deepEqual(portmap.capabilities, { portMappings: true });
  assert.throws(() => buildCniConfig({ networkName: "n", bridge: "a-very-long-bridge-name", podCidr: "10.0.0.0/24", ipamDataDir: "/x" }), /bridge name/);
});

test("writeCniConfig writes the conflist and rewrites it only when it changes", async () => {
  const dir = mkdtempSync(join(tmpdir(), "tskube-cni-"));
  try {
    const opts = { confDir: join(dir, "conf"), networkName: "node1", bridge: "cni-node1", podCidr: "10.88.1.0/24", ipamDataDir: join(dir, "ipam") };
    const path = await writeCniConfig(opts);
    assert.equal(path, join(dir, "conf", "10-node1.conflist"));
    const parsed = JSON.parse(readFileSync(path, "utf8"));
    assert.equal(parsed.plugins[0].ipam.ranges[0][0].gateway, "10.88.1.1");
    assert.ok(statSync(join(dir, "ipam")).isDirectory());
    const mtime = statSync(path).mtimeMs;
    const ino = statSync(path).ino;
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(await writeCniConfig(opts), path);
    assert.equal(statSync(path).ino, ino, "unchanged config is not rewritten");
    assert.equal(statSync(path).mtimeMs, mtime);
    await writeCniConfig({ ...opts, podCidr: "10.88.2.0/24" });
    assert.notEqual(statSync(path).ino, ino, "changed config is replaced");
    assert.equal(JSON.parse(readFileSync(path, "utf8")).plugins[0].ipam.ranges[0][0].subnet, "10.88.2.0/24");
    assert.deepEqual(readdirSync(join(dir, "conf")), ["10-node1.conflist"], "no temp files left");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
