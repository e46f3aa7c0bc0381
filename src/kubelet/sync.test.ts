/**
 * Pod lifecycle core against a fake CRI: creation order, init containers and
 * sidecars, restart policies and CrashLoopBackOff timing on a fake clock,
 * image pull policies, liveness restarts, termination with grace and preStop
 * hooks, and adoption of running containers after a restart.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { cond, harness, testPod } from "./testing/harness.ts";

test("creates the sandbox, then the container, and reports Running/Ready with the pod IP", async (t) => {
  const h = harness();
  t.after(() => h.cleanup());
  const pod = testPod([{ name: "app", command: ["sleep", "1000"], ports: [{ containerPort: 80, hostPort: 8080 }] }]);
  const { status } = await h.sync(pod);
  assert.deepEqual(h.cri.calls.filter((c) => /^(RunPodSandbox|CreateContainer|StartContainer)/.test(c)), ["RunPodSandbox:p:0", "CreateContainer:app", "StartContainer:app"]);
  const sb = [...h.cri.sandboxes.values()][0];
  assert.equal(sb.config.metadata.uid, pod.metadata.uid);
  assert.equal(sb.config.labels["io.kubernetes.pod.uid"], pod.metadata.uid);
  assert.equal(sb.config.linux.cgroup_parent, `/tskube/test/pod${pod.metadata.uid}`);
  assert.deepEqual(sb.config.port_mappings, [{ protocol: "TCP", container_port: 80, host_port: 8080, host_ip: "" }]);
  assert.match(sb.config.log_directory, /logs\/default_p_uid-\d+$/);
  const c = h.cri.latest("app")!;
  assert.equal(c.config.log_path, "app/0.log");
  assert.equal(c.config.labels["io.kubernetes.container.name"], "app");
  const hosts = c.config.mounts.find((m: any) => m.container_path === "/etc/hosts");
  assert.ok(hosts, "/etc/hosts is mounted");
  assert.match(readFileSync(hosts.host_path, "utf8"), new RegExp(`^${sb.ip}\\tp$`, "m"));
  assert.ok(c.config.mounts.some((m: any) => m.container_path === "/dev/termination-log"));
  assert.equal(status.phase, "Running");
  assert.equal(status.podIP, sb.ip);
  assert.equal(cond(status, "Ready")?.status, "True");
  assert.equal(cond(status, "PodReadyToStartContainers")?.status, "True");
  assert.equal(cond(status, "PodScheduled")?.status, "True", "foreign conditions are kept");
  assert.equal(status.containerStatuses[0].containerID, `containerd://${c.id}`);
  assert.ok(status.containerStatuses[0].state.running.startedAt);
  // A second sync changes nothing.
  const before = h.cri.calls.length;
  await h.sync(pod);
  assert.equal(h.cri.calls.filter((x, i) => i >= before && /^(Run|Create|Start|Stop)/.test(x)).length, 0);
});

test("runs init containers one at a time, in order, then the app containers", async (t) => {
  const h = harness();
  t.after(() => h.cleanup());
  const pod = testPod([{ name: "app" }], { initContainers: [{ name: "init1" }, { name: "init2" }] });
  let { status } = await h.sync(pod);
  assert.deepEqual(h.cri.calls.filter((c) => c.startsWith("StartContainer")), ["StartContainer:init1"]);
  assert.equal(status.phase, "Pending");
  assert.equal(cond(status, "Initialized")?.status, "False");
  assert.match(cond(status, "Initialized")?.message, /init1 init2/);
  assert.equal(status.initContainerStatuses[0].state.running !== undefined, true);
  await h.sync(pod);
  assert.equal(h.cri.calls.filter((c) => c.startsWith("StartContainer")).length, 1, "waits for init1 to finish");
  h.cri.exit("init1", 0);
  await h.sync(pod);
  assert.deepEqual(h.cri.calls.filter((c) => c.startsWith("StartContainer")), ["StartContainer:init1", "StartContainer:init2"]);
  h.cri.exit("init2", 0);
  ({ status } = await h.sync(pod));
  assert.deepEqual(h.cri.calls.filter((c) => c.startsWith("StartContainer")), ["StartContainer:init1", "StartContainer:init2", "StartContainer:app"]);
  assert.equal(cond(status, "Initialized")?.status, "True");
  assert.equal(status.phase, "Running");
  assert.equal(status.initContainerStatuses[1].state.terminated.reason, "Completed");
});

test("a failed init container fails a restartPolicy Never pod", async (t) => {
  const h = harness();
  t.after(() => h.cleanup());
  const pod = testPod([{ name: "app" }], { initContainers: [{ name: "init1" }], restartPolicy: "Never" });
  await h.sync(pod);
  h.cri.exit("init1", 3);
  const { status } = await h.sync(pod);
  assert.equal(status.phase, "Failed");
  assert.ok(!h.cri.calls.includes("StartContainer:app"));
  assert.equal(status.initContainerStatuses[0].state.terminated.exitCode, 3);
  assert.equal(status.initContainerStatuses[0].state.terminated.reason, "Error");
});

test("sidecars start before app containers and keep running", async (t) => {
  const h = harness();
  t.after(() => h.cleanup());
  const pod = testPod([{ name: "app" }], { initContainers: [{ name: "side", restartPolicy: "Always" }, { name: "init2" }] });
  await h.sync(pod);
  await h.sync(pod);
  assert.deepEqual(h.cri.calls.filter((c) => c.startsWith("StartContainer")), ["StartContainer:side", "StartContainer:init2"]);
  h.cri.exit("init2", 0);
  const { status } = await h.sync(pod);
  assert.deepEqual(h.cri.calls.filter((c) => c.startsWith("StartContainer")), ["StartContainer:side", "StartContainer:init2", "StartContainer:app"]);
  assert.equal(h.cri.latest("side")!.state, "CONTAINER_RUNNING");
  assert.equal(status.phase, "Running");
  assert.equal(cond(status, "Ready")?.status, "True");
});

test("restarts crashing containers with CrashLoopBackOff: immediately, then 10 s, 20 s", async (t) => {
  const h = harness();
  t.after(() => h.cleanup());
  const pod = testPod([{ name: "app" }]);
  await h.sync(pod);
  const starts = () => h.cri.calls.filter((c) => c === "StartContainer:app").length;
  h.clock.step(1000);
  h.cri.exit("app", 1);
  await h.sync(pod);
  assert.equal(starts(), 2, "first restart is immediate");
  h.clock.step(1000);
  h.cri.exit("app", 1);
  let r = await h.sync(pod);
  assert.equal(starts(), 2, "second restart waits");
  assert.equal(r.status.containerStatuses[0].state.waiting.reason, "CrashLoopBackOff");
  assert.match(r.status.containerStatuses[0].state.waiting.message, /back-off 10s restarting failed container=app pod=p_default/);
  assert.equal(r.status.containerStatuses[0].lastState.terminated.exitCode, 1);
  assert.equal(r.status.containerStatuses[0].restartCount, 1);
  assert.equal(r.status.phase, "Running");
  assert.ok(r.out.requeueAfterMs! > 9000 && r.out.requeueAfterMs! <= 10_000, `requeue ${r.out.requeueAfterMs}`);
  assert.ok(h.events.some((e) => e.startsWith("BackOff: Back-off restarting failed container app")));
  h.clock.step(9000);
  await h.sync(pod);
  assert.equal(starts(), 2, "still in back-off after 9 s");
  h.clock.step(1000);
  r = await h.sync(pod);
  assert.equal(starts(), 3, "restarted after 10 s");
  assert.equal(r.status.containerStatuses[0].restartCount, 2);
  assert.equal(h.cri.latest("app")!.config.log_path, "app/2.log");
  h.cri.exit("app", 1);
  r = await h.sync(pod);
  assert.match(r.status.containerStatuses[0].state.waiting.message, /back-off 20s/);
  h.clock.step(19_000);
  await h.sync(pod);
  assert.equal(starts(), 3);
  h.clock.step(1000);
  await h.sync(pod);
  assert.equal(starts(), 4);
});

test("restart policies decide phases: Never → Succeeded/Failed, OnFailure restarts failures only", async (t) => {
  const h = harness();
  t.after(() => h.cleanup());
  const ok = testPod([{ name: "a" }], { restartPolicy: "Never", name: "ok" });
  await h.sync(ok);
  h.cri.exit("a", 0);
  let { status } = await h.sync(ok);
  assert.equal(status.phase, "Succeeded");
  assert.equal(cond(status, "Ready")?.reason, "PodCompleted");
  assert.equal(status.containerStatuses[0].state.terminated.reason, "Completed");

  const bad = testPod([{ name: "b" }], { restartPolicy: "Never", name: "bad" });
  await h.sync(bad);
  h.cri.exit("b", 2);
  ({ status } = await h.sync(bad));
  assert.equal(status.phase, "Failed");

  const onf = testPod([{ name: "c" }], { restartPolicy: "OnFailure", name: "onf" });
  await h.sync(onf);
  h.cri.exit("c", 1);
  ({ status } = await h.sync(onf));
  assert.equal(h.cri.instances("c").length, 2, "failed container restarted");
  assert.equal(status.phase, "Running");
  h.cri.exit("c", 0);
  ({ status } = await h.sync(onf));
  assert.equal(h.cri.instances("c").length, 2, "succeeded container not restarted");
  assert.equal(status.phase, "Succeeded");
});

test("image pull policies: Never without the image, failing pulls back off", async (t) => {
  const h = harness();
  t.after(() => h.cleanup());
  const never = testPod([{ name: "a", image: "missing:1", imagePullPolicy: "Never" }], { name: "never" });
  let { status } = await h.sync(never);
  assert.equal(status.containerStatuses[0].state.waiting.reason, "ErrImageNeverPull");
  assert.ok(!h.cri.calls.some((c) => c.startsWith("PullImage")));

  const pull = testPod([{ name: "b", image: "remote:1" }], { name: "pull" });
  ({ status } = await h.sync(pull));
  assert.equal(status.containerStatuses[0].state.waiting.reason, "ErrImagePull");
  assert.equal(status.phase, "Pending");
  ({ status } = await h.sync(pull));
  assert.equal(status.containerStatuses[0].state.waiting.reason, "ImagePullBackOff");
  assert.equal(h.cri.calls.filter((c) => c === "PullImage:remote:1").length, 1, "no pull during back-off");
  h.cri.pullable.add("remote:1");
  h.clock.step(10_001);
  ({ status } = await h.sync(pull));
  assert.equal(status.containerStatuses[0].state.running !== undefined, true);
  assert.ok(h.events.some((e) => e.startsWith("Pulled: Successfully pulled image \"remote:1\"")));

  const always = testPod([{ name: "c", image: "img:1", imagePullPolicy: "Always" }], { name: "always" });
  ({ status } = await h.sync(always));
  assert.ok(h.cri.calls.includes("PullImage:img:1"));
  assert.ok(status.containerStatuses[0].state.running, "falls back to the local image when the pull fails");
});

test("a failed liveness probe kills and restarts the container", async (t) => {
  const h = harness();
  t.after(() => h.cleanup());
  const pod = testPod([{ name: "app", lifecycle: { preStop: { exec: { command: ["stop"] } } } }]);
  await h.sync(pod);
  const first = h.cri.latest("app")!;
  h.syncer.livenessFailed.set(first.id, "HTTP probe failed with statuscode: 500");
  const { status } = await h.sync(pod);
  assert.equal(first.state, "CONTAINER_EXITED");
  assert.ok(h.services.hooks.some((x) => x.startsWith("app:")), "preStop ran");
  assert.equal(h.cri.instances("app").length, 2);
  assert.equal(status.containerStatuses[0].restartCount, 1);
  assert.ok(h.events.some((e) => e === "Killing: Container app failed liveness probe, will be restarted"));
});

test("termination runs preStop, stops with the grace period, removes everything", async (t) => {
  const h = harness();
  t.after(() => h.cleanup());
  const pod = testPod([{ name: "app", lifecycle: { preStop: { exec: { command: ["sh", "-c", "sleep 1"] } } } }, { name: "other" }], { grace: 20 });
  await h.sync(pod);
  const rp = await h.lister.listPod(pod.metadata.uid!);
  await h.syncer.killPod(pod, rp, 20, true);
  assert.deepEqual(h.services.hooks, ['app:{"exec":{"command":["sh","-c","sleep 1"]}}']);
  const stops = h.cri.calls.filter((c) => c.startsWith("StopContainer")).sort();
  assert.deepEqual(stops, ["StopContainer:app:20", "StopContainer:other:20"]);
  const hookAt = h.cri.calls.indexOf("StopContainer:app:20");
  assert.ok(hookAt > -1);
  assert.equal(h.cri.sandboxes.size, 0);
  assert.equal(h.cri.containers.size, 0);
  assert.deepEqual(h.services.tornDown.sort(), [`cgroup:${pod.metadata.uid}`, `volumes:${pod.metadata.uid}`]);
});

test("a restarted kubelet adopts running containers and does not restart them", async (t) => {
  const h = harness();
  t.after(() => h.cleanup());
  const pod = testPod([{ name: "app" }], { initContainers: [{ name: "init" }] });
  await h.sync(pod);
  h.cri.exit("init", 0);
  await h.sync(pod);
  const before = h.cri.calls.length;
  h.restart();
  h.services.probes.added.length = 0;
  const fresh = { ...pod, status: { phase: "Pending" } };
  const { status } = await h.sync(fresh);
  assert.deepEqual(h.cri.calls.slice(before).filter((c) => /^(Run|Create|Start|Stop|Remove)/.test(c)), []);
  assert.deepEqual(h.services.probes.added, [`app:${h.cri.latest("app")!.id}`], "adopted containers are handed to the prober");
  assert.equal(status.phase, "Running");
  assert.equal(status.containerStatuses[0].restartCount, 0);
});

test("a changed container spec restarts the container; a dead sandbox is recreated", async (t) => {
  const h = harness();
  t.after(() => h.cleanup());
  const pod = testPod([{ name: "app" }]);
  await h.sync(pod);
  h.cri.addImage("img:2");
  pod.spec.containers[0].image = "img:2";
  await h.sync(pod);
  assert.equal(h.cri.latest("app")!.config.image.image, h.cri.images.get("img:2"));
  const sb = [...h.cri.sandboxes.values()][0];
  await h.cri.runtime.StopPodSandbox({ pod_sandbox_id: sb.id });
  const { status } = await h.sync(pod);
  assert.ok(h.cri.calls.includes("RunPodSandbox:p:1"), "new sandbox with attempt 1");
  assert.equal(status.phase, "Running");
  assert.equal(status.containerStatuses[0].restartCount, 2);
});

test("runAsNonRoot is checked against the image's user when the pod sets no runAsUser", async (t) => {
  const h = harness();
  t.after(() => h.cleanup());
  const id = h.cri.images.get("img:1")!;
  const nonRoot = (name: string): ReturnType<typeof testPod> => {
    const p = testPod([{ name: "app", imagePullPolicy: "IfNotPresent" }], { name });
    p.spec.securityContext = { runAsNonRoot: true };
    return p;
  };
  let { status } = await h.sync(nonRoot("rootimage"));
  assert.equal(status.containerStatuses[0].state.waiting.reason, "CreateContainerConfigError");
  assert.match(status.containerStatuses[0].state.waiting.message, /container has runAsNonRoot and image will run as root/);
  h.cri.imageUsers.set(id, { username: "app" });
  ({ status } = await h.sync(nonRoot("nameduser")));
  assert.match(status.containerStatuses[0].state.waiting.message, /image has non-numeric user \(app\)/);
  h.cri.imageUsers.set(id, { uid: 1000 });
  ({ status } = await h.sync(nonRoot("uid1000")));
  assert.ok(status.containerStatuses[0].state.running, "an image running as uid 1000 starts");
});
