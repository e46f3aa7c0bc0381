/**
 * Integration test of the kubelet server against a real containerd: a
 * busybox pod through CRI, then exec (WebSocket v5 terminated here and SPDY
 * relayed, stdin closed after input, exit codes), logs (tail, follow) and
 * port-forward to busybox httpd, all through the kubelet's HTTPS API with a
 * view that points at the real container; then the real kubectl (exec over
 * both protocols, logs, cp) through an in-process apiserver. Needs root, containerd, runc, the
 * CNI plugins, gcc and busybox-static; skips otherwise. Cleans up pods,
 * containerd, shims, the bridge, mounts and the temp dir even on failure.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:https";
import { join } from "node:path";
import { WebSocket } from "ws";
import { startContainerd, type ContainerdHandle } from "../../containerd/index.ts";
import { writeCniConfig } from "../../network/cni.ts";
import { BUSYBOX_IMAGE, PAUSE_IMAGE, ensureBuiltinImages } from "../../images/index.ts";
import { connectCri, type CriClient } from "../cri/client.ts";
import { SpdySession } from "../../streaming/spdy/session.ts";
import { dialUpgrade } from "../../streaming/upgrade.ts";
import { startKubeletServer, type KubeletServer } from "./index.ts";
import { makeCerts, type Certs } from "./testutil.test.ts";
import type { KubeletView } from "../types.ts";
import { startTestCluster } from "../../client/testserver.ts";
import { renderKubeconfig } from "../../cli/kubeconfig.ts";
import { findResource } from "../../api/resources.ts";
import { killProcessesMentioning, unmountUnder } from "../../machinery/hostcleanup.ts";
import { realContainersSkipReason } from "../../containerd/testsupport.ts";

const skip = realContainersSkipReason();

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test("kubelet server: exec, logs and port-forward against a real containerd", { skip, timeout: 120_000 }, async (t) => {
  const dir = mkdtempSync("/tmp/tsk-kls-");
  const bridge = `tskk${randomBytes(4).toString("hex")}`;
  let handle: ContainerdHandle | undefined;
  let cri: CriClient | undefined;
  let kubelet: KubeletServer | undefined;
  let certs: Certs | undefined;
  t.after(async () => {
    try {
      await kubelet?.close();
      if (cri) {
        const pods = await cri.runtime.ListPodSandbox({}, 10_000).catch(() => ({ items: [] }));
        for (const p of pods.items ?? []) {
          await cri.runtime.StopPodSandbox({ pod_sandbox_id: p.id }, 20_000).catch(() => {});
          await cri.runtime.RemovePodSandbox({ pod_sandbox_id: p.id }, 20_000).catch(() => {});
        }
        cri.close();
      }
      await handle?.stop();
    } finally {
      certs?.cleanup();
      killProcessesMentioning(dir);
      spawnSync("ip", ["link", "del", bridge]);
      unmountUnder(dir);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  const cniConfDir = join(dir, "cni");
  await writeCniConfig({ confDir: cniConfDir, networkName: "tskube-kls", bridge, podCidr: "10.88.78.0/24", ipamDataDir: join(dir, "cni-ipam") });
  handle = await startContainerd({ dataDir: join(dir, "agent"), sandboxImage: PAUSE_IMAGE, cniConfDir });
  await ensureBuiltinImages(handle.endpoint, { cacheDir: join(dir, "images") });
  cri = connectCri(handle.endpoint);
  const logDir = join(dir, "pods", "default_web_uid1");
  mkdirSync(join(logDir, "c"), { recursive: true });
  const sandboxConfig = { metadata: { name: "web", uid: "uid1", namespace: "default", attempt: 0 }, hostname: "web", log_directory: logDir, linux: {} };
  const { pod_sandbox_id: podId } = await cri.runtime.RunPodSandbox({ config: sandboxConfig });
  const script = "echo line1; echo line2 >&2; mkdir -p /tmp/www; echo hello-httpd > /tmp/www/index.html; httpd -p 8080 -h /tmp/www; while true; do echo tick; sleep 0.5; done";
  const { container_id: cid } = await cri.runtime.CreateContainer({
    pod_sandbox_id: podId,
    sandbox_config: sandboxConfig,
    config: { metadata: { name: "c", attempt: 0 }, image: { image: BUSYBOX_IMAGE }, command: ["sh", "-c", script], log_path: "c/0.log", linux: {} },
  });
  await cri.runtime.StartContainer({ container_id: cid });

  const view: KubeletView = {
    nodeName: "node1",
    cri,
    listPods: () => [],
    findContainer: async () => ({ podUid: "uid1", podSandboxId: podId, containerId: cid, containerName: "c", logPath: join(logDir, "c/0.log") }),
    findSandbox: async () => podId,
    statsSummary: async () => ({}),
    resourceMetrics: async () => "",
    healthy: () => true,
  };
  certs = await makeCerts();
  kubelet = await startKubeletServer(view, { bindAddress: "127.0.0.1", port: 0, healthzPort: -1, clientCAPem: certs.pki.ca.cert });
  const tls = { cert: certs.kubeletClient.cert, key: certs.kubeletClient.key };
  const base = `127.0.0.1:${kubelet.port}`;

  const wsExec = async (query: string, input: string) => {
    const ws = new WebSocket(`wss://${base}/exec/default/web/c?${query}`, ["v5.channel.k8s.io"], { ...tls, rejectUnauthorized: false });
    const msgs: Buffer[] = [];
    ws.on("message", (m: Buffer) => msgs.push(m));
    const closed = new Promise<number>((r) => ws.on("close", (c) => r(c)));
    await new Promise((r, j) => (ws.once("open", r), ws.once("error", j)));
    if (input) ws.send(Buffer.concat([Buffer.from([0]), Buffer.from(input)]));
    ws.send(Buffer.from([255, 0]));
    const code = await closed;
    const ch = (n: number) => msgs.filter((m) => m[0] === n).map((m) => m.subarray(1).toString()).join("");
    return { code, stdout: ch(1), stderr: ch(2), status: ch(3) ? JSON.parse(ch(3)) : undefined };
  };

  // exec over WebSocket v5: cat echoes stdin and exits 0 once stdin is closed.
  const cat = await wsExec("command=cat&input=1&output=1&error=1", "abc\n");
  assert.equal(cat.code, 1000);
  assert.equal(cat.stdout, "abc\n");
  assert.equal(cat.status?.status, "Success");
  // non-zero exit codes arrive in the status channel.
  const fail = await wsExec("command=sh&command=-c&command=echo%20oops%20%3E%262%3B%20exit%207&input=1&output=1&error=1", "");
  assert.equal(fail.stderr, "oops\n");
  assert.equal(fail.status?.reason, "NonZeroExitCode");
  assert.equal(fail.status?.details?.causes?.[0]?.message, "7");

  // exec over SPDY: relayed to containerd's stream server.
  const r = await dialUpgrade(`https://${base}/exec/default/web/c?command=cat&input=1&output=1&error=1`, {
    headers: { Connection: "Upgrade", Upgrade: "SPDY/3.1", "X-Stream-Protocol-Version": ["v4.channel.k8s.io", "v3.channel.k8s.io"] },
    tls,
  });
  assert.ok(r.upgraded, "SPDY upgrade");
  const s = new SpdySession(r.socket, { isServer: false });
  const errS = s.openStream({ streamtype: "error" }, { fin: true });
  const inS = s.openStream({ streamtype: "stdin" });
  const outS = s.openStream({ streamtype: "stdout" }, { fin: true });
  const errOut = s.openStream({ streamtype: "stderr" }, { fin: true });
  await Promise.all([errS, inS, outS, errOut].map((x) => x.waitReply()));
  const read = (x: typeof outS) => new Promise<string>((res) => {
    let o = "";
    x.on("data", (c) => (o += c));
    x.on("end", () => res(o));
  });
  const outs = Promise.all([read(outS), read(errS)]);
  inS.end("via spdy\n");
  const [o, st] = await outs;
  assert.equal(o, "via spdy\n");
  assert.ok(st === "" || JSON.parse(st).status === "Success", st);
  s.close();

  // logs: everything, tail, follow.
  const get = (path: string, abortAfter?: (body: string) => boolean) => new Promise<string>((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port: kubelet!.port, path, ...tls, rejectUnauthorized: false }, (res) => {
      let body = "";
      res.on("data", (c) => {
        body += c;
        if (abortAfter?.(body)) {
          req.destroy();
          resolve(body);
        }
      });
      res.on("end", () => resolve(body));
    });
    req.on("error", (e) => (abortAfter ? undefined : reject(e)));
    req.end();
  });
  await sleep(1200);
  const all = await get("/containerLogs/default/web/c");
  // stdout and stderr reach the log through separate pipes: their order is not fixed.
  assert.match(all, /^(line1\nline2|line2\nline1)\ntick\n/);
  assert.equal(await get("/containerLogs/default/web/c?tailLines=1"), "tick\n");
  const followed = await get("/containerLogs/default/web/c?follow=true&tailLines=0", (b) => b.split("tick").length > 2);
  assert.match(followed, /^tick\ntick/);

  // port-forward over SPDY to busybox httpd on 8080.
  const pf = await dialUpgrade(`https://${base}/portForward/default/web`, {
    headers: { Connection: "Upgrade", Upgrade: "SPDY/3.1", "X-Stream-Protocol-Version": "portforward.k8s.io" },
    tls,
  });
  assert.ok(pf.upgraded, "port-forward upgrade");
  const ps = new SpdySession(pf.socket, { isServer: false });
  const pe = ps.openStream({ streamtype: "error", port: "8080", requestid: "0" }, { fin: true });
  const pd = ps.openStream({ streamtype: "data", port: "8080", requestid: "0" });
  await Promise.all([pe.waitReply(), pd.waitReply()]);
  const resp = read(pd);
  pd.end("GET /index.html HTTP/1.0\r\n\r\n");
  assert.match(await resp, /hello-httpd/);
  ps.close();

  if (!haveKubectl) return t.diagnostic("kubectl not installed: skipped the kubectl part");
  // The real kubectl through an in-process apiserver whose node points at this kubelet.
  await kubelet.close();
  const cluster = await startTestCluster();
  t.after(() => cluster.stop());
  kubelet = await startKubeletServer(view, { bindAddress: "127.0.0.1", port: 0, healthzPort: -1, clientCAPem: cluster.config.ca! });
  const nodes = cluster.client.resource(findResource("", "v1", "nodes")!);
  const node = await nodes.create("", { apiVersion: "v1", kind: "Node", metadata: { name: "node1" } } as any);
  await nodes.updateStatus("", { ...node, status: { addresses: [{ type: "InternalIP", address: "127.0.0.1" }], daemonEndpoints: { kubeletEndpoint: { Port: kubelet.port } } } } as any);
  const pods = cluster.client.resource(findResource("", "v1", "pods")!);
  const pod = await pods.create("default", { apiVersion: "v1", kind: "Pod", metadata: { name: "web" }, spec: { nodeName: "node1", containers: [{ name: "c", image: "busybox" }] } } as any);
  await pods.updateStatus("default", { ...pod, status: { ...(pod as any).status, phase: "Running" } } as any);
  const kubeconfig = join(dir, "kubeconfig");
  writeFileSync(kubeconfig, renderKubeconfig({ server: cluster.config.server, caPem: cluster.config.ca!, certPem: cluster.config.cert!, keyPem: cluster.config.key! }));
  const kubectl = (args: string[], opts: { input?: string; env?: Record<string, string> } = {}) => {
    const p = spawn("kubectl", ["--kubeconfig", kubeconfig, ...args], { env: { ...process.env, HOME: dir, ...opts.env }, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    p.stdout.on("data", (d) => (stdout += d));
    p.stderr.on("data", (d) => (stderr += d));
    const timer = setTimeout(() => p.kill("SIGKILL"), 60_000);
    p.stdin.end(opts.input ?? "");
    return new Promise<{ code: number | null; stdout: string; stderr: string }>((res) => p.on("close", (code) => (clearTimeout(timer), res({ code, stdout, stderr }))));
  };
  for (const env of [{}, { KUBECTL_REMOTE_COMMAND_WEBSOCKETS: "false" }] as Record<string, string>[]) {
    const e1 = await kubectl(["exec", "-i", "web", "--", "cat"], { input: "kubectl-in\n", env });
    assert.equal(e1.code, 0, e1.stderr);
    assert.equal(e1.stdout, "kubectl-in\n");
    const e2 = await kubectl(["exec", "web", "--", "sh", "-c", "exit 4"], { env });
    assert.equal(e2.code, 4, e2.stderr);
  }
  const logs = await kubectl(["logs", "web", "--tail=1"]);
  assert.equal(logs.stdout, "tick\n", logs.stderr);
  // kubectl cp both ways (tar over exec with stdin closed after the archive).
  writeFileSync(join(dir, "up.txt"), "uploaded\n");
  const cpUp = await kubectl(["cp", join(dir, "up.txt"), "default/web:/tmp/up.txt"]);
  assert.equal(cpUp.code, 0, cpUp.stderr);
  const cpDown = await kubectl(["cp", "default/web:/tmp/up.txt", join(dir, "down.txt")]);
  assert.equal(cpDown.code, 0, cpDown.stderr);
  assert.equal(readFileSync(join(dir, "down.txt"), "utf8"), "uploaded\n");
});

const haveKubectl = spawnSync("kubectl", ["version", "--client"], { encoding: "utf8" }).status === 0;
