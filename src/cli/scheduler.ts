/**
 * `tskube scheduler`: the kube-scheduler as its own process — an API client
 * with its own kubeconfig, under leader election, with an HTTPS
 * health/metrics port (10259 by default) and an optional
 * KubeSchedulerConfiguration file.
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { log } from "../machinery/log.ts";
import { componentOptions, parseComponentFlags, runComponent, type ComponentFlags } from "./component.ts";
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

export interface SchedulerFlags extends ComponentFlags {
  config: SchedulerConfig;
}

/** Parses and checks the flags (reads and validates --config). */
export function parseSchedulerFlags(argv: string[]): SchedulerFlags {
  const { values } = parseArgs({ args: argv, strict: true, options: { ...componentOptions, config: { type: "string" } } });
  const common = parseComponentFlags(values, 10259);
  let config: SchedulerConfig;
  try {
    config = values.config ? parseSchedulerConfig(readFileSync(values.config, "utf8")) : parseSchedulerConfig({});
  } catch (err) {
    throw new Error(`--config: ${(err as Error).message}`);
  }
  for (const w of config.warnings) log.warn("scheduler configuration", { warning: w });
  return { ...common, config };
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
  await runComponent("scheduler", f, (r, signal) => runScheduler({ ...r, config: f.config, leaderElect: f.leaderElect }, signal));
}
