/**
 * Worker-thread entry of a control-plane component composed into `tskube
 * server`: the scheduler or the controller-manager runs on its own event loop
 * (and core), as an API client like in its own process — composition changes
 * placement, not behaviour. It re-runs after a lost leadership until the
 * parent posts "stop".
 */
import { hostname } from "node:os";
import { parentPort, workerData } from "node:worker_threads";
import { ApiClient, type ClientConfig } from "../client/index.ts";
import { selectControllers } from "../controllers/index.ts";
import { runControllerManager } from "../controllers/manager.ts";
import { log } from "../machinery/log.ts";
import { parseSchedulerConfig } from "../scheduler/profile.ts";
import { runScheduler } from "../scheduler/run.ts";
import { parseControllerManagerFlags } from "./controllermanager.ts";

/** What the server hands to a component thread. */
export interface ComponentJob {
  kind: "scheduler" | "controller-manager";
  config: ClientConfig;
  /** controller-manager flags (`--key=value`), already validated by the server. */
  controllerManagerArgs: string[];
  serviceCidr: string;
}

const job = workerData as ComponentJob;
const stop = new AbortController();
parentPort!.on("message", (m) => {
  if (m === "stop") stop.abort();
});

const client = new ApiClient(job.config, { userAgent: `tskube-${job.kind}` });
const identity = `${hostname()}_${process.pid}`;
while (!stop.signal.aborted) {
  try {
    if (job.kind === "scheduler") {
      await runScheduler({ client, config: parseSchedulerConfig({}), leaderElect: true, identity }, stop.signal);
    } else {
      const cm = parseControllerManagerFlags(["--kubeconfig", "(composed)", ...job.controllerManagerArgs]);
      await runControllerManager(
        { client, controllers: selectControllers(cm.controllers), settings: { ...cm.settings, serviceCidr: job.serviceCidr }, leaderElect: true, identity },
        stop.signal,
      );
    }
  } catch (err) {
    log.error(`${job.kind} failed`, { error: String((err as Error)?.stack ?? err) });
  }
  if (!stop.signal.aborted) await new Promise((r) => setTimeout(r, 1000));
}
client.close();
parentPort!.close();
