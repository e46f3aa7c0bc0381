/** Networking, discovery, policy, storage, scheduling, autoscaling, coordination and quota kinds. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { validateCreate, validateUpdate } from "./index.ts";
import { infoFor, make, pairs } from "./testutil.test.ts";

test("ingress", () => {
  const I = infoFor("networking.k8s.io/v1", "Ingress");
  const backend = { service: { name: "web", port: { number: 80 } } };
  const ok = make("networking.k8s.io/v1", "Ingress", { spec: { rules: [{ host: "a.example.com", http: { paths: [{ path: "/", pathType: "Prefix", backend }] } }] } });
  assert.deepEqual(validateCreate(I, ok), []);
  assert.deepEqual(pairs(validateCreate(I, make("networking.k8s.io/v1", "Ingress", { spec: {} }))), [["spec", "FieldValueInvalid"]]);
  const bad = make("networking.k8s.io/v1", "Ingress", {
    spec: { rules: [{ host: "1.2.3.4", http: { paths: [{ path: "x", backend }, { path: "rel", pathType: "Exact", backend: { service: { name: "web", port: {} } } }] } }] },
  });
  assert.deepEqual(pairs(validateCreate(I, bad)), [
    ["spec.rules[0].host", "FieldValueInvalid"],
    ["spec.rules[0].http.paths[0].pathType", "FieldValueRequired"],
    ["spec.rules[0].http.paths[1].path", "FieldValueInvalid"],
    ["spec.rules[0].http.paths[1].backend", "FieldValueRequired"],
  ]);
});

test("network policy", () => {
  const NP = infoFor("networking.k8s.io/v1", "NetworkPolicy");
  assert.deepEqual(validateCreate(NP, make("networking.k8s.io/v1", "NetworkPolicy", { spec: { podSelector: {}, ingress: [{ from: [{ podSelector: {} }], ports: [{ port: 80 }] }] } })), []);
  const bad = make("networking.k8s.io/v1", "NetworkPolicy", {
    spec: { podSelector: {}, ingress: [{ from: [{}, { ipBlock: { cidr: "x" } }], ports: [{ port: 0, protocol: "ICMP" }] }], policyTypes: ["Sideways"] },
  });
  assert.deepEqual(pairs(validateCreate(NP, bad)), [
    ["spec.ingress[0].ports[0].protocol", "FieldValueNotSupported"],
    ["spec.ingress[0].ports[0].port", "FieldValueInvalid"],
    ["spec.ingress[0].from[0]", "FieldValueRequired"],
    ["spec.ingress[0].from[1].ipBlock.cidr", "FieldValueInvalid"],
    ["spec.policyTypes[0]", "FieldValueNotSupported"],
  ]);
});

test("endpoint slices", () => {
  const ES = infoFor("discovery.k8s.io/v1", "EndpointSlice");
  const ok = make("discovery.k8s.io/v1", "EndpointSlice", { addressType: "IPv4", endpoints: [{ addresses: ["10.42.0.5"] }], ports: [{ name: "http", port: 80 }] });
  assert.deepEqual(validateCreate(ES, ok), []);
  const bad = make("discovery.k8s.io/v1", "EndpointSlice", { addressType: "IPX", endpoints: [{ addresses: [] }] });
  assert.deepEqual(pairs(validateCreate(ES, bad)), [["addressType", "FieldValueNotSupported"], ["endpoints[0].addresses", "FieldValueRequired"]]);
  const v6 = structuredClone(ok);
  v6.addressType = "IPv6";
  assert.deepEqual(pairs(validateUpdate(ES, v6, ok)), [["endpoints[0].addresses[0]", "FieldValueInvalid"], ["addressType", "FieldValueInvalid"]]);
});

test("pod disruption budget", () => {
  const PDB = infoFor("policy/v1", "PodDisruptionBudget");
  assert.deepEqual(validateCreate(PDB, make("policy/v1", "PodDisruptionBudget", { spec: { minAvailable: "50%", selector: { matchLabels: { a: "b" } } } })), []);
  const both = validateCreate(PDB, make("policy/v1", "PodDisruptionBudget", { spec: { minAvailable: 1, maxUnavailable: "200%" } }));
  assert.deepEqual(pairs(both), [["spec", "FieldValueInvalid"], ["spec.maxUnavailable", "FieldValueInvalid"]]);
  assert.equal(both[0].detail, "minAvailable and maxUnavailable cannot be both set");
});

test("storage class and priority class", () => {
  const SC = infoFor("storage.k8s.io/v1", "StorageClass");
  assert.deepEqual(validateCreate(SC, make("storage.k8s.io/v1", "StorageClass", { provisioner: "rancher.io/local-path" }, { name: "local" })), []);
  assert.deepEqual(pairs(validateCreate(SC, make("storage.k8s.io/v1", "StorageClass", { reclaimPolicy: "Recycle" }, { name: "s" }))), [
    ["provisioner", "FieldValueRequired"],
    ["reclaimPolicy", "FieldValueNotSupported"],
  ]);
  const old = make("storage.k8s.io/v1", "StorageClass", { provisioner: "a.io/b", parameters: { x: "1" } }, { name: "s" });
  const next = structuredClone(old);
  next.parameters = { x: "2" };
  assert.deepEqual(pairs(validateUpdate(SC, next, old)), [["parameters", "FieldValueForbidden"]]);

  const PC = infoFor("scheduling.k8s.io/v1", "PriorityClass");
  assert.deepEqual(validateCreate(PC, make("scheduling.k8s.io/v1", "PriorityClass", { value: 1000 }, { name: "high" })), []);
  assert.deepEqual(pairs(validateCreate(PC, make("scheduling.k8s.io/v1", "PriorityClass", { value: 2000000000 }, { name: "huge" }))), [["value", "FieldValueForbidden"]]);
  const sys = validateCreate(PC, make("scheduling.k8s.io/v1", "PriorityClass", { value: 1 }, { name: "system-mine" }));
  assert.deepEqual(pairs(sys), [["metadata.name", "FieldValueForbidden"]]);
  assert.match(sys[0].detail ?? "", /^priority class names with 'system-' prefix are reserved for system use only/);
  const pc = make("scheduling.k8s.io/v1", "PriorityClass", { value: 1 }, { name: "p" });
  const changed = structuredClone(pc);
  changed.value = 2;
  assert.deepEqual(pairs(validateUpdate(PC, changed, pc)), [["value", "FieldValueForbidden"]]);
});

test("horizontal pod autoscaler", () => {
  const H = infoFor("autoscaling/v2", "HorizontalPodAutoscaler");
  const ref = { apiVersion: "apps/v1", kind: "Deployment", name: "web" };
  assert.deepEqual(validateCreate(H, make("autoscaling/v2", "HorizontalPodAutoscaler", { spec: { scaleTargetRef: ref, maxReplicas: 5 } })), []);
  const bad = make("autoscaling/v2", "HorizontalPodAutoscaler", { spec: { scaleTargetRef: { kind: "Deployment" }, minReplicas: 0, maxReplicas: 0 } });
  assert.deepEqual(pairs(validateCreate(H, bad)), [
    ["spec.minReplicas", "FieldValueInvalid"],
    ["spec.maxReplicas", "FieldValueInvalid"],
    ["spec.scaleTargetRef.name", "FieldValueRequired"],
  ]);
  const inverted = make("autoscaling/v2", "HorizontalPodAutoscaler", { spec: { scaleTargetRef: ref, minReplicas: 5, maxReplicas: 2 } });
  assert.deepEqual(pairs(validateCreate(H, inverted)), [["spec.maxReplicas", "FieldValueInvalid"]]);
  const H1 = infoFor("autoscaling/v1", "HorizontalPodAutoscaler");
  assert.deepEqual(validateCreate(H1, make("autoscaling/v1", "HorizontalPodAutoscaler", { spec: { scaleTargetRef: ref, maxReplicas: 3, targetCPUUtilizationPercentage: 50 } })), []);
});

test("lease, quota and limit range", () => {
  const L = infoFor("coordination.k8s.io/v1", "Lease");
  assert.deepEqual(validateCreate(L, make("coordination.k8s.io/v1", "Lease", { spec: { holderIdentity: "me", leaseDurationSeconds: 15 } })), []);
  assert.deepEqual(pairs(validateCreate(L, make("coordination.k8s.io/v1", "Lease", { spec: { leaseDurationSeconds: 0 } }))), [["spec.leaseDurationSeconds", "FieldValueInvalid"]]);
  const RQ = infoFor("v1", "ResourceQuota");
  assert.deepEqual(validateCreate(RQ, make("v1", "ResourceQuota", { spec: { hard: { pods: "10", "requests.cpu": "4" } } })), []);
  assert.deepEqual(pairs(validateCreate(RQ, make("v1", "ResourceQuota", { spec: { hard: { pods: "-1", cpu: "x" } } }))), [
    ["spec.hard[pods]", "FieldValueInvalid"],
    ["spec.hard[cpu]", "FieldValueInvalid"],
  ]);
  const LR = infoFor("v1", "LimitRange");
  assert.deepEqual(validateCreate(LR, make("v1", "LimitRange", { spec: { limits: [{ type: "Container", max: { cpu: "2" }, min: { cpu: "100m" } }] } })), []);
  const inverted = validateCreate(LR, make("v1", "LimitRange", { spec: { limits: [{ type: "Container", max: { cpu: "1" }, min: { cpu: "2" } }] } }));
  assert.ok(inverted.some((e) => e.field === "spec.limits[0].min[cpu]" && e.detail === "min value 2 is greater than max value 1"));
});

test("kinds without specific rules still get metadata checks", () => {
  const CR = infoFor("apps/v1", "ControllerRevision");
  assert.deepEqual(pairs(validateCreate(CR, make("apps/v1", "ControllerRevision", { revision: 1 }))), [["data", "FieldValueRequired"]]);
  const SA = infoFor("v1", "ServiceAccount");
  assert.deepEqual(pairs(validateCreate(SA, make("v1", "ServiceAccount", {}, { name: "Bad" }))), [["metadata.name", "FieldValueInvalid"]]);
  const IC = infoFor("networking.k8s.io/v1", "IngressClass");
  assert.deepEqual(pairs(validateCreate(IC, make("networking.k8s.io/v1", "IngressClass", { spec: { controller: "nocontroller" } }))), [["spec.controller", "FieldValueInvalid"]]);
});

test("network policy ipBlock except and ingress class parameters", () => {
  const NP = infoFor("networking.k8s.io/v1", "NetworkPolicy");
  const np = make("networking.k8s.io/v1", "NetworkPolicy", {
    spec: { podSelector: {}, egress: [{ to: [{ ipBlock: { cidr: "10.0.0.0/8", except: ["10.1.0.0/16", "192.168.0.0/16"] } }] }] },
  });
  const errs = validateCreate(NP, np);
  assert.deepEqual(pairs(errs), [["spec.egress[0].to[0].ipBlock.except[1]", "FieldValueInvalid"]]);
  assert.equal(errs[0].detail, "must be a strict subset of `cidr`");
  const IC = infoFor("networking.k8s.io/v1", "IngressClass");
  const ic = make("networking.k8s.io/v1", "IngressClass", { spec: { controller: "example.com/ingress", parameters: { kind: "Cfg", name: "c", namespace: "x" } } });
  assert.deepEqual(pairs(validateCreate(IC, ic)), [["spec.parameters.namespace", "FieldValueForbidden"]]);
});
