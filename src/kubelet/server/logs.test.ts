/**
 * streamLogs against files on disk: following a container whose log file
 * does not exist yet waits for it (a just-created container) and ends when
 * the container stops; without follow a missing file is an empty log.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { appendFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { streamLogs } from "./logs.ts";

function collect(): { out: PassThrough; text: () => string } {
  const out = new PassThrough();
  let text = "";
  out.on("data", (d) => (text += d));
  return { out, text: () => text };
}

test("follow waits for a log file that appears after the request, and ends when the container stops", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "tskube-logs-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, "0.log");
  let running = true;
  const { out, text } = collect();
  const started = Date.now();
  const done = streamLogs({ path, isRunning: async () => running }, { follow: true }, out, new AbortController().signal);
  setTimeout(() => appendFileSync(path, "2026-11-22T08:29:40Z stdout F first\n"), 300);
  setTimeout(() => appendFileSync(path, "2026-11-22T08:29:41Z stdout F second\n"), 600);
  setTimeout(() => (running = false), 900);
  await done;
  assert.equal(text(), "first\nsecond\n");
  assert.ok(Date.now() - started < 5000);
});

test("a missing log file is empty without follow, and when the container is gone", async () => {
  const path = join(tmpdir(), `tskube-logs-missing-${process.pid}.log`);
  const a = collect();
  await streamLogs({ path, isRunning: async () => true }, {}, a.out, new AbortController().signal);
  assert.equal(a.text(), "");
  const b = collect();
  await streamLogs({ path, isRunning: async () => false }, { follow: true }, b.out, new AbortController().signal);
  assert.equal(b.text(), "");
});

test("follow on a missing file stops when the client goes away", async () => {
  const path = join(tmpdir(), `tskube-logs-missing2-${process.pid}.log`);
  const ac = new AbortController();
  const { out } = collect();
  setTimeout(() => ac.abort(), 300);
  const t0 = Date.now();
  await streamLogs({ path, isRunning: async () => true }, { follow: true }, out, ac.signal);
  assert.ok(Date.now() - t0 < 2000);
});
