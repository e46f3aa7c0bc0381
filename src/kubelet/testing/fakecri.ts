/**
 * An in-memory CRI runtime and image service for kubelet tests: sandboxes
 * and containers with states and timestamps from an injected clock, label
 * filters, images (with sizes, pinning and removal) that can be "pulled"
 * only when listed as pullable, an optional image filesystem mountpoint for
 * ImageFsInfo, and a call log. Tests make containers exit with `exit()`, or set `onStart` to
 * script behaviour (e.g. exit at once with code 1).
 */
import type { Clock } from "../../client/clock.ts";
import type { CriClient, CriMessage, ImageService, RuntimeService } from "../cri/client.ts";

interface FakeSandbox {
  id: string;
  config: CriMessage;
  state: "SANDBOX_READY" | "SANDBOX_NOTREADY";
  createdAt: number;
  ip: string;
}

interface FakeContainer {
  id: string;
  sandboxId: string;
  config: CriMessage;
  state: "CONTAINER_CREATED" | "CONTAINER_RUNNING" | "CONTAINER_EXITED" | "CONTAINER_UNKNOWN";
  createdAt: number;
  startedAt: number;
  finishedAt: number;
  exitCode: number;
  reason: string;
  imageRef: string;
}

class CriError extends Error {
  code: number;
  details: string;
  constructor(code: number, msg: string) {
    super(msg);
    this.code = code;
    this.details = msg;
  }
}

const NOT_FOUND = 5;

/** Epoch ms → CRI nanoseconds string (0 stays "0"). */
function ns(ms: number): string {
  return ms ? String(BigInt(Math.round(ms)) * 1_000_000n) : "0";
}

function matches(labels: Record<string, string>, sel: Record<string, string> | undefined): boolean {
  for (const [k, v] of Object.entries(sel ?? {})) if (labels?.[k] !== v) return false;
  return true;
}

export class FakeCri implements CriClient {
  readonly endpoint = "fake://cri";
  readonly sandboxes = new Map<string, FakeSandbox>();
  readonly containers = new Map<string, FakeContainer>();
  /** Image name → image id of images present. */
  readonly images = new Map<string, string>();
  /** Images PullImage succeeds for. */
  readonly pullable = new Set<string>();
  /** Image id → size in bytes (default 1000). */
  readonly imageSizes = new Map<string, number>();
  /** Image names reported as pinned (never garbage collected). */
  readonly pinned = new Set<string>();
  /** Image id → the user its config names (ImageStatus uid/username). */
  readonly imageUsers = new Map<string, { uid?: number; username?: string }>();
  /** Mountpoint ImageFsInfo reports (none when unset). */
  imageFsMountpoint: string | undefined;
  /** Every call as "Method" or "Method:detail". */
  readonly calls: string[] = [];
  /** Called after StartContainer (e.g. to make a container exit at once). */
  onStart: ((c: FakeContainer) => void) | undefined;
  /** Answers ExecSync (default: exit 0). */
  onExec: ((containerId: string, cmd: string[]) => { exitCode: number; stdout?: string; stderr?: string }) | undefined;
  /** When true, StopContainer leaves containers running until the timeout elapses on the clock (not modelled): exit code 137. */
  readonly clock: Clock;
  #seq = 0;
  #ip = 2;
  runtime: RuntimeService;
  image: ImageService;

  constructor(clock: Clock) {
    this.clock = clock;
    const r = (name: string, fn: (req: CriMessage) => CriMessage | Promise<CriMessage>) => async (req: CriMessage = {}) => fn(req);
    this.runtime = {
      Version: r("Version", () => ({ version: "0.1.0", runtime_name: "fake", runtime_version: "1.0.0", runtime_api_version: "v1" })),
      Status: r("Status", () => ({ status: { conditions: [{ type: "RuntimeReady", status: true }, { type: "NetworkReady", status: true }] } })),
      RunPodSandbox: r("RunPodSandbox", (q) => {
        const id = `sb${++this.#seq}`;
        const ip = q.config?.linux?.security_context?.namespace_options?.network === "NODE" ? "" : `10.88.0.${this.#ip++}`;
        this.sandboxes.set(id, { id, config: q.config, state: "SANDBOX_READY", createdAt: this.#ns(), ip });
        this.calls.push(`RunPodSandbox:${q.config?.metadata?.name}:${q.config?.metadata?.attempt ?? 0}`);
        return { pod_sandbox_id: id };
      }),
      StopPodSandbox: r("StopPodSandbox", (q) => {
        const s = this.#sandbox(q.pod_sandbox_id);
        for (const c of this.containers.values()) if (c.sandboxId === s.id && c.state === "CONTAINER_RUNNING") this.#exitC(c, 137, "Error");
        s.state = "SANDBOX_NOTREADY";
        this.calls.push(`StopPodSandbox:${s.config.metadata.name}`);
        return {};
      }),
      RemovePodSandbox: r("RemovePodSandbox", (q) => {
        const s = this.sandboxes.get(q.pod_sandbox_id);
        if (!s) return {};
        for (const c of [...this.containers.values()]) if (c.sandboxId === s.id) this.containers.delete(c.id);
        this.sandboxes.delete(s.id);
        this.calls.push(`RemovePodSandbox:${s.config.metadata.name}`);
        return {};
      }),
      PodSandboxStatus: r("PodSandboxStatus", (q) => {
        const s = this.#sandbox(q.pod_sandbox_id);
        return { status: { id: s.id, metadata: s.config.metadata, state: s.state, created_at: ns(s.createdAt), network: { ip: s.ip }, labels: s.config.labels, annotations: s.config.annotations } };
      }),
      ListPodSandbox: r("ListPodSandbox", (q) => ({
        items: [...this.sandboxes.values()]
          .filter((s) => (!q.filter?.id || s.id === q.filter.id) && matches(s.config.labels, q.filter?.label_selector))
          .map((s) => ({ id: s.id, metadata: s.config.metadata, state: s.state, created_at: ns(s.createdAt), labels: s.config.labels ?? {}, annotations: s.config.annotations ?? {} })),
      })),
      CreateContainer: r("CreateContainer", (q) => {
        const s = this.#sandbox(q.pod_sandbox_id);
        const image = q.config.image.image;
        const ref = this.images.get(image) ?? [...this.images.values()].find((v) => v === image);
        if (!ref) throw new CriError(2, `image "${image}" not found`);
        const id = `c${++this.#seq}`;
        this.containers.set(id, { id, sandboxId: s.id, config: q.config, state: "CONTAINER_CREATED", createdAt: this.#ns(), startedAt: 0, finishedAt: 0, exitCode: 0, reason: "", imageRef: ref });
        this.calls.push(`CreateContainer:${q.config.metadata.name}`);
        return { container_id: id };
      }),
      StartContainer: r("StartContainer", (q) => {
        const c = this.#container(q.container_id);
        c.state = "CONTAINER_RUNNING";
        c.startedAt = this.#ns();
        this.calls.push(`StartContainer:${c.config.metadata.name}`);
        this.onStart?.(c);
        return {};
      }),
      StopContainer: r("StopContainer", (q) => {
        const c = this.#container(q.container_id);
        this.calls.push(`StopContainer:${c.config.metadata.name}:${q.timeout}`);
        if (c.state === "CONTAINER_RUNNING" || c.state === "CONTAINER_CREATED") this.#exitC(c, 143, "Error");
        return {};
      }),
      RemoveContainer: r("RemoveContainer", (q) => {
        const c = this.containers.get(q.container_id);
        if (c) this.calls.push(`RemoveContainer:${c.config.metadata.name}`);
        this.containers.delete(q.container_id);
        return {};
      }),
      ListContainers: r("ListContainers", (q) => ({
        containers: [...this.containers.values()]
          .filter((c) => (!q.filter?.id || c.id === q.filter.id) && (!q.filter?.pod_sandbox_id || c.sandboxId === q.filter.pod_sandbox_id) && matches(c.config.labels, q.filter?.label_selector))
          .map((c) => ({ id: c.id, pod_sandbox_id: c.sandboxId, metadata: c.config.metadata, image: c.config.image, image_ref: c.imageRef, state: c.state, created_at: ns(c.createdAt), labels: c.config.labels ?? {}, annotations: c.config.annotations ?? {} })),
      })),
      ContainerStatus: r("ContainerStatus", (q) => {
        const c = this.#container(q.container_id);
        return {
          status: {
            id: c.id, metadata: c.config.metadata, state: c.state, created_at: ns(c.createdAt), started_at: ns(c.startedAt), finished_at: ns(c.finishedAt),
            exit_code: c.exitCode, image: c.config.image, image_ref: c.imageRef, reason: c.reason, message: "", labels: c.config.labels, annotations: c.config.annotations, log_path: "",
          },
        };
      }),
      UpdateContainerResources: r("UpdateContainerResources", () => ({})),
      ReopenContainerLog: r("ReopenContainerLog", () => ({})),
      ExecSync: r("ExecSync", (q) => {
        this.calls.push(`ExecSync:${this.#container(q.container_id).config.metadata.name}:${(q.cmd ?? []).join(" ")}`);
        const res = this.onExec?.(q.container_id, q.cmd) ?? { exitCode: 0 };
        return { exit_code: res.exitCode, stdout: Buffer.from(res.stdout ?? ""), stderr: Buffer.from(res.stderr ?? "") };
      }),
      Exec: r("Exec", () => ({ url: "http://fake/exec" })),
      Attach: r("Attach", () => ({ url: "http://fake/attach" })),
      PortForward: r("PortForward", () => ({ url: "http://fake/pf" })),
      ContainerStats: r("ContainerStats", () => ({ stats: {} })),
      ListContainerStats: r("ListContainerStats", () => ({ stats: [] })),
      UpdateRuntimeConfig: r("UpdateRuntimeConfig", () => ({})),
    };
    this.image = {
      ListImages: r("ListImages", () => {
        const byId = new Map<string, CriMessage>();
        for (const [name, id] of this.images) {
          const img = byId.get(id) ?? { id, repo_tags: [], repo_digests: [], size: String(this.imageSizes.get(id) ?? 1000), pinned: false };
          img.repo_tags.push(name);
          if (this.pinned.has(name)) img.pinned = true;
          byId.set(id, img);
        }
        return { images: [...byId.values()] };
      }),
      ImageStatus: r("ImageStatus", (q) => {
        const ref = q.image?.image;
        const id = this.images.get(ref) ?? ([...this.images.values()].includes(ref) ? ref : undefined);
        if (!id) return {};
        const user = this.imageUsers.get(id);
        return {
          image: {
            id,
            repo_tags: [...this.images].filter(([, v]) => v === id).map(([k]) => k),
            size: String(this.imageSizes.get(id) ?? 1000),
            ...(user?.uid !== undefined ? { uid: { value: String(user.uid) } } : {}),
            username: user?.username ?? "",
          },
        };
      }),
      PullImage: r("PullImage", (q) => {
        const name = q.image?.image;
        this.calls.push(`PullImage:${name}`);
        if (!this.pullable.has(name)) throw new CriError(2, `failed to resolve reference "${name}": not found`);
        const id = `sha256:${Buffer.from(name).toString("hex").slice(0, 16)}`;
        this.images.set(name, id);
        return { image_ref: id };
      }),
      RemoveImage: r("RemoveImage", (q) => {
        const ref = q.image?.image;
        this.calls.push(`RemoveImage:${ref}`);
        // By name removes that name; by id removes every name of the image (as containerd does).
        if (!this.images.delete(ref)) for (const [name, id] of [...this.images]) if (id === ref) this.images.delete(name);
        return {};
      }),
      ImageFsInfo: r("ImageFsInfo", () => ({ image_filesystems: this.imageFsMountpoint ? [{ timestamp: ns(this.#ns()), fs_id: { mountpoint: this.imageFsMountpoint } }] : [] })),
    };
  }

  close(): void {}

  /** Adds an image as present on the node (size in bytes, default 1000). Returns its id. */
  addImage(name: string, sizeBytes?: number): string {
    const id = `sha256:${Buffer.from(name).toString("hex").slice(0, 16)}`;
    this.images.set(name, id);
    if (sizeBytes !== undefined) this.imageSizes.set(id, sizeBytes);
    return id;
  }

  /** Makes the newest running instance of container `name` (or the container with that id) exit. */
  exit(nameOrId: string, code: number, reason?: string): void {
    const c = this.containers.get(nameOrId) ?? this.latest(nameOrId);
    if (!c) throw new Error(`no container ${nameOrId}`);
    this.#exitC(c, code, reason ?? (code === 0 ? "Completed" : "Error"));
  }

  /** The newest container instance named `name`. */
  latest(name: string): FakeContainer | undefined {
    return [...this.containers.values()].filter((c) => c.config.metadata.name === name).sort((a, b) => b.createdAt - a.createdAt || Number(b.id.slice(1)) - Number(a.id.slice(1)))[0];
  }

  /** Instances of container `name`. */
  instances(name: string): FakeContainer[] {
    return [...this.containers.values()].filter((c) => c.config.metadata.name === name);
  }

  #exitC(c: FakeContainer, code: number, reason: string): void {
    c.state = "CONTAINER_EXITED";
    c.exitCode = code;
    c.reason = reason;
    c.finishedAt = this.#ns();
  }

  /** Clock time in ms; rendered as CRI nanoseconds by ns(). */
  #ns(): number {
    return this.clock.now();
  }

  #sandbox(id: string): FakeSandbox {
    const s = this.sandboxes.get(id);
    if (!s) throw new CriError(NOT_FOUND, `sandbox ${id} not found`);
    return s;
  }

  #container(id: string): FakeContainer {
    const c = this.containers.get(id);
    if (!c) throw new CriError(NOT_FOUND, `container ${id} not found`);
    return c;
  }
}
