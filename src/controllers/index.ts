/**
 * The controllers the controller-manager can run, by upstream's names, and
 * the `--controllers` selection syntax (`*` for all, `name` to add, `-name`
 * to remove).
 */
import { csrApprovingController, csrSigningController } from "./certificates/index.ts";
import { cronJobController } from "./cronjob/index.ts";
import { daemonSetController } from "./daemonset/index.ts";
import { deploymentController } from "./deployment/index.ts";
import { disruptionController } from "./disruption/index.ts";
import { endpointsController } from "./endpoints/index.ts";
import { endpointSliceController } from "./endpointslice/index.ts";
import { endpointSliceMirroringController } from "./endpointslicemirroring/index.ts";
import { garbageCollectorController } from "./garbagecollector/index.ts";
import { jobController } from "./job/index.ts";
import { namespaceController } from "./namespace/index.ts";
import { nodeIpamController } from "./nodeipam/index.ts";
import { nodeLifecycleController } from "./nodelifecycle/index.ts";
import { horizontalPodAutoscalerController } from "./podautoscaler/index.ts";
import { podGCController } from "./podgc/index.ts";
import { replicaSetController, replicationControllerController } from "./replicaset/index.ts";
import { resourceQuotaController } from "./resourcequota/index.ts";
import { rootCACertPublisherController, serviceAccountController } from "./serviceaccount/index.ts";
import { statefulSetController } from "./statefulset/index.ts";
import { ttlAfterFinishedController } from "./ttlafterfinished/index.ts";
import type { ControllerFactory } from "./types.ts";

/** Every available controller by name. */
export const allControllers = new Map<string, ControllerFactory>([
  ["replicaset", replicaSetController],
  ["replicationcontroller", replicationControllerController],
  ["deployment", deploymentController],
  ["statefulset", statefulSetController],
  ["daemonset", daemonSetController],
  ["job", jobController],
  ["cronjob", cronJobController],
  ["namespace", namespaceController],
  ["garbagecollector", garbageCollectorController],
  ["serviceaccount", serviceAccountController],
  ["root-ca-cert-publisher", rootCACertPublisherController],
  ["ttl-after-finished", ttlAfterFinishedController],
  ["endpoint", endpointsController],
  ["endpointslice", endpointSliceController],
  ["endpointslicemirroring", endpointSliceMirroringController],
  ["nodelifecycle", nodeLifecycleController],
  ["nodeipam", nodeIpamController],
  ["podgc", podGCController],
  ["disruption", disruptionController],
  ["resourcequota", resourceQuotaController],
  ["horizontalpodautoscaling", horizontalPodAutoscalerController],
  ["csrapproving", csrApprovingController],
  ["csrsigning", csrSigningController],
]);

/**
 * Resolves a `--controllers` value (comma-separated; `*` = all, `-name`
 * disables) into the controllers to run. Throws on unknown names.
 */
export function selectControllers(spec: string, available: Map<string, ControllerFactory> = allControllers): Map<string, ControllerFactory> {
  const parts = spec.split(",").map((p) => p.trim()).filter(Boolean);
  const chosen = new Map<string, ControllerFactory>();
  const disabled = new Set<string>();
  for (const p of parts) {
    if (p === "*") {
      for (const [name, f] of available) chosen.set(name, f);
      continue;
    }
    const off = p.startsWith("-");
    const name = off ? p.slice(1) : p;
    const f = available.get(name);
    if (!f) throw new Error(`unknown controller "${name}" (available: ${[...available.keys()].join(", ")})`);
    if (off) disabled.add(name);
    else chosen.set(name, f);
  }
  for (const name of disabled) chosen.delete(name);
  return chosen;
}
