/**
 * The leaf services the pod lifecycle core uses (volumes, cgroups, probes and
 * hooks, container command/env, DNS and /etc/hosts), gathered behind one
 * interface so tests inject fakes. `loadServices` builds the real ones from
 * their modules.
 */
import type { CriMessage } from "./cri/client.ts";
import { CgroupfsManager, containerLinuxResources, nodeCapacity, podQOSClass } from "./cgroups/index.ts";
import { hostsFileContent, sandboxDnsConfig } from "./dns.ts";
import { resolveContainerCommand } from "./env.ts";
import { HostVolumeManager } from "./volumes/index.ts";
import { ProbeWorkers } from "./probes/index.ts";
import { runLifecycleHandler } from "./probes/hooks.ts";
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
  /** Probe events (Unhealthy) for the pod. */
  onEvent?(pod: Pod, type: "Warning" | "Normal", reason: string, message: string): void;
  enableServiceLinks?: boolean;
}

/** Builds the real services. */
export function loadServices(o: LoadServicesOptions): KubeletServices {
  const hostResolvConf = "/etc/resolv.conf";
  return {
    volumes: new HostVolumeManager({ podsDir: o.podsDir, source: o.source, nodeName: o.nodeName }),
    cgroups: new CgroupfsManager({ root: o.cgroupRoot }),
    probes: new ProbeWorkers({ exec: o.exec, onLivenessFailure: o.onLivenessFailure, onChange: o.onChange, onEvent: o.onEvent }),
    resolveCommand: (pod, c, podIP, hostIP) =>
      resolveContainerCommand(pod, c, o.source, {
        enableServiceLinks: pod.spec?.enableServiceLinks ?? o.enableServiceLinks ?? true,
        podIPs: podIP ? [podIP] : undefined,
        hostIPs: hostIP ? [hostIP] : undefined,
      }),
    hostsFileContent: (pod, ip) => hostsFileContent(pod, ip ? [ip] : [], { clusterDomain: o.clusterDomain }),
    sandboxDnsConfig: async (pod) => sandboxDnsConfig(pod, { clusterDNS: o.clusterDNS, clusterDomain: o.clusterDomain, hostResolvConf }),
    runLifecycleHandler: (h, pod, c, id, ip) => runLifecycleHandler(h, pod, c, id, ip, o.exec),
    qosClass: podQOSClass,
    containerResources: (pod, c) => containerLinuxResources(pod, c),
    nodeCapacity: () => nodeCapacity(),
  };
}
