/**
 * Node join end to end: `tskube server --disable-agent` (control plane only)
 * and `tskube agent` as its own process with the server's join token. The
 * agent gets its own node credentials through a CSR (never the admin's),
 * registers its Node, and runs a pod bound to it, whose logs the real
 * kubectl reads through the apiserver. The cluster uses its own pod network
 * range so it can run beside the other node test.
 *
 * Needs root and containerd/runc/CNI plugins (CI installs them); skipped
 * with the reason otherwise.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { X509Certificate } from "node:crypto";
import { join, resolve } from "node:path";
import { parse } from "yaml";
import { haveKubectl, startCluster, type Cluster } from "./harness.ts";

const root = resolve(import.meta.dirname, "../..");
const nodeName = "tskube-e2e-worker";

function skipReason(): string | undefined {
  if (process.getuid?.() !== 0) return "needs root";
  if (!haveKubectl()) return "kubectl missing";
  for (const bin of ["/usr/bin/containerd", "/usr/lib/cni/bridge"]) if (!existsSync(bin)) return `${bin} missing`;
  if (!existsSync("/usr/sbin/runc") && !existsSync("/usr/bin/runc")) return "runc missing";
  return undefined;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe("tskube agent joins a control-plane-only server", { timeout: 240_000, skip: skipReason() }, () => {
  let c: Cluster;
  let agent: ChildProcess | undefined;
  let agentOut = "";
  let agentDir = "";

  before(async () => {
    agentDir = mkdtempSync("/tmp/tsk-join-");
    c = await startCluster(["--cluster-cidr", "10.77.0.0/16"]);
    agent = spawn(
      process.execPath,
      [join(root, "bin/tskube.mjs"), "agent", "--server", `https://127.0.0.1:${c.port}`, "--token-file", join(c.dataDir, "server", "token"), "--data-dir", agentDir, "--node-name", nodeName, "--kubelet-arg", "port=0", "--kubelet-arg", "healthz-port=0"],
      { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, TSKUBE_LOG: "warn" } },
    );
    agent.stdout!.on("data", (d) => (agentOut += d));
    agent.stderr!.on("data", (d) => (agentOut += d));
  });

  after(async () => {
    if (agent && agent.exitCode === null && agent.signalCode === null) {
      const exited = new Promise((r) => agent!.once("exit", r));
      agent.kill("SIGTERM");
      const t = setTimeout(() => agent!.kill("SIGKILL"), 15_000);
      await exited;
      clearTimeout(t);
    }
    if (agentDir) {
      spawnSync(process.execPath, [join(root, "bin/tskube.mjs"), "killall", "--data-dir", agentDir], { timeout: 120_000 });
      rmSync(agentDir, { recursive: true, force: true });
    }
    await c?.stop();
  });

  it("the agent registers with node credentials of its own and runs pods", async () => {
    const deadline = Date.now() + 90_000;
    while (!/tskube agent: node tskube-e2e-worker running/.test(agentOut)) {
      assert.ok(Date.now() < deadline, `agent did not start:\n${agentOut}`);
      assert.equal(agent!.exitCode, null, `agent exited:\n${agentOut}`);
      await sleep(250);
    }
    // Node credentials: a client certificate for system:node:<name> in system:nodes, issued by the cluster CA.
    const kc = parse(readFileSync(join(agentDir, "agent", "kubelet.kubeconfig"), "utf8"));
    const user = kc.users[0].user;
    const certPem = user["client-certificate-data"] ? Buffer.from(user["client-certificate-data"], "base64").toString() : readFileSync(user["client-certificate"], "utf8");
    const cert = new X509Certificate(certPem);
    assert.match(cert.subject, /CN=system:node:tskube-e2e-worker/);
    assert.match(cert.subject, /O=system:nodes/);
    const csrs = c.kubectl(["get", "csr", "-o", "json"]);
    assert.equal(csrs.code, 0, csrs.stderr);
    const csr = JSON.parse(csrs.stdout).items.find((i: any) => i.spec.signerName === "kubernetes.io/kube-apiserver-client-kubelet");
    assert.ok(csr, "the agent's CSR is in the API");
    assert.match(csr.spec.username, /^system:bootstrap:/);
    assert.ok(csr.status.conditions.some((x: any) => x.type === "Approved" && x.status === "True"));

    const ready = c.kubectl(["wait", "--for=condition=Ready", `node/${nodeName}`, "--timeout=90s"], { timeoutMs: 100_000 });
    assert.equal(ready.code, 0, `${ready.stderr}\n${agentOut}`);
    const node = JSON.parse(c.kubectl(["get", "node", nodeName, "-o", "json"]).stdout);
    assert.match(node.spec.podCIDR, /^10\.77\./);

    const run = c.kubectl(["run", "joined", "--image=busybox", "--restart=Never", "--overrides", JSON.stringify({ spec: { nodeName } }), "--", "sh", "-c", "echo from-the-worker; sleep 600"]);
    assert.equal(run.code, 0, run.stderr);
    const wait = c.kubectl(["wait", "--for=condition=Ready", "pod/joined", "--timeout=60s"], { timeoutMs: 70_000 });
    assert.equal(wait.code, 0, `${wait.stderr}\n${agentOut}`);
    const pod = JSON.parse(c.kubectl(["get", "pod", "joined", "-o", "json"]).stdout);
    assert.match(pod.status.podIP, /^10\.77\./);
    let logs = "";
    for (let i = 0; i < 20 && !logs.includes("from-the-worker"); i++) {
      logs = c.kubectl(["logs", "joined"]).stdout;
      if (!logs.includes("from-the-worker")) await sleep(500);
    }
    assert.equal(logs, "from-the-worker\n");
    const del = c.kubectl(["delete", "pod", "joined", "--grace-period=1", "--timeout=60s"], { timeoutMs: 70_000 });
    assert.equal(del.code, 0, del.stderr);
  });
});
