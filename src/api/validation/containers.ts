/**
 * Validation of core/v1 Containers as upstream's pkg/apis/core/validation:
 * names, images, ports, env and envFrom, volume mounts, resources
 * (requests <= limits), probes and lifecycle handlers, pull and termination
 * message policies, for regular and init containers.
 */

import { fieldErr, type FieldError } from "../../machinery/errors.ts";
import {
  childPath,
  indexPath,
  isConfigMapKey,
  isDNS1123Label,
  isDNS1123Subdomain,
  isRelaxedEnvVarName,
  isValidIP,
  isValidPortName,
  isValidPortNum,
  keyPath,
  validateNonnegativeField,
} from "../../machinery/validation.ts";
import {
  arr,
  isExtendedResourceName,
  isHugePageResourceName,
  isNativeResource,
  isObj,
  isOvercommitAllowed,
  obj,
  quantityAt,
  str,
  validateEnum,
  validatePortNumOrName,
  validateResourceName,
  validateResourceQuantityValue,
  type Obj,
} from "./common.ts";

export const supportedPortProtocols = ["SCTP", "TCP", "UDP"] as const;
const pullPolicies = ["Always", "IfNotPresent", "Never"];
const standardContainerResources = new Set(["cpu", "memory", "ephemeral-storage"]);

const envFieldPaths = [
  "metadata.annotations",
  "metadata.labels",
  "metadata.name",
  "metadata.namespace",
  "metadata.uid",
  "spec.nodeName",
  "spec.serviceAccountName",
  "status.hostIP",
  "status.hostIPs",
  "status.podIP",
  "status.podIPs",
];

const validResourceFieldRefs = [
  "limits.cpu",
  "limits.ephemeral-storage",
  "limits.memory",
  "requests.cpu",
  "requests.ephemeral-storage",
  "requests.memory",
];

function validateContainerPorts(ports: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const names = new Set<string>();
  arr(ports).forEach((raw, i) => {
    const p = obj(raw);
    const ip = indexPath(path, i);
    if (p.name) {
      const name = str(p.name);
      const msgs = isValidPortName(name);
      for (const m of msgs) errs.push(fieldErr.invalid(childPath(ip, "name"), name, m));
      if (msgs.length === 0 && names.has(name)) errs.push(fieldErr.duplicate(childPath(ip, "name"), name));
      names.add(name);
    }
    if (!p.containerPort) errs.push(fieldErr.required(childPath(ip, "containerPort"), ""));
    else for (const m of isValidPortNum(p.containerPort)) errs.push(fieldErr.invalid(childPath(ip, "containerPort"), p.containerPort, m));
    if (p.hostPort) for (const m of isValidPortNum(p.hostPort)) errs.push(fieldErr.invalid(childPath(ip, "hostPort"), p.hostPort, m));
    errs.push(...validateEnum(p.protocol, supportedPortProtocols, childPath(ip, "protocol")));
    if (p.hostIP) for (const m of isValidIP(str(p.hostIP))) errs.push(fieldErr.invalid(childPath(ip, "hostIP"), p.hostIP, m));
  });
  return errs;
}

function validateKeySelector(sel: Obj, path: string, nameKind: "configMap" | "secret"): FieldError[] {
  const errs: FieldError[] = [];
  if (!sel.name) errs.push(fieldErr.required(childPath(path, "name"), ""));
  else if (nameKind === "configMap" || nameKind === "secret")
    for (const m of isDNS1123Subdomain(str(sel.name))) errs.push(fieldErr.invalid(childPath(path, "name"), sel.name, m));
  if (!sel.key) errs.push(fieldErr.required(childPath(path, "key"), ""));
  else for (const m of isConfigMapKey(str(sel.key))) errs.push(fieldErr.invalid(childPath(path, "key"), sel.key, m));
  return errs;
}

function validateFieldRef(ref: Obj, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!ref.apiVersion) errs.push(fieldErr.required(childPath(path, "apiVersion"), ""));
  const fp = str(ref.fieldPath);
  if (!fp) {
    errs.push(fieldErr.required(childPath(path, "fieldPath"), ""));
    return errs;
  }
  const sub = /^(metadata\.(?:labels|annotations))\['(.+)'\]$/.exec(fp);
  if (sub) return errs;
  if (fp === "metadata.labels" || fp === "metadata.annotations" || !envFieldPaths.includes(fp))
    errs.push(fieldErr.notSupported(childPath(path, "fieldPath"), fp, envFieldPaths));
  return errs;
}

/** Environment variables (relaxed names, as upstream's default). */
export function validateEnv(env: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  arr(env).forEach((raw, i) => {
    const ev = obj(raw);
    const ip = indexPath(path, i);
    if (!ev.name) errs.push(fieldErr.required(childPath(ip, "name"), ""));
    else for (const m of isRelaxedEnvVarName(str(ev.name))) errs.push(fieldErr.invalid(childPath(ip, "name"), ev.name, m));
    if (!isObj(ev.valueFrom)) return;
    const vf = ev.valueFrom;
    const vp = childPath(ip, "valueFrom");
    let n = 0;
    if (isObj(vf.fieldRef)) {
      n++;
      errs.push(...validateFieldRef(vf.fieldRef, childPath(vp, "fieldRef")));
    }
    if (isObj(vf.resourceFieldRef)) {
      n++;
      const r = vf.resourceFieldRef;
      if (!r.resource) errs.push(fieldErr.required(childPath(vp, "resourceFieldRef", "resource"), ""));
      else if (!validResourceFieldRefs.includes(r.resource) && !/^(limits|requests)\.hugepages-/.test(r.resource))
        errs.push(fieldErr.notSupported(childPath(vp, "resourceFieldRef", "resource"), r.resource, validResourceFieldRefs));
    }
    if (isObj(vf.configMapKeyRef)) {
      n++;
      errs.push(...validateKeySelector(vf.configMapKeyRef, childPath(vp, "configMapKeyRef"), "configMap"));
    }
    if (isObj(vf.secretKeyRef)) {
      n++;
      errs.push(...validateKeySelector(vf.secretKeyRef, childPath(vp, "secretKeyRef"), "secret"));
    }
    if (isObj(vf.fileKeyRef)) n++;
    if (n === 0)
      errs.push(fieldErr.invalid(vp, "", "must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`"));
    else if (ev.value) errs.push(fieldErr.invalid(vp, "", "may not be specified when `value` is not empty"));
    else if (n > 1) errs.push(fieldErr.invalid(vp, "", "may not have more than one field specified at a time"));
  });
  return errs;
}

function validateEnvFrom(envFrom: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  arr(envFrom).forEach((raw, i) => {
    const ef = obj(raw);
    const ip = indexPath(path, i);
    if (ef.prefix) for (const m of isRelaxedEnvVarName(str(ef.prefix))) errs.push(fieldErr.invalid(childPath(ip, "prefix"), ef.prefix, m));
    let n = 0;
    for (const kind of ["configMapRef", "secretRef"]) {
      if (!isObj(ef[kind])) continue;
      n++;
      const name = str(ef[kind].name);
      for (const m of isDNS1123Subdomain(name)) errs.push(fieldErr.invalid(childPath(ip, kind, "name"), name, m));
    }
    if (n === 0) errs.push(fieldErr.invalid(ip, "", "must specify one of: `configMapRef` or `secretRef`"));
    else if (n > 1) errs.push(fieldErr.invalid(ip, "", "may not have more than one field specified at a time"));
  });
  return errs;
}

/** Upstream's check for relative paths inside a volume (`items[].path`, `subPath`). */
export function validateLocalDescendingPath(p: string, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (p.startsWith("/")) errs.push(fieldErr.invalid(path, p, "must be a relative path"));
  if (p.split(/[\\/]/).includes("..")) errs.push(fieldErr.invalid(path, p, "must not contain '..'"));
  return errs;
}

function validateVolumeMounts(mounts: unknown, volumes: ReadonlyMap<string, Obj>, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const mountPoints = new Set<string>();
  arr(mounts).forEach((raw, i) => {
    const m = obj(raw);
    const ip = indexPath(path, i);
    if (!m.name) errs.push(fieldErr.required(childPath(ip, "name"), ""));
    else if (!volumes.has(m.name)) errs.push(fieldErr.notFound(childPath(ip, "name"), m.name));
    if (!m.mountPath) errs.push(fieldErr.required(childPath(ip, "mountPath"), ""));
    else if (mountPoints.has(m.mountPath)) errs.push(fieldErr.invalid(childPath(ip, "mountPath"), m.mountPath, "must be unique"));
    if (m.mountPath) mountPoints.add(m.mountPath);
    if (m.subPath) errs.push(...validateLocalDescendingPath(str(m.subPath), childPath(ip, "subPath")));
    if (m.subPath && m.subPathExpr)
      errs.push(fieldErr.invalid(childPath(ip, "subPathExpr"), m.subPathExpr, "subPathExpr and subPath are mutually exclusive"));
    if (m.mountPropagation !== undefined)
      errs.push(...validateEnum(m.mountPropagation, ["Bidirectional", "HostToContainer", "None"], childPath(ip, "mountPropagation")));
  });
  return errs;
}

function validateContainerResourceName(name: string, path: string): FieldError[] {
  const errs = validateResourceName(name, path);
  if (!name.includes("/")) {
    if (!standardContainerResources.has(name) && !isHugePageResourceName(name))
      errs.push(fieldErr.invalid(path, name, "must be a standard resource for containers"));
  } else if (!isNativeResource(name) && !isExtendedResourceName(name)) {
    errs.push(fieldErr.invalid(path, name, "doesn't follow extended resource name standard"));
  }
  return errs;
}

/** Container (or pod-level) resources: names, quantities, requests <= limits. */
export function validateResourceRequirements(res: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const r = obj(res);
  const limPath = childPath(path, "limits");
  const reqPath = childPath(path, "requests");
  const limits = obj(r.limits);
  for (const [k, v] of Object.entries(limits)) {
    const kp = keyPath(limPath, k);
    errs.push(...validateContainerResourceName(k, kp));
    errs.push(...validateResourceQuantityValue(k, v, kp));
  }
  for (const [k, v] of Object.entries(obj(r.requests))) {
    const kp = keyPath(reqPath, k);
    errs.push(...validateContainerResourceName(k, kp));
    errs.push(...validateResourceQuantityValue(k, v, kp));
    const scratch: FieldError[] = [];
    const q = quantityAt(v, kp, scratch);
    if (k in limits) {
      const l = quantityAt(limits[k], kp, scratch);
      if (!q || !l) continue;
      if (q.cmp(l) !== 0 && !isOvercommitAllowed(k))
        errs.push(fieldErr.invalid(reqPath, q.toString(), `must be equal to ${k} limit of ${l.toString()}`));
      else if (q.cmp(l) > 0)
        errs.push(fieldErr.invalid(reqPath, q.toString(), `must be less than or equal to ${k} limit of ${l.toString()}`));
    } else if (!isOvercommitAllowed(k)) {
      errs.push(fieldErr.required(limPath, "Limit must be set for non overcommitable resources"));
    }
  }
  return errs;
}

const handlerKinds = ["exec", "httpGet", "tcpSocket", "grpc", "sleep"] as const;

function validateHandler(h: Obj, path: string, allowed: readonly string[]): FieldError[] {
  const errs: FieldError[] = [];
  let n = 0;
  for (const kind of handlerKinds) {
    if (!isObj(h[kind])) continue;
    if (!allowed.includes(kind)) continue;
    if (n++ > 0) {
      errs.push(fieldErr.forbidden(childPath(path, kind), "may not specify more than 1 handler type"));
      continue;
    }
    const a = h[kind];
    const ap = childPath(path, kind);
    switch (kind) {
      case "exec":
        if (arr(a.command).length === 0) errs.push(fieldErr.required(childPath(ap, "command"), ""));
        break;
      case "httpGet":
        if (!a.path) errs.push(fieldErr.required(childPath(ap, "path"), ""));
        errs.push(...validatePortNumOrName(a.port, childPath(ap, "port"), isValidPortNum, isValidPortName));
        errs.push(...validateEnum(a.scheme, ["HTTP", "HTTPS"], childPath(ap, "scheme")));
        arr(a.httpHeaders).forEach((hh, i) => {
          const name = str(obj(hh).name);
          if (!/^[-A-Za-z0-9!#$%&'*+.^_`|~]+$/.test(name))
            errs.push(
              fieldErr.invalid(
                childPath(indexPath(childPath(ap, "httpHeaders"), i), "name"),
                name,
                "a valid HTTP header must consist of alphanumeric characters or '-' (e.g. 'X-Header-Name', regex used for validation is '[-A-Za-z0-9]+')",
              ),
            );
        });
        break;
      case "tcpSocket":
        errs.push(...validatePortNumOrName(a.port, childPath(ap, "port"), isValidPortNum, isValidPortName));
        break;
      case "grpc":
        for (const m of isValidPortNum(a.port)) errs.push(fieldErr.invalid(childPath(ap, "port"), a.port, m));
        break;
      case "sleep":
        if (typeof a.seconds !== "number" || a.seconds < 0)
          errs.push(fieldErr.invalid(childPath(ap, "seconds"), a.seconds, "must be non-negative"));
        break;
    }
  }
  if (n === 0) errs.push(fieldErr.required(path, "must specify a handler type"));
  return errs;
}

function validateProbe(probe: unknown, path: string): FieldError[] {
  if (!isObj(probe)) return [];
  const errs = validateHandler(probe, path, ["exec", "httpGet", "tcpSocket", "grpc"]);
  for (const f of ["initialDelaySeconds", "timeoutSeconds", "periodSeconds", "successThreshold", "failureThreshold"])
    if (typeof probe[f] === "number") errs.push(...validateNonnegativeField(probe[f], childPath(path, f)));
  if (typeof probe.terminationGracePeriodSeconds === "number" && probe.terminationGracePeriodSeconds <= 0)
    errs.push(fieldErr.invalid(childPath(path, "terminationGracePeriodSeconds"), probe.terminationGracePeriodSeconds, "must be greater than 0"));
  return errs;
}

function validateLifecycle(lc: unknown, path: string): FieldError[] {
  if (!isObj(lc)) return [];
  const errs: FieldError[] = [];
  for (const hook of ["postStart", "preStop"])
    if (isObj(lc[hook])) errs.push(...validateHandler(lc[hook], childPath(path, hook), ["exec", "httpGet", "tcpSocket", "sleep"]));
  return errs;
}

/** Fields common to every container type. */
function validateContainerCommon(c: Obj, path: string, volumes: ReadonlyMap<string, Obj>): FieldError[] {
  const errs: FieldError[] = [];
  if (!c.image) errs.push(fieldErr.required(childPath(path, "image"), ""));
  errs.push(...validateEnum(c.imagePullPolicy, pullPolicies, childPath(path, "imagePullPolicy")));
  const tmp = c.terminationMessagePolicy;
  if (tmp === undefined || tmp === "")
    errs.push(fieldErr.required(childPath(path, "terminationMessagePolicy"), "must be 'File' or 'FallbackToLogsOnError'"));
  else if (tmp !== "File" && tmp !== "FallbackToLogsOnError")
    errs.push(fieldErr.invalid(childPath(path, "terminationMessagePolicy"), tmp, "must be 'File' or 'FallbackToLogsOnError'"));
  errs.push(...validateContainerPorts(c.ports, childPath(path, "ports")));
  errs.push(...validateEnv(c.env, childPath(path, "env")));
  errs.push(...validateEnvFrom(c.envFrom, childPath(path, "envFrom")));
  errs.push(...validateVolumeMounts(c.volumeMounts, volumes, childPath(path, "volumeMounts")));
  errs.push(...validateResourceRequirements(c.resources, childPath(path, "resources")));
  if (c.workingDir !== undefined && typeof c.workingDir !== "string")
    errs.push(fieldErr.invalid(childPath(path, "workingDir"), c.workingDir, "must be a string"));
  return errs;
}

function validateName(c: Obj, path: string, names: Set<string>): FieldError[] {
  const errs: FieldError[] = [];
  const np = childPath(path, "name");
  if (!c.name) errs.push(fieldErr.required(np, ""));
  else {
    for (const m of isDNS1123Label(str(c.name))) errs.push(fieldErr.invalid(np, c.name, m));
    if (names.has(c.name)) errs.push(fieldErr.duplicate(np, c.name));
    names.add(c.name);
  }
  return errs;
}

/** Regular containers: at least one; names unique (seeding `names`). */
export function validateContainers(
  containers: unknown,
  volumes: ReadonlyMap<string, Obj>,
  path: string,
  names: Set<string>,
): FieldError[] {
  const errs: FieldError[] = [];
  const list = arr(containers);
  if (list.length === 0) return [fieldErr.required(path, "")];
  list.forEach((raw, i) => {
    const c = obj(raw);
    const ip = indexPath(path, i);
    errs.push(...validateName(c, ip, names));
    errs.push(...validateContainerCommon(c, ip, volumes));
    if (c.restartPolicy !== undefined && c.restartPolicy !== null)
      errs.push(fieldErr.forbidden(childPath(ip, "restartPolicy"), "may not be set for non-init containers"));
    errs.push(...validateLifecycle(c.lifecycle, childPath(ip, "lifecycle")));
    errs.push(...validateProbe(c.livenessProbe, childPath(ip, "livenessProbe")));
    errs.push(...validateProbe(c.readinessProbe, childPath(ip, "readinessProbe")));
    errs.push(...validateProbe(c.startupProbe, childPath(ip, "startupProbe")));
    for (const probe of ["livenessProbe", "startupProbe"]) {
      const p = c[probe];
      if (isObj(p) && typeof p.successThreshold === "number" && p.successThreshold !== 1)
        errs.push(fieldErr.invalid(childPath(ip, probe, "successThreshold"), p.successThreshold, "must be 1"));
    }
  });
  return errs;
}

/** Init containers: names unique against regular ones; probes and lifecycle only for sidecars. */
export function validateInitContainers(
  containers: unknown,
  volumes: ReadonlyMap<string, Obj>,
  path: string,
  names: Set<string>,
): FieldError[] {
  const errs: FieldError[] = [];
  arr(containers).forEach((raw, i) => {
    const c = obj(raw);
    const ip = indexPath(path, i);
    errs.push(...validateName(c, ip, names));
    errs.push(...validateContainerCommon(c, ip, volumes));
    const sidecar = c.restartPolicy === "Always";
    if (c.restartPolicy !== undefined && c.restartPolicy !== null && !sidecar)
      errs.push(fieldErr.notSupported(childPath(ip, "restartPolicy"), c.restartPolicy, ["Always"]));
    for (const f of ["lifecycle", "livenessProbe", "readinessProbe", "startupProbe"]) {
      if (!isObj(c[f])) continue;
      if (!sidecar) {
        errs.push(fieldErr.forbidden(childPath(ip, f), "may not be set for init containers without restartPolicy=Always"));
        continue;
      }
      errs.push(...(f === "lifecycle" ? validateLifecycle(c[f], childPath(ip, f)) : validateProbe(c[f], childPath(ip, f))));
    }
  });
  return errs;
}

/** Pod-only container checks: images without surrounding whitespace. */
export function validateContainersOnlyForPod(containers: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  arr(containers).forEach((raw, i) => {
    const img = obj(raw).image;
    if (typeof img === "string" && img !== img.trim())
      errs.push(fieldErr.invalid(childPath(indexPath(path, i), "image"), img, "must not have leading or trailing whitespace"));
  });
  return errs;
}
