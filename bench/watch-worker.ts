/**
 * Watcher worker thread for the fan-out benchmark: opens `count` watches over
 * raw TLS sockets (a minimal HTTP/1.1 client, so the load generator spends as
 * little CPU as possible) and records, for every event, the delay between the
 * write's start time (carried in the object's `sent` annotation, epoch
 * milliseconds) and its arrival.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { connect, type TLSSocket } from "node:tls";
import { parentPort, workerData } from "node:worker_threads";

interface Job {
  port: number;
  dataDir: string;
  count: number;
  path: string;
}

const job = workerData as Job;
const tlsDir = join(job.dataDir, "server", "tls");
const ca = readFileSync(join(tlsDir, "ca.crt"));
const cert = readFileSync(join(tlsDir, "admin.crt"));
const key = readFileSync(join(tlsDir, "admin.key"));
const marker = Buffer.from('"sent":"');
const delays: number[] = [];
const now = (): number => performance.timeOrigin + performance.now();
let open = 0;
const sockets: TLSSocket[] = [];

function watch(): void {
  const sock = connect({ host: "127.0.0.1", port: job.port, ca, cert, key, servername: "localhost" }, () => {
    sock.write(`GET ${job.path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: application/json\r\n\r\n`);
  });
  sockets.push(sock);
  let headersSeen = false;
  sock.on("data", (chunk: Buffer) => {
    const t = now();
    if (!headersSeen) {
      headersSeen = true;
      if (++open === job.count) parentPort!.postMessage({ open });
    }
    let i = chunk.indexOf(marker);
    while (i >= 0) {
      const start = i + marker.length;
      const end = chunk.indexOf(34, start);
      if (end < 0) break;
      delays.push(t - Number(chunk.toString("latin1", start, end)));
      i = chunk.indexOf(marker, end);
    }
  });
  sock.on("error", () => undefined);
}

for (let i = 0; i < job.count; i++) watch();
parentPort!.on("message", (msg: string) => {
  if (msg !== "stop") return;
  for (const s of sockets) s.destroy();
  parentPort!.postMessage({ delays });
});
