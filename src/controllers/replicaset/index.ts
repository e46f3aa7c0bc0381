/**
 * The ReplicaSet and ReplicationController controllers: one shared
 * implementation (controller.ts) parameterised by kind (kinds.ts).
 */
import type { ControllerFactory } from "../types.ts";
import { ReplicaController } from "./controller.ts";
import { replicaSetKind, replicationControllerKind } from "./kinds.ts";

/** Controller "replicaset": keeps apps/v1 ReplicaSets at spec.replicas pods. */
export const replicaSetController: ControllerFactory = () => new ReplicaController(replicaSetKind);

/** Controller "replicationcontroller": the same for core/v1 ReplicationControllers. */
export const replicationControllerController: ControllerFactory = () => new ReplicaController(replicationControllerKind);

export { ReplicaController } from "./controller.ts";
export { Expectations } from "./expectations.ts";
export { claimObjects, controllerRefOf, newControllerRef } from "./controllerref.ts";
export { isPodActive, isPodAvailable, isPodReady, rankPodsForDeletion } from "./pods.ts";
