/**
 * `tskube scheduler`: the kube-scheduler as its own process — an API client
 * with its own kubeconfig, under leader election, with an HTTPS
 * health/metrics port (10259 by default) and an optional
 * KubeSchedulerConfiguration file.
 */
import { readFileSync } from "node:fs";
import { hostname } from "node:os";
import { parseArgs } from "node:util";
import { ApiClient, loadKubeconfig } from "../client/index.ts";
import { startHealthServer } from "../component/healthserver.ts";
import { log } from "../machinery/log.ts";
import { parseSchedulerConfig, type SchedulerConfig } from "../scheduler/profile.ts";
import { runScheduler } from "../scheduler/run.ts";

export const schedulerUsage = `Usage: tskube scheduler [flags]

Runs the kube-scheduler against the apiserver, as an API client.

Flags:
  --kubeconfig FILE     credentials (default $KUBECONFIG)
  --config FILE         KubeSchedulerConfiguration (kubescheduler.config.k8s.io/v1, YAML or JSON):
                        profiles, plugins, pluginConfig, percentageOfNodesToScore
  --leader-elect=BOOL   elect a leader through the kube-system/kube-scheduler Lease (default true)
  --secure-port PORT    HTTPS health/metrics port (default 10259; 0 picks one, -1 disables)
  --bind-address ADDR   address of that port (default 127.0.0.1)
  -h, --help            show this help
`;

export interface SchedulerFlags {
  kubeconfig: string;
  config: SchedulerConfig;
  leaderElect: boolean;
  securePort: number;
  bindAddress: string;
}

/** Parses and checks the flags (reads and validates --config). */
export function parseSchedulerFlags(argv: string[]): SchedulerFlags {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      kubeconfig: { type: "string" },
      config: { type: "string" },
      "leader-elect": { type: "string" },
      "secure-port": { type: "string" },
      "bind-address": { type: "string" },
    },
  });
  const kubeconfig = values.kubeconfig ?? process.env.KUBECONFIG;
  if (!kubeconfig) throw new Error("--kubeconfig is required (or set KUBECONFIG)");
  const le = values["leader-elect"] ?? "true";
  if (le !== "true" && le !== "false") throw new Error("--leader-elect: must be true or false");
  const port = Number(values["secure-port"] ?? "10259");
  if (!Number.isInteger(port) || port < -1 || port > 65535) throw new Error(`--secure-port: invalid port ${values["secure-port"]}`);
  let config: SchedulerConfig;
  try {
    config = values.config ? parseSchedulerConfig(readFileSync(values.config, "utf8")) : parseSchedulerConfig({});
  } catch (err) {
    throw new Error(`--config: ${(err as Error).message}`);
  }
  for (const w of config.warnings) log.warn("scheduler configuration", { warning: w });
  return { kubeconfig, config, leaderElect: le === "true", securePort: port, bindAddress: values["bind-address"] ?? "127.0.0.1" };
}

/** Runs the scheduler until SIGINT/SIGTERM or lost leadership. */
export async function runSchedulerCommand(argv: string[]): Promise<void> {
  let f: SchedulerFlags;
  try {
    f = parseSchedulerFlags(argv);
  } catch (err) {
    process.stderr.write(`tskube scheduler: ${(err as Error).message}\n\n${schedulerUsage}`);
    process.exitCode = 2;
    return;
  }
  const client = new ApiClient(loadKubeconfig(f.kubeconfig), { userAgent: "tskube-scheduler" });
  let leading = false;
  const health = await startHealthServer({ component: "kube-scheduler", bindAddress: f.bindAddress, port: f.securePort, ready: () => leading || !f.leaderElect });
  const stop = new AbortController();
  process.on("SIGINT", () => stop.abort());
  process.on("SIGTERM", () => stop.abort());
  process.stdout.write(`tskube scheduler: running (health on ${f.bindAddress}:${health.port})\n`);
  await runScheduler({ client, config: f.config, leaderElect: f.leaderElect, identity: `${hostname()}_${process.pid}`, onLeading: (l) => (leading = l) }, stop.signal);
  await health.close();
  client.close();
  if (!stop.signal.aborted) {
    log.error("leader election lost");
    process.exit(1);
  }
  process.exit(0);
}
