/**
 * `tskube kubelet`: runs the node agent on its own against an apiserver and
 * an already running container runtime (CRI socket), until SIGINT/SIGTERM.
 * `tskube agent` composes the same startKubelet with a supervised containerd.
 */
import { readFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { startKubelet, type KubeletOptions } from "../kubelet/index.ts";
import type { Thresholds } from "../kubelet/pressure.ts";
import { tryParseQuantity } from "../machinery/quantity.ts";

export const kubeletUsage = `Usage: tskube kubelet [flags]

Runs the kubelet: registers this machine as a Node, runs the pods bound to it
through a CRI runtime (containerd), reports their status, serves the kubelet
API (logs, exec, port-forward, stats). Runs until stopped (SIGINT/SIGTERM);
containers keep running when it stops.

Flags:
  --kubeconfig FILE                  credentials (required; default $KUBECONFIG)
  --container-runtime-endpoint SOCK  CRI socket, e.g. unix:///run/containerd/containerd.sock (required)
  --node-name NAME                   node name (default: the host name)
  --node-ip IP                       node InternalIP (default: first non-loopback IPv4)
  --root-dir DIR                     kubelet state and pod logs (default /var/lib/tskube/agent/kubelet)
  --pod-manifest-path DIR            directory of static pod manifests
  --cluster-dns IP[,IP]              DNS servers for ClusterFirst pods (default 10.43.0.10)
  --cluster-domain DOMAIN            cluster domain (default cluster.local)
  --cni-conf-dir DIR                 write the node's CNI conflist here once it has a pod CIDR
  --cgroup-root PATH                 parent cgroup of pods (default /tskube/<node-name>)
  --port PORT                        kubelet API port (default 10250, 0 picks one, -1 disables)
  --healthz-port PORT                healthz port (default 10248)
  --address ADDR                     address of the kubelet API (default 0.0.0.0)
  --max-pods N                       pod capacity (default 110)
  --client-ca-file FILE              CA of clients allowed to use the kubelet API
  --eviction-hard LIST               pressure thresholds, e.g. memory.available<100Mi,nodefs.available<10%
                                     (default: memory.available<100Mi, nodefs.available<10%,
                                     nodefs.inodesFree<5%, imagefs.available<15%, pid.available<10%)
  --image-gc-high-threshold PCT      image disk use that starts image garbage collection (default 85)
  --image-gc-low-threshold PCT       image disk use garbage collection frees down to (default 80)
  -h, --help                         show this help
`;

function int(v: string | undefined, flag: string, fallback: number, min = 0): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > 65535 * 100) throw new Error(`${flag}: "${v}" is not a valid number`);
  return n;
}

const evictionSignals = new Set<string>(["memory.available", "nodefs.available", "nodefs.inodesFree", "imagefs.available", "imagefs.inodesFree", "pid.available"]);

/**
 * Parses `--eviction-hard` as upstream's kubelet does: `signal<quantity` or
 * `signal<percent%` pairs separated by commas; the given set replaces the
 * defaults (signals not named have no threshold).
 */
export function parseEvictionHard(v: string): Thresholds {
  const out: Thresholds = {};
  for (const part of v.split(",").map((p) => p.trim()).filter(Boolean)) {
    const m = /^([a-zA-Z.]+)<(.+)$/.exec(part);
    if (!m || !evictionSignals.has(m[1])) throw new Error(`--eviction-hard: "${part}" is not <signal><<quantity or percentage> with a known signal (${[...evictionSignals].join(", ")})`);
    const value = m[2].trim();
    const pct = value.endsWith("%") ? Number(value.slice(0, -1)) : undefined;
    if (pct !== undefined ? !(pct >= 0 && pct <= 100) : tryParseQuantity(value) === undefined) throw new Error(`--eviction-hard: "${value}" is not a quantity or a percentage`);
    out[m[1] as keyof Thresholds] = value;
  }
  return out;
}

/** Parses the flags into startKubelet options (without log/services). */
export function parseKubeletFlags(argv: string[]): KubeletOptions {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      kubeconfig: { type: "string" },
      "container-runtime-endpoint": { type: "string" },
      "node-name": { type: "string" },
      "node-ip": { type: "string" },
      "root-dir": { type: "string" },
      "pod-manifest-path": { type: "string" },
      "cluster-dns": { type: "string" },
      "cluster-domain": { type: "string" },
      "cni-conf-dir": { type: "string" },
      "cgroup-root": { type: "string" },
      port: { type: "string" },
      "healthz-port": { type: "string" },
      address: { type: "string" },
      "max-pods": { type: "string" },
      "client-ca-file": { type: "string" },
      "eviction-hard": { type: "string" },
      "image-gc-high-threshold": { type: "string" },
      "image-gc-low-threshold": { type: "string" },
    },
  });
  const kubeconfig = values.kubeconfig ?? process.env.KUBECONFIG;
  if (!kubeconfig) throw new Error("--kubeconfig is required (or set KUBECONFIG)");
  const criEndpoint = values["container-runtime-endpoint"];
  if (!criEndpoint) throw new Error("--container-runtime-endpoint is required");
  const nodeName = (values["node-name"] ?? hostname()).toLowerCase();
  if (!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(nodeName)) throw new Error(`--node-name: "${nodeName}" is not a valid node name`);
  const dns = (values["cluster-dns"] ?? "10.43.0.10").split(",").map((s) => s.trim()).filter(Boolean);
  for (const ip of dns) if (!/^\d+\.\d+\.\d+\.\d+$/.test(ip)) throw new Error(`--cluster-dns: "${ip}" is not an IPv4 address`);
  const gcHigh = int(values["image-gc-high-threshold"], "--image-gc-high-threshold", 85, 0);
  const gcLow = int(values["image-gc-low-threshold"], "--image-gc-low-threshold", 80, 0);
  if (gcHigh > 100 || gcLow > gcHigh) throw new Error("--image-gc-low-threshold must not exceed --image-gc-high-threshold, and both are percentages (0-100)");
  return {
    kubeconfig,
    criEndpoint,
    nodeName,
    nodeIP: values["node-ip"],
    rootDir: values["root-dir"] ?? join("/var/lib/tskube", "agent", "kubelet"),
    podManifestPath: values["pod-manifest-path"],
    clusterDNS: dns,
    clusterDomain: values["cluster-domain"] ?? "cluster.local",
    cniConfDir: values["cni-conf-dir"],
    cgroupRoot: values["cgroup-root"],
    port: int(values.port, "--port", 10250, -1),
    healthzPort: int(values["healthz-port"], "--healthz-port", 10248, -1),
    bindAddress: values.address ?? "0.0.0.0",
    maxPods: int(values["max-pods"], "--max-pods", 110, 1),
    clientCAPem: values["client-ca-file"] ? readFileSync(values["client-ca-file"], "utf8") : undefined,
    evictionHard: values["eviction-hard"] !== undefined ? parseEvictionHard(values["eviction-hard"]) : undefined,
    imageGCHighThresholdPercent: gcHigh,
    imageGCLowThresholdPercent: gcLow,
  };
}

/** Runs the kubelet until SIGINT/SIGTERM. */
export async function runKubeletCommand(argv: string[]): Promise<void> {
  let opts: KubeletOptions;
  try {
    opts = parseKubeletFlags(argv);
  } catch (err) {
    process.stderr.write(`tskube kubelet: ${(err as Error).message}\n\n${kubeletUsage}`);
    process.exitCode = 2;
    return;
  }
  const kubelet = await startKubelet(opts);
  process.stdout.write(`tskube kubelet: node ${kubelet.nodeName} running${kubelet.ports ? ` (API on :${kubelet.ports.port})` : ""}\n`);
  let stopping = false;
  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    await kubelet.stop();
    process.exit(0);
  };
  process.on("SIGINT", () => void stop());
  process.on("SIGTERM", () => void stop());
}
