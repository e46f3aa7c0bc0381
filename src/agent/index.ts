/**
 * The node agent (`tskube agent`), composed like k3s's: check the runtime
 * prerequisites, obtain node credentials with the join token (bootstrap.ts:
 * CSR, never admin credentials), start a supervised containerd (unless an
 * existing CRI endpoint is given), make sure the built-in images are there,
 * then run the kubelet with the node credentials. Everything lives under
 * `<dataDir>/agent`:
 *   node-name           this node's name (read by `tskube killall`)
 *   kubelet.kubeconfig  node credentials (0600)
 *   client-ca.crt       cluster CA (clients of the kubelet API)
 *   containerd/         containerd state, socket, log
 *   etc/cni/net.d/      CNI config written by the kubelet once it has a pod CIDR
 *   images/             built-in image tarballs
 *   kubelet/            kubelet root dir (pods, logs)
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { checkRuntimePrerequisites, startContainerd, type ContainerdHandle } from "../containerd/index.ts";
import { ensureBuiltinImages, PAUSE_IMAGE } from "../images/index.ts";
import { startKubelet } from "../kubelet/index.ts";
import { parseKubeletFlags } from "../cli/kubelet.ts";
import { log as rootLog, type Logger } from "../machinery/log.ts";
import { bootstrapNodeCredentials } from "./bootstrap.ts";

export { bootstrapNodeCredentials } from "./bootstrap.ts";
export type { BootstrapOptions, BootstrapResult } from "./bootstrap.ts";
export { formatJoinToken, parseJoinToken, caHash } from "./token.ts";
export { ensureJoinToken } from "./jointoken.ts";

export interface AgentOptions {
  /** Apiserver URL, e.g. https://10.0.0.1:6443. */
  server: string;
  /** Join token (content of the server's <data-dir>/server/token). */
  token: string;
  /** State directory; the agent uses `<dataDir>/agent`. */
  dataDir: string;
  /** Node name (default: the host name, lower-cased). */
  nodeName?: string;
  nodeIP?: string;
  /** Use this CRI endpoint instead of starting containerd. */
  containerRuntimeEndpoint?: string;
  podManifestPath?: string;
  /** Extra kubelet flags (`tskube kubelet` names without dashes), applied last. */
  kubeletArgs?: Record<string, string>;
  log?: Logger;
}

/** A running agent. stop() stops the kubelet and containerd; containers keep running. */
export interface Agent {
  nodeName: string;
  kubeconfig: string;
  stop(): Promise<void>;
}

/** Starts the node agent; rejects with a readable message when a step fails (nothing is left running). */
export async function runAgent(opts: AgentOptions): Promise<Agent> {
  const log = opts.log ?? rootLog.child("agent");
  const nodeName = (opts.nodeName ?? hostname()).toLowerCase();
  if (!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(nodeName)) throw new Error(`node name "${nodeName}" is not a valid DNS subdomain (set --node-name)`);
  if (!opts.containerRuntimeEndpoint) {
    if (process.getuid?.() !== 0) throw new Error("the node agent runs containerd, runc and the CNI plugins, which need root: run as root, or pass --disable-agent");
    const pre = checkRuntimePrerequisites();
    if (pre.missing.length) throw new Error(pre.message || `missing runtime prerequisites: ${pre.missing.join(", ")}`);
  }
  const agentDir = join(opts.dataDir, "agent");
  mkdirSync(agentDir, { recursive: true, mode: 0o700 });
  writeFileSync(join(agentDir, "node-name"), `${nodeName}\n`);
  const creds = await bootstrapNodeCredentials({
    server: opts.server,
    token: opts.token,
    nodeName,
    dir: agentDir,
    log: (m, f) => log.info(m, f),
  });
  const clientCaFile = join(agentDir, "client-ca.crt");
  writeFileSync(clientCaFile, creds.caPem, { mode: 0o644 });
  const cniConfDir = join(agentDir, "etc", "cni", "net.d");
  mkdirSync(cniConfDir, { recursive: true });

  let containerd: ContainerdHandle | undefined;
  let endpoint = opts.containerRuntimeEndpoint;
  try {
    if (!endpoint) {
      containerd = await startContainerd({ dataDir: agentDir, sandboxImage: PAUSE_IMAGE, cniConfDir, nodeName, log: (m, f) => log.info(m, f as Record<string, unknown>) });
      endpoint = containerd.endpoint;
    }
    await ensureBuiltinImages(endpoint, { cacheDir: join(agentDir, "images"), log: (m, f) => log.info(m, f as Record<string, unknown>) });
    const argv = [
      "--kubeconfig", creds.kubeconfig,
      "--container-runtime-endpoint", endpoint,
      "--node-name", nodeName,
      "--root-dir", join(agentDir, "kubelet"),
      "--cni-conf-dir", cniConfDir,
      "--client-ca-file", clientCaFile,
      ...(opts.nodeIP ? ["--node-ip", opts.nodeIP] : []),
      ...(opts.podManifestPath ? ["--pod-manifest-path", opts.podManifestPath] : []),
      ...Object.entries(opts.kubeletArgs ?? {}).map(([k, v]) => `--${k}=${v}`),
    ];
    let kubeletOpts;
    try {
      kubeletOpts = parseKubeletFlags(argv);
    } catch (err) {
      throw new Error(`--kubelet-arg: ${(err as Error).message}`);
    }
    const kubelet = await startKubelet({ ...kubeletOpts, log });
    log.info("agent running", { node: nodeName, server: opts.server, criEndpoint: endpoint });
    let stopped = false;
    return {
      nodeName,
      kubeconfig: creds.kubeconfig,
      async stop() {
        if (stopped) return;
        stopped = true;
        await kubelet.stop();
        await containerd?.stop();
      },
    };
  } catch (err) {
    await containerd?.stop().catch(() => undefined);
    throw err;
  }
}
