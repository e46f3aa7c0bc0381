/**
 * What `tskube scheduler` and `tskube controller-manager` share: the
 * kubeconfig / leader-election / health-port flags and the process life cycle
 * (API client, health server, signal handling, exit on lost leadership).
 */
import { hostname } from "node:os";
import { ApiClient, loadKubeconfig } from "../client/index.ts";
import { startHealthServer } from "../component/healthserver.ts";
import { log } from "../machinery/log.ts";

/** parseArgs options common to the control-plane components. */
export const componentOptions = {
  kubeconfig: { type: "string" },
  "leader-elect": { type: "string" },
  "secure-port": { type: "string" },
  "bind-address": { type: "string" },
} as const;

export interface ComponentFlags {
  kubeconfig: string;
  leaderElect: boolean;
  securePort: number;
  bindAddress: string;
}

/** Checks the common flags; `defaultPort` is the component's health port (10257, 10259). */
export function parseComponentFlags(values: Partial<Record<keyof typeof componentOptions, string>>, defaultPort: number): ComponentFlags {
  const kubeconfig = values.kubeconfig ?? process.env.KUBECONFIG;
  if (!kubeconfig) throw new Error("--kubeconfig is required (or set KUBECONFIG)");
  const le = values["leader-elect"] ?? "true";
  if (le !== "true" && le !== "false") throw new Error("--leader-elect: must be true or false");
  const port = Number(values["secure-port"] ?? String(defaultPort));
  if (!Number.isInteger(port) || port < -1 || port > 65535) throw new Error(`--secure-port: invalid port ${values["secure-port"]}`);
  return { kubeconfig, leaderElect: le === "true", securePort: port, bindAddress: values["bind-address"] ?? "127.0.0.1" };
}

/** What a component's main loop gets. */
export interface ComponentRun {
  client: ApiClient;
  identity: string;
  onLeading(leading: boolean): void;
}

/**
 * Runs a component until SIGINT/SIGTERM (exit 0) or lost leadership (exit 1,
 * so a supervisor restarts it, as upstream components do).
 */
export async function runComponent(
  name: string,
  f: ComponentFlags,
  main: (r: ComponentRun, signal: AbortSignal) => Promise<void>,
): Promise<void> {
  const client = new ApiClient(loadKubeconfig(f.kubeconfig), { userAgent: `tskube-${name}` });
  let leading = false;
  const health = await startHealthServer({ component: `kube-${name}`, bindAddress: f.bindAddress, port: f.securePort, ready: () => leading || !f.leaderElect });
  const stop = new AbortController();
  process.on("SIGINT", () => stop.abort());
  process.on("SIGTERM", () => stop.abort());
  process.stdout.write(`tskube ${name}: running (health on ${f.bindAddress}:${health.port})\n`);
  await main({ client, identity: `${hostname()}_${process.pid}`, onLeading: (l) => (leading = l) }, stop.signal);
  await health.close();
  client.close();
  if (!stop.signal.aborted) {
    log.error("leader election lost", { component: name });
    process.exit(1);
  }
  process.exit(0);
}
