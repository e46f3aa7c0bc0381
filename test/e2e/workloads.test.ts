/**
 * Scheduler and controllers end to end, as a user would try them: a real
 * `tskube server` (scheduler and controller-manager composed), simulated
 * nodes from `tskube sim-nodes`, and the real kubectl. Deployments spread,
 * roll out within their surge/unavailability bounds, roll back, scale and
 * delete; tainted nodes repel pods; a pod too big stays Pending with the
 * upstream message; DaemonSets, StatefulSets and Jobs do their jobs;
 * `kubectl drain` honours a PodDisruptionBudget; a pod of a higher
 * PriorityClass preempts a lower one; a node whose kubelet dies
 * goes NotReady and its pods are replaced elsewhere.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { startCluster, type Cluster } from "./harness.ts";

const daemonSet = `apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec:
      containers: [{name: agent, image: busybox}]
`;

const statefulSet = `apiVersion: v1
kind: Service
metadata: {name: db}
spec:
  clusterIP: None
  selector: {app: db}
  ports: [{port: 5432}]
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec:
  serviceName: db
  replicas: 3
  selector: {matchLabels: {app: db}}
  template:
    metadata:
      labels: {app: db}
      annotations: {sim.tskube.io/ready-seconds: "0.5"}
    spec:
      containers: [{name: db, image: busybox}]
`;

const job = `apiVersion: batch/v1
kind: Job
metadata: {name: batch}
spec:
  completions: 5
  parallelism: 2
  template:
    metadata:
      labels: {app: batch}
      annotations: {sim.tskube.io/run-seconds: "0.5"}
    spec:
      restartPolicy: Never
      containers: [{name: work, image: busybox}]
`;

interface PodRow {
  name: string;
  node: string;
  phase: string;
  ready: boolean;
  deleting: boolean;
  image: string;
}

describe("workloads on simulated nodes", { timeout: 300_000 }, () => {
  let c: Cluster;
  const ok = (args: string[]): string => {
    const r = c.kubectl(args);
    assert.equal(r.code, 0, `kubectl ${args.join(" ")} failed (${r.code}):\n${r.stderr}\n${r.stdout}`);
    return r.stdout;
  };
  const pods = (selector: string): PodRow[] =>
    JSON.parse(ok(["get", "pods", "-l", selector, "-o", "json"])).items.map((p: Record<string, any>) => ({
      name: p.metadata.name,
      node: p.spec.nodeName ?? "",
      phase: p.status?.phase ?? "",
      ready: (p.status?.conditions ?? []).some((x: { type: string; status: string }) => x.type === "Ready" && x.status === "True"),
      deleting: !!p.metadata.deletionTimestamp,
      image: p.spec.containers[0].image,
    }));
  const apply = (yaml: string): string => {
    const r = c.kubectl(["apply", "-f", "-"], { input: yaml });
    assert.equal(r.code, 0, `kubectl apply failed (${r.code}):\n${r.stderr}`);
    return r.stdout;
  };
  const waitFor = async (what: string, cond: () => boolean, ms = 60_000): Promise<void> => {
    const deadline = Date.now() + ms;
    while (!cond()) {
      if (Date.now() > deadline) {
        assert.fail(`timed out waiting for ${what}\n${c.kubectl(["get", "nodes,pods,ds,sts,rs", "-o", "wide"]).stdout}`);
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  };

  before(async () => {
    c = await startCluster(["--kube-controller-manager-arg", "node-monitor-grace-period=3", "--default-not-ready-toleration-seconds", "2", "--default-unreachable-toleration-seconds", "2"]);
    await c.simNodes(["--count", "3", "--name-prefix", "node-"]);
  });
  after(async () => {
    await c?.stop();
  });

  it("runs a Deployment's 10 replicas spread over the nodes", async () => {
    ok(["create", "deployment", "web", "--image=busybox", "--replicas=10"]);
    await waitFor("10 running pods", () => pods("app=web").filter((p) => p.phase === "Running" && p.ready).length === 10);
    const perNode = new Map<string, number>();
    for (const p of pods("app=web")) perNode.set(p.node, (perNode.get(p.node) ?? 0) + 1);
    assert.equal(perNode.size, 3, `pods on ${[...perNode.keys()].join(", ")}`);
    for (const n of perNode.values()) assert.ok(n >= 2 && n <= 5, "the scheduler spreads replicas");
    assert.match(ok(["get", "deploy", "web"]), /^web\s+10\/10\s+10\s+10\s+/m);
  });

  it("rolls out a new image within maxSurge/maxUnavailable, then rolls back", async () => {
    ok(["set", "image", "deployment/web", "busybox=busybox:1.36"]);
    let maxPods = 0;
    let minReady = Infinity;
    await waitFor("the rollout", () => {
      const all = pods("app=web").filter((p) => !p.deleting || p.ready);
      maxPods = Math.max(maxPods, all.filter((p) => !p.deleting).length);
      minReady = Math.min(minReady, all.filter((p) => p.ready).length);
      const current = all.filter((p) => !p.deleting);
      return current.length === 10 && current.every((p) => p.image === "busybox:1.36" && p.ready);
    });
    assert.ok(maxPods <= 13, `at most 10 + 3 (25% surge, rounded up) pods, saw ${maxPods}`);
    assert.ok(minReady >= 8, `at least 10 - 2 (25% unavailable, rounded down) ready pods, saw ${minReady}`);
    assert.match(ok(["rollout", "status", "deployment/web", "--timeout=60s"]), /successfully rolled out/);
    assert.match(ok(["rollout", "history", "deployment/web"]), /^2\s+/m);
    ok(["rollout", "undo", "deployment/web"]);
    assert.match(ok(["rollout", "status", "deployment/web", "--timeout=60s"]), /successfully rolled out/);
    assert.equal(ok(["get", "deploy", "web", "-o", "jsonpath={.spec.template.spec.containers[0].image}"]), "busybox");
    assert.equal(ok(["get", "deploy", "web", "-o", "jsonpath={.metadata.annotations.deployment\\.kubernetes\\.io/revision}"]), "3");
  });

  it("scales up and down", async () => {
    ok(["scale", "deployment/web", "--replicas=4"]);
    await waitFor("4 pods", () => pods("app=web").filter((p) => !p.deleting).length === 4);
    ok(["scale", "deployment/web", "--replicas=6"]);
    await waitFor("6 ready pods", () => pods("app=web").filter((p) => !p.deleting && p.ready).length === 6);
  });

  it("keeps pods off tainted nodes unless they tolerate the taint", async () => {
    await c.simNodes(["--count", "1", "--name-prefix", "tainted-", "--taints", "dedicated=gpu:NoSchedule"]);
    await waitFor("the tainted node", () => /tainted-0\s+Ready/.test(ok(["get", "nodes"])));
    ok(["create", "deployment", "plain", "--image=busybox", "--replicas=8"]);
    await waitFor("8 running pods", () => pods("app=plain").filter((p) => p.phase === "Running").length === 8);
    assert.ok(pods("app=plain").every((p) => !p.node.startsWith("tainted-")), "no pod lands on the tainted node");
  });

  it("leaves a pod too big for every node Pending with the upstream message", async () => {
    ok(["run", "huge", "--image=busybox", "--overrides", JSON.stringify({ spec: { containers: [{ name: "huge", image: "busybox", resources: { requests: { cpu: "100" } } }] } })]);
    const scheduled = ["get", "pod", "huge", "-o", 'jsonpath={.status.conditions[?(@.type=="PodScheduled")].message}'];
    await waitFor("a FailedScheduling condition", () => /Insufficient cpu/.test(ok(scheduled)));
    const msg = ok(scheduled);
    assert.match(msg, /^0\/4 nodes are available: 1 node\(s\) had untolerated taint \{dedicated: gpu\}, 3 Insufficient cpu\./);
    assert.equal(ok(["get", "pod", "huge", "-o", "jsonpath={.status.phase}"]), "Pending");
    assert.match(ok(["get", "events", "--field-selector", "involvedObject.name=huge"]), /FailedScheduling/);
  });

  it("deletes Deployments with their ReplicaSets and pods (background and foreground)", async () => {
    ok(["delete", "deployment", "web"]);
    ok(["delete", "deployment", "plain", "--cascade=foreground"]);
    await waitFor("no ReplicaSets", () => ok(["get", "rs", "-o", "name"]).trim() === "");
    await waitFor("no pods of the deployments", () => pods("app in (web,plain)").length === 0);
  });

  it("runs one DaemonSet pod per untainted node and follows new nodes", async () => {
    apply(daemonSet);
    await waitFor("3 daemon pods", () => pods("app=agent").filter((p) => p.phase === "Running").length === 3);
    assert.deepEqual(pods("app=agent").map((p) => p.node).sort(), ["node-0", "node-1", "node-2"], "one per untainted node, none on the tainted one");
    await c.simNodes(["--count", "1", "--name-prefix", "late-"]);
    await waitFor("a daemon pod on the new node", () => pods("app=agent").some((p) => p.node === "late-0" && p.phase === "Running"));
    assert.match(ok(["get", "ds", "agent"]), /^agent\s+4\s+4\s+4\s+4\s+4\s+/m);
  });

  it("creates StatefulSet pods in order, each Ready before the next", async () => {
    apply(statefulSet);
    const order: string[] = [];
    await waitFor("3 ready db pods", () => {
      for (const p of pods("app=db")) if (!order.includes(p.name)) order.push(p.name);
      const before = pods("app=db");
      const readyCount = before.filter((p) => p.ready).length;
      assert.ok(before.length <= readyCount + 1, "a pod is only created once its predecessors are Ready");
      return readyCount === 3;
    });
    assert.deepEqual(order, ["db-0", "db-1", "db-2"]);
  });

  it("completes a Job with completions=5 and parallelism=2", async () => {
    apply(job);
    let maxActive = 0;
    await waitFor("the job to complete", () => {
      maxActive = Math.max(maxActive, pods("app=batch").filter((p) => p.phase === "Running" || p.phase === "Pending").length);
      return /Complete/.test(ok(["get", "job", "batch", "-o", "jsonpath={.status.conditions[*].type}"]));
    });
    assert.ok(maxActive <= 2, `at most 2 pods run at once, saw ${maxActive}`);
    assert.equal(ok(["get", "job", "batch", "-o", "jsonpath={.status.succeeded}"]), "5");
    assert.match(ok(["get", "job", "batch"]), /^batch\s+Complete\s+5\/5\s+/m);
  });

  it("drains a node through evictions that honour a PodDisruptionBudget", async () => {
    ok(["create", "deployment", "guarded", "--image=busybox", "--replicas=6"]);
    ok(["create", "poddisruptionbudget", "guarded", "--selector=app=guarded", "--max-unavailable=1"]);
    await waitFor("6 ready pods and their budget", () => {
      if (pods("app=guarded").filter((p) => p.ready).length !== 6) return false;
      return ok(["get", "pdb", "guarded", "-o", "jsonpath={.status.disruptionsAllowed}"]) === "1";
    });
    const perNode = new Map<string, number>();
    for (const p of pods("app=guarded")) perNode.set(p.node, (perNode.get(p.node) ?? 0) + 1);
    const [node, count] = [...perNode.entries()].sort((a, b) => b[1] - a[1])[0];
    assert.ok(count >= 2, `6 pods on ${perNode.size} nodes put two on one`);
    // kubectl evicts the node's pods at once; the budget lets one go at a time, and kubectl retries the others.
    const r = c.kubectl(["drain", node, "--ignore-daemonsets", "--delete-emptydir-data", "--timeout=90s"], { timeoutMs: 100_000 });
    assert.equal(r.code, 0, `kubectl drain failed:\n${r.stderr}\n${r.stdout}`);
    assert.match(r.stdout + r.stderr, /Cannot evict pod as it would violate the pod's disruption budget/);
    assert.match(r.stdout, new RegExp(`node/${node} drained`));
    await waitFor("6 ready pods elsewhere", () => pods("app=guarded").filter((p) => !p.deleting && p.ready && p.node !== node).length === 6);
    ok(["uncordon", node]);
    ok(["delete", "deployment", "guarded"]);
  });

  it("preempts a lower-priority pod for one of a higher PriorityClass", async () => {
    await c.simNodes(["--count", "1", "--name-prefix", "small-", "--cpu", "1", "--labels", "size=small"]);
    await waitFor("the small node", () => /small-0\s+Ready/.test(ok(["get", "nodes"])));
    const podYaml = (name: string, cls: string, stopSeconds: string) => `apiVersion: v1
kind: Pod
metadata: {name: ${name}, annotations: {sim.tskube.io/stop-seconds: "${stopSeconds}"}}
spec:
  priorityClassName: ${cls}
  nodeSelector: {size: small}
  containers: [{name: c, image: busybox, resources: {requests: {cpu: 800m}}}]
`;
    apply(`apiVersion: scheduling.k8s.io/v1
kind: PriorityClass
metadata: {name: low}
value: 10
---
apiVersion: scheduling.k8s.io/v1
kind: PriorityClass
metadata: {name: high}
value: 1000
`);
    apply(podYaml("humble", "low", "3"));
    await waitFor("the low-priority pod running", () => ok(["get", "pod", "humble", "-o", "jsonpath={.status.phase}"]) === "Running");
    assert.equal(ok(["get", "pod", "humble", "-o", "jsonpath={.spec.priority}"]), "10", "priority from the PriorityClass");
    apply(podYaml("urgent", "high", "0"));
    await waitFor("the victim marked and terminating", () => {
      const reason = ok(["get", "pod", "humble", "-o", 'jsonpath={.status.conditions[?(@.type=="DisruptionTarget")].reason}']);
      return reason === "PreemptionByScheduler" && ok(["get", "pod", "humble", "-o", "jsonpath={.metadata.deletionTimestamp}"]) !== "";
    });
    await waitFor("the high-priority pod running on the small node", () => ok(["get", "pod", "urgent", "-o", "jsonpath={.status.phase} {.spec.nodeName}"]) === "Running small-0");
    assert.match(ok(["get", "events", "--field-selector", "involvedObject.name=humble,reason=Preempted"]), /Preempted by pod/);
    const refused = c.kubectl(["apply", "-f", "-"], { input: podYaml("stray", "no-such-class", "0") });
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /no PriorityClass with name no-such-class was found/);
    ok(["delete", "pod", "urgent", "--wait=false"]);
  });

  it("replaces the pods of a node whose kubelet stopped", async () => {
    const doomed = await c.simNodes(["--count", "1", "--name-prefix", "doomed-"]);
    ok(["create", "deployment", "resilient", "--image=busybox", "--replicas=10"]);
    await waitFor("10 ready pods", () => pods("app=resilient").filter((p) => p.ready).length === 10);
    const victims = pods("app=resilient").filter((p) => p.node === "doomed-0").map((p) => p.name);
    assert.ok(victims.length > 0, "the scheduler used the new node");
    await doomed.stop(true);
    await waitFor("the node to go NotReady", () => /doomed-0\s+NotReady/.test(ok(["get", "nodes"])), 30_000);
    assert.match(ok(["get", "node", "doomed-0", "-o", "jsonpath={.spec.taints[*].key}"]), /node.kubernetes.io\/unreachable/);
    await waitFor(
      "replacements on healthy nodes",
      () => pods("app=resilient").filter((p) => !p.deleting && p.ready && p.node !== "doomed-0").length === 10,
      60_000,
    );
    assert.ok(pods("app=resilient").filter((p) => victims.includes(p.name)).every((p) => p.deleting), "the old pods are being deleted");
  });
});
