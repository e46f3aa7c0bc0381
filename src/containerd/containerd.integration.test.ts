/**
 * Integration test against a real containerd: startContainerd in a temp dir,
 * the built-in images, a busybox pod through CRI on a test CNI subnet, and a
 * containerd restart that must not restart the running container.
 * Needs root and the runtime packages; skips otherwise. Cleans up pods,
 * containerd, shims, the bridge, mounts and the temp dir even on failure.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import dgram from "node:dgram";
import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { startContainerd, type ContainerdHandle } from "./index.ts";
import { writeCniConfig } from "../network/cni.ts";
import { BUSYBOX_IMAGE, PAUSE_IMAGE, ensureBuiltinImages, importImage, listImages, ociArch, removeImage } from "../images/index.ts";
import { connectCri, type CriClient } from "../kubelet/cri/client.ts";
import { killProcessesMentioning, unmountUnder } from "../machinery/hostcleanup.ts";
import { realContainersSkipReason } from "./testsupport.ts";

const skip = realContainersSkipReason();

const SUBNET_PREFIX = "10.88.77.";

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

const TSKUBE = fileURLToPath(new URL("../../bin/tskube.mjs", import.meta.url));

/** Runs the tskube command line (the real entry point) and returns its output. */
function tskube(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [TSKUBE, ...args], { encoding: "utf8", timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A DNS server on addr:53 that answers every A query with 127.0.0.1 (for the pod's lookups). */
async function startDns(addr: string): Promise<dgram.Socket> {
  const s = dgram.createSocket("udp4");
  s.on("message", (m, r) => {
    let o = 12;
    while (o < m.length && m[o] !== 0) o += m[o] + 1;
    o += 5;
    const isA = m.readUInt16BE(o - 4) === 1;
    const hdr = Buffer.from(m.subarray(0, 12));
    hdr[2] = 0x81; hdr[3] = 0x80;
    hdr.writeUInt16BE(1, 4); hdr.writeUInt16BE(isA ? 1 : 0, 6); hdr.writeUInt32BE(0, 8);
    const answer = isA ? Buffer.from([0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 127, 0, 0, 1]) : Buffer.alloc(0);
    s.send(Buffer.concat([hdr, m.subarray(12, o), answer]), r.port, r.address);
  });
  await new Promise<void>((res, rej) => { s.once("error", rej); s.bind(53, addr, () => res()); });
  return s;
}

async function removeAllPods(cri: CriClient): Promise<void> {
  const pods = await cri.runtime.ListPodSandbox({}, 10_000);
  for (const p of pods.items ?? []) {
    await cri.runtime.StopPodSandbox({ pod_sandbox_id: p.id }, 20_000).catch(() => {});
    await cri.runtime.RemovePodSandbox({ pod_sandbox_id: p.id }, 20_000).catch(() => {});
  }
}

async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    await sleep(100);
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ""}`);
}

test("containerd runs a busybox pod through CRI and keeps it across a restart", { skip, timeout: 90_000 }, async (t) => {
  const dir = mkdtempSync("/tmp/tsk-cri-");
  const bridge = `tskt${randomBytes(4).toString("hex")}`;
  const dataDir = join(dir, "agent");
  const cniConfDir = join(dir, "cni");
  let handle: ContainerdHandle | undefined;
  let cri: CriClient | undefined;
  let dns: dgram.Socket | undefined;
  const iptablesBefore = spawnSync("iptables-save", ["-t", "nat"], { encoding: "utf8" }).stdout ?? "";
  t.after(async () => {
    try {
      dns?.close();
      if (cri) await removeAllPods(cri).catch(() => {});
      cri?.close();
      await handle?.stop();
    } finally {
      killProcessesMentioning(dir);
      spawnSync("ip", ["link", "del", bridge]);
      unmountUnder(dir);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  await writeCniConfig({ confDir: cniConfDir, networkName: "tskube-test", bridge, podCidr: `${SUBNET_PREFIX}0/24`, ipamDataDir: join(dir, "cni-ipam") });
  const t0 = Date.now();
  handle = await startContainerd({ dataDir, sandboxImage: PAUSE_IMAGE, cniConfDir });
  const tStart = Date.now() - t0;
  assert.match(handle.endpoint, /^unix:\/\/\/tmp\/tsk-cri-.*\/agent\/containerd\/containerd\.sock$/);
  assert.ok(handle.pid > 0);

  const t1 = Date.now();
  const images = await ensureBuiltinImages(handle.endpoint, { cacheDir: join(dir, "images") });
  const tCold = Date.now() - t1;
  assert.deepEqual(images, { pause: PAUSE_IMAGE, busybox: BUSYBOX_IMAGE });
  const t2 = Date.now();
  await ensureBuiltinImages(handle.endpoint, { cacheDir: join(dir, "images") });
  const tWarm = Date.now() - t2;
  const tags = (await listImages(handle.endpoint)).flatMap((i) => i.repoTags);
  assert.ok(tags.includes(PAUSE_IMAGE) && tags.includes(BUSYBOX_IMAGE), `images: ${tags.join(", ")}`);

  // tskube image build --import / ls / rm against this containerd.
  const appRootfs = join(dir, "app-rootfs");
  mkdirSync(join(appRootfs, "etc"), { recursive: true });
  writeFileSync(join(appRootfs, "etc/hello"), "hello\n");
  const ep = ["--container-runtime-endpoint", handle.endpoint];
  const built = tskube(["image", "build", "--tag", "tskube-test/hello:1", "--rootfs", appRootfs, "--cmd", "/bin/true", "--import", ...ep]);
  assert.equal(built.status, 0, built.stderr);
  assert.match(built.stdout, /imported docker\.io\/tskube-test\/hello:1/);
  const ls = tskube(["image", "ls", ...ep]);
  assert.equal(ls.status, 0, ls.stderr);
  assert.match(ls.stdout, /^IMAGE\s+TAG\s+IMAGE ID\s+SIZE$/m);
  assert.match(ls.stdout, /^docker\.io\/tskube-test\/hello\s+1\s+[0-9a-f]{13}\s+\S+B$/m);
  assert.match(ls.stdout, /^registry\.k8s\.io\/pause\s+3\.10\s/m);
  const rm = tskube(["image", "rm", "tskube-test/hello:1", ...ep]);
  assert.equal(rm.status, 0, rm.stderr);
  assert.doesNotMatch(tskube(["image", "ls", ...ep]).stdout, /tskube-test/);

  // A docker-archive (`docker save` layout: manifest.json + config + layer tar) imports too.
  const archive = join(dir, "docker-archive");
  mkdirSync(join(archive, "layer"), { recursive: true });
  assert.equal(spawnSync("tar", ["-C", appRootfs, "-cf", join(archive, "layer", "layer.tar"), "."]).status, 0);
  const diffId = "sha256:" + createHash("sha256").update(readFileSync(join(archive, "layer", "layer.tar"))).digest("hex");
  const dockerConfig = JSON.stringify({ architecture: ociArch(), os: "linux", config: { Cmd: ["/bin/true"] }, rootfs: { type: "layers", diff_ids: [diffId] } });
  const configName = createHash("sha256").update(dockerConfig).digest("hex") + ".json";
  writeFileSync(join(archive, configName), dockerConfig);
  writeFileSync(join(archive, "manifest.json"), JSON.stringify([{ Config: configName, RepoTags: ["tskube-test/docker:1"], Layers: ["layer/layer.tar"] }]));
  assert.equal(spawnSync("tar", ["-C", archive, "-cf", join(dir, "docker-archive.tar"), "manifest.json", configName, "layer"]).status, 0);
  assert.deepEqual(await importImage(handle.endpoint, join(dir, "docker-archive.tar")), ["docker.io/tskube-test/docker:1"]);
  assert.equal(await removeImage(handle.endpoint, "docker.io/tskube-test/docker:1"), true);
  assert.equal(await removeImage(handle.endpoint, "docker.io/tskube-test/docker:1"), false);

  cri = connectCri(handle.endpoint);
  const logDir = join(dir, "pods", "default_p1_uid1");
  mkdirSync(join(logDir, "c1"), { recursive: true });
  const sandboxConfig = {
    metadata: { name: "p1", uid: "uid1", namespace: "default", attempt: 0 },
    hostname: "p1",
    log_directory: logDir,
    labels: { "io.kubernetes.pod.name": "p1" },
    dns_config: { servers: [`${SUBNET_PREFIX}1`], searches: [], options: ["ndots:1"] },
    linux: {},
  };
  const t3 = Date.now();
  const { pod_sandbox_id: podId } = await cri.runtime.RunPodSandbox({ config: sandboxConfig });
  const { container_id: cid } = await cri.runtime.CreateContainer({
    pod_sandbox_id: podId,
    sandbox_config: sandboxConfig,
    config: {
      metadata: { name: "c1", attempt: 0 },
      image: { image: BUSYBOX_IMAGE },
      command: ["sh", "-c", "echo hi; sleep 30"],
      log_path: "c1/0.log",
      linux: {},
    },
  });
  await cri.runtime.StartContainer({ container_id: cid });
  const tRun = Date.now() - t3;

  const status = (await cri.runtime.ContainerStatus({ container_id: cid })).status;
  assert.equal(status.state, "CONTAINER_RUNNING");
  const podStatus = (await cri.runtime.PodSandboxStatus({ pod_sandbox_id: podId })).status;
  assert.equal(podStatus.state, "SANDBOX_READY");
  assert.ok(podStatus.network.ip.startsWith(SUBNET_PREFIX), `pod IP ${podStatus.network.ip} not in the test subnet`);
  const line = await waitFor("the container's log line", async () => {
    const text = existsSync(join(logDir, "c1/0.log")) ? readFileSync(join(logDir, "c1/0.log"), "utf8") : "";
    return text.split("\n").find((l) => l.endsWith(" hi"));
  });
  assert.match(line, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z stdout F hi$/);
  // The user and group files of the busybox image work.
  const id = await cri.runtime.ExecSync({ container_id: cid, cmd: ["id", "nobody"], timeout: 10 });
  assert.equal(id.exit_code, 0);
  assert.match(Buffer.from(id.stdout).toString(), /uid=65534\(nobody\)/);

  // Names resolve through DNS inside the pod (static busybox, no NSS modules in the image):
  // the test's DNS server on the bridge answers 127.0.0.1, where the pod serves HTTP itself.
  dns = await startDns(`${SUBNET_PREFIX}1`);
  const fetched = await cri.runtime.ExecSync({
    container_id: cid,
    cmd: ["sh", "-c", "httpd -p 127.0.0.1:8080 -h /etc && wget -O /tmp/got http://dns-check.tskube.test:8080/group && cat /tmp/got"],
    timeout: 15,
  });
  assert.equal(fetched.exit_code, 0, Buffer.from(fetched.stderr).toString());
  assert.match(Buffer.from(fetched.stdout).toString(), /nobody:x:65534:/);

  // containerd killed: the supervisor restarts it and the container keeps running.
  const crashedPid = handle.pid;
  process.kill(crashedPid, "SIGKILL");
  const h1 = handle;
  await waitFor("containerd to be restarted", async () => (h1.pid !== crashedPid ? true : undefined), 10_000);
  await waitFor("CRI after the restart", async () => {
    const st = (await cri!.runtime.ContainerStatus({ container_id: cid }, 2000)).status;
    return st.state === "CONTAINER_RUNNING" && String(st.started_at) === String(status.started_at) ? true : undefined;
  }, 15_000);

  // A containerd restart (stop + start on the same data dir) keeps the container running.
  const oldPid = handle.pid;
  cri.close();
  cri = undefined;
  await handle.stop();
  const t4 = Date.now();
  handle = await startContainerd({ dataDir, sandboxImage: PAUSE_IMAGE, cniConfDir });
  const tRestart = Date.now() - t4;
  assert.notEqual(handle.pid, oldPid);
  cri = connectCri(handle.endpoint);
  const after = (await cri.runtime.ContainerStatus({ container_id: cid })).status;
  assert.equal(after.state, "CONTAINER_RUNNING");
  assert.equal(String(after.started_at), String(status.started_at), "the container was restarted");
  const t5 = Date.now();
  await ensureBuiltinImages(handle.endpoint, { cacheDir: join(dir, "images") });
  const tWarm2 = Date.now() - t5;

  await cri.runtime.StopContainer({ container_id: cid, timeout: 0 });
  await cri.runtime.RemoveContainer({ container_id: cid });
  await cri.runtime.StopPodSandbox({ pod_sandbox_id: podId });
  await cri.runtime.RemovePodSandbox({ pod_sandbox_id: podId });
  const iptablesAfter = spawnSync("iptables-save", ["-t", "nat"], { encoding: "utf8" }).stdout ?? "";
  const leftover = iptablesAfter.split("\n").filter((l) => l.startsWith(":CNI-") && !iptablesBefore.includes(l.split(" ")[0]));
  t.diagnostic(`containerd ready ${tStart} ms, restart ${tRestart} ms; images cold ${tCold} ms, warm ${tWarm} ms / ${tWarm2} ms; sandbox->running ${tRun} ms; new nat chains left: ${leftover.join(" ") || "none"}`);
});

test("startContainerd runs containerd inside a network namespace (netnsPath) and restarts it there", { skip, timeout: 60_000 }, async (t) => {
  const dir = mkdtempSync("/tmp/tsk-ns-");
  const ns = `tsk-test-${randomBytes(4).toString("hex")}`;
  assert.equal(spawnSync("ip", ["netns", "add", ns]).status, 0, "ip netns add");
  let handle: ContainerdHandle | undefined;
  t.after(async () => {
    try {
      await handle?.stop();
    } finally {
      killProcessesMentioning(dir);
      spawnSync("ip", ["netns", "del", ns]);
      unmountUnder(dir);
      rmSync(dir, { recursive: true, force: true });
    }
  });
  const netnsPath = `/var/run/netns/${ns}`;
  handle = await startContainerd({ dataDir: dir, sandboxImage: PAUSE_IMAGE, cniConfDir: join(dir, "cni"), netnsPath });
  const nsIno = statSync(netnsPath).ino;
  assert.equal(statSync(`/proc/${handle.pid}/ns/net`).ino, nsIno, "containerd runs in the namespace");
  assert.notEqual(statSync("/proc/self/ns/net").ino, nsIno);
  assert.match(readFileSync(`/proc/${handle.pid}/cmdline`, "utf8"), /^(\/\S+\/)?containerd\0--config\0/, "nsenter exec'd containerd (same pid)");
  const first = handle.pid;
  process.kill(first, "SIGKILL");
  const h = handle;
  await waitFor("the restarted containerd", async () => (h.pid !== first && existsSync(`/proc/${h.pid}`) ? true : undefined), 10_000);
  await waitFor("CRI in the namespace", async () => {
    const cri = connectCri(h.endpoint);
    try {
      return (await cri.runtime.Version({ version: "v1" }, 1000)).runtime_name ? true : undefined;
    } finally {
      cri.close();
    }
  }, 10_000);
  assert.equal(statSync(`/proc/${handle.pid}/ns/net`).ino, nsIno, "restarted in the same namespace");
  await handle.stop();
  assert.equal(existsSync(`/proc/${first}`), false);
});

test("startContainerd replaces a containerd left running by a crashed tskube on the same data dir", { skip, timeout: 60_000 }, async (t) => {
  const dir = mkdtempSync("/tmp/tsk-stale-");
  let handle: ContainerdHandle | undefined;
  let orphan = 0;
  t.after(async () => {
    try {
      await handle?.stop();
    } finally {
      if (orphan) try { process.kill(orphan, "SIGKILL"); } catch {}
      killProcessesMentioning(dir);
      unmountUnder(dir);
      rmSync(dir, { recursive: true, force: true });
    }
  });
  const moduleUrl = new URL("./index.ts", import.meta.url).href;
  const script = `import { startContainerd } from ${JSON.stringify(moduleUrl)};
const h = await startContainerd({ dataDir: ${JSON.stringify(dir)}, sandboxImage: "x", cniConfDir: ${JSON.stringify(join(dir, "cni"))} });
process.stdout.write(h.pid + "\\n");
setInterval(() => {}, 1000);`;
  const { spawn } = await import("node:child_process");
  const parent = spawn(process.execPath, ["--input-type=module", "-e", script], { stdio: ["ignore", "pipe", "inherit"] });
  orphan = await new Promise<number>((res, rej) => {
    let out = "";
    parent.stdout.on("data", (d) => { out += d; if (out.includes("\n")) res(Number(out.trim())); });
    parent.on("exit", (code) => rej(new Error(`helper exited ${code}`)));
    setTimeout(() => rej(new Error("helper did not start containerd")), 20_000).unref();
  });
  parent.kill("SIGKILL");
  await sleep(200);
  assert.ok(existsSync(`/proc/${orphan}`), "containerd outlives the crashed parent");
  handle = await startContainerd({ dataDir: dir, sandboxImage: "x", cniConfDir: join(dir, "cni") });
  assert.notEqual(handle.pid, orphan);
  await waitFor("the orphan to go", async () => (existsSync(`/proc/${orphan}`) && !readFileSync(`/proc/${orphan}/stat`, "utf8").includes(") Z ") ? undefined : true), 5000);
});
