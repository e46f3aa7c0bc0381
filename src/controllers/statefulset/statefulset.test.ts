/**
 * StatefulSet controller tests against a real in-process apiserver with
 * simulated nodes: ordered creation (each pod Ready before the next), PVCs
 * from volumeClaimTemplates, reverse-order scale down, rolling update with a
 * partition, Parallel management and status.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { findResource } from "../../api/resources.ts";
import type { KObject } from "../../api/types.ts";
import { eventually, startControllerTestEnv, type ControllerTestEnv } from "../testing.ts";
import { statefulSetController } from "./index.ts";

const setsRes = findResource("apps", "v1", "statefulsets")!;
const podsRes = findResource("", "v1", "pods")!;
const pvcRes = findResource("", "v1", "persistentvolumeclaims")!;

function sts(name: string, spec: Record<string, unknown> = {}, image = "nginx:1"): KObject {
  return {
    apiVersion: "apps/v1",
    kind: "StatefulSet",
    metadata: { name, namespace: "default" },
    spec: {
      replicas: 3,
      serviceName: name,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name }, annotations: { "sim.tskube.io/ready-seconds": "0.3" } },
        spec: { containers: [{ name: "c", image }] },
      },
      ...spec,
    },
  };
}

describe("statefulset controller", () => {
  let env: ControllerTestEnv;
  before(async () => {
    env = await startControllerTestEnv({ statefulset: statefulSetController }, { nodes: 2 });
  });
  after(async () => env.stop());

  const pods = async (app: string) =>
    (await env.client.resource(podsRes).list("default", { labelSelector: `app=${app}` })).items.sort((a, b) =>
      a.metadata.name!.localeCompare(b.metadata.name!),
    );
  const ready = (p: KObject): boolean => (p.status?.conditions ?? []).some((c: { type: string; status: string }) => c.type === "Ready" && c.status === "True");
  const getSet = () => env.client.resource(setsRes).get("default", "web");

  it("creates web-0..2 in order, each Ready before the next, with PVCs", async () => {
    const spec = {
      volumeClaimTemplates: [{ metadata: { name: "data" }, spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } } } }],
    };
    await env.client.resource(setsRes).create("default", sts("web", spec));
    const seen: string[][] = [];
    await eventually("three ready pods", async () => {
      const ps = await pods("web");
      const snapshot = ps.map((p) => `${p.metadata.name}:${ready(p) ? "R" : "-"}`);
      seen.push(snapshot);
      return ps.length === 3 && ps.every(ready) ? true : undefined;
    }, 20_000);
    for (const s of seen) {
      // A pod exists only if every lower ordinal was Ready when it was created: never two unready pods at once.
      assert.ok(s.filter((x) => x.endsWith(":-")).length <= 1, `more than one unready pod: ${s}`);
      const names = s.map((x) => x.split(":")[0]);
      assert.deepEqual(names, ["web-0", "web-1", "web-2"].slice(0, names.length), `gap in ordinals: ${s}`);
    }
    const ps = await pods("web");
    for (const [i, p] of ps.entries()) {
      assert.equal(p.spec.hostname, `web-${i}`);
      assert.equal(p.spec.subdomain, "web");
      assert.equal(p.metadata.labels!["statefulset.kubernetes.io/pod-name"], `web-${i}`);
      assert.equal(p.metadata.labels!["apps.kubernetes.io/pod-index"], String(i));
      assert.ok(p.metadata.labels!["controller-revision-hash"]?.startsWith("web-"));
      assert.equal(p.spec.volumes.find((v: { name: string }) => v.name === "data").persistentVolumeClaim.claimName, `data-web-${i}`);
    }
    const claims = (await env.client.resource(pvcRes).list("default")).items.map((c) => c.metadata.name).sort();
    assert.deepEqual(claims, ["data-web-0", "data-web-1", "data-web-2"]);
    const s = await eventually("status", async () => {
      const s = await getSet();
      return s.status?.readyReplicas === 3 && s.status?.availableReplicas === 3 ? s : undefined;
    });
    assert.equal(s.status.replicas, 3);
    assert.equal(s.status.currentRevision, s.status.updateRevision);
    assert.equal(s.status.observedGeneration, s.metadata.generation);
  });

  it("scales down in reverse order and keeps PVCs", async () => {
    await env.client.resource(setsRes).patch("default", "web", "merge", { spec: { replicas: 1 } });
    const seen: string[] = [];
    await eventually("one pod", async () => {
      const ps = (await pods("web")).filter((p) => !p.metadata.deletionTimestamp).map((p) => p.metadata.name!);
      if (seen.at(-1) !== ps.join()) seen.push(ps.join());
      return ps.length === 1 ? true : undefined;
    });
    assert.ok(!seen.includes("web-0,web-2"), `web-1 deleted before web-2: ${seen.join(" | ")}`);
    assert.deepEqual((await pods("web")).filter((p) => !p.metadata.deletionTimestamp).map((p) => p.metadata.name), ["web-0"]);
    assert.equal((await env.client.resource(pvcRes).list("default")).items.length, 3);
    await env.client.resource(setsRes).patch("default", "web", "merge", { spec: { replicas: 3 } });
    await eventually("back to three", async () => ((await pods("web")).filter(ready).length === 3 ? true : undefined), 20_000);
  });

  it("rolls out from the highest ordinal down to the partition", async () => {
    const before = (await getSet()).status.updateRevision;
    await env.client.resource(setsRes).patch("default", "web", "merge", {
      spec: { updateStrategy: { type: "RollingUpdate", rollingUpdate: { partition: 1 } }, template: { spec: { containers: [{ name: "c", image: "nginx:2" }] } } },
    });
    const s = await eventually("partial rollout", async () => {
      const s = await getSet();
      return s.status?.updatedReplicas === 2 && s.status?.readyReplicas === 3 && s.status.updateRevision !== before ? s : undefined;
    }, 20_000);
    const ps = await pods("web");
    const img = (p: KObject) => p.spec.containers[0].image;
    assert.deepEqual(ps.map(img), ["nginx:1", "nginx:2", "nginx:2"]);
    assert.equal(s.status.currentRevision, before);
    assert.equal(ps[0].metadata.labels!["controller-revision-hash"], before);
    await env.client.resource(setsRes).patch("default", "web", "merge", { spec: { updateStrategy: { rollingUpdate: { partition: 0 } } } });
    const done = await eventually("full rollout", async () => {
      const s = await getSet();
      return s.status?.updatedReplicas === 3 && s.status?.readyReplicas === 3 && s.status.currentRevision === s.status.updateRevision ? s : undefined;
    }, 20_000);
    assert.equal(done.status.currentReplicas, 3);
    assert.deepEqual((await pods("web")).map(img), ["nginx:2", "nginx:2", "nginx:2"]);
    const revs = (await env.client.resource(findResource("apps", "v1", "controllerrevisions")!).list("default")).items;
    assert.equal(revs.filter((r) => r.metadata.name!.startsWith("web-")).length, 2);
  });

  it("creates all pods at once with Parallel", async () => {
    await env.client.resource(setsRes).create("default", sts("par", { podManagementPolicy: "Parallel", replicas: 3 }));
    const first = await eventually("pods", async () => {
      const ps = await pods("par");
      return ps.length === 3 ? ps : undefined;
    });
    assert.ok(first.filter((p) => !ready(p)).length >= 2, "pods were created without waiting");
  });

  it("OnDelete updates only deleted pods; whenScaled=Delete removes claims", async () => {
    const spec = {
      replicas: 2,
      updateStrategy: { type: "OnDelete" },
      persistentVolumeClaimRetentionPolicy: { whenDeleted: "Retain", whenScaled: "Delete" },
      volumeClaimTemplates: [{ metadata: { name: "d" }, spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } } } }],
    };
    await env.client.resource(setsRes).create("default", sts("od", spec));
    await eventually("two ready", async () => ((await pods("od")).filter(ready).length === 2 ? true : undefined), 20_000);
    await env.client.resource(setsRes).patch("default", "od", "merge", { spec: { template: { spec: { containers: [{ name: "c", image: "nginx:9" }] } } } });
    await new Promise((r) => setTimeout(r, 500));
    const img = (p: KObject) => p.spec.containers[0].image;
    assert.deepEqual((await pods("od")).map(img), ["nginx:1", "nginx:1"]);
    await env.client.resource(podsRes).delete("default", "od-1");
    await eventually("od-1 updated", async () => {
      const ps = await pods("od");
      return ps.length === 2 && img(ps[1]) === "nginx:9" && ready(ps[1]) ? true : undefined;
    }, 20_000);
    assert.equal(img((await pods("od"))[0]), "nginx:1");
    await env.client.resource(setsRes).patch("default", "od", "merge", { spec: { replicas: 1 } });
    await eventually("claim of od-1 deleted", async () => {
      const names = (await env.client.resource(pvcRes).list("default")).items.filter((c) => !c.metadata.deletionTimestamp).map((c) => c.metadata.name);
      return names.includes("d-od-0") && !names.includes("d-od-1") ? true : undefined;
    }, 20_000);
  });
});
