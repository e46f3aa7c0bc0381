/**
 * Tests for unknown-field pruning: fields a kind does not have are removed in
 * place and reported with their dotted paths, through nested models, arrays
 * and maps; known fields and free-form values are left alone.
 */
import assert from "node:assert/strict";
import { it } from "node:test";
import { pruneUnknownFields } from "./unknownfields.ts";

it("removes and reports unknown fields with their paths", () => {
  const obj = {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "d", labels: { a: "b" }, bogus: 1 },
    spec: {
      replicas: 1,
      selector: { matchLabels: { a: "b" } },
      template: {
        metadata: { labels: { a: "b" } },
        spec: {
          containers: [
            { name: "a", image: "busybox", resources: { limits: { cpu: "1" } } },
            { name: "b", image: "busybox", imagee: "typo", env: [{ name: "X", value: "1", valuee: "2" }] },
          ],
          nodeSelector: { disk: "ssd" },
        },
      },
      extra: { nested: true },
    },
  };
  const { unknown, mismatch } = pruneUnknownFields("V1Deployment", obj);
  assert.equal(mismatch, undefined);
  assert.deepEqual(unknown, ["metadata.bogus", "spec.template.spec.containers[1].imagee", "spec.template.spec.containers[1].env[0].valuee", "spec.extra"]);
  assert.equal("bogus" in obj.metadata, false);
  assert.equal("imagee" in obj.spec.template.spec.containers[1], false);
  assert.equal("extra" in obj.spec, false);
  assert.deepEqual(obj.spec.template.spec.containers[0], { name: "a", image: "busybox", resources: { limits: { cpu: "1" } } });
  assert.deepEqual(obj.spec.template.spec.nodeSelector, { disk: "ssd" });
});

it("names map entries by key", () => {
  const obj = { apiVersion: "v1", kind: "Secret", metadata: { name: "s", annotations: { k: "v" } }, data: { "a.b": "eA==" }, stringData: { x: "y" } };
  assert.deepEqual(pruneUnknownFields("V1Secret", obj), { unknown: [] });
  const cm = { apiVersion: "autoscaling/v2", kind: "HorizontalPodAutoscaler", metadata: { name: "h" }, spec: { scaleTargetRef: { kind: "Deployment", name: "d" }, maxReplicas: 2, metrics: [{ type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 50, bogus: 1 } } }] } };
  assert.deepEqual(pruneUnknownFields("V2HorizontalPodAutoscaler", cm).unknown, ["spec.metrics[0].resource.target.bogus"]);
});

it("finds the first value of the wrong JSON type, named as Go's decoder names it", () => {
  const job = (spec: Record<string, unknown>, labels: Record<string, unknown> = { a: "b" }) => ({
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: { name: "j" },
    spec: { template: { metadata: { labels }, spec: { restartPolicy: "Never", containers: [{ name: "c", image: "i" }] } }, ...spec },
  });
  assert.deepEqual(pruneUnknownFields("V1Job", job({}, { x: true })).mismatch, { struct: "ObjectMeta", field: "spec.template.metadata.labels", found: "bool", want: "string" });
  assert.deepEqual(pruneUnknownFields("V1Job", job({ parallelism: "2" })).mismatch, { struct: "JobSpec", field: "spec.parallelism", found: "string", want: "int32" });
  assert.deepEqual(pruneUnknownFields("V1Job", job({ template: "x" })).mismatch, { struct: "JobSpec", field: "spec.template", found: "string", want: "PodTemplateSpec" });
  const containers = job({});
  (containers.spec.template as { spec: Record<string, unknown> }).spec.containers = [{ name: "c", image: "i", args: ["a", 1] }];
  assert.deepEqual(pruneUnknownFields("V1Job", containers).mismatch, { struct: "Container", field: "spec.template.spec.containers.args", found: "number", want: "string" });
  assert.equal(pruneUnknownFields("V1Job", job({ parallelism: 2, suspend: false, backoffLimit: null })).mismatch, undefined, "null is fine anywhere");
  const quantities = { apiVersion: "v1", kind: "LimitRange", metadata: { name: "l" }, spec: { limits: [{ type: "Container", max: { cpu: 1, memory: "1Gi" } }] } };
  assert.equal(pruneUnknownFields("V1LimitRange", quantities).mismatch, undefined);
  const deploy = { apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "d" }, spec: { strategy: { rollingUpdate: { maxSurge: 1, maxUnavailable: "25%" } } } };
  assert.equal(pruneUnknownFields("V1Deployment", deploy).mismatch, undefined, "IntOrString takes both");
});
