/**
 * The apiserver acceptance scenario, driven with the real kubectl against a
 * real `tskube server` process: discovery, explain, create/apply/get in every
 * output format, watch, label/annotate/patch/edit/replace/scale/diff/describe,
 * delete variants and wait, the JSON-speaking `kubectl create` generators,
 * error exit codes, and persistence across restarts and kill -9.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startCluster, type Cluster } from "./harness.ts";

const manifest = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: demo
  labels: {app: web, tier: front}
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: busybox:1.36
        command: ["httpd", "-f"]
        ports: [{containerPort: 80}]
---
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: demo
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: 80}]
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  namespace: demo
  labels: {app: web}
data:
  mode: fast
---
apiVersion: v1
kind: Secret
metadata:
  name: creds
  namespace: demo
stringData:
  password: s3cret
`;

describe("kubectl against tskube server", { timeout: 300_000 }, () => {
  let c: Cluster;
  let work: string;
  const ok = (args: string[], input?: string): string => {
    const r = c.kubectl(args, { input });
    assert.equal(r.code, 0, `kubectl ${args.join(" ")} failed (${r.code}):\n${r.stderr}\n${r.stdout}`);
    return r.stdout;
  };

  before(async () => {
    c = await startCluster();
    work = mkdtempSync(join(tmpdir(), "tskube-work-"));
  });
  after(async () => {
    await c?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it("serves discovery and OpenAPI to kubectl", () => {
    const res = ok(["api-resources"]);
    assert.match(res, /^deployments\s+deploy\s+apps\/v1\s+true\s+Deployment$/m);
    assert.match(res, /^horizontalpodautoscalers\s+hpa\s+autoscaling\/v2\s+true\s+HorizontalPodAutoscaler$/m);
    assert.match(res, /^namespaces\s+ns\s+v1\s+false\s+Namespace$/m);
    const explain = ok(["explain", "deployment.spec.strategy"]);
    assert.match(explain, /KIND:\s+Deployment/);
    assert.match(explain, /rollingUpdate/);
    assert.match(ok(["explain", "pod.spec.containers"]), /image\s+<string>/);
    assert.match(ok(["version", "-o", "json"]), /"minor": "31"/);
  });

  it("creates a namespace and applies a multi-document manifest, then re-applies", () => {
    assert.match(ok(["create", "namespace", "demo"]), /namespace\/demo created/);
    const file = join(work, "app.yaml");
    writeFileSync(file, manifest);
    const first = ok(["apply", "-f", file]);
    assert.match(first, /deployment.apps\/web created/);
    assert.match(first, /service\/web created/);
    assert.match(first, /configmap\/settings created/);
    assert.match(first, /secret\/creds created/);
    const again = ok(["apply", "-f", file]);
    assert.match(again, /deployment.apps\/web unchanged/);
    assert.match(again, /configmap\/settings unchanged/);
    writeFileSync(file, manifest.replace("mode: fast", "mode: slow").replace("replicas: 2", "replicas: 3"));
    const changed = ok(["apply", "-f", file]);
    assert.match(changed, /deployment.apps\/web configured/);
    assert.match(changed, /configmap\/settings configured/);
    assert.match(changed, /service\/web unchanged/);
    assert.equal(ok(["get", "cm", "settings", "-n", "demo", "-o", "jsonpath={.data.mode}"]), "slow");
    assert.equal(ok(["get", "deploy", "web", "-n", "demo", "-o", "jsonpath={.metadata.generation}"]), "2");
  });

  it("prints objects in every output format", () => {
    const table = ok(["get", "deploy", "-n", "demo"]);
    assert.match(table, /^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE$/m);
    assert.match(table, /^web\s+0\/3\s+\d+\s+0\s+\d+s$/m, "no nodes here: the replicas stay Pending");
    const wide = ok(["get", "deploy", "-n", "demo", "-o", "wide"]);
    assert.match(wide, /CONTAINERS\s+IMAGES\s+SELECTOR/);
    assert.match(wide, /busybox:1.36\s+app=web/);
    const svc = ok(["get", "svc", "web", "-n", "demo"]);
    assert.match(svc, /^web\s+ClusterIP\s+10\.43\.\d+\.\d+\s+<none>\s+80\/TCP\s+\d+s$/m);
    const y = ok(["get", "deploy", "web", "-n", "demo", "-o", "yaml"]);
    assert.match(y, /strategy:\n\s+rollingUpdate:\n\s+maxSurge: 25%\n\s+maxUnavailable: 25%/);
    assert.match(y, /revisionHistoryLimit: 10/);
    const j = JSON.parse(ok(["get", "secret", "creds", "-n", "demo", "-o", "json"]));
    assert.equal(Buffer.from(j.data.password, "base64").toString(), "s3cret");
    assert.equal(j.type, "Opaque");
    assert.equal(ok(["get", "cm", "-n", "demo", "-o", "name", "-l", "app=web"]).trim(), "configmap/settings");
    assert.match(ok(["get", "deploy", "web", "-n", "demo", "--show-labels"]), /app=web,tier=front/);
    const all = ok(["get", "svc", "-A"]);
    assert.match(all, /^default\s+kubernetes\s+ClusterIP\s+10\.43\.0\.1\s+<none>\s+443\/TCP/m);
    assert.match(all, /^demo\s+web\s+/m);
    ok(["create", "configmap", "aaa", "-n", "demo", "--from-literal=k=v"]);
    const sorted = ok(["get", "cm", "-n", "demo", "--sort-by=.metadata.name", "-o", "name"]).trim().split("\n");
    assert.deepEqual(sorted.filter((s) => s !== "configmap/kube-root-ca.crt"), ["configmap/aaa", "configmap/settings"]);
    assert.match(ok(["get", "cm", "-n", "demo", "-l", "app notin (web)", "-o", "name"]), /configmap\/aaa/);
  });

  it("streams changes with get -w", async () => {
    const w = c.kubectlSpawn(["get", "cm", "-n", "demo", "-w", "--output-watch-events"]);
    let out = "";
    w.stdout!.on("data", (d) => (out += d));
    try {
      const deadline = Date.now() + 15_000;
      while (!/ADDED\s+settings/.test(out) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      ok(["create", "configmap", "watched", "-n", "demo", "--from-literal=a=b"]);
      ok(["label", "configmap", "watched", "-n", "demo", "x=y"]);
      ok(["delete", "configmap", "watched", "-n", "demo"]);
      while (!/DELETED\s+watched/.test(out) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    } finally {
      w.kill("SIGTERM");
    }
    assert.match(out, /ADDED\s+watched/);
    assert.match(out, /MODIFIED\s+watched/);
    assert.match(out, /DELETED\s+watched/);
  });

  it("labels, annotates, patches, edits, replaces, scales and diffs", () => {
    ok(["label", "deploy", "web", "-n", "demo", "env=prod"]);
    ok(["annotate", "deploy", "web", "-n", "demo", "note=hello"]);
    const r = c.kubectl(["label", "deploy", "web", "-n", "demo", "env=dev"]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /already has a value \(prod\)/);
    ok(["patch", "deploy", "web", "-n", "demo", "-p", '{"spec":{"template":{"spec":{"containers":[{"name":"sidecar","image":"busybox"}]}}}}']);
    const names = ok(["get", "deploy", "web", "-n", "demo", "-o", "jsonpath={.spec.template.spec.containers[*].name}"]);
    assert.equal(names, "sidecar web");
    ok(["patch", "deploy", "web", "-n", "demo", "--type=merge", "-p", '{"metadata":{"labels":{"tier":null}}}']);
    assert.doesNotMatch(ok(["get", "deploy", "web", "-n", "demo", "--show-labels"]), /tier=/);
    ok(["patch", "deploy", "web", "-n", "demo", "--type=json", "-p", '[{"op":"remove","path":"/spec/template/spec/containers/0"}]']);
    assert.equal(ok(["get", "deploy", "web", "-n", "demo", "-o", "jsonpath={.spec.template.spec.containers[*].name}"]), "web");
    const editor = join(work, "editor.sh");
    writeFileSync(editor, "#!/bin/sh\nsed -i 's/mode: slow/mode: edited/' \"$1\"\n");
    chmodSync(editor, 0o755);
    const e = c.kubectl(["edit", "cm", "settings", "-n", "demo"], { env: { EDITOR: editor, KUBE_EDITOR: editor } });
    assert.equal(e.code, 0, e.stderr);
    assert.equal(ok(["get", "cm", "settings", "-n", "demo", "-o", "jsonpath={.data.mode}"]), "edited");
    const cm = JSON.parse(ok(["get", "cm", "settings", "-n", "demo", "-o", "json"]));
    cm.data.extra = "1";
    const file = join(work, "cm.json");
    writeFileSync(file, JSON.stringify(cm));
    assert.match(ok(["replace", "-f", file]), /configmap\/settings replaced/);
    const stale = c.kubectl(["replace", "-f", file]);
    assert.equal(stale.code, 1);
    assert.match(stale.stderr, /the object has been modified/);
    ok(["scale", "deploy", "web", "-n", "demo", "--replicas=5"]);
    assert.equal(ok(["get", "deploy", "web", "-n", "demo", "-o", "jsonpath={.spec.replicas}"]), "5");
    cm.data.extra = "2";
    delete cm.metadata.resourceVersion;
    writeFileSync(file, JSON.stringify(cm));
    const d = c.kubectl(["diff", "-f", file]);
    assert.equal(d.code, 1, d.stderr);
    assert.match(d.stdout, /-\s+extra: "1"/);
    assert.match(d.stdout, /\+\s+extra: "2"/);
    const desc = ok(["describe", "deploy", "web", "-n", "demo"]);
    assert.match(desc, /Replicas:\s+5 desired/);
    assert.match(desc, /StrategyType:\s+RollingUpdate/);
  });

  it("answers errors with kubectl's exit codes and messages", () => {
    const missing = c.kubectl(["get", "cm", "nope", "-n", "demo"]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /configmaps "nope" not found/);
    const bad = c.kubectl(["create", "-f", "-"], {
      input: JSON.stringify({ apiVersion: "v1", kind: "Pod", metadata: { name: "Bad_Name", namespace: "demo" }, spec: { containers: [] } }),
    });
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /is invalid/);
    assert.match(bad.stderr, /metadata.name: Invalid value: "Bad_Name"/);
    assert.match(bad.stderr, /spec.containers: Required value/);
    const dup = c.kubectl(["create", "namespace", "demo"]);
    assert.equal(dup.code, 1);
    assert.match(dup.stderr, /namespaces "demo" already exists/);
    const unknown = c.kubectl(["create", "-f", "-"], {
      input: JSON.stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "typo", namespace: "demo" }, dataa: { a: "b" } }),
    });
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /unknown field "dataa"/);
  });

  it("creates objects with kubectl create generators", () => {
    ok(["create", "secret", "generic", "gen", "-n", "demo", "--from-literal=user=admin"]);
    ok(["create", "service", "nodeport", "np", "-n", "demo", "--tcp=8080:80"]);
    const np = JSON.parse(ok(["get", "svc", "np", "-n", "demo", "-o", "json"]));
    assert.ok(np.spec.ports[0].nodePort >= 30000 && np.spec.ports[0].nodePort <= 32767);
    ok(["create", "job", "once", "-n", "demo", "--image=busybox", "--", "true"]);
    const job = JSON.parse(ok(["get", "job", "once", "-n", "demo", "-o", "json"]));
    assert.equal(job.spec.template.spec.restartPolicy, "Never");
    assert.equal(job.spec.backoffLimit, 6);
    assert.ok(job.spec.selector.matchLabels["batch.kubernetes.io/controller-uid"]);
  });

  it("deletes by name, label, --all and file, and waits for deletion", async () => {
    ok(["delete", "secret", "gen", "-n", "demo"]);
    ok(["create", "configmap", "l1", "-n", "demo", "--from-literal=a=1"]);
    ok(["label", "cm", "l1", "-n", "demo", "group=drop"]);
    assert.match(ok(["delete", "cm", "-n", "demo", "-l", "group=drop"]), /configmap "l1" deleted/);
    const waiter = c.kubectlSpawn(["wait", "--for=delete", "configmap/aaa", "-n", "demo", "--timeout=30s"]);
    const exited = new Promise<number | null>((r) => waiter.on("exit", (code) => r(code)));
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal(waiter.exitCode, null, "kubectl wait returned before the object was deleted");
    ok(["delete", "cm", "aaa", "-n", "demo", "--wait=false"]);
    assert.equal(await exited, 0);
    ok(["delete", "-f", join(work, "app.yaml")]);
    assert.equal(c.kubectl(["get", "deploy", "web", "-n", "demo"]).code, 1);
    ok(["create", "configmap", "extra", "-n", "demo", "--from-literal=a=1"]);
    assert.match(ok(["delete", "cm", "--all", "-n", "demo"]), /configmap "extra" deleted/);
    const left = ok(["get", "cm", "-n", "demo", "-o", "name"]).trim().split("\n").filter(Boolean);
    assert.deepEqual(left.filter((n) => n !== "configmap/kube-root-ca.crt"), [], "only the CA bundle the controller republishes remains");
  });

  it("keeps every object across a restart and a kill -9", async () => {
    ok(["create", "configmap", "durable", "-n", "demo", "--from-literal=a=1"]);
    const rv1 = Number(ok(["get", "cm", "durable", "-n", "demo", "-o", "jsonpath={.metadata.resourceVersion}"]));
    await c.stopServer(false);
    await c.restartServer();
    assert.equal(ok(["get", "cm", "durable", "-n", "demo", "-o", "jsonpath={.data.a}"]), "1");
    ok(["create", "configmap", "after-restart", "-n", "demo", "--from-literal=a=2"]);
    const rv2 = Number(ok(["get", "cm", "after-restart", "-n", "demo", "-o", "jsonpath={.metadata.resourceVersion}"]));
    assert.ok(rv2 > rv1, `resourceVersion went from ${rv1} to ${rv2}`);
    await c.stopServer(true);
    await c.restartServer();
    assert.equal(ok(["get", "cm", "after-restart", "-n", "demo", "-o", "jsonpath={.data.a}"]), "2");
    ok(["create", "configmap", "after-kill", "-n", "demo", "--from-literal=a=3"]);
    const rv3 = Number(ok(["get", "cm", "after-kill", "-n", "demo", "-o", "jsonpath={.metadata.resourceVersion}"]));
    assert.ok(rv3 > rv2, `resourceVersion went from ${rv2} to ${rv3}`);
    assert.match(ok(["get", "ns"]), /^demo\s+Active/m);
  });

  it("deletes a namespace with everything in it", () => {
    ok(["create", "deployment", "gone", "-n", "demo", "--image=busybox"]);
    assert.match(ok(["get", "sa", "default", "-n", "demo", "-o", "name"]), /serviceaccount\/default/);
    const del = c.kubectl(["delete", "namespace", "demo", "--timeout=60s"], { timeoutMs: 90_000 });
    if (del.code !== 0) {
      const left = c.kubectl(["get", "all,cm,secret,sa,ev,endpoints,endpointslices,leases", "-n", "demo", "-o", "wide"]).stdout;
      assert.fail(`namespace not deleted: ${del.stderr}\n${c.kubectl(["get", "ns", "demo", "-o", "yaml"]).stdout}\n${left}`);
    }
    const gone = c.kubectl(["get", "namespace", "demo"]);
    assert.equal(gone.code, 1);
    assert.match(gone.stderr, /namespaces "demo" not found/);
    assert.equal(ok(["get", "deploy,cm", "-n", "demo", "-o", "name"]).trim(), "", "nothing is left in the deleted namespace");
  });
});
