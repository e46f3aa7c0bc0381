/**
 * A CronJob scheduled every minute creates Jobs that run to completion on
 * simulated nodes (real server, real kubectl). Slow by nature (it waits for
 * the next minute boundary), so it runs in its own file, beside the others.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { startCluster, type Cluster } from "./harness.ts";

describe("CronJob every minute", { timeout: 180_000 }, () => {
  let c: Cluster;
  const ok = (args: string[]): string => {
    const r = c.kubectl(args);
    assert.equal(r.code, 0, `kubectl ${args.join(" ")}: ${r.stderr}`);
    return r.stdout;
  };

  before(async () => {
    c = await startCluster();
    await c.simNodes(["--count", "1"]);
  });
  after(async () => {
    await c?.stop();
  });

  it("creates a Job at the next minute, named after the scheduled time, which completes", async () => {
    ok(["create", "cronjob", "tick", "--image=busybox", "--schedule=*/1 * * * *", "--", "true"]);
    const deadline = Date.now() + 100_000;
    let jobs: { metadata: { name: string; annotations?: Record<string, string> }; status?: { succeeded?: number } }[] = [];
    while (Date.now() < deadline) {
      jobs = JSON.parse(ok(["get", "jobs", "-o", "json"])).items;
      if (jobs.some((j) => j.status?.succeeded === 1)) break;
      await new Promise((r) => setTimeout(r, 1000));
    }
    const done = jobs.find((j) => j.status?.succeeded === 1);
    assert.ok(done, `no completed Job from the CronJob: ${ok(["get", "cronjob,jobs,pods", "-o", "wide"])}`);
    const minutes = Number(done.metadata.name.replace(/^tick-/, ""));
    assert.ok(Number.isInteger(minutes) && Math.abs(minutes * 60_000 - Date.now()) < 180_000, `job name carries the scheduled minute: ${done.metadata.name}`);
    assert.ok(done.metadata.annotations?.["batch.kubernetes.io/cronjob-scheduled-timestamp"]);
    assert.match(ok(["get", "cronjob", "tick", "-o", "jsonpath={.status.lastScheduleTime}"]), /^\d{4}-\d\d-\d\dT\d\d:\d\d:00Z$/);
  });
});
