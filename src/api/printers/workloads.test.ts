/** Tests of the apps/v1 and batch/v1 tables. */

import { test } from "node:test";
import assert from "node:assert/strict";
import type { KObject } from "../types.ts";
import { findResource } from "../resources.ts";
import { tableCells, tableColumns } from "./index.ts";

const now = new Date("2024-06-01T12:00:00Z");
const created = "2024-06-01T09:00:00Z"; // 3h
const meta = (name: string, extra: Record<string, unknown> = {}) => ({ name, namespace: "default", creationTimestamp: created, ...extra });
const names = (group: string, plural: string) =>
  tableColumns(findResource(group, "v1", plural)!).map((c) => (c.priority ? `${c.name}*` : c.name));
const cells = (group: string, plural: string, obj: KObject) => tableCells(findResource(group, "v1", plural)!, obj, now);
const template = { spec: { containers: [{ name: "web", image: "nginx:1.27" }, { name: "log", image: "busybox" }] } };

test("deployments", () => {
  assert.deepEqual(names("apps", "deployments"), ["Name", "Ready", "Up-to-date", "Available", "Age", "Containers*", "Images*", "Selector*"]);
  const d: KObject = {
    metadata: meta("web"),
    spec: { replicas: 3, selector: { matchLabels: { app: "web" } }, template },
    status: { replicas: 3, readyReplicas: 2, updatedReplicas: 3, availableReplicas: 2 },
  };
  assert.deepEqual(cells("apps", "deployments", d), ["web", "2/3", 3, 2, "3h", "web,log", "nginx:1.27,busybox", "app=web"]);
  assert.deepEqual(cells("apps", "deployments", { metadata: meta("e"), spec: { replicas: 0, selector: {} } }).slice(1, 4), ["0/0", 0, 0]);
  assert.equal(cells("apps", "deployments", { metadata: meta("e"), spec: { selector: {} } })[7], "");
});

test("replica sets, stateful sets, daemon sets", () => {
  assert.deepEqual(names("apps", "replicasets"), ["Name", "Desired", "Current", "Ready", "Age", "Containers*", "Images*", "Selector*"]);
  const rs: KObject = {
    metadata: meta("web-abc"),
    spec: { replicas: 2, selector: { matchLabels: { app: "web", "pod-template-hash": "abc" } }, template },
    status: { replicas: 2, readyReplicas: 1 },
  };
  assert.deepEqual(cells("apps", "replicasets", rs), ["web-abc", 2, 2, 1, "3h", "web,log", "nginx:1.27,busybox", "app=web,pod-template-hash=abc"]);

  assert.deepEqual(names("apps", "statefulsets"), ["Name", "Ready", "Age", "Containers*", "Images*"]);
  const sts: KObject = { metadata: meta("db"), spec: { replicas: 3, template }, status: { readyReplicas: 3 } };
  assert.deepEqual(cells("apps", "statefulsets", sts), ["db", "3/3", "3h", "web,log", "nginx:1.27,busybox"]);

  assert.deepEqual(names("apps", "daemonsets"), [
    "Name",
    "Desired",
    "Current",
    "Ready",
    "Up-to-date",
    "Available",
    "Node Selector",
    "Age",
    "Containers*",
    "Images*",
    "Selector*",
  ]);
  const ds: KObject = {
    metadata: meta("proxy"),
    spec: {
      selector: { matchLabels: { k8s: "proxy" } },
      template: { spec: { nodeSelector: { "kubernetes.io/os": "linux" }, containers: [{ name: "p", image: "proxy:1" }] } },
    },
    status: { desiredNumberScheduled: 3, currentNumberScheduled: 3, numberReady: 2, updatedNumberScheduled: 3, numberAvailable: 2 },
  };
  assert.deepEqual(cells("apps", "daemonsets", ds), ["proxy", 3, 3, 2, 3, 2, "kubernetes.io/os=linux", "3h", "p", "proxy:1", "k8s=proxy"]);
});

test("controller revisions", () => {
  assert.deepEqual(names("apps", "controllerrevisions"), ["Name", "Controller", "Revision", "Age"]);
  const cr: KObject = {
    metadata: meta("db-7f9", { ownerReferences: [{ apiVersion: "apps/v1", kind: "StatefulSet", name: "db", uid: "u", controller: true }] }),
    revision: 2,
  };
  assert.deepEqual(cells("apps", "controllerrevisions", cr), ["db-7f9", "statefulset.apps/db", 2, "3h"]);
  assert.equal(cells("apps", "controllerrevisions", { metadata: meta("x"), revision: 1 })[1], "<none>");
});

test("jobs: status, completions, duration", () => {
  assert.deepEqual(names("batch", "jobs"), ["Name", "Status", "Completions", "Duration", "Age", "Containers*", "Images*", "Selector*"]);
  const job = (spec: Record<string, unknown>, status: Record<string, unknown>, extra: Record<string, unknown> = {}): KObject => ({
    metadata: meta("pi", extra),
    spec: { template, selector: { matchLabels: { "batch.kubernetes.io/controller-uid": "u1" } }, ...spec },
    status,
  });
  const complete = job(
    { completions: 1, parallelism: 1 },
    {
      succeeded: 1,
      startTime: "2024-06-01T09:00:00Z",
      completionTime: "2024-06-01T09:00:47Z",
      conditions: [
        { type: "SuccessCriteriaMet", status: "True" },
        { type: "Complete", status: "True" },
      ],
    },
  );
  assert.deepEqual(cells("batch", "jobs", complete), [
    "pi",
    "Complete",
    "1/1",
    "47s",
    "3h",
    "web,log",
    "nginx:1.27,busybox",
    "batch.kubernetes.io/controller-uid=u1",
  ]);
  const runningJob = job({ completions: 5, parallelism: 2 }, { succeeded: 2, active: 2, startTime: "2024-06-01T11:55:00Z" });
  assert.deepEqual(cells("batch", "jobs", runningJob).slice(1, 4), ["Running", "2/5", "5m"]);
  assert.deepEqual(cells("batch", "jobs", job({ parallelism: 4 }, {})).slice(1, 4), ["Running", "0/1 of 4", ""]);
  assert.deepEqual(cells("batch", "jobs", job({ parallelism: 1 }, {})).slice(2, 3), ["0/1"]);
  const failed = job({ completions: 1 }, { failed: 6, conditions: [{ type: "FailureTarget", status: "True" }, { type: "Failed", status: "True" }] });
  assert.equal(cells("batch", "jobs", failed)[1], "Failed");
  assert.equal(cells("batch", "jobs", job({}, { conditions: [{ type: "FailureTarget", status: "True" }] }))[1], "FailureTarget");
  assert.equal(cells("batch", "jobs", job({ suspend: true }, { conditions: [{ type: "Suspended", status: "True" }] }))[1], "Suspended");
  assert.equal(cells("batch", "jobs", job({}, { conditions: [{ type: "Suspended", status: "False" }] }))[1], "Running");
  const deleting = job({}, { conditions: [{ type: "Suspended", status: "True" }] }, { deletionTimestamp: created });
  assert.equal(cells("batch", "jobs", deleting)[1], "Terminating");
  const completeDeleting = job({}, { conditions: [{ type: "Complete", status: "True" }] }, { deletionTimestamp: created });
  assert.equal(cells("batch", "jobs", completeDeleting)[1], "Complete");
});

test("cron jobs", () => {
  assert.deepEqual(names("batch", "cronjobs"), [
    "Name",
    "Schedule",
    "Timezone",
    "Suspend",
    "Active",
    "Last Schedule",
    "Age",
    "Containers*",
    "Images*",
    "Selector*",
  ]);
  const cj: KObject = {
    metadata: meta("hello"),
    spec: { schedule: "*/5 * * * *", suspend: false, jobTemplate: { spec: { template } } },
    status: { active: [{ name: "hello-1" }], lastScheduleTime: "2024-06-01T11:55:00Z" },
  };
  assert.deepEqual(cells("batch", "cronjobs", cj), ["hello", "*/5 * * * *", "<none>", "False", 1, "5m", "3h", "web,log", "nginx:1.27,busybox", "<none>"]);
  const tz: KObject = { metadata: meta("tz"), spec: { schedule: "0 0 * * *", timeZone: "Etc/UTC", suspend: true } };
  assert.deepEqual(cells("batch", "cronjobs", tz).slice(1, 6), ["0 0 * * *", "Etc/UTC", "True", 0, "<none>"]);
  assert.equal(cells("batch", "cronjobs", { metadata: meta("u"), spec: {} })[3], "<unset>");
});
