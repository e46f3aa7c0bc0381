/**
 * Watcher worker thread for the fan-out benchmark: opens `count` watches over
 * raw TLS sockets (a minimal HTTP/1.1 client, so the load generator spends as
 * little CPU as possible) and records, for every event, the write's start
 * time (carried in the object's `sent` annotation, epoch milliseconds) and
 * the delay until its arrival (when the event's line is complete), plus how
 * many events each watcher saw. The records go into typed arrays sized for
 * the `expected` events per watcher, so the generator's own allocations and
 * GC pauses stay out of the measured delays.
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
  expected: number;
}

const job = workerData as Job;
const tlsDir = join(job.dataDir, "server", "tls");
const ca = readFileSync(join(tlsDir, "ca.crt"));
const cert = readFileSync(join(tlsDir, "admin.crt"));
const key = readFileSync(join(tlsDir, "admin.key"));
// One secure context for every connection (building one per socket costs more than the handshake).
const secureContext = createSecureContext({ ca, cert, key });
const marker = Buffer.from('"sent":"');
let delays = new Float64Array(job.count * job.expected);
let sents = new Float64Array(job.count * job.expected);
let recorded = 0;

function record(sent: number, delay: number): void {
  if (recorded === delays.length) {
    const grow = (a: Float64Array<ArrayBuffer>): Float64Array<ArrayBuffer> => {
      const b = new Float64Array(a.length * 2 + 1024);
      b.set(a);
      return b;
    };
    delays = grow(delays);
    sents = grow(sents);
  }
  sents[recorded] = sent;
  delays[recorded++] = delay;
}
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
      const sent = Number(buf.toString("latin1", start, end));
      record(sent, t - sent);
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
  const d = delays.slice(0, recorded);
  const s = sents.slice(0, recorded);
  parentPort!.postMessage({ delays: d, sents: s, reads, perWatcher: counts.map((c) => c()) }, [d.buffer, s.buffer]);
});
