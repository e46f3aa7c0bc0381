/** Tests of the core v1 tables other than Pod, and of both Event APIs. */

import { test } from "node:test";
import assert from "node:assert/strict";
import type { KObject } from "../types.ts";
import { findResource } from "../resources.ts";
import { tableCells, tableColumns } from "./index.ts";

const now = new Date("2024-06-01T12:00:00Z");
const created = "2024-06-01T11:55:00Z"; // 5m
const meta = (name: string, extra: Record<string, unknown> = {}) => ({ name, namespace: "default", creationTimestamp: created, ...extra });
const info = (plural: string, group = "", version = "v1") => findResource(group, version, plural)!;
const names = (plural: string, group = "", version = "v1") =>
  tableColumns(info(plural, group, version)).map((c) => (c.priority ? `${c.name}*` : c.name));
const cells = (plural: string, obj: KObject, group = "", version = "v1") => tableCells(info(plural, group, version), obj, now);

test("service columns and cells", () => {
  assert.deepEqual(names("services"), ["Name", "Type", "Cluster-IP", "External-IP", "Port(s)", "Age", "Selector*"]);
  const svc = (spec: Record<string, unknown>, status: Record<string, unknown> = {}): KObject => ({ metadata: meta("web"), spec, status });
  assert.deepEqual(
    cells(
      "services",
      svc({
        type: "NodePort",
        clusterIP: "10.96.0.10",
        clusterIPs: ["10.96.0.10"],
        ports: [
          { port: 80, nodePort: 30080, protocol: "TCP" },
          { port: 443, protocol: "TCP" },
        ],
        selector: { app: "web", tier: "fe" },
      }),
    ),
    ["web", "NodePort", "10.96.0.10", "<none>", "80:30080/TCP,443/TCP", "5m", "app=web,tier=fe"],
  );
  assert.deepEqual(
    cells("services", svc({ type: "ClusterIP", clusterIP: "None", clusterIPs: ["None"], ports: [{ port: 53, protocol: "UDP" }] })),
    ["web", "ClusterIP", "None", "<none>", "53/UDP", "5m", "<none>"],
  );
  assert.equal(cells("services", svc({ type: "ClusterIP", clusterIPs: ["10.0.0.1"], externalIPs: ["1.2.3.4", "5.6.7.8"] }))[3], "1.2.3.4,5.6.7.8");
  assert.equal(cells("services", svc({ type: "LoadBalancer", clusterIPs: ["10.0.0.1"] }))[3], "<pending>");
  assert.equal(
    cells("services", svc({ type: "LoadBalancer" }, { loadBalancer: { ingress: [{ ip: "203.0.113.9" }, { hostname: "lb.example.com" }] } }))[3],
    "203.0.113.9,lb.example.com",
  );
  assert.equal(
    cells("services", svc({ type: "LoadBalancer", externalIPs: ["9.9.9.9"] }, { loadBalancer: { ingress: [{ ip: "1.1.1.1" }] } }))[3],
    "1.1.1.1,9.9.9.9",
  );
  assert.deepEqual(cells("services", svc({ type: "ExternalName", externalName: "db.example.com" })).slice(1, 5), [
    "ExternalName",
    "<none>",
    "db.example.com",
    "<none>",
  ]);
});

test("node status, roles and wide cells", () => {
  assert.deepEqual(names("nodes"), [
    "Name",
    "Status",
    "Roles",
    "Age",
    "Version",
    "Internal-IP*",
    "External-IP*",
    "OS-Image*",
    "Kernel-Version*",
    "Container-Runtime*",
  ]);
  const node: KObject = {
    metadata: meta("n1", { labels: { "node-role.kubernetes.io/control-plane": "", "node-role.kubernetes.io/etcd": "true", "kubernetes.io/role": "master" } }),
    spec: { unschedulable: true },
    status: {
      conditions: [
        { type: "MemoryPressure", status: "False" },
        { type: "Ready", status: "True" },
      ],
      addresses: [
        { type: "Hostname", address: "n1" },
        { type: "InternalIP", address: "192.168.1.10" },
      ],
      nodeInfo: { kubeletVersion: "v1.31.0", osImage: "Ubuntu 24.04", kernelVersion: "6.8.0", containerRuntimeVersion: "containerd://1.7.0" },
    },
  };
  assert.deepEqual(cells("nodes", node), [
    "n1",
    "Ready,SchedulingDisabled",
    "control-plane,etcd,master",
    "5m",
    "v1.31.0",
    "192.168.1.10",
    "<none>",
    "Ubuntu 24.04",
    "6.8.0",
    "containerd://1.7.0",
  ]);
  const bare: KObject = { metadata: meta("n2"), status: { conditions: [{ type: "Ready", status: "Unknown" }] } };
  assert.deepEqual(cells("nodes", bare), ["n2", "NotReady", "<none>", "5m", "", "<none>", "<none>", "<unknown>", "<unknown>", "<unknown>"]);
  assert.equal(cells("nodes", { metadata: meta("n3") })[1], "Unknown");
});

test("endpoints truncate after three", () => {
  const ep = (subsets: unknown[]): KObject => ({ metadata: meta("web"), subsets });
  assert.deepEqual(cells("endpoints", ep([])), ["web", "<none>", "5m"]);
  assert.equal(
    cells("endpoints", ep([{ addresses: [{ ip: "10.0.0.1" }, { ip: "10.0.0.2" }], ports: [{ port: 80 }, { port: 443 }] }]))[1],
    "10.0.0.1:80,10.0.0.2:80,10.0.0.1:443 + 1 more...",
  );
  assert.equal(cells("endpoints", ep([{ addresses: [{ ip: "fd00::1" }], ports: [{ port: 8080 }] }, { addresses: [{ ip: "10.0.0.3" }] }]))[1], "[fd00::1]:8080,10.0.0.3");
});

test("config maps, secrets, service accounts, namespaces", () => {
  assert.deepEqual(names("configmaps"), ["Name", "Data", "Age"]);
  assert.deepEqual(cells("configmaps", { metadata: meta("cm"), data: { a: "1", b: "2" }, binaryData: { c: "AA==" } }), ["cm", 3, "5m"]);
  assert.deepEqual(names("secrets"), ["Name", "Type", "Data", "Age"]);
  assert.deepEqual(cells("secrets", { metadata: meta("s"), type: "Opaque", data: { u: "eA==", p: "eQ==" } }), ["s", "Opaque", 2, "5m"]);
  assert.deepEqual(names("serviceaccounts"), ["Name", "Secrets", "Age"]);
  assert.deepEqual(cells("serviceaccounts", { metadata: meta("default") }), ["default", 0, "5m"]);
  assert.deepEqual(names("namespaces"), ["Name", "Status", "Age"]);
  assert.deepEqual(cells("namespaces", { metadata: meta("kube-system"), status: { phase: "Active" } }), ["kube-system", "Active", "5m"]);
});

test("persistent volumes and claims", () => {
  assert.deepEqual(names("persistentvolumes"), [
    "Name",
    "Capacity",
    "Access Modes",
    "Reclaim Policy",
    "Status",
    "Claim",
    "StorageClass",
    "VolumeAttributesClass",
    "Reason",
    "Age",
    "VolumeMode*",
  ]);
  const pv: KObject = {
    metadata: meta("pv1"),
    spec: {
      capacity: { storage: "1024Mi" },
      accessModes: ["ReadWriteMany", "ReadWriteOnce"],
      persistentVolumeReclaimPolicy: "Retain",
      claimRef: { namespace: "default", name: "data" },
      storageClassName: "fast",
      volumeMode: "Filesystem",
    },
    status: { phase: "Bound" },
  };
  assert.deepEqual(cells("persistentvolumes", pv), ["pv1", "1Gi", "RWO,RWX", "Retain", "Bound", "default/data", "fast", "<unset>", "", "5m", "Filesystem"]);
  assert.deepEqual(names("persistentvolumeclaims"), [
    "Name",
    "Status",
    "Volume",
    "Capacity",
    "Access Modes",
    "StorageClass",
    "VolumeAttributesClass",
    "Age",
    "VolumeMode*",
  ]);
  const pvc: KObject = {
    metadata: meta("data"),
    spec: { volumeName: "pv1", storageClassName: "fast", resources: { requests: { storage: "1Gi" } } },
    status: { phase: "Bound", capacity: { storage: "1Gi" }, accessModes: ["ReadWriteOnce"] },
  };
  assert.deepEqual(cells("persistentvolumeclaims", pvc), ["data", "Bound", "pv1", "1Gi", "RWO", "fast", "<unset>", "5m", "<unset>"]);
  const pending: KObject = { metadata: meta("p", { deletionTimestamp: created }), spec: { storageClassName: "fast" }, status: { phase: "Pending" } };
  assert.deepEqual(cells("persistentvolumeclaims", pending).slice(1, 6), ["Terminating", "", "", "", "fast"]);
});

test("resource quota request and limit cells", () => {
  assert.deepEqual(names("resourcequotas"), ["Name", "Request", "Limit", "Age"]);
  const q: KObject = {
    metadata: meta("q"),
    status: {
      hard: { pods: "10", "requests.cpu": "2", "limits.memory": "2Gi", "limits.cpu": "4" },
      used: { pods: "3", "requests.cpu": "500m", "limits.memory": "1024Mi" },
    },
  };
  assert.deepEqual(cells("resourcequotas", q), ["q", "pods: 3/10, requests.cpu: 500m/2", "limits.cpu: 0/4, limits.memory: 1Gi/2Gi", "5m"]);
});

test("replication controllers", () => {
  assert.deepEqual(names("replicationcontrollers"), ["Name", "Desired", "Current", "Ready", "Age", "Containers*", "Images*", "Selector*"]);
  const rc: KObject = {
    metadata: meta("rc"),
    spec: { replicas: 3, selector: { app: "x" }, template: { spec: { containers: [{ name: "a", image: "img:1" }, { name: "b", image: "img:2" }] } } },
    status: { replicas: 3, readyReplicas: 2 },
  };
  assert.deepEqual(cells("replicationcontrollers", rc), ["rc", 3, 3, 2, "5m", "a,b", "img:1,img:2", "app=x"]);
});

test("core events", () => {
  assert.deepEqual(names("events"), [
    "Last Seen",
    "Type",
    "Reason",
    "Object",
    "Subobject*",
    "Source*",
    "Message",
    "First Seen*",
    "Count*",
    "Name*",
  ]);
  const ev: KObject = {
    metadata: meta("web.17a"),
    involvedObject: { kind: "Pod", name: "web", fieldPath: "spec.containers{a}" },
    reason: "Pulled",
    message: " Successfully pulled image \n",
    source: { component: "kubelet", host: "node-1" },
    firstTimestamp: "2024-06-01T11:00:00Z",
    lastTimestamp: "2024-06-01T11:58:00Z",
    count: 4,
    type: "Normal",
  };
  assert.deepEqual(cells("events", ev), [
    "2m",
    "Normal",
    "Pulled",
    "pod/web",
    "spec.containers{a}",
    "kubelet, node-1",
    "Successfully pulled image",
    "60m",
    4,
    "web.17a",
  ]);
  const fresh: KObject = {
    metadata: meta("n.1"),
    involvedObject: { kind: "Node" },
    reason: "Starting",
    eventTime: "2024-06-01T11:59:30.000000Z",
    reportingComponent: "",
    reportingController: "kube-proxy",
    reportingInstance: "",
    type: "Normal",
  };
  assert.deepEqual(cells("events", fresh), ["30s", "Normal", "Starting", "node", "", "kube-proxy", "", "30s", 1, "n.1"]);
  const series: KObject = { ...ev, series: { count: 9, lastObservedTime: "2024-06-01T11:59:50.000000Z" } };
  assert.deepEqual([cells("events", series)[0], cells("events", series)[8]], ["10s", 9]);
});

test("events.k8s.io events print like core events", () => {
  assert.deepEqual(names("events", "events.k8s.io"), names("events"));
  const ev: KObject = {
    apiVersion: "events.k8s.io/v1",
    kind: "Event",
    metadata: meta("web.17b"),
    regarding: { kind: "Deployment", name: "web" },
    note: "Scaled up replica set web-abc to 3",
    reason: "ScalingReplicaSet",
    type: "Normal",
    eventTime: null,
    reportingController: "deployment-controller",
    deprecatedFirstTimestamp: "2024-06-01T11:50:00Z",
    deprecatedLastTimestamp: "2024-06-01T11:56:00Z",
    deprecatedCount: 2,
  };
  assert.deepEqual(tableCells(info("events", "events.k8s.io"), ev, now), [
    "4m",
    "Normal",
    "ScalingReplicaSet",
    "deployment/web",
    "",
    "deployment-controller",
    "Scaled up replica set web-abc to 3",
    "10m",
    2,
    "web.17b",
  ]);
});
