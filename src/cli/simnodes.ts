/**
 * `tskube sim-nodes`: registers simulated nodes (no containers run) against a
 * cluster and keeps them alive until stopped — for tests and scale runs.
 */
import { homedir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { ApiClient, loadKubeconfig } from "../client/index.ts";
import { parseQuantity } from "../machinery/quantity.ts";
import { Simulator, simNodeSpecs } from "../simnodes/simulator.ts";
import type { SimNodeSpec } from "../simnodes/objects.ts";

export const simNodesUsage = `Usage: tskube sim-nodes [flags]

Registers simulated nodes (labelled tskube.io/simulated=true) that keep their
Leases and status fresh and move pods bound to them through their lifecycle
without running containers. Runs until stopped (SIGINT/SIGTERM).

Flags:
  --kubeconfig FILE      cluster credentials (default $KUBECONFIG, then ~/.kube/config)
  --count N              number of nodes (default 1)
  --name-prefix PREFIX   node names are PREFIX0, PREFIX1, ... (default sim-node-)
  --start-index N        first node number (default 0)
  --cpu QUANTITY         CPU capacity per node (default 4)
  --memory QUANTITY      memory capacity per node (default 16Gi)
  --pods N               pod capacity per node (default 110)
  --labels k=v,...       extra node labels
  --taints k=v:Effect,...  node taints (Effect: NoSchedule, PreferNoSchedule, NoExecute)
  --heartbeat-interval SECONDS  Lease renewal period (default 10, like the kubelet)
  --status-report-interval SECONDS  node status report period when nothing
                         changed (default 300, the kubelet's nodeStatusReportFrequency)
  -h, --help             show this help

Pod annotations steer the simulation: sim.tskube.io/run-seconds (how long a
pod with restartPolicy OnFailure/Never runs, default 1), sim.tskube.io/exit-code
(default 0), sim.tskube.io/ready-seconds (delay until Ready, default 0),
sim.tskube.io/stop-seconds (time to stop after deletion, capped by the grace
period, default 0).
`;

function parseLabels(s: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (s ?? "").split(",").filter(Boolean)) {
    const eq = part.indexOf("=");
    if (eq <= 0) throw new Error(`--labels: "${part}" is not key=value`);
    out[part.slice(0, eq)] = part.slice(eq + 1);
  }
  return out;
}

const effects = new Set(["NoSchedule", "PreferNoSchedule", "NoExecute"]);

function parseTaints(s: string | undefined): SimNodeSpec["taints"] {
  return (s ?? "")
    .split(",")
    .filter(Boolean)
    .map((part) => {
      const m = /^([^=:]+)(?:=([^:]*))?:(\w+)$/.exec(part);
      if (!m || !effects.has(m[3])) throw new Error(`--taints: "${part}" is not key[=value]:Effect with Effect NoSchedule, PreferNoSchedule or NoExecute`);
      return m[2] !== undefined ? { key: m[1], value: m[2], effect: m[3] } : { key: m[1], effect: m[3] };
    });
}

function positiveInt(v: string | undefined, flag: string, fallback: number): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${flag}: "${v}" is not a non-negative integer`);
  return n;
}

/** Parses the flags into node specs and the kubeconfig path. */
export function parseSimNodesFlags(argv: string[]): { kubeconfig: string; nodes: SimNodeSpec[]; heartbeatMs: number; statusReportMs: number } {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      kubeconfig: { type: "string" },
      count: { type: "string" },
      "name-prefix": { type: "string" },
      "start-index": { type: "string" },
      cpu: { type: "string" },
      memory: { type: "string" },
      pods: { type: "string" },
      labels: { type: "string" },
      taints: { type: "string" },
      "heartbeat-interval": { type: "string" },
      "status-report-interval": { type: "string" },
    },
  });
  const cpu = values.cpu ?? "4";
  const memory = values.memory ?? "16Gi";
  for (const [flag, q] of [["--cpu", cpu], ["--memory", memory]]) {
    try {
      parseQuantity(q);
    } catch (err) {
      throw new Error(`${flag}: ${(err as Error).message}`);
    }
  }
  const seconds = (flag: "heartbeat-interval" | "status-report-interval", def: number): number => {
    const v = Number(values[flag] ?? def);
    if (!Number.isFinite(v) || v <= 0) throw new Error(`--${flag}: "${values[flag]}" is not a positive number of seconds`);
    return v;
  };
  return {
    heartbeatMs: seconds("heartbeat-interval", 10) * 1000,
    statusReportMs: seconds("status-report-interval", 300) * 1000,
    kubeconfig: values.kubeconfig ?? process.env.KUBECONFIG ?? join(homedir(), ".kube", "config"),
    nodes: simNodeSpecs({
      count: positiveInt(values.count, "--count", 1),
      namePrefix: values["name-prefix"] ?? "sim-node-",
      startIndex: positiveInt(values["start-index"], "--start-index", 0),
      cpu,
      memory,
      pods: positiveInt(values.pods, "--pods", 110),
      labels: parseLabels(values.labels),
      taints: parseTaints(values.taints),
    }),
  };
}

/** Runs simulated nodes until SIGINT/SIGTERM. */
export async function runSimNodes(argv: string[]): Promise<void> {
  let parsed;
  try {
    parsed = parseSimNodesFlags(argv);
  } catch (err) {
    process.stderr.write(`tskube sim-nodes: ${(err as Error).message}\n\n${simNodesUsage}`);
    process.exitCode = 2;
    return;
  }
  const client = new ApiClient(loadKubeconfig(parsed.kubeconfig), { userAgent: "tskube-sim-nodes" });
  const sim = new Simulator({ client, nodes: parsed.nodes, heartbeatMs: parsed.heartbeatMs, statusReportMs: parsed.statusReportMs });
  await sim.start();
  process.stdout.write(`tskube sim-nodes: ${parsed.nodes.length} simulated nodes running\n`);
  const stop = async (): Promise<void> => {
    await sim.stop();
    client.close();
    process.exit(0);
  };
  process.on("SIGINT", () => void stop());
  process.on("SIGTERM", () => void stop());
}
