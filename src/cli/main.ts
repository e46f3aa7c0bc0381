/**
 * The tskube command: dispatches sub-commands (server, scheduler,
 * controller-manager, sim-nodes, version, help).
 */
import { runServer, serverUsage } from "./server.ts";
import { agentUsage, runAgentCommand } from "./agent.ts";
import { runSimNodes, simNodesUsage } from "./simnodes.ts";
import { kubeletUsage, runKubeletCommand } from "./kubelet.ts";
import { controllerManagerUsage, runControllerManagerCommand } from "./controllermanager.ts";
import { runSchedulerCommand, schedulerUsage } from "./scheduler.ts";
import { runImageCommand } from "./image.ts";
import { killallUsage, runKillall } from "./killall.ts";
import { kubeVersion } from "../apiserver/server.ts";

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

/** Runs the command line `argv` (without node and script). */
export async function main(argv: string[]): Promise<void> {
  const [cmd, ...rest] = argv;
  switch (cmd) {
    case "server":
      if (rest.includes("--help") || rest.includes("-h")) {
        process.stdout.write(serverUsage);
        return;
      }
      await runServer(rest);
      return;
    case "agent":
      if (rest.includes("--help") || rest.includes("-h")) {
        process.stdout.write(agentUsage);
        return;
      }
      await runAgentCommand(rest);
      return;
    case "scheduler":
      if (rest.includes("--help") || rest.includes("-h")) {
        process.stdout.write(schedulerUsage);
        return;
      }
      await runSchedulerCommand(rest);
      return;
    case "controller-manager":
      if (rest.includes("--help") || rest.includes("-h")) {
        process.stdout.write(controllerManagerUsage);
        return;
      }
      await runControllerManagerCommand(rest);
      return;
    case "sim-nodes":
      if (rest.includes("--help") || rest.includes("-h")) {
        process.stdout.write(simNodesUsage);
        return;
      }
      await runSimNodes(rest);
      return;
    case "image":
      await runImageCommand(rest);
      return;
    case "kubelet":
      if (rest.includes("--help") || rest.includes("-h")) {
        process.stdout.write(kubeletUsage);
        return;
      }
      await runKubeletCommand(rest);
      return;
    case "killall":
      if (rest.includes("--help") || rest.includes("-h")) {
        process.stdout.write(killallUsage);
        return;
      }
      await runKillall(rest);
      return;
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
