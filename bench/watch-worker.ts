/**
 * Watcher worker thread for the fan-out benchmark: opens `count` watches over
 * raw TLS sockets (a minimal HTTP/1.1 client, so the load generator spends as
 * little CPU as possible) and records, for every event, the delay between the
 * write's start time (carried in the object's `sent` annotation, epoch
 * milliseconds) and its arrival (when the event's line is complete), plus
 * how many events each watcher saw.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { connect, createSecureContext, type TLSSocket } from "node:tls";
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
// One secure context for every connection (building one per socket costs more than the handshake).
const secureContext = createSecureContext({ ca, cert, key });
const marker = Buffer.from('"sent":"');
const delays: number[] = [];
const now = (): number => performance.timeOrigin + performance.now();
let open = 0;
let reads = 0;
/** Per-watcher event counters, to check that every watcher saw every event. */
const counts: (() => number)[] = [];
const sockets: TLSSocket[] = [];

function watch(): void {
  const sock = connect({ host: "127.0.0.1", port: job.port, secureContext, servername: "localhost" }, () => {
    sock.write(`GET ${job.path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: application/json\r\n\r\n`);
  });
  sockets.push(sock);
  let headersSeen = false;
  // Bytes after the last newline of the previous read: a TLS record or TCP
  // read may end inside an event line, which then completes with the next read.
  let tail: Buffer | undefined;
  let events = 0;
  counts.push(() => events);
  sock.on("data", (chunk: Buffer) => {
    const t = now();
    reads++;
    if (!headersSeen) {
      headersSeen = true;
      if (++open === job.count) parentPort!.postMessage({ open });
    }
    const buf = tail ? Buffer.concat([tail, chunk]) : chunk;
    const last = buf.lastIndexOf(10);
    tail = last === buf.length - 1 ? undefined : buf.subarray(last + 1);
    let i = buf.indexOf(marker);
    while (i >= 0 && i < last) {
      const start = i + marker.length;
      const end = buf.indexOf(34, start);
      delays.push(t - Number(buf.toString("latin1", start, end)));
      events++;
      i = buf.indexOf(marker, end);
    }
  });
  sock.on("error", () => undefined);
}

for (let i = 0; i < job.count; i++) watch();
parentPort!.on("message", (msg: string) => {
  if (msg !== "stop") return;
  for (const s of sockets) s.destroy();
  parentPort!.postMessage({ delays, reads, perWatcher: counts.map((c) => c()) });
});
