/**
 * The REST client: typed CRUD, subresources and watch for every resource in
 * the ResourceInfo table, over one HTTP/2 connection per ApiClient, with
 * optional client-side rate limiting. Every non-2xx answer becomes an
 * ApiError carrying the server's Status; transport failures stay plain Errors.
 */
import type { ClientHttp2Stream, IncomingHttpHeaders, IncomingHttpStatusHeader, OutgoingHttpHeaders } from "node:http2";
import { findByKind, groupVersion, type ResourceInfo } from "../api/resources.ts";
import type { KObject } from "../api/types.ts";
import { reasonCodes, StatusError, type Reason, type Status, type StatusDetails } from "../machinery/errors.ts";
import type { ClientConfig } from "./config.ts";
import { H2Connection } from "./h2.ts";
import { LineSplitter } from "./lines.ts";
import { TokenBucket } from "./ratelimit.ts";

/** Options of list (and of watch, which extends them). */
export interface ListOptions {
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
  resourceVersion?: string;
  resourceVersionMatch?: string;
}

export interface ObjectList<T> {
  items: T[];
  metadata: { resourceVersion: string; continue?: string };
}

export type WatchOptions = ListOptions & { allowWatchBookmarks?: boolean; timeoutSeconds?: number; sendInitialEvents?: boolean };

export interface WatchEvent<T> {
  type: "ADDED" | "MODIFIED" | "DELETED" | "BOOKMARK" | "ERROR";
  /** The object; for ERROR a meta/v1 Status (see `statusOfEvent`). */
  object: T;
}

/** A running watch. */
export interface WatchHandle {
  /**
   * Resolves when the server ends the stream or stop() was called; rejects on
   * transport errors or a non-200 answer (ApiError). Events are delivered
   * synchronously, in stream order, before `done` settles.
   */
  done: Promise<void>;
  /** Ends the watch; idempotent. No events are delivered after it returns. */
  stop(): void;
}

export interface WriteOptions {
  dryRun?: boolean;
  fieldManager?: string;
}

export interface DeleteOptions {
  gracePeriodSeconds?: number;
  propagationPolicy?: "Foreground" | "Background" | "Orphan";
  preconditions?: { uid?: string; resourceVersion?: string };
}

/**
 * Typed access to one resource. `namespace` "" means all namespaces (list,
 * watch) or a cluster-scoped resource; for namespaced writes "" falls back to
 * the object's metadata.namespace. Every method rejects with ApiError for
 * answers outside 2xx.
 */
export interface ResourceClient<T extends KObject = KObject> {
  /** The resource served (always set by ApiClient; fakes may omit it). */
  readonly info?: ResourceInfo;
  get(namespace: string, name: string): Promise<T>;
  /** One page (or all, without `limit`); items carry apiVersion and kind. */
  list(namespace: string, opts?: ListOptions): Promise<ObjectList<T>>;
  watch(namespace: string, opts: WatchOptions, onEvent: (ev: WatchEvent<T>) => void): WatchHandle;
  create(namespace: string, obj: T, opts?: WriteOptions): Promise<T>;
  /** PUT; the object's metadata.resourceVersion (if set) is the optimistic-concurrency precondition. */
  update(namespace: string, obj: T, opts?: WriteOptions): Promise<T>;
  updateStatus(namespace: string, obj: T, opts?: WriteOptions): Promise<T>;
  patch(namespace: string, name: string, type: "merge" | "strategic" | "json", patch: unknown, opts?: WriteOptions & { subresource?: string }): Promise<T>;
  delete(namespace: string, name: string, opts?: DeleteOptions): Promise<void>;
  /** POST to a subresource (pods/binding, pods/eviction); resolves with the decoded answer. */
  createSubresource(namespace: string, name: string, subresource: string, body: unknown): Promise<unknown>;
  getSubresource(namespace: string, name: string, subresource: string): Promise<unknown>;
}

const reasonByCode = new Map<number, Reason>();
for (const [r, c] of Object.entries(reasonCodes)) if (!reasonByCode.has(c)) reasonByCode.set(c, r as Reason);
reasonByCode.set(410, "Expired");

/** An error answer of the apiserver: `code`, `reason`, `details` and the raw Status. */
export class ApiError extends StatusError {
  /** The Status as the server sent it (synthesised when the body was not a Status). */
  readonly status: Status;

  constructor(status: Status) {
    const reason = (status.reason || reasonByCode.get(status.code) || "InternalError") as Reason;
    super(reason, status.message || `the server responded with HTTP ${status.code}`, status.details, status.code);
    this.name = "ApiError";
    this.status = status;
  }

  /** Builds the error from an HTTP status code and response body. */
  static fromResponse(code: number, body: string): ApiError {
    let parsed: Partial<Status> | undefined;
    try {
      const j = JSON.parse(body);
      if (j && typeof j === "object" && j.kind === "Status") parsed = j;
    } catch {
      parsed = undefined;
    }
    return new ApiError({
      kind: "Status",
      apiVersion: "v1",
      metadata: {},
      status: "Failure",
      message: parsed?.message ?? (body.trim().slice(0, 512) || `the server responded with HTTP ${code}`),
      reason: (parsed?.reason as Reason | undefined) ?? reasonByCode.get(code) ?? "",
      details: parsed?.details as StatusDetails | undefined,
      code: parsed?.code ?? code,
    });
  }
}

function hasCode(err: unknown, code: number, reason?: string): boolean {
  return err instanceof StatusError && err.code === code && (reason === undefined || err.reason === reason);
}
/** True for 404 answers. */
export const isNotFound = (err: unknown): boolean => hasCode(err, 404);
/** True for 409 Conflict (stale resourceVersion). */
export const isConflict = (err: unknown): boolean => hasCode(err, 409, "Conflict");
/** True for 409 AlreadyExists. */
export const isAlreadyExists = (err: unknown): boolean => hasCode(err, 409, "AlreadyExists");
/** True for 410 Gone/Expired (resourceVersion too old). */
export const isGone = (err: unknown): boolean => hasCode(err, 410);

/** The Status inside an ERROR watch event as an ApiError. */
export function statusOfEvent(ev: WatchEvent<unknown>): ApiError {
  const s = (ev.object ?? {}) as Partial<Status>;
  return ApiError.fromResponse(s.code ?? 500, JSON.stringify({ kind: "Status", ...s }));
}

export interface ApiClientOptions {
  userAgent?: string;
  /** Client-side rate limit (requests per second); off when absent or 0. */
  qps?: number;
  /** Bucket size for `qps` (default max(1, qps)). */
  burst?: number;
  /** Per-request deadline for non-watch requests (default 60 000 ms). */
  timeoutMs?: number;
}

interface Call {
  method: string;
  path: string;
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  contentType?: string;
}

function queryString(q: Call["query"]): string {
  if (!q) return "";
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) if (v !== undefined && v !== "") p.set(k, String(v));
  const s = p.toString();
  return s ? `?${s}` : "";
}

/** A connection to one apiserver. Cheap to share; call close() to release its connection. */
export class ApiClient {
  readonly config: ClientConfig;
  readonly #conn: H2Connection;
  readonly #base: string;
  readonly #userAgent: string;
  readonly #timeoutMs: number;
  readonly #limiter: TokenBucket | undefined;
  readonly #clients = new Map<ResourceInfo, ResourceClient<KObject>>();
  readonly #watches = new Set<ClientHttp2Stream>();

  constructor(cfg: ClientConfig, opts: ApiClientOptions = {}) {
    this.config = cfg;
    const url = new URL(cfg.server);
    this.#base = url.pathname.replace(/\/+$/, "");
    this.#conn = new H2Connection(url.origin, { ca: cfg.ca, cert: cfg.cert, key: cfg.key, rejectUnauthorized: !cfg.insecureSkipVerify });
    this.#userAgent = opts.userAgent ?? `tskube-client/0.1 node/${process.versions.node}`;
    this.#timeoutMs = opts.timeoutMs ?? 60_000;
    this.#limiter = opts.qps && opts.qps > 0 ? new TokenBucket(opts.qps, opts.burst ?? Math.max(1, opts.qps)) : undefined;
  }

  /** The typed client of a resource (cached per ResourceInfo). */
  resource<T extends KObject = KObject>(info: ResourceInfo): ResourceClient<T> {
    let c = this.#clients.get(info);
    if (!c) {
      c = new Resource(this, info);
      this.#clients.set(info, c);
    }
    return c as unknown as ResourceClient<T>;
  }

  /** The typed client for an apiVersion/kind; throws for kinds the table does not serve. */
  for<T extends KObject = KObject>(apiVersion: string, kind: string): ResourceClient<T> {
    const info = findByKind(apiVersion, kind);
    if (!info) throw new Error(`no resource for ${apiVersion} ${kind}`);
    return this.resource<T>(info);
  }

  /** Ends open watches and the connection. Requests after close fail. */
  close(): void {
    for (const st of this.#watches) H2Connection.cancel(st);
    this.#watches.clear();
    this.#conn.close();
  }

  #headers(c: Call, extra: OutgoingHttpHeaders): OutgoingHttpHeaders {
    const h: OutgoingHttpHeaders = { ":method": c.method, ":path": this.#base + c.path + queryString(c.query), accept: "application/json", "user-agent": this.#userAgent, ...extra };
    if (this.config.token) h.authorization = `Bearer ${this.config.token}`;
    return h;
  }

  /** Sends one request and resolves with the decoded JSON answer (undefined for an empty body). */
  async request(c: Call): Promise<unknown> {
    if (this.#limiter) await this.#limiter.take();
    const data = c.body === undefined ? undefined : Buffer.from(JSON.stringify(c.body));
    const extra: OutgoingHttpHeaders = data ? { "content-type": c.contentType ?? "application/json", "content-length": data.length } : {};
    return new Promise((resolve, reject) => {
      let st: ClientHttp2Stream;
      try {
        st = this.#conn.stream(this.#headers(c, extra), !data);
      } catch (err) {
        return reject(err);
      }
      let code = 0;
      let settled = false;
      const chunks: Buffer[] = [];
      const fail = (err: unknown): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        reject(err);
      };
      const timer = setTimeout(() => {
        fail(new Error(`${c.method} ${c.path}: timed out after ${this.#timeoutMs} ms`));
        H2Connection.cancel(st);
      }, this.#timeoutMs);
      st.on("response", (h: IncomingHttpHeaders & IncomingHttpStatusHeader) => (code = h[":status"] ?? 0));
      st.on("data", (b: Buffer) => chunks.push(b));
      st.on("error", fail);
      st.on("end", () => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        const text = Buffer.concat(chunks).toString("utf8");
        if (code === 0) return reject(new Error(`${c.method} ${c.path}: connection closed before the answer`));
        if (code < 200 || code > 299) return reject(ApiError.fromResponse(code, text));
        if (text.trim() === "") return resolve(undefined);
        try {
          resolve(JSON.parse(text));
        } catch {
          reject(new Error(`${c.method} ${c.path}: undecodable response body`));
        }
      });
      st.on("close", () => {
        if (!settled) fail(new Error(`${c.method} ${c.path}: stream closed before the answer (code ${st.rstCode ?? "none"})`));
      });
      if (data) st.end(data);
    });
  }

  /** Opens a streaming watch request; see ResourceClient.watch. */
  watch(c: Call, onEvent: (ev: WatchEvent<KObject>) => void): WatchHandle {
    let st: ClientHttp2Stream | undefined;
    let stopped = false;
    let settle: { resolve: () => void; reject: (e: unknown) => void } | undefined;
    const done = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
    let finished = false;
    const finish = (err?: unknown): void => {
      if (finished) return;
      finished = true;
      if (st) {
        this.#watches.delete(st);
        H2Connection.cancel(st);
      }
      if (err && !stopped) settle!.reject(err);
      else settle!.resolve();
    };
    const open = (): void => {
      if (stopped) return finish();
      try {
        st = this.#conn.stream(this.#headers(c, {}), true);
      } catch (err) {
        return finish(err);
      }
      const s = st;
      this.#watches.add(s);
      let ended = false;
      s.on("response", (h: IncomingHttpHeaders & IncomingHttpStatusHeader) => {
        const code = h[":status"] ?? 0;
        if (code !== 200) {
          const chunks: Buffer[] = [];
          s.on("data", (b: Buffer) => chunks.push(b));
          s.on("end", () => finish(ApiError.fromResponse(code, Buffer.concat(chunks).toString("utf8"))));
          return;
        }
        const lines = new LineSplitter();
        s.on("data", (chunk: Buffer) =>
          lines.push(chunk, (line) => {
            if (stopped) return false;
            let ev: WatchEvent<KObject>;
            try {
              ev = JSON.parse(line);
            } catch {
              finish(new Error(`watch ${c.path}: undecodable event`));
              return false;
            }
            onEvent(ev);
          }),
        );
        s.on("end", () => {
          ended = true;
          finish();
        });
      });
      s.on("error", (e) => finish(e));
      s.on("close", () => finish(ended ? undefined : new Error(`watch ${c.path}: connection closed`)));
    };
    if (this.#limiter) this.#limiter.take().then(open, finish);
    else open();
    return {
      done,
      stop: () => {
        if (stopped) return;
        stopped = true;
        finish();
      },
    };
  }
}

const patchTypes = {
  merge: "application/merge-patch+json",
  strategic: "application/strategic-merge-patch+json",
  json: "application/json-patch+json",
} as const;

function writeQuery(opts: WriteOptions | undefined): Call["query"] {
  return { dryRun: opts?.dryRun ? "All" : undefined, fieldManager: opts?.fieldManager };
}

class Resource<T extends KObject> implements ResourceClient<T> {
  readonly info: ResourceInfo;
  readonly #c: ApiClient;
  readonly #gv: string;

  constructor(c: ApiClient, info: ResourceInfo) {
    this.#c = c;
    this.info = info;
    this.#gv = groupVersion(info);
  }

  #path(namespace: string, name?: string, sub?: string): string {
    const i = this.info;
    let p = i.group ? `/apis/${i.group}/${i.version}` : `/api/${i.version}`;
    if (i.namespaced && namespace) p += `/namespaces/${encodeURIComponent(namespace)}`;
    p += `/${i.plural}`;
    if (name !== undefined) {
      if (!name) throw new Error(`${i.plural}: a name is required`);
      p += `/${encodeURIComponent(name)}`;
    }
    if (sub) p += `/${sub}`;
    return p;
  }

  #ns(namespace: string, obj: T): string {
    return namespace || (this.info.namespaced ? (obj.metadata?.namespace ?? "") : "");
  }

  async get(namespace: string, name: string): Promise<T> {
    return (await this.#c.request({ method: "GET", path: this.#path(namespace, name) })) as T;
  }

  async list(namespace: string, opts: ListOptions = {}): Promise<ObjectList<T>> {
    const out = (await this.#c.request({ method: "GET", path: this.#path(namespace), query: { ...opts } })) as ObjectList<T>;
    out.items ??= [];
    for (const o of out.items) {
      o.apiVersion ??= this.#gv;
      o.kind ??= this.info.kind;
    }
    out.metadata ??= { resourceVersion: "" };
    return out;
  }

  watch(namespace: string, opts: WatchOptions, onEvent: (ev: WatchEvent<T>) => void): WatchHandle {
    return this.#c.watch({ method: "GET", path: this.#path(namespace), query: { ...opts, watch: "true" } }, onEvent as (ev: WatchEvent<KObject>) => void);
  }

  async create(namespace: string, obj: T, opts?: WriteOptions): Promise<T> {
    const body = { apiVersion: this.#gv, kind: this.info.kind, ...obj };
    return (await this.#c.request({ method: "POST", path: this.#path(this.#ns(namespace, obj)), query: writeQuery(opts), body })) as T;
  }

  async update(namespace: string, obj: T, opts?: WriteOptions): Promise<T> {
    const body = { apiVersion: this.#gv, kind: this.info.kind, ...obj };
    return (await this.#c.request({ method: "PUT", path: this.#path(this.#ns(namespace, obj), obj.metadata?.name ?? ""), query: writeQuery(opts), body })) as T;
  }

  async updateStatus(namespace: string, obj: T, opts?: WriteOptions): Promise<T> {
    const body = { apiVersion: this.#gv, kind: this.info.kind, ...obj };
    const path = this.#path(this.#ns(namespace, obj), obj.metadata?.name ?? "", "status");
    return (await this.#c.request({ method: "PUT", path, query: writeQuery(opts), body })) as T;
  }

  async patch(namespace: string, name: string, type: "merge" | "strategic" | "json", patch: unknown, opts?: WriteOptions & { subresource?: string }): Promise<T> {
    const path = this.#path(namespace, name, opts?.subresource);
    return (await this.#c.request({ method: "PATCH", path, query: writeQuery(opts), body: patch, contentType: patchTypes[type] })) as T;
  }

  async delete(namespace: string, name: string, opts?: DeleteOptions): Promise<void> {
    const body = opts ? { kind: "DeleteOptions", apiVersion: "v1", ...opts } : undefined;
    await this.#c.request({ method: "DELETE", path: this.#path(namespace, name), body });
  }

  createSubresource(namespace: string, name: string, subresource: string, body: unknown): Promise<unknown> {
    return this.#c.request({ method: "POST", path: this.#path(namespace, name, subresource), body });
  }

  getSubresource(namespace: string, name: string, subresource: string): Promise<unknown> {
    return this.#c.request({ method: "GET", path: this.#path(namespace, name, subresource) });
  }
}
