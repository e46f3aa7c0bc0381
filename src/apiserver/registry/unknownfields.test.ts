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
  const unknown = pruneUnknownFields("V1Deployment", obj);
  assert.deepEqual(unknown, ["metadata.bogus", "spec.template.spec.containers[1].imagee", "spec.template.spec.containers[1].env[0].valuee", "spec.extra"]);
  assert.equal("bogus" in obj.metadata, false);
  assert.equal("imagee" in obj.spec.template.spec.containers[1], false);
  assert.equal("extra" in obj.spec, false);
  assert.deepEqual(obj.spec.template.spec.containers[0], { name: "a", image: "busybox", resources: { limits: { cpu: "1" } } });
  assert.deepEqual(obj.spec.template.spec.nodeSelector, { disk: "ssd" });
});

it("names map entries by key", () => {
  const obj = { apiVersion: "v1", kind: "Secret", metadata: { name: "s", annotations: { k: "v" } }, data: { "a.b": "eA==" }, stringData: { x: "y" } };
  assert.deepEqual(pruneUnknownFields("V1Secret", obj), []);
  const cm = { apiVersion: "autoscaling/v2", kind: "HorizontalPodAutoscaler", metadata: { name: "h" }, spec: { scaleTargetRef: { kind: "Deployment", name: "d" }, maxReplicas: 2, metrics: [{ type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 50, bogus: 1 } } }] } };
  assert.deepEqual(pruneUnknownFields("V2HorizontalPodAutoscaler", cm), ["spec.metrics[0].resource.target.bogus"]);
});
