/**
 * Deployment controller (with the ReplicaSet controller) against a real
 * in-process apiserver with simulated nodes: initial rollout, rolling update
 * bounds, revisions, history pruning, rollback, Recreate, pause and
 * proportional scaling during a rollout.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { findResource } from "../../api/resources.ts";
import type { KObject } from "../../api/types.ts";
import { eventually, startControllerTestEnv, type ControllerTestEnv } from "../testing.ts";
import { replicaSetController } from "../replicaset/index.ts";
import { deploymentController } from "./index.ts";

const dRes = findResource("apps", "v1", "deployments")!;
const rsRes = findResource("apps", "v1", "replicasets")!;
const podsRes = findResource("", "v1", "pods")!;
const eventsRes = findResource("", "v1", "events")!;
const rev = "deployment.kubernetes.io/revision";

function deployment(name: string, replicas: number, image: string, extra: Record<string, unknown> = {}, annotations: Record<string, string> = {}): KObject {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name }, annotations }, spec: { containers: [{ name: "c", image }] } },
      ...extra,
    },
  };
}

const isReady = (p: KObject) => (p.status?.conditions ?? []).some((c: { type: string; status: string }) => c.type === "Ready" && c.status === "True");

describe("deployment controller", () => {
  let env: ControllerTestEnv;
  before(async () => {
    env = await startControllerTestEnv({ replicaset: replicaSetController, deployment: deploymentController }, { nodes: 3 });
  });
  after(async () => await env.stop());

  const dc = () => env.client.resource(dRes);
  const rss = async (app: string) => (await env.client.resource(rsRes).list("default", { labelSelector: `app=${app}` })).items;
  const pods = async (app: string) =>
    (await env.client.resource(podsRes).list("default", { labelSelector: `app=${app}` })).items.filter((p) => !p.metadata.deletionTimestamp);
  const image = (o: KObject) => o.spec.template.spec.containers[0].image;
  const setImage = (name: string, img: string) => dc().patch("default", name, "strategic", { spec: { template: { spec: { containers: [{ name: "c", image: img }] } } } });
  const complete = (name: string, replicas: number) =>
    eventually(`${name} complete`, async () => {
      const d = await dc().get("default", name);
      const s = d.status ?? {};
      const ok = s.observedGeneration === d.metadata.generation && s.updatedReplicas === replicas && s.replicas === replicas && s.availableReplicas === replicas;
      return ok ? d : undefined;
    }, 30_000);

  it("creates a ReplicaSet with pod-template-hash and N ready pods, with conditions", async () => {
    await dc().create("default", deployment("web", 3, "nginx:1"));
    const d = await complete("web", 3);
    const [rs] = await rss("web");
    const hash = rs.metadata.labels!["pod-template-hash"];
    assert.match(hash, /^[bcdfghjklmnpqrstvwxz2456789]+$/);
    assert.equal(rs.metadata.name, `web-${hash}`);
    assert.equal(rs.spec.selector.matchLabels["pod-template-hash"], hash);
    assert.equal(rs.spec.template.metadata.labels!["pod-template-hash"], hash);
    assert.equal(rs.metadata.annotations![rev], "1");
    assert.equal(rs.metadata.annotations!["deployment.kubernetes.io/desired-replicas"], "3");
    assert.equal(rs.metadata.annotations!["deployment.kubernetes.io/max-replicas"], "4");
    assert.deepEqual(rs.metadata.ownerReferences?.map((r) => [r.kind, r.uid, r.controller]), [["Deployment", d.metadata.uid, true]]);
    assert.equal(d.metadata.annotations?.[rev], "1");
    const ps = await pods("web");
    assert.equal(ps.filter(isReady).length, 3);
    assert.ok(ps.every((p) => p.metadata.labels?.["pod-template-hash"] === hash));
    const progressing = await eventually("progressed", async () => {
      const c = ((await dc().get("default", "web")).status?.conditions ?? []).find((c: { type: string }) => c.type === "Progressing");
      return c?.reason === "NewReplicaSetAvailable" ? c : undefined;
    });
    assert.equal(progressing.message, `ReplicaSet "${rs.metadata.name}" has successfully progressed.`);
    const available = (await dc().get("default", "web")).status.conditions.find((c: { type: string }) => c.type === "Available");
    assert.equal(available.status, "True");
    assert.equal(available.message, "Deployment has minimum availability.");
    await dc().patch("default", "web", "merge", { spec: { replicas: 2 } });
    await complete("web", 2);
    const scaling = await eventually("ScalingReplicaSet events", async () => {
      const evs = (await env.client.resource(eventsRes).list("default")).items.filter((e) => e.reason === "ScalingReplicaSet" && e.involvedObject?.name === "web");
      return evs.length >= 2 ? evs.map((e) => e.message as string).sort() : undefined;
    });
    assert.deepEqual(scaling, [`Scaled down replica set ${rs.metadata.name} to 2 from 3`, `Scaled up replica set ${rs.metadata.name} to 3`]);
    await dc().patch("default", "web", "merge", { spec: { replicas: 3 } });
    await complete("web", 3);
  });

  it("rolls out within maxSurge/maxUnavailable, then rolls back reusing the old ReplicaSet", async () => {
    const strategy = { type: "RollingUpdate", rollingUpdate: { maxSurge: 1, maxUnavailable: 1 } };
    await dc().create("default", deployment("roll", 4, "nginx:1", { strategy }, { "sim.tskube.io/ready-seconds": "0.5" }));
    await complete("roll", 4);
    const [rs1] = await rss("roll");

    let maxPods = 0;
    let minReady = Infinity;
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        const ps = await pods("roll");
        maxPods = Math.max(maxPods, ps.length);
        minReady = Math.min(minReady, ps.filter(isReady).length);
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    await setImage("roll", "nginx:2");
    const d = await complete("roll", 4);
    await eventually("old pods gone", async () => ((await pods("roll")).every((p) => p.spec.containers[0].image === "nginx:2") ? true : undefined));
    watching = false;
    await watcher;
    assert.ok(maxPods <= 5, `at most replicas + maxSurge pods (saw ${maxPods})`);
    assert.ok(minReady >= 3, `at least replicas - maxUnavailable ready (saw ${minReady})`);

    const all = await rss("roll");
    assert.equal(all.length, 2);
    const rs2 = all.find((r) => r.metadata.uid !== rs1.metadata.uid)!;
    const old = all.find((r) => r.metadata.uid === rs1.metadata.uid)!;
    assert.equal(old.spec.replicas, 0);
    assert.equal(old.metadata.annotations![rev], "1");
    assert.equal(rs2.metadata.annotations![rev], "2");
    assert.equal(image(rs2), "nginx:2");
    assert.equal(d.metadata.annotations?.[rev], "2");

    await setImage("roll", "nginx:1");
    const d3 = await complete("roll", 4);
    assert.equal(d3.metadata.annotations?.[rev], "3");
    const after3 = await rss("roll");
    assert.equal(after3.length, 2, "the old ReplicaSet is reused");
    const back = after3.find((r) => r.metadata.uid === rs1.metadata.uid)!;
    assert.equal(back.spec.replicas, 4);
    assert.equal(back.metadata.annotations![rev], "3");
    assert.equal(back.metadata.annotations!["deployment.kubernetes.io/revision-history"], "1");
    assert.equal(after3.find((r) => r.metadata.uid === rs2.metadata.uid)!.spec.replicas, 0);
  });

  it("prunes ReplicaSets beyond revisionHistoryLimit", async () => {
    await dc().create("default", deployment("hist", 1, "nginx:1", { revisionHistoryLimit: 1 }));
    await complete("hist", 1);
    for (const img of ["nginx:2", "nginx:3", "nginx:4"]) {
      await setImage("hist", img);
      await complete("hist", 1);
    }
    const left = await eventually("pruned", async () => {
      const l = await rss("hist");
      return l.length === 2 ? l : undefined;
    });
    assert.deepEqual(left.map((r) => r.metadata.annotations![rev]).sort(), ["3", "4"]);
    assert.equal((await dc().get("default", "hist")).metadata.annotations?.[rev], "4");
  });

  it("Recreate stops every old pod before starting new ones", async () => {
    await dc().create("default", deployment("rec", 3, "nginx:1", { strategy: { type: "Recreate" } }));
    await complete("rec", 3);
    let mixed = false;
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        const imgs = new Set((await env.client.resource(podsRes).list("default", { labelSelector: "app=rec" })).items.map((p) => p.spec.containers[0].image));
        if (imgs.size > 1) mixed = true;
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    await setImage("rec", "nginx:2");
    await complete("rec", 3);
    watching = false;
    await watcher;
    assert.equal(mixed, false, "old and new pods never coexist");
    assert.ok((await pods("rec")).every((p) => p.spec.containers[0].image === "nginx:2"));
    assert.equal((await dc().get("default", "rec")).metadata.annotations?.[rev], "2");
  });

  it("pause stops the rollout and resume continues it", async () => {
    await dc().create("default", deployment("pause", 2, "nginx:1"));
    await complete("pause", 2);
    await dc().patch("default", "pause", "merge", { spec: { paused: true } });
    const cond = await eventually("paused condition", async () => {
      const c = ((await dc().get("default", "pause")).status?.conditions ?? []).find((c: { type: string }) => c.type === "Progressing");
      return c?.reason === "DeploymentPaused" ? c : undefined;
    });
    assert.equal(cond.status, "Unknown");
    await setImage("pause", "nginx:2");
    await new Promise((r) => setTimeout(r, 700));
    assert.equal((await rss("pause")).length, 1, "no new ReplicaSet while paused");
    assert.ok((await pods("pause")).every((p) => p.spec.containers[0].image === "nginx:1"));
    await dc().patch("default", "pause", "merge", { spec: { paused: false } });
    await complete("pause", 2);
    await eventually("new pods", async () => ((await pods("pause")).every((p) => p.spec.containers[0].image === "nginx:2") ? true : undefined));
  });

  it("scales proportionally during a stuck rollout", async () => {
    const strategy = { type: "RollingUpdate", rollingUpdate: { maxSurge: 3, maxUnavailable: 2 } };
    await dc().create("default", deployment("prop", 10, "nginx:1", { strategy }));
    await complete("prop", 10);
    const [old] = await rss("prop");
    await dc().patch("default", "prop", "strategic", {
      spec: { template: { metadata: { annotations: { "sim.tskube.io/ready-seconds": "600" } }, spec: { containers: [{ name: "c", image: "nginx:2" }] } } },
    });
    const sizes = async () => {
      const l = await rss("prop");
      const o = l.find((r) => r.metadata.uid === old.metadata.uid)!;
      const n = l.find((r) => r.metadata.uid !== old.metadata.uid);
      return { old: o.spec.replicas, new: n?.spec.replicas };
    };
    await eventually("stuck at 8 old / 5 new", async () => {
      const s = await sizes();
      return s.old === 8 && s.new === 5 ? s : undefined;
    });
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(await sizes(), { old: 8, new: 5 });
    await dc().patch("default", "prop", "merge", { spec: { replicas: 30 } });
    const s = await eventually("proportionally scaled", async () => {
      const s = await sizes();
      return s.old + (s.new ?? 0) === 33 ? s : undefined;
    });
    assert.deepEqual(s, { old: 20, new: 13 });
  });
});
