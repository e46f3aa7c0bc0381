/**
 * The leaf services the pod lifecycle core uses (volumes, cgroups, probes and
 * hooks, container command/env, DNS and /etc/hosts), gathered behind one
 * interface so tests inject fakes. `loadServices` builds the real ones from
 * their modules. Probes and lifecycle hooks (src/kubelet/probes/) are
 * loaded when present; until then a TEMPORARY stand-in treats running
 * containers as ready and runs exec hooks only (delete it once they land).
 */
import type { CriMessage } from "./cri/client.ts";
import { CgroupfsManager, containerLinuxResources, nodeCapacity, podQOSClass } from "./cgroups/index.ts";
import { hostsFileContent, sandboxDnsConfig } from "./dns.ts";
import { resolveContainerCommand } from "./env.ts";
import { HostVolumeManager } from "./volumes/index.ts";
import type {
  CgroupManager,
  ContainerCommand,
  ContainerSpec,
  ExecInContainer,
  ObjectSource,
  Pod,
  ProbeManager,
  VolumeManager,
} from "./types.ts";

/** What the sync loop needs besides the CRI. */
export interface KubeletServices {
  volumes: VolumeManager;
  cgroups: CgroupManager;
  probes: ProbeManager;
  /** Command, args and env of a container; podIP/hostIP feed status.podIP/hostIP field references. */
  resolveCommand(pod: Pod, container: ContainerSpec, podIP: string, hostIP: string): Promise<ContainerCommand>;
  hostsFileContent(pod: Pod, podIP: string): string;
  sandboxDnsConfig(pod: Pod): Promise<CriMessage | undefined>;
  runLifecycleHandler(handler: Record<string, any>, pod: Pod, container: ContainerSpec, containerId: string, podIP: string): Promise<void>;
  /** The pod's QoS class (Guaranteed, Burstable, BestEffort). */
  qosClass(pod: Pod): string;
  /** CRI LinuxContainerResources of a container. */
  containerResources(pod: Pod, container: ContainerSpec): CriMessage | undefined;
  /** Node capacity (cpu, memory, ephemeral-storage) for the Node status; measured by NodeManager when absent. */
  nodeCapacity?(): Record<string, string>;
}

export interface LoadServicesOptions {
  podsDir: string;
  nodeName: string;
  source: ObjectSource;
  cgroupRoot: string;
  clusterDNS: string[];
  clusterDomain: string;
  exec: ExecInContainer;
  onLivenessFailure(podUid: string, containerName: string, containerId: string, message: string): void;
  onChange(podUid: string): void;
  enableServiceLinks?: boolean;
}

/** Imports a sibling module if it exists (the specifier is a variable so the type checker does not require it). */
async function optionalImport(rel: string): Promise<any> {
  const spec = new URL(rel, import.meta.url).href;
  try {
    return await import(spec);
  } catch (err) {
    if ((err as { code?: string }).code === "ERR_MODULE_NOT_FOUND" && String((err as Error).message).includes(rel.replace("./", ""))) return undefined;
    throw err;
  }
}

/** Builds the real services (with temporary fallbacks for modules not yet written). */
export async function loadServices(o: LoadServicesOptions): Promise<KubeletServices & { missing: string[] }> {
  const [probes, hooks] = await Promise.all([optionalImport("./probes/index.ts"), optionalImport("./probes/hooks.ts")]);
  const missing: string[] = [];
  const note = (m: unknown, name: string): void => {
    if (!m) missing.push(name);
  };
  note(probes, "probes");
  note(hooks, "probes/hooks");
  const hostResolvConf = "/etc/resolv.conf";
  return {
    missing,
    volumes: new HostVolumeManager({ podsDir: o.podsDir, source: o.source, nodeName: o.nodeName }),
    cgroups: new CgroupfsManager({ root: o.cgroupRoot }),
    probes: probes ? new probes.ProbeWorkers({ exec: o.exec, onLivenessFailure: o.onLivenessFailure, onChange: o.onChange }) : fallbackProbes(),
    resolveCommand: (pod, c, podIP, hostIP) =>
      resolveContainerCommand(pod, c, o.source, {
        enableServiceLinks: pod.spec?.enableServiceLinks ?? o.enableServiceLinks ?? true,
        podIPs: podIP ? [podIP] : undefined,
        hostIPs: hostIP ? [hostIP] : undefined,
      }),
    hostsFileContent: (pod, ip) => hostsFileContent(pod, ip ? [ip] : [], { clusterDomain: o.clusterDomain }),
    sandboxDnsConfig: async (pod) => sandboxDnsConfig(pod, { clusterDNS: o.clusterDNS, clusterDomain: o.clusterDomain, hostResolvConf }),
    runLifecycleHandler: hooks
      ? (h, pod, c, id, ip) => hooks.runLifecycleHandler(h, pod, c, id, ip, o.exec)
      : async (h, _pod, _c, id) => {
          if (h.exec?.command) {
            const r = await o.exec(id, h.exec.command, 30);
            if (r.exitCode !== 0) throw new Error(`command '${h.exec.command.join(" ")}' exited with ${r.exitCode}: ${r.stderr}`);
          }
        },
    qosClass: podQOSClass,
    containerResources: (pod, c) => containerLinuxResources(pod, c),
    nodeCapacity: () => nodeCapacity(),
  };
}

function fallbackProbes(): ProbeManager {
  return {
    addContainer() {},
    removeContainer() {},
    removePod() {},
    isReady: () => true,
    isStarted: () => true,
    stop() {},
  };
}
