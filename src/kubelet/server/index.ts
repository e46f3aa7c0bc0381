/**
 * The kubelet HTTP API: HTTPS on the kubelet port (10250) with client
 * certificates required, serving /healthz, /pods, /containerLogs, /exec,
 * /attach, /portForward, /run, /stats/summary, /metrics/resource and
 * /metrics as upstream's kubelet server does, plus plain-HTTP /healthz on
 * 127.0.0.1 (10248).
 *
 * Only the apiserver's kubelet-client identity (CN kube-apiserver-kubelet-client)
 * and members of system:masters are authorised; everything else gets 403,
 * and callers without a valid client certificate 401.
 */
import type { IncomingMessage, Server as HttpServer, ServerResponse } from "node:http";
import { http } from "../../machinery/nodehttp.ts";
import { createServer, type Server } from "node:https";
import type { Duplex } from "node:stream";
import type { TLSSocket } from "node:tls";
import { selfSignedServingIsolated } from "../../machinery/certs.ts";
import { badRequest, StatusError } from "../../machinery/errors.ts";
import { rejectUpgrade } from "../../streaming/upgrade.ts";
import type { KubeletView } from "../types.ts";
import { parseTimestamp, streamLogs, type LogOptions } from "./logs.ts";

export interface KubeletServerOptions {
  bindAddress: string;
  /** HTTPS port (10250); 0 picks a free one. */
  port: number;
  /** Plain HTTP healthz port on 127.0.0.1 (10248); 0 picks a free one, -1 disables. */
  healthzPort: number;
  /** CA bundle that client certificates must chain to (the cluster CA). */
  clientCAPem: string;
  /** Serving certificate; a self-signed one for the node name is generated when absent. */
  serving?: { cert: string; key: string };
}

export interface KubeletServer {
  port: number;
  healthzPort: number;
  /** Stops listening and drops open connections (streams end). */
  close(): Promise<void>;
}

/** The user name the apiserver presents to kubelets. */
export const KUBELET_CLIENT_USER = "kube-apiserver-kubelet-client";

interface Caller {
  name: string;
  groups: string[];
}

function callerOf(req: IncomingMessage): Caller | undefined {
  const sock = req.socket as TLSSocket;
  if (!sock.authorized) return undefined;
  const cert = sock.getPeerCertificate();
  const cn = cert?.subject?.CN;
  if (!cn) return undefined;
  const o = cert.subject.O as string | string[] | undefined;
  return { name: Array.isArray(cn) ? cn[0] : cn, groups: o === undefined ? [] : Array.isArray(o) ? o : [o] };
}

/** Upstream-style resource attributes of a kubelet path, for the Forbidden message. */
function subresourceOf(path: string): string {
  const first = path.split("/")[1] ?? "";
  if (first === "stats") return "stats";
  if (first === "metrics") return "metrics";
  if (first === "healthz") return "healthz";
  if (first === "logs") return "log";
  return "proxy";
}

function check(req: IncomingMessage, path: string): void {
  const who = callerOf(req);
  if (!who) throw new StatusError("Unauthorized", "Unauthorized");
  if (who.name === KUBELET_CLIENT_USER || who.groups.includes("system:masters")) return;
  const verb = (req.method ?? "GET") === "GET" ? "get" : "create";
  throw new StatusError("Forbidden", `Forbidden (user=${who.name}, verb=${verb}, resource=nodes, subresource(s)=[${subresourceOf(path)}])`);
}

function sendStatus(res: ServerResponse, err: unknown): void {
  const se = err instanceof StatusError ? err : new StatusError("InternalError", String((err as Error)?.message ?? err));
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = JSON.stringify(se.toStatus());
  res.writeHead(se.code, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(body) });
  res.end(body);
}

function sendJson(res: ServerResponse, obj: unknown): void {
  const body = JSON.stringify(obj);
  res.writeHead(200, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(body) });
  res.end(body);
}

function sendText(res: ServerResponse, text: string, type = "text/plain; charset=utf-8"): void {
  res.writeHead(200, { "Content-Type": type, "Content-Length": Buffer.byteLength(text) });
  res.end(text);
}

/** Splits `/verb/ns/pod[/uid]/container` style paths. */
function segments(path: string): string[] {
  return path.split("/").filter(Boolean).map(decodeURIComponent);
}

/** ns, pod, container of a container path (the optional uid segment is skipped). */
function containerTarget(path: string): { ns: string; pod: string; container: string } {
  const s = segments(path).slice(1);
  if (s.length === 3) return { ns: s[0], pod: s[1], container: s[2] };
  if (s.length === 4) return { ns: s[0], pod: s[1], container: s[3] };
  throw new StatusError("NotFound", "the server could not find the requested resource");
}

function intParam(q: URLSearchParams, name: string, min: number): number | undefined {
  const v = q.get(name);
  if (v === null || v === "") return undefined;
  if (!/^-?\d+$/.test(v)) throw badRequest(`invalid value for ${name}: ${JSON.stringify(v)}`);
  const n = Number(v);
  if (n < min) throw badRequest(`${name}: Invalid value: ${n}: must be greater than ${min === 0 ? "or equal to 0" : min - 1}`);
  return n;
}

function boolParam(q: URLSearchParams, name: string): boolean {
  const v = q.get(name);
  return v !== null && v !== "false" && v !== "0";
}

/** Parses the containerLogs query (upstream PodLogOptions). */
export function logOptions(q: URLSearchParams, now = Date.now()): LogOptions & { previous: boolean } {
  const sinceSeconds = intParam(q, "sinceSeconds", 1);
  const sinceTime = q.get("sinceTime");
  if (sinceSeconds !== undefined && sinceTime) throw badRequest("at most one of `sinceTime` or `sinceSeconds` may be specified");
  let sinceMs: number | undefined;
  if (sinceSeconds !== undefined) sinceMs = now - sinceSeconds * 1000;
  if (sinceTime) {
    sinceMs = parseTimestamp(sinceTime);
    if (Number.isNaN(sinceMs)) throw badRequest(`invalid value for sinceTime: ${JSON.stringify(sinceTime)}`);
  }
  return {
    follow: boolParam(q, "follow"),
    previous: boolParam(q, "previous"),
    timestamps: boolParam(q, "timestamps"),
    tailLines: intParam(q, "tailLines", 0),
    limitBytes: intParam(q, "limitBytes", 1),
    sinceMs,
  };
}

async function serveLogs(view: KubeletView, req: IncomingMessage, res: ServerResponse, path: string, q: URLSearchParams): Promise<void> {
  const { ns, pod, container } = containerTarget(path);
  const opts = logOptions(q);
  const loc = await view.findContainer(ns, pod, container || undefined, opts.previous);
  const abort = new AbortController();
  res.on("close", () => abort.abort());
  req.on("close", () => {
    if (!res.writableFinished) abort.abort();
  });
  res.writeHead(200, { "Content-Type": "text/plain", "Cache-Control": "no-cache, private", "X-Content-Type-Options": "nosniff" });
  res.flushHeaders();
  // A created container is about to start: following waits for its output.
  const isRunning = async () => {
    const st = await view.cri.runtime.ContainerStatus({ container_id: loc.containerId }, 10_000);
    return st.status?.state === "CONTAINER_RUNNING" || st.status?.state === "CONTAINER_CREATED";
  };
  try {
    await streamLogs({ path: loc.logPath, isRunning }, { ...opts, follow: opts.follow && !opts.previous }, res, abort.signal);
  } finally {
    if (!res.destroyed) res.end();
  }
}

async function serveRun(view: KubeletView, req: IncomingMessage, res: ServerResponse, path: string, q: URLSearchParams): Promise<void> {
  if (req.method !== "POST") throw new StatusError("MethodNotAllowed", "the server does not allow this method on the requested resource");
  const { ns, pod, container } = containerTarget(path);
  const cmd = q.getAll("command").length ? q.getAll("command") : (q.get("cmd") ?? "").split(" ").filter(Boolean);
  if (cmd.length === 0) throw badRequest("missing command (query parameter cmd)");
  const loc = await view.findContainer(ns, pod, container);
  const out = await view.cri.runtime.ExecSync({ container_id: loc.containerId, cmd, timeout: "0" });
  const body = Buffer.concat([Buffer.from(out.stdout ?? []), Buffer.from(out.stderr ?? [])]);
  res.writeHead(200, { "Content-Type": "text/plain", "Content-Length": body.length });
  res.end(body);
}

function prometheusText(view: KubeletView): string {
  const pods = view.listPods();
  return [
    "# HELP kubelet_running_pods [ALPHA] Number of pods that have a running pod sandbox",
    "# TYPE kubelet_running_pods gauge",
    `kubelet_running_pods ${pods.filter((p) => p.status?.phase === "Running").length}`,
    "# HELP kubelet_node_name [ALPHA] The node's name. The count is always 1.",
    "# TYPE kubelet_node_name gauge",
    `kubelet_node_name{node="${view.nodeName}"} 1`,
    "",
  ].join("\n");
}

async function handle(view: KubeletView, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? "/", "https://kubelet");
  const path = url.pathname.replace(/\/+$/, "") || "/";
  check(req, path);
  const first = path.split("/")[1];
  switch (first) {
    case "healthz":
      return view.healthy() ? sendText(res, "ok") : (res.writeHead(500, { "Content-Type": "text/plain" }), void res.end("[-]syncloop failed: reason withheld\nhealthz check failed\n"));
    case "pods":
      return sendJson(res, { kind: "PodList", apiVersion: "v1", metadata: {}, items: view.listPods() });
    case "containerLogs":
      return serveLogs(view, req, res, path, url.searchParams);
    case "run":
      return serveRun(view, req, res, path, url.searchParams);
    case "exec":
    case "attach":
    case "portForward":
      throw badRequest("Upgrade request required");
    case "stats":
      if (path === "/stats/summary") return sendJson(res, await view.statsSummary());
      break;
    case "metrics":
      if (path === "/metrics/resource") return sendText(res, await view.resourceMetrics(), "text/plain; version=0.0.4; charset=utf-8");
      if (path === "/metrics") return sendText(res, prometheusText(view), "text/plain; version=0.0.4; charset=utf-8");
      break;
  }
  throw new StatusError("NotFound", "the server could not find the requested resource");
}

/**
 * The streaming endpoints (WebSocket and SPDY, ~250 KB of code with the `ws`
 * package) are loaded on the first upgrade request, not at start: most nodes
 * never serve one, and loaded code stays resident.
 */
const streaming = (): Promise<typeof import("./streaming.ts")> => import("./streaming.ts");

async function handleUpgrade(view: KubeletView, req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
  const { servePortForward, serveRemoteCommand, streamFlags } = await streaming();
  const url = new URL(req.url ?? "/", "https://kubelet");
  const path = url.pathname.replace(/\/+$/, "");
  check(req, path);
  const q = url.searchParams;
  const first = path.split("/")[1];
  if (first === "exec" || first === "attach") {
    const { ns, pod, container } = containerTarget(path);
    const flags = streamFlags(q);
    const loc = await view.findContainer(ns, pod, container);
    const reqBase = { container_id: loc.containerId, tty: flags.tty, stdin: flags.stdin, stdout: flags.stdout, stderr: flags.stderr };
    let resp;
    if (first === "exec") {
      const cmd = q.getAll("command");
      if (cmd.length === 0) throw badRequest("you must specify at least one command for the container");
      resp = await view.cri.runtime.Exec({ ...reqBase, cmd });
    } else {
      resp = await view.cri.runtime.Attach(reqBase);
    }
    return serveRemoteCommand(req, socket, head, resp.url, flags);
  }
  if (first === "portForward") {
    const s = segments(path).slice(1);
    if (s.length < 2 || s.length > 3) throw new StatusError("NotFound", "the server could not find the requested resource");
    const ports = q.getAll("port").map(Number).filter((p) => Number.isInteger(p) && p > 0 && p < 65536);
    const sandbox = await view.findSandbox(s[0], s[1]);
    const resp = await view.cri.runtime.PortForward({ pod_sandbox_id: sandbox, port: ports });
    return servePortForward(req, socket, head, resp.url, ports);
  }
  throw new StatusError("NotFound", "the server could not find the requested resource");
}

function listen(server: Server | HttpServer, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      const a = server.address();
      resolve(typeof a === "object" && a ? a.port : port);
    });
  });
}

/** Starts the kubelet's HTTPS API and its plain healthz endpoint. */
export async function startKubeletServer(view: KubeletView, opts: KubeletServerOptions): Promise<KubeletServer> {
  const serving = opts.serving ?? (await selfSignedServingIsolated(view.nodeName)).serving;
  const sockets = new Set<Duplex>();
  const server = createServer(
    { key: serving.key, cert: serving.cert, ca: opts.clientCAPem, requestCert: true, rejectUnauthorized: false, requestTimeout: 0, headersTimeout: 60_000, keepAliveTimeout: 60_000 },
    (req, res) => {
      handle(view, req, res).catch((err) => sendStatus(res, err));
    },
  );
  server.on("connection", (s: Duplex) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on("error", () => socket.destroy());
    handleUpgrade(view, req, socket, head).catch((err) => {
      const se = err instanceof StatusError ? err : new StatusError("InternalError", String((err as Error)?.message ?? err));
      rejectUpgrade(socket, se.toStatus());
    });
  });
  server.on("clientError", (_e, s) => s.destroy());
  const port = await listen(server, opts.port, opts.bindAddress);

  let healthz: HttpServer | undefined;
  let healthzPort = -1;
  if (opts.healthzPort >= 0) {
    healthz = http.createServer((req, res) => {
      const p = new URL(req.url ?? "/", "http://localhost").pathname;
      if (p === "/healthz") {
        const ok = view.healthy();
        res.writeHead(ok ? 200 : 500, { "Content-Type": "text/plain; charset=utf-8" });
        res.end(ok ? "ok" : "[-]syncloop failed: reason withheld\nhealthz check failed\n");
        return;
      }
      res.writeHead(404, { "Content-Type": "text/plain; charset=utf-8" });
      res.end("404 page not found\n");
    });
    healthzPort = await listen(healthz, opts.healthzPort, "127.0.0.1");
  }

  return {
    port,
    healthzPort,
    async close() {
      await new Promise<void>((r) => {
        server.close(() => r());
        for (const s of sockets) s.destroy();
        server.closeAllConnections();
      });
      if (healthz) await new Promise<void>((r) => healthz!.close(() => r()));
    },
  };
}
