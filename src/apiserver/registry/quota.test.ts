/**
 * ResourceQuota admission through a real apiserver: charges to status.used,
 * "exceeded quota" and "must specify" refusals with upstream's messages,
 * concurrent creates that cannot both take the last unit, dry runs that
 * charge nothing, and quotas whose usage is not known yet.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { findResource } from "../../api/resources.ts";
import type { KObject } from "../../api/types.ts";
import { ApiError } from "../../client/index.ts";
import { startTestCluster } from "../../client/testserver.ts";

const quotasRes = findResource("", "v1", "resourcequotas")!;
const podsRes = findResource("", "v1", "pods")!;
const cmRes = findResource("", "v1", "configmaps")!;

const pod = (name: string, cpu?: string): KObject =>
  ({ apiVersion: "v1", kind: "Pod", metadata: { name }, spec: { containers: [{ name: "c", image: "i", ...(cpu ? { resources: { requests: { cpu } } } : {}) }] } }) as KObject;

const refused = (re: RegExp) => (err: unknown) => err instanceof ApiError && err.code === 403 && re.test(err.message);

test("quotas are charged on create and refuse what would pass them", async () => {
  const tc = await startTestCluster();
  try {
    const c = tc.client;
    const hard = { pods: "2", "requests.cpu": "1", "count/configmaps": "1" };
    const q = await c.resource(quotasRes).create("default", { apiVersion: "v1", kind: "ResourceQuota", metadata: { name: "q" }, spec: { hard } } as KObject);
    const pods = c.resource(podsRes);
    await assert.rejects(pods.create("default", pod("early", "100m")), refused(/status unknown for quota: q, resources: pods,requests\.cpu$/));
    // What the resourcequota controller would write.
    await c.resource(quotasRes).updateStatus("default", { ...q, status: { hard, used: { pods: "0", "requests.cpu": "0", "count/configmaps": "0" } } });

    await assert.rejects(pods.create("default", pod("bare")), refused(/^pods "bare" is forbidden: failed quota: q: must specify requests\.cpu for: c$/));
    await pods.create("default", pod("a", "600m"));
    const used = async () => (await c.resource(quotasRes).get("default", "q")).status.used;
    assert.deepEqual(await used(), { pods: "1", "requests.cpu": "600m", "count/configmaps": "0" });
    await assert.rejects(
      pods.create("default", pod("b", "600m")),
      refused(/^pods "b" is forbidden: exceeded quota: q, requested: requests\.cpu=600m, used: requests\.cpu=600m, limited: requests\.cpu=1$/),
    );
    await pods.create("default", pod("dry", "100m"), { dryRun: true });
    assert.equal((await used()).pods, "1", "a dry run charges nothing");
    // Two creates race for the last pod slot: exactly one gets it.
    const race = await Promise.allSettled([pods.create("default", pod("r1", "100m")), pods.create("default", pod("r2", "100m"))]);
    assert.equal(race.filter((r) => r.status === "fulfilled").length, 1, JSON.stringify(race.map((r) => r.status)));
    const loser = race.find((r) => r.status === "rejected") as PromiseRejectedResult;
    assert.match(String(loser.reason.message), /exceeded quota: q, requested: pods=1, used: pods=2, limited: pods=2/);

    await c.resource(cmRes).create("default", { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "one" } } as KObject);
    await assert.rejects(
      c.resource(cmRes).create("default", { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "two" } } as KObject),
      refused(/exceeded quota: q, requested: count\/configmaps=1, used: count\/configmaps=1, limited: count\/configmaps=1/),
    );
    // Other namespaces are not charged.
    await c.resource(cmRes).create("kube-system", { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "free" } } as KObject);
  } finally {
    await tc.stop();
  }
});
