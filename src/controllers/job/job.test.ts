/**
 * Job controller tests against a real in-process apiserver with simulated
 * nodes: completions/parallelism, backoffLimit, Indexed jobs, suspend,
 * podFailurePolicy, activeDeadlineSeconds, plus the pure policy helpers.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { findResource } from "../../api/resources.ts";
import type { KObject } from "../../api/types.ts";
import { eventually, startControllerTestEnv, type ControllerTestEnv } from "../testing.ts";
import { jobController, setJobBackoffBase } from "./index.ts";
import { formatIndexes, matchPodFailurePolicy, parseIndexes } from "./policy.ts";

const jobsRes = findResource("batch", "v1", "jobs")!;
const podsRes = findResource("", "v1", "pods")!;

function job(name: string, spec: Record<string, unknown>, annotations: Record<string, string> = {}): KObject {
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: { name, namespace: "default" },
    spec: {
      ...spec,
      template: {
        metadata: { annotations: { "sim.tskube.io/run-seconds": "0.3", ...annotations } },
        spec: { restartPolicy: "Never", containers: [{ name: "c", image: "busybox" }] },
      },
    },
  };
}

const cond = (j: KObject, type: string): { status: string; reason?: string } | undefined =>
  (j.status?.conditions ?? []).find((c: { type: string }) => c.type === type);

describe("job controller", () => {
  let env: ControllerTestEnv;
  before(async () => {
    setJobBackoffBase(50);
    env = await startControllerTestEnv({ job: jobController }, { nodes: 2 });
  });
  after(async () => env.stop());

  const get = (name: string) => env.client.resource(jobsRes).get("default", name);
  const podsOf = async (name: string) =>
    (await env.client.resource(podsRes).list("default", { labelSelector: `batch.kubernetes.io/job-name=${name}` })).items;

  it("releases the tracking finalizer of pods whose Job is gone", async () => {
    await env.client.resource(jobsRes).create("default", job("orphaned", { completions: 1 }, { "sim.tskube.io/run-seconds": "30" }));
    const pod = await eventually("a tracked pod", async () => (await podsOf("orphaned")).find((p) => p.metadata.finalizers?.includes("batch.kubernetes.io/job-tracking")));
    await env.client.resource(jobsRes).delete("default", "orphaned", { propagationPolicy: "Orphan" });
    await eventually("the finalizer released", async () => {
      const p = await env.client.resource(podsRes).get("default", pod.metadata.name!);
      return p.metadata.finalizers?.includes("batch.kubernetes.io/job-tracking") ? undefined : true;
    });
  });

  it("runs completions=5 with parallelism=2, never more than 2 active", async () => {
    await env.client.resource(jobsRes).create("default", job("five", { completions: 5, parallelism: 2 }));
    let maxActive = 0;
    const done = await eventually(
      "job five complete",
      async () => {
        const pods = await podsOf("five");
        const running = pods.filter((p) => !["Succeeded", "Failed"].includes(p.status?.phase) && !p.metadata.deletionTimestamp).length;
        maxActive = Math.max(maxActive, running);
        const j = await get("five");
        return cond(j, "Complete")?.status === "True" ? j : undefined;
      },
      30_000,
    );
    assert.ok(maxActive <= 2, `max active ${maxActive}`);
    assert.equal(done.status.succeeded, 5);
    assert.equal(done.status.active ?? 0, 0);
    assert.ok(done.status.startTime && done.status.completionTime);
    const pods = await podsOf("five");
    assert.equal(pods.filter((p) => p.status?.phase === "Succeeded").length, 5);
    for (const p of pods) {
      assert.ok(!(p.metadata.finalizers ?? []).includes("batch.kubernetes.io/job-tracking"), "finalizer removed");
      assert.equal(p.metadata.ownerReferences?.[0]?.kind, "Job");
      assert.equal(p.metadata.ownerReferences?.[0]?.controller, true);
    }
  });

  it("lets a work queue's other pods finish once one succeeded", async () => {
    await env.client.resource(jobsRes).create("default", job("queue", { parallelism: 3 }, { "sim.tskube.io/run-seconds": "30" }));
    const running = await eventually("3 running pods", async () => {
      const ps = (await podsOf("queue")).filter((p) => p.status?.phase === "Running");
      return ps.length === 3 ? ps : undefined;
    });
    // One work item finishes early.
    const first = running[0];
    first.status = { ...first.status, phase: "Succeeded", conditions: [{ type: "Ready", status: "False" }] };
    await env.client.resource(podsRes).updateStatus("default", first);
    await eventually("the success counted", async () => ((await get("queue")).status?.succeeded === 1 ? true : undefined));
    await new Promise((r) => setTimeout(r, 500));
    const others = (await podsOf("queue")).filter((p) => p.metadata.name !== first.metadata.name);
    assert.equal(others.length, 2);
    assert.ok(others.every((p) => !p.metadata.deletionTimestamp && p.status?.phase === "Running"), "the running work items are left alone");
    const j = await get("queue");
    assert.equal(j.status.active, 2);
    assert.equal(cond(j, "Complete"), undefined, "not complete while pods still run");
    await env.client.resource(jobsRes).delete("default", "queue", { propagationPolicy: "Background" });
  });

  it("fails with BackoffLimitExceeded", async () => {
    await env.client.resource(jobsRes).create("default", job("bad", { backoffLimit: 2 }, { "sim.tskube.io/exit-code": "3" }));
    const j = await eventually("job bad failed", async () => {
      const j = await get("bad");
      return cond(j, "Failed")?.status === "True" ? j : undefined;
    }, 30_000);
    assert.equal(cond(j, "Failed")?.reason, "BackoffLimitExceeded");
    assert.equal(j.status.failed, 3);
  });

  it("runs an Indexed job with one pod per index", async () => {
    await env.client.resource(jobsRes).create("default", job("idx", { completions: 3, parallelism: 3, completionMode: "Indexed" }));
    const j = await eventually("indexed complete", async () => {
      const j = await get("idx");
      return cond(j, "Complete")?.status === "True" ? j : undefined;
    }, 30_000);
    assert.equal(j.status.completedIndexes, "0-2");
    assert.equal(j.status.succeeded, 3);
    const pods = await podsOf("idx");
    const idx = pods.map((p) => p.metadata.annotations!["batch.kubernetes.io/job-completion-index"]).sort();
    assert.deepEqual(idx, ["0", "1", "2"]);
    for (const p of pods) {
      const i = p.metadata.labels!["batch.kubernetes.io/job-completion-index"];
      assert.equal(p.spec.hostname, `idx-${i}`);
      assert.ok(p.metadata.name!.startsWith(`idx-${i}-`));
    }
  });

  it("fails at once on a FailJob podFailurePolicy rule", async () => {
    const spec = {
      backoffLimit: 5,
      podFailurePolicy: { rules: [{ action: "FailJob", onExitCodes: { operator: "In", values: [42] } }] },
    };
    await env.client.resource(jobsRes).create("default", job("pfp", spec, { "sim.tskube.io/exit-code": "42" }));
    const j = await eventually("pfp failed", async () => {
      const j = await get("pfp");
      return cond(j, "Failed")?.status === "True" ? j : undefined;
    }, 30_000);
    assert.equal(cond(j, "Failed")?.reason, "PodFailurePolicy");
    assert.equal(j.status.failed, 1);
  });

  it("suspends and resumes", async () => {
    await env.client.resource(jobsRes).create("default", job("sus", { suspend: true }));
    await eventually("suspended", async () => (cond(await get("sus"), "Suspended")?.status === "True" ? true : undefined));
    assert.equal((await podsOf("sus")).length, 0);
    await env.client.resource(jobsRes).patch("default", "sus", "merge", { spec: { suspend: false } });
    const j = await eventually("resumed and complete", async () => {
      const j = await get("sus");
      return cond(j, "Complete")?.status === "True" ? j : undefined;
    }, 30_000);
    assert.equal(cond(j, "Suspended")?.reason, "JobResumed");
  });

  it("fails with DeadlineExceeded: FailureTarget while its pods stop, then Failed with them counted", async () => {
    await env.client.resource(jobsRes).create("default", job("slow", { activeDeadlineSeconds: 1, parallelism: 2 }, { "sim.tskube.io/run-seconds": "60", "sim.tskube.io/stop-seconds": "1.5" }));
    const stopping = await eventually("failure target", async () => {
      const j = await get("slow");
      return cond(j, "FailureTarget")?.status === "True" ? j : undefined;
    }, 30_000);
    assert.equal(cond(stopping, "FailureTarget")?.reason, "DeadlineExceeded");
    assert.equal(cond(stopping, "Failed"), undefined, "not Failed while its pods are terminating");
    assert.equal(stopping.status.terminating, 2);
    assert.equal(stopping.status.active, 0);
    const j = await eventually("deadline", async () => {
      const j = await get("slow");
      return cond(j, "Failed")?.status === "True" ? j : undefined;
    }, 30_000);
    assert.equal(cond(j, "Failed")?.reason, "DeadlineExceeded");
    assert.equal(j.status.failed, 2, "the running pods count as failed");
    assert.equal(j.status.terminating, 0);
  });
});

describe("job policy helpers", () => {
  it("formats and parses completed indexes", () => {
    assert.equal(formatIndexes(new Set([0, 1, 2, 5, 7, 8])), "0-2,5,7-8");
    assert.deepEqual([...parseIndexes("0-2,5,7-8", 8)].sort(), [0, 1, 2, 5, 7]);
  });
  it("matches exit code and condition rules", () => {
    const j = { metadata: {}, spec: { podFailurePolicy: { rules: [
      { action: "Ignore", onPodConditions: [{ type: "DisruptionTarget" }] },
      { action: "Count", onExitCodes: { operator: "NotIn", values: [1] } },
    ] } } } as KObject;
    const pod = (code: number, conds: unknown[] = []) => ({ metadata: { name: "p", namespace: "d" }, status: { phase: "Failed", conditions: conds, containerStatuses: [{ name: "c", state: { terminated: { exitCode: code } } }] } }) as KObject;
    assert.equal(matchPodFailurePolicy(j, pod(2))?.action, "Count");
    assert.equal(matchPodFailurePolicy(j, pod(1)), undefined);
    assert.equal(matchPodFailurePolicy(j, pod(1, [{ type: "DisruptionTarget", status: "True" }]))?.action, "Ignore");
  });
});
