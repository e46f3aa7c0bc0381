/**
 * Endpoints controller against a real in-process apiserver with simulated
 * nodes: readiness, terminating pods, named target ports, port changes,
 * publishNotReadyAddresses, headless Services and deletion.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { findResource } from "../../api/resources.ts";
import type { KObject } from "../../api/types.ts";
import { isNotFound } from "../../client/index.ts";
import { eventually, startControllerTestEnv } from "../testing.ts";
import { endpointsController } from "./index.ts";
import { desiredSubsets } from "./subsets.ts";

const svcRes = findResource("", "v1", "services")!;
const podsRes = findResource("", "v1", "pods")!;
const epRes = findResource("", "v1", "endpoints")!;

function pod(name: string, annotations: Record<string, string> = {}, labels = { app: "web" }): KObject {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace: "default", labels, annotations },
    spec: { containers: [{ name: "c", image: "nginx", ports: [{ name: "web", containerPort: 8080 }] }] },
  };
}

function ips(list: { ip: string }[] | undefined): string[] {
  return (list ?? []).map((a) => a.ip).sort();
}

test("desiredSubsets groups by resolved ports and skips unresolvable pods", () => {
  const svc: KObject = { metadata: { name: "s", namespace: "d" }, spec: { ports: [{ name: "http", port: 80, targetPort: "web", protocol: "TCP" }] } };
  const mk = (n: string, ip: string, port?: number, ready = true): KObject => ({
    metadata: { name: n, namespace: "d", uid: n },
    spec: { nodeName: "n1", containers: [{ name: "c", ports: port ? [{ name: "web", containerPort: port }] : [] }] },
    status: { phase: "Running", podIP: ip, conditions: [{ type: "Ready", status: ready ? "True" : "False" }] },
  });
  const { subsets } = desiredSubsets(svc, [mk("a", "10.0.0.2", 8080), mk("b", "10.0.0.1", 8080, false), mk("c", "10.0.0.3", 9000), mk("d", "10.0.0.4")]);
  assert.equal(subsets.length, 2);
  const s8080 = subsets.find((s) => s.ports?.[0].port === 8080)!;
  assert.deepEqual(ips(s8080.addresses), ["10.0.0.2"]);
  assert.deepEqual(ips(s8080.notReadyAddresses), ["10.0.0.1"]);
  assert.deepEqual(s8080.addresses![0].targetRef, { kind: "Pod", namespace: "d", name: "a", uid: "a" });
});

test("endpoints follow pods, ports and services", async () => {
  const env = await startControllerTestEnv({ endpoint: endpointsController }, { nodes: 2 });
  try {
    const svcs = env.client.resource(svcRes);
    const pods = env.client.resource(podsRes);
    const eps = env.client.resource(epRes);
    const kubeBefore = await eps.get("default", "kubernetes");
    await svcs.create("default", {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: "web", namespace: "default" },
      spec: { selector: { app: "web" }, ports: [{ name: "http", port: 80, targetPort: "web" }, { name: "metrics", port: 9090 }] },
    });
    await pods.create("default", pod("ready", { "sim.tskube.io/stop-seconds": "30" }));
    await pods.create("default", pod("slow", { "sim.tskube.io/ready-seconds": "3600" }));
    await pods.create("default", pod("other", {}, { app: "other" }));

    const ep = await eventually("ready and not-ready addresses", async () => {
      const e = await eps.get("default", "web");
      const s = e.subsets?.[0];
      return e.subsets?.length === 1 && s.addresses?.length === 1 && s.notReadyAddresses?.length === 1 ? e : undefined;
    });
    const s = ep.subsets[0];
    assert.equal(s.addresses[0].targetRef.name, "ready");
    assert.ok(s.addresses[0].nodeName?.startsWith("node-"));
    assert.equal(s.notReadyAddresses[0].targetRef.name, "slow");
    assert.deepEqual(
      s.ports.map((p: { name: string; port: number; protocol: string }) => [p.name, p.port, p.protocol]).sort(),
      [["http", 8080, "TCP"], ["metrics", 9090, "TCP"]],
    );
    const rv = ep.metadata.resourceVersion;
    await new Promise((r) => setTimeout(r, 500));
    assert.equal((await eps.get("default", "web")).metadata.resourceVersion, rv, "a settled Endpoints is not rewritten");

    await svcs.patch("default", "web", "merge", { spec: { ports: [{ name: "http", port: 80, targetPort: 8081 }] } });
    await eventually("port change", async () => {
      const e = await eps.get("default", "web");
      return e.subsets?.[0]?.ports?.length === 1 && e.subsets[0].ports[0].port === 8081 ? e : undefined;
    });

    await svcs.patch("default", "web", "merge", { spec: { publishNotReadyAddresses: true } });
    await eventually("publishNotReadyAddresses", async () => {
      const e = await eps.get("default", "web");
      return e.subsets?.[0]?.addresses?.length === 2 && !e.subsets[0].notReadyAddresses ? e : undefined;
    });
    await svcs.patch("default", "web", "merge", { spec: { publishNotReadyAddresses: false } });

    await pods.delete("default", "ready");
    await eventually("terminating pod excluded", async () => {
      const p = await pods.get("default", "ready");
      const e = await eps.get("default", "web");
      return p.metadata.deletionTimestamp && !e.subsets?.[0]?.addresses && e.subsets?.[0]?.notReadyAddresses?.length === 1 ? e : undefined;
    });

    await svcs.create("default", {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: "headless", namespace: "default" },
      spec: { clusterIP: "None", selector: { app: "other" } },
    });
    const h = await eventually("headless endpoints", async () => {
      const e = await eps.get("default", "headless");
      return e.subsets?.[0]?.addresses?.length === 1 ? e : undefined;
    });
    assert.equal(h.subsets[0].ports, undefined);
    assert.equal(h.metadata.labels?.["service.kubernetes.io/headless"], "");

    await svcs.delete("default", "web");
    await eventually("endpoints deleted with the service", async () => {
      try {
        await eps.get("default", "web");
        return undefined;
      } catch (err) {
        return isNotFound(err) ? true : undefined;
      }
    });
    const kubeAfter = await eps.get("default", "kubernetes");
    assert.equal(kubeAfter.metadata.resourceVersion, kubeBefore.metadata.resourceVersion, "default/kubernetes untouched");
  } finally {
    await env.stop();
  }
});
