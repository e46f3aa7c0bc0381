/** Tests for per-kind defaults: upstream values and idempotence. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { applyDefaults } from "./index.ts";
import { findByKind, resources } from "../resources.ts";
import type { KObject } from "../types.ts";
import { imageTag } from "./podspec.ts";

function info(apiVersion: string, kind: string) {
  const r = findByKind(apiVersion, kind);
  assert.ok(r, `${apiVersion} ${kind}`);
  return r;
}

function defaulted(apiVersion: string, kind: string, o: Omit<KObject, "metadata"> & { metadata?: KObject["metadata"] }): KObject {
  const obj = { apiVersion, kind, metadata: { name: "x", namespace: "default", uid: "u-1" }, ...o } as KObject;
  applyDefaults(info(apiVersion, kind), obj);
  return obj;
}

const pod = () => ({
  spec: {
    containers: [
      {
        name: "c",
        image: "nginx",
        ports: [{ containerPort: 80 }],
        resources: { limits: { cpu: "500m", memory: "1.5Gi" } },
        livenessProbe: { httpGet: { port: 80 } },
      },
    ],
    volumes: [{ name: "v" }, { name: "s", secret: { secretName: "s" } }, { name: "h", hostPath: { path: "/x" } }],
  },
});

test("Pod defaults", () => {
  const p = defaulted("v1", "Pod", pod());
  const s = p.spec;
  assert.equal(s.restartPolicy, "Always");
  assert.equal(s.dnsPolicy, "ClusterFirst");
  assert.equal(s.terminationGracePeriodSeconds, 30);
  assert.equal(s.schedulerName, "default-scheduler");
  assert.deepEqual(s.securityContext, {});
  assert.equal(s.enableServiceLinks, true);
  const c = s.containers[0];
  assert.equal(c.imagePullPolicy, "Always");
  assert.equal(c.terminationMessagePath, "/dev/termination-log");
  assert.equal(c.terminationMessagePolicy, "File");
  assert.equal(c.ports[0].protocol, "TCP");
  assert.deepEqual(c.resources.requests, { cpu: "500m", memory: "1536Mi" });
  assert.deepEqual(c.livenessProbe, {
    httpGet: { port: 80, path: "/", scheme: "HTTP" },
    timeoutSeconds: 1,
    periodSeconds: 10,
    successThreshold: 1,
    failureThreshold: 3,
  });
  assert.deepEqual(s.volumes[0], { name: "v", emptyDir: {} });
  assert.equal(s.volumes[1].secret.defaultMode, 420);
  assert.equal(s.volumes[2].hostPath.type, "");
});

test("image pull policy follows the tag", () => {
  assert.equal(imageTag("nginx"), "latest");
  assert.equal(imageTag("nginx:1.25"), "1.25");
  assert.equal(imageTag("localhost:5000/app"), "latest");
  assert.equal(imageTag("registry.io:5000/team/app:v2"), "v2");
  assert.equal(imageTag("nginx@sha256:" + "a".repeat(64)), "");
  const p = defaulted("v1", "Pod", { spec: { containers: [{ name: "a", image: "nginx:1.25" }, { name: "b", image: "busybox:latest" }] } });
  assert.deepEqual(p.spec.containers.map((c: { imagePullPolicy: string }) => c.imagePullPolicy), ["IfNotPresent", "Always"]);
});

test("templates get pod spec defaults but not pod-only ones", () => {
  const d = defaulted("apps/v1", "Deployment", {
    spec: { selector: { matchLabels: { a: "b" } }, template: { metadata: { labels: { a: "b" } }, ...pod() } },
  });
  assert.equal(d.spec.replicas, 1);
  assert.deepEqual(d.spec.strategy, { type: "RollingUpdate", rollingUpdate: { maxUnavailable: "25%", maxSurge: "25%" } });
  assert.equal(d.spec.revisionHistoryLimit, 10);
  assert.equal(d.spec.progressDeadlineSeconds, 600);
  const ts = d.spec.template.spec;
  assert.equal(ts.restartPolicy, "Always");
  assert.equal(ts.enableServiceLinks, undefined);
  assert.equal(ts.containers[0].resources.requests, undefined);
});

test("StatefulSet, DaemonSet, ReplicaSet and RC defaults", () => {
  const ss = defaulted("apps/v1", "StatefulSet", { spec: { volumeClaimTemplates: [{ metadata: { name: "d" }, spec: {} }] } });
  assert.equal(ss.spec.replicas, 1);
  assert.equal(ss.spec.podManagementPolicy, "OrderedReady");
  assert.deepEqual(ss.spec.updateStrategy, { type: "RollingUpdate", rollingUpdate: { partition: 0 } });
  assert.deepEqual(ss.spec.persistentVolumeClaimRetentionPolicy, { whenDeleted: "Retain", whenScaled: "Retain" });
  assert.equal(ss.spec.revisionHistoryLimit, 10);
  assert.equal(ss.spec.volumeClaimTemplates[0].spec.volumeMode, "Filesystem");
  assert.equal(ss.spec.volumeClaimTemplates[0].status.phase, "Pending");
  const ds = defaulted("apps/v1", "DaemonSet", { spec: {} });
  assert.deepEqual(ds.spec.updateStrategy, { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } });
  assert.equal(ds.spec.revisionHistoryLimit, 10);
  const rs = defaulted("apps/v1", "ReplicaSet", { spec: {} });
  assert.equal(rs.spec.replicas, 1);
  const rc = defaulted("v1", "ReplicationController", { spec: { template: { metadata: { labels: { app: "x" } }, spec: {} } } });
  assert.deepEqual(rc.spec.selector, { app: "x" });
  assert.deepEqual(rc.metadata.labels, { app: "x" });
  assert.equal(rc.spec.replicas, 1);
});

test("Job defaults and generated selector", () => {
  const j = defaulted("batch/v1", "Job", {
    metadata: { name: "pi", namespace: "default", uid: "abc" },
    spec: { template: { spec: { containers: [{ name: "c", image: "perl" }], restartPolicy: "Never" } } },
  });
  assert.equal(j.spec.completions, 1);
  assert.equal(j.spec.parallelism, 1);
  assert.equal(j.spec.backoffLimit, 6);
  assert.equal(j.spec.completionMode, "NonIndexed");
  assert.equal(j.spec.suspend, false);
  assert.equal(j.spec.podReplacementPolicy, "TerminatingOrFailed");
  assert.equal(j.spec.manualSelector, undefined);
  assert.deepEqual(j.spec.selector, { matchLabels: { "batch.kubernetes.io/controller-uid": "abc" } });
  assert.deepEqual(j.spec.template.metadata.labels, {
    "job-name": "pi",
    "batch.kubernetes.io/job-name": "pi",
    "controller-uid": "abc",
    "batch.kubernetes.io/controller-uid": "abc",
  });
  assert.deepEqual(j.metadata.labels, j.spec.template.metadata.labels);
  const par = defaulted("batch/v1", "Job", { spec: { parallelism: 3, template: { spec: {} } } });
  assert.equal(par.spec.completions, undefined);
  const cj = defaulted("batch/v1", "CronJob", { spec: { schedule: "* * * * *", jobTemplate: { spec: { template: { spec: {} } } } } });
  assert.equal(cj.spec.concurrencyPolicy, "Allow");
  assert.equal(cj.spec.suspend, false);
  assert.equal(cj.spec.successfulJobsHistoryLimit, 3);
  assert.equal(cj.spec.failedJobsHistoryLimit, 1);
  assert.equal(cj.spec.jobTemplate.spec.template.spec.restartPolicy, "Always");
  assert.equal(cj.spec.jobTemplate.spec.backoffLimit, undefined);
});

test("Service defaults", () => {
  const s = defaulted("v1", "Service", { spec: { selector: { a: "b" }, ports: [{ port: 80 }] } });
  assert.equal(s.spec.type, "ClusterIP");
  assert.equal(s.spec.sessionAffinity, "None");
  assert.deepEqual(s.spec.ports[0], { port: 80, protocol: "TCP", targetPort: 80 });
  assert.equal(s.spec.internalTrafficPolicy, "Cluster");
  assert.equal(s.spec.externalTrafficPolicy, undefined);
  assert.equal(s.spec.ipFamilyPolicy, "SingleStack");
  assert.equal(s.spec.ipFamilies, undefined);
  const np = defaulted("v1", "Service", { spec: { type: "NodePort", clusterIP: "10.43.0.5", ports: [{ port: 80, targetPort: "http" }] } });
  assert.equal(np.spec.externalTrafficPolicy, "Cluster");
  assert.equal(np.spec.ports[0].targetPort, "http");
  assert.deepEqual(np.spec.clusterIPs, ["10.43.0.5"]);
  assert.deepEqual(np.spec.ipFamilies, ["IPv4"]);
  const lb = defaulted("v1", "Service", { spec: { type: "LoadBalancer", ports: [{ port: 1 }], sessionAffinity: "ClientIP" } });
  assert.equal(lb.spec.allocateLoadBalancerNodePorts, true);
  assert.deepEqual(lb.spec.sessionAffinityConfig, { clientIP: { timeoutSeconds: 10800 } });
  const en = defaulted("v1", "Service", { spec: { type: "ExternalName", externalName: "example.com" } });
  assert.equal(en.spec.internalTrafficPolicy, undefined);
  assert.equal(en.spec.ipFamilyPolicy, undefined);
});

test("core kinds: Secret, Namespace, PV, PVC, Node, LimitRange, Endpoints", () => {
  const sec = defaulted("v1", "Secret", { stringData: { a: "hi" } });
  assert.equal(sec.type, "Opaque");
  assert.deepEqual(sec.data, { a: "aGk=" });
  assert.equal(sec.stringData, undefined);
  const ns = defaulted("v1", "Namespace", { metadata: { name: "team" } });
  assert.equal(ns.metadata.labels?.["kubernetes.io/metadata.name"], "team");
  assert.equal(ns.status.phase, "Active");
  const pv = defaulted("v1", "PersistentVolume", { metadata: { name: "pv" }, spec: { capacity: { storage: "1000Mi" } } });
  assert.equal(pv.spec.persistentVolumeReclaimPolicy, "Retain");
  assert.equal(pv.spec.volumeMode, "Filesystem");
  assert.equal(pv.status.phase, "Pending");
  const pvc = defaulted("v1", "PersistentVolumeClaim", { spec: { resources: { requests: { storage: "1.0Gi" } } } });
  assert.equal(pvc.spec.volumeMode, "Filesystem");
  assert.equal(pvc.spec.resources.requests.storage, "1Gi");
  assert.equal(pvc.status.phase, "Pending");
  const node = defaulted("v1", "Node", { metadata: { name: "n" }, status: { capacity: { cpu: "4", memory: "8Gi" } } });
  assert.deepEqual(node.status.allocatable, { cpu: "4", memory: "8Gi" });
  const lr = defaulted("v1", "LimitRange", { spec: { limits: [{ type: "Container", max: { cpu: "2" }, min: { memory: "1Mi" } }] } });
  assert.deepEqual(lr.spec.limits[0].default, { cpu: "2" });
  assert.deepEqual(lr.spec.limits[0].defaultRequest, { cpu: "2", memory: "1Mi" });
  const ep = defaulted("v1", "Endpoints", { subsets: [{ ports: [{ port: 80 }] }] });
  assert.equal(ep.subsets[0].ports[0].protocol, "TCP");
});

test("other groups", () => {
  const np = defaulted("networking.k8s.io/v1", "NetworkPolicy", { spec: { podSelector: {}, egress: [{ ports: [{ port: 53 }] }] } });
  assert.deepEqual(np.spec.policyTypes, ["Ingress", "Egress"]);
  assert.equal(np.spec.egress[0].ports[0].protocol, "TCP");
  const es = defaulted("discovery.k8s.io/v1", "EndpointSlice", { addressType: "IPv4", endpoints: [], ports: [{ port: 80 }] });
  assert.deepEqual(es.ports[0], { port: 80, name: "", protocol: "TCP" });
  const pc = defaulted("scheduling.k8s.io/v1", "PriorityClass", { metadata: { name: "p" }, value: 10 });
  assert.equal(pc.preemptionPolicy, "PreemptLowerPriority");
  const sc = defaulted("storage.k8s.io/v1", "StorageClass", { metadata: { name: "s" }, provisioner: "x.io/y" });
  assert.equal(sc.reclaimPolicy, "Delete");
  assert.equal(sc.volumeBindingMode, "Immediate");
  const hpa = defaulted("autoscaling/v2", "HorizontalPodAutoscaler", { spec: { maxReplicas: 3 } });
  assert.equal(hpa.spec.minReplicas, 1);
  assert.equal(hpa.spec.metrics[0].resource.target.averageUtilization, 80);
});

test("defaults are idempotent for every served kind", () => {
  const samples: Record<string, object> = {
    Pod: pod(),
    Deployment: { spec: { template: pod() } },
    Job: { spec: { template: pod() } },
    Service: { spec: { clusterIP: "None", ports: [{ port: 80 }] } },
    Secret: { stringData: { a: "b" } },
  };
  for (const r of resources) {
    const base = { apiVersion: r.group ? `${r.group}/${r.version}` : r.version, kind: r.kind, metadata: { name: "x", uid: "u" }, ...(samples[r.kind] ?? { spec: {} }) };
    const once = structuredClone(base) as KObject;
    applyDefaults(r, once);
    const twice = structuredClone(once);
    applyDefaults(r, twice);
    assert.deepEqual(twice, once, `${r.group}/${r.kind}`);
  }
});
