/**
 * `tskube agent`: joins this machine to a cluster as a node with a join
 * token (k3s-style flags) and runs containerd + the kubelet until
 * SIGINT/SIGTERM (containers keep running after it stops).
 */
import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { runAgent, type AgentOptions } from "../agent/index.ts";
import { parseJoinToken } from "../agent/token.ts";
import { log } from "../machinery/log.ts";

export const agentUsage = `Usage: tskube agent --server URL (--token TOKEN | --token-file FILE) [flags]

Joins this machine to a cluster as a node: fetches the cluster CA (checked
against the join token's hash), obtains node credentials through a
CertificateSigningRequest authenticated by the token (auto-approved and
signed by the controller-manager), then runs containerd and the kubelet.
The join token is in the server's <data-dir>/server/token.

Flags:
  --server URL                       apiserver URL, e.g. https://10.0.0.1:6443 (required)
  --token TOKEN                      join token (K10<ca-sha256>::<id>.<secret>); or $TSKUBE_TOKEN
  --token-file FILE                  read the join token from FILE
  --data-dir DIR                     state directory; the agent uses DIR/agent
                                     (default /var/lib/tskube as root, ~/.tskube otherwise)
  --node-name NAME                   node name (default: the host name)
  --node-ip IP                       node InternalIP (default: first non-loopback IPv4)
  --container-runtime-endpoint SOCK  use this CRI socket instead of starting containerd
  --pod-manifest-path DIR            directory of static pod manifests
  --kubelet-arg KEY=VALUE            a tskube kubelet flag (repeatable), e.g. max-pods=50
  -h, --help                         show this help
`;

function defaultDataDir(): string {
  return process.getuid?.() === 0 ? "/var/lib/tskube" : join(homedir(), ".tskube");
}

/** Parses and checks `tskube agent` flags (the token is read, not yet used). */
export function parseAgentFlags(argv: string[], env: NodeJS.ProcessEnv = process.env): AgentOptions {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      server: { type: "string" },
      token: { type: "string" },
      "token-file": { type: "string" },
      "data-dir": { type: "string" },
      "node-name": { type: "string" },
      "node-ip": { type: "string" },
      "container-runtime-endpoint": { type: "string" },
      "pod-manifest-path": { type: "string" },
      "kubelet-arg": { type: "string", multiple: true },
    },
  });
  const server = values.server ?? env.TSKUBE_URL;
  if (!server) throw new Error("--server is required");
  let url: URL;
  try {
    url = new URL(server);
  } catch {
    throw new Error(`--server: "${server}" is not a URL`);
  }
  if (url.protocol !== "https:") throw new Error("--server: must be an https:// URL");
  if (values.token && values["token-file"]) throw new Error("--token and --token-file are exclusive");
  let token = values.token;
  if (values["token-file"]) {
    try {
      token = readFileSync(values["token-file"], "utf8").trim();
    } catch (err) {
      throw new Error(`--token-file: ${(err as Error).message}`);
    }
  }
  token ??= env.TSKUBE_TOKEN;
  if (!token) throw new Error("--token or --token-file is required");
  parseJoinToken(token);
  const kubeletArgs: Record<string, string> = {};
  for (const a of values["kubelet-arg"] ?? []) {
    const eq = a.indexOf("=");
    if (eq <= 0) throw new Error(`--kubelet-arg: "${a}" is not KEY=VALUE`);
    kubeletArgs[a.slice(0, eq).replace(/^--/, "")] = a.slice(eq + 1);
  }
  return {
    server: server.replace(/\/+$/, ""),
    token,
    dataDir: resolve(values["data-dir"] ?? defaultDataDir()),
    nodeName: values["node-name"],
    nodeIP: values["node-ip"],
    containerRuntimeEndpoint: values["container-runtime-endpoint"],
    podManifestPath: values["pod-manifest-path"],
    kubeletArgs,
  };
}

/** Runs the agent until SIGINT/SIGTERM. */
export async function runAgentCommand(argv: string[]): Promise<void> {
  let opts: AgentOptions;
  try {
    opts = parseAgentFlags(argv);
  } catch (err) {
    process.stderr.write(`tskube agent: ${(err as Error).message}\n\n${agentUsage}`);
    process.exitCode = 2;
    return;
  }
  let agent;
  try {
    agent = await runAgent(opts);
  } catch (err) {
    process.stderr.write(`tskube agent: ${(err as Error).message}\n`);
    process.exitCode = 1;
    return;
  }
  process.stdout.write(`tskube agent: node ${agent.nodeName} running (credentials in ${agent.kubeconfig})\n`);
  let stopping = false;
  const shutdown = async (sig: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    log.info("agent shutting down", { signal: sig });
    await agent.stop();
    process.stdout.write("tskube agent: stopped (containers keep running)\n");
    process.exit(0);
  };
  process.on("SIGINT", () => void shutdown("SIGINT"));
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
}
