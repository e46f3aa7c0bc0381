/**
 * Resource quota tests: usage arithmetic per evaluator (pods with init
 * containers and overhead, terminal and stuck-terminating pods, services,
 * claims, generic counts), scopes and the PriorityClass scope selector,
 * status masking; and against an in-process apiserver, status.used follows
 * creations and deletions.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { findResource, type ResourceInfo } from "../../api/resources.ts";
import type { KObject } from "../../api/types.ts";
import { eventually, startControllerTestEnv } from "../testing.ts";
import { newResourceQuotaController, quotaStatus } from "./index.ts";
import { calculateUsage, countResource, evaluatorFor } from "../../api/quota/usage.ts";

const now = Date.parse("2024-01-01T00:00:00Z");

function pod(name: string, spec: Record<string, unknown> = {}, status: Record<string, unknown> = { phase: "Running" }, meta: Record<string, unknown> = {}): KObject {
  return { apiVersion: "v1", kind: "Pod", metadata: { name, namespace: "ns", ...meta }, spec: { containers: [], ...spec }, status };
}

function ctr(requests?: Record<string, string>, limits?: Record<string, string>, extra: Record<string, unknown> = {}): KObject {
  return { name: "c", image: "i", resources: { requests, limits }, ...extra } as unknown as KObject;
}

function quota(hard: Record<string, string>, spec: Record<string, unknown> = {}): KObject {
  return { metadata: { name: "q", namespace: "ns" }, spec: { hard, ...spec } };
}

function lookupOf(objs: Record<string, KObject[]>): (info: ResourceInfo) => KObject[] {
  return (info) => objs[info.plural] ?? [];
}

test("evaluators cover object counts, compute resources and count/<resource>.<group>", () => {
  assert.equal(evaluatorFor("pods")?.kind, "pod");
  assert.equal(evaluatorFor("requests.cpu")?.kind, "pod");
  assert.equal(evaluatorFor("requests.example.com/gpu")?.kind, "pod");
  assert.equal(evaluatorFor("requests.storage")?.kind, "pvc");
  assert.equal(evaluatorFor("gold.storageclass.storage.k8s.io/requests.storage")?.kind, "pvc");
  assert.equal(evaluatorFor("services.nodeports")?.kind, "service");
  assert.equal(evaluatorFor("configmaps")?.info.plural, "configmaps");
  assert.equal(countResource("count/deployments.apps")?.kind, "Deployment");
  assert.equal(countResource("count/jobs.batch")?.version, "v1");
  assert.equal(countResource("count/widgets.example.com"), undefined);
  assert.equal(evaluatorFor("foo"), undefined);
});

test("pod compute usage sums requests and limits of non-terminal pods", () => {
  const pods = [
    pod("a", { containers: [ctr({ cpu: "250m", memory: "64Mi" }, { cpu: "500m", memory: "128Mi" }), ctr({ cpu: "250m", memory: "64Mi" })] }),
    pod("b", { containers: [ctr(undefined, { cpu: "1", memory: "1Gi" })] }),
    pod("done", { containers: [ctr({ cpu: "8" })] }, { phase: "Succeeded" }),
    pod("init", { containers: [ctr({ cpu: "100m" })], initContainers: [ctr({ cpu: "2" })], overhead: { cpu: "10m" } }),
  ];
  const hard = { pods: "10", "count/pods": "10", "requests.cpu": "10", cpu: "10", "requests.memory": "8Gi", "limits.cpu": "10", "limits.memory": "8Gi", "requests.ephemeral-storage": "1Gi" };
  const u = calculateUsage(quota(hard), lookupOf({ pods }), now);
  assert.deepEqual(u.used, {
    pods: "3",
    "count/pods": "4",
    "requests.cpu": "3510m",
    cpu: "3510m",
    "requests.memory": "1152Mi",
    "limits.cpu": "1500m",
    "limits.memory": "1152Mi",
    "requests.ephemeral-storage": "0",
  });
  assert.deepEqual(u.pending, []);
});

test("a pod past its deletion grace period is no longer charged", () => {
  const deleting = (name: string, at: number): KObject =>
    pod(name, { containers: [ctr({ cpu: "1" })] }, { phase: "Running" }, { deletionTimestamp: new Date(at).toISOString(), deletionGracePeriodSeconds: 30 });
  const pods = [deleting("stuck", now - 60_000), deleting("fresh", now + 1000)];
  const u = calculateUsage(quota({ pods: "5", "requests.cpu": "4" }), lookupOf({ pods }), now);
  assert.deepEqual(u.used, { pods: "1", "requests.cpu": "1" });
  assert.equal(u.nextChangeAt, now + 1000 + 30_000);
});

test("services, claims and generic counts", () => {
  const services = [
    { metadata: { name: "a" }, spec: { type: "ClusterIP", ports: [{ port: 80 }] } },
    { metadata: { name: "b" }, spec: { type: "NodePort", ports: [{ port: 80 }, { port: 443 }] } },
    { metadata: { name: "c" }, spec: { type: "LoadBalancer", ports: [{ port: 80 }] } },
    { metadata: { name: "d" }, spec: { type: "LoadBalancer", allocateLoadBalancerNodePorts: false, ports: [{ port: 80 }, { port: 81, nodePort: 30001 }] } },
  ] as KObject[];
  const persistentvolumeclaims = [
    { metadata: { name: "p1" }, spec: { storageClassName: "gold", resources: { requests: { storage: "1Gi" } } } },
    { metadata: { name: "p2" }, spec: { resources: { requests: { storage: "512Mi" } } }, status: { allocatedResources: { storage: "2Gi" } } },
  ] as KObject[];
  const configmaps = [{ metadata: { name: "x" } }, { metadata: { name: "y" } }] as KObject[];
  const deployments = [{ metadata: { name: "d" } }] as KObject[];
  const hard = {
    services: "10",
    "services.nodeports": "10",
    "services.loadbalancers": "2",
    persistentvolumeclaims: "5",
    "requests.storage": "10Gi",
    "gold.storageclass.storage.k8s.io/requests.storage": "5Gi",
    "gold.storageclass.storage.k8s.io/persistentvolumeclaims": "1",
    configmaps: "5",
    "count/configmaps": "5",
    "count/deployments.apps": "3",
    secrets: "3",
    "example.com/unknown": "1",
  };
  const u = calculateUsage(quota(hard), lookupOf({ services, persistentvolumeclaims, configmaps, deployments }), now);
  assert.deepEqual(u.used, {
    services: "4",
    "services.nodeports": "4",
    "services.loadbalancers": "2",
    persistentvolumeclaims: "2",
    "requests.storage": "3Gi",
    "gold.storageclass.storage.k8s.io/requests.storage": "1Gi",
    "gold.storageclass.storage.k8s.io/persistentvolumeclaims": "1",
    configmaps: "2",
    "count/configmaps": "2",
    "count/deployments.apps": "1",
    secrets: "0",
  });
});

test("scopes select pods; non-pod resources never match a scoped quota", () => {
  const pods = [
    pod("be", { containers: [ctr()] }),
    pod("burst", { containers: [ctr({ cpu: "100m" })], activeDeadlineSeconds: 30 }),
    pod("high", { containers: [ctr({ cpu: "1" })], priorityClassName: "high" }),
  ];
  const services = [{ metadata: { name: "s" }, spec: { type: "ClusterIP" } }] as KObject[];
  const use = (spec: Record<string, unknown>, hard: Record<string, string> = { pods: "9" }): Record<string, string> =>
    calculateUsage(quota(hard, spec), lookupOf({ pods, services }), now).used;
  assert.deepEqual(use({ scopes: ["BestEffort"] }), { pods: "1" });
  assert.deepEqual(use({ scopes: ["NotBestEffort"] }, { pods: "9", "requests.cpu": "9" }), { pods: "2", "requests.cpu": "1100m" });
  assert.deepEqual(use({ scopes: ["Terminating"] }), { pods: "1" });
  assert.deepEqual(use({ scopes: ["NotTerminating", "NotBestEffort"] }), { pods: "1" });
  assert.deepEqual(use({ scopeSelector: { matchExpressions: [{ scopeName: "PriorityClass", operator: "In", values: ["high"] }] } }), { pods: "1" });
  assert.deepEqual(use({ scopeSelector: { matchExpressions: [{ scopeName: "PriorityClass", operator: "NotIn", values: ["high"] }] } }), { pods: "2" });
  assert.deepEqual(use({ scopeSelector: { matchExpressions: [{ scopeName: "PriorityClass", operator: "DoesNotExist" }] } }), { pods: "2" });
  assert.deepEqual(use({ scopes: ["BestEffort"] }, { services: "3" }), { services: "0" });
});

test("status: hard is canonical spec.hard, used is masked to hard", () => {
  const q = quota({ "requests.cpu": "1000m", configmaps: "5", "example.com/x": "1" });
  q.status = { used: { secrets: "3", "example.com/x": "1" } };
  assert.deepEqual(quotaStatus(q, { "requests.cpu": "0", configmaps: "1" }), {
    hard: { "requests.cpu": "1", configmaps: "5", "example.com/x": "1" },
    used: { configmaps: "1", "example.com/x": "1", "requests.cpu": "0" },
  });
});

const quotasRes = findResource("", "v1", "resourcequotas")!;
const cmRes = findResource("", "v1", "configmaps")!;
const podsRes = findResource("", "v1", "pods")!;
const deploymentsRes = findResource("apps", "v1", "deployments")!;

test("status.used follows objects in the namespace", async () => {
  const env = await startControllerTestEnv({ resourcequota: () => newResourceQuotaController({ resyncMs: 60_000 }) }, { nodes: 1 });
  const c = env.client;
  try {
    const hard = { pods: "4", "requests.cpu": "2", "limits.memory": "1Gi", configmaps: "10", "count/deployments.apps": "2", resourcequotas: "1" };
    await c.resource(quotasRes).create("default", { metadata: { name: "q" }, spec: { hard } } as KObject);
    const used = async (want: Record<string, string>): Promise<true | undefined> => {
      const q = await c.resource(quotasRes).get("default", "q");
      try {
        assert.deepEqual(q.status?.used, want);
        assert.deepEqual(q.status?.hard, hard);
        return true;
      } catch {
        return undefined;
      }
    };
    const base = { pods: "0", "requests.cpu": "0", "limits.memory": "0", configmaps: "0", "count/deployments.apps": "0", resourcequotas: "1" };
    const existingCms = (await c.resource(cmRes).list("default")).items.length;
    base.configmaps = String(existingCms);
    await eventually("initial status", () => used(base));
    await c.resource(cmRes).create("default", { metadata: { name: "cm1" }, data: {} } as KObject);
    const p = {
      metadata: { name: "p1" },
      spec: { containers: [{ name: "c", image: "busybox", resources: { requests: { cpu: "250m" }, limits: { cpu: "500m", memory: "256Mi" } } }] },
    } as KObject;
    await c.resource(podsRes).create("default", p);
    await c.resource(deploymentsRes).create("default", {
      metadata: { name: "d" },
      spec: { replicas: 0, selector: { matchLabels: { a: "b" } }, template: { metadata: { labels: { a: "b" } }, spec: { containers: [{ name: "c", image: "i" }] } } },
    } as KObject);
    const after = { ...base, configmaps: String(existingCms + 1), pods: "1", "requests.cpu": "250m", "limits.memory": "256Mi", "count/deployments.apps": "1" };
    await eventually("usage after creations", () => used(after));
    await c.resource(podsRes).delete("default", "p1", { gracePeriodSeconds: 0 });
    await c.resource(cmRes).delete("default", "cm1");
    await eventually("usage after deletions", () => used({ ...after, configmaps: String(existingCms), pods: "0", "requests.cpu": "0", "limits.memory": "0" }));
  } finally {
    await env.stop();
  }
});
