/**
 * networking.k8s.io and discovery.k8s.io validation as upstream: Ingress
 * (rules, paths and pathType, backends, TLS), IngressClass, NetworkPolicy
 * (peers, ports, policyTypes) and EndpointSlice (addressType, endpoints,
 * ports).
 */

import { fieldErr, type FieldError } from "../../machinery/errors.ts";
import {
  childPath,
  indexPath,
  isDNS1035Label,
  isDNS1123Label,
  isDNS1123Subdomain,
  isIPv4Address,
  isIPv6Address,
  isQualifiedName,
  isValidCIDR,
  isValidIP,
  isValidPortName,
  isValidPathSegmentName,
  isValidPortNum,
  isWildcardDNS1123Subdomain,
  regexError,
  nameIsDNSSubdomain,
  validateImmutableField,
  validateObjectMeta,
  validateObjectMetaUpdate,
} from "../../machinery/validation.ts";
import type { KObject } from "../types.ts";
import { arr, isObj, obj, str, validateEnum, validateLabelSelector, type Obj } from "./common.ts";
import { supportedPortProtocols } from "./containers.ts";

// ---------------------------------------------------------------------------
// Ingress

const pathTypes = ["Exact", "ImplementationSpecific", "Prefix"];
const invalidPathSequences = ["//", "/./", "/../", "%2f", "%2F"];
const invalidPathSuffixes = ["/..", "/."];

function validateBackend(b: Obj, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const hasResource = isObj(b.resource);
  const hasService = isObj(b.service);
  if (hasResource && hasService) return [fieldErr.invalid(path, "", "cannot set both resource and service backends")];
  if (!hasResource && !hasService) return [fieldErr.invalid(path, "", "resource or service backend is required")];
  if (hasService) {
    const s = b.service;
    if (!s.name) errs.push(fieldErr.required(childPath(path, "service", "name"), ""));
    else for (const m of isDNS1035Label(str(s.name))) errs.push(fieldErr.invalid(childPath(path, "service", "name"), s.name, m));
    const port = obj(s.port);
    const hasName = !!port.name;
    const hasNumber = typeof port.number === "number" && port.number !== 0;
    if (hasName && hasNumber) errs.push(fieldErr.invalid(path, "", "cannot set both port name & port number"));
    else if (hasName) for (const m of isValidPortName(str(port.name))) errs.push(fieldErr.invalid(childPath(path, "service", "port", "name"), port.name, m));
    else if (hasNumber) for (const m of isValidPortNum(port.number)) errs.push(fieldErr.invalid(childPath(path, "service", "port", "number"), port.number, m));
    else errs.push(fieldErr.required(path, "port name or number is required"));
  } else {
    errs.push(...validateTypedRef(b.resource, childPath(path, "resource")));
  }
  return errs;
}

function validateIngressPath(p: Obj, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const value = str(p.path);
  if (p.pathType === undefined || p.pathType === null) return [fieldErr.required(childPath(path, "pathType"), "pathType must be specified")];
  if (p.pathType === "Exact" || p.pathType === "Prefix") {
    if (!value.startsWith("/")) errs.push(fieldErr.invalid(childPath(path, "path"), value, "must be an absolute path"));
    for (const seq of invalidPathSequences)
      if (value.includes(seq)) errs.push(fieldErr.invalid(childPath(path, "path"), value, `must not contain '${seq}'`));
    for (const suf of invalidPathSuffixes)
      if (value.endsWith(suf)) errs.push(fieldErr.invalid(childPath(path, "path"), value, `cannot end with '${suf}'`));
  } else if (p.pathType === "ImplementationSpecific") {
    if (value.length > 0 && !value.startsWith("/")) errs.push(fieldErr.invalid(childPath(path, "path"), value, "must be an absolute path"));
  } else {
    errs.push(fieldErr.notSupported(childPath(path, "pathType"), p.pathType, pathTypes));
  }
  errs.push(...validateBackend(obj(p.backend), childPath(path, "backend")));
  return errs;
}

function validateHost(host: string, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (isValidIP(host).length === 0) errs.push(fieldErr.invalid(path, host, "must be a DNS name, not an IP address"));
  const msgs = host.includes("*") ? isWildcardDNS1123Subdomain(host) : isDNS1123Subdomain(host);
  for (const m of msgs) errs.push(fieldErr.invalid(path, host, m));
  return errs;
}

function validateIngressSpec(spec: Obj): FieldError[] {
  const errs: FieldError[] = [];
  const rules = arr(spec.rules);
  if (rules.length === 0 && !isObj(spec.defaultBackend))
    errs.push(fieldErr.invalid("spec", spec.rules ?? null, "either `defaultBackend` or `rules` must be specified"));
  if (isObj(spec.defaultBackend)) errs.push(...validateBackend(spec.defaultBackend, "spec.defaultBackend"));
  rules.forEach((raw, i) => {
    const r = obj(raw);
    const rp = indexPath("spec.rules", i);
    if (r.host) errs.push(...validateHost(str(r.host), childPath(rp, "host")));
    if (isObj(r.http)) {
      const paths = arr(r.http.paths);
      const pp = childPath(rp, "http", "paths");
      if (paths.length === 0) errs.push(fieldErr.required(pp, ""));
      paths.forEach((p, j) => errs.push(...validateIngressPath(obj(p), indexPath(pp, j))));
    }
  });
  arr(spec.tls).forEach((raw, i) => {
    const t = obj(raw);
    arr(t.hosts).forEach((h, j) => {
      const hp = indexPath(childPath(indexPath("spec.tls", i), "hosts"), j);
      const msgs = str(h).includes("*") ? isWildcardDNS1123Subdomain(str(h)) : isDNS1123Subdomain(str(h));
      for (const m of msgs) errs.push(fieldErr.invalid(hp, h, m));
    });
    if (t.secretName)
      for (const m of isDNS1123Subdomain(str(t.secretName))) errs.push(fieldErr.invalid(childPath(indexPath("spec.tls", i), "secretName"), t.secretName, m));
  });
  if (spec.ingressClassName)
    for (const m of isDNS1123Subdomain(str(spec.ingressClassName))) errs.push(fieldErr.invalid("spec.ingressClassName", spec.ingressClassName, m));
  return errs;
}

export function validateIngress(o: KObject): FieldError[] {
  return [...validateObjectMeta(o.metadata, true, nameIsDNSSubdomain), ...validateIngressSpec(obj(o.spec))];
}

export function validateIngressUpdate(o: KObject, old: KObject): FieldError[] {
  return [...validateObjectMetaUpdate(o.metadata, old.metadata), ...validateIngressSpec(obj(o.spec))];
}

export function validateIngressStatusUpdate(o: KObject, old: KObject): FieldError[] {
  const errs = validateObjectMetaUpdate(o.metadata, old.metadata);
  arr(obj(obj(o.status).loadBalancer).ingress).forEach((raw, i) => {
    const ing = obj(raw);
    const ip = indexPath("status.loadBalancer.ingress", i);
    if (ing.ip) for (const m of isValidIP(str(ing.ip))) errs.push(fieldErr.invalid(childPath(ip, "ip"), ing.ip, m));
    if (ing.hostname) for (const m of isDNS1123Subdomain(str(ing.hostname))) errs.push(fieldErr.invalid(childPath(ip, "hostname"), ing.hostname, m));
  });
  return errs;
}

// ---------------------------------------------------------------------------
// IngressClass

/** An object reference by kind and name (path-segment names), with an optional API group. */
function validateTypedRef(ref: Obj, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (ref.apiGroup !== undefined && ref.apiGroup !== null)
    for (const m of isDNS1123Subdomain(str(ref.apiGroup))) errs.push(fieldErr.invalid(childPath(path, "apiGroup"), ref.apiGroup, m));
  for (const f of ["kind", "name"]) {
    if (!ref[f]) errs.push(fieldErr.required(childPath(path, f), ""));
    else for (const m of isValidPathSegmentName(str(ref[f]))) errs.push(fieldErr.invalid(childPath(path, f), ref[f], m));
  }
  return errs;
}

function validateIngressClassSpec(spec: Obj): FieldError[] {
  const errs: FieldError[] = [];
  const c = str(spec.controller);
  if (!c) errs.push(fieldErr.required("spec.controller", ""));
  else {
    if (c.length > 250) errs.push(fieldErr.tooLong("spec.controller", 250));
    const slash = c.indexOf("/");
    const host = slash < 0 ? "" : c.slice(0, slash);
    const rest = slash < 0 ? "" : c.slice(slash + 1);
    if (!host || !rest) errs.push(fieldErr.invalid("spec.controller", c, 'must be a domain-prefixed path (such as "acme.io/foo")'));
    else {
      for (const m of isDNS1123Subdomain(host)) errs.push(fieldErr.invalid("spec.controller", host, m));
      if (!/^[A-Za-z0-9/\-._~%!$&'()*+,;=:]+$/.test(rest))
        errs.push(fieldErr.invalid("spec.controller", rest, regexError("Invalid path", "[A-Za-z0-9/\\-._~%!$&'()*+,;=:]+")));
    }
  }
  if (isObj(spec.parameters)) {
    const p = spec.parameters;
    const pp = "spec.parameters";
    errs.push(...validateTypedRef(p, pp));
    if (p.scope === undefined || p.scope === null) errs.push(fieldErr.required(childPath(pp, "scope"), ""));
    else if (p.scope !== "Cluster" && p.scope !== "Namespace") errs.push(fieldErr.notSupported(childPath(pp, "scope"), p.scope, ["Cluster", "Namespace"]));
    else if (p.scope === "Namespace") {
      if (p.namespace === undefined || p.namespace === null) errs.push(fieldErr.required(childPath(pp, "namespace"), "`parameters.scope` is set to 'Namespace'"));
      else for (const m of isDNS1123Label(str(p.namespace))) errs.push(fieldErr.invalid(childPath(pp, "namespace"), p.namespace, m));
    } else if (p.namespace !== undefined && p.namespace !== null) {
      errs.push(fieldErr.forbidden(childPath(pp, "namespace"), "`parameters.scope` is set to 'Cluster'"));
    }
  }
  return errs;
}

export function validateIngressClass(o: KObject): FieldError[] {
  return [...validateObjectMeta(o.metadata, false, nameIsDNSSubdomain), ...validateIngressClassSpec(obj(o.spec))];
}

export function validateIngressClassUpdate(o: KObject, old: KObject): FieldError[] {
  const errs = validateObjectMetaUpdate(o.metadata, old.metadata);
  errs.push(...validateImmutableField(obj(o.spec).controller, obj(old.spec).controller, "spec.controller"));
  errs.push(...validateIngressClass(o));
  return errs;
}

// ---------------------------------------------------------------------------
// NetworkPolicy

function cidrBits(cidr: string): { bits: bigint; len: number; width: number } {
  const [ip, l] = cidr.split("/");
  if (ip.includes(":")) {
    const [head, tail] = ip.split("::");
    const h = head ? head.split(":") : [];
    const t = tail !== undefined && tail ? tail.split(":") : [];
    const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill("0"), ...t];
    return { bits: groups.reduce((a, g) => (a << 16n) + BigInt(parseInt(g || "0", 16)), 0n), len: Number(l), width: 128 };
  }
  return { bits: ip.split(".").reduce((a, o) => (a << 8n) + BigInt(Number(o)), 0n), len: Number(l), width: 32 };
}

/** True when `inner` lies inside `outer` and is strictly more specific. */
function cidrStrictlyContains(outer: string, inner: string): boolean {
  const o = cidrBits(outer);
  const i = cidrBits(inner);
  if (o.width !== i.width || i.len <= o.len) return false;
  const shift = BigInt(o.width - o.len);
  return o.bits >> shift === i.bits >> shift;
}

function validatePolicyPorts(ports: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  arr(ports).forEach((raw, i) => {
    const p = obj(raw);
    const pp = indexPath(path, i);
    if (p.protocol !== undefined && p.protocol !== null && !["TCP", "UDP", "SCTP"].includes(p.protocol))
      errs.push(fieldErr.notSupported(childPath(pp, "protocol"), p.protocol, ["TCP", "UDP", "SCTP"]));
    if (p.port !== undefined && p.port !== null) {
      if (typeof p.port === "number") {
        for (const m of isValidPortNum(p.port)) errs.push(fieldErr.invalid(childPath(pp, "port"), p.port, m));
        if (p.endPort !== undefined && p.endPort !== null) {
          if (p.endPort < p.port) errs.push(fieldErr.invalid(childPath(pp, "endPort"), p.endPort, "must be greater than or equal to `port`"));
          for (const m of isValidPortNum(p.endPort)) errs.push(fieldErr.invalid(childPath(pp, "endPort"), p.endPort, m));
        }
      } else {
        if (p.endPort !== undefined && p.endPort !== null)
          errs.push(fieldErr.invalid(childPath(pp, "endPort"), p.endPort, "may not be specified when `port` is non-numeric"));
        for (const m of isValidPortName(str(p.port))) errs.push(fieldErr.invalid(childPath(pp, "port"), p.port, m));
      }
    } else if (p.endPort !== undefined && p.endPort !== null) {
      errs.push(fieldErr.invalid(childPath(pp, "endPort"), p.endPort, "may not be specified when `port` is not specified"));
    }
  });
  return errs;
}

function validatePeers(peers: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  arr(peers).forEach((raw, i) => {
    const p = obj(raw);
    const pp = indexPath(path, i);
    let n = 0;
    if (isObj(p.podSelector)) {
      n++;
      errs.push(...validateLabelSelector(p.podSelector, childPath(pp, "podSelector")));
    }
    if (isObj(p.namespaceSelector)) {
      n++;
      errs.push(...validateLabelSelector(p.namespaceSelector, childPath(pp, "namespaceSelector")));
    }
    if (isObj(p.ipBlock)) {
      n++;
      const bp = childPath(pp, "ipBlock");
      const cidr = str(p.ipBlock.cidr);
      if (!cidr) errs.push(fieldErr.required(childPath(bp, "cidr"), ""));
      else {
        const msgs = isValidCIDR(cidr);
        for (const m of msgs) errs.push(fieldErr.invalid(childPath(bp, "cidr"), cidr, m));
        if (msgs.length === 0)
          arr(p.ipBlock.except).forEach((e, j) => {
            const ep = indexPath(childPath(bp, "except"), j);
            const em = isValidCIDR(str(e));
            for (const m of em) errs.push(fieldErr.invalid(ep, e, m));
            if (em.length === 0 && !cidrStrictlyContains(cidr, str(e))) errs.push(fieldErr.invalid(ep, e, "must be a strict subset of `cidr`"));
          });
      }
    }
    if (n === 0) errs.push(fieldErr.required(pp, "must specify a peer"));
    else if (isObj(p.ipBlock) && n > 1) errs.push(fieldErr.forbidden(pp, "may not specify both ipBlock and another peer"));
  });
  return errs;
}

function validateNetworkPolicySpec(spec: Obj): FieldError[] {
  const errs = validateLabelSelector(spec.podSelector, "spec.podSelector");
  arr(spec.ingress).forEach((raw, i) => {
    const r = obj(raw);
    const ip = indexPath("spec.ingress", i);
    errs.push(...validatePolicyPorts(r.ports, childPath(ip, "ports")));
    errs.push(...validatePeers(r.from, childPath(ip, "from")));
  });
  arr(spec.egress).forEach((raw, i) => {
    const r = obj(raw);
    const ep = indexPath("spec.egress", i);
    errs.push(...validatePolicyPorts(r.ports, childPath(ep, "ports")));
    errs.push(...validatePeers(r.to, childPath(ep, "to")));
  });
  const types = arr(spec.policyTypes);
  if (types.length > 2) {
    errs.push(fieldErr.invalid("spec.policyTypes", types, "may not specify more than two policyTypes"));
    return errs;
  }
  types.forEach((t, i) => {
    if (t !== "Ingress" && t !== "Egress") errs.push(fieldErr.notSupported(indexPath("spec.policyTypes", i), t, ["Ingress", "Egress"]));
  });
  return errs;
}

export function validateNetworkPolicy(o: KObject): FieldError[] {
  return [...validateObjectMeta(o.metadata, true, nameIsDNSSubdomain), ...validateNetworkPolicySpec(obj(o.spec))];
}

export function validateNetworkPolicyUpdate(o: KObject, old: KObject): FieldError[] {
  return [...validateObjectMetaUpdate(o.metadata, old.metadata), ...validateNetworkPolicySpec(obj(o.spec))];
}

// ---------------------------------------------------------------------------
// EndpointSlice

const addressTypes = ["FQDN", "IPv4", "IPv6"];
const maxEndpoints = 1000;
const maxAddresses = 100;
const maxPorts = 20000;

function validateEndpointSliceBody(o: KObject): FieldError[] {
  const errs: FieldError[] = [];
  const at = o.addressType;
  if (!addressTypes.includes(at)) errs.push(fieldErr.notSupported("addressType", at ?? "", addressTypes));
  const endpoints = arr(o.endpoints);
  if (endpoints.length > maxEndpoints) errs.push(fieldErr.tooMany("endpoints", endpoints.length, maxEndpoints));
  endpoints.forEach((raw, i) => {
    const ep = obj(raw);
    const p = indexPath("endpoints", i);
    const addrs = arr(ep.addresses);
    const ap = childPath(p, "addresses");
    if (addrs.length === 0) errs.push(fieldErr.required(ap, "must contain at least 1 address"));
    else if (addrs.length > maxAddresses) errs.push(fieldErr.tooMany(ap, addrs.length, maxAddresses));
    addrs.forEach((a, j) => {
      const s = str(a);
      const apj = indexPath(ap, j);
      if (at === "IPv4" && !isIPv4Address(s)) errs.push(fieldErr.invalid(apj, s, "must be a valid IPv4 address"));
      if (at === "IPv6" && !isIPv6Address(s)) errs.push(fieldErr.invalid(apj, s, "must be a valid IPv6 address"));
      if (at === "FQDN") for (const m of isDNS1123Subdomain(s)) errs.push(fieldErr.invalid(apj, s, m));
    });
    if (ep.nodeName) for (const m of isDNS1123Subdomain(str(ep.nodeName))) errs.push(fieldErr.invalid(childPath(p, "nodeName"), ep.nodeName, m));
    if (ep.hostname) for (const m of isDNS1123Label(str(ep.hostname))) errs.push(fieldErr.invalid(childPath(p, "hostname"), ep.hostname, m));
    if (isObj(ep.deprecatedTopology))
      for (const k of Object.keys(ep.deprecatedTopology))
        for (const m of isQualifiedName(k)) errs.push(fieldErr.invalid(childPath(p, "deprecatedTopology"), k, m));
  });
  const ports = arr(o.ports);
  if (ports.length > maxPorts) errs.push(fieldErr.tooMany("ports", ports.length, maxPorts));
  const names = new Set<string>();
  ports.forEach((raw, i) => {
    const port = obj(raw);
    const pp = indexPath("ports", i);
    const name = str(port.name);
    if (name) for (const m of isDNS1123Label(name)) errs.push(fieldErr.invalid(childPath(pp, "name"), name, m));
    if (names.has(name)) errs.push(fieldErr.duplicate(childPath(pp, "name"), name));
    names.add(name);
    if (port.protocol === undefined || port.protocol === null) errs.push(fieldErr.required(childPath(pp, "protocol"), ""));
    else errs.push(...validateEnum(port.protocol, supportedPortProtocols, childPath(pp, "protocol")));
    if (port.port !== undefined && port.port !== null && port.port !== 0)
      for (const m of isValidPortNum(port.port)) errs.push(fieldErr.invalid(childPath(pp, "port"), port.port, m));
    if (port.appProtocol) for (const m of isQualifiedName(str(port.appProtocol))) errs.push(fieldErr.invalid(childPath(pp, "appProtocol"), port.appProtocol, m));
  });
  return errs;
}

export function validateEndpointSlice(o: KObject): FieldError[] {
  return [...validateObjectMeta(o.metadata, true, nameIsDNSSubdomain), ...validateEndpointSliceBody(o)];
}

export function validateEndpointSliceUpdate(o: KObject, old: KObject): FieldError[] {
  const errs = validateObjectMetaUpdate(o.metadata, old.metadata);
  errs.push(...validateEndpointSliceBody(o));
  errs.push(...validateImmutableField(o.addressType, old.addressType, "addressType"));
  return errs;
}
