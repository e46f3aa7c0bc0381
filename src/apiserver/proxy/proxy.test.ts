import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { connect, createServer as createNetServer, type Server as NetServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { WebSocket } from "ws";
import { startTestCluster, type TestCluster } from "../../client/testserver.ts";
import { renderKubeconfig } from "../../cli/kubeconfig.ts";
import { startKubeletServer, type KubeletServer } from "../../kubelet/server/index.ts";
import { fakeView, makeCerts, startFakeRuntime, type Certs, type FakeRuntime } from "../../kubelet/server/testutil.test.ts";
import { findResource } from "../../api/resources.ts";

let cluster: TestCluster;
let certs: Certs;
let runtime: FakeRuntime;
let kubelet: KubeletServer;
let dir: string;
let kubeconfig: string;
let echo: NetServer;
let echoPort: number;
const state = { running: true };

before(async () => {
  cluster = await startTestCluster();
  certs = await makeCerts();
  runtime = await startFakeRuntime();
  dir = mkdtempSync(join(tmpdir(), "tskube-proxy-"));
  const logPath = join(dir, "c.log");
  writeFileSync(logPath, "2026-11-22T08:29:40.1Z stdout F one\n2026-11-22T08:29:41Z stderr F two\n");
  kubelet = await startKubeletServer(fakeView(runtime, logPath, state), { bindAddress: "127.0.0.1", port: 0, healthzPort: -1, clientCAPem: cluster.config.ca! });
  const nodes = cluster.client.resource(findResource("", "v1", "nodes")!);
  const node = await nodes.create("", { apiVersion: "v1", kind: "Node", metadata: { name: "node1" } } as any);
  await nodes.updateStatus("", { ...node, status: { addresses: [{ type: "InternalIP", address: "127.0.0.1" }], daemonEndpoints: { kubeletEndpoint: { Port: kubelet.port } } } } as any);
  const pods = cluster.client.resource(findResource("", "v1", "pods")!);
  const mk = async (name: string, nodeName?: string, containers = [{ name: "c", image: "busybox" }]) => {
    const p = await pods.create("default", { apiVersion: "v1", kind: "Pod", metadata: { name }, spec: { nodeName, containers } } as any);
    await pods.updateStatus("default", { ...p, status: { ...(p as any).status, phase: "Running" } } as any);
  };
  await mk("web", "node1");
  await mk("pending");
  await mk("two", "node1", [{ name: "a", image: "busybox" }, { name: "b", image: "busybox" }]);
  kubeconfig = join(dir, "kubeconfig");
  writeFileSync(kubeconfig, renderKubeconfig({ server: cluster.config.server, caPem: cluster.config.ca!, certPem: cluster.config.cert!, keyPem: cluster.config.key! }));
  echo = createNetServer((c) => c.on("data", (d) => c.write(`echo:${d}`)));
  await new Promise<void>((r) => echo.listen(0, "127.0.0.1", () => r()));
  echoPort = (echo.address() as { port: number }).port;
});

after(async () => {
  echo?.close();
  await kubelet?.close();
  await runtime?.close();
  await cluster?.stop();
  certs?.cleanup();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function api(path: string): Promise<{ code: number; body: string; type: string | null }> {
  const { request } = await import("node:https");
  return new Promise((resolve, reject) => {
    const u = new URL(cluster.config.server);
    const req = request({ host: u.hostname, port: u.port, path, ca: cluster.config.ca, cert: cluster.config.cert, key: cluster.config.key }, (res) => {
      let body = "";
      res.on("data", (c) => (body += c));
      res.on("end", () => resolve({ code: res.statusCode!, body, type: res.headers["content-type"] ?? null }));
    });
    req.on("error", reject);
    req.end();
  });
}

test("pods/log is proxied to the kubelet; upstream errors for unscheduled pods and bad containers", async () => {
  const r = await api("/api/v1/namespaces/default/pods/web/log?tailLines=1&timestamps=true");
  assert.equal(r.code, 200);
  assert.equal(r.type, "text/plain");
  assert.equal(r.body, "2026-11-22T08:29:41Z two\n");
  const pending = await api("/api/v1/namespaces/default/pods/pending/log");
  assert.equal(pending.code, 400);
  assert.equal(JSON.parse(pending.body).message, "pod pending does not have a host assigned");
  const bad = await api("/api/v1/namespaces/default/pods/web/log?container=x");
  assert.equal(JSON.parse(bad.body).message, "container x is not valid for pod web");
  const two = await api("/api/v1/namespaces/default/pods/two/log");
  assert.equal(JSON.parse(two.body).message, "a container name must be specified for pod two, choose one of: [a b]");
  assert.equal((await api("/api/v1/namespaces/default/pods/nope/log")).code, 404);
});

test("nodes/proxy reaches the kubelet API", async () => {
  const r = await api("/api/v1/nodes/node1/proxy/pods");
  assert.equal(r.code, 200);
  assert.equal(JSON.parse(r.body).items[0].metadata.name, "web");
});

test("exec upgrade through the apiserver (WebSocket v5) and 401 without credentials", async () => {
  const u = `${cluster.config.server.replace("https", "wss")}/api/v1/namespaces/default/pods/web/exec?command=cat&stdin=true&stdout=true&stderr=true`;
  const ws = new WebSocket(u, ["v5.channel.k8s.io"], { ca: cluster.config.ca, cert: cluster.config.cert, key: cluster.config.key });
  const msgs: Buffer[] = [];
  const closed = new Promise<number>((r) => ws.on("close", (code) => r(code)));
  ws.on("message", (m: Buffer) => msgs.push(m));
  await new Promise((r) => ws.once("open", r));
  ws.send(Buffer.concat([Buffer.from([0]), Buffer.from("hi")]));
  ws.send(Buffer.from([255, 0]));
  assert.equal(await closed, 1000);
  assert.equal(msgs.filter((m) => m[0] === 1).map((m) => m.subarray(1).toString()).join(""), "HI");
  const anon = new WebSocket(u, ["v5.channel.k8s.io"], { ca: cluster.config.ca });
  assert.equal(await new Promise<number>((r) => anon.on("unexpected-response", (_q, res) => r(res.statusCode!))), 401);
});

const haveKubectl = spawnSync("kubectl", ["version", "--client"], { encoding: "utf8" }).status === 0;

/** Runs kubectl without blocking the event loop (the apiserver and kubelet run in this process). */
function kubectl(args: string[], opts: { input?: string; env?: Record<string, string> } = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const p = spawn("kubectl", ["--kubeconfig", kubeconfig, ...args], { env: { ...process.env, HOME: dir, ...opts.env }, stdio: ["pipe", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  p.stdout.on("data", (d) => (stdout += d));
  p.stderr.on("data", (d) => (stderr += d));
  const t = setTimeout(() => p.kill("SIGKILL"), 60_000);
  p.stdin.end(opts.input ?? "");
  return new Promise((resolve) => p.on("close", (code) => (clearTimeout(t), resolve({ code, stdout, stderr }))));
}

for (const [name, env] of [["WebSocket", {}], ["SPDY", { KUBECTL_REMOTE_COMMAND_WEBSOCKETS: "false" }]] as const) {
  test(`kubectl exec (${name}): stdin closed after input, output and exit codes`, { skip: !haveKubectl && "kubectl not installed" }, async () => {
    const ok = await kubectl(["exec", "-i", "web", "--", "cat"], { input: "hello", env });
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(ok.stdout, "HELLO");
    assert.equal(ok.stderr, "err:cat");
    const fail = await kubectl(["exec", "-i", "web", "--", "exit", "3"], { input: "", env });
    assert.equal(fail.code, 3, fail.stderr);
    const bad = await kubectl(["exec", "web", "-c", "nope", "--", "true"], { env });
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /container nope is not valid for pod web|container nope not found/);
  });
}

test("kubectl logs through the apiserver", { skip: !haveKubectl && "kubectl not installed" }, async () => {
  const r = await kubectl(["logs", "web"]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, "one\ntwo\n");
  assert.equal((await kubectl(["logs", "web", "--tail=1", "--timestamps"])).stdout, "2026-11-22T08:29:41Z two\n");
  const p = await kubectl(["logs", "pending"]);
  assert.notEqual(p.code, 0);
  assert.match(p.stderr, /does not have a host assigned/);
});

for (const [name, env] of [["WebSocket tunnel", { KUBECTL_PORT_FORWARD_WEBSOCKETS: "true" }], ["SPDY", { KUBECTL_PORT_FORWARD_WEBSOCKETS: "false" }]] as const) {
  test(`kubectl port-forward (${name})`, { skip: !haveKubectl && "kubectl not installed", timeout: 60_000 }, async () => {
    const pf = spawn("kubectl", ["--kubeconfig", kubeconfig, "port-forward", "pod/web", `:${echoPort}`], { env: { ...process.env, HOME: dir, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    try {
      const local = await new Promise<number>((resolve, reject) => {
        let out = "";
        const t = setTimeout(() => reject(new Error(`port-forward not ready: ${out}`)), 20_000);
        const on = (d: Buffer) => {
          out += d;
          const m = /Forwarding from 127\.0\.0\.1:(\d+)/.exec(out);
          if (m) {
            clearTimeout(t);
            resolve(Number(m[1]));
          }
        };
        pf.stdout.on("data", on);
        pf.stderr.on("data", on);
      });
      for (let i = 0; i < 2; i++) {
        const got = await new Promise<string>((resolve, reject) => {
          const c = connect(local, "127.0.0.1", () => c.write(`ping${i}`));
          c.on("data", (d) => {
            resolve(String(d));
            c.end();
          });
          c.on("error", reject);
        });
        assert.equal(got, `echo:ping${i}`);
      }
    } finally {
      pf.kill("SIGTERM");
      await new Promise((r) => pf.once("exit", r));
    }
  });
}
