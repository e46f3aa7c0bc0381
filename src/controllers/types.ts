/**
 * The contract between the controller-manager and its controllers. A
 * controller registers informers and event handlers in `init` (handlers only
 * enqueue keys), then `run` drives its work queue until the signal aborts;
 * reconcile functions read listers and write through the API. Nothing may
 * depend on seeing every event (ARCHITECTURE.md rule 3).
 */
import type { ApiClient, EventRecorder, SharedInformerFactory } from "../client/index.ts";
import type { Logger } from "../machinery/log.ts";

/** Settings controllers read (k8s defaults, overridable by flags). */
export interface ControllerSettings {
  clusterCidr: string;
  serviceCidr: string;
  /** Size of each node's pod CIDR (upstream default /24). */
  nodeCidrMaskSize: number;
  /** A node whose Lease is older than this becomes NotReady/Unknown (upstream 40 s). */
  nodeMonitorGracePeriodMs: number;
  /** Default tolerationSeconds added for not-ready/unreachable taints (upstream 300 s). */
  defaultTolerationSeconds: number;
  /** Workers per controller (upstream's concurrent-*-syncs, mostly 5). */
  workers: number;
  /** Finished pods podgc keeps before deleting the oldest (upstream 12500; 0 disables). */
  terminatedPodGCThreshold: number;
  /** CA certificate / key (PEM files) the csrsigning controller signs with; no signing without them. */
  clusterSigningCertFile?: string;
  clusterSigningKeyFile?: string;
  /** Longest certificate lifetime csrsigning issues (upstream --cluster-signing-duration, 8760h). */
  clusterSigningDurationSeconds: number;
}

export const defaultControllerSettings: ControllerSettings = {
  clusterCidr: "10.42.0.0/16",
  serviceCidr: "10.43.0.0/16",
  nodeCidrMaskSize: 24,
  nodeMonitorGracePeriodMs: 40_000,
  defaultTolerationSeconds: 300,
  workers: 5,
  terminatedPodGCThreshold: 12500,
  clusterSigningDurationSeconds: 365 * 24 * 3600,
};

/** What the controller-manager hands to every controller. */
export interface ControllerContext {
  client: ApiClient;
  /** Shared informers: ask for them in init(); the manager starts them after every init. */
  informers: SharedInformerFactory;
  /** Event recorder of the controller-manager (source component "<controller>-controller"). */
  recorder(component: string): EventRecorder;
  log: Logger;
  settings: ControllerSettings;
}

export interface Controller {
  /** Name as upstream's --controllers list spells it, e.g. "replicaset", "namespace". */
  readonly name: string;
  /** Requests informers and registers handlers; informers are not started yet. */
  init(ctx: ControllerContext): void | Promise<void>;
  /** Runs the controller's workers until `signal` aborts; informers have synced. */
  run(ctx: ControllerContext, signal: AbortSignal): Promise<void>;
}

/** Builds a controller (each controller folder exports one). */
export type ControllerFactory = () => Controller;
