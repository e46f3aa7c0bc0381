/**
 * The deployment controller: rolls Deployments out through ReplicaSets with
 * upstream semantics (RollingUpdate and Recreate, revisions, history,
 * proportional scaling, pause, progress conditions).
 */
import type { ControllerFactory } from "../types.ts";
import { DeploymentController } from "./controller.ts";

/** Controller "deployment". */
export const deploymentController: ControllerFactory = () => new DeploymentController();

export { DeploymentController } from "./controller.ts";
export { computeHash, equalIgnoreHash, podTemplateHashLabel, resolveFenceposts, revisionAnnotation } from "./util.ts";
