/**
 * Test support for the kubelet server: a fake container runtime stream
 * server (SPDY remote command and port-forward, like containerd's), a fake
 * KubeletView, certificates, and WebSocket/SPDY clients. No tests here.
 */
import { createServer, type IncomingMessage, type Server } from "node:http";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect as netConnect } from "node:net";
import type { Duplex } from "node:stream";
import { ensurePki, issueCertificate, type ClusterPki, type KeyPair } from "../../machinery/certs.ts";
import { StatusError } from "../../machinery/errors.ts";
import { SpdySession, type SpdyStream } from "../../streaming/spdy/session.ts";
import { headerValues, writeRawResponse } from "../../streaming/upgrade.ts";
import type { ContainerLocation, KubeletView } from "../types.ts";

export interface FakeRuntime {
  url: string;
  server: Server;
  /** Requests seen by the CRI fake (Exec/Attach/PortForward). */
  calls: { method: string; req: any }[];
  close(): Promise<void>;
}

/**
 * A runtime stream server: /exec/* echoes stdin upper-cased to stdout,
 * writes "err:<cmd>" to stderr and, once stdin ends, reports exit code
 * from the command `exit N` (else success) on the error stream;
 * /portforward/* connects data streams to 127.0.0.1:<port>.
 */
export async function startFakeRuntime(): Promise<FakeRuntime> {
  const calls: { method: string; req: any }[] = [];
  const sockets = new Set<Duplex>();
  const server = createServer((_req, res) => {
    res.writeHead(400);
    res.end("upgrade required");
  });
  server.on("upgrade", (req: IncomingMessage, socket: Duplex) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    const versions = headerValues(req.rawHeaders, "x-stream-protocol-version");
    const isPf = (req.url ?? "").startsWith("/portforward/");
    const want = isPf ? "portforward.k8s.io" : "v4.channel.k8s.io";
    if (!versions.includes(want)) {
      writeRawResponse(socket, 403, [["Content-Type", "text/plain"]], `unable to upgrade: unable to negotiate protocol: client supports ${JSON.stringify(versions)}`);
      socket.end();
      return;
    }
    writeRawResponse(socket, 101, [["Connection", "Upgrade"], ["Upgrade", "SPDY/3.1"], ["X-Stream-Protocol-Version", want]]);
    const session = new SpdySession(socket, { isServer: true });
    const cmd = decodeURIComponent((req.url ?? "").split("/")[2] ?? "");
    if (isPf) {
      session.on("stream", (s: SpdyStream) => {
        s.reply({});
        if (s.headers.streamtype !== "data") return;
        const conn = netConnect(Number(s.headers.port), "127.0.0.1");
        conn.on("error", () => s.reset());
        s.pipe(conn).pipe(s);
      });
      return;
    }
    const streams: Record<string, SpdyStream> = {};
    session.on("stream", (s: SpdyStream) => {
      s.reply({});
      streams[s.headers.streamtype] = s;
      if (s.headers.streamtype === "resize") s.on("data", (d: Buffer) => streams.stdout?.write(`resize:${d.toString().trim()}\n`));
      if (s.headers.streamtype !== "stdin") return;
      s.on("data", (d: Buffer) => streams.stdout?.write(d.toString().toUpperCase()));
      s.on("end", () => {
        streams.stderr?.write(`err:${cmd}`);
        const m = /^exit (\d+)$/.exec(cmd);
        const status = m
          ? { metadata: {}, status: "Failure", message: `command terminated with non-zero exit code: exit status ${m[1]}`, reason: "NonZeroExitCode", details: { causes: [{ reason: "ExitCode", message: m[1] }] } }
          : { metadata: {}, status: "Success" };
        streams.stdout?.end();
        streams.stderr?.end();
        streams.error?.end(JSON.stringify(status));
        setTimeout(() => session.close(), 10);
      });
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    server,
    calls,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

export interface Certs {
  dir: string;
  pki: ClusterPki;
  kubeletClient: KeyPair;
  stranger: KeyPair;
  cleanup(): void;
}

export async function makeCerts(): Promise<Certs> {
  const dir = mkdtempSync(join(tmpdir(), "tskube-kubelet-server-"));
  const pki = await ensurePki(join(dir, "tls"), { ips: ["127.0.0.1"], dnsNames: ["localhost"] });
  const kubeletClient = await issueCertificate(pki.ca, { commonName: "kube-apiserver-kubelet-client", organizations: ["system:masters"], server: false });
  const stranger = await issueCertificate(pki.ca, { commonName: "bob", organizations: ["dev"], server: false });
  return { dir, pki, kubeletClient, stranger, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A KubeletView over one fake pod `default/web` with container `c` whose log file is `logPath`. */
export function fakeView(runtime: FakeRuntime, logPath: string, state: { running: boolean }): KubeletView {
  const loc: ContainerLocation = { podUid: "uid1", podSandboxId: "sb1", containerId: "ctr1", containerName: "c", logPath };
  return {
    nodeName: "node1",
    cri: {
      endpoint: "fake",
      close() {},
      image: {} as any,
      runtime: {
        Exec: async (req: any) => (runtime.calls.push({ method: "Exec", req }), { url: `${runtime.url}/exec/${encodeURIComponent(req.cmd.join(" "))}` }),
        Attach: async (req: any) => (runtime.calls.push({ method: "Attach", req }), { url: `${runtime.url}/attach/attach` }),
        PortForward: async (req: any) => (runtime.calls.push({ method: "PortForward", req }), { url: `${runtime.url}/portforward/tok` }),
        ContainerStatus: async () => ({ status: { state: state.running ? "CONTAINER_RUNNING" : "CONTAINER_EXITED" } }),
        ExecSync: async (req: any) => ({ stdout: Buffer.from(`ran ${req.cmd.join(" ")}\n`), stderr: Buffer.alloc(0), exit_code: 0 }),
      } as any,
    },
    listPods: () => [{ apiVersion: "v1", kind: "Pod", metadata: { name: "web", namespace: "default", uid: "uid1" }, spec: {}, status: { phase: "Running" } }],
    async findContainer(ns, pod, container) {
      if (ns !== "default" || pod !== "web") throw new StatusError("NotFound", `pods "${pod}" not found`);
      if (container && container !== "c") throw new StatusError("BadRequest", `container ${container} is not valid for pod ${pod}`);
      return loc;
    },
    async findSandbox(ns, pod) {
      if (ns !== "default" || pod !== "web") throw new StatusError("NotFound", `pods "${pod}" not found`);
      return "sb1";
    },
    statsSummary: async () => ({ node: { nodeName: "node1" }, pods: [] }),
    resourceMetrics: async () => "node_cpu_usage_seconds_total 1\n",
    healthy: () => true,
  };
}
