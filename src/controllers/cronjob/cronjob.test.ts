/**
 * CronJob controller tests against a real in-process apiserver with an
 * injected FakeClock (stepping it fires the controller's requeue to the next
 * schedule time): Job creation and naming, concurrency policies, history
 * limits and status. No Job controller runs; tests finish Jobs by writing
 * their status.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { findResource } from "../../api/resources.ts";
import type { KObject } from "../../api/types.ts";
import { FakeClock } from "../../client/index.ts";
import { eventually, startControllerTestEnv, type ControllerTestEnv } from "../testing.ts";
import { newCronJobController, scheduledTimestampAnnotation } from "./index.ts";

const cjRes = findResource("batch", "v1", "cronjobs")!;
const jobsRes = findResource("batch", "v1", "jobs")!;

function cronJob(name: string, spec: Record<string, unknown> = {}): KObject {
  return {
    apiVersion: "batch/v1",
    kind: "CronJob",
    metadata: { name, namespace: "default" },
    spec: {
      schedule: "* * * * *",
      jobTemplate: {
        metadata: { labels: { cron: name } },
        spec: { template: { spec: { restartPolicy: "Never", containers: [{ name: "c", image: "busybox" }] } } },
      },
      ...spec,
    },
  };
}

describe("cronjob controller", () => {
  let env: ControllerTestEnv;
  // Start the fake clock at real time so creationTimestamps (set by the apiserver) line up.
  const clock = new FakeClock(Date.now());
  before(async () => {
    env = await startControllerTestEnv({ cronjob: newCronJobController({ clock }) }, { nodes: 1, bind: false });
  });
  after(async () => env.stop());

  const jobsOf = async (name: string) =>
    (await env.client.resource(jobsRes).list("default", { labelSelector: `cron=${name}` })).items
      .filter((j) => !j.metadata.deletionTimestamp)
      .sort((a, b) => a.metadata.name!.localeCompare(b.metadata.name!));
  const minute = async (): Promise<void> => {
    clock.step(60_000);
    await new Promise((r) => setTimeout(r, 20));
  };
  const finish = async (j: KObject, type: "Complete" | "Failed"): Promise<void> => {
    const now = new Date(clock.now()).toISOString().replace(/\.\d+Z$/, "Z");
    const conds =
      type === "Complete"
        ? [{ type: "SuccessCriteriaMet", status: "True" }, { type: "Complete", status: "True" }]
        : [{ type: "FailureTarget", status: "True" }, { type: "Failed", status: "True" }];
    await env.client.resource(jobsRes).patch("default", j.metadata.name!, "merge", {
      status: { startTime: now, ...(type === "Complete" ? { completionTime: now, succeeded: 1 } : { failed: 1 }), conditions: conds.map((c) => ({ ...c, lastTransitionTime: now })) },
    }, { subresource: "status" });
  };

  it("creates a Job per schedule time with upstream naming and status", async () => {
    await env.client.resource(cjRes).create("default", cronJob("every"));
    await new Promise((r) => setTimeout(r, 200));
    assert.equal((await jobsOf("every")).length, 0, "no job before the first schedule time");
    await minute();
    const [j] = await eventually("first job", async () => {
      const js = await jobsOf("every");
      return js.length === 1 ? js : undefined;
    });
    const scheduled = Math.floor(clock.now() / 60_000) * 60_000;
    assert.equal(j.metadata.name, `every-${scheduled / 60_000}`);
    assert.equal(j.metadata.annotations![scheduledTimestampAnnotation], new Date(scheduled).toISOString().replace(".000Z", "Z"));
    assert.equal(j.metadata.ownerReferences![0].kind, "CronJob");
    const cj = await eventually("status", async () => {
      const c = await env.client.resource(cjRes).get("default", "every");
      return c.status?.active?.length === 1 ? c : undefined;
    });
    assert.equal(Date.parse(cj.status.lastScheduleTime), scheduled);
    await minute();
    await eventually("second job (Allow)", async () => ((await jobsOf("every")).length === 2 ? true : undefined));
    await env.client.resource(cjRes).patch("default", "every", "merge", { spec: { suspend: true } });
  });

  it("Forbid skips while a Job is active; Replace replaces it", async () => {
    await env.client.resource(cjRes).create("default", cronJob("forbid", { concurrencyPolicy: "Forbid" }));
    await env.client.resource(cjRes).create("default", cronJob("replace", { concurrencyPolicy: "Replace" }));
    await new Promise((r) => setTimeout(r, 200));
    await minute();
    await eventually("first jobs", async () => ((await jobsOf("forbid")).length === 1 && (await jobsOf("replace")).length === 1 ? true : undefined));
    const firstReplace = (await jobsOf("replace"))[0].metadata.name;
    await minute();
    await eventually("replaced", async () => {
      const js = await jobsOf("replace");
      return js.length === 1 && js[0].metadata.name !== firstReplace ? true : undefined;
    });
    assert.equal((await jobsOf("forbid")).length, 1, "Forbid must not start a second job");
    await finish((await jobsOf("forbid"))[0], "Complete");
    // As upstream, the skipped (still most recent) schedule time starts once the active Job is done.
    await eventually("forbid runs the skipped time", async () => {
      const c = await env.client.resource(cjRes).get("default", "forbid");
      return c.status?.lastSuccessfulTime && (await jobsOf("forbid")).length === 2 ? true : undefined;
    });
    for (const n of ["forbid", "replace"]) await env.client.resource(cjRes).patch("default", n, "merge", { spec: { suspend: true } });
  });

  it("keeps only successfulJobsHistoryLimit / failedJobsHistoryLimit finished Jobs", async () => {
    await env.client.resource(cjRes).create("default", cronJob("hist", { successfulJobsHistoryLimit: 1, failedJobsHistoryLimit: 1 }));
    await new Promise((r) => setTimeout(r, 200));
    for (let i = 1; i <= 4; i++) {
      await minute();
      const name = `hist-${Math.floor(clock.now() / 60_000)}`;
      const newest = await eventually(`job ${i}`, async () => (await jobsOf("hist")).find((j) => j.metadata.name === name));
      await finish(newest, i === 1 ? "Failed" : "Complete");
    }
    // The fake clock runs ahead of the apiserver's creationTimestamp, so a catch-up Job may also exist (unfinished).
    const js = await eventually("history pruned", async () => {
      const js = (await jobsOf("hist")).filter((j) => j.status?.conditions?.length);
      return js.length === 2 ? js : undefined;
    });
    const states = js.map((j) => (j.status.conditions.find((c: { type: string }) => c.type === "Failed") ? "Failed" : "Complete")).sort();
    assert.deepEqual(states, ["Complete", "Failed"]);
  });

  it("does not run while suspended", async () => {
    await env.client.resource(cjRes).create("default", cronJob("sus", { suspend: true }));
    await new Promise((r) => setTimeout(r, 200));
    await minute();
    await minute();
    await new Promise((r) => setTimeout(r, 300));
    assert.equal((await jobsOf("sus")).length, 0);
  });
});
