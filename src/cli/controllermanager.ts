/**
 * `tskube controller-manager`: runs the controllers as an API client with its
 * own kubeconfig, under leader election, with an HTTPS health/metrics port
 * (10257 by default).
 */
import { parseArgs } from "node:util";
import { allControllers, selectControllers } from "../controllers/index.ts";
import { runControllerManager } from "../controllers/manager.ts";
import { defaultControllerSettings, type ControllerSettings } from "../controllers/types.ts";
import { parseCidr } from "../apiserver/registry/allocator.ts";
import { componentOptions, parseComponentFlags, runComponent, type ComponentFlags } from "./component.ts";

export const controllerManagerUsage = `Usage: tskube controller-manager [flags]

Runs the controllers (ReplicaSet, Deployment, namespace lifecycle, garbage
collector, ...) against the apiserver, as an API client.

Flags:
  --kubeconfig FILE                      credentials (default $KUBECONFIG)
  --controllers LIST                     which controllers: * (all, default), name, -name (disable)
  --leader-elect=BOOL                    elect a leader through the kube-system/kube-controller-manager Lease (default true)
  --secure-port PORT                     HTTPS health/metrics port (default 10257; 0 picks one, -1 disables)
  --bind-address ADDR                    address of that port (default 127.0.0.1)
  --cluster-cidr CIDR                    pod network to cut node pod CIDRs from (default 10.42.0.0/16)
  --node-cidr-mask-size N                size of each node's pod CIDR (default 24)
  --node-monitor-grace-period SECONDS    a node silent this long becomes NotReady/Unknown (default 40)
  --default-not-ready-toleration-seconds SECONDS  eviction delay for pods on unreachable nodes that have no
                                  not-ready/unreachable toleration (default 300)
  --concurrent-syncs N                   workers per controller (default 5)
  --terminated-pod-gc-threshold N        finished pods kept before podgc deletes the oldest (default 12500; 0: never)
  --cluster-signing-cert-file FILE       CA certificate (PEM) csrsigning signs with (no signing without it)
  --cluster-signing-key-file FILE        private key (PEM, PKCS#8) of that CA
  --cluster-signing-duration SECONDS     longest lifetime of signed certificates (default 31536000, one year)
  -h, --help                             show this help
`;

export interface ControllerManagerFlags extends ComponentFlags {
  controllers: string;
  settings: ControllerSettings;
}

function num(v: string | undefined, flag: string, fallback: number, min = 0): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isFinite(n) || n < min) throw new Error(`${flag}: invalid value "${v}"`);
  return n;
}

/** Parses and checks the flags. */
export function parseControllerManagerFlags(argv: string[]): ControllerManagerFlags {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      ...componentOptions,
      controllers: { type: "string" },
      "cluster-cidr": { type: "string" },
      "node-cidr-mask-size": { type: "string" },
      "node-monitor-grace-period": { type: "string" },
      "default-not-ready-toleration-seconds": { type: "string" },
      "concurrent-syncs": { type: "string" },
      "terminated-pod-gc-threshold": { type: "string" },
      "cluster-signing-cert-file": { type: "string" },
      "cluster-signing-key-file": { type: "string" },
      "cluster-signing-duration": { type: "string" },
    },
  });
  const common = parseComponentFlags(values, 10257);
  const clusterCidr = values["cluster-cidr"] ?? defaultControllerSettings.clusterCidr;
  parseCidr(clusterCidr);
  const settings: ControllerSettings = {
    ...defaultControllerSettings,
    clusterCidr,
    nodeCidrMaskSize: num(values["node-cidr-mask-size"], "--node-cidr-mask-size", defaultControllerSettings.nodeCidrMaskSize, 8),
    nodeMonitorGracePeriodMs: num(values["node-monitor-grace-period"], "--node-monitor-grace-period", defaultControllerSettings.nodeMonitorGracePeriodMs / 1000) * 1000,
    defaultTolerationSeconds: num(values["default-not-ready-toleration-seconds"], "--default-not-ready-toleration-seconds", defaultControllerSettings.defaultTolerationSeconds),
    workers: num(values["concurrent-syncs"], "--concurrent-syncs", defaultControllerSettings.workers, 1),
    terminatedPodGCThreshold: num(values["terminated-pod-gc-threshold"], "--terminated-pod-gc-threshold", defaultControllerSettings.terminatedPodGCThreshold),
    clusterSigningCertFile: values["cluster-signing-cert-file"],
    clusterSigningKeyFile: values["cluster-signing-key-file"],
    clusterSigningDurationSeconds: num(values["cluster-signing-duration"], "--cluster-signing-duration", defaultControllerSettings.clusterSigningDurationSeconds, 600),
  };
  if (!settings.clusterSigningCertFile !== !settings.clusterSigningKeyFile) {
    throw new Error("--cluster-signing-cert-file and --cluster-signing-key-file go together");
  }
  const controllers = values.controllers ?? "*";
  selectControllers(controllers);
  return { ...common, controllers, settings };
}

/** Runs the controller-manager until SIGINT/SIGTERM or lost leadership. */
export async function runControllerManagerCommand(argv: string[]): Promise<void> {
  let f: ControllerManagerFlags;
  try {
    f = parseControllerManagerFlags(argv);
  } catch (err) {
    process.stderr.write(`tskube controller-manager: ${(err as Error).message}\n\n${controllerManagerUsage}`);
    process.exitCode = 2;
    return;
  }
  const controllers = selectControllers(f.controllers, allControllers);
  await runComponent("controller-manager", f, (r, signal) =>
    runControllerManager({ ...r, controllers, settings: f.settings, leaderElect: f.leaderElect }, signal),
  );
}
