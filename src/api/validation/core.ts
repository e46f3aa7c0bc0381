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

function validateServiceSpec(spec: Obj): FieldError[] {
  const errs: FieldError[] = [];
  const sp = "spec";
  const headless = spec.clusterIP === "None";
  const ports = arr(spec.ports);
  errs.push(...validateEnum(spec.type, serviceTypes, childPath(sp, "type")));
  if (spec.type === "ExternalName") {
    if (!spec.externalName) errs.push(fieldErr.required(childPath(sp, "externalName"), ""));
    else for (const m of isDNS1123Subdomain(str(spec.externalName).replace(/\.$/, ""))) errs.push(fieldErr.invalid(childPath(sp, "externalName"), spec.externalName, m));
    if (arr(spec.clusterIPs).length > 0 || (spec.clusterIP && spec.clusterIP !== ""))
      errs.push(fieldErr.forbidden(childPath(sp, "clusterIPs"), "may not be set for ExternalName services"));
  } else if (ports.length === 0 && !headless) {
    errs.push(fieldErr.required(childPath(sp, "ports"), ""));
  }
  const names = new Set<string>();
  const keys = new Set<string>();
  const nodePorts = new Set<string>();
  ports.forEach((raw, i) => {
    const p = obj(raw);
    const pp = indexPath(childPath(sp, "ports"), i);
    if (ports.length > 1 && !p.name) errs.push(fieldErr.required(childPath(pp, "name"), ""));
    else if (p.name) {
      for (const m of isDNS1123Label(str(p.name))) errs.push(fieldErr.invalid(childPath(pp, "name"), p.name, m));
      if (names.has(p.name)) errs.push(fieldErr.duplicate(childPath(pp, "name"), p.name));
      names.add(p.name);
    }
    for (const m of isValidPortNum(p.port)) errs.push(fieldErr.invalid(childPath(pp, "port"), p.port ?? 0, m));
    errs.push(...validateEnum(p.protocol, supportedPortProtocols, childPath(pp, "protocol")));
    errs.push(...validatePortNumOrName(p.targetPort, childPath(pp, "targetPort"), isValidPortNum, isValidPortName));
    if (p.appProtocol) for (const m of isQualifiedName(str(p.appProtocol))) errs.push(fieldErr.invalid(childPath(pp, "appProtocol"), p.appProtocol, m));
    const key = `${p.protocol}/${p.port}`;
    if (keys.has(key)) errs.push(fieldErr.duplicate(pp, { port: p.port, protocol: p.protocol }));
    keys.add(key);
    if (p.nodePort) {
      if (spec.type === "ClusterIP") errs.push(fieldErr.forbidden(childPath(pp, "nodePort"), "may not be used when `type` is 'ClusterIP'"));
      else if (spec.type === "ExternalName") errs.push(fieldErr.forbidden(childPath(pp, "nodePort"), "may not be used when `type` is 'ExternalName'"));
      else for (const m of isValidPortNum(p.nodePort)) errs.push(fieldErr.invalid(childPath(pp, "nodePort"), p.nodePort, m));
      const nk = `${p.protocol}/${p.nodePort}`;
      if (nodePorts.has(nk)) errs.push(fieldErr.duplicate(childPath(pp, "nodePort"), p.nodePort));
      nodePorts.add(nk);
    }
  });
  if (spec.type !== "ExternalName") {
    const ips = arr(spec.clusterIPs);
    if (spec.clusterIP && ips.length > 0 && ips[0] !== spec.clusterIP)
      errs.push(fieldErr.invalid(childPath(sp, "clusterIPs"), ips, "first value must match `clusterIP`"));
    ips.forEach((ip, i) => {
      if (i === 0 && ip === "None") return;
      for (const m of isValidIP(str(ip))) errs.push(fieldErr.invalid(indexPath(childPath(sp, "clusterIPs"), i), ip, m));
    });
    if (headless && ips.length > 1) errs.push(fieldErr.invalid(childPath(sp, "clusterIPs"), ips, "'None' must be the first and only value"));
    if (ips.length > 2) errs.push(fieldErr.invalid(childPath(sp, "clusterIPs"), ips, "may only hold up to 2 values"));
    if (headless && spec.type !== "ClusterIP")
      errs.push(fieldErr.invalid(childPath(sp, "clusterIPs", "0"), "None", "may not be set to 'None' for LoadBalancer or NodePort services"));
  }
  errs.push(...validateEnum(spec.sessionAffinity, ["ClientIP", "None"], childPath(sp, "sessionAffinity")));
  if (spec.sessionAffinity === "ClientIP") {
    const t = obj(obj(spec.sessionAffinityConfig).clientIP).timeoutSeconds;
    if (typeof t !== "number" || t <= 0 || t > 86400)
      errs.push(fieldErr.invalid(childPath(sp, "sessionAffinityConfig", "clientIP", "timeoutSeconds"), t ?? 0, "must be greater than 0 and less than 86400"));
  } else if (spec.sessionAffinityConfig && spec.sessionAffinity === "None") {
    errs.push(fieldErr.invalid(childPath(sp, "sessionAffinityConfig"), spec.sessionAffinityConfig, "must not be set when session affinity is None"));
  }
  errs.push(...validateLabels(spec.selector, childPath(sp, "selector")));
  arr(spec.externalIPs).forEach((ip, i) => {
    for (const m of isValidIP(str(ip))) errs.push(fieldErr.invalid(indexPath(childPath(sp, "externalIPs"), i), ip, m));
  });
  arr(spec.loadBalancerSourceRanges).forEach((r, i) => {
    for (const m of isValidCIDR(str(r).trim())) errs.push(fieldErr.invalid(indexPath(childPath(sp, "loadBalancerSourceRanges"), i), r, m));
  });
  if (spec.loadBalancerIP && spec.type !== "LoadBalancer")
    errs.push(fieldErr.forbidden(childPath(sp, "loadBalancerIP"), "may only be used when `type` is 'LoadBalancer'"));
  if (externallyAccessible(spec)) {
    errs.push(...validateEnum(spec.externalTrafficPolicy, ["Cluster", "Local"], childPath(sp, "externalTrafficPolicy")));
  } else if (spec.externalTrafficPolicy) {
    errs.push(fieldErr.invalid(childPath(sp, "externalTrafficPolicy"), spec.externalTrafficPolicy, "may only be set for externally-accessible services"));
  }
  if (spec.healthCheckNodePort) {
    if (spec.type !== "LoadBalancer" || spec.externalTrafficPolicy !== "Local")
      errs.push(fieldErr.invalid(childPath(sp, "healthCheckNodePort"), spec.healthCheckNodePort, "may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'"));
  }
  if (spec.type !== "ExternalName") {
    if (spec.internalTrafficPolicy === undefined || spec.internalTrafficPolicy === null)
      errs.push(fieldErr.required(childPath(sp, "internalTrafficPolicy"), ""));
    else errs.push(...validateEnum(spec.internalTrafficPolicy, ["Cluster", "Local"], childPath(sp, "internalTrafficPolicy")));
  }
  if (spec.ipFamilyPolicy !== undefined && spec.ipFamilyPolicy !== null)
    errs.push(...validateEnum(spec.ipFamilyPolicy, ["PreferDualStack", "RequireDualStack", "SingleStack"], childPath(sp, "ipFamilyPolicy")));
  const fams = arr(spec.ipFamilies);
  fams.forEach((f, i) => {
    if (f !== "IPv4" && f !== "IPv6") errs.push(fieldErr.notSupported(indexPath(childPath(sp, "ipFamilies"), i), f, ["IPv4", "IPv6"]));
    else if (fams.indexOf(f) !== i) errs.push(fieldErr.duplicate(indexPath(childPath(sp, "ipFamilies"), i), f));
  });
  if (spec.ipFamilyPolicy === "SingleStack" && fams.length > 1)
    errs.push(fieldErr.invalid(childPath(sp, "ipFamilies"), fams, "when spec.ipFamilyPolicy is SingleStack, must have at most 1 entry"));
  if (spec.loadBalancerClass) {
    if (spec.type !== "LoadBalancer") errs.push(fieldErr.forbidden(childPath(sp, "loadBalancerClass"), "may only be used when `type` is 'LoadBalancer'"));
    else for (const m of isQualifiedName(str(spec.loadBalancerClass))) errs.push(fieldErr.invalid(childPath(sp, "loadBalancerClass"), spec.loadBalancerClass, m));
  }
  return errs;
}

export function validateService(o: KObject): FieldError[] {
  return [...validateObjectMeta(o.metadata, true, nameIsDNS1035Label), ...validateServiceSpec(obj(o.spec))];
}

export function validateServiceUpdate(o: KObject, old: KObject): FieldError[] {
  const errs = validateObjectMetaUpdate(o.metadata, old.metadata);
  const ns = obj(o.spec);
  const os = obj(old.spec);
  // ClusterIPs may not change once allocated, unless the service becomes (or was) ExternalName.
  if (os.type !== "ExternalName" && ns.type !== "ExternalName") {
    const oldIPs = arr(os.clusterIPs).length ? arr(os.clusterIPs) : os.clusterIP ? [os.clusterIP] : [];
    const newIPs = arr(ns.clusterIPs).length ? arr(ns.clusterIPs) : ns.clusterIP ? [ns.clusterIP] : [];
    if (oldIPs.length > 0) {
      if (newIPs.length === 0) errs.push(fieldErr.invalid("spec.clusterIPs[0]", ns.clusterIPs ?? null, "primary clusterIP can not be unset"));
      else if (newIPs[0] !== oldIPs[0]) errs.push(fieldErr.invalid("spec.clusterIPs[0]", newIPs, "may not change once set"));
      else if (oldIPs.length > 1 && newIPs.length > 1 && oldIPs[1] !== newIPs[1])
        errs.push(fieldErr.invalid("spec.clusterIPs[1]", newIPs, "may not change once set"));
    }
  }
  errs.push(...validateServiceSpec(ns));
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
  for (const [k, v] of Object.entries(obj(o.data))) {
    for (const m of isConfigMapKey(k)) errs.push(fieldErr.invalid(keyPath("data", k), k, m));
    total += Buffer.byteLength(str(v));
  }
  for (const [k, v] of Object.entries(obj(o.binaryData))) {
    for (const m of isConfigMapKey(k)) errs.push(fieldErr.invalid(keyPath("binaryData", k), k, m));
    if (k in obj(o.data)) errs.push(fieldErr.invalid(keyPath("binaryData", k), k, "duplicate of key present in data"));
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
      need(".dockercfg");
      break;
    case "kubernetes.io/dockerconfigjson":
      need(".dockerconfigjson");
      break;
    case "kubernetes.io/basic-auth":
      if (!("username" in data) && !("password" in data)) {
        need("username");
        need("password");
      }
      break;
    case "kubernetes.io/ssh-auth":
      need("ssh-privatekey");
      break;
    case "kubernetes.io/tls":
      need("tls.key");
      need("tls.crt");
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
  arr(obj(o.spec).finalizers).forEach((f) => errs.push(...validateFinalizerName(str(f), "spec.finalizers")));
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
  return validateObjectMetaUpdate(o.metadata, old.metadata);
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
