/**
 * The HTTPS health and metrics endpoint every control-plane component other
 * than the apiserver serves (kube-scheduler 10259, kube-controller-manager
 * 10257): /healthz, /livez, /readyz and Prometheus /metrics. Without a
 * certificate it uses a throwaway self-signed one, as upstream does.
 */
import { createServer, type Server } from "node:https";
import { Registry as MetricsRegistry, collectDefaultMetrics } from "prom-client";
import { selfSignedServing, type KeyPair } from "../machinery/certs.ts";

export interface HealthServerOptions {
  component: string;
  bindAddress: string;
  /** 0 picks a free port; -1 disables the server. */
  port: number;
  serving?: KeyPair;
  /** Readiness check (true: ready). */
  ready?: () => boolean;
}

export interface HealthServer {
  port: number;
  metrics: MetricsRegistry;
  close(): Promise<void>;
}

/** Starts the health/metrics server; with port -1 only the metrics registry exists. */
export async function startHealthServer(o: HealthServerOptions): Promise<HealthServer> {
  const metrics = new MetricsRegistry();
  collectDefaultMetrics({ register: metrics, prefix: "" });
  if (o.port < 0) return { port: -1, metrics, close: async () => undefined };
  const serving = o.serving ?? (await selfSignedServing(o.component)).serving;
  const server: Server = createServer({ key: serving.key, cert: serving.cert }, (req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (path === "/healthz" || path === "/livez") {
      res.writeHead(200, { "Content-Type": "text/plain" }).end("ok");
    } else if (path === "/readyz") {
      const ok = o.ready ? o.ready() : true;
      res.writeHead(ok ? 200 : 503, { "Content-Type": "text/plain" }).end(ok ? "ok" : "not ready");
    } else if (path === "/metrics") {
      metrics
        .metrics()
        .then((text) => res.writeHead(200, { "Content-Type": metrics.contentType }).end(text))
        .catch((err) => res.writeHead(500).end(String(err)));
    } else {
      res.writeHead(404, { "Content-Type": "text/plain" }).end("not found");
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(o.port, o.bindAddress, () => resolve());
  });
  const addr = server.address();
  return {
    port: typeof addr === "object" && addr ? addr.port : o.port,
    metrics,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
