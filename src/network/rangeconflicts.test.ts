/**
 * Pod range conflicts: overlap arithmetic, which interface addresses count,
 * which bridges are idle tskube bridges, and (as root) reclaiming a real
 * leftover bridge while keeping one that still has a port.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isIdleTskubeBridge, networksOverlap, rangeHolders, reclaimPodRange, type IpAddrEntry } from "./rangeconflicts.ts";

test("networksOverlap: containment either way overlaps, neighbours do not", () => {
  assert.equal(networksOverlap({ network: "10.42.0.0", prefix: 24 }, { network: "10.42.0.1", prefix: 24 }), true);
  assert.equal(networksOverlap({ network: "10.42.0.0", prefix: 24 }, { network: "10.42.0.0", prefix: 16 }), true);
  assert.equal(networksOverlap({ network: "10.42.0.0", prefix: 16 }, { network: "10.42.7.9", prefix: 32 }), true);
  assert.equal(networksOverlap({ network: "10.42.0.0", prefix: 24 }, { network: "10.42.1.1", prefix: 24 }), false);
  assert.equal(networksOverlap({ network: "10.42.0.0", prefix: 24 }, { network: "192.0.2.2", prefix: 24 }), false);
});

test("rangeHolders: other interfaces' IPv4 addresses in the range; own bridge, lo and IPv6 ignored", () => {
  const entries: IpAddrEntry[] = [
    { ifname: "lo", addr_info: [{ family: "inet", local: "127.0.0.1", prefixlen: 8 }] },
    { ifname: "eth0", addr_info: [{ family: "inet", local: "192.0.2.2", prefixlen: 24 }] },
    { ifname: "tsk3ce51202", addr_info: [{ family: "inet", local: "10.42.0.1", prefixlen: 24 }] },
    { ifname: "tsk5bce98f7", addr_info: [{ family: "inet", local: "10.42.0.1", prefixlen: 24 }, { family: "inet6", local: "fe80::1", prefixlen: 64 }] },
    { ifname: "wide", addr_info: [{ family: "inet", local: "10.0.0.1", prefixlen: 8 }] },
    { ifname: "next", addr_info: [{ family: "inet", local: "10.42.1.1", prefixlen: 24 }] },
    { ifname: "bare" },
  ];
  assert.deepEqual(rangeHolders(entries, "10.42.0.0/24", "tsk3ce51202"), [
    { ifname: "tsk5bce98f7", address: "10.42.0.1/24" },
    { ifname: "wide", address: "10.0.0.1/8" },
  ]);
  assert.throws(() => rangeHolders(entries, "10.42.0.0", "x"), /invalid IPv4 CIDR/);
});

test("isIdleTskubeBridge: only tskube-named bridges without ports", () => {
  const sys = mkdtempSync(join(tmpdir(), "tsk-sysnet-"));
  try {
    const dev = (name: string, bridge: boolean, ports: string[]) => {
      mkdirSync(join(sys, name), { recursive: true });
      if (bridge) mkdirSync(join(sys, name, "bridge"));
      if (bridge) mkdirSync(join(sys, name, "brif"));
      for (const p of ports) mkdirSync(join(sys, name, "brif", p));
    };
    dev("tsk5bce98f7", true, []);
    dev("tsk3ce51202", true, ["veth1234"]);
    dev("tskabcdef01", false, []);
    dev("cni0", true, []);
    assert.equal(isIdleTskubeBridge("tsk5bce98f7", sys), true);
    assert.equal(isIdleTskubeBridge("tsk3ce51202", sys), false, "a port is attached");
    assert.equal(isIdleTskubeBridge("tskabcdef01", sys), false, "not a bridge");
    assert.equal(isIdleTskubeBridge("cni0", sys), false, "not a tskube name");
    assert.equal(isIdleTskubeBridge("tsk00000000", sys), false, "no such device");
  } finally {
    rmSync(sys, { recursive: true, force: true });
  }
});

const asRoot = process.getuid?.() === 0 && existsSync("/sys/class/net");

test("reclaimPodRange removes an idle leftover bridge and reports one still in use", { skip: asRoot ? undefined : "needs root" }, async () => {
  const idle = "tskfeed0001";
  const busy = "tskfeed0002";
  const port = "tskfeedport";
  const ip = (...args: string[]) => execFileSync("ip", args, { stdio: ["ignore", "pipe", "pipe"] });
  const cleanup = () => {
    for (const d of [port, idle, busy]) if (existsSync(`/sys/class/net/${d}`)) ip("link", "delete", d);
  };
  cleanup();
  try {
    ip("link", "add", idle, "type", "bridge");
    ip("addr", "add", "10.88.96.1/24", "dev", idle);
    ip("link", "add", busy, "type", "bridge");
    ip("addr", "add", "10.88.96.129/25", "dev", busy);
    ip("link", "add", port, "type", "veth", "peer", "name", `${port.slice(0, -1)}q`);
    ip("link", "set", port, "master", busy);
    const r = await reclaimPodRange("10.88.96.0/24", "tskfeed0000");
    assert.deepEqual(r.removed, [idle]);
    assert.deepEqual(r.conflicts, [{ ifname: busy, address: "10.88.96.129/25" }]);
    assert.equal(existsSync(`/sys/class/net/${idle}`), false);
    assert.equal(existsSync(`/sys/class/net/${busy}`), true);
    assert.deepEqual(await reclaimPodRange("10.88.97.0/24", "tskfeed0000"), { removed: [], conflicts: [] }, "other ranges are left alone");
  } finally {
    cleanup();
  }
});
