/**
 * The kube-apiserver: an HTTPS server that authenticates client certificates,
 * serves discovery, OpenAPI, version and health endpoints, and routes resource
 * requests to the generic registry over the datastore (through the watch
 * cache). It is the only component that touches the datastore. HTTP/2 is
 * negotiated by ALPN, as upstream serves it; HTTP/1.1 remains for clients
 * that do not offer h2 and for upgrades (exec, attach, port-forward).
 */
import { createSecureServer, type Http2ServerRequest, type Http2Session } from "node:http2";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Socket } from "node:net";
import type { TLSSocket } from "node:tls";
import { findResource } from "../api/resources.ts";
import type { KObject } from "../api/types.ts";
import { StatusError } from "../machinery/errors.ts";
import type { Store } from "../storage/types.ts";
import { bootstrap } from "./bootstrap.ts";
import type { KeyPair } from "../machinery/certs.ts";
import { aggregatedVersion, buildDiscovery, type Doc } from "./discovery.ts";
import { handleResource, type RequestContext } from "./handlers.ts";
import { decodeBody, negotiate, readBody, sendError, sendJson } from "./http.ts";
import { openapiDocument, openapiRoot } from "./openapi/index.ts";
import { firstServiceIp } from "./registry/allocator.ts";
import type { AdmissionSettings } from "./registry/admission.ts";
import { Registry } from "./registry/registry.ts";
import { parseRequestInfo } from "./request.ts";
import { bindPod } from "./subresources.ts";
import { WatchCache } from "./watchcache.ts";
import { log } from "../machinery/log.ts";
import { isKubeletSubresource, serveKubeletSubresource, serveKubeletUpgrade } from "./proxy/index.ts";
import { rejectUpgrade } from "../streaming/upgrade.ts";

/** The Kubernetes version this apiserver reports (kubectl picks its client version from it). */
export { kubeVersion };

export interface ApiServerOptions {
  store: Store;
  ca: KeyPair;
  serving: KeyPair;
  bindAddress: string;
  port: number;
  /** Address written into the `kubernetes` Endpoints. */
  advertiseAddress: string;
  serviceCidr: string;
  nodePortRange: string;
  /** Events the watch cache keeps per resource for resuming watches (default 5000). */
  watchCacheEventWindow?: number;
  /** Client certificate for talking to kubelets (logs, exec, attach, port-forward, nodes/proxy). */
  kubeletClient?: KeyPair;
  /** Deep-freeze cached objects so that code modifying a shared one throws (tests; see WatchCache). */
  freezeCachedObjects?: boolean;
  /** Built-in admission settings (default tolerations of new pods). */
  admission?: Partial<AdmissionSettings>;
}

export interface ApiServer {
  /** The port actually bound (useful with port 0). */
  port: number;
  registry: Registry;
  /** Stops accepting requests, ends watches, waits for in-flight writes. */
  close(): Promise<void>;
}

import { TokenAuthenticator, type UserInfo } from "./authn/index.ts";
import { objectKey } from "./registry/objects.ts";
import { kubeVersion } from "../api/version.ts";

/** An authenticated caller. */
export type { UserInfo } from "./authn/index.ts";

/** Flow-control windows for what clients send: a request body streams without waiting on window updates. */
const streamWindowBytes = 1 << 20;
const sessionWindowBytes = 16 << 20;

/** node:http's timeouts, which allowHTTP1 applies to HTTP/1.1 connections (node's types omit them). */
const http1Timeouts = { keepAliveTimeout: 120_000, requestTimeout: 0, headersTimeout: 60_000 };

const publicPaths = new Set(["/version", "/healthz", "/livez", "/readyz"]);

/** Users by connection (HTTP/2 session or HTTP/1.1 socket): a client certificate is verified once per TLS connection. */
const connectionUsers = new WeakMap<object, UserInfo | null>();

function authenticate(req: IncomingMessage): UserInfo | undefined {
  const conn: object = (req as unknown as Http2ServerRequest).stream?.session ?? req.socket;
  let user = connectionUsers.get(conn);
  if (user === undefined) {
    // Over HTTP/2, req.socket stands in for the session's TLS socket.
    user = certificateUser(req.socket as TLSSocket) ?? null;
    connectionUsers.set(conn, user);
  }
  return user ?? undefined;
}

function certificateUser(sock: TLSSocket): UserInfo | undefined {
  if (!sock.authorized) return undefined;
  const cert = sock.getPeerCertificate();
  const cn = cert?.subject?.CN;
  if (!cn) return undefined;
  const o = cert.subject.O as string | string[] | undefined;
  const groups = o === undefined ? [] : Array.isArray(o) ? o : [o];
  return { name: Array.isArray(cn) ? cn[0] : cn, groups: [...groups, "system:authenticated"] };
}

function sendDoc(req: IncomingMessage, res: ServerResponse, d: Doc, contentType = "application/json"): void {
  if (req.headers["if-none-match"] === d.etag) {
    res.writeHead(304, { ETag: d.etag });
    res.end();
    return;
  }
  res.writeHead(200, { "Content-Type": contentType, ETag: d.etag, "Content-Length": Buffer.byteLength(d.json), Vary: "Accept" });
  res.end(d.json);
}

function sendText(res: ServerResponse, code: number, text: string): void {
  res.writeHead(code, { "Content-Type": "text/plain; charset=utf-8", "X-Content-Type-Options": "nosniff" });
  res.end(text);
}

/** Starts the apiserver on its datastore; resolves once it listens and is ready. */
export async function startApiServer(o: ApiServerOptions): Promise<ApiServer> {
  const cache = new WatchCache(o.store, { eventWindow: o.watchCacheEventWindow, freeze: o.freezeCachedObjects });
  await cache.start();
  const registry = new Registry({ store: o.store, cache, serviceCidr: o.serviceCidr, nodePortRange: o.nodePortRange, admission: o.admission });
  registry.restoreAllocations();
  const secrets = findResource("", "v1", "secrets")!;
  const tokens = new TokenAuthenticator({ getSecret: (ns, name) => registry.cache.get(objectKey(secrets, ns, name))?.obj });
  const discovery = buildDiscovery(`${o.advertiseAddress}:${o.port}`);
  const stop = new AbortController();
  let ready = false;
  let inFlight = 0;
  let idle: (() => void) | undefined;

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? "/", "https://apiserver");
    const path = url.pathname.length > 1 ? url.pathname.replace(/\/+$/, "") : url.pathname;
    // k3s-style: the cluster CA, unauthenticated, so an agent can fetch it and check it against its join token.
    if (path === "/cacerts" && req.method === "GET") return sendText(res, 200, o.ca.cert);
    const certUser = authenticate(req);
    const tokenUser = certUser ? undefined : tokens.authenticate(req);
    if (tokenUser === "rejected") throw new StatusError("Unauthorized", "Unauthorized");
    const user = certUser ?? tokenUser;
    if (!user && !publicPaths.has(path)) {
      throw new StatusError("Unauthorized", "Unauthorized");
    }
    if (path === "/version") return sendJson(res, 200, { ...kubeVersion, gitCommit: "", gitTreeState: "clean", buildDate: "2026-11-23T00:00:00Z", goVersion: `node${process.versions.node}`, compiler: "tskube", platform: `${process.platform}/${process.arch === "x64" ? "amd64" : process.arch}` });
    if (path === "/healthz" || path === "/livez") return sendText(res, 200, "ok");
    if (path === "/readyz") return ready ? sendText(res, 200, "ok") : sendText(res, 503, "[-]tskube-ready failed: not ready\nreadyz check failed\n");
    if (path === "/api" || path === "/apis") {
      const agg = aggregatedVersion(req.headers.accept);
      if (agg) {
        return sendDoc(req, res, discovery.get(`agg:${path}:${agg}`)!, `application/json;g=apidiscovery.k8s.io;v=${agg};as=APIGroupDiscoveryList`);
      }
      return sendDoc(req, res, discovery.get(path)!);
    }
    if (path === "/openapi/v3") return sendJson(res, 200, openapiRoot());
    if (path.startsWith("/openapi/v3/")) {
      const d = openapiDocument(path.slice("/openapi/v3/".length));
      if (!d) throw new StatusError("NotFound", "the server could not find the requested resource");
      res.setHeader("Cache-Control", url.searchParams.has("hash") ? "public, immutable" : "no-cache, private");
      return sendDoc(req, res, { json: d.json, etag: `"${d.etag}"` });
    }
    const doc = discovery.get(path);
    if (doc) return sendDoc(req, res, doc);
    const info = parseRequestInfo(req.method ?? "GET", path, url.searchParams.get("watch"));
    if (!info.isResourceRequest) throw new StatusError("NotFound", "the server could not find the requested resource");
    const resource = findResource(info.group, info.version, info.resource);
    if (!resource) throw new StatusError("NotFound", "the server could not find the requested resource");
    const warnings: string[] = [];
    const rep = negotiate(req.headers.accept, url.searchParams.get("pretty") === "true");
    const ctx: RequestContext = { reg: registry, info, resource, query: url.searchParams, req, res, rep, warnings, stopSignal: stop.signal, user };
    const origWriteHead = res.writeHead.bind(res);
    res.writeHead = ((...args: Parameters<ServerResponse["writeHead"]>) => {
      if (warnings.length && !res.headersSent) res.setHeader("Warning", [...new Set(warnings)].map((w) => `299 - ${JSON.stringify(w)}`));
      return origWriteHead(...args);
    }) as ServerResponse["writeHead"];
    if (resource.kind === "Binding") {
      if (info.verb !== "create") throw new StatusError("MethodNotAllowed", "the server does not allow this method on the requested resource");
      const b = decodeBody(await readBody(req), req.headers["content-type"]) as KObject;
      return bindPod(ctx, b?.metadata?.name ?? "", b);
    }
    if (info.subresource && isKubeletSubresource(info)) return serveKubeletSubresource(registry, info, url.searchParams, req, res, o.kubeletClient);
    await handleResource(ctx);
  };

  // The HTTP/2 compatibility request and response mirror node:http's; the
  // handlers use them through that shape, and look at httpVersionMajor where
  // the protocols differ (watch framing).
  const server = createSecureServer(
    {
      key: o.serving.key,
      cert: o.serving.cert,
      ca: o.ca.cert,
      requestCert: true,
      rejectUnauthorized: false,
      allowHTTP1: true,
      // Upstream's default stream limit per connection; one client's informers share a connection.
      settings: { maxConcurrentStreams: 250, initialWindowSize: streamWindowBytes },
      // Outbound data buffered per session (MB) before new streams are refused; watches may hold much.
      maxSessionMemory: 64,
      ...http1Timeouts,
    },
    (h2req, h2res) => {
      const req = h2req as unknown as IncomingMessage;
      const res = h2res as unknown as ServerResponse;
      const start = Date.now();
      inFlight++;
      handle(req, res)
        .catch((err) => {
          if (!(err instanceof StatusError)) log.error("request failed", { method: req.method, url: req.url, error: String((err as Error)?.stack ?? err) });
          sendError(res, err);
        })
        .finally(() => {
          inFlight--;
          if (inFlight === 0 && idle) idle();
          if (Date.now() - start > 1000 && !(req.url ?? "").includes("watch")) log.info("slow request", { method: req.method, url: req.url, ms: Date.now() - start });
        });
    },
  );
  const sessions = new Set<Http2Session>();
  const sockets = new Set<Socket>();
  server.on("session", (s: Http2Session) => {
    sessions.add(s);
    s.on("close", () => sessions.delete(s));
    s.setLocalWindowSize(sessionWindowBytes);
  });
  // A broken session or stream ends that connection or request, never the server.
  server.on("sessionError", () => {});
  server.on("secureConnection", (sock: Socket) => {
    sockets.add(sock);
    sock.on("close", () => sockets.delete(sock));
  });
  server.on("clientError", (_err, socket) => socket.destroy());
  // Upgraded requests (exec, attach, port-forward): same authentication as normal requests.
  server.on("upgrade", (req: IncomingMessage, socket: import("node:stream").Duplex, head: Buffer) => {
    socket.on("error", () => socket.destroy());
    const url = new URL(req.url ?? "/", "https://apiserver");
    const certUser = authenticate(req);
    const tokenUser = certUser ? undefined : tokens.authenticate(req);
    if (!certUser && (!tokenUser || tokenUser === "rejected")) {
      return rejectUpgrade(socket, new StatusError("Unauthorized", "Unauthorized").toStatus());
    }
    const info = parseRequestInfo(req.method ?? "GET", url.pathname.replace(/\/+$/, ""), null);
    void serveKubeletUpgrade(registry, info, url.searchParams, req, socket, head, o.kubeletClient);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(o.port, o.bindAddress, () => resolve());
  });
  const addr = server.address();
  const port = typeof addr === "object" && addr ? addr.port : o.port;
  await bootstrap(registry, { firstServiceIp: firstServiceIp(o.serviceCidr), advertiseAddress: o.advertiseAddress, port });
  ready = true;

  return {
    port,
    registry,
    async close() {
      ready = false;
      stop.abort();
      server.close();
      for (const s of sessions) s.close();
      if (inFlight > 0) {
        await Promise.race([new Promise<void>((r) => (idle = r)), new Promise((r) => setTimeout(r, 10_000))]);
      }
      for (const s of sessions) s.destroy();
      for (const sock of sockets) sock.destroy();
      cache.stop();
    },
  };
}
