/**
 * A bare Node.js HTTPS server answering every request with a fixed JSON body,
 * as the platform's ceiling for the apiserver benchmark. Usage:
 * node bench/bare-server.ts <tls-dir>; prints its port on stdout.
 */
import { readFileSync } from "node:fs";
import { createServer } from "node:https";
import { join } from "node:path";

const tls = process.argv[2];
const body = JSON.stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "fixed", namespace: "bench" }, data: { key: "value" } });
const server = createServer(
  { key: readFileSync(join(tls, "serving.key")), cert: readFileSync(join(tls, "serving.crt")), ca: readFileSync(join(tls, "ca.crt")), requestCert: true, rejectUnauthorized: false, keepAliveTimeout: 120_000 },
  (req, res) => {
    req.resume();
    req.on("end", () => {
      res.writeHead(200, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(body) });
      res.end(body);
    });
  },
);
server.listen(0, "127.0.0.1", () => console.log((server.address() as { port: number }).port));
process.on("SIGTERM", () => server.close(() => process.exit(0)));
