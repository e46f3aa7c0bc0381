/**
 * Pod validation as upstream: create (metadata + spec + pod-only checks),
 * update (only container images, activeDeadlineSeconds, added tolerations,
 * removed scheduling gates and the negative-grace-period fix may change;
 * anything else is `pod updates may not change fields other than ...`),
 * status updates (conditions, IPs, nominated node, QoS class, container state
 * transitions) and Binding.
 */

import { fieldErr, type FieldError } from "../../machinery/errors.ts";
import {
  childPath,
  deepEqual,
  inclusiveRangeError,
  indexPath,
  isDNS1123Subdomain,
  isIPv4Address,
  isQualifiedName,
  isValidIP,
  nameIsDNSSubdomain,
  validateImmutableField,
  validateObjectMeta,
  validateObjectMetaUpdate,
} from "../../machinery/validation.ts";
import type { KObject } from "../types.ts";
import { arr, isObj, obj, str, type Obj } from "./common.ts";
import { validateContainersOnlyForPod } from "./containers.ts";
import { validatePodSpec, validateTolerations } from "./podspec.ts";

const maxInt32 = 2147483647;

const updatablePodSpecFields = [
  "`spec.containers[*].image`",
  "`spec.initContainers[*].image`",
  "`spec.activeDeadlineSeconds`",
  "`spec.tolerations` (only additions to existing tolerations)",
  "`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)",
];

/** Metadata, spec and the checks that apply to Pods but not to templates. */
function validatePodMetadataAndSpec(pod: KObject): FieldError[] {
  const errs = validateObjectMeta(pod.metadata, true, nameIsDNSSubdomain);
  const spec = obj(pod.spec);
  errs.push(...validatePodSpec(pod.spec, "spec", true));
  if (!spec.serviceAccountName)
    arr(spec.volumes).forEach((v, vi) => {
      arr(obj(obj(v).projected).sources).forEach((src, si) => {
        if (isObj(obj(src).serviceAccountToken))
          errs.push(
            fieldErr.forbidden(
              `spec.volumes[${vi}].projected.sources[${si}].serviceAccountToken`,
              "must not be specified when serviceAccountName is not set",
            ),
          );
      });
    });
  errs.push(...validateContainersOnlyForPod(spec.containers, "spec.containers"));
  errs.push(...validateContainersOnlyForPod(spec.initContainers, "spec.initContainers"));
  return errs;
}

export function validatePodCreate(pod: KObject): FieldError[] {
  const errs = validatePodMetadataAndSpec(pod);
  const spec = obj(pod.spec);
  if (arr(spec.ephemeralContainers).length > 0) errs.push(fieldErr.forbidden("spec.ephemeralContainers", "cannot be set on create"));
  if (spec.nodeName && arr(spec.schedulingGates).length > 0)
    errs.push(fieldErr.forbidden("spec.nodeName", "cannot be set until all schedulingGates have been cleared"));
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

function validateContainerUpdates(newList: unknown, oldList: unknown, path: string): { errs: FieldError[]; stop: boolean } {
  const n = arr(newList);
  if (n.length !== arr(oldList).length) return { errs: [fieldErr.forbidden(path, "pod updates may not add or remove containers")], stop: true };
  const errs: FieldError[] = [];
  n.forEach((c, i) => {
    const image = obj(c).image;
    if (!image) errs.push(fieldErr.required(childPath(indexPath(path, i), "image"), ""));
    if (typeof image === "string" && image.trim() !== image)
      errs.push(fieldErr.invalid(childPath(indexPath(path, i), "image"), image, "must not have leading or trailing whitespace"));
  });
  return { errs, stop: false };
}

function validateOnlyAddedTolerations(newT: unknown[], oldT: unknown[], path: string): FieldError[] {
  for (const old of oldT) {
    const found = newT.some((n) => deepEqual({ ...obj(old), tolerationSeconds: obj(n).tolerationSeconds }, n));
    if (!found) return [fieldErr.forbidden(path, "existing toleration can not be modified except its tolerationSeconds")];
  }
  return validateTolerations(newT, path);
}

export function validatePodUpdate(pod: KObject, old: KObject): FieldError[] {
  const errs = validateObjectMetaUpdate(pod.metadata, old.metadata);
  errs.push(...validatePodMetadataAndSpec(pod));
  const ns = obj(pod.spec);
  const os = obj(old.spec);
  for (const key of ["containers", "initContainers"]) {
    const r = validateContainerUpdates(ns[key], os[key], `spec.${key}`);
    errs.push(...r.errs);
    if (r.stop) return errs;
  }
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
  errs.push(...validateOnlyAddedTolerations(arr(ns.tolerations), arr(os.tolerations), "spec.tolerations"));
  const oldGates = new Set(arr(os.schedulingGates).map((g) => obj(g).name));
  arr(ns.schedulingGates).forEach((g, i) => {
    const name = obj(g).name;
    if (!oldGates.has(name))
      errs.push(fieldErr.forbidden(`spec.schedulingGates[${i}].name`, `only deletion is allowed, but found new scheduling gate '${name}'`));
  });
  if (deepEqual(ns, os)) return errs;
  // The spec the update would have produced if only the mutable fields changed.
  const munged: Obj = structuredClone(ns);
  munged.containers = arr(ns.containers).map((c, i) => ({ ...obj(c), image: obj(arr(os.containers)[i]).image }));
  if (ns.initContainers !== undefined)
    munged.initContainers = arr(ns.initContainers).map((c, i) => ({ ...obj(c), image: obj(arr(os.initContainers)[i]).image }));
  munged.activeDeadlineSeconds = os.activeDeadlineSeconds;
  munged.schedulingGates = os.schedulingGates;
  munged.tolerations = os.tolerations;
  if (typeof os.terminationGracePeriodSeconds === "number" && os.terminationGracePeriodSeconds < 0 && munged.terminationGracePeriodSeconds === 1)
    munged.terminationGracePeriodSeconds = os.terminationGracePeriodSeconds;
  if (arr(os.schedulingGates).length > 0) {
    // gated pods may still gain node selector entries and node affinity
    const oldSel = obj(os.nodeSelector);
    const addsOnly = Object.entries(oldSel).every(([k, v]) => obj(munged.nodeSelector)[k] === v);
    if (addsOnly) munged.nodeSelector = os.nodeSelector;
    if (isObj(munged.affinity) || isObj(os.affinity)) {
      const a: Obj = { ...obj(munged.affinity), nodeAffinity: obj(os.affinity).nodeAffinity };
      for (const k of Object.keys(a)) if (a[k] === undefined) delete a[k];
      munged.affinity = Object.keys(a).length || isObj(os.affinity) ? a : undefined;
    }
  }
  for (const k of Object.keys(munged)) if (munged[k] === undefined) delete munged[k];
  if (!deepEqual(munged, os))
    errs.push(fieldErr.forbidden("spec", `pod updates may not change fields other than ${updatablePodSpecFields.join(",")}\n${describeDiff(os, munged)}`));
  return errs;
}

const systemConditions = new Set(["PodScheduled", "Ready", "Initialized"]);

function validateIPList(ips: unknown, path: string, primary: unknown, primaryMsg: string | undefined): FieldError[] {
  const errs: FieldError[] = [];
  const list = arr(ips);
  if (list.length === 0) return errs;
  if (primaryMsg && str(primary) !== str(obj(list[0]).ip)) errs.push(fieldErr.invalid(`${path}[0].ip`, obj(list[0]).ip, primaryMsg));
  list.forEach((raw, i) => {
    for (const m of isValidIP(str(obj(raw).ip))) errs.push(fieldErr.invalid(indexPath(path, i), obj(raw).ip, m));
  });
  if (list.length > 1) {
    const v4 = list.filter((r) => isIPv4Address(str(obj(r).ip))).length;
    if (list.length > 2 || v4 !== 1) errs.push(fieldErr.invalid(path, list, "may specify no more than one IP for each IP family"));
    const seen = new Set<string>();
    list.forEach((raw, i) => {
      const ip = str(obj(raw).ip);
      if (seen.has(ip)) errs.push(fieldErr.duplicate(indexPath(path, i), raw));
      seen.add(ip);
    });
  }
  return errs;
}

function validateStateTransitions(newStatuses: unknown, oldStatuses: unknown, path: string, restartPolicy: unknown, initSpecs?: unknown[]): FieldError[] {
  const errs: FieldError[] = [];
  if (restartPolicy === "Always") return errs;
  arr(oldStatuses).forEach((raw, i) => {
    const o = obj(raw);
    const term = obj(o.state).terminated;
    if (!isObj(term)) return;
    if (term.exitCode !== 0 && restartPolicy === "OnFailure") return;
    if (initSpecs && initSpecs.some((c) => obj(c).name === o.name && obj(c).restartPolicy === "Always")) return;
    for (const n of arr(newStatuses))
      if (obj(n).name === o.name && !isObj(obj(obj(n).state).terminated))
        errs.push(fieldErr.forbidden(childPath(indexPath(path, i), "state"), "may not be transitioned to non-terminated state"));
  });
  return errs;
}

/** /status updates: metadata rules, conditions, nodeName unchanged, QoS class, container states, IP lists. */
export function validatePodStatusUpdate(pod: KObject, old: KObject): FieldError[] {
  const errs = validateObjectMetaUpdate(pod.metadata, old.metadata);
  const st = obj(pod.status);
  const ost = obj(old.status);
  arr(st.conditions).forEach((c, i) => {
    const t = str(obj(c).type);
    if (systemConditions.has(t)) return;
    for (const m of isQualifiedName(t)) errs.push(fieldErr.invalid(childPath(indexPath("metadata.conditions", i), "Type"), t, m));
  });
  if (str(obj(pod.spec).nodeName) !== str(obj(old.spec).nodeName)) errs.push(fieldErr.forbidden("status.nodeName", "may not be changed directly"));
  const nnn = str(st.nominatedNodeName);
  if (nnn && nnn !== str(ost.nominatedNodeName))
    for (const m of isDNS1123Subdomain(nnn)) errs.push(fieldErr.invalid("status.nominatedNodeName", nnn, m));
  errs.push(...validateImmutableField(st.qosClass ?? "", ost.qosClass ?? "", "status.qosClass"));
  const rp = obj(old.spec).restartPolicy;
  errs.push(...validateStateTransitions(st.containerStatuses, ost.containerStatuses, "status.containerStatuses", rp));
  errs.push(...validateStateTransitions(st.initContainerStatuses, ost.initContainerStatuses, "status.initContainerStatuses", rp, arr(obj(old.spec).initContainers)));
  errs.push(...validateStateTransitions(st.ephemeralContainerStatuses, ost.ephemeralContainerStatuses, "status.ephemeralContainerStatuses", "Never"));
  errs.push(...validateIPList(st.podIPs, "status.podIPs", undefined, undefined));
  errs.push(...validateIPList(st.hostIPs, "status.hostIPs", st.hostIP, "must be equal to `hostIP`"));
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
