/**
 * The tskube command: dispatches sub-commands (server, agent, kubelet,
 * scheduler, controller-manager, sim-nodes, image, killall, version, help).
 * Each command's module is loaded only when that command runs, so a node
 * agent does not carry the apiserver's code.
 */
import { kubeVersion } from "../api/version.ts";

const usage = `tskube: a lightweight Kubernetes

Usage:
  tskube server [flags]              run the control plane (apiserver, scheduler, controllers)
  tskube agent --server URL --token TOKEN  join this machine as a node (containerd + kubelet)
  tskube scheduler [flags]           run the scheduler on its own
  tskube controller-manager [flags]  run the controllers on their own
  tskube sim-nodes [flags]           run simulated nodes against a cluster
  tskube kubelet [flags]             run the node agent (kubelet) against a CRI runtime
  tskube image build|import|ls|rm    build and manage node images (no registry needed)
  tskube killall [--data-dir DIR]    stop this machine's pods and remove containers, mounts, cgroups, CNI rules
  tskube version                     print the version
  tskube help                        print this help

Every command takes --help.
`;

/** A sub-command: its help text (printed for --help/-h; absent when the command prints its own) and its entry point. */
type Command = () => Promise<{ usage?: string; run(args: string[]): Promise<void> }>;

const commands: Record<string, Command> = {
  server: async () => {
    const m = await import("./server.ts");
    return { usage: m.serverUsage, run: m.runServer };
  },
  agent: async () => {
    const m = await import("./agent.ts");
    return { usage: m.agentUsage, run: m.runAgentCommand };
  },
  scheduler: async () => {
    const m = await import("./scheduler.ts");
    return { usage: m.schedulerUsage, run: m.runSchedulerCommand };
  },
  "controller-manager": async () => {
    const m = await import("./controllermanager.ts");
    return { usage: m.controllerManagerUsage, run: m.runControllerManagerCommand };
  },
  "sim-nodes": async () => {
    const m = await import("./simnodes.ts");
    return { usage: m.simNodesUsage, run: m.runSimNodes };
  },
  kubelet: async () => {
    const m = await import("./kubelet.ts");
    return { usage: m.kubeletUsage, run: m.runKubeletCommand };
  },
  killall: async () => {
    const m = await import("./killall.ts");
    return { usage: m.killallUsage, run: m.runKillall };
  },
  image: async () => ({ run: (await import("./image.ts")).runImageCommand }),
};

/** Runs the command line `argv` (without node and script). */
export async function main(argv: string[]): Promise<void> {
  const [cmd, ...rest] = argv;
  const command = cmd !== undefined && Object.hasOwn(commands, cmd) ? commands[cmd] : undefined;
  if (command) {
    const { usage: help, run } = await command();
    if (help !== undefined && (rest.includes("--help") || rest.includes("-h"))) process.stdout.write(help);
    else await run(rest);
    return;
  }
  switch (cmd) {
    case "version":
    case "--version":
      process.stdout.write(`tskube version ${kubeVersion.gitVersion}\n`);
      return;
    case undefined:
    case "help":
    case "--help":
    case "-h":
      process.stdout.write(usage);
      return;
    default:
      process.stderr.write(`tskube: unknown command "${cmd}"\n\n${usage}`);
      process.exitCode = 2;
  }
}
