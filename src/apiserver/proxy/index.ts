/**
 * The apiserver's paths through the kubelet: pods/log (a streamed GET),
 * pods/exec, pods/attach, pods/portforward (upgraded connections relayed in
 * both directions once the kubelet answers 101; a refusal is passed back so
 * kubectl can fall back to SPDY) and nodes/proxy. The kubelet is reached at
 * the node's InternalIP (else Hostname) and daemonEndpoints.kubeletEndpoint
 * port with the apiserver's kubelet-client certificate; the kubelet's
 * serving certificate is not verified (upstream's default).
 */
import { request as httpsRequest } from "node:https";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import { findResource } from "../../api/resources.ts";
import type { KObject } from "../../api/types.ts";
import type { KeyPair } from "../../machinery/certs.ts";
import { badRequest, StatusError } from "../../machinery/errors.ts";
import { dialUpgrade, rejectUpgrade, splice, writeRawResponse } from "../../streaming/upgrade.ts";
import { getObject } from "../registry/read.ts";
import type { Registry } from "../registry/registry.ts";
import type { RequestInfo } from "../request.ts";

const pods = findResource("", "v1", "pods")!;
const nodes = findResource("", "v1", "nodes")!;

/** Subresources served through the kubelet. */
export function isKubeletSubresource(info: RequestInfo): boolean {
  if (info.resource === "pods" && info.group === "") return ["log", "exec", "attach", "portforward"].includes(info.subresource);
  if (info.resource === "nodes" && info.group === "") return info.subresource === "proxy";
  return false;
}

/** `https://host:port` of a node's kubelet. */
export async function kubeletBase(reg: Registry, nodeName: string): Promise<string> {
  const node = await getObject(reg, nodes, "", nodeName);
  const addrs: { type: string; address: string }[] = node.status?.addresses ?? [];
  const addr = addrs.find((a) => a.type === "InternalIP")?.address ?? addrs.find((a) => a.type === "Hostname")?.address;
  if (!addr) throw new StatusError("ServiceUnavailable", `no preferred addresses found; known addresses: []`);
  const port = node.status?.daemonEndpoints?.kubeletEndpoint?.Port ?? 10250;
  return `https://${addr.includes(":") ? `[${addr}]` : addr}:${port}`;
}

async function podOnNode(reg: Registry, ns: string, name: string): Promise<KObject> {
  const pod = await getObject(reg, pods, ns, name);
  if (!pod.spec?.nodeName) throw badRequest(`pod ${name} does not have a host assigned`);
  return pod;
}

const names = (list: { name: string }[] | undefined) => (list ?? []).map((c) => c.name);

/** The container a request addresses: the named one (validated) or the only one. */
export function resolveContainer(pod: KObject, requested: string | null): string {
  const containers = names(pod.spec?.containers);
  const inits = names(pod.spec?.initContainers);
  const ephemeral = names(pod.spec?.ephemeralContainers);
  const name = pod.metadata.name;
  if (!requested) {
    if (containers.length === 1) return containers[0];
    let msg = `a container name must be specified for pod ${name}, choose one of: [${containers.join(" ")}]`;
    if (inits.length) msg += ` or one of the init containers: [${inits.join(" ")}]`;
    if (ephemeral.length) msg += ` or one of the ephemeral containers: [${ephemeral.join(" ")}]`;
    throw badRequest(msg);
  }
  if (![...containers, ...inits, ...ephemeral].includes(requested)) throw badRequest(`container ${requested} is not valid for pod ${name}`);
  return requested;
}

function validateLogQuery(q: URLSearchParams): URLSearchParams {
  const out = new URLSearchParams();
  const int = (k: string, min: number) => {
    const v = q.get(k);
    if (v === null || v === "") return;
    if (!/^-?\d+$/.test(v)) throw badRequest(`invalid value for ${k}: ${JSON.stringify(v)}`);
    if (Number(v) < min) throw new StatusError("Invalid", `PodLogOptions "" is invalid: ${k}: Invalid value: ${v}: must be greater than ${min === 0 ? "or equal to 0" : "0"}`);
    out.set(k, v);
  };
  int("tailLines", 0);
  int("limitBytes", 1);
  int("sinceSeconds", 1);
  const sinceTime = q.get("sinceTime");
  if (sinceTime) {
    if (out.has("sinceSeconds")) throw badRequest("at most one of `sinceTime` or `sinceSeconds` may be specified");
    out.set("sinceTime", sinceTime);
  }
  for (const b of ["follow", "previous", "timestamps"]) {
    const v = q.get(b);
    if (v !== null && v !== "false" && v !== "0") out.set(b, "true");
  }
  return out;
}

function kubeletTls(cert: KeyPair | undefined): { cert: string; key: string; rejectUnauthorized: false } {
  if (!cert) throw new StatusError("ServiceUnavailable", "the apiserver has no kubelet client certificate configured");
  return { cert: cert.cert, key: cert.key, rejectUnauthorized: false };
}

/** Streams a kubelet GET/any-method response to the client (logs, nodes/proxy). */
function proxyHttp(req: IncomingMessage, res: ServerResponse, url: string, client: KeyPair | undefined, opts: { plainText?: boolean; method?: string }): Promise<void> {
  const tls = kubeletTls(client);
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const out = httpsRequest(
      { method: opts.method ?? "GET", host: u.hostname.replace(/^\[|\]$/g, ""), port: u.port, path: u.pathname + u.search, agent: false, ...tls, headers: { Accept: req.headers.accept ?? "*/*" } },
      (kres) => {
        const code = kres.statusCode ?? 502;
        if (code >= 300 && opts.plainText) {
          // Turn the kubelet's refusal into a Status (it sends one, or plain text).
          let body = "";
          kres.setEncoding("utf8");
          kres.on("data", (c) => body.length < 65536 && (body += c));
          kres.on("end", () => {
            let message = body.trim();
            try {
              const s = JSON.parse(body);
              if (s?.kind === "Status") message = s.message;
            } catch {}
            reject(new StatusError(code === 404 ? "NotFound" : code === 400 ? "BadRequest" : code === 403 ? "Forbidden" : "InternalError", message, undefined, code));
          });
          return;
        }
        const headers: Record<string, string> = {};
        for (const h of ["content-type", "content-length", "cache-control"]) if (kres.headers[h]) headers[h] = String(kres.headers[h]);
        if (opts.plainText) {
          headers["content-type"] = "text/plain";
          delete headers["content-length"];
        }
        res.writeHead(code, headers);
        res.flushHeaders();
        kres.pipe(res);
        kres.on("end", () => resolve());
        kres.on("error", () => resolve());
        res.on("close", () => {
          kres.destroy();
          resolve();
        });
      },
    );
    out.on("error", (err) => reject(new StatusError("InternalError", `error trying to reach service: ${err.message}`, undefined, 502)));
    res.on("close", () => out.destroy());
    if (opts.method && opts.method !== "GET" && opts.method !== "HEAD") req.pipe(out);
    else out.end();
  });
}

/**
 * Serves a non-upgrade request for a kubelet subresource: pods/log streams,
 * nodes/proxy proxies; exec/attach/portforward need an upgrade.
 */
export async function serveKubeletSubresource(reg: Registry, info: RequestInfo, query: URLSearchParams, req: IncomingMessage, res: ServerResponse, client: KeyPair | undefined): Promise<void> {
  if (info.resource === "nodes") {
    const base = await kubeletBase(reg, info.name);
    const path = "/" + info.rest.map(encodeURIComponent).join("/");
    const qs = query.toString();
    return proxyHttp(req, res, `${base}${path}${qs ? `?${qs}` : ""}`, client, { method: req.method });
  }
  const pod = await podOnNode(reg, info.namespace, info.name);
  if (info.subresource !== "log") throw badRequest("Upgrade request required");
  if (req.method !== "GET") throw new StatusError("MethodNotAllowed", "the server does not allow this method on the requested resource");
  const container = resolveContainer(pod, query.get("container"));
  const q = validateLogQuery(query);
  const base = await kubeletBase(reg, pod.spec.nodeName);
  const path = `/containerLogs/${encodeURIComponent(info.namespace)}/${encodeURIComponent(info.name)}/${encodeURIComponent(container)}`;
  const qs = q.toString();
  return proxyHttp(req, res, `${base}${path}${qs ? `?${qs}` : ""}`, client, { plainText: true });
}

const passHeaders = ["connection", "upgrade", "sec-websocket-key", "sec-websocket-version", "sec-websocket-protocol", "sec-websocket-extensions", "x-stream-protocol-version"];

/** The kubelet path and query of an exec/attach/portforward request. */
function upgradeTarget(info: RequestInfo, query: URLSearchParams, pod: KObject): string {
  const ns = encodeURIComponent(info.namespace);
  const name = encodeURIComponent(info.name);
  const out = new URLSearchParams();
  if (info.subresource === "portforward") {
    for (const p of query.getAll("ports")) for (const x of p.split(",")) if (x) out.append("port", x);
    for (const p of query.getAll("port")) out.append("port", p);
    const qs = out.toString();
    return `/portForward/${ns}/${name}${qs ? `?${qs}` : ""}`;
  }
  const container = resolveContainer(pod, query.get("container"));
  const on = (k: string) => ["1", "true"].includes((query.get(k) ?? "").toLowerCase());
  if (info.subresource === "exec") {
    const cmd = query.getAll("command");
    if (cmd.length === 0) throw badRequest("you must specify at least one command for the container");
    for (const c of cmd) out.append("command", c);
  }
  if (on("stdin")) out.set("input", "1");
  if (on("stdout")) out.set("output", "1");
  if (on("stderr")) out.set("error", "1");
  if (on("tty")) out.set("tty", "1");
  if (!on("stdin") && !on("stdout") && !on("stderr")) throw badRequest("you must specify at least 1 of stdin, stdout, stderr");
  const verb = info.subresource === "exec" ? "exec" : "attach";
  return `/${verb}/${ns}/${name}/${encodeURIComponent(container)}?${out.toString()}`;
}

/**
 * Serves an upgrade request (exec, attach, portforward) by replaying it to
 * the kubelet and splicing the connections after its 101; any other answer
 * is passed back to the client. Errors before that are written as Status.
 */
export async function serveKubeletUpgrade(reg: Registry, info: RequestInfo, query: URLSearchParams, req: IncomingMessage, socket: Duplex, head: Buffer, client: KeyPair | undefined): Promise<void> {
  try {
    if (!isKubeletSubresource(info) || info.resource !== "pods" || info.subresource === "log") {
      throw new StatusError("BadRequest", "upgrade is only supported for pods/exec, pods/attach and pods/portforward");
    }
    const pod = await podOnNode(reg, info.namespace, info.name);
    const target = upgradeTarget(info, query, pod);
    const base = await kubeletBase(reg, pod.spec.nodeName);
    const headers: Record<string, string | string[]> = {};
    for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
      const k = req.rawHeaders[i].toLowerCase();
      if (!passHeaders.includes(k)) continue;
      const prev = headers[req.rawHeaders[i]];
      headers[req.rawHeaders[i]] = prev === undefined ? req.rawHeaders[i + 1] : [...(Array.isArray(prev) ? prev : [prev]), req.rawHeaders[i + 1]];
    }
    let r;
    try {
      r = await dialUpgrade(`${base}${target}`, { method: req.method ?? "POST", headers, tls: kubeletTls(client) });
    } catch (err) {
      throw new StatusError("InternalError", `error dialing backend: ${(err as Error).message}`);
    }
    if (!r.upgraded) {
      writeRawResponse(socket, r.statusCode, [["Content-Type", String(r.headers["content-type"] ?? "text/plain")], ["Connection", "close"]], r.body);
      socket.end();
      return;
    }
    const out: [string, string][] = [];
    for (let i = 0; i + 1 < r.rawHeaders.length; i += 2) out.push([r.rawHeaders[i], r.rawHeaders[i + 1]]);
    writeRawResponse(socket, 101, out);
    if (r.head.length) socket.write(r.head);
    if (head.length) r.socket.write(head);
    await splice(socket, r.socket);
  } catch (err) {
    const se = err instanceof StatusError ? err : new StatusError("InternalError", String((err as Error)?.message ?? err));
    rejectUpgrade(socket, se.toStatus());
  }
}
