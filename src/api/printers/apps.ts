/**
 * Tables of the apps/v1 group: Deployment, ReplicaSet, StatefulSet, DaemonSet
 * and ControllerRevision.
 */

import type { KObject } from "../types.ts";
import { age, containerCells, formatLabels, formatLabelSelector, int, labelSelectorString, str } from "./format.ts";
import { ageCol, col, containerCols, nameCol, selectorCol, type Printer } from "./types.ts";

const name = (o: KObject) => str(o.metadata.name);
const replicas = (o: KObject) => int(o.spec?.replicas ?? 1);
const templateContainers = (o: KObject) => containerCells(o.spec?.template?.spec?.containers);

/** Deployment: Name, Ready ("ready/desired"), Up-to-date, Available, Age; wide Containers, Images, Selector. */
export const deploymentPrinter: Printer = {
  columns: [
    nameCol(),
    col("Ready", "string", "Ready replicas out of the desired replicas."),
    col("Up-to-date", "string", "Replicas running the latest pod template."),
    col("Available", "string", "Replicas available to serve."),
    ageCol(),
    ...containerCols(),
    selectorCol(),
  ],
  cells(o, now) {
    const [names, images] = templateContainers(o);
    return [
      name(o),
      `${int(o.status?.readyReplicas)}/${replicas(o)}`,
      int(o.status?.updatedReplicas),
      int(o.status?.availableReplicas),
      age(o, now),
      names,
      images,
      labelSelectorString(o.spec?.selector) ?? "<invalid>",
    ];
  },
};

/** ReplicaSet: Name, Desired, Current, Ready, Age; wide Containers, Images, Selector. */
export const replicaSetPrinter: Printer = {
  columns: [
    nameCol(),
    col("Desired", "integer", "Number of replicas asked for."),
    col("Current", "integer", "Number of replicas that exist."),
    col("Ready", "integer", "Number of ready replicas."),
    ageCol(),
    ...containerCols(),
    selectorCol(),
  ],
  cells(o, now) {
    const [names, images] = templateContainers(o);
    return [
      name(o),
      replicas(o),
      int(o.status?.replicas),
      int(o.status?.readyReplicas),
      age(o, now),
      names,
      images,
      formatLabelSelector(o.spec?.selector),
    ];
  },
};

/** StatefulSet: Name, Ready ("ready/desired"), Age; wide Containers, Images. */
export const statefulSetPrinter: Printer = {
  columns: [nameCol(), col("Ready", "string", "Ready replicas out of the desired replicas."), ageCol(), ...containerCols()],
  cells(o, now) {
    const [names, images] = templateContainers(o);
    return [name(o), `${int(o.status?.readyReplicas)}/${replicas(o)}`, age(o, now), names, images];
  },
};

/** DaemonSet: Name, Desired, Current, Ready, Up-to-date, Available, Node Selector, Age; wide Containers, Images, Selector. */
export const daemonSetPrinter: Printer = {
  columns: [
    nameCol(),
    col("Desired", "integer", "Number of nodes that should run the daemon pod."),
    col("Current", "integer", "Number of nodes running the daemon pod."),
    col("Ready", "integer", "Number of nodes whose daemon pod is ready."),
    col("Up-to-date", "integer", "Number of nodes running the latest pod template."),
    col("Available", "integer", "Number of nodes whose daemon pod is available."),
    col("Node Selector", "string", "Node labels the daemon pods are restricted to."),
    ageCol(),
    ...containerCols(),
    selectorCol(),
  ],
  cells(o, now) {
    const st = o.status ?? {};
    const [names, images] = templateContainers(o);
    return [
      name(o),
      int(st.desiredNumberScheduled),
      int(st.currentNumberScheduled),
      int(st.numberReady),
      int(st.updatedNumberScheduled),
      int(st.numberAvailable),
      formatLabels(o.spec?.template?.spec?.nodeSelector),
      age(o, now),
      names,
      images,
      formatLabelSelector(o.spec?.selector),
    ];
  },
};

/** `kind.group/name` (lower-cased kind and group) of the controlling owner, "<none>" without one. */
function controllerOf(o: KObject): string {
  const ref = (o.metadata.ownerReferences ?? []).find((r) => r.controller === true);
  if (!ref) return "<none>";
  const apiVersion = str(ref.apiVersion);
  const slash = apiVersion.indexOf("/");
  const group = slash < 0 ? "" : apiVersion.slice(0, slash);
  const kind = str(ref.kind);
  if (!kind && !group) return ref.name;
  const groupKind = group ? `${kind}.${group}` : kind;
  return `${groupKind.toLowerCase()}/${ref.name}`;
}

/** ControllerRevision: Name, Controller, Revision, Age. */
export const controllerRevisionPrinter: Printer = {
  columns: [
    nameCol(),
    col("Controller", "string", "Controller owning the revision."),
    col("Revision", "string", "Revision number of the recorded state."),
    ageCol(),
  ],
  cells: (o, now) => [name(o), controllerOf(o), int(o.revision), age(o, now)],
};
