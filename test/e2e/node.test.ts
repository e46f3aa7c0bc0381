/**
 * The node agent end to end, as a new user would try it: `tskube server`
 * with its local agent (kubelet + containerd + runc + CNI), real containers
 * from the built-in busybox image, driven by the real kubectl. Covers run,
 * logs, exec (WebSocket and SPDY), a Deployment whose pod IPs answer HTTP
 * from the host, port-forward, liveness restarts, CrashLoopBackOff, OOMKilled,
 * configMap volume updates, graceful deletion, an agent restart that keeps
 * healthy containers, a static pod with its mirror pod, the kubectl logs
 * flags (-f, --tail, --since, --timestamps, --previous, -c, -l), attach -i
 * and cp, and securityContext (users/groups, read-only root, capabilities,
 * privileged, no_new_privs, seccomp, runAsNonRoot), downward-API env and
 * hostPort; a stale bridge holding the node's pod range is removed first.
 *
 * Needs root and containerd/runc/CNI plugins (CI installs them); skipped
 * with the reason otherwise.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { get } from "node:http";
import { createServer } from "node:net";
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

/** A TCP port free on all addresses right now. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "0.0.0.0", () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

const skip = skipReason();

/** A tskube-style bridge name (`tsk` + 8 hex digits) no node of these tests uses. */
const staleBridge = "tskdead0042";

function removeLink(name: string): void {
  if (existsSync(`/sys/class/net/${name}`)) execFileSync("ip", ["link", "delete", name]);
}

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
    // A bridge an earlier agent of another node name left holding this node's pod range
    // (10.42.0.0/24): the agent must remove it, or the host's traffic to pods goes there.
    removeLink(staleBridge);
    execFileSync("ip", ["link", "add", staleBridge, "type", "bridge"]);
    execFileSync("ip", ["addr", "add", "10.42.0.1/24", "dev", staleBridge]);
    execFileSync("ip", ["link", "set", staleBridge, "up"]);
    c = await startCluster(["--node-name", nodeName, "--kubelet-arg", "port=0", "--kubelet-arg", "healthz-port=0"], { agent: true });
    await waitFor(`node ${nodeName} registered`, 60_000, () => c.kubectl(["get", "node", nodeName]).code === 0);
    ok(["wait", "--for=condition=Ready", `node/${nodeName}`, "--timeout=120s"], { timeoutMs: 130_000 });
  });

  it("removes an idle bridge an earlier agent left in the node's pod range", () => {
    // The node is Ready only once its CNI config is written, which the agent does after reclaiming the range.
    assert.equal(existsSync(`/sys/class/net/${staleBridge}`), false);
  });

  after(async () => {
    removeLink(staleBridge);
    if (!c) return;
    c.kubectl(["delete", "deployments", "--all", "--wait=false"], { timeoutMs: 30_000 });
    // The static pod (and whatever else still runs) is left to `tskube killall`, which the harness runs
    // after stopping the server and which must then leave no process or mount behind.
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

  it("kubectl logs flags (-f, --tail, --since, --timestamps, --previous, -c, -l), attach -i and cp", async () => {
    ok(["apply", "-f", "-"], {
      input: `apiVersion: v1
kind: Pod
metadata: {name: multi, labels: {suite: logs}}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - {name: a, image: busybox, command: [sh, -c, "echo a1; echo a2; echo a3; sleep 3600"]}
  - {name: b, image: busybox, command: [sh, -c, "while true; do echo tick; sleep 0.5; done"]}
---
apiVersion: v1
kind: Pod
metadata: {name: prev, labels: {suite: logs}}
spec:
  terminationGracePeriodSeconds: 1
  volumes: [{name: d, emptyDir: {}}]
  containers:
  - name: c
    image: busybox
    command: [sh, -c, "n=$(cat /d/n 2>/dev/null || echo 0); n=$((n+1)); echo $n > /d/n; echo run-$n; [ $n -ge 2 ] && exec sleep 3600; exit 1"]
    volumeMounts: [{name: d, mountPath: /d}]
---
apiVersion: v1
kind: Pod
metadata: {name: att}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - {name: c, image: busybox, stdin: true, command: [sh, -c, "while read l; do echo got:$l; done; echo stdin-closed; sleep 3600"]}
`,
    });
    await waitRunning("multi");
    await waitFor("all of a's lines", 10_000, () => ok(["logs", "multi", "-c", "a"]) === "a1\na2\na3\n");
    assert.match(ok(["logs", "multi", "-c", "b"]), /^(tick\n)+$/);
    assert.equal(ok(["logs", "multi", "-c", "a", "--tail=1"]), "a3\n");
    assert.equal(ok(["logs", "multi", "-c", "a", "--tail=0"]), "");
    const stamped = ok(["logs", "multi", "-c", "a", "--timestamps", "--tail=2"]).trimEnd().split("\n");
    assert.equal(stamped.length, 2);
    for (const [i, line] of stamped.entries()) {
      const [ts, text] = line.split(" ");
      assert.match(ts, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z$/, line);
      assert.ok(Math.abs(Date.parse(ts) - Date.now()) < 120_000, `timestamp ${ts} is recent`);
      assert.equal(text, `a${i + 2}`);
    }
    assert.equal(ok(["logs", "multi", "-c", "a", "--since=1h"]), "a1\na2\na3\n");
    const aDone = Date.parse(stamped[1].split(" ")[0]);
    await waitFor("a's lines to age", 5000, () => Date.now() - aDone > 2200);
    assert.equal(ok(["logs", "multi", "-c", "a", "--since=2s"]), "", "lines older than --since are skipped");
    assert.match(ok(["logs", "multi", "-c", "b", "--since=2s"]), /^(tick\n){1,6}$/);

    // -f streams new lines until the client goes away.
    const f = spawn("kubectl", ["logs", "-f", "multi", "-c", "b", "--tail=1"], { env: { ...process.env, KUBECONFIG: c.kubeconfig, HOME: join(c.dataDir, "logs-home") }, stdio: ["ignore", "pipe", "pipe"] });
    try {
      let out = "";
      f.stdout!.on("data", (d) => (out += d));
      f.stderr!.on("data", (d) => (out += d));
      await waitFor("followed lines", 10_000, () => out.split("\n").filter((l) => l === "tick").length >= 4);
      assert.equal(f.exitCode, null, "still following");
    } finally {
      f.kill("SIGTERM");
    }
    await waitFor("kubectl logs -f to stop", 5000, () => f.exitCode !== null || f.signalCode !== null);

    // --previous after a restart.
    await waitFor("prev restarted", 40_000, () => pod("prev").status?.containerStatuses?.[0]?.restartCount >= 1 && ok(["logs", "prev"]) === "run-2\n");
    assert.equal(ok(["logs", "prev", "--previous"]), "run-1\n");
    assert.equal(ok(["logs", "prev", "-p", "-c", "c"]), "run-1\n");
    const noPrev = c.kubectl(["logs", "multi", "-c", "a", "--previous"]);
    assert.notEqual(noPrev.code, 0, "no previous instance");
    assert.match(noPrev.stderr, /previous terminated container "a" in pod "multi" not found/);

    // -l picks the pods by label (the default container of each).
    const byLabel = ok(["logs", "-l", "suite=logs", "--prefix"]).trimEnd().split("\n").sort();
    assert.deepEqual(byLabel, ["[pod/multi/a] a1", "[pod/multi/a] a2", "[pod/multi/a] a3", "[pod/prev/c] run-2"]);

    // attach -i: stdin reaches the container, its output comes back.
    await waitRunning("att");
    const a = spawn("kubectl", ["attach", "-i", "att"], { env: { ...process.env, KUBECONFIG: c.kubeconfig, HOME: join(c.dataDir, "attach-home") }, stdio: ["pipe", "pipe", "pipe"] });
    try {
      let out = "";
      a.stdout!.on("data", (d) => (out += d));
      a.stderr!.on("data", (d) => (out += d));
      a.stdin!.write("hello\n");
      await waitFor("attached output", 15_000, () => out.includes("got:hello"));
      a.stdin!.write("again\n");
      await waitFor("second line", 5000, () => out.includes("got:again"));
    } finally {
      a.kill("SIGKILL");
    }
    await waitFor("output in the log too", 5000, () => ok(["logs", "att"]).includes("got:hello\ngot:again\n"));

    // cp into and out of the pod (tar over exec).
    const local = join(c.dataDir, "cp-in.txt");
    const content = "copied\n" + "x".repeat(100_000) + "\nend\n";
    writeFileSync(local, content);
    ok(["cp", local, "multi:/tmp/in.txt", "-c", "a"]);
    assert.equal(ok(["exec", "multi", "-c", "a", "--", "cat", "/tmp/in.txt"]), content);
    ok(["exec", "multi", "-c", "a", "--", "sh", "-c", "mkdir -p /tmp/d/sub && echo from-pod > /tmp/d/sub/f"]);
    const outDir = join(c.dataDir, "cp-out");
    ok(["cp", "multi:/tmp/d", outDir, "-c", "a"]);
    assert.equal(readFileSync(join(outDir, "sub", "f"), "utf8"), "from-pod\n");
    ok(["delete", "pod", "multi", "prev", "att", "--grace-period=1", "--wait=false"]);
  });

  it("securityContext, downward-API env and hostPort take effect in real containers", async () => {
    const hostPort = await freePort();
    ok(["apply", "-f", "-"], {
      input: `apiVersion: v1
kind: Pod
metadata: {name: sec}
spec:
  terminationGracePeriodSeconds: 1
  securityContext: {runAsUser: 1234, runAsGroup: 5678, supplementalGroups: [3000], fsGroup: 2000}
  volumes: [{name: scratch, emptyDir: {}}]
  containers:
  - name: ro
    image: busybox
    command: [sh, -c, "sleep 3600"]
    securityContext: {readOnlyRootFilesystem: true, allowPrivilegeEscalation: false}
    volumeMounts: [{name: scratch, mountPath: /scratch}]
    resources: {limits: {memory: 64Mi}}
    env:
    - {name: MEM, valueFrom: {resourceFieldRef: {resource: limits.memory}}}
    - {name: MEM_MI, valueFrom: {resourceFieldRef: {resource: limits.memory, divisor: 1Mi}}}
    - {name: POD_IP, valueFrom: {fieldRef: {fieldPath: status.podIP}}}
    - {name: HOST_IP, valueFrom: {fieldRef: {fieldPath: status.hostIP}}}
    - {name: NODE, valueFrom: {fieldRef: {fieldPath: spec.nodeName}}}
  - name: caps
    image: busybox
    command: [sh, -c, "touch /tmp/x; sleep 3600"]
    securityContext: {runAsUser: 0, runAsGroup: 0, capabilities: {drop: [CHOWN, NET_RAW], add: [NET_ADMIN]}, seccompProfile: {type: RuntimeDefault}}
  - name: plain
    image: busybox
    command: [sh, -c, "touch /tmp/x; sleep 3600"]
    securityContext: {runAsUser: 0}
  - name: priv
    image: busybox
    command: [sh, -c, "sleep 3600"]
    securityContext: {runAsUser: 0, privileged: true}
---
apiVersion: v1
kind: Pod
metadata: {name: nonroot}
spec:
  terminationGracePeriodSeconds: 1
  securityContext: {runAsNonRoot: true}
  containers:
  - {name: root, image: busybox, command: [sleep, "3600"], securityContext: {runAsUser: 0}}
  - {name: user, image: busybox, command: [sleep, "3600"], securityContext: {runAsUser: 4321}}
---
apiVersion: v1
kind: Pod
metadata: {name: hostport}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: web
    image: busybox
    command: [sh, -c, "mkdir -p /www && echo via-hostport > /www/index.html && exec httpd -f -p 80 -h /www"]
    ports: [{containerPort: 80, hostPort: ${hostPort}}]
`,
    });
    const p = await waitRunning("sec");
    const sh = (container: string, script: string) => c.kubectl(["exec", "sec", "-c", container, "--", "sh", "-c", script]);
    // runAsUser/runAsGroup from the pod, overridden per container.
    assert.equal(ok(["exec", "sec", "-c", "ro", "--", "id", "-u"]).trim(), "1234");
    assert.equal(ok(["exec", "sec", "-c", "ro", "--", "id", "-g"]).trim(), "5678");
    assert.deepEqual(ok(["exec", "sec", "-c", "ro", "--", "id", "-G"]).trim().split(" ").sort(), ["2000", "3000", "5678"], "supplementalGroups and fsGroup");
    assert.equal(ok(["exec", "sec", "-c", "caps", "--", "id", "-u"]).trim(), "0");
    const status = (container: string): string => ok(["exec", "sec", "-c", container, "--", "cat", "/proc/self/status"]);
    assert.match(status("ro"), /NoNewPrivs:\s+1/, "allowPrivilegeEscalation: false");
    assert.match(status("plain"), /NoNewPrivs:\s+0/);
    assert.match(status("caps"), /Seccomp:\s+2/, "seccompProfile RuntimeDefault filters syscalls");
    assert.match(status("plain"), /Seccomp:\s+0/, "no profile: Unconfined");
    // readOnlyRootFilesystem: / is read-only, the emptyDir is not.
    const roWrite = sh("ro", "echo x > /newfile");
    assert.notEqual(roWrite.code, 0);
    assert.match(roWrite.stderr, /Read-only file system/);
    assert.equal(sh("ro", "echo ok > /scratch/f && cat /scratch/f").stdout, "ok\n");
    // Downward API env.
    const env = Object.fromEntries(ok(["exec", "sec", "-c", "ro", "--", "env"]).trim().split("\n").map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]));
    assert.equal(env.MEM, String(64 * 1024 * 1024));
    assert.equal(env.MEM_MI, "64");
    assert.equal(env.POD_IP, p.status.podIP);
    assert.equal(env.HOST_IP, p.status.hostIP);
    assert.equal(env.NODE, nodeName);
    // Capabilities: CapEff bits 0 (CHOWN), 12 (NET_ADMIN), 13 (NET_RAW), 21 (SYS_ADMIN).
    const capEff = (container: string): bigint => BigInt("0x" + /CapEff:\s*([0-9a-f]+)/.exec(status(container))![1]);
    const bit = (caps: bigint, n: number): boolean => ((caps >> BigInt(n)) & 1n) === 1n;
    const plain = capEff("plain");
    assert.ok(bit(plain, 0) && bit(plain, 13) && !bit(plain, 12) && !bit(plain, 21), `default capabilities ${plain.toString(16)}`);
    const caps = capEff("caps");
    assert.ok(!bit(caps, 0) && !bit(caps, 13) && bit(caps, 12), `dropped/added capabilities ${caps.toString(16)}`);
    const chown = sh("caps", "chown 1:1 /tmp/x");
    assert.notEqual(chown.code, 0, "chown without CAP_CHOWN fails");
    assert.match(chown.stderr, /Operation not permitted/);
    assert.equal(sh("plain", "chown 1:1 /tmp/x && stat -c %u /tmp/x").stdout, "1\n");
    assert.equal(sh("caps", "ip link set lo mtu 1400 && echo set").stdout, "set\n", "NET_ADMIN was added");
    assert.notEqual(sh("plain", "ip link set lo mtu 1300").code, 0, "no NET_ADMIN by default");
    // privileged: every capability, device nodes, mount works.
    const priv = capEff("priv");
    assert.ok(bit(priv, 21) && bit(priv, 12), `privileged capabilities ${priv.toString(16)}`);
    const mounted = sh("priv", "mkdir -p /tmp/m && mount -t tmpfs t /tmp/m && echo mounted");
    assert.equal(mounted.stdout, "mounted\n", mounted.stderr);
    const notMounted = sh("plain", "mkdir -p /tmp/m && mount -t tmpfs t /tmp/m");
    assert.notEqual(notMounted.code, 0);
    assert.match(notMounted.stderr, /permission denied/i);
    assert.equal(sh("priv", "test -e /dev/kmsg && echo dev").stdout, "dev\n", "privileged containers see the host's devices");
    // runAsNonRoot: uid 0 is refused before the container is created, uid 4321 runs.
    const refused = await waitFor("runAsNonRoot refusal", 30_000, () => {
      const s = pod("nonroot").status?.containerStatuses?.find((x: any) => x.name === "root");
      return s?.state?.waiting?.reason === "CreateContainerConfigError" && s;
    });
    assert.match(refused.state.waiting.message, /^container's runAsUser breaks non-root policy \(pod: "nonroot_default\(.+\)", container: root\)$/);
    await waitFor("the non-root container running", 30_000, () => pod("nonroot").status?.containerStatuses?.find((x: any) => x.name === "user")?.state?.running);
    // hostPort: the container's port 80 answers on the node IP.
    const hp = await waitRunning("hostport");
    assert.ok(hp.status.hostIP, "hostIP set");
    assert.equal((await httpGetRetry(`http://${hp.status.hostIP}:${hostPort}/`)).trim(), "via-hostport");
    ok(["delete", "pod", "sec", "nonroot", "hostport", "--grace-period=1", "--wait=true", "--timeout=30s"], { timeoutMs: 40_000 });
    let released = false;
    for (const deadline = Date.now() + 10_000; !released && Date.now() < deadline; await sleep(500)) {
      released = await httpGet(`http://${hp.status.hostIP}:${hostPort}/`, 1000).then(() => false, () => true);
    }
    assert.ok(released, "the hostPort mapping is removed with the pod");
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
