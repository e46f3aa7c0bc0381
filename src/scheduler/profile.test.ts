import { test } from "node:test";
import assert from "node:assert/strict";
import { Snapshot } from "./framework/snapshot.ts";
import { buildFrameworks, defaultProfile, parseSchedulerConfig } from "./profile.ts";
import { makeNode, makePod, scoreAll } from "./testutil.ts";

const names = (refs?: { name: string }[]) => (refs ?? []).map((r) => r.name);

test("default profile: upstream plugin set per extension point and score weights", () => {
  const p = defaultProfile();
  assert.equal(p.schedulerName, "default-scheduler");
  assert.deepEqual(names(p.plugins.queueSort), ["PrioritySort"]);
  assert.deepEqual(names(p.plugins.preEnqueue), ["SchedulingGates"]);
  assert.deepEqual(names(p.plugins.filter), ["NodeUnschedulable", "NodeName", "TaintToleration", "NodeAffinity", "NodePorts", "NodeResourcesFit", "PodTopologySpread", "InterPodAffinity"]);
  assert.deepEqual(names(p.plugins.postFilter), ["DefaultPreemption"]);
  assert.deepEqual(
    Object.fromEntries((p.plugins.score ?? []).map((r) => [r.name, r.weight ?? 1])),
    { TaintToleration: 3, NodeAffinity: 2, NodeResourcesFit: 1, PodTopologySpread: 2, InterPodAffinity: 2, NodeResourcesBalancedAllocation: 1, ImageLocality: 1 },
  );
  assert.deepEqual(names(p.plugins.bind), ["DefaultBinder"]);
});

const yaml = `
apiVersion: kubescheduler.config.k8s.io/v1
kind: KubeSchedulerConfiguration
percentageOfNodesToScore: 30
profiles:
  - schedulerName: default-scheduler
  - schedulerName: bin-packing
    percentageOfNodesToScore: 100
    plugins:
      score:
        disabled:
          - name: ImageLocality
          - name: NodeResourcesBalancedAllocation
        enabled:
          - name: NodeResourcesFit
            weight: 5
      filter:
        disabled:
          - name: VolumeBinding
    pluginConfig:
      - name: NodeResourcesFit
        args:
          apiVersion: kubescheduler.config.k8s.io/v1
          kind: NodeResourcesFitArgs
          scoringStrategy:
            type: MostAllocated
            resources:
              - name: cpu
                weight: 1
              - name: memory
                weight: 1
`;

test("parses a KubeSchedulerConfiguration with multiple profiles and plugin args", () => {
  const cfg = parseSchedulerConfig(yaml);
  assert.equal(cfg.percentageOfNodesToScore, 30);
  assert.equal(cfg.podInitialBackoffSeconds, 1);
  assert.equal(cfg.podMaxBackoffSeconds, 10);
  assert.deepEqual(cfg.profiles.map((p) => p.schedulerName), ["default-scheduler", "bin-packing"]);
  const bp = cfg.profiles[1];
  assert.equal(bp.percentageOfNodesToScore, 100);
  const score = Object.fromEntries((bp.plugins.score ?? []).map((r) => [r.name, r.weight ?? 1]));
  assert.deepEqual(score, { NodeResourcesFit: 5, TaintToleration: 3, NodeAffinity: 2, PodTopologySpread: 2, InterPodAffinity: 2 });
  assert.equal(names(bp.plugins.score)[0], "NodeResourcesFit", "explicitly re-configured plugins come first");

  const fws = buildFrameworks(cfg.profiles);
  const snap = Snapshot.from([makeNode("busy"), makeNode("idle")], [makePod("x", { node: "busy", cpu: "2", memory: "8Gi" })]);
  const pod = makePod("p", { cpu: "1", memory: "1Gi" });
  const spread = scoreAll(fws.get("default-scheduler")!, pod, snap);
  const pack = scoreAll(fws.get("bin-packing")!, pod, snap);
  assert.ok(spread.idle > spread.busy, "LeastAllocated prefers the idle node");
  assert.ok(pack.busy > pack.idle, "MostAllocated prefers the busy node");
});

test("JSON input, multiPoint disable-all, and validation errors", () => {
  const cfg = parseSchedulerConfig(
    JSON.stringify({
      apiVersion: "kubescheduler.config.k8s.io/v1",
      kind: "KubeSchedulerConfiguration",
      profiles: [{ schedulerName: "minimal", plugins: { multiPoint: { disabled: [{ name: "*" }], enabled: [{ name: "PrioritySort" }, { name: "NodeName" }, { name: "DefaultBinder" }] } } }],
    }),
  );
  const p = cfg.profiles[0];
  assert.deepEqual(names(p.plugins.filter), ["NodeName"]);
  assert.deepEqual(names(p.plugins.score), []);
  assert.throws(() => parseSchedulerConfig("apiVersion: kubescheduler.config.k8s.io/v1beta3\nkind: KubeSchedulerConfiguration\n"), /apiVersion: Unsupported value/);
  assert.throws(() => parseSchedulerConfig({ profiles: [{ schedulerName: "a" }, { schedulerName: "a" }] }), /Duplicate value: "a"/);
  assert.throws(() => parseSchedulerConfig({ profiles: [{ plugins: { score: { enabled: [{ name: "NoSuchPlugin" }] } } }] }), /profiles\[0\]: plugin "NoSuchPlugin" does not exist/);
  assert.throws(() => parseSchedulerConfig({ percentageOfNodesToScore: 101 }), /not in valid range/);
  const warned = parseSchedulerConfig({ profiles: [{ plugins: { multiPoint: { enabled: [{ name: "VolumeBinding" }] } } }] });
  assert.equal(warned.warnings.length, 1);
});
