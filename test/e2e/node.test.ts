/**
 * The node agent end to end, as a new user would try it: `tskube server`
 * with its local agent (kubelet + containerd + runc + CNI), real containers
 * from the built-in busybox image, driven by the real kubectl. Covers run,
 * logs, exec (WebSocket and SPDY), a Deployment whose pod IPs answer HTTP
 * from the host, port-forward, liveness restarts, CrashLoopBackOff, OOMKilled,
 * configMap volume updates, graceful deletion, an agent restart that keeps
 * healthy containers, and a static pod with its mirror pod.
 *
 * Needs root and containerd/runc/CNI plugins (CI installs them); skipped
 * with the reason otherwise.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { get } from "node:http";
import { join } from "node:path";
import { haveKubectl, startCluster, type Cluster } from "./harness.ts";

const nodeName = "tskube-e2e-node";

function skipReason(): string | undefined {
  if (process.getuid?.() !== 0) return "needs root";
  if (!haveKubectl()) return "kubectl missing";
  for (const bin of ["/usr/bin/containerd", "/usr/sbin/runc", "/usr/lib/cni/bridge"]) {
    if (!existsSync(bin) && !existsSync(bin.replace("/usr/sbin/", "/usr/bin/"))) return `${bin} missing (apt-get install containerd runc containernetworking-plugins)`;
  }
  return undefined;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function httpGet(url: string, timeoutMs = 3000): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = get(url, { timeout: timeoutMs }, (res) => {
      let body = "";
      res.on("data", (d) => (body += d));
      res.on("end", () => resolve(body));
    });
    req.on("timeout", () => req.destroy(new Error(`timeout fetching ${url}`)));
    req.on("error", reject);
  });
}

/** GETs `url`, retrying connection errors for up to 10 s (a server may still be starting). */
async function httpGetRetry(url: string): Promise<string> {
  for (let i = 0; ; i++) {
    try {
      return await httpGet(url);
    } catch (err) {
      if (i >= 20) throw err;
      await sleep(500);
    }
  }
}

const skip = skipReason();

describe("node agent with real containers", { timeout: 600_000, skip }, () => {
  let c: Cluster;
  const ok = (args: string[], opts?: Parameters<Cluster["kubectl"]>[1]): string => {
    const r = c.kubectl(args, opts);
    assert.equal(r.code, 0, `kubectl ${args.join(" ")} failed (${r.code}):\n${r.stderr}\n${r.stdout}`);
    return r.stdout;
  };
  const pod = (name: string): Record<string, any> => JSON.parse(ok(["get", "pod", name, "-o", "json"]));
  /** Polls `check` every 500 ms until it returns a value or `ms` elapse. */
  async function waitFor<T>(what: string, ms: number, check: () => T | undefined | false): Promise<T> {
    const deadline = Date.now() + ms;
    let last: unknown;
    while (Date.now() < deadline) {
      try {
        const v = check();
        if (v) return v;
      } catch (err) {
        last = err;
      }
      await sleep(500);
    }
    throw new Error(`timed out after ${ms} ms waiting for ${what}${last ? `: ${String(last)}` : ""}`);
  }
  const waitRunning = (name: string, ms = 60_000) =>
    waitFor(`pod ${name} Running`, ms, () => {
      const p = pod(name);
      return p.status?.phase === "Running" && p.status.containerStatuses?.every((s: any) => s.ready) && p;
    });

  before(async () => {
    c = await startCluster(["--node-name", nodeName, "--kubelet-arg", "port=0", "--kubelet-arg", "healthz-port=0"], { agent: true });
    await waitFor(`node ${nodeName} registered`, 60_000, () => c.kubectl(["get", "node", nodeName]).code === 0);
    ok(["wait", "--for=condition=Ready", `node/${nodeName}`, "--timeout=120s"], { timeoutMs: 130_000 });
  });

  after(async () => {
    if (!c) return;
    c.kubectl(["delete", "pods,deployments", "--all", "--grace-period=1", "--wait=true", "--timeout=60s"], { timeoutMs: 70_000 });
    await c.stop();
  });

  it("kubectl run, logs and exec (WebSocket and SPDY, stdin here-doc)", async () => {
    ok(["run", "bb", "--image=busybox", "--", "sh", "-c", "echo hello; sleep 3600"]);
    const p = await waitRunning("bb");
    assert.match(p.status.podIP, /^10\.42\./);
    assert.equal(p.status.hostIP, p.status.hostIPs[0].ip);
    assert.match(p.status.containerStatuses[0].containerID, /^containerd:\/\//);
    assert.equal(p.status.qosClass, "BestEffort");
    await waitFor("logs", 10_000, () => ok(["logs", "bb"]).includes("hello"));
    assert.equal(ok(["exec", "bb", "--", "hostname"]).trim(), "bb");
    const script = "read line\necho got:$line\nexit 3\n";
    for (const env of [{}, { KUBECTL_REMOTE_COMMAND_WEBSOCKETS: "false" }] as Record<string, string>[]) {
      const r = c.kubectl(["exec", "-i", "bb", "--", "sh", "-c", "cat; echo done"], { input: "piped-input\n", env });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, "piped-input\ndone\n");
      const r2 = c.kubectl(["exec", "-it", "bb", "--", "sh"], { input: `echo x | { ${script.replace(/\n/g, "; ")} }\n`, env });
      assert.equal(r2.code, 3, `exit code of the remote shell is returned: ${r2.stderr}`);
      assert.match(r2.stdout, /got:x/);
    }
  });

  it("a Deployment's pod IPs answer HTTP from the host, and port-forward serves the page", async () => {
    ok(["create", "deployment", "web", "--image=busybox", "--replicas=3", "--port=80", "--", "sh", "-c", "mkdir -p /www && echo hello-from-$(hostname) > /www/index.html && exec httpd -f -p 80 -h /www"]);
    ok(["rollout", "status", "deployment/web", "--timeout=90s"], { timeoutMs: 100_000 });
    const items = JSON.parse(ok(["get", "pods", "-l", "app=web", "-o", "json"])).items;
    assert.equal(items.length, 3);
    for (const p of items) {
      assert.equal((await httpGetRetry(`http://${p.status.podIP}/`)).trim(), `hello-from-${p.metadata.name}`);
    }
    const name = items[0].metadata.name;
    const pf = spawn("kubectl", ["port-forward", `pod/${name}`, ":80"], { env: { ...process.env, KUBECONFIG: c.kubeconfig, HOME: join(c.dataDir, "pf-home") }, stdio: ["ignore", "pipe", "pipe"] });
    try {
      let out = "";
      pf.stdout!.on("data", (d) => (out += d));
      pf.stderr!.on("data", (d) => (out += d));
      const port = await waitFor("port-forward to listen", 20_000, () => /Forwarding from 127\.0\.0\.1:(\d+)/.exec(out)?.[1]);
      assert.equal((await httpGet(`http://127.0.0.1:${port}/`)).trim(), `hello-from-${name}`);
      assert.equal((await httpGet(`http://127.0.0.1:${port}/`)).trim(), `hello-from-${name}`, "a second connection works too");
    } finally {
      pf.kill("SIGKILL");
    }
  });

  it("liveness failures restart, crashing containers back off, memory hogs are OOMKilled", async () => {
    ok(["apply", "-f", "-"], {
      input: `apiVersion: v1
kind: Pod
metadata: {name: live}
spec:
  containers:
  - name: c
    image: busybox
    command: [sh, -c, "touch /tmp/ok; sleep 3600"]
    livenessProbe:
      exec: {command: [sh, -c, "test -f /tmp/ok && rm /tmp/ok"]}
      periodSeconds: 1
      failureThreshold: 2
---
apiVersion: v1
kind: Pod
metadata: {name: crash}
spec:
  containers: [{name: c, image: busybox, command: [sh, -c, "echo dying; exit 1"]}]
---
apiVersion: v1
kind: Pod
metadata: {name: hog}
spec:
  restartPolicy: Never
  containers:
  - name: c
    image: busybox
    command: [sh, -c, "a=$(yes | head -c 100000000); sleep 10"]
    resources: {limits: {memory: 20Mi}}
`,
    });
    await waitFor("liveness restarts", 60_000, () => pod("live").status?.containerStatuses?.[0]?.restartCount >= 1);
    const crash = await waitFor("CrashLoopBackOff", 60_000, () => {
      const s = pod("crash").status?.containerStatuses?.[0];
      return s?.state?.waiting?.reason === "CrashLoopBackOff" && s;
    });
    assert.equal(crash.lastState.terminated.exitCode, 1);
    assert.equal(crash.lastState.terminated.reason, "Error");
    const hog = await waitFor("OOMKilled", 60_000, () => {
      const s = pod("hog").status?.containerStatuses?.[0];
      return s?.state?.terminated && s;
    });
    assert.equal(hog.state.terminated.reason, "OOMKilled");
    assert.equal(hog.state.terminated.exitCode, 137);
    assert.equal(pod("hog").status.phase, "Failed");
    const events = ok(["get", "events", "--field-selector", "involvedObject.name=live", "-o", "json"]);
    assert.match(events, /Liveness probe failed/);
  });

  it("a configMap volume follows kubectl edit in the running pod", async () => {
    ok(["create", "configmap", "conf", "--from-literal=greeting=one"]);
    ok(["apply", "-f", "-"], {
      input: `apiVersion: v1
kind: Pod
metadata: {name: conf}
spec:
  terminationGracePeriodSeconds: 3
  volumes: [{name: conf, configMap: {name: conf}}]
  containers:
  - name: c
    image: busybox
    command: [sh, -c, "sleep 3600"]
    volumeMounts: [{name: conf, mountPath: /conf}]
`,
    });
    await waitRunning("conf");
    assert.equal(ok(["exec", "conf", "--", "cat", "/conf/greeting"]), "one");
    const editor = join(c.dataDir, "editor.sh");
    writeFileSync(editor, "#!/bin/sh\nsed -i 's/greeting: one/greeting: two/' \"$1\"\n", { mode: 0o755 });
    ok(["edit", "configmap", "conf"], { env: { EDITOR: editor, KUBE_EDITOR: editor } });
    await waitFor("updated file in the pod", 90_000, () => ok(["exec", "conf", "--", "cat", "/conf/greeting"]) === "two");
  });

  it("deleting a pod stops its containers within the grace period", async () => {
    const start = Date.now();
    ok(["delete", "pod", "conf", "--wait=true", "--timeout=30s"], { timeoutMs: 40_000 });
    assert.ok(Date.now() - start < 20_000, `deletion took ${Date.now() - start} ms (grace period 3 s)`);
    assert.notEqual(c.kubectl(["get", "pod", "conf"]).code, 0);
  });

  it("restarting the server and its agent keeps healthy containers running", async () => {
    const before = pod("bb").status.containerStatuses[0];
    await c.stopServer();
    await c.restartServer();
    await sleep(3000);
    ok(["wait", "--for=condition=Ready", `node/${nodeName}`, "--timeout=60s"], { timeoutMs: 70_000 });
    const afterRestart = await waitRunning("bb");
    const s = afterRestart.status.containerStatuses[0];
    assert.equal(s.containerID, before.containerID);
    assert.equal(s.restartCount, before.restartCount);
    assert.equal(ok(["exec", "bb", "--", "hostname"]).trim(), "bb");
  });

  it("a static pod manifest runs and appears as a mirror pod", async () => {
    const dir = join(c.dataDir, "agent", "pod-manifests");
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, "static-web.yaml"),
      `apiVersion: v1
kind: Pod
metadata: {name: static-web, namespace: default}
spec:
  containers: [{name: c, image: busybox, command: [sh, -c, "echo static; sleep 3600"]}]
`,
    );
    const mirror = await waitRunning(`static-web-${nodeName}`, 60_000);
    assert.ok(mirror.metadata.annotations["kubernetes.io/config.mirror"]);
    assert.equal(mirror.metadata.ownerReferences?.[0]?.kind, "Node");
    await waitFor("static pod logs", 10_000, () => ok(["logs", `static-web-${nodeName}`]).includes("static"));
  });
});
