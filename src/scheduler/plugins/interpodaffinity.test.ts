import { test } from "node:test";
import assert from "node:assert/strict";
import { Snapshot } from "../framework/snapshot.ts";
import { filterAll, frameworkWith, makeNode, makePod, scoreAll } from "../testutil.ts";
import { ERR_REASON_AFFINITY, ERR_REASON_ANTI_AFFINITY, ERR_REASON_EXISTING_ANTI_AFFINITY } from "./interpodaffinity.ts";

const Z = "topology.kubernetes.io/zone";
const H = "kubernetes.io/hostname";
const nodes = () => [makeNode("a", { labels: { [Z]: "z1" } }), makeNode("b", { labels: { [Z]: "z2" } }), makeNode("c", { labels: { [Z]: "z1" } })];
const fwk = () => frameworkWith({ preFilter: ["InterPodAffinity"], filter: ["InterPodAffinity"] });
const term = (key: string, labels: Record<string, string>) => ({ topologyKey: key, labelSelector: { matchLabels: labels } });

test("required affinity: only domains with a matching pod", () => {
  const snap = Snapshot.from(nodes(), [makePod("db", { node: "a", labels: { app: "db" } })]);
  const pod = makePod("p", { spec: { affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term(Z, { app: "db" })] } } } });
  assert.deepEqual(filterAll(fwk(), pod, snap), { a: "", b: ERR_REASON_AFFINITY, c: "" });
  const otherNs = makePod("p", { ns: "other", spec: pod.spec });
  assert.deepEqual(filterAll(fwk(), otherNs, snap), { a: ERR_REASON_AFFINITY, b: ERR_REASON_AFFINITY, c: ERR_REASON_AFFINITY });
});

test("required affinity to itself: the first pod of a group may go anywhere", () => {
  const snap = Snapshot.from(nodes());
  const pod = makePod("p", { labels: { app: "web" }, spec: { affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term(Z, { app: "web" })] } } } });
  assert.deepEqual(filterAll(fwk(), pod, snap), { a: "", b: "", c: "" });
});

test("required anti-affinity of the incoming pod", () => {
  const snap = Snapshot.from(nodes(), [makePod("w", { node: "a", labels: { app: "web" } })]);
  const pod = makePod("p", { spec: { affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term(H, { app: "web" })] } } } });
  assert.deepEqual(filterAll(fwk(), pod, snap), { a: ERR_REASON_ANTI_AFFINITY, b: "", c: "" });
});

test("existing pods' anti-affinity rejects the incoming pod in their domain", () => {
  const existing = makePod("e", { node: "a", spec: { affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term(Z, { security: "S1" })] } } } });
  const snap = Snapshot.from(nodes(), [existing]);
  assert.deepEqual(filterAll(fwk(), makePod("p", { labels: { security: "S1" } }), snap), { a: ERR_REASON_EXISTING_ANTI_AFFINITY, b: "", c: ERR_REASON_EXISTING_ANTI_AFFINITY });
  assert.deepEqual(filterAll(fwk(), makePod("q", { labels: { security: "S2" } }), snap), { a: "", b: "", c: "" });
});

test("namespaceSelector {} matches all namespaces", () => {
  const snap = Snapshot.from(nodes(), [makePod("db", { ns: "x", node: "b", labels: { app: "db" } })]);
  const t = { ...term(Z, { app: "db" }), namespaceSelector: {} };
  const pod = makePod("p", { spec: { affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [t] } } } });
  assert.deepEqual(filterAll(fwk(), pod, snap), { a: ERR_REASON_AFFINITY, b: "", c: ERR_REASON_AFFINITY });
});

test("preferred affinity and anti-affinity scoring, min-max normalized", () => {
  const snap = Snapshot.from(nodes(), [makePod("db", { node: "a", labels: { app: "db" } }), makePod("w", { node: "b", labels: { app: "web" } })]);
  const sf = frameworkWith({ preScore: ["InterPodAffinity"], score: ["InterPodAffinity"] });
  const pod = makePod("p", {
    spec: {
      affinity: {
        podAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 5, podAffinityTerm: term(Z, { app: "db" }) }] },
        podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 3, podAffinityTerm: term(H, { app: "db" }) }] },
      },
    },
  });
  // a: +5 (zone) -3 (host) = 2; b: 0; c: +5 -> normalized (min 0, max 5)
  assert.deepEqual(scoreAll(sf, pod, snap), { a: 40, b: 0, c: 100 });
});

test("existing pods' required affinity attracts matching incoming pods (hardPodAffinityWeight)", () => {
  const existing = makePod("e", { node: "b", spec: { affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term(Z, { app: "x" })] } } } });
  const snap = Snapshot.from(nodes(), [existing]);
  const sf = frameworkWith({ preScore: ["InterPodAffinity"], score: ["InterPodAffinity"] });
  assert.deepEqual(scoreAll(sf, makePod("p", { labels: { app: "x" } }), snap), { a: 0, b: 100, c: 0 });
});
