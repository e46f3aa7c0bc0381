/**
 * `tskube server`: starts the control plane (apiserver on the embedded
 * datastore, plus the composed scheduler and controller-manager) with
 * k3s-style flags, writes the admin kubeconfig, reports readiness and shuts
 * down cleanly on SIGINT/SIGTERM.
 */
import { mkdirSync } from "node:fs";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { ensurePki, servingAddresses } from "../machinery/certs.ts";
import { firstServiceIp, parseCidr, PortAllocator } from "../apiserver/registry/allocator.ts";
import { startApiServer } from "../apiserver/server.ts";
import { log } from "../machinery/log.ts";
import { openEmbeddedStore } from "../storage/index.ts";
import { writeKubeconfig } from "./kubeconfig.ts";
import { once } from "node:events";
import { setFlagsFromString } from "node:v8";
import { Worker } from "node:worker_threads";
import { parseControllerManagerFlags, type ControllerManagerFlags } from "./controllermanager.ts";
import type { ComponentJob } from "./componentworker.ts";
import type { ClusterPki } from "../machinery/certs.ts";
import { ApiClient } from "../client/index.ts";
import { checkTokenFlag, ensureJoinToken } from "../agent/jointoken.ts";
import type { Agent } from "../agent/index.ts";

function defaultDataDir(): string {
  return process.getuid?.() === 0 ? "/var/lib/tskube" : join(homedir(), ".tskube");
}

export const serverUsage = `Usage: tskube server [flags]

Runs the control plane: the kube-apiserver on the embedded datastore, with the
scheduler and the controller-manager composed in the same process.

Flags:
  --data-dir DIR                  state directory (default /var/lib/tskube as root, ~/.tskube otherwise)
  --https-listen-port PORT        apiserver HTTPS port (default 6443)
  --bind-address ADDR             address to listen on (default 0.0.0.0)
  --advertise-address ADDR        address other components use to reach the apiserver (default 127.0.0.1)
  --write-kubeconfig FILE         where to write the admin kubeconfig (default <data-dir>/kubeconfig.yaml)
  --write-kubeconfig-mode MODE    file mode of the kubeconfig, octal (default 600)
  --cluster-cidr CIDR             pod network range (default 10.42.0.0/16)
  --service-cidr CIDR             Service cluster IP range (default 10.43.0.0/16)
  --service-node-port-range RANGE NodePort range (default 30000-32767)
  --default-not-ready-toleration-seconds N    tolerationSeconds of the node.kubernetes.io/not-ready:NoExecute
                                  toleration added to every pod that has none (default 300)
  --default-unreachable-toleration-seconds N  the same for node.kubernetes.io/unreachable (default 300)
  --disable-agent                 do not run a node agent on this machine
  --node-name NAME                name of this machine's node (default: host name, lower-cased)
  --node-ip IP                    address the node reports (default: first non-loopback IPv4)
  --container-runtime-endpoint EP use this CRI endpoint instead of a supervised containerd
  --pod-manifest-path DIR         static pod manifests (default <data-dir>/agent/pod-manifests)
  --kubelet-arg KEY=VALUE         a tskube kubelet flag for the local node agent (repeatable), e.g. port=0
  --token TOKEN                   join token secret: 16 chars of [a-z0-9], or <id>.<secret> (default: generated
                                  once; the full join token is written to <data-dir>/server/token)
  --disable-controller-manager    do not run the controllers in this process
  --disable-scheduler             do not run the scheduler in this process
  --kube-controller-manager-arg KEY=VALUE  a tskube controller-manager flag for the composed
                                  controller-manager (repeatable), e.g. node-monitor-grace-period=20
  -h, --help                      show this help
`;

export interface ServerFlags {
  dataDir: string;
  port: number;
  bindAddress: string;
  advertiseAddress: string;
  kubeconfig: string;
  kubeconfigMode: number;
  clusterCidr: string;
  serviceCidr: string;
  nodePortRange: string;
  /** DefaultTolerationSeconds admission: not-ready and unreachable toleration seconds. */
  notReadyTolerationSeconds: number;
  unreachableTolerationSeconds: number;
  disableAgent: boolean;
  disableControllerManager: boolean;
  disableScheduler: boolean;
  /** Flags for the composed controller-manager (`--key=value`). */
  controllerManagerArgs: string[];
  /** `--token`: the join token's secret (or `<id>.<secret>`); generated when absent. */
  token?: string;
  nodeName?: string;
  nodeIP?: string;
  containerRuntimeEndpoint?: string;
  podManifestPath: string;
  /** `--kubelet-arg KEY=VALUE` pairs for the local agent's kubelet. */
  kubeletArgs: Record<string, string>;
}

function tolerationSeconds(values: Record<string, unknown>, flag: string): number {
  const v = values[flag] as string | undefined;
  if (v === undefined) return 300;
  const n = Number(v);
  if (!/^\d+$/.test(v.trim()) || !Number.isSafeInteger(n)) throw new Error(`--${flag}: must be a number of seconds, got "${v}"`);
  return n;
}

/** Parses and checks `tskube server` flags; throws with a usage message on bad input. */
export function parseServerFlags(argv: string[]): ServerFlags {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      "data-dir": { type: "string" },
      "https-listen-port": { type: "string" },
      "bind-address": { type: "string" },
      "advertise-address": { type: "string" },
      "write-kubeconfig": { type: "string" },
      "write-kubeconfig-mode": { type: "string" },
      "cluster-cidr": { type: "string" },
      "service-cidr": { type: "string" },
      "service-node-port-range": { type: "string" },
      "default-not-ready-toleration-seconds": { type: "string" },
      "default-unreachable-toleration-seconds": { type: "string" },
      "disable-agent": { type: "boolean" },
      "disable-controller-manager": { type: "boolean" },
      "disable-scheduler": { type: "boolean" },
      "kube-controller-manager-arg": { type: "string", multiple: true },
      token: { type: "string" },
      "node-name": { type: "string" },
      "node-ip": { type: "string" },
      "container-runtime-endpoint": { type: "string" },
      "pod-manifest-path": { type: "string" },
      "kubelet-arg": { type: "string", multiple: true },
    },
  });
  const dataDir = resolve(values["data-dir"] ?? defaultDataDir());
  const port = Number(values["https-listen-port"] ?? "6443");
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--https-listen-port: invalid port ${values["https-listen-port"]}`);
  const flags: ServerFlags = {
    dataDir,
    port,
    bindAddress: values["bind-address"] ?? "0.0.0.0",
    advertiseAddress: values["advertise-address"] ?? "127.0.0.1",
    kubeconfig: resolve(values["write-kubeconfig"] ?? join(dataDir, "kubeconfig.yaml")),
    kubeconfigMode: parseInt(values["write-kubeconfig-mode"] ?? "600", 8),
    clusterCidr: values["cluster-cidr"] ?? "10.42.0.0/16",
    serviceCidr: values["service-cidr"] ?? "10.43.0.0/16",
    nodePortRange: values["service-node-port-range"] ?? "30000-32767",
    notReadyTolerationSeconds: tolerationSeconds(values, "default-not-ready-toleration-seconds"),
    unreachableTolerationSeconds: tolerationSeconds(values, "default-unreachable-toleration-seconds"),
    disableAgent: values["disable-agent"] ?? false,
    disableControllerManager: values["disable-controller-manager"] ?? false,
    disableScheduler: values["disable-scheduler"] ?? false,
    controllerManagerArgs: (values["kube-controller-manager-arg"] ?? []).map((a) => `--${a}`),
    token: values.token,
    nodeName: values["node-name"],
    nodeIP: values["node-ip"],
    containerRuntimeEndpoint: values["container-runtime-endpoint"],
    podManifestPath: resolve(values["pod-manifest-path"] ?? join(dataDir, "agent", "pod-manifests")),
    kubeletArgs: parseKeyValues("--kubelet-arg", values["kubelet-arg"] ?? []),
  };
  if (flags.token !== undefined) checkTokenFlag(flags.token);
  for (const [flag, cidr] of [["--cluster-cidr", flags.clusterCidr], ["--service-cidr", flags.serviceCidr]]) {
    try {
      parseCidr(cidr);
    } catch (err) {
      throw new Error(`${flag}: ${(err as Error).message}`);
    }
  }
  try {
    new PortAllocator(flags.nodePortRange);
  } catch (err) {
    throw new Error(`--service-node-port-range: ${(err as Error).message}`);
  }
  if (Number.isNaN(flags.kubeconfigMode)) throw new Error("--write-kubeconfig-mode: must be an octal file mode such as 600");
  try {
    composedControllerManager(flags);
  } catch (err) {
    throw new Error(`--kube-controller-manager-arg: ${(err as Error).message}`);
  }
  return flags;
}

/** Runs the server until SIGINT/SIGTERM. */
export async function runServer(argv: string[]): Promise<void> {
  let flags: ServerFlags;
  try {
    flags = parseServerFlags(argv);
  } catch (err) {
    process.stderr.write(`tskube server: ${(err as Error).message}\n\n${serverUsage}`);
    process.exitCode = 2;
    return;
  }
  // bin/tskube.mjs starts the server with its young generation held at ~2 MB
  // semi-spaces (V8 grows it once from 1 MB, then no further). The apiserver
  // alone keeps it so: more scavenges, but ~20 MB less resident memory with
  // 10,000 objects (bench/apiserver-startup.ts). The composed server lets it
  // grow to the shebang's 16 MB (V8's default growth factor is 2; V8 reads
  // the flag at every growth): its threads allocate heavily per pod
  // (apiserver CPU -10%, pods/s +10% in bench/scheduler-throughput.ts).
  if (!flags.disableScheduler || !flags.disableControllerManager) setFlagsFromString("--semi-space-growth-factor=2");
  const t0 = performance.now();
  mkdirSync(flags.dataDir, { recursive: true, mode: 0o700 });
  const svcIp = firstServiceIp(flags.serviceCidr);
  const pki = await ensurePki(join(flags.dataDir, "server", "tls"), servingAddresses(flags.bindAddress, svcIp));
  const store = await openEmbeddedStore({ dir: join(flags.dataDir, "server", "db") });
  const api = await startApiServer({
    store,
    ca: pki.ca,
    serving: pki.serving,
    bindAddress: flags.bindAddress,
    port: flags.port,
    advertiseAddress: flags.advertiseAddress,
    serviceCidr: flags.serviceCidr,
    nodePortRange: flags.nodePortRange,
    admission: { notReadyTolerationSeconds: flags.notReadyTolerationSeconds, unreachableTolerationSeconds: flags.unreachableTolerationSeconds },
    kubeletClient: pki.kubeletClient,
  });
  const host = flags.bindAddress === "0.0.0.0" || flags.bindAddress === "::" ? "127.0.0.1" : flags.bindAddress;
  writeKubeconfig(
    flags.kubeconfig,
    { server: `https://${host.includes(":") ? `[${host}]` : host}:${api.port}`, caPem: pki.ca.cert, certPem: pki.admin.cert, keyPem: pki.admin.key },
    flags.kubeconfigMode,
  );
  const server = `https://127.0.0.1:${api.port}`;
  const components = startComponents(flags, server, pki);
  const admin = new ApiClient({ server, ca: pki.ca.cert, cert: pki.admin.cert, key: pki.admin.key }, { userAgent: "tskube-server" });
  const joinToken = await ensureJoinToken({ dataDir: flags.dataDir, client: admin, caPem: pki.ca.cert, explicit: flags.token }).finally(() => admin.close());
  process.stdout.write(`tskube: kubeconfig written to ${flags.kubeconfig}\n`);
  process.stdout.write(`tskube: join token written to ${joinToken.tokenFile} (tskube agent --server https://<this-host>:${api.port} --token-file ${joinToken.tokenFile})\n`);
  process.stdout.write(`tskube: apiserver ready on https://${host}:${api.port} (${Math.round(performance.now() - t0)} ms)\n`);
  const agent = flags.disableAgent ? undefined : await startLocalAgent(flags, server, joinToken.token);

  let stopping = false;
  const shutdown = async (sig: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    log.info("shutting down", { signal: sig });
    await agent?.stop().catch((err: Error) => log.error("stopping the node agent failed", { error: String(err) }));
    await components.stop();
    await api.close();
    await store.close();
    process.stdout.write("tskube: stopped\n");
    process.exit(0);
  };
  process.on("SIGINT", () => void shutdown("SIGINT"));
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
}

/** Parses repeated KEY=VALUE flag values (a leading `--` on KEY is accepted). */
function parseKeyValues(flag: string, items: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of items) {
    const eq = item.indexOf("=");
    if (eq <= 0) throw new Error(`${flag}: expected KEY=VALUE, got "${item}"`);
    out[item.slice(0, eq).replace(/^--/, "")] = item.slice(eq + 1);
  }
  return out;
}

/**
 * Runs the node agent for this machine, joined with the server's own join
 * token like any other node. When the node's prerequisites are missing the
 * server keeps running as a control plane only and says why.
 */
async function startLocalAgent(flags: ServerFlags, server: string, token: string): Promise<Agent | undefined> {
  try {
    // Loaded only when this machine runs a node (the control plane alone does not carry the kubelet's code).
    const { runAgent } = await import("../agent/index.ts");
    const agent = await runAgent({
      server,
      token,
      dataDir: flags.dataDir,
      nodeName: flags.nodeName,
      nodeIP: flags.nodeIP,
      containerRuntimeEndpoint: flags.containerRuntimeEndpoint,
      podManifestPath: flags.podManifestPath,
      kubeletArgs: flags.kubeletArgs,
    });
    process.stdout.write(`tskube: node ${agent.nodeName} agent running\n`);
    return agent;
  } catch (err) {
    log.error("node agent not started: running the control plane only", { error: (err as Error).message });
    process.stdout.write(`tskube: node agent not started (${(err as Error).message}); running the control plane only\n`);
    return undefined;
  }
}

/** Settings of the composed controller-manager: its own flags, with the server's cluster CIDR as default. */
function composedControllerManager(flags: ServerFlags): ControllerManagerFlags {
  return parseControllerManagerFlags(["--kubeconfig", "(composed)", "--cluster-cidr", flags.clusterCidr, ...flags.controllerManagerArgs]);
}

/**
 * Runs the composed control-plane components, each on its own worker thread
 * (so scheduling and reconciling do not queue behind the apiserver's event
 * loop) and as an API client of the apiserver with its own certificate.
 * Composition changes placement, not behaviour. Leader election stays on, so
 * several servers can share one datastore later.
 */
function startComponents(flags: ServerFlags, server: string, pki: ClusterPki): { stop(): Promise<void> } {
  const workers: Worker[] = [];
  const ext = import.meta.url.endsWith(".ts") ? ".ts" : ".js";
  const start = (kind: ComponentJob["kind"], cert: { cert: string; key: string }): void => {
    const job: ComponentJob = {
      kind,
      config: { server, ca: pki.ca.cert, cert: cert.cert, key: cert.key },
      controllerManagerArgs: [
        "--cluster-cidr",
        flags.clusterCidr,
        "--cluster-signing-cert-file",
        join(flags.dataDir, "server", "tls", "ca.crt"),
        "--cluster-signing-key-file",
        join(flags.dataDir, "server", "tls", "ca.key"),
        ...flags.controllerManagerArgs,
      ],
      serviceCidr: flags.serviceCidr,
    };
    const w = new Worker(new URL(`./componentworker${ext}`, import.meta.url), { workerData: job });
    w.on("error", (err: Error) => log.error(`${kind} thread failed`, { error: String(err?.stack ?? err) }));
    workers.push(w);
  };
  if (!flags.disableControllerManager) start("controller-manager", pki.controllerManager);
  if (!flags.disableScheduler) start("scheduler", pki.scheduler);
  return {
    async stop() {
      await Promise.all(
        workers.map(async (w) => {
          const exited = once(w, "exit");
          w.postMessage("stop");
          const timer = setTimeout(() => void w.terminate(), 10_000);
          await exited;
          clearTimeout(timer);
        }),
      );
    },
  };
}
