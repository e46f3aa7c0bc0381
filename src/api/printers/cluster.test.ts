/** Tests of the networking, discovery, coordination, policy, scheduling, storage and autoscaling tables. */

import { test } from "node:test";
import assert from "node:assert/strict";
import type { KObject } from "../types.ts";
import { findResource } from "../resources.ts";
import { tableCells, tableColumns } from "./index.ts";

const now = new Date("2024-06-01T12:00:00Z");
const created = "2024-05-29T12:00:00Z"; // 3d
const meta = (name: string, extra: Record<string, unknown> = {}) => ({ name, creationTimestamp: created, ...extra });
const names = (group: string, version: string, plural: string) =>
  tableColumns(findResource(group, version, plural)!).map((c) => `${c.name}:${c.type}${c.priority ? "*" : ""}`);
const cells = (group: string, version: string, plural: string, obj: KObject) => tableCells(findResource(group, version, plural)!, obj, now);

test("ingresses and ingress classes", () => {
  const g = "networking.k8s.io";
  assert.deepEqual(names(g, "v1", "ingresses"), ["Name:string", "Class:string", "Hosts:string", "Address:string", "Ports:string", "Age:string"]);
  const ing: KObject = {
    metadata: meta("web"),
    spec: {
      ingressClassName: "nginx",
      rules: [{ host: "a.example.com" }, { host: "b.example.com" }, {}, { host: "c.example.com" }, { host: "d.example.com" }],
      tls: [{ hosts: ["a.example.com"] }],
    },
    status: { loadBalancer: { ingress: [{ ip: "192.0.2.20" }, { ip: "192.0.2.10" }] } },
  };
  assert.deepEqual(cells(g, "v1", "ingresses", ing), ["web", "nginx", "a.example.com,b.example.com,c.example.com + 2 more...", "192.0.2.10,192.0.2.20", "80, 443", "3d"]);
  assert.deepEqual(cells(g, "v1", "ingresses", { metadata: meta("bare"), spec: { rules: [{}] } }), ["bare", "<none>", "*", "", "80", "3d"]);

  assert.deepEqual(names(g, "v1", "ingressclasses"), ["Name:string", "Controller:string", "Parameters:string", "Age:string"]);
  const ic: KObject = {
    metadata: meta("nginx"),
    spec: { controller: "k8s.io/ingress-nginx", parameters: { apiGroup: "k8s.example.com", kind: "IngressParameters", name: "p" } },
  };
  assert.deepEqual(cells(g, "v1", "ingressclasses", ic), ["nginx", "k8s.io/ingress-nginx", "IngressParameters.k8s.example.com/p", "3d"]);
  assert.equal(cells(g, "v1", "ingressclasses", { metadata: meta("x"), spec: { controller: "c" } })[2], "<none>");
});

test("network policies and endpoint slices", () => {
  assert.deepEqual(names("networking.k8s.io", "v1", "networkpolicies"), ["Name:string", "Pod-Selector:string", "Age:string"]);
  assert.deepEqual(cells("networking.k8s.io", "v1", "networkpolicies", { metadata: meta("deny"), spec: { podSelector: {} } }), ["deny", "<none>", "3d"]);
  assert.equal(
    cells("networking.k8s.io", "v1", "networkpolicies", { metadata: meta("db"), spec: { podSelector: { matchLabels: { role: "db" } } } })[1],
    "role=db",
  );

  const g = "discovery.k8s.io";
  assert.deepEqual(names(g, "v1", "endpointslices"), ["Name:string", "AddressType:string", "Ports:string", "Endpoints:string", "Age:string"]);
  const slice: KObject = {
    metadata: meta("web-x1"),
    addressType: "IPv4",
    ports: [{ port: 80, name: "http" }, { name: "metrics" }, {}],
    endpoints: [{ addresses: ["10.0.0.1"] }, { addresses: ["10.0.0.2", "10.0.0.3"] }, { addresses: ["10.0.0.4"] }],
  };
  assert.deepEqual(cells(g, "v1", "endpointslices", slice), ["web-x1", "IPv4", "80,metrics,*", "10.0.0.1,10.0.0.2,10.0.0.3 + 1 more...", "3d"]);
  assert.deepEqual(cells(g, "v1", "endpointslices", { metadata: meta("e"), addressType: "IPv6", endpoints: [] }).slice(2, 4), ["<unset>", "<unset>"]);
});

test("leases, disruption budgets, priority classes", () => {
  assert.deepEqual(names("coordination.k8s.io", "v1", "leases"), ["Name:string", "Holder:string", "Age:string"]);
  assert.deepEqual(cells("coordination.k8s.io", "v1", "leases", { metadata: meta("node-1"), spec: { holderIdentity: "node-1" } }), ["node-1", "node-1", "3d"]);

  assert.deepEqual(names("policy", "v1", "poddisruptionbudgets"), [
    "Name:string",
    "Min Available:string",
    "Max Unavailable:string",
    "Allowed Disruptions:integer",
    "Age:string",
  ]);
  assert.deepEqual(cells("policy", "v1", "poddisruptionbudgets", { metadata: meta("pdb"), spec: { minAvailable: 2 }, status: { disruptionsAllowed: 1 } }), [
    "pdb",
    "2",
    "N/A",
    1,
    "3d",
  ]);
  assert.deepEqual(cells("policy", "v1", "poddisruptionbudgets", { metadata: meta("pdb"), spec: { maxUnavailable: "25%" } }).slice(1, 4), ["N/A", "25%", 0]);

  assert.deepEqual(names("scheduling.k8s.io", "v1", "priorityclasses"), [
    "Name:string",
    "Value:integer",
    "Global-Default:boolean",
    "Age:string",
    "PreemptionPolicy:string",
  ]);
  assert.deepEqual(
    cells("scheduling.k8s.io", "v1", "priorityclasses", { metadata: meta("system-node-critical"), value: 2000001000, preemptionPolicy: "PreemptLowerPriority" }),
    ["system-node-critical", 2000001000, false, "3d", "PreemptLowerPriority"],
  );
});

test("storage classes mark the default", () => {
  assert.deepEqual(names("storage.k8s.io", "v1", "storageclasses"), [
    "Name:string",
    "Provisioner:string",
    "ReclaimPolicy:string",
    "VolumeBindingMode:string",
    "AllowVolumeExpansion:string",
    "Age:string",
  ]);
  const sc: KObject = {
    metadata: meta("local-path", { annotations: { "storageclass.kubernetes.io/is-default-class": "true" } }),
    provisioner: "rancher.io/local-path",
    reclaimPolicy: "Delete",
    volumeBindingMode: "WaitForFirstConsumer",
  };
  assert.deepEqual(cells("storage.k8s.io", "v1", "storageclasses", sc), ["local-path (default)", "rancher.io/local-path", "Delete", "WaitForFirstConsumer", false, "3d"]);
  assert.deepEqual(
    cells("storage.k8s.io", "v1", "storageclasses", { metadata: meta("fast"), provisioner: "csi.example.com", allowVolumeExpansion: true }),
    ["fast", "csi.example.com", "Delete", "Immediate", true, "3d"],
  );
});

test("horizontal pod autoscalers, v2 and v1", () => {
  const cols = ["Name:string", "Reference:string", "Targets:string", "MinPods:string", "MaxPods:string", "Replicas:string", "Age:string"];
  assert.deepEqual(names("autoscaling", "v2", "horizontalpodautoscalers"), cols);
  assert.deepEqual(names("autoscaling", "v1", "horizontalpodautoscalers"), cols);
  const v2: KObject = {
    metadata: meta("web"),
    spec: {
      scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "web" },
      minReplicas: 1,
      maxReplicas: 10,
      metrics: [
        { type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 50 } } },
        { type: "Resource", resource: { name: "memory", target: { type: "AverageValue", averageValue: "1024Mi" } } },
        { type: "Pods", pods: { metric: { name: "qps" }, target: { type: "AverageValue", averageValue: "10" } } },
      ],
    },
    status: {
      currentReplicas: 2,
      currentMetrics: [
        { type: "Resource", resource: { name: "cpu", current: { averageUtilization: 23, averageValue: "115m" } } },
        { type: "Resource", resource: { name: "memory", current: { averageValue: "512Mi" } } },
      ],
    },
  };
  assert.deepEqual(cells("autoscaling", "v2", "horizontalpodautoscalers", v2), [
    "web",
    "Deployment/web",
    "cpu: 23%/50%, memory: 512Mi/1Gi + 1 more...",
    "1",
    10,
    2,
    "3d",
  ]);
  const fresh: KObject = { ...v2, spec: { ...v2.spec, minReplicas: undefined, metrics: v2.spec.metrics.slice(0, 1) }, status: { currentReplicas: 0 } };
  assert.deepEqual(cells("autoscaling", "v2", "horizontalpodautoscalers", fresh).slice(2, 6), ["cpu: <unknown>/50%", "<unset>", 10, 0]);
  const external: KObject = {
    metadata: meta("q"),
    spec: {
      scaleTargetRef: { kind: "Deployment", name: "worker" },
      maxReplicas: 5,
      metrics: [
        { type: "External", external: { metric: { name: "queue" }, target: { type: "AverageValue", averageValue: "30" } } },
        { type: "Object", object: { metric: { name: "rps" }, target: { type: "Value", value: "2k" } } },
      ],
    },
    status: { currentMetrics: [{ type: "External", external: { current: { averageValue: "12" } } }] },
  };
  assert.equal(cells("autoscaling", "v2", "horizontalpodautoscalers", external)[2], "12/30 (avg), <unknown>/2k");
  const v1: KObject = {
    metadata: meta("web"),
    spec: { scaleTargetRef: { kind: "Deployment", name: "web" }, minReplicas: 2, maxReplicas: 4, targetCPUUtilizationPercentage: 80 },
    status: { currentReplicas: 2, desiredReplicas: 2, currentCPUUtilizationPercentage: 12 },
  };
  assert.deepEqual(cells("autoscaling", "v1", "horizontalpodautoscalers", v1), ["web", "Deployment/web", "cpu: 12%/80%", "2", 4, 2, "3d"]);
  assert.equal(cells("autoscaling", "v2", "horizontalpodautoscalers", { metadata: meta("n"), spec: { maxReplicas: 1 } })[2], "<none>");
});
