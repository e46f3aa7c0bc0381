/**
 * Probe handlers as upstream's prober runs them: exec (via CRI ExecSync),
 * httpGet (HTTP/HTTPS without verification, 2xx/3xx = success), tcpSocket
 * (connect) and grpc (grpc.health.v1.Health/Check, SERVING = success).
 * Each returns a result plus the output/message shown in Unhealthy events.
 */
import { http } from "../../machinery/nodehttp.ts";
import * as https from "node:https";
import * as net from "node:net";
import { createChannel, Status, statusNames } from "../grpc/unary.ts";
import type { ContainerSpec, ExecInContainer, ProbeResult } from "../types.ts";

export interface HandlerOutcome {
  result: ProbeResult;
  output: string;
}

/** Resolves an IntOrString port: a number, or a named port of the container. */
export function resolvePort(port: number | string, container: ContainerSpec): number {
  if (typeof port === "number") return port;
  if (/^\d+$/.test(port)) return Number(port);
  const p = (container.ports ?? []).find((x: any) => x.name === port);
  if (!p) throw new Error(`couldn't find port: ${port} in ${JSON.stringify(container.ports ?? [])}`);
  return p.containerPort;
}

function hostPort(host: string, port: number): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}

export async function runExec(exec: ExecInContainer, containerId: string, command: string[], timeoutSeconds: number): Promise<HandlerOutcome> {
  try {
    const r = await exec(containerId, command, timeoutSeconds);
    const output = r.stdout + r.stderr;
    return { result: r.exitCode === 0 ? "success" : "failure", output };
  } catch (err) {
    const msg = (err as any).details ?? (err as Error).message;
    if (/timed out|deadline/i.test(msg)) return { result: "failure", output: `command ${JSON.stringify(command.join(" "))} timed out` };
    return { result: "unknown", output: msg };
  }
}

export function runHttpGet(action: any, container: ContainerSpec, podIP: string, timeoutSeconds: number, userAgent = "kube-probe/1.31"): Promise<HandlerOutcome> {
  let port: number;
  try {
    port = resolvePort(action.port, container);
  } catch (err) {
    return Promise.resolve({ result: "unknown", output: (err as Error).message });
  }
  const scheme = (action.scheme ?? "HTTP").toLowerCase() === "https" ? "https" : "http";
  const host: string = action.host || podIP;
  let path: string = action.path ?? "/";
  if (!path.startsWith("/")) path = "/" + path;
  const url = `${scheme}://${hostPort(host, port)}${path}`;
  const headers: Record<string, string> = { "User-Agent": userAgent, Accept: "*/*" };
  for (const h of action.httpHeaders ?? []) headers[h.name] = h.value;
  const mod = scheme === "https" ? https : http;
  return new Promise((resolve) => {
    let done = false;
    const finish = (o: HandlerOutcome) => {
      if (!done) {
        done = true;
        resolve(o);
      }
    };
    const req = mod.get(url, { headers, rejectUnauthorized: false, timeout: timeoutSeconds * 1000 } as any, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => {
        if (body.length < 10240) body += c;
      });
      res.on("end", () => {
        const code = res.statusCode ?? 0;
        if (code >= 200 && code < 400) finish({ result: "success", output: body });
        else finish({ result: "failure", output: `HTTP probe failed with statuscode: ${code}` });
      });
      res.on("error", (e) => finish({ result: "failure", output: `Get "${url}": ${e.message}` }));
    });
    req.on("timeout", () => {
      req.destroy();
      finish({ result: "failure", output: `Get "${url}": context deadline exceeded (Client.Timeout exceeded while awaiting headers)` });
    });
    req.on("error", (e: any) => finish({ result: "failure", output: `Get "${url}": ${describeNetError(e, host, port)}` }));
  });
}

function describeNetError(e: any, host: string, port: number): string {
  if (e.code === "ECONNREFUSED") return `dial tcp ${hostPort(host, port)}: connect: connection refused`;
  return e.message;
}

export function runTcp(action: any, container: ContainerSpec, podIP: string, timeoutSeconds: number): Promise<HandlerOutcome> {
  let port: number;
  try {
    port = resolvePort(action.port, container);
  } catch (err) {
    return Promise.resolve({ result: "unknown", output: (err as Error).message });
  }
  const host: string = action.host || podIP;
  return new Promise((resolve) => {
    const sock = net.connect({ host, port });
    const timer = setTimeout(() => {
      sock.destroy();
      resolve({ result: "failure", output: `dial tcp ${hostPort(host, port)}: i/o timeout` });
    }, timeoutSeconds * 1000);
    sock.once("connect", () => {
      clearTimeout(timer);
      sock.destroy();
      resolve({ result: "success", output: "" });
    });
    sock.once("error", (e) => {
      clearTimeout(timer);
      resolve({ result: "failure", output: describeNetError(e, host, port) });
    });
  });
}

const servingStatus = ["UNKNOWN", "SERVING", "NOT_SERVING", "SERVICE_UNKNOWN"];

/** HealthCheckRequest { string service = 1 } */
function encodeRequest(service: string): Buffer {
  const s = Buffer.from(service, "utf8");
  if (s.length === 0) return Buffer.alloc(0);
  const len: number[] = [];
  let n = s.length;
  while (n > 0x7f) {
    len.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  len.push(n);
  return Buffer.concat([Buffer.from([0x0a, ...len]), s]);
}

/** HealthCheckResponse { ServingStatus status = 1 } (varint field 1, other fields skipped). */
function decodeResponse(buf: Buffer): number {
  let i = 0;
  let status = 0;
  const varint = () => {
    let v = 0;
    let shift = 0;
    while (i < buf.length) {
      const b = buf[i++];
      v |= (b & 0x7f) << shift;
      if ((b & 0x80) === 0) break;
      shift += 7;
    }
    return v;
  };
  while (i < buf.length) {
    const tag = varint();
    const wire = tag & 7;
    if (tag >> 3 === 1 && wire === 0) status = varint();
    else if (wire === 0) varint();
    else if (wire === 2) i += varint();
    else if (wire === 5) i += 4;
    else if (wire === 1) i += 8;
    else break;
  }
  return status;
}

export async function runGrpc(action: any, podIP: string, timeoutSeconds: number): Promise<HandlerOutcome> {
  const port: number = action.port;
  const target = hostPort(podIP, port);
  const channel = createChannel({ connect: () => net.connect({ host: podIP, port }), authority: target });
  let status: number;
  try {
    status = decodeResponse(await channel.call("/grpc.health.v1.Health/Check", encodeRequest(action.service ?? ""), timeoutSeconds * 1000));
  } catch (err) {
    const { code, details } = err as { code: number; details: string };
    if (code === Status.DEADLINE_EXCEEDED || code === Status.UNAVAILABLE) {
      return { result: "failure", output: `timeout: failed to connect service "${target}" within ${timeoutSeconds}s: ${details}` };
    }
    return { result: "failure", output: `rpc error: code = ${statusNames[code] ?? code} desc = ${details}` };
  } finally {
    channel.close();
  }
  const name = servingStatus[status] ?? String(status);
  if (status === 1) return { result: "success", output: "" };
  return { result: "failure", output: `service unhealthy (responded with "${name}")` };
}
