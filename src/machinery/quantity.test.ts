/** Tests for resource.Quantity parsing, canonical printing and arithmetic. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { errFormatWrong, parseQuantity, tryParseQuantity } from "./quantity.ts";

test("canonical string forms match upstream", () => {
  const cases: [string | number, string][] = [
    ["1000m", "1"],
    ["0.5", "500m"],
    ["1.5Gi", "1536Mi"],
    ["1Gi", "1Gi"],
    ["2048Mi", "2Gi"],
    ["1024", "1024"],
    ["1000", "1k"],
    ["1e3", "1e3"],
    ["12e6", "12e6"],
    ["0.1", "100m"],
    ["1.5", "1500m"],
    ["100m", "100m"],
    ["0", "0"],
    ["0Gi", "0"],
    ["-1", "-1"],
    ["+5", "5"],
    ["0.0000000001", "1n"],
    ["512", "512"],
    ["1023Ki", "1023Ki"],
    ["1.1Gi", "1181116006400m"],
    [100, "100"],
    [1.5, "1500m"],
  ];
  for (const [input, want] of cases) assert.equal(parseQuantity(input).toString(), want, String(input));
});

test("milliValue and value round up", () => {
  assert.equal(parseQuantity("1.5").value(), 2);
  assert.equal(parseQuantity("0.1m").milliValue(), 1);
  assert.equal(parseQuantity("250m").milliValue(), 250);
  assert.equal(parseQuantity("1Ki").value(), 1024);
  assert.equal(parseQuantity("1.5Gi").value(), 1610612736);
});

test("compare, add and sub are exact", () => {
  assert.equal(parseQuantity("1").cmp(parseQuantity("1000m")), 0);
  assert.equal(parseQuantity("1Gi").cmp(parseQuantity("1G")), 1);
  assert.equal(parseQuantity("100m").cmp(parseQuantity("0.2")), -1);
  assert.equal(parseQuantity("0.1").add(parseQuantity("0.2")).toString(), "300m");
  assert.equal(parseQuantity("1Gi").sub(parseQuantity("512Mi")).toString(), "512Mi");
  assert.equal(parseQuantity("1").sub(parseQuantity("2")).toString(), "-1");
});

test("invalid quantities throw upstream's message", () => {
  for (const bad of ["abc", "", "1Gb", "1KiB", " 1"]) assert.throws(() => parseQuantity(bad), { message: errFormatWrong }, bad);
  assert.equal(tryParseQuantity("x"), undefined);
  assert.equal(tryParseQuantity({}), undefined);
});

test("repeated parses give the same (shared, immutable) quantity; invalid input throws every time", () => {
  const a = parseQuantity("1500m");
  assert.equal(parseQuantity("1500m"), a);
  assert.equal(a.toString(), "1500m");
  assert.equal(parseQuantity("1.5").toString(), "1500m");
  assert.throws(() => parseQuantity("12x"));
  assert.throws(() => parseQuantity("12x"));
  for (let i = 1; i <= 5000; i++) assert.equal(parseQuantity(`${i}Ki`).value(), i * 1024, "past the cache bound too");
  assert.equal(parseQuantity("1500m").toString(), "1500m");
});
