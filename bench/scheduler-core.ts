/**
 * Scheduler core throughput without any API: 5,000 nodes (4 CPU, 16Gi,
 * 110 pods each, the Node objects `tskube sim-nodes` registers) fed into the cache, 10,000 basic pods (100m / 100Mi)
 * queued, popped, scheduled with the default profile, bound through a no-op
 * binder and confirmed as the informer would. BENCH_EVICT_MB=N writes N MB
 * of unrelated memory before each pod, evicting the CPU caches the way the
 * other threads sharing the cores do in the end-to-end benchmark (the write
 * itself is timed too: compare runs with the same N).
 * Run: node bench/scheduler-core.ts. The last line is
 * `scheduler_core_throughput_5000_nodes: N pods/s`.
 */
import { Scheduler } from "../src/scheduler/scheduler.ts";
import { makePod } from "../src/scheduler/testutil.ts";
import { nodeObject } from "../src/simnodes/objects.ts";

const NODES = Number(process.env.NODES ?? 5000);
const PODS = Number(process.env.PODS ?? 10_000);

const evict = new Uint8Array(Number(process.env.BENCH_EVICT_MB ?? 0) * 1024 * 1024);

async function main(): Promise<void> {
  const s = new Scheduler({ handle: { binder: async () => {} } });
  for (let i = 0; i < NODES; i++) {
    const node = nodeObject({ name: `node-${i}`, index: i, cpu: "4", memory: "16Gi", pods: 110, labels: { "topology.kubernetes.io/zone": `zone-${i % 3}` }, taints: [] }, "2026-01-01T00:00:00Z");
    s.onNodeAdd({ ...node, metadata: { ...node.metadata, uid: `node-uid-${i}` } });
  }
  for (let i = 0; i < PODS; i++) s.onPodAdd(makePod(`pod-${i}`, { cpu: "100m", memory: "100Mi", uid: `uid-${i}` }));
  const started = performance.now();
  let scheduled = 0;
  let failed = 0;
  for (let i = 0; i < PODS; i++) {
    const q = (await s.queue.pop())!;
    if (evict.length) evict.fill(i & 255);
    const r = s.scheduleOne(q);
    if (r.kind !== "scheduled") {
      failed++;
      continue;
    }
    const b = await s.bind(r);
    if (!b.ok) {
      failed++;
      continue;
    }
    s.onPodUpdate(q.pod, r.pod);
    scheduled++;
  }
  const seconds = (performance.now() - started) / 1000;
  s.queue.close();
  console.log(`nodes=${NODES} pods=${PODS} scheduled=${scheduled} failed=${failed} seconds=${seconds.toFixed(2)}`);
  console.log(`scheduler_core_throughput_${NODES}_nodes: ${Math.round(scheduled / seconds)} pods/s`);
}

await main();
