/**
 * Builds the CRI messages for a pod: the PodSandboxConfig (metadata, hostname,
 * log directory, DNS, port mappings, labels, namespaces, security context,
 * cgroup parent) and a container's ContainerConfig (image, command, env,
 * mounts, log path, labels/annotations the kubelet recognises its containers
 * by, resources and security context incl. seccomp profiles), and the
 * runAsNonRoot check. Pure functions.
 */
import { join } from "node:path";
import type { CriMessage } from "./cri/client.ts";
import {
  ANN_CONTAINER_HASH,
  ANN_CONTAINER_TYPE,
  ANN_GRACE_PERIOD,
  ANN_PRESTOP,
  ANN_RESTART_COUNT,
  ANN_TERMINATION_MESSAGE_PATH,
  ANN_TERMINATION_MESSAGE_POLICY,
  LABEL_CONTAINER_NAME,
  LABEL_POD_NAME,
  LABEL_POD_NAMESPACE,
  LABEL_POD_UID,
  containerHash,
} from "./runtime.ts";
import { KubeletError, type ContainerCommand, type ContainerSpec, type Pod } from "./types.ts";

/** Where the kubelet keeps a pod's files. */
export interface PodPaths {
  /** <rootDir>/pods/<uid> */
  podDir: string;
  /** <rootDir>/logs/<namespace>_<name>_<uid> (the sandbox log_directory). */
  logDir: string;
  /** <podDir>/etc-hosts */
  hostsFile: string;
}

export function podPaths(rootDir: string, pod: { metadata: { uid?: string; name?: string; namespace?: string } }): PodPaths {
  const m = pod.metadata;
  const podDir = join(rootDir, "pods", m.uid!);
  return { podDir, logDir: join(rootDir, "logs", `${m.namespace}_${m.name}_${m.uid}`), hostsFile: join(podDir, "etc-hosts") };
}

/** The termination-message file of one container instance (host side). */
export function terminationLogPath(paths: PodPaths, name: string, attempt: number): string {
  return join(paths.podDir, "containers", name, `${attempt}-termination-log`);
}

/** The CRI log path of a container instance, relative to the sandbox log directory. */
export function containerLogPath(name: string, attempt: number): string {
  return `${name}/${attempt}.log`;
}

export function podLabels(pod: Pod): Record<string, string> {
  return {
    ...(pod.metadata.labels ?? {}),
    [LABEL_POD_NAME]: pod.metadata.name!,
    [LABEL_POD_NAMESPACE]: pod.metadata.namespace!,
    [LABEL_POD_UID]: pod.metadata.uid!,
  };
}

/** The pod's terminationGracePeriodSeconds (default 30). */
export function podGracePeriod(pod: Pod): number {
  return pod.spec?.terminationGracePeriodSeconds ?? 30;
}

function int64(v: unknown): { value: string } | undefined {
  return v === undefined || v === null ? undefined : { value: String(v) };
}

function namespaceOptions(pod: Pod): CriMessage {
  const s = pod.spec ?? {};
  return {
    network: s.hostNetwork ? "NODE" : "POD",
    pid: s.hostPID ? "NODE" : s.shareProcessNamespace ? "POD" : "CONTAINER",
    ipc: s.hostIPC ? "NODE" : "POD",
  };
}

function supplementalGroups(pod: Pod): string[] {
  const psc = pod.spec?.securityContext ?? {};
  const g: unknown[] = [...(psc.supplementalGroups ?? [])];
  if (psc.fsGroup !== undefined) g.push(psc.fsGroup);
  return g.map(String);
}

/** The PodSandboxConfig for RunPodSandbox (and CreateContainer/PullImage). */
export function sandboxConfig(pod: Pod, o: { attempt: number; logDir: string; dns?: CriMessage; cgroupParent: string }): CriMessage {
  const spec = pod.spec ?? {};
  const psc = spec.securityContext ?? {};
  const ports: CriMessage[] = [];
  for (const c of [...(spec.initContainers ?? []), ...(spec.containers ?? [])] as ContainerSpec[]) {
    for (const p of c.ports ?? []) {
      if (!p.hostPort) continue;
      ports.push({ protocol: p.protocol ?? "TCP", container_port: p.containerPort, host_port: p.hostPort, host_ip: p.hostIP ?? "" });
    }
  }
  const privileged = [...(spec.initContainers ?? []), ...(spec.containers ?? [])].some((c: ContainerSpec) => c.securityContext?.privileged);
  const sysctls: Record<string, string> = {};
  for (const s of psc.sysctls ?? []) sysctls[s.name] = String(s.value);
  const cfg: CriMessage = {
    metadata: { name: pod.metadata.name, uid: pod.metadata.uid, namespace: pod.metadata.namespace, attempt: o.attempt },
    log_directory: o.logDir,
    port_mappings: ports,
    labels: podLabels(pod),
    annotations: { ...(pod.metadata.annotations ?? {}) },
    linux: {
      cgroup_parent: o.cgroupParent,
      security_context: {
        namespace_options: namespaceOptions(pod),
        run_as_user: int64(psc.runAsUser),
        run_as_group: int64(psc.runAsGroup),
        supplemental_groups: supplementalGroups(pod),
        privileged,
        seccomp: seccompProfile(psc.seccompProfile, undefined),
      },
      sysctls,
    },
  };
  if (!spec.hostNetwork) cfg.hostname = (spec.hostname ?? pod.metadata.name!).slice(0, 63).replace(/[-.]+$/, "");
  if (o.dns) cfg.dns_config = o.dns;
  return cfg;
}

/** Where Localhost seccomp profiles live by default (<root-dir>/seccomp of a default kubelet). */
export const DEFAULT_SECCOMP_PROFILE_ROOT = "/var/lib/kubelet/seccomp";

/**
 * The CRI SecurityProfile for a seccompProfile field: RuntimeDefault,
 * Localhost (relative to the profile root) or, when unset, Unconfined (the
 * kubelet's default without --seccomp-default).
 */
function seccompProfile(p: { type?: string; localhostProfile?: string } | undefined, root = DEFAULT_SECCOMP_PROFILE_ROOT): CriMessage {
  switch (p?.type) {
    case "RuntimeDefault":
      return { profile_type: "RuntimeDefault" };
    case "Localhost":
      return { profile_type: "Localhost", localhost_ref: join(root, p.localhostProfile ?? "") };
    default:
      return { profile_type: "Unconfined" };
  }
}

/** `name_namespace(uid)`, how the kubelet names a pod in messages. */
function podDesc(pod: Pod): string {
  return `${pod.metadata.name}_${pod.metadata.namespace}(${pod.metadata.uid})`;
}

/**
 * The runAsNonRoot check the kubelet makes before creating a container:
 * an explicit runAsUser 0, or an image running as root (no user or uid 0)
 * or as a non-numeric user, fails with CreateContainerConfigError. When the
 * image user is not known (`image` undefined) only runAsUser is checked.
 */
export function verifyRunAsNonRoot(pod: Pod, c: ContainerSpec, image?: { uid?: number; username?: string }): void {
  const psc = pod.spec?.securityContext ?? {};
  const sc = c.securityContext ?? {};
  if ((sc.runAsNonRoot ?? psc.runAsNonRoot) !== true) return;
  const where = `(pod: "${podDesc(pod)}", container: ${c.name})`;
  const uid = sc.runAsUser ?? psc.runAsUser;
  if (uid !== undefined && uid !== null) {
    if (Number(uid) === 0) throw new KubeletError("CreateContainerConfigError", `container's runAsUser breaks non-root policy ${where}`);
    return;
  }
  if (!image) return;
  if (image.uid === undefined && image.username) {
    throw new KubeletError("CreateContainerConfigError", `container has runAsNonRoot and image has non-numeric user (${image.username}), cannot verify user is non-root ${where}`);
  }
  if ((image.uid ?? 0) === 0) throw new KubeletError("CreateContainerConfigError", `container has runAsNonRoot and image will run as root ${where}`);
}

function containerSecurityContext(pod: Pod, c: ContainerSpec, seccompRoot?: string): CriMessage {
  const psc = pod.spec?.securityContext ?? {};
  const sc = c.securityContext ?? {};
  const out: CriMessage = {
    namespace_options: namespaceOptions(pod),
    privileged: !!sc.privileged,
    readonly_rootfs: !!sc.readOnlyRootFilesystem,
    supplemental_groups: supplementalGroups(pod),
    no_new_privs: sc.allowPrivilegeEscalation === false,
    seccomp: seccompProfile(sc.seccompProfile ?? psc.seccompProfile, seccompRoot),
  };
  const uid = sc.runAsUser ?? psc.runAsUser;
  const gid = sc.runAsGroup ?? psc.runAsGroup;
  if (uid !== undefined) out.run_as_user = int64(uid);
  if (gid !== undefined) out.run_as_group = int64(gid);
  if (sc.capabilities) out.capabilities = { add_capabilities: sc.capabilities.add ?? [], drop_capabilities: sc.capabilities.drop ?? [] };
  return out;
}

/** Inputs of containerConfig besides pod and container. */
export interface ContainerConfigInputs {
  kind: "init" | "sidecar" | "app";
  attempt: number;
  imageRef: string;
  command: ContainerCommand;
  mounts: CriMessage[];
  resources?: CriMessage;
  /** The image's user from ImageStatus (uid or username), for the runAsNonRoot check; unknown when undefined. */
  imageUser?: { uid?: number; username?: string };
  /** Directory of Localhost seccomp profiles (default DEFAULT_SECCOMP_PROFILE_ROOT). */
  seccompProfileRoot?: string;
}

/** The ContainerConfig for CreateContainer; throws CreateContainerConfigError when runAsNonRoot is violated. */
export function containerConfig(pod: Pod, c: ContainerSpec, o: ContainerConfigInputs): CriMessage {
  verifyRunAsNonRoot(pod, c, o.imageUser);
  const annotations: Record<string, string> = {
    [ANN_CONTAINER_HASH]: containerHash(c),
    [ANN_RESTART_COUNT]: String(o.attempt),
    [ANN_TERMINATION_MESSAGE_PATH]: c.terminationMessagePath ?? "/dev/termination-log",
    [ANN_TERMINATION_MESSAGE_POLICY]: c.terminationMessagePolicy ?? "File",
    [ANN_GRACE_PERIOD]: String(podGracePeriod(pod)),
    [ANN_CONTAINER_TYPE]: o.kind,
  };
  if (c.lifecycle?.preStop) annotations[ANN_PRESTOP] = JSON.stringify(c.lifecycle.preStop);
  const cfg: CriMessage = {
    metadata: { name: c.name, attempt: o.attempt },
    image: { image: o.imageRef || c.image },
    command: o.command.command,
    args: o.command.args,
    working_dir: c.workingDir ?? "",
    envs: o.command.envs,
    mounts: o.mounts,
    labels: { [LABEL_POD_NAME]: pod.metadata.name!, [LABEL_POD_NAMESPACE]: pod.metadata.namespace!, [LABEL_POD_UID]: pod.metadata.uid!, [LABEL_CONTAINER_NAME]: c.name },
    annotations,
    log_path: containerLogPath(c.name, o.attempt),
    stdin: !!c.stdin,
    stdin_once: !!c.stdinOnce,
    tty: !!c.tty,
    linux: { security_context: containerSecurityContext(pod, c, o.seccompProfileRoot) },
  };
  if (o.resources) cfg.linux.resources = o.resources;
  return cfg;
}

/** The image pull policy of a container (upstream defaulting: Always for :latest or untagged). */
export function pullPolicy(c: ContainerSpec): string {
  if (c.imagePullPolicy) return c.imagePullPolicy;
  const img: string = c.image ?? "";
  if (img.includes("@")) return "IfNotPresent";
  const last = img.split("/").pop() ?? "";
  return !last.includes(":") || last.endsWith(":latest") ? "Always" : "IfNotPresent";
}
