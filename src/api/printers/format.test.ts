/** Tests of the shared cell formatters: human durations, selectors, lists and quantities. */

import { test } from "node:test";
import assert from "node:assert/strict";
import { formatLabels, formatLabelSelector, humanDuration, labelSelectorString, listWithMore, since } from "./format.ts";
import { canonicalQuantity } from "./quantity.ts";

const s = 1000;
const m = 60 * s;
const h = 60 * m;
const d = 24 * h;

test("humanDuration boundaries", () => {
  const cases: [number, string][] = [
    [-2 * s, "<invalid>"],
    [-1999, "0s"],
    [-1 * s, "0s"],
    [0, "0s"],
    [999, "0s"],
    [1 * s, "1s"],
    [45 * s, "45s"],
    [119 * s + 999, "119s"],
    [2 * m, "2m"],
    [2 * m + 1 * s, "2m1s"],
    [5 * m + 3 * s, "5m3s"],
    [9 * m + 59 * s, "9m59s"],
    [10 * m, "10m"],
    [10 * m + 30 * s, "10m"],
    [179 * m + 59 * s, "179m"],
    [3 * h, "3h"],
    [3 * h + 30 * m, "3h30m"],
    [7 * h + 59 * m, "7h59m"],
    [8 * h, "8h"],
    [8 * h + 30 * m, "8h"],
    [47 * h + 59 * m, "47h"],
    [48 * h, "2d"],
    [49 * h, "2d1h"],
    [7 * d + 23 * h, "7d23h"],
    [8 * d, "8d"],
    [8 * d + 5 * h, "8d"],
    [729 * d + 23 * h, "729d"],
    [730 * d, "2y"],
    [731 * d, "2y1d"],
    [730 * d + 45 * d, "2y45d"],
    [3 * 365 * d + 45 * d, "3y45d"],
    [8 * 365 * d - 1 * d, "7y364d"],
    [8 * 365 * d, "8y"],
    [10 * 365 * d + 100 * d, "10y"],
  ];
  for (const [ms, want] of cases) assert.equal(humanDuration(ms), want, `humanDuration(${ms})`);
});

test("since: unknown for unset timestamps", () => {
  const now = new Date("2024-01-01T00:10:00Z");
  assert.equal(since(undefined, now), "<unknown>");
  assert.equal(since("", now), "<unknown>");
  assert.equal(since("2024-01-01T00:05:00Z", now), "5m");
});

test("labels and selectors", () => {
  assert.equal(formatLabels(undefined), "<none>");
  assert.equal(formatLabels({ b: "2", a: "1" }), "a=1,b=2");
  assert.equal(formatLabelSelector(undefined), "<none>");
  assert.equal(formatLabelSelector({}), "<none>");
  assert.equal(
    formatLabelSelector({
      matchLabels: { tier: "web" },
      matchExpressions: [
        { key: "env", operator: "In", values: ["prod", "dev"] },
        { key: "zz", operator: "DoesNotExist" },
        { key: "beta", operator: "Exists" },
        { key: "os", operator: "NotIn", values: ["windows"] },
      ],
    }),
    "beta,env in (dev,prod),os notin (windows),tier=web,!zz",
  );
  assert.equal(labelSelectorString({ matchExpressions: [{ key: "a", operator: "Bogus" }] }), undefined);
  assert.equal(formatLabelSelector({ matchExpressions: [{ key: "a", operator: "In", values: [] }] }), "<error>");
});

test("listWithMore", () => {
  assert.equal(listWithMore([]), "<unset>");
  assert.equal(listWithMore(["a", "b", "c"]), "a,b,c");
  assert.equal(listWithMore(["a", "b", "c", "d", "e"]), "a,b,c + 2 more...");
});

test("canonical quantities", () => {
  const cases: [unknown, string][] = [
    [undefined, "0"],
    ["0", "0"],
    ["0Gi", "0"],
    ["1Gi", "1Gi"],
    ["1024Mi", "1Gi"],
    ["1536Mi", "1536Mi"],
    ["0.5Gi", "512Mi"],
    ["512", "512"],
    ["1000", "1k"],
    ["1500", "1500"],
    ["1200000", "1200k"],
    ["10000", "10k"],
    ["100m", "100m"],
    ["1000m", "1"],
    ["1.5", "1500m"],
    ["0.1", "100m"],
    ["2", "2"],
    [2, "2"],
    ["1e3", "1e3"],
    ["1000e0", "1e3"],
    ["1.5e3", "1500"],
    ["100M", "100M"],
    ["1000M", "1G"],
    ["0.5Ki", "512"],
    ["1.5Ki", "1536"],
    ["5Gi", "5Gi"],
    ["0.0000000001", "1n"],
    ["-1Gi", "-1Gi"],
  ];
  for (const [input, want] of cases) assert.equal(canonicalQuantity(input), want, `canonicalQuantity(${input})`);
});
