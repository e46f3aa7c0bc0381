/**
 * ReplicaSet and ReplicationController controllers against a real in-process
 * apiserver with simulated nodes: scale up and down, deletion ranking,
 * adoption, release, status and minReadySeconds.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { findResource } from "../../api/resources.ts";
import type { KObject } from "../../api/types.ts";
import { eventually, startControllerTestEnv, type ControllerTestEnv } from "../testing.ts";
import { replicaSetController, replicationControllerController } from "./index.ts";

const rsRes = findResource("apps", "v1", "replicasets")!;
const rcRes = findResource("", "v1", "replicationcontrollers")!;
const podsRes = findResource("", "v1", "pods")!;

function rs(name: string, replicas: number, labels: Record<string, string>, extra: Record<string, unknown> = {}): KObject {
  return {
    apiVersion: "apps/v1",
    kind: "ReplicaSet",
    metadata: { name },
    spec: {
      replicas,
      selector: { matchLabels: labels },
      template: { metadata: { labels }, spec: { containers: [{ name: "c", image: "nginx" }] } },
      ...extra,
    },
  };
}

describe("replicaset controller", () => {
  let env: ControllerTestEnv;
  before(async () => {
    env = await startControllerTestEnv({ replicaset: replicaSetController, replicationcontroller: replicationControllerController }, { nodes: 3 });
  });
  after(async () => await env.stop());

  const pods = async (sel: string): Promise<KObject[]> =>
    (await env.client.resource(podsRes).list("default", { labelSelector: sel })).items.filter((p) => !p.metadata.deletionTimestamp);
  const running = (ps: KObject[]) => ps.filter((p) => p.status?.phase === "Running");

  it("scales up to N running pods, writes status, and scales down", async () => {
    const rsc = env.client.resource(rsRes);
    const created = await rsc.create("default", rs("web", 3, { app: "web" }));
    const ps = await eventually("3 running pods", async () => {
      const ps = running(await pods("app=web"));
      return ps.length === 3 ? ps : undefined;
    });
    for (const p of ps) {
      assert.match(p.metadata.name!, /^web-[a-z0-9]{5}$/);
      const ref = p.metadata.ownerReferences?.[0];
      assert.deepEqual(ref, { apiVersion: "apps/v1", kind: "ReplicaSet", name: "web", uid: created.metadata.uid, controller: true, blockOwnerDeletion: true });
    }
    const st = await eventually("status", async () => {
      const s = (await rsc.get("default", "web")).status;
      return s?.readyReplicas === 3 && s?.availableReplicas === 3 ? s : undefined;
    });
    assert.equal(st.replicas, 3);
    assert.equal(st.fullyLabeledReplicas, 3);
    assert.equal(st.observedGeneration, 1);

    await rsc.patch("default", "web", "merge", { spec: { replicas: 1 } });
    await eventually("1 pod", async () => ((await pods("app=web")).length === 1 ? true : undefined));
    const s2 = await eventually("status after scale down", async () => {
      const o = await rsc.get("default", "web");
      return o.status?.replicas === 1 && o.status?.observedGeneration === 2 ? o.status : undefined;
    });
    assert.equal(s2.readyReplicas, 1);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal((await pods("app=web")).length, 1, "no extra pods created after scaling down");
  });

  it("adopts a matching orphan and deletes the not-ready pod first", async () => {
    const rsc = env.client.resource(rsRes);
    const created = await rsc.create("default", rs("adopt", 2, { app: "adopt" }));
    const before_ = await eventually("2 ready pods", async () => {
      const o = await rsc.get("default", "adopt");
      return o.status?.readyReplicas === 2 ? await pods("app=adopt") : undefined;
    });
    await env.client.resource(podsRes).create("default", {
      metadata: { name: "orphan", labels: { app: "adopt" }, annotations: { "sim.tskube.io/ready-seconds": "600" } },
      spec: { containers: [{ name: "c", image: "nginx" }] },
    });
    await eventually("orphan deleted", async () => ((await pods("app=adopt")).some((p) => p.metadata.name === "orphan") ? undefined : true));
    const after_ = await pods("app=adopt");
    assert.deepEqual(after_.map((p) => p.metadata.name).sort(), before_.map((p) => p.metadata.name).sort(), "the original ready pods survive");
    const events = await env.client.for("v1", "Event").list("default");
    const del = events.items.find((e) => e.involvedObject?.uid === created.metadata.uid && e.reason === "SuccessfulDelete");
    assert.equal(del?.message, "Deleted pod: orphan");
  });

  it("adopted orphans carry a controller reference", async () => {
    const rsc = env.client.resource(rsRes);
    await env.client.resource(podsRes).create("default", {
      metadata: { name: "lonely", labels: { app: "lonely" } },
      spec: { containers: [{ name: "c", image: "nginx" }] },
    });
    const created = await rsc.create("default", rs("lonely", 1, { app: "lonely" }));
    const p = await eventually("adopted", async () => {
      const p = await env.client.resource(podsRes).get("default", "lonely");
      return p.metadata.ownerReferences?.length ? p : undefined;
    });
    assert.deepEqual(p.metadata.ownerReferences, [{ apiVersion: "apps/v1", kind: "ReplicaSet", name: "lonely", uid: created.metadata.uid, controller: true, blockOwnerDeletion: true }]);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal((await pods("app=lonely")).length, 1, "the adopted pod counts; nothing created");
  });

  it("releases a pod whose labels stop matching and replaces it", async () => {
    const rsc = env.client.resource(rsRes);
    await rsc.create("default", rs("rel", 2, { app: "rel" }));
    const ps = await eventually("2 pods", async () => {
      const ps = await pods("app=rel");
      return ps.length === 2 ? ps : undefined;
    });
    const victim = ps[0].metadata.name!;
    await env.client.resource(podsRes).patch("default", victim, "merge", { metadata: { labels: { app: "elsewhere" } } });
    const released = await eventually("released", async () => {
      const p = await env.client.resource(podsRes).get("default", victim);
      return (p.metadata.ownerReferences ?? []).length === 0 ? p : undefined;
    });
    assert.equal(released.metadata.labels?.app, "elsewhere");
    await eventually("replacement", async () => ((await pods("app=rel")).length === 2 && !(await pods("app=rel")).some((p) => p.metadata.name === victim) ? true : undefined));
  });

  it("counts available replicas only after minReadySeconds", async () => {
    const rsc = env.client.resource(rsRes);
    await rsc.create("default", rs("slow", 2, { app: "slow" }, { minReadySeconds: 2 }));
    const s = await eventually("ready", async () => {
      const o = await rsc.get("default", "slow");
      return o.status?.readyReplicas === 2 ? o.status : undefined;
    });
    assert.notEqual(s.availableReplicas, 2, "not yet available right after ready");
    await eventually("available", async () => ((await rsc.get("default", "slow")).status?.availableReplicas === 2 ? true : undefined), 10_000);
  });

  it("runs ReplicationControllers with a map selector", async () => {
    const rcc = env.client.resource(rcRes);
    const created = await rcc.create("default", {
      metadata: { name: "legacy" },
      spec: { replicas: 2, selector: { app: "legacy" }, template: { metadata: { labels: { app: "legacy" } }, spec: { containers: [{ name: "c", image: "nginx" }] } } },
    });
    const ps = await eventually("2 running pods", async () => {
      const ps = running(await pods("app=legacy"));
      return ps.length === 2 ? ps : undefined;
    });
    assert.equal(ps[0].metadata.ownerReferences?.[0].kind, "ReplicationController");
    assert.equal(ps[0].metadata.ownerReferences?.[0].uid, created.metadata.uid);
    await eventually("rc status", async () => ((await rcc.get("default", "legacy")).status?.readyReplicas === 2 ? true : undefined));
    await rcc.patch("default", "legacy", "merge", { spec: { replicas: 0 } });
    await eventually("0 pods", async () => ((await pods("app=legacy")).length === 0 ? true : undefined));
  });
});
