/**
 * The kube-controller-manager runtime: under leader election (a Lease named
 * kube-controller-manager in kube-system), initialises the selected
 * controllers on shared informers, waits for the caches to sync and runs
 * every controller until leadership is lost or the process stops.
 */
import { EventRecorder, runLeaderElection, SharedInformerFactory, type ApiClient } from "../client/index.ts";
import { log as rootLog } from "../machinery/log.ts";
import type { Controller, ControllerContext, ControllerFactory, ControllerSettings } from "./types.ts";

const log = rootLog.child("controller-manager");

export interface ControllerManagerOptions {
  client: ApiClient;
  /** The controllers to run, by name. */
  controllers: Map<string, ControllerFactory>;
  settings: ControllerSettings;
  leaderElect: boolean;
  identity: string;
  /** Called whenever this instance starts or stops leading. */
  onLeading?(leading: boolean): void;
}

/** Runs the selected controllers once, until `signal` aborts. */
export async function runControllers(o: ControllerManagerOptions, signal: AbortSignal): Promise<void> {
  const informers = new SharedInformerFactory(o.client);
  const recorders = new Map<string, EventRecorder>();
  const ctx: ControllerContext = {
    client: o.client,
    informers,
    recorder: (component) => {
      let r = recorders.get(component);
      if (!r) recorders.set(component, (r = new EventRecorder(o.client, { component, host: o.identity })));
      return r;
    },
    log,
    settings: o.settings,
  };
  const controllers: Controller[] = [];
  for (const [name, factory] of o.controllers) {
    const c = factory();
    await c.init(ctx);
    controllers.push(c);
    log.info("controller initialised", { controller: name });
  }
  informers.start();
  try {
    if (!(await informers.waitForSync(signal))) return;
    await Promise.all(
      controllers.map((c) =>
        c.run(ctx, signal).catch((err) => log.error("controller stopped with an error", { controller: c.name, error: String(err?.stack ?? err) })),
      ),
    );
  } finally {
    informers.stop();
    await Promise.all([...recorders.values()].map((r) => r.flush().catch(() => undefined)));
  }
}

/** Runs the controller-manager (with leader election unless disabled) until `signal` aborts. */
export async function runControllerManager(o: ControllerManagerOptions, signal: AbortSignal): Promise<void> {
  if (!o.leaderElect) {
    o.onLeading?.(true);
    await runControllers(o, signal);
    return;
  }
  let running: Promise<void> | undefined;
  await runLeaderElection(
    {
      client: o.client,
      namespace: "kube-system",
      name: "kube-controller-manager",
      identity: o.identity,
      onStartedLeading: (leading) => {
        log.info("became leader", { identity: o.identity });
        o.onLeading?.(true);
        running = runControllers(o, leading);
      },
      onStoppedLeading: () => {
        log.info("stopped leading", { identity: o.identity });
        o.onLeading?.(false);
      },
    },
    signal,
  );
  await running;
}
