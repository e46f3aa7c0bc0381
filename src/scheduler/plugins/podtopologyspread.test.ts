/** Tests for PodTopologySpread: hard and soft constraints, defaults, and the memoised minimum. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { CycleState } from "../framework/cycle_state.ts";
import { Snapshot } from "../framework/snapshot.ts";
import { filterAll, frameworkWith, makeNode, makePod, scoreAll } from "../testutil.ts";
import { ERR_REASON_CONSTRAINTS_NOT_MATCH, ERR_REASON_NODE_LABEL_NOT_MATCH } from "./podtopologyspread.ts";

const Z = "topology.kubernetes.io/zone";
const web = { app: "web" };
const tsc = (key: string, when: string, maxSkew = 1, extra: Record<string, unknown> = {}) => ({ maxSkew, topologyKey: key, whenUnsatisfiable: when, labelSelector: { matchLabels: web }, ...extra });

test("hard constraint: skew against the emptiest domain; missing label is unresolvable", () => {
  const snap = Snapshot.from(
    [makeNode("a", { labels: { [Z]: "z1" } }), makeNode("b", { labels: { [Z]: "z2" } }), makeNode("c")],
    [makePod("w1", { node: "a", labels: web }), makePod("w2", { node: "a", labels: web }), makePod("o", { node: "b", labels: { app: "other" } })],
  );
  const fwk = frameworkWith({ preFilter: ["PodTopologySpread"], filter: ["PodTopologySpread"] });
  const pod = makePod("p", { labels: web, spec: { topologySpreadConstraints: [tsc(Z, "DoNotSchedule")] } });
  assert.deepEqual(filterAll(fwk, pod, snap), { a: ERR_REASON_CONSTRAINTS_NOT_MATCH, b: "", c: ERR_REASON_NODE_LABEL_NOT_MATCH });
  const loose = makePod("p", { labels: web, spec: { topologySpreadConstraints: [tsc(Z, "DoNotSchedule", 3)] } });
  assert.deepEqual(filterAll(fwk, loose, snap), { a: "", b: "", c: ERR_REASON_NODE_LABEL_NOT_MATCH });
  const minDomains = makePod("p", { labels: web, spec: { topologySpreadConstraints: [tsc(Z, "DoNotSchedule", 2, { minDomains: 3 })] } });
  assert.deepEqual(filterAll(fwk, minDomains, snap), { a: ERR_REASON_CONSTRAINTS_NOT_MATCH, b: "", c: ERR_REASON_NODE_LABEL_NOT_MATCH });
});

test("hard constraint honours node affinity when counting domains (nodeAffinityPolicy Honor)", () => {
  const snap = Snapshot.from([makeNode("a", { labels: { [Z]: "z1" } }), makeNode("b", { labels: { [Z]: "z2", skip: "y" } })], [makePod("w1", { node: "a", labels: web })]);
  const fwk = frameworkWith({ preFilter: ["PodTopologySpread"], filter: ["PodTopologySpread"] });
  const pod = makePod("p", {
    labels: web,
    spec: {
      topologySpreadConstraints: [tsc(Z, "DoNotSchedule")],
      affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: "skip", operator: "DoesNotExist" }] }] } } },
    },
  });
  // z2 is not an eligible domain, so the minimum is z1's count (1): skew on a = 1 + 1 - 1 = 1.
  assert.deepEqual(filterAll(fwk, pod, snap).a, "");
});

test("soft constraint scoring on hostname", () => {
  const snap = Snapshot.from(
    [makeNode("a"), makeNode("b"), makeNode("c")],
    [makePod("w1", { node: "a", labels: web }), makePod("w2", { node: "a", labels: web }), makePod("w3", { node: "b", labels: web })],
  );
  const sf = frameworkWith({ preScore: ["PodTopologySpread"], score: ["PodTopologySpread"] });
  const pod = makePod("p", { labels: web, spec: { topologySpreadConstraints: [tsc("kubernetes.io/hostname", "ScheduleAnyway")] } });
  assert.deepEqual(scoreAll(sf, pod, snap), { a: 0, b: 33, c: 100 });
});

test("system default constraints apply to workload-owned pods only", () => {
  const snap = Snapshot.from([makeNode("a"), makeNode("b")], [makePod("x1", { node: "a", labels: { app: "x" }, ownerKind: "ReplicaSet" })]);
  const sf = frameworkWith({ preScore: ["PodTopologySpread"], score: ["PodTopologySpread"] });
  assert.deepEqual(scoreAll(sf, makePod("p", { labels: { app: "x" }, ownerKind: "ReplicaSet" }), snap), { a: 66, b: 100 });
  assert.deepEqual(scoreAll(sf, makePod("q", { labels: { app: "x" } }), snap), { a: 0, b: 0 });
});

test("hard constraint: the memoised minimum follows AddPod during preemption dry runs", () => {
  const snap = Snapshot.from([makeNode("a", { labels: { [Z]: "z1" } }), makeNode("b", { labels: { [Z]: "z2" } })], [makePod("w1", { node: "a", labels: web })]);
  const fwk = frameworkWith({ preFilter: ["PodTopologySpread"], filter: ["PodTopologySpread"] });
  fwk.snapshot = snap;
  const pod = makePod("p", { labels: web, spec: { topologySpreadConstraints: [tsc(Z, "DoNotSchedule")] } });
  const state = new CycleState();
  assert.equal(fwk.runPreFilterPlugins(state, pod, snap.nodeInfoList).status, undefined);
  const [a, b] = [snap.get("a")!, snap.get("b")!];
  assert.equal(fwk.runFilterPlugins(state, pod, a)?.message(), ERR_REASON_CONSTRAINTS_NOT_MATCH);
  const w2 = makePod("w2", { node: "b", labels: web });
  const b2 = b.clone();
  b2.addPod(w2);
  assert.equal(fwk.runPreFilterExtensionAddPod(state, pod, w2, b2), undefined);
  assert.equal(fwk.runFilterPlugins(state, pod, a), undefined);
});

test("hard constraint: a domain counted in one cycle does not linger into the next (nor into a state's clone)", () => {
  const H = "kubernetes.io/hostname";
  const fwk = frameworkWith({ preFilter: ["PodTopologySpread"], filter: ["PodTopologySpread"] });
  const pod = makePod("p", { labels: web, spec: { topologySpreadConstraints: [tsc(H, "DoNotSchedule")] } });
  const placed = [makePod("w1", { node: "a", labels: web }), makePod("w2", { node: "b", labels: web })];
  const three = Snapshot.from([makeNode("a"), makeNode("b"), makeNode("c")], placed);
  assert.deepEqual(filterAll(fwk, pod, three), { a: ERR_REASON_CONSTRAINTS_NOT_MATCH, b: ERR_REASON_CONSTRAINTS_NOT_MATCH, c: "" });
  const two = Snapshot.from([makeNode("a"), makeNode("b")], placed);
  assert.deepEqual(filterAll(fwk, pod, two), { a: "", b: "" }, "node c is gone: the minimum is 1, not c's 0");

  fwk.snapshot = three;
  const state = new CycleState();
  assert.equal(fwk.runPreFilterPlugins(state, pod, three.nodeInfoList).status, undefined);
  const copy = state.clone();
  const c2 = three.get("c")!.clone();
  const w3 = makePod("w3", { node: "c", labels: web });
  c2.addPod(w3);
  assert.equal(fwk.runPreFilterExtensionAddPod(copy, pod, w3, c2), undefined);
  assert.equal(fwk.runFilterPlugins(copy, pod, three.get("a")!), undefined, "in the copy every domain has one pod");
  assert.equal(fwk.runFilterPlugins(state, pod, three.get("a")!)?.message(), ERR_REASON_CONSTRAINTS_NOT_MATCH, "the original is unchanged");
});
