/** runIsolated: results and errors cross the worker boundary. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { runIsolated } from "./isolated.ts";
import { selfSignedServingIsolated } from "./certs.ts";

const quantityUrl = new URL("./quantity.ts", import.meta.url).href;

test("runIsolated returns the function's result and reports its errors", async () => {
  const { serving } = await selfSignedServingIsolated("node-x");
  assert.match(serving.cert, /^-----BEGIN CERTIFICATE-----/);
  assert.match(serving.key, /PRIVATE KEY-----/);
  await assert.rejects(runIsolated(quantityUrl, "parseQuantity", ["not-a-quantity"]), /quantities must match/);
  await assert.rejects(runIsolated(quantityUrl, "noSuchExport", []), /is not a function/);
});
