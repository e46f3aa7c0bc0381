/**
 * CRI v1 client: a promise-based wrapper over the RuntimeService and
 * ImageService of a container runtime (containerd) on a unix socket.
 *
 * Speaks gRPC itself over node:http2 (../grpc/unary.ts) with a protobuf
 * codec driven by api.proto, read at first use (../grpc/schema.ts, codec.ts).
 * Messages are plain objects with the proto's snake_case field names and
 * every field present (proto-loader's `defaults: true` conventions); 64-bit
 * integers are decimal strings in responses and may be numbers or strings
 * in requests. Enum values are their names (e.g. `state:
 * 'CONTAINER_RUNNING'`). Errors carry the gRPC `code` and `details` (and a
 * grpc-js style message); `isNotFound(err)` tells the runtime's NOT_FOUND apart.
 */
import { readFileSync } from 'node:fs';
import * as net from 'node:net';
import { fileURLToPath } from 'node:url';
import { decode, encode } from '../grpc/codec.ts';
import { parseProto, type Schema } from '../grpc/schema.ts';
import { createChannel, Status, type Channel } from '../grpc/unary.ts';

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
let schemaCache: Schema | undefined;

/** The parsed CRI schema (api.proto, read once per process). */
export function criSchema(): Schema {
  schemaCache ??= parseProto(readFileSync(PROTO_PATH, 'utf8'));
  return schemaCache;
}

function service(channel: Channel, schema: Schema, name: string): Record<string, Rpc> {
  const out: Record<string, Rpc> = {};
  for (const rpc of schema.services.get(name) ?? []) {
    const path = `/${schema.package}.${name}/${rpc.name}`;
    out[rpc.name] = async (req: CriMessage = {}, timeoutMs = DEFAULT_TIMEOUT_MS) => {
      const body = encode(schema, rpc.input, req);
      return decode(schema, rpc.output, await channel.call(path, body, timeoutMs));
    };
  }
  return out;
}

/**
 * Connects to a CRI endpoint: `unix:///path/to.sock` or a bare socket path.
 * The connection is lazy; the first call fails if nothing listens. One
 * HTTP/2 connection is shared by both services and reopened after it drops.
 */
export function connectCri(endpoint: string): CriClient {
  const schema = criSchema();
  const target = endpoint.startsWith('unix:') ? endpoint : `unix://${endpoint}`;
  const path = target.replace(/^unix:(\/\/)?/, '');
  const channel = createChannel({ connect: () => net.connect(path), maxReceiveBytes: 16 * 1024 * 1024 });
  return {
    runtime: service(channel, schema, 'RuntimeService') as unknown as RuntimeService,
    image: service(channel, schema, 'ImageService') as unknown as ImageService,
    endpoint: target,
    close() { channel.close(); },
  };
}

/** True when a CRI call failed because the object does not exist. */
export function isNotFound(err: unknown): boolean {
  return (err as { code?: number })?.code === Status.NOT_FOUND;
}

/** True when a CRI call failed because the runtime is not reachable. */
export function isUnavailable(err: unknown): boolean {
  return (err as { code?: number })?.code === Status.UNAVAILABLE;
}
