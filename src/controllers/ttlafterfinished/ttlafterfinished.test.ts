/**
 * TTL-after-finished tests: expiry arithmetic, and against an in-process
 * apiserver a finished Job with ttlSecondsAfterFinished: 1 is deleted while
 * a running one and one without a TTL are kept.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { findResource } from "../../api/resources.ts";
import type { KObject } from "../../api/types.ts";
import { isNotFound, type ApiClient } from "../../client/index.ts";
import { eventually, startControllerTestEnv } from "../testing.ts";
import { timeLeftMs, ttlAfterFinishedController } from "./index.ts";

const jobsRes = findResource("batch", "v1", "jobs")!;

function stamp(ms = Date.now()): string {
  return new Date(ms).toISOString().replace(/\.\d+Z$/, "Z");
}

function job(name: string, ttl?: number): KObject {
  const labels = { job: name };
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: { name },
    spec: {
      ttlSecondsAfterFinished: ttl,
      selector: { matchLabels: labels },
      manualSelector: true,
      template: { metadata: { labels }, spec: { restartPolicy: "Never", containers: [{ name: "c", image: "busybox" }] } },
    },
  } as KObject;
}

/** Marks the Job Complete now; returns the (second-precision) finish time in ms. */
async function finish(c: ApiClient, name: string): Promise<number> {
  const cur = await c.resource(jobsRes).get("default", name);
  const now = stamp();
  cur.status = {
    ...(cur.status ?? {}),
    startTime: now,
    completionTime: now,
    succeeded: 1,
    conditions: [
      { type: "SuccessCriteriaMet", status: "True", lastProbeTime: now, lastTransitionTime: now },
      { type: "Complete", status: "True", lastProbeTime: now, lastTransitionTime: now },
    ],
  };
  await c.resource(jobsRes).updateStatus("default", cur);
  return Date.parse(now);
}

async function exists(c: ApiClient, name: string): Promise<boolean> {
  try {
    await c.resource(jobsRes).get("default", name);
    return true;
  } catch (err) {
    if (isNotFound(err)) return false;
    throw err;
  }
}

test("time left follows the finish condition and the TTL", () => {
  const t0 = Date.parse("2024-01-01T00:00:00Z");
  const j = { metadata: { name: "j" }, spec: { ttlSecondsAfterFinished: 10 }, status: {} } as KObject;
  assert.equal(timeLeftMs(j, t0), undefined, "running");
  j.status.conditions = [{ type: "Failed", status: "True", lastTransitionTime: "2024-01-01T00:00:00Z" }];
  assert.equal(timeLeftMs(j, t0 + 4000), 6000);
  assert.ok(timeLeftMs(j, t0 + 11_000)! < 0);
  delete j.spec.ttlSecondsAfterFinished;
  assert.equal(timeLeftMs(j, t0), undefined, "no TTL");
  j.spec.ttlSecondsAfterFinished = 0;
  j.metadata.deletionTimestamp = "2024-01-01T00:00:01Z";
  assert.equal(timeLeftMs(j, t0), undefined, "already deleting");
});

test("a finished job with ttlSecondsAfterFinished: 1 is deleted", async () => {
  const env = await startControllerTestEnv({ "ttl-after-finished": ttlAfterFinishedController }, { nodes: 1, bind: false });
  const c = env.client;
  try {
    await c.resource(jobsRes).create("default", job("short", 1));
    await c.resource(jobsRes).create("default", job("forever"));
    await c.resource(jobsRes).create("default", job("running", 0));
    const finished = await finish(c, "short");
    await finish(c, "forever");
    assert.equal(await exists(c, "short"), true);
    await eventually("expired job deleted", async () => ((await exists(c, "short")) ? undefined : true), 10_000);
    assert.ok(Date.now() >= finished + 1000, "deleted only after its TTL");
    assert.equal(await exists(c, "forever"), true);
    assert.equal(await exists(c, "running"), true);
  } finally {
    await env.stop();
  }
});
