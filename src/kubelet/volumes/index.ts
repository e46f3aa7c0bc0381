/**
 * The kubelet's volume manager for host-local volume types, with upstream's
 * on-disk layout `<podsDir>/<uid>/volumes/kubernetes.io~<plugin>/<name>`:
 * emptyDir (disk or tmpfs), hostPath (type checked), configMap, secret,
 * downwardAPI and projected (atomically published, refreshed on every
 * setUp), and persistentVolumeClaim bound to hostPath/local PVs. Builds the
 * CRI mounts of each container (subPath, subPathExpr, readOnly, propagation).
 */
import { execFile } from "node:child_process";
import * as fsSync from "node:fs";
import { promises as fsp, readFileSync } from "node:fs";
import { join, posix, sep } from "node:path";
import { promisify } from "node:util";
import type { Logger } from "../../machinery/log.ts";
import { parseQuantity } from "../../machinery/quantity.ts";
import type { CriMessage } from "../cri/client.ts";
import { expand, mappingFor } from "../env.ts";
import { KubeletError } from "../types.ts";
import type { ContainerSpec, ObjectSource, Pod, PodVolumes, VolumeManager } from "../types.ts";
import { writeAtomic, type Payload } from "./atomic.ts";
import { applyFsGroup, podFsGroup } from "./ownership.ts";
import { extractFieldPath, type NodeAllocatable } from "./fieldpath.ts";
import { checkHostPathType } from "./hostpath.ts";
import { DEFAULT_MODE, downwardPayload, failedMount, fetchObject, keysPayload, projectedPayload, SourceError } from "./sources.ts";

export { writeAtomic, validatePayloadPath } from "./atomic.ts";
export type { Payload, FileProjection } from "./atomic.ts";
export { checkHostPathType } from "./hostpath.ts";

const run = promisify(execFile);

/** A prepared volume: where it is on the host and whether it is always read-only. */
export interface PreparedVolume {
  name: string;
  hostPath: string;
  /** configMap/secret/downwardAPI/projected (and readOnly PVC claims) are mounted read-only. */
  readOnly: boolean;
  plugin: string;
}

export interface HostVolumeManagerOptions {
  /** Root of per-pod directories (upstream /var/lib/kubelet/pods). */
  podsDir: string;
  source: ObjectSource;
  nodeName: string;
  log?: Logger;
  /** Node allocatable for downward API limits without a container limit. */
  nodeAllocatable?: NodeAllocatable;
}

/** Mount points (unescaped) from /proc/mounts. */
function mountPoints(): { point: string; type: string }[] {
  try {
    return readFileSync("/proc/mounts", "utf8")
      .split("\n")
      .map((l) => l.split(" "))
      .filter((f) => f.length > 2)
      .map((f) => ({ point: f[1].replace(/\\040/g, " ").replace(/\\011/g, "\t").replace(/\\134/g, "\\"), type: f[2] }));
  } catch {
    return [];
  }
}

function machineMemory(): number {
  const m = /^MemTotal:\s+(\d+)\s*kB/m.exec(readFileSync("/proc/meminfo", "utf8"));
  return m ? Number(m[1]) * 1024 : 0;
}

const propagation: Record<string, string> = {
  None: "PROPAGATION_PRIVATE",
  HostToContainer: "PROPAGATION_HOST_TO_CONTAINER",
  Bidirectional: "PROPAGATION_BIDIRECTIONAL",
};

/** The mounts of one pod's containers. */
class HostPodVolumes implements PodVolumes {
  readonly pod: Pod;
  readonly volumes: Map<string, PreparedVolume>;
  constructor(pod: Pod, volumes: Map<string, PreparedVolume>) {
    this.pod = pod;
    this.volumes = volumes;
  }

  /** Static env values ($(VAR) sources for subPathExpr): literal values and metadata fieldRefs. */
  #envMapping(container: ContainerSpec) {
    const m = new Map<string, string>();
    for (const e of container.env ?? []) {
      if (e.value !== undefined && e.value !== "") m.set(e.name, e.value);
      else if (e.valueFrom?.fieldRef) {
        try {
          m.set(e.name, extractFieldPath(this.pod, e.valueFrom.fieldRef.fieldPath));
        } catch {
          /* non-metadata field: not available here */
        }
      } else m.set(e.name, "");
    }
    return mappingFor(m);
  }

  mountsFor(container: ContainerSpec): CriMessage[] {
    const out: CriMessage[] = [];
    for (const vm of container.volumeMounts ?? []) {
      const vol = this.volumes.get(vm.name);
      if (!vol) {
        throw new KubeletError("CreateContainerConfigError", `cannot find volume "${vm.name}" to mount into container "${container.name}"`);
      }
      let sub: string = vm.subPath ?? "";
      if (vm.subPathExpr) sub = expand(vm.subPathExpr, this.#envMapping(container));
      let hostPath = vol.hostPath;
      if (sub) {
        if (posix.isAbsolute(sub)) throw new KubeletError("CreateContainerConfigError", `failed to prepare subPath for volumeMount "${vm.name}" of container "${container.name}": error SubPath \`${sub}\` must not be an absolute path`);
        if (sub.split("/").includes("..")) throw new KubeletError("CreateContainerConfigError", `failed to prepare subPath for volumeMount "${vm.name}" of container "${container.name}": error SubPath \`${sub}\` must not contain '..'`);
        hostPath = resolveSubPath(vol, sub, vm.name, container.name);
      }
      out.push({
        container_path: vm.mountPath,
        host_path: hostPath,
        readonly: !!vm.readOnly || vol.readOnly,
        selinux_relabel: false,
        propagation: propagation[vm.mountPropagation ?? "None"] ?? "PROPAGATION_PRIVATE",
      });
    }
    return out;
  }
}

/** `<volume>/<sub>`: created as a directory when missing, symlinks must stay inside the volume. */
function resolveSubPath(vol: PreparedVolume, sub: string, volName: string, containerName: string): string {
  const { existsSync, mkdirSync, realpathSync, chmodSync } = fsSync;
  const full = join(vol.hostPath, sub);
  if (!existsSync(full)) {
    if (vol.readOnly) throw new KubeletError("CreateContainerConfigError", `failed to prepare subPath for volumeMount "${volName}" of container "${containerName}": ${full} does not exist`);
    mkdirSync(full, { recursive: true, mode: 0o755 });
    chmodSync(full, 0o755);
  }
  const base = realpathSync(vol.hostPath);
  const real = realpathSync(full);
  if (real !== base && !real.startsWith(base.endsWith(sep) ? base : base + sep)) {
    throw new KubeletError("CreateContainerConfigError", `failed to prepare subPath for volumeMount "${volName}" of container "${containerName}": subpath "${real}" not within volume path "${base}"`);
  }
  return real;
}

/** VolumeManager for host-local volume types (see module doc). */
export class HostVolumeManager implements VolumeManager {
  readonly podsDir: string;
  readonly source: ObjectSource;
  readonly nodeName: string;
  readonly log: Logger | undefined;
  readonly nodeAllocatable: NodeAllocatable;

  constructor(opts: HostVolumeManagerOptions) {
    this.podsDir = opts.podsDir;
    this.source = opts.source;
    this.nodeName = opts.nodeName;
    this.log = opts.log;
    this.nodeAllocatable = opts.nodeAllocatable ?? {};
  }

  /** `<podsDir>/<uid>/volumes/kubernetes.io~<plugin>/<name>`. */
  volumeDir(uid: string, plugin: string, name: string): string {
    return join(this.podsDir, uid, "volumes", `kubernetes.io~${plugin}`, name);
  }

  async setUp(pod: Pod): Promise<PodVolumes> {
    const uid = pod.metadata?.uid as string;
    if (!uid) throw new KubeletError("FailedMount", "pod has no uid");
    const prepared = new Map<string, PreparedVolume>();
    for (const v of pod.spec?.volumes ?? []) {
      try {
        prepared.set(v.name, await this.#setUpOne(pod, uid, v));
      } catch (err) {
        throw failedMount(v.name, err);
      }
    }
    return new HostPodVolumes(pod, prepared);
  }

  async #setUpOne(pod: Pod, uid: string, v: any): Promise<PreparedVolume> {
    const ns: string = pod.metadata?.namespace ?? "default";
    if (v.emptyDir) return this.#emptyDir(pod, uid, v);
    if (v.hostPath) {
      await checkHostPathType(v.hostPath.path, v.hostPath.type);
      return { name: v.name, hostPath: v.hostPath.path, readOnly: false, plugin: "host-path" };
    }
    if (v.configMap || v.secret) {
      const kind = v.configMap ? "configmap" : "secret";
      const src = v.configMap ?? v.secret;
      const objName: string = v.configMap ? src.name : src.secretName;
      const optional = !!src.optional;
      const obj = await fetchObject(this.source, kind, ns, objName, optional);
      const payload = keysPayload(kind, obj, src.items, src.defaultMode ?? DEFAULT_MODE, optional);
      return this.#publish(pod, uid, kind === "configmap" ? "configmap" : "secret", v.name, payload);
    }
    if (v.downwardAPI) {
      const payload = downwardPayload(pod, v.downwardAPI.items ?? [], v.downwardAPI.defaultMode ?? DEFAULT_MODE, this.nodeAllocatable);
      return this.#publish(pod, uid, "downward-api", v.name, payload);
    }
    if (v.projected) {
      const payload = await projectedPayload({ pod, source: this.source, allocatable: this.nodeAllocatable }, v.projected);
      return this.#publish(pod, uid, "projected", v.name, payload);
    }
    if (v.persistentVolumeClaim) return this.#claim(ns, v.name, v.persistentVolumeClaim.claimName, !!v.persistentVolumeClaim.readOnly);
    if (v.ephemeral) return this.#claim(ns, v.name, `${pod.metadata?.name}-${v.name}`, false);
    const kind = Object.keys(v).find((k) => k !== "name") ?? "unknown";
    throw new SourceError(`volume type ${kind} is not supported on this node`);
  }

  async #publish(pod: Pod, uid: string, plugin: string, name: string, payload: Payload): Promise<PreparedVolume> {
    const dir = this.volumeDir(uid, plugin, name);
    const changed = await writeAtomic(dir, payload);
    const fsGroup = podFsGroup(pod);
    if (changed && fsGroup !== undefined) await applyFsGroup(dir, fsGroup, true);
    if (changed) this.log?.debug("volume contents published", { pod: uid, volume: name, files: payload.size });
    return { name, hostPath: dir, readOnly: true, plugin };
  }

  async #emptyDir(pod: Pod, uid: string, v: any): Promise<PreparedVolume> {
    const dir = this.volumeDir(uid, "empty-dir", v.name);
    await fsp.mkdir(dir, { recursive: true });
    const medium: string = v.emptyDir.medium ?? "";
    if (medium === "Memory") {
      if (!mountPoints().some((m) => m.point === dir && m.type === "tmpfs")) {
        const size = v.emptyDir.sizeLimit ? parseQuantity(v.emptyDir.sizeLimit).value() : machineMemory();
        await run("mount", ["-t", "tmpfs", "-o", `size=${size},mode=0777`, "tmpfs", dir]);
      }
    } else if (medium !== "") {
      throw new SourceError(`emptyDir medium ${medium} is not supported`);
    }
    await fsp.chmod(dir, 0o777);
    const fsGroup = podFsGroup(pod);
    if (fsGroup !== undefined) {
      const st = await fsp.stat(dir);
      if (st.gid !== fsGroup || !(st.mode & 0o2000)) await applyFsGroup(dir, fsGroup, false);
    }
    return { name: v.name, hostPath: dir, readOnly: false, plugin: "empty-dir" };
  }

  /** PVC -> bound PV -> host path (hostPath or local PVs only). */
  async #claim(ns: string, volName: string, claimName: string, readOnly: boolean): Promise<PreparedVolume> {
    const pvc: any = await this.source.getPersistentVolumeClaim(ns, claimName);
    if (!pvc) throw new SourceError(`persistentvolumeclaim "${claimName}" not found`);
    const pvName: string = pvc.spec?.volumeName ?? "";
    const phase: string = pvc.status?.phase ?? "";
    if (!pvName || phase !== "Bound") {
      throw new SourceError(`PVC ${ns}/${claimName} has non-bound phase ("${phase}") or empty pvc.Spec.VolumeName ("${pvName}")`);
    }
    const pv: any = await this.source.getPersistentVolume(pvName);
    if (!pv) throw new SourceError(`persistentvolume "${pvName}" not found`);
    const ro = readOnly || (pv.spec?.accessModes ?? []).every((m: string) => m === "ReadOnlyMany") && (pv.spec?.accessModes ?? []).length > 0;
    if (pv.spec?.hostPath) {
      await checkHostPathType(pv.spec.hostPath.path, pv.spec.hostPath.type);
      return { name: volName, hostPath: pv.spec.hostPath.path, readOnly: ro, plugin: "host-path" };
    }
    if (pv.spec?.local) {
      const st = await fsp.stat(pv.spec.local.path).catch(() => undefined);
      if (!st) throw new SourceError(`path "${pv.spec.local.path}" does not exist`);
      return { name: volName, hostPath: pv.spec.local.path, readOnly: ro, plugin: "local-volume" };
    }
    throw new SourceError(`persistentvolume "${pvName}" has a volume type this node cannot mount (only hostPath and local are supported)`);
  }

  /** Unmounts everything under the pod's volumes dir (deepest first) and removes it. */
  async tearDown(podUid: string): Promise<void> {
    const base = join(this.podsDir, podUid, "volumes");
    const mounts = mountPoints()
      .map((m) => m.point)
      .filter((p) => p === base || p.startsWith(base + "/"))
      .sort((a, b) => b.length - a.length);
    for (const p of mounts) {
      try {
        await run("umount", [p]);
      } catch (err) {
        // retry lazily so a busy mount cannot keep the pod around forever
        try {
          await run("umount", ["-l", p]);
        } catch {
          throw new Error(`unmounting ${p}: ${(err as Error).message}`);
        }
      }
    }
    await fsp.rm(base, { recursive: true, force: true });
  }
}
