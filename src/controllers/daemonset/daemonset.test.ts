/**
 * DaemonSet controller tests against a real in-process apiserver with
 * simulated nodes (no round-robin binder: a test binder binds each daemon pod
 * to the node its affinity names): one pod per untainted node, taints and
 * tolerations, nodes added and removed later, rolling update, status; plus
 * the eligibility predicates.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { findResource } from "../../api/resources.ts";
import type { KObject } from "../../api/types.ts";
import { Informer } from "../../client/index.ts";
import { eventually, startControllerTestEnv, type ControllerTestEnv } from "../testing.ts";
import { daemonSetController } from "./index.ts";
import { nodeShouldContinueRunning, nodeShouldRun, podNode, tolerates } from "./predicates.ts";

const dsRes = findResource("apps", "v1", "daemonsets")!;
const podsRes = findResource("", "v1", "pods")!;
const nodesRes = findResource("", "v1", "nodes")!;

function ds(name: string, podSpec: Record<string, unknown> = {}, image = "agent:1"): KObject {
  return {
    apiVersion: "apps/v1",
    kind: "DaemonSet",
    metadata: { name, namespace: "default" },
    spec: {
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: "c", image }], ...podSpec } },
    },
  };
}

describe("daemonset controller", () => {
  let env: ControllerTestEnv;
  let binder: Informer;
  before(async () => {
    env = await startControllerTestEnv({ daemonset: daemonSetController }, { nodes: 3, bind: false });
    binder = new Informer(env.client.resource(podsRes), { fieldSelector: "spec.nodeName=" });
    const bind = (p: KObject): void => {
      const node = podNode(p);
      if (!node || p.metadata.deletionTimestamp) return;
      env.client
        .resource(podsRes)
        .createSubresource(p.metadata.namespace!, p.metadata.name!, "binding", {
          apiVersion: "v1",
          kind: "Binding",
          metadata: { name: p.metadata.name, namespace: p.metadata.namespace },
          target: { apiVersion: "v1", kind: "Node", name: node },
        })
        .catch(() => undefined);
    };
    binder.addEventHandler({ onAdd: bind, onUpdate: (_o, n) => bind(n) });
    binder.start();
    await env.client.resource(nodesRes).patch("", "node-2", "merge", { spec: { taints: [{ key: "dedicated", value: "db", effect: "NoSchedule" }] } });
  });
  after(async () => {
    binder.stop();
    await env.stop();
  });

  const podsOf = async (app: string) =>
    (await env.client.resource(podsRes).list("default", { labelSelector: `app=${app}` })).items.filter((p) => !p.metadata.deletionTimestamp);
  const nodesOf = async (app: string) => (await podsOf(app)).map((p) => podNode(p)).sort();

  it("runs one pod per untainted node, pinned by node affinity", async () => {
    await env.client.resource(dsRes).create("default", ds("agent"));
    const s = await eventually("agent ready", async () => {
      const s = await env.client.resource(dsRes).get("default", "agent");
      return s.status?.numberReady === 2 ? s : undefined;
    });
    assert.deepEqual(await nodesOf("agent"), ["node-0", "node-1"]);
    assert.equal(s.status.desiredNumberScheduled, 2);
    assert.equal(s.status.currentNumberScheduled, 2);
    assert.equal(s.status.updatedNumberScheduled, 2);
    assert.equal(s.status.numberAvailable, 2);
    assert.equal(s.status.numberMisscheduled, 0);
    const p = (await podsOf("agent"))[0];
    assert.ok(p.metadata.labels!["controller-revision-hash"]);
    const keys = p.spec.tolerations.map((t: { key: string }) => t.key);
    assert.ok(keys.includes("node.kubernetes.io/not-ready") && keys.includes("node.kubernetes.io/unschedulable"));
    assert.equal(p.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchFields[0].key, "metadata.name");
  });

  it("runs on tainted nodes when tolerated", async () => {
    await env.client.resource(dsRes).create("default", ds("tol", { tolerations: [{ key: "dedicated", operator: "Exists", effect: "NoSchedule" }] }));
    await eventually("three pods", async () => ((await nodesOf("tol")).length === 3 ? true : undefined));
    assert.deepEqual(await nodesOf("tol"), ["node-0", "node-1", "node-2"]);
  });

  it("follows nodes added and removed later", async () => {
    await env.client.resource(nodesRes).create("", { apiVersion: "v1", kind: "Node", metadata: { name: "late", labels: { "kubernetes.io/hostname": "late" } } });
    await eventually("pod on late node", async () => ((await nodesOf("agent")).includes("late") ? true : undefined));
    await env.client.resource(nodesRes).delete("", "late");
    await eventually("pod gone from late node", async () => ((await nodesOf("agent")).includes("late") ? undefined : true));
    assert.deepEqual(await nodesOf("agent"), ["node-0", "node-1"]);
  });

  it("rolls out a new template with maxUnavailable", async () => {
    await env.client.resource(dsRes).patch("default", "agent", "merge", { spec: { template: { spec: { containers: [{ name: "c", image: "agent:2" }] } } } });
    const s = await eventually("rolled out", async () => {
      const s = await env.client.resource(dsRes).get("default", "agent");
      const pods = await podsOf("agent");
      return s.status?.updatedNumberScheduled === 2 && s.status.numberAvailable === 2 && pods.length === 2 && pods.every((p) => p.spec.containers[0].image === "agent:2") ? s : undefined;
    });
    assert.equal(s.status.observedGeneration, s.metadata.generation);
  });

  it("surges a new pod before removing the old one with maxSurge", async () => {
    const spec = ds("surge");
    spec.spec.updateStrategy = { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } };
    spec.spec.template.metadata.annotations = { "sim.tskube.io/ready-seconds": "0.2" };
    await env.client.resource(dsRes).create("default", spec);
    await eventually("surge ready", async () => ((await env.client.resource(dsRes).get("default", "surge")).status?.numberAvailable === 2 ? true : undefined));
    await env.client.resource(dsRes).patch("default", "surge", "merge", { spec: { template: { spec: { containers: [{ name: "c", image: "agent:2" }] } } } });
    let maxPods = 0;
    let minAvailable = 2;
    await eventually("surge rolled out", async () => {
      const pods = await podsOf("surge");
      maxPods = Math.max(maxPods, pods.length);
      const avail = pods.filter((p) => (p.status?.conditions ?? []).some((c: { type: string; status: string }) => c.type === "Ready" && c.status === "True")).length;
      minAvailable = Math.min(minAvailable, avail);
      return pods.length === 2 && pods.every((p) => p.spec.containers[0].image === "agent:2") && avail === 2 ? true : undefined;
    });
    assert.ok(maxPods <= 3, `at most one surge pod (saw ${maxPods})`);
    assert.equal(minAvailable, 2, "never below two available pods");
  });

  it("keeps pods on a node newly tainted NoSchedule (misscheduled), deletes them for NoExecute", async () => {
    await env.client.resource(nodesRes).patch("", "node-1", "merge", { spec: { taints: [{ key: "dedicated", value: "db", effect: "NoSchedule" }] } });
    const s = await eventually("misscheduled counted", async () => {
      const s = await env.client.resource(dsRes).get("default", "agent");
      return s.status?.numberMisscheduled === 1 ? s : undefined;
    });
    assert.equal(s.status.desiredNumberScheduled, 1);
    assert.deepEqual(await nodesOf("agent"), ["node-0", "node-1"], "the running pod stays");
    await env.client.resource(nodesRes).patch("", "node-1", "merge", { spec: { taints: [{ key: "dedicated", value: "db", effect: "NoExecute" }] } });
    await eventually("agent only on node-0", async () => ((await nodesOf("agent")).join() === "node-0" ? true : undefined));
  });
});

describe("daemonset predicates", () => {
  const node = (labels: Record<string, string>, taints: unknown[] = []) => ({ metadata: { name: "n1", labels }, spec: { taints } }) as KObject;
  it("applies nodeSelector and required affinity", () => {
    assert.ok(nodeShouldRun(node({ disk: "ssd" }), { nodeSelector: { disk: "ssd" } }));
    assert.ok(!nodeShouldRun(node({ disk: "hdd" }), { nodeSelector: { disk: "ssd" } }));
    const aff = (op: string, values?: string[]) => ({
      affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: "zone", operator: op, values }] }] } } },
    });
    assert.ok(nodeShouldRun(node({ zone: "a" }), aff("In", ["a", "b"])));
    assert.ok(!nodeShouldRun(node({ zone: "c" }), aff("In", ["a", "b"])));
    assert.ok(nodeShouldRun(node({}), aff("DoesNotExist")));
  });
  it("tolerates the automatic daemon taints but not others", () => {
    assert.ok(nodeShouldRun(node({}, [{ key: "node.kubernetes.io/not-ready", effect: "NoExecute" }]), {}));
    assert.ok(nodeShouldRun(node({}, [{ key: "node.kubernetes.io/unschedulable", effect: "NoSchedule" }]), {}));
    assert.ok(nodeShouldRun(node({}, [{ key: "x", effect: "PreferNoSchedule" }]), {}));
    assert.ok(!nodeShouldRun(node({}, [{ key: "x", value: "y", effect: "NoSchedule" }]), {}));
    assert.ok(nodeShouldContinueRunning(node({}, [{ key: "x", value: "y", effect: "NoSchedule" }]), {}), "NoSchedule does not evict");
    assert.ok(!nodeShouldContinueRunning(node({}, [{ key: "x", value: "y", effect: "NoExecute" }]), {}));
    assert.ok(!nodeShouldContinueRunning(node({ disk: "hdd" }), { nodeSelector: { disk: "ssd" } }));
    assert.ok(tolerates({ operator: "Exists" }, { key: "x", effect: "NoSchedule" }));
    assert.ok(tolerates({ key: "x", operator: "Equal", value: "y" }, { key: "x", value: "y", effect: "NoExecute" }));
    assert.ok(!tolerates({ key: "x", operator: "Equal", value: "z" }, { key: "x", value: "y", effect: "NoExecute" }));
  });
});
