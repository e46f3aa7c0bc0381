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
  isQualifiedName,
  keyPath,
  nameIsDNSSubdomain,
  regexError,
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

/** configMapKeyRef / secretKeyRef: name as a DNS subdomain (even when empty), key required and a config key. */
function validateKeySelector(sel: Obj, path: string): FieldError[] {
  const errs: FieldError[] = [];
  for (const m of isDNS1123Subdomain(str(sel.name))) errs.push(fieldErr.invalid(childPath(path, "name"), str(sel.name), m));
  if (!sel.key) errs.push(fieldErr.required(childPath(path, "key"), ""));
  else for (const m of isConfigMapKey(str(sel.key))) errs.push(fieldErr.invalid(childPath(path, "key"), sel.key, m));
  return errs;
}

/** Field labels the downward API converter accepts for v1 pods. */
const convertibleFieldPaths = new Set([
  "metadata.annotations",
  "metadata.labels",
  "metadata.name",
  "metadata.namespace",
  "metadata.uid",
  "spec.nodeName",
  "spec.restartPolicy",
  "spec.serviceAccountName",
  "spec.schedulerName",
  "status.phase",
  "status.hostIP",
  "status.hostIPs",
  "status.podIP",
  "status.podIPs",
]);

/** An ObjectFieldSelector (env fieldRef, downwardAPI items) against the allowed expressions. */
export function validateFieldRef(ref: Obj, path: string, expressions: readonly string[] = envFieldPaths): FieldError[] {
  if (!ref.apiVersion) return [fieldErr.required(childPath(path, "apiVersion"), "")];
  const fp = str(ref.fieldPath);
  if (!fp) return [fieldErr.required(childPath(path, "fieldPath"), "")];
  const sub = /^([^[]+)\['(.*)'\]$/.exec(fp);
  const base = sub ? sub[1] : fp;
  if (!convertibleFieldPaths.has(base))
    return [fieldErr.invalid(childPath(path, "fieldPath"), fp, `error converting fieldPath: field label not supported: ${fp}`)];
  if (sub) {
    if (base === "metadata.annotations") return isQualifiedName(sub[2].toLowerCase()).map((m) => fieldErr.invalid(path, sub[2].toLowerCase(), m));
    if (base === "metadata.labels") return isQualifiedName(sub[2]).map((m) => fieldErr.invalid(path, sub[2], m));
    return [fieldErr.invalid(path, base, "does not support subscript")];
  }
  if (!expressions.includes(fp)) return [fieldErr.notSupported(childPath(path, "fieldPath"), fp, expressions)];
  return [];
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
      errs.push(...validateKeySelector(vf.configMapKeyRef, childPath(vp, "configMapKeyRef")));
    }
    if (isObj(vf.secretKeyRef)) {
      n++;
      errs.push(...validateKeySelector(vf.secretKeyRef, childPath(vp, "secretKeyRef")));
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
      if (!name) errs.push(fieldErr.required(childPath(ip, kind, "name"), ""));
      else for (const m of nameIsDNSSubdomain(name, true)) errs.push(fieldErr.invalid(childPath(ip, kind, "name"), name, m));
    }
    if (n === 0) errs.push(fieldErr.invalid(path, "", "must specify one of: `configMapRef` or `secretRef`"));
    else if (n > 1) errs.push(fieldErr.invalid(path, "", "may not have more than one field specified at a time"));
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
    if (!volumes.has(m.name)) errs.push(fieldErr.notFound(childPath(ip, "name"), m.name ?? ""));
    if (!m.mountPath) errs.push(fieldErr.required(childPath(ip, "mountPath"), ""));
    if (mountPoints.has(m.mountPath ?? "")) errs.push(fieldErr.invalid(childPath(ip, "mountPath"), m.mountPath ?? "", "must be unique"));
    mountPoints.add(m.mountPath ?? "");
    const vol = volumes.get(m.name);
    if (vol && isObj(vol.image)) {
      if (m.subPath) errs.push(fieldErr.invalid(childPath(ip, "subPath"), m.subPath, "not allowed in image volume sources"));
      if (m.subPathExpr) errs.push(fieldErr.invalid(childPath(ip, "subPathExpr"), m.subPathExpr, "not allowed in image volume sources"));
    }
    // upstream reports these two at the list path, without the index
    if (m.subPath) errs.push(...validateLocalDescendingPath(str(m.subPath), childPath(path, "subPath")));
    if (m.subPathExpr) {
      if (m.subPath) errs.push(fieldErr.invalid(childPath(ip, "subPathExpr"), m.subPathExpr, "subPathExpr and subPath are mutually exclusive"));
      errs.push(...validateLocalDescendingPath(str(m.subPathExpr), childPath(path, "subPathExpr")));
    }
    if (m.mountPropagation !== undefined && m.mountPropagation !== null)
      errs.push(...validateEnum(m.mountPropagation, ["Bidirectional", "HostToContainer", "None"], childPath(path, "mountPropagation")));
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
  const names = [...Object.keys(limits), ...Object.keys(obj(r.requests))];
  if (names.some(isHugePageResourceName) && !names.some((n) => n === "cpu" || n === "memory"))
    errs.push(fieldErr.forbidden(path, "HugePages require cpu or memory"));
  return errs;
}

const handlerKinds = ["exec", "httpGet", "tcpSocket", "grpc", "sleep"] as const;

function validateHandler(h: Obj, path: string, allowed: readonly string[], gracePeriod: unknown): FieldError[] {
  const errs: FieldError[] = [];
  let n = 0;
  for (const kind of handlerKinds) {
    if (!allowed.includes(kind) || !isObj(h[kind])) continue;
    const ap = childPath(path, kind);
    if (n > 0) {
      errs.push(fieldErr.forbidden(ap, "may not specify more than 1 handler type"));
      continue;
    }
    n++;
    const a = h[kind];
    switch (kind) {
      case "exec":
        if (arr(a.command).length === 0) errs.push(fieldErr.required(childPath(ap, "command"), ""));
        break;
      case "httpGet":
        if (!a.path) errs.push(fieldErr.required(childPath(ap, "path"), ""));
        errs.push(...validatePortNumOrName(a.port, childPath(ap, "port"), isValidPortNum, isValidPortName));
        if (a.scheme !== "HTTP" && a.scheme !== "HTTPS") errs.push(fieldErr.notSupported(childPath(ap, "scheme"), a.scheme ?? "", ["HTTP", "HTTPS"]));
        for (const hh of arr(a.httpHeaders)) {
          const name = str(obj(hh).name);
          if (!/^[-A-Za-z0-9]+$/.test(name))
            errs.push(
              fieldErr.invalid(
                childPath(ap, "httpHeaders"),
                name,
                regexError("a valid HTTP header must consist of alphanumeric characters or '-'", "[-A-Za-z0-9]+", "X-Header-Name"),
              ),
            );
        }
        break;
      case "tcpSocket":
        errs.push(...validatePortNumOrName(a.port, childPath(ap, "port"), isValidPortNum, isValidPortName));
        break;
      case "grpc":
        for (const m of isValidPortNum(a.port)) errs.push(fieldErr.invalid(childPath(ap, "port"), a.port ?? 0, m));
        break;
      case "sleep":
        if (typeof gracePeriod === "number" && (typeof a.seconds !== "number" || a.seconds < 0 || a.seconds > gracePeriod))
          errs.push(fieldErr.invalid(ap, a.seconds ?? 0, `must be non-negative and less than terminationGracePeriodSeconds (${gracePeriod})`));
        break;
    }
  }
  if (n === 0) errs.push(fieldErr.required(path, "must specify a handler type"));
  return errs;
}

type ProbeKind = "livenessProbe" | "readinessProbe" | "startupProbe";

function validateProbe(probe: unknown, path: string, kind: ProbeKind, gracePeriod: unknown): FieldError[] {
  if (!isObj(probe)) return [];
  const errs = validateHandler(probe, path, ["exec", "httpGet", "tcpSocket", "grpc"], gracePeriod);
  for (const f of ["initialDelaySeconds", "timeoutSeconds", "periodSeconds", "successThreshold", "failureThreshold"])
    if (typeof probe[f] === "number") errs.push(...validateNonnegativeField(probe[f], childPath(path, f)));
  const tgps = probe.terminationGracePeriodSeconds;
  if (typeof tgps === "number" && tgps <= 0) errs.push(fieldErr.invalid(childPath(path, "terminationGracePeriodSeconds"), tgps, "must be greater than 0"));
  if (kind === "readinessProbe" && tgps !== undefined && tgps !== null)
    errs.push(fieldErr.invalid(childPath(path, "terminationGracePeriodSeconds"), tgps, "must not be set for readinessProbes"));
  if (kind !== "readinessProbe" && probe.successThreshold !== 1)
    errs.push(fieldErr.invalid(childPath(path, "successThreshold"), probe.successThreshold ?? 0, "must be 1"));
  return errs;
}

function validateLifecycle(lc: unknown, path: string, gracePeriod: unknown): FieldError[] {
  if (!isObj(lc)) return [];
  const errs: FieldError[] = [];
  for (const hook of ["postStart", "preStop"])
    if (isObj(lc[hook])) errs.push(...validateHandler(lc[hook], childPath(path, hook), ["exec", "httpGet", "tcpSocket", "sleep"], gracePeriod));
  return errs;
}

function validateProbesAndLifecycle(c: Obj, ip: string, gracePeriod: unknown): FieldError[] {
  return [
    ...validateLifecycle(c.lifecycle, childPath(ip, "lifecycle"), gracePeriod),
    ...validateProbe(c.livenessProbe, childPath(ip, "livenessProbe"), "livenessProbe", gracePeriod),
    ...validateProbe(c.readinessProbe, childPath(ip, "readinessProbe"), "readinessProbe", gracePeriod),
    ...validateProbe(c.startupProbe, childPath(ip, "startupProbe"), "startupProbe", gracePeriod),
  ];
}

/** Fields common to every container type. */
function validateContainerCommon(c: Obj, path: string, volumes: ReadonlyMap<string, Obj>): FieldError[] {
  const errs: FieldError[] = [];
  if (!c.image) errs.push(fieldErr.required(childPath(path, "image"), ""));
  errs.push(...validateEnum(c.terminationMessagePolicy, ["File", "FallbackToLogsOnError"], childPath(path, "terminationMessagePolicy")));
  errs.push(...validateContainerPorts(c.ports, childPath(path, "ports")));
  errs.push(...validateEnv(c.env, childPath(path, "env")));
  errs.push(...validateEnvFrom(c.envFrom, childPath(path, "envFrom")));
  errs.push(...validateVolumeMounts(c.volumeMounts, volumes, childPath(path, "volumeMounts")));
  errs.push(...validateEnum(c.imagePullPolicy, pullPolicies, childPath(path, "imagePullPolicy")));
  errs.push(...validateResourceRequirements(c.resources, childPath(path, "resources")));
  if (c.workingDir !== undefined && typeof c.workingDir !== "string")
    errs.push(fieldErr.invalid(childPath(path, "workingDir"), c.workingDir, "must be a string"));
  return errs;
}

function validateName(c: Obj, path: string): FieldError[] {
  const np = childPath(path, "name");
  if (!c.name) return [fieldErr.required(np, "")];
  return isDNS1123Label(str(c.name)).map((m) => fieldErr.invalid(np, c.name, m));
}

/** Duplicate names; `names` accumulates across regular and init containers. */
function checkDuplicate(c: Obj, path: string, names: Set<string>): FieldError[] {
  if (!c.name) return [];
  if (names.has(c.name)) return [fieldErr.duplicate(childPath(path, "name"), c.name)];
  names.add(c.name);
  return [];
}

/** Regular containers: at least one; names unique (seeding `names` for init containers). */
export function validateContainers(
  containers: unknown,
  volumes: ReadonlyMap<string, Obj>,
  path: string,
  names: Set<string>,
  gracePeriod?: unknown,
): FieldError[] {
  const errs: FieldError[] = [];
  const list = arr(containers);
  if (list.length === 0) return [fieldErr.required(path, "")];
  list.forEach((raw, i) => {
    const c = obj(raw);
    const ip = indexPath(path, i);
    errs.push(...validateName(c, ip));
    errs.push(...validateContainerCommon(c, ip, volumes));
    errs.push(...checkDuplicate(c, ip, names));
    errs.push(...validateProbesAndLifecycle(c, ip, gracePeriod));
    if (c.restartPolicy !== undefined && c.restartPolicy !== null)
      errs.push(fieldErr.forbidden(childPath(ip, "restartPolicy"), "may not be set for non-init containers"));
  });
  return errs;
}

/** Init containers: names unique against regular ones; probes and lifecycle only for sidecars (restartPolicy Always). */
export function validateInitContainers(
  containers: unknown,
  volumes: ReadonlyMap<string, Obj>,
  path: string,
  names: Set<string>,
  gracePeriod?: unknown,
): FieldError[] {
  const errs: FieldError[] = [];
  arr(containers).forEach((raw, i) => {
    const c = obj(raw);
    const ip = indexPath(path, i);
    errs.push(...validateName(c, ip));
    errs.push(...validateContainerCommon(c, ip, volumes));
    const sidecar = c.restartPolicy === "Always";
    if (c.restartPolicy !== undefined && c.restartPolicy !== null && !sidecar)
      errs.push(fieldErr.notSupported(childPath(ip, "restartPolicy"), c.restartPolicy, ["Always"]));
    errs.push(...checkDuplicate(c, ip, names));
    if (sidecar) errs.push(...validateProbesAndLifecycle(c, ip, gracePeriod));
    else
      for (const f of ["lifecycle", "livenessProbe", "readinessProbe", "startupProbe"])
        if (isObj(c[f])) errs.push(fieldErr.forbidden(childPath(ip, f), "may not be set for init containers without restartPolicy=Always"));
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
