/**
 * Service account and root CA publisher tests against an in-process
 * apiserver: defaults appear in new namespaces and come back after deletion
 * or edits; terminating namespaces get nothing new.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { findResource } from "../../api/resources.ts";
import type { KObject } from "../../api/types.ts";
import { isNotFound, type ApiClient } from "../../client/index.ts";
import { eventually, startControllerTestEnv } from "../testing.ts";
import { rootCACertPublisherController, rootCAConfigMapName, serviceAccountController } from "./index.ts";

const nsRes = findResource("", "v1", "namespaces")!;
const saRes = findResource("", "v1", "serviceaccounts")!;
const cmRes = findResource("", "v1", "configmaps")!;

async function find(c: ApiClient, info: typeof saRes, ns: string, name: string): Promise<KObject | undefined> {
  try {
    return await c.resource(info).get(ns, name);
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

test("default service account and kube-root-ca.crt in every namespace", async () => {
  const env = await startControllerTestEnv({ serviceaccount: serviceAccountController, "root-ca-cert-publisher": rootCACertPublisherController }, { nodes: 1 });
  const c = env.client;
  try {
    await eventually("default SA in default namespace", () => find(c, saRes, "default", "default"));
    await c.resource(nsRes).create("", { apiVersion: "v1", kind: "Namespace", metadata: { name: "team" } } as KObject);
    const sa = await eventually("default SA in a new namespace", () => find(c, saRes, "team", "default"));
    const cm = await eventually("root CA configmap", () => find(c, cmRes, "team", rootCAConfigMapName));
    assert.equal(cm.data["ca.crt"], env.tc.config.ca);
    assert.ok(cm.metadata.annotations?.["kubernetes.io/description"]);

    await c.resource(saRes).delete("team", "default");
    await eventually("default SA recreated", async () => {
      const again = await find(c, saRes, "team", "default");
      return again && again.metadata.uid !== sa.metadata.uid ? again : undefined;
    });

    await c.resource(cmRes).update("team", { ...cm, data: { "ca.crt": "tampered", extra: "x" } });
    await eventually("root CA restored", async () => {
      const cur = await find(c, cmRes, "team", rootCAConfigMapName);
      return cur?.data?.["ca.crt"] === env.tc.config.ca && !cur?.data?.extra ? true : undefined;
    });
    await c.resource(cmRes).delete("team", rootCAConfigMapName);
    await eventually("root CA recreated", () => find(c, cmRes, "team", rootCAConfigMapName));
  } finally {
    await env.stop();
  }
});

test("terminating namespaces get no new default service account", async () => {
  const env = await startControllerTestEnv({ serviceaccount: serviceAccountController }, { nodes: 1 });
  const c = env.client;
  try {
    await c.resource(nsRes).create("", { apiVersion: "v1", kind: "Namespace", metadata: { name: "going" } } as KObject);
    await eventually("default SA", () => find(c, saRes, "going", "default"));
    await c.resource(nsRes).delete("", "going");
    await c.resource(saRes).delete("going", "default");
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(await find(c, saRes, "going", "default"), undefined);
  } finally {
    await env.stop();
  }
});
