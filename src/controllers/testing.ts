/**
 * Test support for controllers (tests only): an in-process apiserver, a set of
 * simulated nodes, a trivial round-robin binder standing in for the scheduler,
 * and a runner for chosen controllers — so a controller test can create
 * objects and watch pods become Running and Ready.
 */
import type { AdmissionSettings } from "../apiserver/registry/admission.ts";
import { findResource } from "../api/resources.ts";
import type { KObject } from "../api/types.ts";
import { Informer, type ApiClient } from "../client/index.ts";
import { startTestCluster, type TestCluster } from "../client/testserver.ts";
import { Simulator, simNodeSpecs } from "../simnodes/simulator.ts";
import { runControllers } from "./manager.ts";
import { defaultControllerSettings, type ControllerFactory, type ControllerSettings } from "./types.ts";

const podsRes = findResource("", "v1", "pods")!;

export interface ControllerTestEnv {
  tc: TestCluster;
  client: ApiClient;
  sim: Simulator;
  stop(): Promise<void>;
}

/**
 * Binds every unbound pod (spec.schedulerName default-scheduler) to the given
 * nodes in turn, through pods/binding. A stand-in for the scheduler in tests.
 */
export function startRoundRobinBinder(client: ApiClient, nodeNames: string[]): () => void {
  const inf = new Informer(client.resource(podsRes), { fieldSelector: "spec.nodeName=" });
  let i = 0;
  const bind = (p: KObject): void => {
    if (p.spec?.nodeName || p.metadata.deletionTimestamp || !nodeNames.length) return;
    const node = nodeNames[i++ % nodeNames.length];
    client
      .resource(podsRes)
      .createSubresource(p.metadata.namespace!, p.metadata.name!, "binding", {
        apiVersion: "v1",
        kind: "Binding",
        metadata: { name: p.metadata.name, namespace: p.metadata.namespace, uid: p.metadata.uid },
        target: { apiVersion: "v1", kind: "Node", name: node },
      })
      .catch(() => undefined);
  };
  inf.addEventHandler({ onAdd: bind, onUpdate: (_o, n) => bind(n) });
  inf.start();
  return () => inf.stop();
}

/**
 * Starts an apiserver, `nodes` simulated nodes, the round-robin binder and the
 * given controllers. `stop()` tears everything down.
 */
export async function startControllerTestEnv(
  controllers: Record<string, ControllerFactory>,
  opts: { nodes?: number; settings?: Partial<ControllerSettings>; bind?: boolean; admission?: Partial<AdmissionSettings> } = {},
): Promise<ControllerTestEnv> {
  const tc = await startTestCluster({ admission: opts.admission });
  const client = tc.newClient();
  const sim = new Simulator({
    client: tc.newClient(),
    nodes: simNodeSpecs({ count: opts.nodes ?? 3, namePrefix: "node-", cpu: "4", memory: "16Gi", pods: 110, labels: {}, taints: [] }),
    heartbeatMs: 1000,
  });
  await sim.start();
  const stopBinder = opts.bind === false ? () => undefined : startRoundRobinBinder(client, sim.nodeNames());
  const abort = new AbortController();
  const running = runControllers(
    {
      client,
      controllers: new Map(Object.entries(controllers)),
      settings: { ...defaultControllerSettings, ...opts.settings },
      leaderElect: false,
      identity: "test",
    },
    abort.signal,
  );
  return {
    tc,
    client,
    sim,
    async stop() {
      abort.abort();
      await running.catch(() => undefined);
      stopBinder();
      await sim.stop();
      client.close();
      await tc.stop();
    },
  };
}

/** Polls `fn` until it returns a value other than undefined (or fails after `ms`). */
export async function eventually<T>(what: string, fn: () => Promise<T | undefined> | T | undefined, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ""}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
