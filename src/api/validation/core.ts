/**
 * Core (v1) kinds other than Pods and storage, as upstream: Service,
 * ConfigMap, Secret, Namespace, ServiceAccount, Node, Endpoints and Event
 * (core and events.k8s.io forms), with their update rules.
 */

import { fieldErr, type FieldError } from "../../machinery/errors.ts";
import {
  childPath,
  deepEqual,
  indexPath,
  isConfigMapKey,
  isDNS1123Label,
  isDNS1123Subdomain,
  isIPv6Address,
  isQualifiedName,
  isValidCIDR,
  isValidIP,
  isValidLabelValue,
  isValidPortName,
  isValidPortNum,
  keyPath,
  nameIsDNS1035Label,
  nameIsDNSLabel,
  nameIsDNSSubdomain,
  validateFinalizerName,
  validateKubeFinalizerName,
  validateImmutableField,
  validateLabelName,
  validateLabels,
  validateObjectMeta,
  validateObjectMetaUpdate,
} from "../../machinery/validation.ts";
import type { KObject } from "../types.ts";
import { arr, isObj, obj, str, validateEnum, validatePortNumOrName, validateResourceList, type Obj } from "./common.ts";
import { supportedPortProtocols } from "./containers.ts";

// ---------------------------------------------------------------------------
// Service

const serviceTypes = ["ClusterIP", "ExternalName", "LoadBalancer", "NodePort"];

function externallyAccessible(spec: Obj): boolean {
  return spec.type === "LoadBalancer" || spec.type === "NodePort" || (spec.type === "ClusterIP" && arr(spec.externalIPs).length > 0);
}

function isHeadless(spec: Obj): boolean {
  const ips = arr(spec.clusterIPs);
  return ips.length === 1 && ips[0] === "None";
}

function validateServicePort(p: Obj, requireName: boolean, names: Set<string>, pp: string): FieldError[] {
  const errs: FieldError[] = [];
  if (requireName && !p.name) errs.push(fieldErr.required(childPath(pp, "name"), ""));
  else if (p.name) {
    for (const m of isDNS1123Label(str(p.name))) errs.push(fieldErr.invalid(childPath(pp, "name"), p.name, m));
    if (names.has(p.name)) errs.push(fieldErr.duplicate(childPath(pp, "name"), p.name));
    else names.add(p.name);
  }
  for (const m of isValidPortNum(p.port)) errs.push(fieldErr.invalid(childPath(pp, "port"), p.port ?? 0, m));
  errs.push(...validateEnum(p.protocol, supportedPortProtocols, childPath(pp, "protocol")));
  errs.push(...validatePortNumOrName(p.targetPort, childPath(pp, "targetPort"), isValidPortNum, isValidPortName));
  if (p.appProtocol !== undefined && p.appProtocol !== null)
    for (const m of isQualifiedName(str(p.appProtocol))) errs.push(fieldErr.invalid(childPath(pp, "appProtocol"), p.appProtocol, m));
  return errs;
}

function validateClusterIPsRelated(spec: Obj): FieldError[] {
  const errs: FieldError[] = [];
  if (spec.type === "ExternalName") return errs;
  const ips = arr(spec.clusterIPs);
  const cp = "spec.clusterIPs";
  if (spec.clusterIP) {
    if (ips.length === 0) errs.push(fieldErr.required(cp, ""));
    else if (ips[0] !== spec.clusterIP) errs.push(fieldErr.invalid(cp, ips, "first value must match `clusterIP`"));
  } else if (ips.length > 0) {
    errs.push(fieldErr.invalid(cp, ips, "must be empty when `clusterIP` is not specified"));
  }
  const fams = arr(spec.ipFamilies);
  const seen = new Set<unknown>();
  fams.forEach((f, i) => {
    if (f !== "IPv4" && f !== "IPv6") errs.push(fieldErr.notSupported(indexPath("spec.ipFamilies", i), f, ["IPv4", "IPv6"]));
    if (seen.has(f)) errs.push(fieldErr.duplicate(indexPath("spec.ipFamilies", i), f));
    seen.add(f);
  });
  if (spec.ipFamilyPolicy !== undefined && spec.ipFamilyPolicy !== null)
    errs.push(...validateEnum(spec.ipFamilyPolicy, ["PreferDualStack", "RequireDualStack", "SingleStack"], "spec.ipFamilyPolicy"));
  let invalidIPs = false;
  ips.forEach((ip, i) => {
    if (i === 0 && ip === "None") {
      if (ips.length > 1) {
        invalidIPs = true;
        errs.push(fieldErr.invalid(cp, ips, "'None' must be the first and only value"));
      }
      return;
    }
    for (const m of isValidIP(str(ip))) {
      invalidIPs = true;
      errs.push(fieldErr.invalid(indexPath(cp, i), ip, m));
    }
  });
  if (ips.length > 2) errs.push(fieldErr.invalid(cp, ips, "may only hold up to 2 values"));
  if (invalidIPs) return errs;
  if (ips.length > 1 && isIPv6Address(str(ips[0])) === isIPv6Address(str(ips[1])))
    errs.push(fieldErr.invalid(cp, ips, "may specify no more than one IP for each IP family"));
  if (!isHeadless(spec))
    ips.forEach((ip, i) => {
      if (i >= fams.length) return;
      const v6 = isIPv6Address(str(ip));
      if (fams[i] === "IPv4" && v6) errs.push(fieldErr.invalid(indexPath(cp, i), ip, `expected an IPv4 value as indicated by \`ipFamilies[${i}]\``));
      if (fams[i] === "IPv6" && !v6) errs.push(fieldErr.invalid(indexPath(cp, i), ip, `expected an IPv6 value as indicated by \`ipFamilies[${i}]\``));
    });
  return errs;
}

function validateServiceSpec(svc: KObject): FieldError[] {
  const errs: FieldError[] = [];
  const spec = obj(svc.spec);
  const sp = "spec";
  const ports = arr(spec.ports);
  const headless = isHeadless(spec);
  if (ports.length === 0 && !headless && spec.type !== "ExternalName") errs.push(fieldErr.required(childPath(sp, "ports"), ""));
  switch (spec.type) {
    case "LoadBalancer":
    case "NodePort":
      if (headless)
        errs.push(fieldErr.invalid("spec.clusterIPs[0]", "None", `may not be set to 'None' for ${spec.type} services`));
      break;
    case "ExternalName": {
      if (arr(spec.clusterIPs).length > 0) errs.push(fieldErr.forbidden(childPath(sp, "clusterIPs"), "may not be set for ExternalName services"));
      if (arr(spec.ipFamilies).length > 0) errs.push(fieldErr.forbidden(childPath(sp, "ipFamilies"), "may not be set for ExternalName services"));
      if (spec.ipFamilyPolicy !== undefined && spec.ipFamilyPolicy !== null)
        errs.push(fieldErr.forbidden(childPath(sp, "ipFamilyPolicy"), "may not be set for ExternalName services"));
      const cname = str(spec.externalName).replace(/\.$/, "");
      if (cname) for (const m of isDNS1123Subdomain(cname)) errs.push(fieldErr.invalid(childPath(sp, "externalName"), cname, m));
      else errs.push(fieldErr.required(childPath(sp, "externalName"), ""));
      break;
    }
  }
  const names = new Set<string>();
  ports.forEach((raw, i) => errs.push(...validateServicePort(obj(raw), ports.length > 1, names, indexPath("spec.ports", i))));
  if (spec.selector !== undefined && spec.selector !== null) errs.push(...validateLabels(spec.selector, childPath(sp, "selector")));
  errs.push(...validateEnum(spec.sessionAffinity, ["ClientIP", "None"], childPath(sp, "sessionAffinity")));
  if (spec.sessionAffinity === "ClientIP") {
    const cfg = obj(spec.sessionAffinityConfig);
    if (!isObj(spec.sessionAffinityConfig)) errs.push(fieldErr.required(childPath(sp, "sessionAffinityConfig"), "when session affinity type is ClientIP"));
    else if (!isObj(cfg.clientIP)) errs.push(fieldErr.required(childPath(sp, "sessionAffinityConfig", "clientIP"), "when session affinity type is ClientIP"));
    else {
      const t = cfg.clientIP.timeoutSeconds;
      if (t === undefined || t === null)
        errs.push(fieldErr.required(childPath(sp, "sessionAffinityConfig", "clientIP", "timeoutSeconds"), "when session affinity type is ClientIP"));
      else if (typeof t !== "number" || t <= 0 || t > 86400)
        errs.push(fieldErr.invalid(childPath(sp, "sessionAffinityConfig", "clientIP", "timeoutSeconds"), t, "must be greater than 0 and less than 86400"));
    }
  } else if (spec.sessionAffinity === "None" && spec.sessionAffinityConfig !== undefined && spec.sessionAffinityConfig !== null) {
    errs.push(fieldErr.forbidden(childPath(sp, "sessionAffinityConfig"), "must not be set when session affinity is None"));
  }
  errs.push(...validateClusterIPsRelated(spec));
  arr(spec.externalIPs).forEach((ip, i) => {
    for (const m of isValidIP(str(ip))) errs.push(fieldErr.invalid(indexPath(childPath(sp, "externalIPs"), i), ip, m));
  });
  errs.push(...validateEnum(spec.type, serviceTypes, childPath(sp, "type")));
  if (spec.type === "ClusterIP")
    ports.forEach((raw, i) => {
      if (obj(raw).nodePort) errs.push(fieldErr.forbidden(childPath(indexPath("spec.ports", i), "nodePort"), "may not be used when `type` is 'ClusterIP'"));
    });
  const nodePorts = new Set<string>();
  ports.forEach((raw, i) => {
    const p = obj(raw);
    if (!p.nodePort) return;
    const key = `${p.protocol}/${p.nodePort}`;
    if (nodePorts.has(key)) errs.push(fieldErr.duplicate(childPath(indexPath("spec.ports", i), "nodePort"), p.nodePort));
    nodePorts.add(key);
  });
  const keys = new Set<string>();
  ports.forEach((raw, i) => {
    const p = obj(raw);
    const key = `${p.protocol}/${p.port}`;
    if (keys.has(key)) errs.push(fieldErr.duplicate(indexPath("spec.ports", i), { port: p.port, protocol: p.protocol }));
    keys.add(key);
  });
  const ranges = arr(spec.loadBalancerSourceRanges);
  if (ranges.length > 0) {
    const rp = childPath(sp, "LoadBalancerSourceRanges");
    if (spec.type !== "LoadBalancer") errs.push(fieldErr.forbidden(rp, "may only be used when `type` is 'LoadBalancer'"));
    ranges.forEach((r, i) => {
      for (const m of isValidCIDR(str(r).trim())) errs.push(fieldErr.invalid(indexPath(rp, i), str(r).trim(), m));
    });
  }
  if (spec.allocateLoadBalancerNodePorts !== undefined && spec.allocateLoadBalancerNodePorts !== null && spec.type !== "LoadBalancer")
    errs.push(fieldErr.forbidden(childPath(sp, "allocateLoadBalancerNodePorts"), "may only be used when `type` is 'LoadBalancer'"));
  if (spec.type === "LoadBalancer" && (spec.allocateLoadBalancerNodePorts === undefined || spec.allocateLoadBalancerNodePorts === null))
    errs.push(fieldErr.required("allocateLoadBalancerNodePorts", ""));
  if (spec.loadBalancerClass !== undefined && spec.loadBalancerClass !== null) {
    if (spec.type !== "LoadBalancer") errs.push(fieldErr.forbidden(childPath(sp, "loadBalancerClass"), "may only be used when service type is 'LoadBalancer'"));
    else for (const m of isQualifiedName(str(spec.loadBalancerClass))) errs.push(fieldErr.invalid(childPath(sp, "loadBalancerClass"), spec.loadBalancerClass, m));
  }
  if (!externallyAccessible(spec)) {
    if (spec.externalTrafficPolicy)
      errs.push(fieldErr.invalid(childPath(sp, "externalTrafficPolicy"), spec.externalTrafficPolicy, "may only be set for externally-accessible services"));
  } else {
    errs.push(...validateEnum(spec.externalTrafficPolicy, ["Cluster", "Local"], childPath(sp, "externalTrafficPolicy")));
  }
  const needsHealthCheck = spec.type === "LoadBalancer" && spec.externalTrafficPolicy === "Local";
  if (!needsHealthCheck) {
    if (spec.healthCheckNodePort)
      errs.push(
        fieldErr.invalid(childPath(sp, "healthCheckNodePort"), spec.healthCheckNodePort, "may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'"),
      );
  } else if (spec.healthCheckNodePort) {
    for (const m of isValidPortNum(spec.healthCheckNodePort)) errs.push(fieldErr.invalid(childPath(sp, "healthCheckNodePort"), spec.healthCheckNodePort, m));
  }
  if (spec.internalTrafficPolicy === undefined || spec.internalTrafficPolicy === null) {
    if (spec.type === "ClusterIP" || spec.type === "NodePort" || spec.type === "LoadBalancer")
      errs.push(fieldErr.required(childPath(sp, "internalTrafficPolicy"), ""));
  } else {
    errs.push(...validateEnum(spec.internalTrafficPolicy, ["Cluster", "Local"], childPath(sp, "internalTrafficPolicy")));
  }
  if (spec.trafficDistribution !== undefined && spec.trafficDistribution !== null)
    errs.push(...validateEnum(spec.trafficDistribution, ["PreferClose", "PreferSameZone", "PreferSameNode"], childPath(sp, "trafficDistribution")));
  return errs;
}

export function validateService(o: KObject): FieldError[] {
  return [...validateObjectMeta(o.metadata, true, nameIsDNS1035Label), ...validateServiceSpec(o)];
}

function validateClusterIPsUpdate(ns: Obj, os: Obj): FieldError[] {
  const errs: FieldError[] = [];
  if (ns.type === "ExternalName" || os.type === "ExternalName") return errs;
  if (isHeadless(ns) && isHeadless(os)) return errs;
  const n = arr(ns.clusterIPs);
  const o = arr(os.clusterIPs);
  if (o.length === n.length) {
    o.forEach((ip, i) => {
      if (ip !== n[i]) errs.push(fieldErr.invalid(`spec.clusterIPs[${i}]`, n, "may not change once set"));
    });
  } else if (o.length > n.length) {
    if (n.length === 0) errs.push(fieldErr.invalid("spec.clusterIPs[0]", n, "primary clusterIP can not be unset"));
    if (o.length > 0 && n.length > 0 && n[0] !== o[0]) errs.push(fieldErr.invalid("spec.clusterIPs[0]", n, "may not change once set"));
    if (n.length === 1 && ns.ipFamilyPolicy !== "SingleStack")
      errs.push(fieldErr.invalid("spec.ipFamilyPolicy", ns.ipFamilyPolicy ?? null, "must be set to 'SingleStack' when releasing the secondary clusterIP"));
  } else if (o.length > 0 && n[0] !== o[0]) {
    errs.push(fieldErr.invalid("spec.clusterIPs[0]", n, "may not change once set"));
  }
  return errs;
}

function validateIPFamiliesUpdate(ns: Obj, os: Obj): FieldError[] {
  const errs: FieldError[] = [];
  if (ns.type === "ExternalName" || os.type === "ExternalName") return errs;
  if (isHeadless(ns) !== isHeadless(os) || isHeadless(ns)) return errs;
  const n = arr(ns.ipFamilies);
  const o = arr(os.ipFamilies);
  if (o.length === n.length) {
    o.forEach((f, i) => {
      if (f !== n[i]) errs.push(fieldErr.invalid("spec.ipFamilies[0]", n, "may not change once set"));
    });
  } else if (o.length > n.length) {
    if (arr(ns.clusterIPs).length === 0) errs.push(fieldErr.invalid("spec.ipFamilies[0]", n, "primary ipFamily can not be unset"));
    if (n.length > 0 && n[0] !== o[0]) errs.push(fieldErr.invalid("spec.ipFamilies[0]", arr(ns.clusterIPs), "may not change once set"));
    if (n.length === 1 && ns.ipFamilyPolicy !== "SingleStack")
      errs.push(fieldErr.invalid("spec.ipFamilyPolicy", ns.ipFamilyPolicy ?? null, "must be set to 'SingleStack' when releasing the secondary ipFamily"));
  } else if (o.length > 0 && n.length > 0 && n[0] !== o[0]) {
    errs.push(fieldErr.invalid("spec.ipFamilies[0]", arr(ns.clusterIPs), "may not change once set"));
  }
  return errs;
}

/** Service updates: clusterIPs and ipFamilies may not change once set (except to/from ExternalName). */
export function validateServiceUpdate(o: KObject, old: KObject): FieldError[] {
  const errs = validateObjectMetaUpdate(o.metadata, old.metadata);
  const ns = obj(o.spec);
  const os = obj(old.spec);
  errs.push(...validateClusterIPsUpdate(ns, os));
  errs.push(...validateIPFamiliesUpdate(ns, os));
  if (os.type === "LoadBalancer" && ns.type === "LoadBalancer" && !deepEqual(ns.loadBalancerClass, os.loadBalancerClass))
    errs.push(fieldErr.invalid("spec.loadBalancerClass", ns.loadBalancerClass ?? null, "may not change once set"));
  const hc = (s: Obj) => s.type === "LoadBalancer" && s.externalTrafficPolicy === "Local";
  if (hc(os) && hc(ns) && ns.healthCheckNodePort !== os.healthCheckNodePort)
    errs.push(fieldErr.forbidden("spec.healthCheckNodePort", "field is immutable"));
  errs.push(...validateServiceSpec(o));
  return errs;
}

export function validateServiceStatusUpdate(o: KObject, old: KObject): FieldError[] {
  const errs = validateObjectMetaUpdate(o.metadata, old.metadata);
  arr(obj(obj(o.status).loadBalancer).ingress).forEach((raw, i) => {
    const ing = obj(raw);
    const ip = indexPath("status.loadBalancer.ingress", i);
    if (ing.ip) for (const m of isValidIP(str(ing.ip))) errs.push(fieldErr.invalid(childPath(ip, "ip"), ing.ip, m));
    if (ing.hostname) {
      for (const m of isDNS1123Subdomain(str(ing.hostname))) errs.push(fieldErr.invalid(childPath(ip, "hostname"), ing.hostname, m));
      if (isValidIP(str(ing.hostname)).length === 0) errs.push(fieldErr.invalid(childPath(ip, "hostname"), ing.hostname, "must be a DNS name, not an IP address"));
    }
    if (ing.ipMode !== undefined && ing.ipMode !== null) errs.push(...validateEnum(ing.ipMode, ["Proxy", "VIP"], childPath(ip, "ipMode")));
  });
  return errs;
}

// ---------------------------------------------------------------------------
// ConfigMap and Secret

/** Upstream's 1 MiB cap on ConfigMap and Secret payloads. */
export const maxSecretSize = 1024 * 1024;

function base64Size(v: unknown): number {
  const s = str(v).replace(/=+$/, "");
  return Math.floor((s.length * 3) / 4);
}

export function validateConfigMap(o: KObject): FieldError[] {
  const errs = validateObjectMeta(o.metadata, true, nameIsDNSSubdomain);
  let total = 0;
  const binary = obj(o.binaryData);
  for (const [k, v] of Object.entries(obj(o.data))) {
    for (const m of isConfigMapKey(k)) errs.push(fieldErr.invalid(keyPath("data", k), k, m));
    if (k in binary) errs.push(fieldErr.invalid(keyPath("data", k), k, "duplicate of key present in binaryData"));
    total += Buffer.byteLength(str(v));
  }
  for (const [k, v] of Object.entries(binary)) {
    for (const m of isConfigMapKey(k)) errs.push(fieldErr.invalid(keyPath("binaryData", k), k, m));
    total += base64Size(v);
  }
  if (total > maxSecretSize) errs.push(fieldErr.tooLong("", maxSecretSize));
  return errs;
}

function validateImmutableData(o: KObject, old: KObject, fields: string[]): FieldError[] {
  const errs: FieldError[] = [];
  if (old.immutable !== true) return errs;
  if (o.immutable !== true) errs.push(fieldErr.forbidden("immutable", "field is immutable when `immutable` is set"));
  for (const f of fields)
    if (!deepEqual(o[f] ?? {}, old[f] ?? {})) errs.push(fieldErr.forbidden(f, "field is immutable when `immutable` is set"));
  return errs;
}

export function validateConfigMapUpdate(o: KObject, old: KObject): FieldError[] {
  const errs = validateObjectMetaUpdate(o.metadata, old.metadata);
  errs.push(...validateImmutableData(o, old, ["data", "binaryData"]));
  errs.push(...validateConfigMap(o).filter((e) => !e.field.startsWith("metadata")));
  return errs;
}

export function validateSecret(o: KObject): FieldError[] {
  const errs = validateObjectMeta(o.metadata, true, nameIsDNSSubdomain);
  const data = obj(o.data);
  let total = 0;
  for (const [k, v] of Object.entries(data)) {
    for (const m of isConfigMapKey(k)) errs.push(fieldErr.invalid(keyPath("data", k), k, m));
    total += base64Size(v);
  }
  if (total > maxSecretSize) errs.push(fieldErr.tooLong("data", maxSecretSize));
  const need = (k: string): void => {
    if (!(k in data)) errs.push(fieldErr.required(keyPath("data", k), ""));
  };
  switch (o.type) {
    case "kubernetes.io/service-account-token":
      if (!obj(o.metadata.annotations)["kubernetes.io/service-account.name"])
        errs.push(fieldErr.required(keyPath("metadata.annotations", "kubernetes.io/service-account.name"), ""));
      break;
    case "kubernetes.io/dockercfg":
    case "kubernetes.io/dockerconfigjson": {
      const key = o.type === "kubernetes.io/dockercfg" ? ".dockercfg" : ".dockerconfigjson";
      if (!(key in data)) {
        need(key);
        break;
      }
      try {
        const parsed: unknown = JSON.parse(Buffer.from(str(data[key]), "base64").toString("utf8"));
        if (!isObj(parsed)) throw new Error("json: cannot unmarshal into Go value of type map[string]interface {}");
      } catch (e) {
        errs.push(fieldErr.invalid(keyPath("data", key), "<secret contents redacted>", (e as Error).message));
      }
      break;
    }
    case "kubernetes.io/basic-auth":
      if (!("username" in data) && !("password" in data)) {
        need("username");
        need("password");
      }
      break;
    case "kubernetes.io/ssh-auth":
      if (!data["ssh-privatekey"]) errs.push(fieldErr.required(keyPath("data", "ssh-privatekey"), ""));
      break;
    case "kubernetes.io/tls":
      need("tls.crt");
      need("tls.key");
      break;
    default:
      break;
  }
  return errs;
}

export function validateSecretUpdate(o: KObject, old: KObject): FieldError[] {
  const errs = validateObjectMetaUpdate(o.metadata, old.metadata);
  errs.push(...validateImmutableField(o.type, old.type, "type"));
  errs.push(...validateImmutableData(o, old, ["data"]));
  errs.push(...validateSecret(o).filter((e) => !e.field.startsWith("metadata") || e.field.startsWith("metadata.annotations[")));
  return errs;
}

// ---------------------------------------------------------------------------
// Namespace, ServiceAccount

function validateNamespaceFinalizers(o: KObject): FieldError[] {
  const errs: FieldError[] = [];
  arr(obj(o.spec).finalizers).forEach((f) => {
    errs.push(...validateFinalizerName(str(f), "spec.finalizers"));
    errs.push(...validateKubeFinalizerName(str(f), "spec.finalizers"));
  });
  return errs;
}

export function validateNamespace(o: KObject): FieldError[] {
  return [...validateObjectMeta(o.metadata, false, nameIsDNSLabel), ...validateNamespaceFinalizers(o)];
}

export function validateNamespaceUpdate(o: KObject, old: KObject): FieldError[] {
  return [...validateObjectMetaUpdate(o.metadata, old.metadata), ...validateNamespaceFinalizers(o)];
}

export function validateNamespaceStatusUpdate(o: KObject, old: KObject): FieldError[] {
  const errs = validateObjectMetaUpdate(o.metadata, old.metadata);
  const phase = obj(o.status).phase;
  if (!o.metadata.deletionTimestamp) {
    if (phase && phase !== "Active") errs.push(fieldErr.invalid("status.Phase", phase, "may only be 'Active' if `deletionTimestamp` is empty"));
  } else if (phase !== "Terminating") {
    errs.push(fieldErr.invalid("status.Phase", phase ?? "", "may only be 'Terminating' if `deletionTimestamp` is not empty"));
  }
  return errs;
}

export function validateServiceAccount(o: KObject): FieldError[] {
  return validateObjectMeta(o.metadata, true, nameIsDNSSubdomain);
}

export function validateServiceAccountUpdate(o: KObject, old: KObject): FieldError[] {
  return [...validateObjectMetaUpdate(o.metadata, old.metadata), ...validateServiceAccount(o)];
}

// ---------------------------------------------------------------------------
// Node

function validateNodeSpec(spec: Obj): FieldError[] {
  const errs: FieldError[] = [];
  const cidrs = arr(spec.podCIDRs);
  cidrs.forEach((c, i) => {
    for (const m of isValidCIDR(str(c))) errs.push(fieldErr.invalid(indexPath("spec.podCIDRs", i), c, m));
  });
  if (cidrs.length > 2) errs.push(fieldErr.invalid("spec.podCIDRs", spec.podCIDRs, "may specify no more than one CIDR for each IP family"));
  if (spec.podCIDR && cidrs.length > 0 && cidrs[0] !== spec.podCIDR)
    errs.push(fieldErr.invalid("spec.podCIDRs", cidrs, "first value must match podCIDR"));
  const seen = new Set<string>();
  arr(spec.taints).forEach((raw, i) => {
    const t = obj(raw);
    const tp = indexPath("spec.taints", i);
    errs.push(...validateLabelName(str(t.key), childPath(tp, "key")));
    if (t.value) for (const m of isValidLabelValue(str(t.value))) errs.push(fieldErr.invalid(childPath(tp, "value"), t.value, m));
    errs.push(...validateEnum(t.effect, ["NoSchedule", "PreferNoSchedule", "NoExecute"], childPath(tp, "effect")));
    const key = `${t.key}:${t.effect}`;
    if (seen.has(key)) errs.push(fieldErr.duplicate(tp, t));
    seen.add(key);
  });
  return errs;
}

function validateNodeStatus(st: Obj): FieldError[] {
  return [...validateResourceList(st.capacity, "status.capacity"), ...validateResourceList(st.allocatable, "status.allocatable")];
}

export function validateNode(o: KObject): FieldError[] {
  return [...validateObjectMeta(o.metadata, false, nameIsDNSSubdomain), ...validateNodeSpec(obj(o.spec)), ...validateNodeStatus(obj(o.status))];
}

export function validateNodeUpdate(o: KObject, old: KObject): FieldError[] {
  const errs = validateObjectMetaUpdate(o.metadata, old.metadata);
  errs.push(...validateNodeSpec(obj(o.spec)));
  const ns = obj(o.spec);
  const os = obj(old.spec);
  if (arr(os.podCIDRs).length > 0 && !deepEqual(ns.podCIDRs, os.podCIDRs))
    errs.push(fieldErr.forbidden("spec.podCIDRs", 'node updates may not change podCIDR except from "" to valid'));
  if (os.providerID && ns.providerID !== os.providerID)
    errs.push(fieldErr.forbidden("spec.providerID", 'node updates may not change providerID except from "" to valid'));
  if (os.configSource !== undefined && !deepEqual(ns.configSource, os.configSource))
    errs.push(fieldErr.forbidden("spec.configSource", "update is not allowed"));
  return errs;
}

export function validateNodeStatusUpdate(o: KObject, old: KObject): FieldError[] {
  const errs = validateObjectMetaUpdate(o.metadata, old.metadata);
  errs.push(...validateNodeStatus(obj(o.status)));
  arr(obj(o.status).addresses).forEach((a, i) => {
    const t = obj(a).type;
    errs.push(...validateEnum(t, ["ExternalDNS", "ExternalIP", "Hostname", "InternalDNS", "InternalIP"], childPath(indexPath("status.addresses", i), "type"), false));
  });
  return errs;
}

// ---------------------------------------------------------------------------
// Endpoints

function validateEndpointsSubsets(o: KObject): FieldError[] {
  const errs: FieldError[] = [];
  arr(o.subsets).forEach((raw, i) => {
    const ss = obj(raw);
    const sp = indexPath("subsets", i);
    if (arr(ss.addresses).length === 0 && arr(ss.notReadyAddresses).length === 0)
      errs.push(fieldErr.required(sp, "must specify `addresses` or `notReadyAddresses`"));
    for (const f of ["addresses", "notReadyAddresses"])
      arr(ss[f]).forEach((a, j) => {
        const ad = obj(a);
        const ap = indexPath(childPath(sp, f), j);
        for (const m of isValidIP(str(ad.ip))) errs.push(fieldErr.invalid(childPath(ap, "ip"), ad.ip ?? "", m));
        if (ad.hostname) for (const m of isDNS1123Label(str(ad.hostname))) errs.push(fieldErr.invalid(childPath(ap, "hostname"), ad.hostname, m));
        if (ad.nodeName) for (const m of isDNS1123Subdomain(str(ad.nodeName))) errs.push(fieldErr.invalid(childPath(ap, "nodeName"), ad.nodeName, m));
      });
    const ports = arr(ss.ports);
    ports.forEach((p, j) => {
      const port = obj(p);
      const pp = indexPath(childPath(sp, "ports"), j);
      if (ports.length > 1 && !port.name) errs.push(fieldErr.required(childPath(pp, "name"), ""));
      else if (port.name) for (const m of isDNS1123Label(str(port.name))) errs.push(fieldErr.invalid(childPath(pp, "name"), port.name, m));
      for (const m of isValidPortNum(port.port)) errs.push(fieldErr.invalid(childPath(pp, "port"), port.port ?? 0, m));
      errs.push(...validateEnum(port.protocol, supportedPortProtocols, childPath(pp, "protocol")));
    });
  });
  return errs;
}

export function validateEndpoints(o: KObject): FieldError[] {
  return [...validateObjectMeta(o.metadata, true, nameIsDNSSubdomain), ...validateEndpointsSubsets(o)];
}

export function validateEndpointsUpdate(o: KObject, old: KObject): FieldError[] {
  return [...validateObjectMetaUpdate(o.metadata, old.metadata), ...validateEndpointsSubsets(o)];
}

// ---------------------------------------------------------------------------
// Event

function isEventsGroup(o: KObject, group: string): boolean {
  if (o.apiVersion) return o.apiVersion.startsWith("events.k8s.io/");
  return group === "events.k8s.io";
}

function validateEventFields(o: KObject, group: string): FieldError[] {
  const errs: FieldError[] = [];
  if (isEventsGroup(o, group)) {
    if (!o.eventTime) errs.push(fieldErr.required("eventTime", ""));
    errs.push(...validateEnum(o.type, ["Normal", "Warning"], "type"));
    if (!o.reportingController) errs.push(fieldErr.required("reportingController", ""));
    else for (const m of isQualifiedName(str(o.reportingController))) errs.push(fieldErr.invalid("reportingController", o.reportingController, m));
    if (!o.reportingInstance) errs.push(fieldErr.required("reportingInstance", ""));
    else if (str(o.reportingInstance).length > 128) errs.push(fieldErr.invalid("reportingInstance", "", "can have at most 128 characters"));
    if (!o.action) errs.push(fieldErr.required("action", ""));
    else if (str(o.action).length > 128) errs.push(fieldErr.invalid("action", "", "can have at most 128 characters"));
    if (!o.reason) errs.push(fieldErr.required("reason", ""));
    else if (str(o.reason).length > 128) errs.push(fieldErr.invalid("reason", "", "can have at most 128 characters"));
    if (str(o.note).length > 1024) errs.push(fieldErr.invalid("note", "", "can have at most 1024 characters"));
    return errs;
  }
  const io = obj(o.involvedObject);
  const ns = str(o.metadata.namespace);
  if (io.namespace && io.namespace !== ns) errs.push(fieldErr.invalid("involvedObject.namespace", io.namespace, "does not match event.namespace"));
  if (o.type !== undefined && o.type !== "" && o.type !== "Normal" && o.type !== "Warning")
    errs.push(fieldErr.notSupported("type", o.type, ["Normal", "Warning"]));
  if (str(o.reportingComponent).length > 128) errs.push(fieldErr.invalid("reportingComponent", "", "can have at most 128 characters"));
  if (str(o.action).length > 128) errs.push(fieldErr.invalid("action", "", "can have at most 128 characters"));
  if (str(o.reason).length > 128) errs.push(fieldErr.invalid("reason", "", "can have at most 128 characters"));
  if (str(o.message).length > 4096) errs.push(fieldErr.invalid("message", "", "can have at most 4096 characters"));
  return errs;
}

export function validateEvent(o: KObject, group: string): FieldError[] {
  return [...validateObjectMeta(o.metadata, true, nameIsDNSSubdomain), ...validateEventFields(o, group)];
}

export function validateEventUpdate(o: KObject, old: KObject, group: string): FieldError[] {
  const errs = validateObjectMetaUpdate(o.metadata, old.metadata);
  errs.push(...validateEventFields(o, group));
  if (isEventsGroup(o, group)) {
    for (const f of ["series", "action", "reason", "reportingController", "reportingInstance", "regarding", "related", "type", "eventTime"])
      errs.push(...validateImmutableField(o[f], old[f], f));
  } else if (isObj(old.involvedObject)) {
    errs.push(...validateImmutableField(o.involvedObject, old.involvedObject, "involvedObject"));
  }
  return errs;
}
