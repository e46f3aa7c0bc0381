/**
 * Storage and quota kinds as upstream: PersistentVolume, PersistentVolumeClaim
 * (spec shared with StatefulSet volumeClaimTemplates), StorageClass,
 * ResourceQuota and LimitRange, with their update rules.
 */

import { fieldErr, type FieldError } from "../../machinery/errors.ts";
import {
  childPath,
  deepEqual,
  indexPath,
  isDNS1123Subdomain,
  isQualifiedName,
  keyPath,
  nameIsDNSSubdomain,
  validateImmutableField,
  validateObjectMeta,
  validateObjectMetaUpdate,
} from "../../machinery/validation.ts";
import type { KObject } from "../types.ts";
import {
  arr,
  isObj,
  obj,
  quantityAt,
  str,
  validateEnum,
  validateLabelSelector,
  validateResourceList,
  validateResourceQuantityValue,
  type Obj,
} from "./common.ts";
import { validateNodeSelector, volumeSourceKinds } from "./podspec.ts";

const accessModes = ["ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod"];
const volumeModes = ["Block", "Filesystem"];
const pvOnlySources = ["local"];

function validateAccessModes(modes: unknown, path: string, requiredMsg: string): FieldError[] {
  const errs: FieldError[] = [];
  const list = arr(modes);
  if (list.length === 0) errs.push(fieldErr.required(path, requiredMsg));
  for (const m of list) if (!accessModes.includes(m)) errs.push(fieldErr.notSupported(path, m, accessModes));
  if (list.includes("ReadWriteOncePod") && list.length > 1)
    errs.push(fieldErr.forbidden(path, "may not use ReadWriteOncePod with other access modes"));
  return errs;
}

function validateStorageClassName(v: unknown, path: string): FieldError[] {
  if (!v) return [];
  return isDNS1123Subdomain(str(v)).map((m) => fieldErr.invalid(path, v, m));
}

// ---------------------------------------------------------------------------
// PersistentVolume

function validatePVSpec(spec: Obj, path: string): FieldError[] {
  const errs: FieldError[] = [];
  errs.push(...validateAccessModes(spec.accessModes, childPath(path, "accessModes"), ""));
  const cap = obj(spec.capacity);
  if (Object.keys(cap).length === 0) errs.push(fieldErr.required(childPath(path, "capacity"), ""));
  else if (!("storage" in cap) || Object.keys(cap).length > 1) errs.push(fieldErr.notSupported(childPath(path, "capacity"), cap, ["storage"]));
  for (const [k, v] of Object.entries(cap)) {
    const kp = keyPath(childPath(path, "capacity"), k);
    const q = quantityAt(v, kp, errs);
    if (q && q.sign() < 0) errs.push(fieldErr.invalid(kp, q.value(), "must be a valid resource quantity"));
    if (q && q.sign() <= 0) errs.push(fieldErr.invalid(kp, q.toString(), "must be greater than zero"));
  }
  if (spec.persistentVolumeReclaimPolicy)
    errs.push(...validateEnum(spec.persistentVolumeReclaimPolicy, ["Delete", "Recycle", "Retain"], childPath(path, "persistentVolumeReclaimPolicy")));
  errs.push(...validateStorageClassName(spec.storageClassName, childPath(path, "storageClassName")));
  if (spec.volumeMode !== undefined && spec.volumeMode !== null) errs.push(...validateEnum(spec.volumeMode, volumeModes, childPath(path, "volumeMode")));
  let n = 0;
  for (const kind of [...volumeSourceKinds.filter((k) => !["emptyDir", "secret", "configMap", "downwardAPI", "projected", "persistentVolumeClaim", "gitRepo", "ephemeral", "image"].includes(k)), ...pvOnlySources]) {
    if (!isObj(spec[kind])) continue;
    if (n++ > 0) {
      errs.push(fieldErr.forbidden(childPath(path, kind), "may not specify more than 1 volume type"));
      continue;
    }
    const src = spec[kind];
    const sp = childPath(path, kind);
    if ((kind === "hostPath" || kind === "local" || kind === "nfs") && !src.path) errs.push(fieldErr.required(childPath(sp, "path"), ""));
    if (kind === "nfs" && !src.server) errs.push(fieldErr.required(childPath(sp, "server"), ""));
    if (kind === "csi") {
      if (!src.driver) errs.push(fieldErr.required(childPath(sp, "driver"), ""));
      if (!src.volumeHandle) errs.push(fieldErr.required(childPath(sp, "volumeHandle"), ""));
    }
    if (kind === "local" && !isObj(spec.nodeAffinity))
      errs.push(fieldErr.required(childPath(path, "nodeAffinity"), "Local volume requires node affinity"));
  }
  if (n === 0) errs.push(fieldErr.required(path, "must specify a volume type"));
  if (isObj(spec.nodeAffinity)) {
    const req = spec.nodeAffinity.required;
    if (!isObj(req)) errs.push(fieldErr.required(childPath(path, "nodeAffinity", "required"), "must specify required node constraints"));
    else errs.push(...validateNodeSelector(req, childPath(path, "nodeAffinity", "required")));
  }
  return errs;
}

export function validatePersistentVolume(o: KObject): FieldError[] {
  return [...validateObjectMeta(o.metadata, false, nameIsDNSSubdomain), ...validatePVSpec(obj(o.spec), "spec")];
}

export function validatePersistentVolumeUpdate(o: KObject, old: KObject): FieldError[] {
  const errs = validateObjectMetaUpdate(o.metadata, old.metadata);
  const ns = obj(o.spec);
  const os = obj(old.spec);
  errs.push(...validatePVSpec(ns, "spec"));
  const source = (s: Obj): Obj => Object.fromEntries([...volumeSourceKinds, ...pvOnlySources].filter((k) => s[k] !== undefined).map((k) => [k, s[k]]));
  if (!deepEqual(source(ns), source(os)))
    errs.push(fieldErr.forbidden("spec.persistentvolumesource", "spec.persistentvolumesource is immutable after creation"));
  errs.push(...validateImmutableField(ns.volumeMode, os.volumeMode, "volumeMode"));
  if (isObj(os.nodeAffinity)) errs.push(...validateImmutableField(ns.nodeAffinity, os.nodeAffinity, "nodeAffinity"));
  return errs;
}

export function validatePersistentVolumeStatusUpdate(o: KObject, old: KObject): FieldError[] {
  const errs = validateObjectMetaUpdate(o.metadata, old.metadata);
  const phase = obj(o.status).phase;
  if (phase) errs.push(...validateEnum(phase, ["Available", "Bound", "Failed", "Pending", "Released"], "status.phase"));
  return errs;
}

// ---------------------------------------------------------------------------
// PersistentVolumeClaim

/** A PVC spec (also used for StatefulSet volumeClaimTemplates). */
export function validatePVCSpec(spec: Obj, path: string): FieldError[] {
  const errs: FieldError[] = [];
  errs.push(...validateAccessModes(spec.accessModes, childPath(path, "accessModes"), "at least 1 access mode is required"));
  errs.push(...validateLabelSelector(spec.selector, childPath(path, "selector")));
  const res = obj(spec.resources);
  const requests = obj(res.requests);
  if (!("storage" in requests)) errs.push(fieldErr.required(keyPath(childPath(path, "resources"), "storage"), ""));
  else {
    const sp = keyPath(childPath(path, "resources", "requests"), "storage");
    const valueErrs = validateResourceQuantityValue("storage", requests.storage, sp);
    errs.push(...valueErrs);
    const scratch: FieldError[] = [];
    const q = quantityAt(requests.storage, sp, scratch);
    if (valueErrs.length === 0 && q && q.sign() <= 0) errs.push(fieldErr.invalid(sp, q.toString(), "must be greater than zero"));
  }
  errs.push(...validateResourceList(res.limits, childPath(path, "resources", "limits")));
  errs.push(...validateStorageClassName(spec.storageClassName, childPath(path, "storageClassName")));
  if (spec.volumeMode !== undefined && spec.volumeMode !== null) errs.push(...validateEnum(spec.volumeMode, volumeModes, childPath(path, "volumeMode")));
  if (isObj(spec.dataSource) && !spec.dataSource.name) errs.push(fieldErr.required(childPath(path, "dataSource", "name"), ""));
  if (isObj(spec.dataSource) && !spec.dataSource.kind) errs.push(fieldErr.required(childPath(path, "dataSource", "kind"), ""));
  return errs;
}

export function validatePersistentVolumeClaim(o: KObject): FieldError[] {
  return [...validateObjectMeta(o.metadata, true, nameIsDNSSubdomain), ...validatePVCSpec(obj(o.spec), "spec")];
}

export function validatePersistentVolumeClaimUpdate(o: KObject, old: KObject): FieldError[] {
  const errs = validateObjectMetaUpdate(o.metadata, old.metadata);
  const ns = obj(o.spec);
  const os = obj(old.spec);
  errs.push(...validatePVCSpec(ns, "spec"));
  const strip = (s: Obj, bound: boolean): Obj => {
    const c: Obj = structuredClone(s);
    // volumeName may be set once by the binder
    if (!os.volumeName) delete c.volumeName;
    if (bound) {
      if (isObj(c.resources)) delete c.resources.requests;
      delete c.volumeAttributesClassName;
    }
    return c;
  };
  const bound = obj(old.status).phase === "Bound";
  if (!deepEqual(strip(ns, bound), strip(os, bound)))
    errs.push(fieldErr.forbidden("spec", "spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims"));
  if (bound) {
    const scratch: FieldError[] = [];
    const newSize = quantityAt(obj(obj(ns.resources).requests).storage, "", scratch);
    const capacity = quantityAt(obj(obj(old.status).capacity).storage ?? obj(obj(os.resources).requests).storage, "", scratch);
    if (newSize && capacity && newSize.cmp(capacity) < 0)
      errs.push(fieldErr.forbidden("spec.resources.requests.storage", "field can not be less than status.capacity"));
  }
  return errs;
}

export function validatePersistentVolumeClaimStatusUpdate(o: KObject, old: KObject): FieldError[] {
  const errs = validateObjectMetaUpdate(o.metadata, old.metadata);
  const st = obj(o.status);
  if (st.phase) errs.push(...validateEnum(st.phase, ["Bound", "Lost", "Pending"], "status.phase"));
  errs.push(...validateResourceList(st.capacity, "status.capacity"));
  return errs;
}

// ---------------------------------------------------------------------------
// StorageClass

const maxProvisionerParameterSize = 256 * 1024;
const maxProvisionerParameterLen = 512;

export function validateStorageClass(o: KObject): FieldError[] {
  const errs = validateObjectMeta(o.metadata, false, nameIsDNSSubdomain);
  const prov = str(o.provisioner);
  if (!prov) errs.push(fieldErr.required("provisioner", prov));
  else {
    if (prov.length > 63) errs.push(fieldErr.tooLong("provisioner", 63));
    for (const m of isQualifiedName(prov.toLowerCase())) errs.push(fieldErr.invalid("provisioner", prov, m));
  }
  const params = obj(o.parameters);
  let total = 0;
  for (const [k, v] of Object.entries(params)) {
    if (!k) errs.push(fieldErr.invalid("parameters", k, "field can not be empty."));
    total += k.length + str(v).length;
  }
  if (Object.keys(params).length > maxProvisionerParameterLen)
    errs.push(fieldErr.tooLong("parameters", maxProvisionerParameterLen));
  if (total > maxProvisionerParameterSize) errs.push(fieldErr.tooLong("parameters", maxProvisionerParameterSize));
  errs.push(...validateEnum(o.reclaimPolicy, ["Delete", "Retain"], "reclaimPolicy", false));
  errs.push(...validateEnum(o.volumeBindingMode, ["Immediate", "WaitForFirstConsumer"], "volumeBindingMode"));
  arr(o.allowedTopologies).forEach((t, i) => {
    const tp = indexPath("allowedTopologies", i);
    const exprs = arr(obj(t).matchLabelExpressions);
    if (exprs.length === 0) errs.push(fieldErr.required(childPath(tp, "matchLabelExpressions"), "must have at least one label expression"));
    exprs.forEach((e, j) => {
      const ep = indexPath(childPath(tp, "matchLabelExpressions"), j);
      for (const m of isQualifiedName(str(obj(e).key))) errs.push(fieldErr.invalid(childPath(ep, "key"), obj(e).key, m));
      if (arr(obj(e).values).length === 0) errs.push(fieldErr.required(childPath(ep, "values"), "must specify as least one value"));
    });
  });
  return errs;
}

export function validateStorageClassUpdate(o: KObject, old: KObject): FieldError[] {
  const errs = validateObjectMetaUpdate(o.metadata, old.metadata);
  errs.push(...validateStorageClass({ ...o, metadata: { ...o.metadata, name: o.metadata.name } }).filter((e) => !e.field.startsWith("metadata")));
  if (!deepEqual(o.parameters ?? {}, old.parameters ?? {})) errs.push(fieldErr.forbidden("parameters", "updates to parameters are forbidden."));
  if (o.provisioner !== old.provisioner) errs.push(fieldErr.forbidden("provisioner", "updates to provisioner are forbidden."));
  if (o.reclaimPolicy !== old.reclaimPolicy) errs.push(fieldErr.forbidden("reclaimPolicy", "updates to reclaimPolicy are forbidden."));
  errs.push(...validateImmutableField(o.volumeBindingMode, old.volumeBindingMode, "volumeBindingMode"));
  return errs;
}

// ---------------------------------------------------------------------------
// ResourceQuota and LimitRange

const quotaScopes = ["BestEffort", "CrossNamespacePodAffinity", "NotBestEffort", "NotTerminating", "PriorityClass", "Terminating", "VolumeAttributesClass"];

function validateQuotaSpec(spec: Obj, path: string): FieldError[] {
  const errs = validateResourceList(spec.hard, childPath(path, "hard"));
  const scopes = arr(spec.scopes);
  for (const sc of scopes) if (!quotaScopes.includes(sc)) errs.push(fieldErr.invalid(childPath(path, "scopes"), scopes, "unsupported scope"));
  for (const [a, b] of [["BestEffort", "NotBestEffort"], ["Terminating", "NotTerminating"]])
    if (scopes.includes(a) && scopes.includes(b)) errs.push(fieldErr.invalid(childPath(path, "scopes"), scopes, "conflicting scopes"));
  arr(obj(spec.scopeSelector).matchExpressions).forEach((e, i) => {
    const ep = indexPath(childPath(path, "scopeSelector", "matchExpressions"), i);
    const r = obj(e);
    if (!quotaScopes.includes(r.scopeName)) errs.push(fieldErr.invalid(childPath(ep, "scopeName"), r.scopeName, "unsupported scope"));
    errs.push(...validateEnum(r.operator, ["DoesNotExist", "Exists", "In", "NotIn"], childPath(ep, "operator")));
  });
  return errs;
}

export function validateResourceQuota(o: KObject): FieldError[] {
  return [...validateObjectMeta(o.metadata, true, nameIsDNSSubdomain), ...validateQuotaSpec(obj(o.spec), "spec")];
}

export function validateResourceQuotaUpdate(o: KObject, old: KObject): FieldError[] {
  return [...validateObjectMetaUpdate(o.metadata, old.metadata), ...validateQuotaSpec(obj(o.spec), "spec")];
}

export function validateResourceQuotaStatusUpdate(o: KObject, old: KObject): FieldError[] {
  const errs = validateObjectMetaUpdate(o.metadata, old.metadata);
  errs.push(...validateResourceList(obj(o.status).hard, "status.hard"));
  errs.push(...validateResourceList(obj(o.status).used, "status.used"));
  return errs;
}

const limitFields = ["max", "min", "default", "defaultRequest", "maxLimitRequestRatio"] as const;

function validateLimitRangeSpec(spec: Obj, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const types = new Set<string>();
  arr(spec.limits).forEach((raw, i) => {
    const item = obj(raw);
    const ip = indexPath(childPath(path, "limits"), i);
    const type = str(item.type);
    if (types.has(type)) errs.push(fieldErr.duplicate(childPath(ip, "type"), type));
    types.add(type);
    if (!["Pod", "Container", "PersistentVolumeClaim"].includes(type))
      for (const m of isQualifiedName(type)) errs.push(fieldErr.invalid(childPath(ip, "type"), type, m));
    const scratch: FieldError[] = [];
    const q = (field: string, k: string) => quantityAt(obj(item[field])[k], "", scratch);
    for (const f of limitFields) errs.push(...validateResourceList(item[f], childPath(ip, f)));
    if (type === "Pod") {
      if (isObj(item.default) && Object.keys(item.default).length)
        errs.push(fieldErr.forbidden(childPath(ip, "default"), "may not be specified when `type` is 'Pod'"));
      if (isObj(item.defaultRequest) && Object.keys(item.defaultRequest).length)
        errs.push(fieldErr.forbidden(childPath(ip, "defaultRequest"), "may not be specified when `type` is 'Pod'"));
    }
    const keys = new Set<string>(limitFields.flatMap((f) => Object.keys(obj(item[f]))));
    for (const k of keys) {
      const min = q("min", k);
      const max = q("max", k);
      const def = q("default", k);
      const defReq = q("defaultRequest", k);
      const ratio = q("maxLimitRequestRatio", k);
      if (min && max && min.cmp(max) > 0)
        errs.push(fieldErr.invalid(keyPath(childPath(ip, "min"), k), min.toString(), `min value ${min} is greater than max value ${max}`));
      if (defReq && def && defReq.cmp(def) > 0)
        errs.push(fieldErr.invalid(keyPath(childPath(ip, "defaultRequest"), k), defReq.toString(), `default request value ${defReq} is greater than default limit value ${def}`));
      if (defReq && min && min.cmp(defReq) > 0)
        errs.push(fieldErr.invalid(keyPath(childPath(ip, "defaultRequest"), k), defReq.toString(), `min value ${min} is greater than default request value ${defReq}`));
      if (defReq && max && defReq.cmp(max) > 0)
        errs.push(fieldErr.invalid(keyPath(childPath(ip, "defaultRequest"), k), defReq.toString(), `default request value ${defReq} is greater than max value ${max}`));
      if (def && min && min.cmp(def) > 0)
        errs.push(fieldErr.invalid(keyPath(childPath(ip, "default"), k), def.toString(), `min value ${min} is greater than default value ${def}`));
      if (def && max && def.cmp(max) > 0)
        errs.push(fieldErr.invalid(keyPath(childPath(ip, "default"), k), def.toString(), `default value ${def} is greater than max value ${max}`));
      if (ratio && ratio.milliValue() < 1000)
        errs.push(fieldErr.invalid(keyPath(childPath(ip, "maxLimitRequestRatio"), k), ratio.toString(), "ratio must be greater than or equal to 1"));
    }
  });
  return errs;
}

export function validateLimitRange(o: KObject): FieldError[] {
  return [...validateObjectMeta(o.metadata, true, nameIsDNSSubdomain), ...validateLimitRangeSpec(obj(o.spec), "spec")];
}

export function validateLimitRangeUpdate(o: KObject, old: KObject): FieldError[] {
  return [...validateObjectMetaUpdate(o.metadata, old.metadata), ...validateLimitRangeSpec(obj(o.spec), "spec")];
}
