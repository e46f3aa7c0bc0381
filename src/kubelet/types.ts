/**
 * Contracts between the kubelet's parts: the pod lifecycle core (pod workers,
 * sync, status), its leaf services (volumes, environment, probes and hooks,
 * cgroups, DNS/hosts files, stats) and the kubelet HTTP server (logs, exec,
 * attach, port-forward, stats). Each part is built against these interfaces.
 */
import type { KObject } from "../api/types.ts";
import type { CriClient, CriMessage } from "./cri/client.ts";

/** A pod as the kubelet sees it (the API object). */
export type Pod = KObject;
/** One entry of pod.spec.containers / initContainers. */
export type ContainerSpec = Record<string, any>;

/** Reads the API objects that pods refer to (from the kubelet's caches or the API). */
export interface ObjectSource {
  getConfigMap(namespace: string, name: string): Promise<KObject | undefined>;
  getSecret(namespace: string, name: string): Promise<KObject | undefined>;
  /** Services visible to the pod's namespace, for the docker-links style service env vars. */
  listServices(namespace: string): Promise<KObject[]>;
  /** PVC and its bound PV (for persistentVolumeClaim volumes). */
  getPersistentVolumeClaim(namespace: string, name: string): Promise<KObject | undefined>;
  getPersistentVolume(name: string): Promise<KObject | undefined>;
  /** Projected service-account token for the pod (TokenRequest); undefined when unsupported. */
  serviceAccountToken?(pod: Pod, audience: string | undefined, expirationSeconds: number): Promise<string | undefined>;
}

/** Error with a kubelet reason (e.g. CreateContainerConfigError, FailedMount) shown in status/events. */
export class KubeletError extends Error {
  readonly reason: string;
  constructor(reason: string, message: string) {
    super(message);
    this.reason = reason;
  }
}

/** Volumes of one pod, prepared on disk under the pod's directory. */
export interface PodVolumes {
  /** CRI mounts for a container (volumeMounts incl. subPath; readOnly honoured). */
  mountsFor(container: ContainerSpec): CriMessage[];
}

/**
 * Sets up and tears down pod volumes. `setUp` is idempotent and is called on
 * every pod sync: configMap/secret/downwardAPI/projected contents are
 * refreshed atomically (..data symlink swap) so updates reach running pods.
 * Throws KubeletError('FailedMount', ...) when a required source is missing.
 */
export interface VolumeManager {
  setUp(pod: Pod): Promise<PodVolumes>;
  /** Removes everything the pod's volumes created (emptyDir contents, tmpfs mounts). */
  tearDown(podUid: string): Promise<void>;
}

/** The environment and command line of one container, after $(VAR) expansion. */
export interface ContainerCommand {
  envs: { key: string; value: string }[];
  command: string[];
  args: string[];
}

/**
 * Pod-level cgroups under a per-node parent and container resources.
 * `ensurePod` creates/limits the pod cgroup and returns the CRI cgroup_parent.
 */
export interface CgroupManager {
  ensurePod(pod: Pod): Promise<string>;
  removePod(pod: Pod | { metadata: { uid: string } }): Promise<void>;
}

/** Result of one probe run. */
export type ProbeResult = "success" | "failure" | "unknown";

/** Runs commands inside containers (CRI ExecSync). */
export type ExecInContainer = (containerId: string, cmd: string[], timeoutSeconds: number) => Promise<{ exitCode: number; stdout: string; stderr: string }>;

/**
 * Periodic startup/liveness/readiness probes of running containers.
 * Calls `onLivenessFailure` once a container's liveness (or startup) probe
 * has failed failureThreshold times (the kubelet then kills and restarts it),
 * and `onChange` whenever a readiness/startup result changes (status update).
 */
export interface ProbeManager {
  addContainer(pod: Pod, container: ContainerSpec, containerId: string, podIP: string, startedAtMs: number): void;
  removeContainer(containerId: string): void;
  removePod(podUid: string): void;
  /** Readiness: true/false once known; containers without readiness probe are ready when started. */
  isReady(containerId: string): boolean;
  /** Startup: true once the startup probe succeeded (or there is none). */
  isStarted(containerId: string): boolean;
  stop(): void;
}

/** Where to find a pod's container for logs/exec/attach. */
export interface ContainerLocation {
  podUid: string;
  podSandboxId: string;
  containerId: string;
  containerName: string;
  /** Absolute path of the CRI log file of the current (or, with previous, the last terminated) instance. */
  logPath: string;
}

/**
 * What the kubelet HTTP server needs from the kubelet. Methods throw
 * StatusError (NotFound, BadRequest) with upstream-like messages.
 */
export interface KubeletView {
  nodeName: string;
  cri: CriClient;
  /** Pods bound to this node (API objects, incl. static pods). */
  listPods(): Pod[];
  /** Resolves namespace/pod/container; container may be omitted for single-container pods. */
  findContainer(namespace: string, podName: string, container: string | undefined, previous?: boolean): Promise<ContainerLocation>;
  /** Sandbox id of a running pod, for port-forward. */
  findSandbox(namespace: string, podName: string): Promise<string>;
  /** /stats/summary document (upstream's statsapi Summary JSON). */
  statsSummary(): Promise<unknown>;
  /** /metrics/resource text exposition. */
  resourceMetrics(): Promise<string>;
  /** For /healthz: false when the sync loop or runtime is unhealthy. */
  healthy(): boolean;
}
