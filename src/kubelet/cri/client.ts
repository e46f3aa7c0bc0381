/**
 * CRI v1 client: a promise-based wrapper over the RuntimeService and
 * ImageService of a container runtime (containerd) on a unix socket.
 *
 * Messages are plain objects with the proto's snake_case field names; 64-bit
 * integers are decimal strings on the way out (proto-loader `longs: String`)
 * and may be numbers or strings on the way in. Enum values are their names
 * (e.g. `state: 'CONTAINER_RUNNING'`). Errors are gRPC errors (`code`,
 * `details`); `isNotFound(err)` tells the runtime's NOT_FOUND apart.
 */
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

const PROTO_PATH = fileURLToPath(new URL('./api.proto', import.meta.url));

/** A CRI message: plain object with snake_case fields. */
export type CriMessage = Record<string, any>;

type Rpc = (req?: CriMessage, timeoutMs?: number) => Promise<CriMessage>;

/** The RuntimeService RPCs, by their CRI names. */
export interface RuntimeService {
  Version: Rpc; Status: Rpc;
  RunPodSandbox: Rpc; StopPodSandbox: Rpc; RemovePodSandbox: Rpc; PodSandboxStatus: Rpc; ListPodSandbox: Rpc;
  CreateContainer: Rpc; StartContainer: Rpc; StopContainer: Rpc; RemoveContainer: Rpc;
  ListContainers: Rpc; ContainerStatus: Rpc; UpdateContainerResources: Rpc; ReopenContainerLog: Rpc;
  ExecSync: Rpc; Exec: Rpc; Attach: Rpc; PortForward: Rpc;
  ContainerStats: Rpc; ListContainerStats: Rpc; UpdateRuntimeConfig: Rpc;
}

/** The ImageService RPCs, by their CRI names. */
export interface ImageService {
  ListImages: Rpc; ImageStatus: Rpc; PullImage: Rpc; RemoveImage: Rpc; ImageFsInfo: Rpc;
}

/** A connected CRI client. `close()` releases the channel. */
export interface CriClient {
  runtime: RuntimeService;
  image: ImageService;
  endpoint: string;
  close(): void;
}

const DEFAULT_TIMEOUT_MS = 2 * 60_000;
let packageCache: any;

function loadPackage(): any {
  if (!packageCache) {
    const def = protoLoader.loadSync(PROTO_PATH, { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true });
    packageCache = (grpc.loadPackageDefinition(def) as any).runtime.v1;
  }
  return packageCache;
}

function promisify(stub: any, names: string[]): Record<string, Rpc> {
  const out: Record<string, Rpc> = {};
  for (const name of names) {
    out[name] = (req: CriMessage = {}, timeoutMs = DEFAULT_TIMEOUT_MS) => new Promise((resolve, reject) => {
      stub[name](req, { deadline: Date.now() + timeoutMs }, (err: Error | null, res: CriMessage) => {
        if (err) reject(err); else resolve(res);
      });
    });
  }
  return out;
}

/**
 * Connects to a CRI endpoint: `unix:///path/to.sock` or a bare socket path.
 * The connection is lazy; the first call fails if nothing listens.
 */
export function connectCri(endpoint: string): CriClient {
  const pkg = loadPackage();
  const target = endpoint.startsWith('unix:') ? endpoint : `unix://${endpoint}`;
  const options = { 'grpc.max_receive_message_length': 16 * 1024 * 1024 };
  const rt = new pkg.RuntimeService(target, grpc.credentials.createInsecure(), options);
  const img = new pkg.ImageService(target, grpc.credentials.createInsecure(), options);
  const runtimeNames = Object.keys(pkg.RuntimeService.service);
  const imageNames = Object.keys(pkg.ImageService.service);
  return {
    runtime: promisify(rt, runtimeNames) as unknown as RuntimeService,
    image: promisify(img, imageNames) as unknown as ImageService,
    endpoint: target,
    close() { rt.close(); img.close(); },
  };
}

/** True when a CRI call failed because the object does not exist. */
export function isNotFound(err: unknown): boolean {
  return (err as { code?: number })?.code === grpc.status.NOT_FOUND;
}

/** True when a CRI call failed because the runtime is not reachable. */
export function isUnavailable(err: unknown): boolean {
  return (err as { code?: number })?.code === grpc.status.UNAVAILABLE;
}
