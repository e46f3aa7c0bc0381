/**
 * The control-plane components as separate processes (ARCHITECTURE rule 2):
 * a server with its scheduler and controller-manager disabled, plus
 * `tskube scheduler` and `tskube controller-manager` started with the admin
 * kubeconfig; together they place a Deployment's pods on simulated nodes, and
 * each serves its HTTPS health endpoint and holds its leader Lease.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { request } from "node:https";
import { join, resolve } from "node:path";
import { startCluster, type Cluster } from "./harness.ts";

const root = resolve(import.meta.dirname, "../..");

function startComponent(name: string, kubeconfig: string): Promise<{ proc: ChildProcess; port: number }> {
  const proc = spawn(process.execPath, [join(root, "bin/tskube.mjs"), name, "--kubeconfig", kubeconfig, "--secure-port", "0"], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, TSKUBE_LOG: "warn" },
  });
  return new Promise((ok, fail) => {
    let out = "";
    const timer = setTimeout(() => fail(new Error(`${name} did not start: ${out}`)), 30_000);
    proc.stdout!.on("data", (d) => {
      out += d;
      const m = /health on [\d.]+:(\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        ok({ proc, port: Number(m[1]) });
      }
    });
    proc.once("exit", (code) => {
      clearTimeout(timer);
      fail(new Error(`${name} exited with ${code}: ${out}`));
    });
  });
}

function healthz(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((ok, fail) => {
    const req = request({ host: "127.0.0.1", port, path, rejectUnauthorized: false }, (res) => {
      let body = "";
      res.on("data", (d) => (body += d));
      res.on("end", () => ok({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", fail);
    req.end();
  });
}

describe("scheduler and controller-manager as their own processes", { timeout: 120_000 }, () => {
  let c: Cluster;
  const procs: ChildProcess[] = [];
  const ok = (args: string[]): string => {
    const r = c.kubectl(args);
    assert.equal(r.code, 0, `kubectl ${args.join(" ")}: ${r.stderr}`);
    return r.stdout;
  };

  before(async () => {
    c = await startCluster(["--disable-scheduler", "--disable-controller-manager"]);
  });
  after(async () => {
    for (const p of procs) {
      if (p.exitCode === null && p.signalCode === null) {
        p.kill("SIGTERM");
        await new Promise((r) => p.once("exit", r));
      }
    }
    await c?.stop();
  });

  it("places a Deployment's pods once both components run", async () => {
    await c.simNodes(["--count", "2"]);
    ok(["create", "deployment", "split", "--image=busybox", "--replicas=4"]);
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal(ok(["get", "pods", "-o", "name"]).trim(), "", "without a controller-manager nothing creates pods");
    const cm = await startComponent("controller-manager", c.kubeconfig);
    const sched = await startComponent("scheduler", c.kubeconfig);
    procs.push(cm.proc, sched.proc);
    const deadline = Date.now() + 30_000;
    for (;;) {
      const pods = JSON.parse(ok(["get", "pods", "-o", "json"])).items;
      if (pods.length === 4 && pods.every((p: { status: { phase: string } }) => p.status.phase === "Running")) break;
      if (Date.now() > deadline) assert.fail(`pods not running: ${ok(["get", "pods", "-o", "wide"])}`);
      await new Promise((r) => setTimeout(r, 250));
    }
    for (const { port } of [cm, sched]) {
      assert.deepEqual(await healthz(port, "/healthz"), { status: 200, body: "ok" });
      assert.equal((await healthz(port, "/readyz")).status, 200);
      assert.match((await healthz(port, "/metrics")).body, /process_cpu_seconds_total/);
    }
    const leases = ok(["get", "lease", "-n", "kube-system", "-o", "name"]);
    assert.match(leases, /lease.coordination.k8s.io\/kube-scheduler/);
    assert.match(leases, /lease.coordination.k8s.io\/kube-controller-manager/);
  });
});
