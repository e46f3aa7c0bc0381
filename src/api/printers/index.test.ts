/** Tests of the printer registry: every served kind, Age cells and the default table. */

import { test } from "node:test";
import assert from "node:assert/strict";
import { findResource, groupVersion, resources } from "../resources.ts";
import { humanDuration, tableCells, tableColumns } from "./index.ts";

const now = new Date("2024-06-01T12:00:00Z");

test("every served kind has a table whose rows align with its columns", () => {
  for (const info of resources) {
    const cols = tableColumns(info);
    const where = `${groupVersion(info)} ${info.kind}`;
    assert.ok(cols.length >= 2, where);
    const nameCols = cols.filter((c) => c.format === "name");
    assert.equal(nameCols.length, 1, `${where}: one name column`);
    assert.equal(nameCols[0].name, "Name", where);
    if (info.kind !== "Event") assert.equal(cols.indexOf(nameCols[0]), 0, `${where}: Name first`);
    for (const c of cols) {
      assert.ok(["string", "integer", "boolean", "date", "number"].includes(c.type), `${where} ${c.name}`);
      assert.ok(c.priority === 0 || c.priority === 1, `${where} ${c.name}`);
      assert.ok(c.description.length > 0, `${where} ${c.name}`);
    }
    // Minimal (and empty) objects must print without throwing.
    for (const obj of [{ metadata: { name: "x" } }, { metadata: { name: "x" }, spec: {}, status: {} }]) {
      const cells = tableCells(info, obj, now);
      assert.equal(cells.length, cols.length, where);
      const nameIdx = cols.indexOf(nameCols[0]);
      assert.equal(cells[nameIdx], "x", where);
      cols.forEach((c, i) => {
        if (c.type === "integer") assert.equal(typeof cells[i], "number", `${where} ${c.name}`);
      });
    }
  }
});

test("Age cells are human durations or <unknown>", () => {
  const info = findResource("", "v1", "configmaps")!;
  const at = (ts?: string) => tableCells(info, { metadata: { name: "c", creationTimestamp: ts } }, now)[2];
  assert.equal(at(undefined), "<unknown>");
  assert.equal(at("2024-06-01T11:59:15Z"), "45s");
  assert.equal(at("2024-05-30T09:00:00Z"), "2d3h");
});

test("kinds without a printer get Name and Created At", () => {
  const info = findResource("", "v1", "limitranges")!;
  assert.deepEqual(
    tableColumns(info).map((c) => [c.name, c.type, c.format, c.priority]),
    [
      ["Name", "string", "name", 0],
      ["Created At", "date", "", 0],
    ],
  );
  assert.deepEqual(tableCells(info, { metadata: { name: "limits", creationTimestamp: "2024-05-01T08:09:10.123Z" } }, now), [
    "limits",
    "2024-05-01T08:09:10Z",
  ]);
  assert.deepEqual(tableCells(info, { metadata: { name: "limits" } }, now), ["limits", "0001-01-01T00:00:00Z"]);
});

test("tableColumns returns copies", () => {
  const info = findResource("", "v1", "pods")!;
  tableColumns(info)[0].name = "changed";
  assert.equal(tableColumns(info)[0].name, "Name");
});

test("humanDuration is exported", () => {
  assert.equal(humanDuration(3 * 3600_000), "3h");
});
