/**
 * Pod validation as upstream: create (metadata + spec + pod-only checks),
 * update (only images, activeDeadlineSeconds, added tolerations, removed
 * scheduling gates and the negative-grace-period fix may change; anything
 * else is `pod updates may not change fields other than ...`), status
 * updates (conditions, IPs, nominated node) and Binding.
 */

import { fieldErr, type FieldError } from "../../machinery/errors.ts";
import {
  childPath,
  deepEqual,
  inclusiveRangeError,
  indexPath,
  isDNS1123Subdomain,
  isQualifiedName,
  isValidIP,
  nameIsDNSSubdomain,
  validateObjectMeta,
  validateObjectMetaUpdate,
} from "../../machinery/validation.ts";
import type { KObject } from "../types.ts";
import { arr, obj, str, type Obj } from "./common.ts";
import { validateContainersOnlyForPod } from "./containers.ts";
import { validatePodSpec } from "./podspec.ts";

const maxInt32 = 2147483647;

const podUpdateMessage =
  "pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)";

export function validatePodCreate(pod: KObject): FieldError[] {
  const errs = validateObjectMeta(pod.metadata, true, nameIsDNSSubdomain);
  errs.push(...validatePodSpec(pod.spec, "spec"));
  errs.push(...validateContainersOnlyForPod(obj(pod.spec).containers, "spec.containers"));
  errs.push(...validateContainersOnlyForPod(obj(pod.spec).initContainers, "spec.initContainers"));
  if (arr(obj(pod.spec).ephemeralContainers).length > 0)
    errs.push(fieldErr.forbidden("spec.ephemeralContainers", "cannot be set on create"));
  return errs;
}

/** Compact rendering of what changed, in the spirit of upstream's spec diff. */
function describeDiff(oldSpec: Obj, newSpec: Obj): string {
  const lines = ["  core.PodSpec{"];
  const keys = [...new Set([...Object.keys(oldSpec), ...Object.keys(newSpec)])].sort();
  for (const k of keys) {
    if (deepEqual(oldSpec[k], newSpec[k])) continue;
    if (oldSpec[k] !== undefined) lines.push(`- \t${k}: ${JSON.stringify(oldSpec[k])},`);
    if (newSpec[k] !== undefined) lines.push(`+ \t${k}: ${JSON.stringify(newSpec[k])},`);
  }
  lines.push("  }");
  return lines.join("\n");
}

function tolerationsOnlyAdded(oldT: unknown[], newT: unknown[]): boolean {
  return oldT.every((o) => newT.some((n) => deepEqual(o, n)));
}

export function validatePodUpdate(pod: KObject, old: KObject): FieldError[] {
  const errs = validateObjectMetaUpdate(pod.metadata, old.metadata);
  errs.push(...validatePodSpec(pod.spec, "spec"));
  const ns = obj(pod.spec);
  const os = obj(old.spec);
  const ads = ns.activeDeadlineSeconds;
  if (ads !== undefined && ads !== null) {
    if (typeof ads !== "number" || ads < 0 || ads > maxInt32) {
      errs.push(fieldErr.invalid("spec.activeDeadlineSeconds", ads, inclusiveRangeError(0, maxInt32)));
      return errs;
    }
    if (typeof os.activeDeadlineSeconds === "number" && os.activeDeadlineSeconds < ads) {
      errs.push(fieldErr.invalid("spec.activeDeadlineSeconds", ads, "must be less than or equal to previous value"));
      return errs;
    }
  } else if (os.activeDeadlineSeconds !== undefined && os.activeDeadlineSeconds !== null) {
    errs.push(fieldErr.invalid("spec.activeDeadlineSeconds", null, "must not update from a positive integer to nil value"));
  }
  if (arr(ns.containers).length !== arr(os.containers).length || arr(ns.initContainers).length !== arr(os.initContainers).length) {
    errs.push(fieldErr.forbidden("spec", `${podUpdateMessage}\n${describeDiff(os, ns)}`));
    return errs;
  }
  // Build the spec the update would have produced if only the mutable fields changed.
  const munged: Obj = structuredClone(ns);
  munged.containers = arr(ns.containers).map((c, i) => ({ ...obj(c), image: obj(arr(os.containers)[i]).image }));
  if (ns.initContainers !== undefined)
    munged.initContainers = arr(ns.initContainers).map((c, i) => ({ ...obj(c), image: obj(arr(os.initContainers)[i]).image }));
  munged.activeDeadlineSeconds = os.activeDeadlineSeconds;
  if (tolerationsOnlyAdded(arr(os.tolerations), arr(ns.tolerations))) munged.tolerations = os.tolerations;
  const oldGates = arr(os.schedulingGates);
  if (arr(ns.schedulingGates).every((g) => oldGates.some((o) => deepEqual(o, g)))) munged.schedulingGates = os.schedulingGates;
  if (typeof os.terminationGracePeriodSeconds === "number" && os.terminationGracePeriodSeconds < 0 && ns.terminationGracePeriodSeconds === 1)
    munged.terminationGracePeriodSeconds = os.terminationGracePeriodSeconds;
  for (const k of Object.keys(munged)) if (munged[k] === undefined) delete munged[k];
  if (!deepEqual(munged, os)) errs.push(fieldErr.forbidden("spec", `${podUpdateMessage}\n${describeDiff(os, ns)}`));
  return errs;
}

const systemConditions = new Set(["PodScheduled", "Ready", "Initialized", "ContainersReady", "PodReadyToStartContainers", "DisruptionTarget", "PodResizePending", "PodResizeInProgress"]);

function validatePodIPs(ips: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  const list = arr(ips);
  list.forEach((raw, i) => {
    const ip = str(obj(raw).ip);
    const ipPath = childPath(indexPath(path, i), "ip");
    for (const m of isValidIP(ip)) errs.push(fieldErr.invalid(ipPath, ip, m));
    if (seen.has(ip)) errs.push(fieldErr.duplicate(ipPath, ip));
    seen.add(ip);
  });
  if (list.length > 2) errs.push(fieldErr.tooMany(path, list.length, 2));
  return errs;
}

/** /status updates: metadata rules, conditions, nodeName unchanged, IP lists. */
export function validatePodStatusUpdate(pod: KObject, old: KObject): FieldError[] {
  const errs = validateObjectMetaUpdate(pod.metadata, old.metadata);
  const st = obj(pod.status);
  arr(st.conditions).forEach((c, i) => {
    const t = str(obj(c).type);
    if (systemConditions.has(t)) return;
    for (const m of isQualifiedName(t)) errs.push(fieldErr.invalid(childPath(indexPath("metadata.conditions", i), "Type"), t, m));
  });
  if (str(obj(pod.spec).nodeName) !== str(obj(old.spec).nodeName)) errs.push(fieldErr.forbidden("status.nodeName", "may not be changed directly"));
  const nnn = str(st.nominatedNodeName);
  if (nnn && nnn !== str(obj(old.status).nominatedNodeName))
    for (const m of isDNS1123Subdomain(nnn)) errs.push(fieldErr.invalid("status.nominatedNodeName", nnn, m));
  errs.push(...validatePodIPs(st.podIPs, "status.podIPs"));
  errs.push(...validatePodIPs(st.hostIPs, "status.hostIPs"));
  if (st.podIP && arr(st.podIPs).length > 0 && str(obj(arr(st.podIPs)[0]).ip) !== st.podIP)
    errs.push(fieldErr.invalid("status.podIPs[0].ip", obj(arr(st.podIPs)[0]).ip, "must match `podIP`"));
  return errs;
}

/** pods/binding: target.kind Node (or empty) and a target name. */
export function validateBinding(b: KObject): FieldError[] {
  const errs: FieldError[] = [];
  const t = obj(b.target);
  if (t.kind && t.kind !== "Node") errs.push(fieldErr.notSupported("target.kind", t.kind, ["Node", "<empty>"]));
  if (!t.name) errs.push(fieldErr.required("target.name", ""));
  return errs;
}
