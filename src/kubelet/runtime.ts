/**
 * The kubelet's view of the container runtime: the CRI labels and
 * annotations it puts on sandboxes and containers (so a restarted kubelet can
 * recognise and adopt them), and the relist that turns ListPodSandbox +
 * ListContainers (+ cached per-object status calls) into RuntimePods grouped
 * by pod uid. Objects without the pod uid label are not the kubelet's and are
 * ignored.
 */
import { createHash } from "node:crypto";
import type { CriClient, CriMessage } from "./cri/client.ts";
import { isNotFound } from "./cri/client.ts";
import type { ContainerSpec } from "./types.ts";

export const LABEL_POD_NAME = "io.kubernetes.pod.name";
export const LABEL_POD_NAMESPACE = "io.kubernetes.pod.namespace";
export const LABEL_POD_UID = "io.kubernetes.pod.uid";
export const LABEL_CONTAINER_NAME = "io.kubernetes.container.name";
export const ANN_CONTAINER_HASH = "io.kubernetes.container.hash";
export const ANN_RESTART_COUNT = "io.kubernetes.container.restartCount";
export const ANN_TERMINATION_MESSAGE_PATH = "io.kubernetes.container.terminationMessagePath";
export const ANN_TERMINATION_MESSAGE_POLICY = "io.kubernetes.container.terminationMessagePolicy";
export const ANN_GRACE_PERIOD = "io.kubernetes.pod.terminationGracePeriod";
export const ANN_PRESTOP = "io.kubernetes.container.preStopHandler";
/** tskube's own: "init", "sidecar" or "app" (to know a container's role without the pod spec). */
export const ANN_CONTAINER_TYPE = "tskube.io/container-type";

export type SandboxState = "SANDBOX_READY" | "SANDBOX_NOTREADY";
export type ContainerState = "CONTAINER_CREATED" | "CONTAINER_RUNNING" | "CONTAINER_EXITED" | "CONTAINER_UNKNOWN";

/** One pod sandbox of a pod, as the runtime reports it. Times are epoch ms. */
export interface RuntimeSandbox {
  id: string;
  attempt: number;
  state: SandboxState;
  createdAt: number;
  ip?: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

/** One container instance. Times are epoch ms (0 when unset). */
export interface RuntimeContainer {
  id: string;
  sandboxId: string;
  name: string;
  attempt: number;
  state: ContainerState;
  createdAt: number;
  startedAt: number;
  finishedAt: number;
  exitCode: number;
  reason: string;
  message: string;
  image: string;
  imageRef: string;
  hash: string;
  restartCount: number;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  logPath: string;
}

/** Everything the runtime holds for one pod uid; sandboxes and containers newest first. */
export interface RuntimePod {
  uid: string;
  name: string;
  namespace: string;
  sandboxes: RuntimeSandbox[];
  containers: RuntimeContainer[];
}

/** CRI int64 nanoseconds (string or number) → epoch milliseconds. */
export function nsToMs(v: unknown): number {
  if (v === undefined || v === null || v === "" || v === "0" || v === 0) return 0;
  try {
    return Number(BigInt(String(v)) / 1_000_000n);
  } catch {
    return 0;
  }
}

/** Stable hash of a container spec; a change means the container must be recreated. */
export function containerHash(c: ContainerSpec): string {
  const relevant = { ...c };
  delete relevant.resources;
  return createHash("sha256").update(canonicalJson(relevant)).digest("hex").slice(0, 8);
}

function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(",")}]`;
  if (v && typeof v === "object") {
    const keys = Object.keys(v as object).filter((k) => (v as any)[k] !== undefined).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson((v as any)[k])}`).join(",")}}`;
  }
  return JSON.stringify(v);
}

/** The newest sandbox (by attempt, then creation time) or undefined. */
export function latestSandbox(rp: RuntimePod | undefined): RuntimeSandbox | undefined {
  return rp?.sandboxes[0];
}

/** Newest instance of container `name`, optionally only within sandbox `sandboxId`. */
export function latestContainer(rp: RuntimePod | undefined, name: string, sandboxId?: string): RuntimeContainer | undefined {
  return rp?.containers.find((c) => c.name === name && (sandboxId === undefined || c.sandboxId === sandboxId));
}

/** Instances of container `name`, newest first. */
export function containerInstances(rp: RuntimePod | undefined, name: string): RuntimeContainer[] {
  return rp?.containers.filter((c) => c.name === name) ?? [];
}

interface CachedStatus {
  state: string;
  value: CriMessage;
}

/**
 * Lists the runtime's pods. Status calls (PodSandboxStatus for the IP,
 * ContainerStatus for times and exit codes) are cached per object and state,
 * since they do not change while the state stays the same.
 */
export class RuntimeLister {
  readonly #cri: CriClient;
  readonly #sandboxCache = new Map<string, CachedStatus>();
  readonly #containerCache = new Map<string, CachedStatus>();

  constructor(cri: CriClient) {
    this.#cri = cri;
  }

  /** Drops cached statuses (call after a container/sandbox changed state by our hand). */
  invalidate(id: string): void {
    this.#sandboxCache.delete(id);
    this.#containerCache.delete(id);
  }

  /** The runtime pod of one uid (undefined when the runtime holds nothing for it). */
  async listPod(uid: string): Promise<RuntimePod | undefined> {
    return (await this.list(uid)).get(uid);
  }

  /** Every runtime pod (or only `uid`'s), by pod uid. */
  async list(uid?: string): Promise<Map<string, RuntimePod>> {
    const sel = uid ? { label_selector: { [LABEL_POD_UID]: uid } } : undefined;
    const [sbs, cts] = await Promise.all([
      this.#cri.runtime.ListPodSandbox(sel ? { filter: sel } : {}),
      this.#cri.runtime.ListContainers(sel ? { filter: sel } : {}),
    ]);
    const pods = new Map<string, RuntimePod>();
    const seenSandboxes = new Set<string>();
    const seenContainers = new Set<string>();
    const podOf = (labels: Record<string, string>): RuntimePod | undefined => {
      const uid = labels?.[LABEL_POD_UID];
      if (!uid) return undefined;
      let p = pods.get(uid);
      if (!p) {
        p = { uid, name: labels[LABEL_POD_NAME] ?? "", namespace: labels[LABEL_POD_NAMESPACE] ?? "", sandboxes: [], containers: [] };
        pods.set(uid, p);
      }
      return p;
    };
    await Promise.all(
      (sbs.items ?? []).map(async (s: CriMessage) => {
        const p = podOf(s.labels ?? {});
        if (!p) return;
        seenSandboxes.add(s.id);
        let ip: string | undefined;
        if (s.state === "SANDBOX_READY") {
          const st = await this.#cachedStatus(this.#sandboxCache, s.id, s.state, () => this.#cri.runtime.PodSandboxStatus({ pod_sandbox_id: s.id }));
          ip = st?.status?.network?.ip || undefined;
        }
        p.sandboxes.push({
          id: s.id,
          attempt: Number(s.metadata?.attempt ?? 0),
          state: s.state,
          createdAt: nsToMs(s.created_at),
          ip,
          labels: s.labels ?? {},
          annotations: s.annotations ?? {},
        });
      }),
    );
    await Promise.all(
      (cts.containers ?? []).map(async (c: CriMessage) => {
        const p = podOf(c.labels ?? {});
        if (!p) return;
        seenContainers.add(c.id);
        const st = (await this.#cachedStatus(this.#containerCache, c.id, c.state, () => this.#cri.runtime.ContainerStatus({ container_id: c.id })))?.status ?? {};
        const ann = c.annotations ?? {};
        p.containers.push({
          id: c.id,
          sandboxId: c.pod_sandbox_id,
          name: c.labels?.[LABEL_CONTAINER_NAME] ?? c.metadata?.name ?? "",
          attempt: Number(c.metadata?.attempt ?? 0),
          state: (st.state ?? c.state) as ContainerState,
          createdAt: nsToMs(c.created_at),
          startedAt: nsToMs(st.started_at),
          finishedAt: nsToMs(st.finished_at),
          exitCode: Number(st.exit_code ?? 0),
          reason: st.reason ?? "",
          message: st.message ?? "",
          image: c.image?.image ?? "",
          imageRef: c.image_ref ?? st.image_ref ?? "",
          hash: ann[ANN_CONTAINER_HASH] ?? "",
          restartCount: Number(ann[ANN_RESTART_COUNT] ?? c.metadata?.attempt ?? 0),
          labels: c.labels ?? {},
          annotations: ann,
          logPath: st.log_path ?? "",
        });
      }),
    );
    if (!uid) {
      for (const id of this.#sandboxCache.keys()) if (!seenSandboxes.has(id)) this.#sandboxCache.delete(id);
      for (const id of this.#containerCache.keys()) if (!seenContainers.has(id)) this.#containerCache.delete(id);
    }
    for (const p of pods.values()) {
      p.sandboxes.sort((a, b) => b.attempt - a.attempt || b.createdAt - a.createdAt);
      p.containers.sort((a, b) => b.attempt - a.attempt || b.createdAt - a.createdAt);
    }
    return pods;
  }

  async #cachedStatus(cache: Map<string, CachedStatus>, id: string, state: string, fetch: () => Promise<CriMessage>): Promise<CriMessage | undefined> {
    const hit = cache.get(id);
    if (hit && hit.state === state) return hit.value;
    try {
      const value = await fetch();
      cache.set(id, { state, value });
      return value;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }
}

/**
 * A fingerprint of a runtime pod's states; the PLEG compares fingerprints
 * between relists and syncs pods whose fingerprint changed.
 */
export function podFingerprint(rp: RuntimePod | undefined): string {
  if (!rp) return "";
  return [...rp.sandboxes.map((s) => `${s.id}:${s.state}:${s.ip ?? ""}`), ...rp.containers.map((c) => `${c.id}:${c.state}`)].join(",");
}
