import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { hostsFileContent, sandboxDnsConfig, parseResolvConf, podDnsType, resolvConfText } from "./dns.ts";

const boiler =
  "# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n" +
  "fe00::0\tip6-localnet\nfe00::0\tip6-mcastprefix\nfe00::1\tip6-allnodes\nfe00::2\tip6-allrouters\n";

test("hosts file: plain pod", () => {
  const pod = { metadata: { name: "nginx", namespace: "default" }, spec: {} };
  assert.equal(hostsFileContent(pod as any, ["10.200.0.4"]), boiler + "10.200.0.4\tnginx\n");
});

test("hosts file: hostname, subdomain, dual stack and hostAliases", () => {
  const pod = {
    metadata: { name: "p", namespace: "ns1" },
    spec: {
      hostname: "web-0",
      subdomain: "web",
      hostAliases: [
        { ip: "127.0.0.1", hostnames: ["foo.local", "bar.local"] },
        { ip: "10.1.2.3", hostnames: ["foo.remote"] },
      ],
    },
  };
  assert.equal(
    hostsFileContent(pod as any, ["10.0.0.5", "fd00::5"], { clusterDomain: "example.org" }),
    boiler +
      "10.0.0.5\tweb-0.web.ns1.svc.example.org\tweb-0\n" +
      "fd00::5\tweb-0.web.ns1.svc.example.org\tweb-0\n" +
      "\n# Entries added by HostAliases.\n127.0.0.1\tfoo.local\tbar.local\n10.1.2.3\tfoo.remote\n",
  );
});

test("hosts file: hostNetwork copies the node file", () => {
  const dir = mkdtempSync(join(tmpdir(), "dns-test-"));
  try {
    writeFileSync(join(dir, "hosts"), "127.0.0.1 localhost\n10.0.0.1 node1");
    const pod = { metadata: { name: "p" }, spec: { hostNetwork: true, hostAliases: [{ ip: "1.2.3.4", hostnames: ["x"] }] } };
    assert.equal(
      hostsFileContent(pod as any, ["10.0.0.1"], { hostHostsPath: join(dir, "hosts") }),
      "# Kubernetes-managed hosts file (host network).\n127.0.0.1 localhost\n10.0.0.1 node1\n\n# Entries added by HostAliases.\n1.2.3.4\tx\n",
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("resolv.conf parsing", () => {
  const r = parseResolvConf("# c\nnameserver 1.1.1.1\nsearch a.com b.com.\nsearch c.com d.com ; x\nnameserver 8.8.8.8 # y\noptions ndots:2 rotate\n");
  assert.deepEqual(r, { nameservers: ["1.1.1.1", "8.8.8.8"], searches: ["c.com", "d.com"], options: ["ndots:2", "rotate"] });
});

test("sandbox DNS config per policy", () => {
  const dir = mkdtempSync(join(tmpdir(), "dns-test-"));
  try {
    const rc = join(dir, "resolv.conf");
    writeFileSync(rc, "nameserver 192.168.1.1\nsearch corp.example\noptions timeout:2\n");
    const base = { clusterDNS: ["10.43.0.10"], clusterDomain: "cluster.local", hostResolvConf: rc };
    const pod = (spec: any) => ({ metadata: { name: "p", namespace: "ns" }, spec });
    assert.deepEqual(sandboxDnsConfig(pod({}) as any, base), {
      servers: ["10.43.0.10"],
      searches: ["ns.svc.cluster.local", "svc.cluster.local", "cluster.local", "corp.example"],
      options: ["ndots:5"],
    });
    // ClusterFirst on the host network falls back to Default
    assert.deepEqual(sandboxDnsConfig(pod({ hostNetwork: true }) as any, base), {
      servers: ["192.168.1.1"], searches: ["corp.example"], options: ["timeout:2"],
    });
    assert.equal(sandboxDnsConfig(pod({ hostNetwork: true, dnsPolicy: "ClusterFirstWithHostNet" }) as any, base).servers[0], "10.43.0.10");
    // no cluster DNS configured: Default
    assert.deepEqual(sandboxDnsConfig(pod({}) as any, { ...base, clusterDNS: [] }).servers, ["192.168.1.1"]);
    assert.equal(podDnsType(pod({ dnsPolicy: "Default" }) as any, ["1.1.1.1"]), "host");
    // None with dnsConfig only
    assert.deepEqual(
      sandboxDnsConfig(pod({ dnsPolicy: "None", dnsConfig: { nameservers: ["1.2.3.4"], searches: ["x.y"], options: [{ name: "ndots", value: "2" }, { name: "edns0" }] } }) as any, base),
      { servers: ["1.2.3.4"], searches: ["x.y"], options: ["ndots:2", "edns0"] },
    );
    // merge + limits
    const many = Array.from({ length: 40 }, (_, i) => `s${i}.example`);
    const merged = sandboxDnsConfig(
      pod({ dnsConfig: { nameservers: ["1.1.1.1", "2.2.2.2", "3.3.3.3"], searches: many, options: [{ name: "ndots", value: "1" }] } }) as any,
      base,
    );
    assert.deepEqual(merged.servers, ["10.43.0.10", "1.1.1.1", "2.2.2.2"]);
    assert.equal(merged.searches.length, 32);
    assert.deepEqual(merged.options, ["ndots:1"]);
    assert.equal(resolvConfText(merged).split("\n")[1], "nameserver 10.43.0.10");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
