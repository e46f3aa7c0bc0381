/**
 * Pod garbage collector against an in-process apiserver with a simulated
 * node: pods of a node that is gone are marked and force-deleted after the
 * quarantine, pods of live nodes stay, and only the newest finished pods
 * are kept beyond the threshold.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { findResource } from "../../api/resources.ts";
import type { KObject } from "../../api/types.ts";
import { eventually, startControllerTestEnv } from "../testing.ts";
import { newPodGC } from "./index.ts";

const podsRes = findResource("", "v1", "pods")!;

function pod(name: string, nodeName: string, annotations: Record<string, string> = {}): KObject {
  return { apiVersion: "v1", kind: "Pod", metadata: { name, namespace: "default", annotations }, spec: { nodeName, restartPolicy: "Never", containers: [{ name: "c", image: "busybox" }] } };
}

test("orphaned pods go after the quarantine; finished pods beyond the threshold go oldest first", async () => {
  const env = await startControllerTestEnv({ podgc: newPodGC({ periodMs: 100, quarantineMs: 600 }) }, { nodes: 1, bind: false, settings: { terminatedPodGCThreshold: 2 } });
  try {
    const pods = env.client.resource(podsRes);
    const seen: KObject[] = [];
    const watch = env.client.resource(podsRes).watch("default", {}, (ev) => {
      if (ev.object.metadata?.name === "lost") seen.push(ev.object);
    });
    await pods.create("default", pod("lost", "ghost-node"));
    await pods.create("default", pod("kept", "node-0"));
    const created = Date.now();
    await eventually("the orphaned pod deleted", async () => ((await pods.list("default")).items.some((p) => p.metadata.name === "lost") ? undefined : true));
    assert.ok(Date.now() - created >= 500, "not before the quarantine");
    const marked = seen.find((p) => p.status?.phase === "Failed");
    assert.ok(marked, "marked Failed before deletion");
    const cond = marked.status.conditions.find((c: { type: string }) => c.type === "DisruptionTarget");
    assert.deepEqual([cond?.status, cond?.reason, cond?.message], ["True", "DeletionByPodGC", "PodGC: node no longer exists"]);
    watch.stop();
    await watch.done.catch(() => undefined);
    assert.ok((await pods.get("default", "kept")).metadata.uid, "a pod of a live node stays");

    for (let i = 0; i < 4; i++) {
      await pods.create("default", pod(`done-${i}`, "node-0", { "sim.tskube.io/run-seconds": "0.1" }));
      await new Promise((r) => setTimeout(r, 1100)); // distinct creation seconds
    }
    const left = await eventually("two finished pods kept", async () => {
      const done = (await pods.list("default")).items.filter((p) => p.metadata.name!.startsWith("done-"));
      return done.length === 2 && done.every((p) => p.status?.phase === "Succeeded") ? done : undefined;
    }, 20_000);
    assert.deepEqual(left.map((p) => p.metadata.name).sort(), ["done-2", "done-3"]);
  } finally {
    await env.stop();
  }
});
