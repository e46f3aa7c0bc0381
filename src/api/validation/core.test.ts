/** Core kinds: Service, ConfigMap, Secret, Namespace, Node, PV/PVC, Endpoints, Event. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { validateCreate, validateStatusUpdate, validateUpdate } from "./index.ts";
import { infoFor, make, pairs } from "./testutil.test.ts";

const S = infoFor("v1", "Service");
const svc = (spec: Record<string, unknown>, meta: Record<string, unknown> = {}) => make("v1", "Service", { spec }, meta);

test("services: valid shapes", () => {
  assert.deepEqual(validateCreate(S, svc({ selector: { app: "web" }, ports: [{ port: 80 }] })), []);
  assert.deepEqual(validateCreate(S, svc({ clusterIP: "None", selector: { app: "web" } })), []);
  assert.deepEqual(validateCreate(S, svc({ type: "ExternalName", externalName: "db.example.com" })), []);
  assert.deepEqual(validateCreate(S, svc({ type: "NodePort", ports: [{ name: "a", port: 80, nodePort: 30080 }, { name: "b", port: 443 }] })), []);
});

test("services: names, ports and enums", () => {
  assert.deepEqual(pairs(validateCreate(S, svc({ ports: [{ port: 80 }] }, { name: "1web" }))), [["metadata.name", "FieldValueInvalid"]]);
  assert.deepEqual(pairs(validateCreate(S, svc({}))), [["spec.ports", "FieldValueRequired"]]);
  const errs = validateCreate(S, svc({ type: "Weird", ports: [{ port: 0 }, { port: 80, protocol: "ICMP", targetPort: "Bad_Name" }] }));
  assert.deepEqual(pairs(errs), [
    ["spec.ports[0].name", "FieldValueRequired"],
    ["spec.ports[0].port", "FieldValueInvalid"],
    ["spec.ports[0].targetPort", "FieldValueInvalid"],
    ["spec.ports[1].name", "FieldValueRequired"],
    ["spec.ports[1].protocol", "FieldValueNotSupported"],
    ["spec.ports[1].targetPort", "FieldValueInvalid"],
    ["spec.type", "FieldValueNotSupported"],
  ]);
  assert.equal(errs[6].detail, 'supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"');
  const dup = validateCreate(S, svc({ ports: [{ name: "a", port: 80 }, { name: "a", port: 80 }] }));
  assert.deepEqual(pairs(dup), [["spec.ports[1].name", "FieldValueDuplicate"], ["spec.ports[1]", "FieldValueDuplicate"]]);
  assert.deepEqual(pairs(validateCreate(S, svc({ clusterIP: "1.2.3", ports: [{ port: 80 }] }))), [["spec.clusterIPs[0]", "FieldValueInvalid"]]);
  assert.deepEqual(pairs(validateCreate(S, svc({ ports: [{ port: 80, nodePort: 30000 }] }))), [["spec.ports[0].nodePort", "FieldValueForbidden"]]);
  assert.deepEqual(pairs(validateCreate(S, svc({ ports: [{ port: 80 }], externalTrafficPolicy: "Local" }))), [["spec.externalTrafficPolicy", "FieldValueInvalid"]]);
  assert.deepEqual(pairs(validateCreate(S, svc({ type: "NodePort", clusterIP: "None", ports: [{ port: 80 }] }))), [["spec.clusterIPs[0]", "FieldValueInvalid"]]);
  assert.deepEqual(pairs(validateCreate(S, svc({ clusterIP: "10.0.0.1", clusterIPs: ["10.0.0.2"], ports: [{ port: 80 }] }))), [["spec.clusterIPs", "FieldValueInvalid"]]);
});

test("services: clusterIP immutable once set", () => {
  const old = svc({ clusterIP: "10.43.0.10", ports: [{ port: 53 }] });
  const same = structuredClone(old);
  same.spec.ports[0].port = 54;
  same.spec.ports[0].targetPort = 54;
  assert.deepEqual(validateUpdate(S, same, old), []);
  const moved = structuredClone(old);
  moved.spec.clusterIP = "10.43.0.11";
  moved.spec.clusterIPs = ["10.43.0.11"];
  const errs = validateUpdate(S, moved, old);
  assert.deepEqual(pairs(errs), [["spec.clusterIPs[0]", "FieldValueInvalid"]]);
  assert.equal(errs[0].detail, "may not change once set");
});

test("configmaps and secrets: keys, sizes, immutability", () => {
  const CM = infoFor("v1", "ConfigMap");
  assert.deepEqual(validateCreate(CM, make("v1", "ConfigMap", { data: { "app.conf": "x" } })), []);
  const bad = validateCreate(CM, make("v1", "ConfigMap", { data: { "a/b": "x" } }));
  assert.deepEqual(pairs(bad), [["data[a/b]", "FieldValueInvalid"]]);
  assert.match(bad[0].detail ?? "", /^a valid config key must consist of alphanumeric characters, '-', '_' or '\.'/);
  const big = validateCreate(CM, make("v1", "ConfigMap", { data: { a: "x".repeat(1024 * 1024 + 1) } }));
  assert.deepEqual(pairs(big), [["", "FieldValueTooLong"]]);
  const old = make("v1", "ConfigMap", { data: { a: "1" }, immutable: true });
  const changed = structuredClone(old);
  changed.data.a = "2";
  assert.deepEqual(pairs(validateUpdate(CM, changed, old)), [["data", "FieldValueForbidden"]]);

  const SEC = infoFor("v1", "Secret");
  assert.deepEqual(validateCreate(SEC, make("v1", "Secret", { data: { k: "dg==" } })), []);
  const tls = validateCreate(SEC, make("v1", "Secret", { type: "kubernetes.io/tls", data: {} }));
  assert.deepEqual(pairs(tls), [["data[tls.crt]", "FieldValueRequired"], ["data[tls.key]", "FieldValueRequired"]]);
  const s = make("v1", "Secret", { data: {} });
  const retyped = structuredClone(s);
  retyped.type = "kubernetes.io/basic-auth";
  retyped.data = { username: "dQ==" };
  assert.deepEqual(pairs(validateUpdate(SEC, retyped, s)), [["type", "FieldValueInvalid"]]);
});

test("namespaces", () => {
  const N = infoFor("v1", "Namespace");
  assert.deepEqual(validateCreate(N, make("v1", "Namespace", {}, { name: "team-a" })), []);
  assert.deepEqual(pairs(validateCreate(N, make("v1", "Namespace", {}, { name: "team.a" }))), [["metadata.name", "FieldValueInvalid"]]);
  const ns = make("v1", "Namespace", {}, { name: "a" });
  const renamed = structuredClone(ns);
  renamed.metadata.name = "b";
  assert.deepEqual(pairs(validateUpdate(N, renamed, ns)), [["metadata.name", "FieldValueInvalid"]]);
  const st = structuredClone(ns);
  st.status.phase = "Terminating";
  assert.deepEqual(pairs(validateStatusUpdate(N, st, ns)), [["status.Phase", "FieldValueInvalid"]]);
});

test("nodes", () => {
  const NO = infoFor("v1", "Node");
  const node = make("v1", "Node", { spec: { podCIDRs: ["10.42.0.0/24"], taints: [{ key: "k", effect: "NoSchedule" }] } }, { name: "n1" });
  assert.deepEqual(validateCreate(NO, node), []);
  const bad = make("v1", "Node", { spec: { podCIDRs: ["nope"], taints: [{ key: "k", effect: "Sometimes" }] } }, { name: "n1" });
  assert.deepEqual(pairs(validateCreate(NO, bad)), [["spec.podCIDRs[0]", "FieldValueInvalid"], ["spec.taints[0].effect", "FieldValueNotSupported"]]);
  const moved = structuredClone(node);
  moved.spec.podCIDRs = ["10.42.1.0/24"];
  assert.deepEqual(pairs(validateUpdate(NO, moved, node)), [["spec.podCIDRs", "FieldValueForbidden"]]);
});

test("persistent volumes and claims", () => {
  const PV = infoFor("v1", "PersistentVolume");
  const pv = make("v1", "PersistentVolume", { spec: { capacity: { storage: "1Gi" }, accessModes: ["ReadWriteOnce"], hostPath: { path: "/data" } } }, { name: "pv1" });
  assert.deepEqual(validateCreate(PV, pv), []);
  const bad = make("v1", "PersistentVolume", { spec: { accessModes: ["ReadSometimes"] } }, { name: "pv1" });
  assert.deepEqual(pairs(validateCreate(PV, bad)), [
    ["spec.accessModes", "FieldValueNotSupported"],
    ["spec.capacity", "FieldValueRequired"],
    ["spec", "FieldValueRequired"],
  ]);
  const PVC = infoFor("v1", "PersistentVolumeClaim");
  const pvc = make("v1", "PersistentVolumeClaim", { spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } } } });
  assert.deepEqual(validateCreate(PVC, pvc), []);
  const none = make("v1", "PersistentVolumeClaim", { spec: {} });
  assert.deepEqual(pairs(validateCreate(PVC, none)), [["spec.accessModes", "FieldValueRequired"], ["spec.resources[storage]", "FieldValueRequired"]]);
  const zero = make("v1", "PersistentVolumeClaim", { spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "0" } } } });
  assert.deepEqual(pairs(validateCreate(PVC, zero)), [["spec.resources.requests[storage]", "FieldValueInvalid"]]);
  const changed = structuredClone(pvc);
  changed.spec.accessModes = ["ReadWriteMany"];
  const u = validateUpdate(PVC, changed, pvc);
  assert.deepEqual(pairs(u), [["spec", "FieldValueForbidden"]]);
  assert.equal(u[0].detail, "spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims");
});

test("endpoints and events", () => {
  const EP = infoFor("v1", "Endpoints");
  assert.deepEqual(validateCreate(EP, make("v1", "Endpoints", { subsets: [{ addresses: [{ ip: "10.42.0.5" }], ports: [{ port: 80 }] }] })), []);
  assert.deepEqual(pairs(validateCreate(EP, make("v1", "Endpoints", { subsets: [{ addresses: [{ ip: "x" }], ports: [{ port: 0 }] }] }))), [
    ["subsets[0].addresses[0].ip", "FieldValueInvalid"],
    ["subsets[0].ports[0].port", "FieldValueInvalid"],
  ]);
  const EV = infoFor("v1", "Event");
  assert.deepEqual(validateCreate(EV, make("v1", "Event", { involvedObject: { kind: "Pod", name: "p", namespace: "default" }, type: "Normal" })), []);
  assert.deepEqual(pairs(validateCreate(EV, make("v1", "Event", { involvedObject: { kind: "Pod", name: "p", namespace: "other" } }))), [
    ["involvedObject.namespace", "FieldValueInvalid"],
  ]);
  const EV2 = infoFor("events.k8s.io/v1", "Event");
  assert.deepEqual(pairs(validateCreate(EV2, make("events.k8s.io/v1", "Event", { type: "Normal" }))), [
    ["eventTime", "FieldValueRequired"],
    ["reportingController", "FieldValueRequired"],
    ["reportingInstance", "FieldValueRequired"],
    ["action", "FieldValueRequired"],
    ["reason", "FieldValueRequired"],
  ]);
});
