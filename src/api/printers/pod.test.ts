/** Tests of the Pod table: readiness, the aggregate status reasons, restarts and wide cells. */

import { test } from "node:test";
import assert from "node:assert/strict";
import type { KObject } from "../types.ts";
import { findResource } from "../resources.ts";
import { tableCells, tableColumns } from "./index.ts";

const now = new Date("2024-06-01T12:00:00Z");
const ago = (ms: number) => new Date(now.getTime() - ms).toISOString();
const min = 60_000;
const podInfo = findResource("", "v1", "pods")!;

function pod(spec: Record<string, unknown>, status: Record<string, unknown>, meta: Record<string, unknown> = {}): KObject {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "web", namespace: "default", creationTimestamp: ago(10 * min), ...meta },
    spec: { containers: [{ name: "a", image: "nginx" }], ...spec },
    status,
  };
}

/** Ready, Status, Restarts cells. */
function summary(p: KObject): [unknown, unknown, unknown] {
  const cells = tableCells(podInfo, p, now);
  return [cells[1], cells[2], cells[3]];
}

const running = (extra: Record<string, unknown> = {}) => ({ state: { running: { startedAt: ago(5 * min) } }, ...extra });

test("pod columns", () => {
  const cols = tableColumns(podInfo);
  assert.deepEqual(
    cols.map((c) => [c.name, c.type, c.format, c.priority]),
    [
      ["Name", "string", "name", 0],
      ["Ready", "string", "", 0],
      ["Status", "string", "", 0],
      ["Restarts", "string", "", 0],
      ["Age", "string", "", 0],
      ["IP", "string", "", 1],
      ["Node", "string", "", 1],
      ["Nominated Node", "string", "", 1],
      ["Readiness Gates", "string", "", 1],
    ],
  );
});

test("one of two containers ready with a restart 2m ago", () => {
  const p = pod(
    { containers: [{ name: "a" }, { name: "b" }] },
    {
      phase: "Running",
      podIP: "10.0.0.5",
      podIPs: [{ ip: "10.0.0.5" }],
      containerStatuses: [
        { name: "a", ready: true, restartCount: 0, ...running() },
        {
          name: "b",
          ready: false,
          restartCount: 1,
          ...running(),
          lastState: { terminated: { exitCode: 1, reason: "Error", finishedAt: ago(2 * min) } },
        },
      ],
    },
  );
  assert.deepEqual(tableCells(podInfo, p, now), ["web", "1/2", "Running", "1 (2m ago)", "10m", "10.0.0.5", "<none>", "<none>", "<none>"]);
});

test("waiting and terminated container reasons", () => {
  const withState = (state: unknown, phase = "Running", restartCount = 0) =>
    pod({}, { phase, containerStatuses: [{ name: "a", ready: false, restartCount, state }] });
  assert.deepEqual(summary(withState({ waiting: { reason: "ContainerCreating" } }, "Pending")), ["0/1", "ContainerCreating", "0"]);
  assert.deepEqual(summary(withState({ waiting: { reason: "CrashLoopBackOff" } }, "Running", 5)), ["0/1", "CrashLoopBackOff", "5"]);
  assert.deepEqual(summary(withState({ terminated: { exitCode: 1, reason: "Error" } }, "Failed")), ["0/1", "Error", "0"]);
  assert.deepEqual(summary(withState({ terminated: { exitCode: 137, reason: "OOMKilled" } }, "Failed")), ["0/1", "OOMKilled", "0"]);
  assert.deepEqual(summary(withState({ terminated: { exitCode: 0, reason: "Completed" } }, "Succeeded")), ["0/1", "Completed", "0"]);
  assert.deepEqual(summary(withState({ terminated: { exitCode: 3 } }, "Failed")), ["0/1", "ExitCode:3", "0"]);
  assert.deepEqual(summary(withState({ terminated: { exitCode: 0, signal: 9 } }, "Failed")), ["0/1", "Signal:9", "0"]);
  assert.deepEqual(summary(pod({}, { phase: "Pending" })), ["0/1", "Pending", "0"]);
});

test("pod-level reasons: NodeLost, Terminating, Unknown, SchedulingGated", () => {
  assert.deepEqual(summary(pod({}, { phase: "Running", reason: "NodeLost" })), ["0/1", "NodeLost", "0"]);
  assert.deepEqual(
    summary(pod({}, { phase: "Running", reason: "NodeLost" }, { deletionTimestamp: ago(1 * min) })),
    ["0/1", "Unknown", "0"],
  );
  const ready = { name: "a", ready: true, restartCount: 0, ...running() };
  assert.deepEqual(
    summary(pod({}, { phase: "Running", containerStatuses: [ready] }, { deletionTimestamp: ago(1 * min) })),
    ["1/1", "Terminating", "0"],
  );
  // Terminal pods being deleted keep their terminal reason.
  assert.deepEqual(
    summary(
      pod(
        {},
        { phase: "Succeeded", containerStatuses: [{ name: "a", state: { terminated: { exitCode: 0, reason: "Completed" } } }] },
        { deletionTimestamp: ago(1 * min) },
      ),
    ),
    ["0/1", "Completed", "0"],
  );
  assert.deepEqual(
    summary(pod({}, { phase: "Pending", conditions: [{ type: "PodScheduled", status: "False", reason: "SchedulingGated" }] })),
    ["0/1", "SchedulingGated", "0"],
  );
});

test("init containers: Init:n/m, Init:<reason>, PodInitializing", () => {
  const spec = { initContainers: [{ name: "i1" }, { name: "i2" }] };
  const done = { name: "i1", state: { terminated: { exitCode: 0, reason: "Completed" } } };
  assert.deepEqual(
    summary(pod(spec, { phase: "Pending", initContainerStatuses: [done, { name: "i2", ...running() }] })),
    ["0/1", "Init:1/2", "0"],
  );
  assert.deepEqual(
    summary(
      pod(spec, {
        phase: "Pending",
        initContainerStatuses: [{ name: "i1", state: { waiting: { reason: "PodInitializing" } } }],
      }),
    ),
    ["0/1", "Init:0/2", "0"],
  );
  assert.deepEqual(
    summary(
      pod(spec, {
        phase: "Pending",
        initContainerStatuses: [
          {
            name: "i1",
            restartCount: 3,
            state: { waiting: { reason: "CrashLoopBackOff" } },
            lastState: { terminated: { exitCode: 1, finishedAt: ago(4 * min) } },
          },
        ],
        containerStatuses: [{ name: "a", restartCount: 0, state: { waiting: { reason: "PodInitializing" } } }],
      }),
    ),
    ["0/1", "Init:CrashLoopBackOff", "3 (4m ago)"],
  );
  assert.deepEqual(
    summary(pod(spec, { phase: "Failed", initContainerStatuses: [{ name: "i1", state: { terminated: { exitCode: 2 } } }] })),
    ["0/1", "Init:ExitCode:2", "0"],
  );
  assert.deepEqual(
    summary(pod(spec, { phase: "Failed", initContainerStatuses: [{ name: "i1", state: { terminated: { exitCode: 1, signal: 15 } } }] })),
    ["0/1", "Init:Signal:15", "0"],
  );
  assert.deepEqual(
    summary(pod(spec, { phase: "Failed", initContainerStatuses: [{ name: "i1", state: { terminated: { exitCode: 1, reason: "Error" } } }] })),
    ["0/1", "Init:Error", "0"],
  );
  assert.deepEqual(
    summary(
      pod(spec, {
        phase: "Pending",
        initContainerStatuses: [done, { ...done, name: "i2" }],
        containerStatuses: [{ name: "a", state: { waiting: { reason: "PodInitializing" } } }],
      }),
    ),
    ["0/1", "PodInitializing", "0"],
  );
});

test("restartable init containers (sidecars) count toward READY and RESTARTS", () => {
  const spec = { initContainers: [{ name: "setup" }, { name: "proxy", restartPolicy: "Always" }] };
  const setupDone = { name: "setup", state: { terminated: { exitCode: 0, reason: "Completed" } } };
  // Sidecar not started yet: still initializing, two containers in total.
  assert.deepEqual(
    summary(pod(spec, { phase: "Pending", initContainerStatuses: [setupDone, { name: "proxy", started: false, ...running() }] })),
    ["0/2", "Init:1/2", "0"],
  );
  // Sidecar started and ready, app running: sidecar restarts are reported with the app's.
  const p = pod(spec, {
    phase: "Running",
    conditions: [
      { type: "Initialized", status: "True" },
      { type: "Ready", status: "True" },
    ],
    initContainerStatuses: [
      { ...setupDone, restartCount: 4, lastState: { terminated: { exitCode: 1, finishedAt: ago(1 * min) } } },
      {
        name: "proxy",
        started: true,
        ready: true,
        restartCount: 2,
        ...running(),
        lastState: { terminated: { exitCode: 1, finishedAt: ago(3 * min) } },
      },
    ],
    containerStatuses: [{ name: "a", ready: true, restartCount: 0, ...running() }],
  });
  assert.deepEqual(summary(p), ["2/2", "Running", "2 (3m ago)"]);
});

test("Completed with a container still running becomes Running or NotReady", () => {
  const statuses = [
    { name: "a", ready: false, state: { terminated: { exitCode: 0, reason: "Completed" } } },
    { name: "b", ready: true, ...running() },
  ];
  const spec = { containers: [{ name: "a" }, { name: "b" }] };
  assert.deepEqual(
    summary(pod(spec, { phase: "Running", conditions: [{ type: "Ready", status: "True" }], containerStatuses: statuses })),
    ["1/2", "Running", "0"],
  );
  assert.deepEqual(
    summary(pod(spec, { phase: "Running", conditions: [{ type: "Ready", status: "False" }], containerStatuses: statuses })),
    ["1/2", "NotReady", "0"],
  );
});

test("wide cells: node, nominated node, readiness gates", () => {
  const p = pod(
    { nodeName: "node-1", readinessGates: [{ conditionType: "example.com/a" }, { conditionType: "example.com/b" }] },
    {
      phase: "Pending",
      podIP: "10.1.0.9",
      nominatedNodeName: "node-2",
      conditions: [
        { type: "example.com/a", status: "True" },
        { type: "example.com/b", status: "False" },
      ],
    },
    { creationTimestamp: undefined },
  );
  assert.deepEqual(tableCells(podInfo, p, now).slice(4), ["<unknown>", "10.1.0.9", "node-1", "node-2", "1/2"]);
});
