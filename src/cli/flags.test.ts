/**
 * Tests for command-line parsing of the components: server, scheduler,
 * controller-manager and sim-nodes flags, and the --controllers selection.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { selectControllers } from "../controllers/index.ts";
import { parseControllerManagerFlags } from "./controllermanager.ts";
import { parseSchedulerFlags } from "./scheduler.ts";
import { parseServerFlags } from "./server.ts";
import { parseSimNodesFlags } from "./simnodes.ts";

describe("component flags", () => {
  it("parses server flags with k3s defaults and rejects bad values", () => {
    const f = parseServerFlags(["--data-dir", "/tmp/x", "--https-listen-port", "7443", "--kube-controller-manager-arg", "node-monitor-grace-period=20"]);
    assert.equal(f.port, 7443);
    assert.equal(f.serviceCidr, "10.43.0.0/16");
    assert.equal(f.clusterCidr, "10.42.0.0/16");
    assert.deepEqual(f.controllerManagerArgs, ["--node-monitor-grace-period=20"]);
    assert.throws(() => parseServerFlags(["--service-cidr", "nonsense"]), /--service-cidr/);
    assert.throws(() => parseServerFlags(["--service-node-port-range", "9-1"]), /--service-node-port-range/);
    assert.deepEqual([f.notReadyTolerationSeconds, f.unreachableTolerationSeconds], [300, 300]);
    const t = parseServerFlags(["--default-not-ready-toleration-seconds", "2", "--default-unreachable-toleration-seconds", "0"]);
    assert.deepEqual([t.notReadyTolerationSeconds, t.unreachableTolerationSeconds], [2, 0]);
    assert.throws(() => parseServerFlags(["--default-unreachable-toleration-seconds=-1"]), /--default-unreachable-toleration-seconds: must be a number of seconds/);
    assert.throws(() => parseServerFlags(["--kube-controller-manager-arg", "controllers=nope"]), /unknown controller "nope"/);
    assert.throws(() => parseServerFlags(["--bogus"]), /Unknown option/);
  });

  it("parses controller-manager and scheduler flags", () => {
    const cm = parseControllerManagerFlags(["--kubeconfig", "k", "--leader-elect=false", "--node-monitor-grace-period", "5", "--controllers", "*,-job"]);
    assert.equal(cm.leaderElect, false);
    assert.equal(cm.settings.nodeMonitorGracePeriodMs, 5000);
    assert.equal(cm.securePort, 10257);
    assert.throws(() => parseControllerManagerFlags(["--kubeconfig", "k", "--leader-elect=maybe"]), /--leader-elect/);
    const s = parseSchedulerFlags(["--kubeconfig", "k", "--secure-port", "0"]);
    assert.equal(s.securePort, 0);
    assert.equal(s.config.profiles[0].schedulerName, "default-scheduler");
  });

  it("selects controllers like upstream's --controllers", () => {
    const all = selectControllers("*");
    assert.ok(all.has("deployment") && all.has("namespace") && all.has("garbagecollector"));
    const some = selectControllers("*,-job,-cronjob");
    assert.ok(!some.has("job") && !some.has("cronjob") && some.has("deployment"));
    assert.deepEqual([...selectControllers("namespace,serviceaccount").keys()], ["namespace", "serviceaccount"]);
    assert.throws(() => selectControllers("nope"), /unknown controller/);
  });

  it("parses sim-nodes flags into node specs", () => {
    const p = parseSimNodesFlags(["--kubeconfig", "k", "--count", "2", "--name-prefix", "n-", "--labels", "zone=a,tier=x", "--taints", "gpu=yes:NoSchedule,spot:PreferNoSchedule"]);
    assert.deepEqual(p.nodes.map((n) => n.name), ["n-0", "n-1"]);
    assert.deepEqual(p.nodes[0].labels, { zone: "a", tier: "x" });
    assert.deepEqual(p.nodes[1].taints, [{ key: "gpu", value: "yes", effect: "NoSchedule" }, { key: "spot", effect: "PreferNoSchedule" }]);
    assert.throws(() => parseSimNodesFlags(["--taints", "x:Sometimes"]), /Effect/);
    assert.throws(() => parseSimNodesFlags(["--cpu", "lots"]), /--cpu/);
    assert.deepEqual([p.heartbeatMs, p.statusReportMs], [10_000, 300_000], "the kubelet's defaults");
    const q = parseSimNodesFlags(["--heartbeat-interval", "2", "--status-report-interval", "30"]);
    assert.deepEqual([q.heartbeatMs, q.statusReportMs], [2_000, 30_000]);
    assert.throws(() => parseSimNodesFlags(["--status-report-interval", "0"]), /--status-report-interval/);
  });
});
