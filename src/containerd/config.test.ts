import { test } from "node:test";
import assert from "node:assert/strict";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { checkRuntimePrerequisites, containerdPaths, renderContainerdConfig, startContainerd } from "./index.ts";

test("containerdPaths puts every file under <dataDir>/containerd (absolute)", () => {
  const p = containerdPaths("/var/lib/tskube/agent");
  assert.equal(p.socket, "/var/lib/tskube/agent/containerd/containerd.sock");
  assert.equal(p.ttrpcSocket, "/var/lib/tskube/agent/containerd/containerd.sock.ttrpc");
  assert.equal(p.log, "/var/lib/tskube/agent/containerd/containerd.log");
  for (const v of Object.values(p)) assert.ok(v.startsWith("/var/lib/tskube/agent/containerd"), v);
  assert.ok(containerdPaths("rel").socket.startsWith(process.cwd() + "/"));
});

test("renderContainerdConfig has per-instance paths and the settings this host needs", () => {
  const s = renderContainerdConfig({ dataDir: "/d/agent", sandboxImage: "registry.k8s.io/pause:3.10", cniConfDir: "/d/agent/cni" });
  const has = (line: string) => assert.ok(s.split("\n").some((l) => l.trim() === line), `missing: ${line}\n${s}`);
  has("version = 2");
  has('root = "/d/agent/containerd/root"');
  has('state = "/d/agent/containerd/state"');
  has('address = "/d/agent/containerd/containerd.sock"');
  has('address = "/d/agent/containerd/containerd.sock.ttrpc"');
  has('path = "/d/agent/containerd/opt"');
  has('sandbox_image = "registry.k8s.io/pause:3.10"');
  has('stream_server_address = "127.0.0.1"');
  has('stream_server_port = "0"');
  has("restrict_oom_score_adj = true");
  has("max_container_log_line_size = 16384");
  has('snapshotter = "overlayfs"');
  has("SystemdCgroup = false");
  has('Root = "/d/agent/containerd/runc"');
  has('bin_dir = "/usr/lib/cni"');
  has('conf_dir = "/d/agent/cni"');
  has("max_conf_num = 1");
  has('runtime_type = "io.containerd.runc.v2"');
  const custom = renderContainerdConfig({ dataDir: "/d", sandboxImage: 'we"ird', cniConfDir: "/c", cniBinDir: "/opt/cni/bin" });
  assert.ok(custom.includes('bin_dir = "/opt/cni/bin"'));
  assert.ok(custom.includes('sandbox_image = "we\\"ird"'), "strings are TOML-escaped");
});

test("checkRuntimePrerequisites names what is missing and how to install it", () => {
  const dir = mkdtempSync(join(tmpdir(), "tskube-prereq-"));
  try {
    for (const f of ["runc", "bridge"]) {
      writeFileSync(join(dir, f), "#!/bin/sh\n");
      chmodSync(join(dir, f), 0o755);
    }
    writeFileSync(join(dir, "iptables"), "not executable");
    const r = checkRuntimePrerequisites({ binDirs: [dir], cniDirs: [dir] });
    assert.deepEqual(r.missing, ["containerd", "ctr", "containerd-shim-runc-v2", "iptables", "cni:host-local", "cni:portmap"]);
    assert.match(r.message, /containerd, ctr, containerd-shim-runc-v2, iptables, cni:host-local, cni:portmap/);
    assert.match(r.message, /apt-get install containerd runc containernetworking-plugins iptables/);
    for (const f of ["containerd", "ctr", "containerd-shim-runc-v2", "iptables", "host-local", "portmap"]) {
      writeFileSync(join(dir, f), "#!/bin/sh\n");
      chmodSync(join(dir, f), 0o755);
    }
    assert.deepEqual(checkRuntimePrerequisites({ binDirs: [dir], cniDirs: [dir] }), { missing: [], message: "" });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("startContainerd refuses a data dir whose socket path would not fit a unix socket", async () => {
  await assert.rejects(
    startContainerd({ dataDir: "/tmp/" + "x".repeat(90), sandboxImage: "p", cniConfDir: "/tmp/unused-cni" }),
    /too long for a unix socket/,
  );
});
