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

/** Runs the command line `argv` (without node and script). */
export async function main(argv: string[]): Promise<void> {
  const [cmd, ...rest] = argv;
  switch (cmd) {
    case "server": {
      const m = await import("./server.ts");
      if (rest.includes("--help") || rest.includes("-h")) {
        process.stdout.write(m.serverUsage);
        return;
      }
      await m.runServer(rest);
      return;
    }
    case "agent": {
      const m = await import("./agent.ts");
      if (rest.includes("--help") || rest.includes("-h")) {
        process.stdout.write(m.agentUsage);
        return;
      }
      await m.runAgentCommand(rest);
      return;
    }
    case "scheduler": {
      const m = await import("./scheduler.ts");
      if (rest.includes("--help") || rest.includes("-h")) {
        process.stdout.write(m.schedulerUsage);
        return;
      }
      await m.runSchedulerCommand(rest);
      return;
    }
    case "controller-manager": {
      const m = await import("./controllermanager.ts");
      if (rest.includes("--help") || rest.includes("-h")) {
        process.stdout.write(m.controllerManagerUsage);
        return;
      }
      await m.runControllerManagerCommand(rest);
      return;
    }
    case "sim-nodes": {
      const m = await import("./simnodes.ts");
      if (rest.includes("--help") || rest.includes("-h")) {
        process.stdout.write(m.simNodesUsage);
        return;
      }
      await m.runSimNodes(rest);
      return;
    }
    case "image":
      await (await import("./image.ts")).runImageCommand(rest);
      return;
    case "kubelet": {
      const m = await import("./kubelet.ts");
      if (rest.includes("--help") || rest.includes("-h")) {
        process.stdout.write(m.kubeletUsage);
        return;
      }
      await m.runKubeletCommand(rest);
      return;
    }
    case "killall": {
      const m = await import("./killall.ts");
      if (rest.includes("--help") || rest.includes("-h")) {
        process.stdout.write(m.killallUsage);
        return;
      }
      await m.runKillall(rest);
      return;
    }
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
