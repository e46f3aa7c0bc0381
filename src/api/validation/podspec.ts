/**
 * Validation of core/v1 PodSpec and PodTemplateSpec as upstream: volumes
 * (names, exactly one source, per-source required fields), containers and
 * init containers, restart and DNS policies, node selector, tolerations,
 * affinity, topology spread, host aliases, DNS config, security context
 * IDs and the remaining scalar fields. Pods, controllers' templates and
 * Jobs all funnel through `validatePodSpec`.
 */

import { fieldErr, type FieldError } from "../../machinery/errors.ts";
import {
  childPath,
  indexPath,
  inclusiveRangeError,
  isDNS1123Label,
  isDNS1123Subdomain,
  isQualifiedName,
  isValidIP,
  isValidLabelValue,
  validateAnnotations,
  validateLabelName,
  validateLabels,
} from "../../machinery/validation.ts";
import { arr, isObj, obj, quantityAt, str, validateEnum, validateLabelSelector, type Obj } from "./common.ts";
import { validateContainers, validateFieldRef, validateInitContainers, validateLocalDescendingPath } from "./containers.ts";

const downwardAPIVolumeFieldPaths = ["metadata.annotations", "metadata.labels", "metadata.name", "metadata.namespace", "metadata.uid"];

export const volumeSourceKinds = [
  "emptyDir",
  "hostPath",
  "gcePersistentDisk",
  "awsElasticBlockStore",
  "gitRepo",
  "secret",
  "nfs",
  "iscsi",
  "glusterfs",
  "persistentVolumeClaim",
  "rbd",
  "flexVolume",
  "cinder",
  "cephfs",
  "flocker",
  "downwardAPI",
  "fc",
  "azureFile",
  "configMap",
  "vsphereVolume",
  "quobyte",
  "azureDisk",
  "photonPersistentDisk",
  "projected",
  "portworxVolume",
  "scaleIO",
  "storageos",
  "csi",
  "ephemeral",
  "image",
] as const;

const fileModeErrorMsg = "must be a number between 0 and 0777 (octal), both inclusive";
const hostPathTypes = ["", "BlockDevice", "CharDevice", "Directory", "DirectoryOrCreate", "File", "FileOrCreate", "Socket"];
const restartPolicies = ["Always", "OnFailure", "Never"];
const dnsPolicies = ["ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"];
const taintEffects = ["NoSchedule", "PreferNoSchedule", "NoExecute"];
const maxInt32 = 2147483647;

function validateMode(mode: unknown, path: string): FieldError[] {
  if (mode === undefined || mode === null) return [];
  return typeof mode === "number" && mode >= 0 && mode <= 0o777 ? [] : [fieldErr.invalid(path, mode, fileModeErrorMsg)];
}

function validateKeyToPaths(items: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  arr(items).forEach((raw, i) => {
    const it = obj(raw);
    const ip = indexPath(path, i);
    if (!it.key) errs.push(fieldErr.required(childPath(ip, "key"), ""));
    if (!it.path) errs.push(fieldErr.required(childPath(ip, "path"), ""));
    else {
      errs.push(...validateLocalDescendingPath(str(it.path), childPath(ip, "path")));
      if (str(it.path).startsWith("..")) errs.push(fieldErr.invalid(childPath(ip, "path"), it.path, "must not start with '..'"));
    }
    errs.push(...validateMode(it.mode, childPath(ip, "mode")));
  });
  return errs;
}

function validateVolumeSource(kind: string, src: Obj, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const req = (f: string): void => {
    if (!src[f]) errs.push(fieldErr.required(childPath(path, f), ""));
  };
  switch (kind) {
    case "hostPath":
      req("path");
      if (src.type !== undefined && src.type !== null && !hostPathTypes.includes(src.type))
        errs.push(fieldErr.notSupported(childPath(path, "type"), src.type, hostPathTypes));
      break;
    case "emptyDir":
      if (src.sizeLimit !== undefined) {
        const q = quantityAt(src.sizeLimit, childPath(path, "sizeLimit"), errs);
        if (q && q.sign() < 0) errs.push(fieldErr.forbidden(childPath(path, "sizeLimit"), "SizeLimit field must be a valid resource quantity"));
      }
      break;
    case "secret":
      req("secretName");
      errs.push(...validateMode(src.defaultMode, childPath(path, "defaultMode")));
      errs.push(...validateKeyToPaths(src.items, childPath(path, "items")));
      break;
    case "configMap":
      req("name");
      errs.push(...validateMode(src.defaultMode, childPath(path, "defaultMode")));
      errs.push(...validateKeyToPaths(src.items, childPath(path, "items")));
      break;
    case "persistentVolumeClaim":
      req("claimName");
      break;
    case "nfs":
      req("server");
      req("path");
      if (src.path && !str(src.path).startsWith("/")) errs.push(fieldErr.invalid(childPath(path, "path"), src.path, "must be an absolute path"));
      break;
    case "downwardAPI":
      errs.push(...validateMode(src.defaultMode, childPath(path, "defaultMode")));
      arr(src.items).forEach((raw, i) => {
        const it = obj(raw);
        const ip = indexPath(childPath(path, "items"), i);
        if (!it.path) errs.push(fieldErr.required(childPath(ip, "path"), ""));
        else errs.push(...validateLocalDescendingPath(str(it.path), childPath(ip, "path")));
        errs.push(...validateMode(it.mode, childPath(ip, "mode")));
        if (isObj(it.fieldRef)) errs.push(...validateFieldRef(it.fieldRef, childPath(ip, "fieldRef"), downwardAPIVolumeFieldPaths));
      });
      break;
    case "projected":
      errs.push(...validateMode(src.defaultMode, childPath(path, "defaultMode")));
      break;
    case "csi":
      req("driver");
      break;
    case "ephemeral":
      if (!isObj(src.volumeClaimTemplate)) errs.push(fieldErr.required(childPath(path, "volumeClaimTemplate"), ""));
      break;
    case "image":
      req("reference");
      break;
    case "iscsi":
      req("targetPortal");
      req("iqn");
      break;
  }
  return errs;
}

/** Volume list: unique DNS-1123 label names and exactly one source each. Returns name -> volume too. */
export function validateVolumes(volumes: unknown, path: string): { errs: FieldError[]; byName: Map<string, Obj> } {
  const errs: FieldError[] = [];
  const byName = new Map<string, Obj>();
  arr(volumes).forEach((raw, i) => {
    const v = obj(raw);
    const ip = indexPath(path, i);
    const np = childPath(ip, "name");
    let nameOk = true;
    if (!v.name) {
      errs.push(fieldErr.required(np, ""));
      nameOk = false;
    } else {
      const msgs = isDNS1123Label(str(v.name));
      for (const m of msgs) errs.push(fieldErr.invalid(np, v.name, m));
      if (msgs.length) nameOk = false;
    }
    let n = 0;
    for (const kind of volumeSourceKinds) {
      if (!isObj(v[kind])) continue;
      if (n++ > 0) {
        errs.push(fieldErr.forbidden(childPath(ip, kind), "may not specify more than 1 volume type"));
        continue;
      }
      errs.push(...validateVolumeSource(kind, v[kind], childPath(ip, kind)));
    }
    if (n === 0) errs.push(fieldErr.required(ip, "must specify a volume type"));
    if (nameOk) {
      if (byName.has(v.name)) errs.push(fieldErr.duplicate(np, v.name));
      else byName.set(v.name, v);
    }
  });
  return { errs, byName };
}

/** Tolerations: key, operator, value and effect rules. */
export function validateTolerations(tolerations: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  arr(tolerations).forEach((raw, i) => {
    const t = obj(raw);
    const ip = indexPath(path, i);
    if (t.key) errs.push(...validateLabelName(str(t.key), childPath(ip, "key")));
    if (!t.key && t.operator !== "Exists")
      errs.push(
        fieldErr.invalid(
          childPath(ip, "operator"),
          t.operator ?? "",
          'operator must be Exists when `key` is empty, which means "match all values and all keys"',
        ),
      );
    if (t.tolerationSeconds !== undefined && t.tolerationSeconds !== null && t.effect !== "NoExecute")
      errs.push(fieldErr.invalid(childPath(ip, "effect"), t.effect ?? "", "effect must be 'NoExecute' when `tolerationSeconds` is set"));
    switch (t.operator ?? "") {
      case "":
      case "Equal": {
        const msgs = isValidLabelValue(str(t.value));
        if (msgs.length) errs.push(fieldErr.invalid(childPath(ip, "operator"), t.value, msgs.join(";")));
        break;
      }
      case "Exists":
        if (t.value) errs.push(fieldErr.invalid(childPath(ip, "operator"), t.value, "value must be empty when `operator` is 'Exists'"));
        break;
      default:
        errs.push(fieldErr.notSupported(childPath(ip, "operator"), t.operator, ["Equal", "Exists"]));
    }
    if (t.effect) errs.push(...validateEnum(t.effect, taintEffects, childPath(ip, "effect")));
  });
  return errs;
}

function validateNodeSelectorRequirement(rq: Obj, path: string, checkValues: boolean): FieldError[] {
  const errs: FieldError[] = [];
  const values = arr(rq.values);
  switch (rq.operator) {
    case "In":
    case "NotIn":
      if (values.length === 0) errs.push(fieldErr.required(childPath(path, "values"), "must be specified when `operator` is 'In' or 'NotIn'"));
      break;
    case "Exists":
    case "DoesNotExist":
      if (values.length > 0)
        errs.push(fieldErr.forbidden(childPath(path, "values"), "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"));
      break;
    case "Gt":
    case "Lt":
      if (values.length !== 1)
        errs.push(fieldErr.required(childPath(path, "values"), "must be specified single value when `operator` is 'Lt' or 'Gt'"));
      break;
    default:
      errs.push(fieldErr.invalid(childPath(path, "operator"), rq.operator, "not a valid selector operator"));
  }
  errs.push(...validateLabelName(str(rq.key), childPath(path, "key")));
  if (checkValues)
    values.forEach((v, i) => {
      for (const m of isValidLabelValue(str(v))) errs.push(fieldErr.invalid(indexPath(childPath(path, "values"), i), v, m));
    });
  return errs;
}

function validateNodeFieldSelectorRequirement(rq: Obj, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const values = arr(rq.values);
  if (rq.operator === "In" || rq.operator === "NotIn") {
    if (values.length !== 1)
      errs.push(fieldErr.required(childPath(path, "values"), "must be only one value when `operator` is 'In' or 'NotIn' for node field selector"));
  } else {
    errs.push(fieldErr.invalid(childPath(path, "operator"), rq.operator, "not a valid selector operator"));
  }
  if (rq.key !== "metadata.name") errs.push(fieldErr.invalid(childPath(path, "key"), rq.key, "not a valid field selector key"));
  else
    values.forEach((v, i) => {
      for (const m of isDNS1123Subdomain(str(v))) errs.push(fieldErr.invalid(indexPath(childPath(path, "values"), i), v, m));
    });
  return errs;
}

function validateNodeSelectorTerm(term: unknown, path: string, checkValues: boolean): FieldError[] {
  const errs: FieldError[] = [];
  const t = obj(term);
  arr(t.matchExpressions).forEach((r, j) =>
    errs.push(...validateNodeSelectorRequirement(obj(r), indexPath(childPath(path, "matchExpressions"), j), checkValues)),
  );
  arr(t.matchFields).forEach((r, j) => errs.push(...validateNodeFieldSelectorRequirement(obj(r), indexPath(childPath(path, "matchFields"), j))));
  return errs;
}

/** A core/v1 NodeSelector (required node affinity, PV node affinity). */
export function validateNodeSelector(sel: unknown, path: string): FieldError[] {
  const terms = arr(obj(sel).nodeSelectorTerms);
  const tp = childPath(path, "nodeSelectorTerms");
  if (terms.length === 0) return [fieldErr.required(tp, "must have at least one node selector term")];
  return terms.flatMap((t, i) => validateNodeSelectorTerm(t, indexPath(tp, i), true));
}

function validateWeight(w: unknown, path: string): FieldError[] {
  return typeof w === "number" && w >= 1 && w <= 100 ? [] : [fieldErr.invalid(path, w ?? 0, "must be in the range 1-100")];
}

function validatePodAffinityTerm(term: Obj, path: string): FieldError[] {
  const errs: FieldError[] = [];
  errs.push(...validateLabelSelector(term.labelSelector, childPath(path, "labelSelector")));
  errs.push(...validateLabelSelector(term.namespaceSelector, childPath(path, "namespaceSelector")));
  for (const ns of arr(term.namespaces))
    for (const m of isDNS1123Label(str(ns))) errs.push(fieldErr.invalid(childPath(path, "namespace"), ns, m));
  if (!term.topologyKey) errs.push(fieldErr.required(childPath(path, "topologyKey"), "can not be empty"));
  errs.push(...validateLabelName(str(term.topologyKey), childPath(path, "topologyKey")));
  return errs;
}

function validatePodAffinityKind(a: unknown, path: string): FieldError[] {
  if (!isObj(a)) return [];
  const errs: FieldError[] = [];
  const rp = childPath(path, "requiredDuringSchedulingIgnoredDuringExecution");
  arr(a.requiredDuringSchedulingIgnoredDuringExecution).forEach((t, i) => errs.push(...validatePodAffinityTerm(obj(t), indexPath(rp, i))));
  const pp = childPath(path, "preferredDuringSchedulingIgnoredDuringExecution");
  arr(a.preferredDuringSchedulingIgnoredDuringExecution).forEach((raw, i) => {
    const w = obj(raw);
    errs.push(...validateWeight(w.weight, childPath(indexPath(pp, i), "weight")));
    errs.push(...validatePodAffinityTerm(obj(w.podAffinityTerm), childPath(indexPath(pp, i), "podAffinityTerm")));
  });
  return errs;
}

/** Node, pod and pod anti-affinity. */
export function validateAffinity(affinity: unknown, path: string): FieldError[] {
  if (!isObj(affinity)) return [];
  const errs: FieldError[] = [];
  const na = affinity.nodeAffinity;
  if (isObj(na)) {
    const np = childPath(path, "nodeAffinity");
    if (isObj(na.requiredDuringSchedulingIgnoredDuringExecution))
      errs.push(...validateNodeSelector(na.requiredDuringSchedulingIgnoredDuringExecution, childPath(np, "requiredDuringSchedulingIgnoredDuringExecution")));
    const pp = childPath(np, "preferredDuringSchedulingIgnoredDuringExecution");
    arr(na.preferredDuringSchedulingIgnoredDuringExecution).forEach((raw, i) => {
      const t = obj(raw);
      errs.push(...validateWeight(t.weight, childPath(indexPath(pp, i), "weight")));
      errs.push(...validateNodeSelectorTerm(t.preference, childPath(indexPath(pp, i), "preference"), false));
    });
  }
  errs.push(...validatePodAffinityKind(affinity.podAffinity, childPath(path, "podAffinity")));
  errs.push(...validatePodAffinityKind(affinity.podAntiAffinity, childPath(path, "podAntiAffinity")));
  return errs;
}

function validateTopologySpread(constraints: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  arr(constraints).forEach((raw, i) => {
    const c = obj(raw);
    const ip = indexPath(path, i);
    if (typeof c.maxSkew !== "number" || c.maxSkew <= 0)
      errs.push(fieldErr.invalid(childPath(ip, "maxSkew"), c.maxSkew ?? 0, "must be greater than zero"));
    if (!c.topologyKey) errs.push(fieldErr.required(childPath(ip, "topologyKey"), "can not be empty"));
    else errs.push(...validateLabelName(str(c.topologyKey), childPath(ip, "topologyKey")));
    errs.push(...validateEnum(c.whenUnsatisfiable, ["DoNotSchedule", "ScheduleAnyway"], childPath(ip, "whenUnsatisfiable")));
    const key = `${c.topologyKey}/${c.whenUnsatisfiable}`;
    if (seen.has(key)) errs.push(fieldErr.duplicate(ip, `{${c.topologyKey}, ${c.whenUnsatisfiable}}`));
    seen.add(key);
    if (c.minDomains !== undefined && c.minDomains !== null) {
      if (typeof c.minDomains !== "number" || c.minDomains <= 0) errs.push(fieldErr.invalid(childPath(ip, "minDomains"), c.minDomains, "must be greater than zero"));
      if (c.whenUnsatisfiable !== "DoNotSchedule") {
        errs.push(fieldErr.invalid(childPath(ip, "minDomains"), c.minDomains, `can only use minDomains if whenUnsatisfiable=DoNotSchedule, not ${c.whenUnsatisfiable}`));
      }
    }
    errs.push(...validateLabelSelector(c.labelSelector, childPath(ip, "labelSelector")));
  });
  return errs;
}

function validateDNSConfig(cfg: unknown, dnsPolicy: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (dnsPolicy === "None" && !isObj(cfg))
    return [fieldErr.required(path, "must provide `dnsConfig` when `dnsPolicy` is None")];
  if (!isObj(cfg)) return errs;
  const ns = arr(cfg.nameservers);
  if (dnsPolicy === "None" && ns.length === 0)
    return [fieldErr.required(childPath(path, "nameservers"), "must provide at least one DNS nameserver when `dnsPolicy` is None")];
  if (ns.length > 3) errs.push(fieldErr.invalid(childPath(path, "nameservers"), ns, "must not have more than 3 nameservers"));
  ns.forEach((n, i) => {
    for (const m of isValidIP(str(n))) errs.push(fieldErr.invalid(indexPath(childPath(path, "nameservers"), i), n, m));
  });
  const searches = arr(cfg.searches);
  if (searches.length > 32) errs.push(fieldErr.invalid(childPath(path, "searches"), searches, "must not have more than 32 search paths"));
  searches.forEach((s, i) => {
    const v = str(s) === "." ? "" : str(s).replace(/\.$/, "");
    if (v) for (const m of isDNS1123Subdomain(v)) errs.push(fieldErr.invalid(indexPath(childPath(path, "searches"), i), s, m));
  });
  arr(cfg.options).forEach((o, i) => {
    if (!obj(o).name) errs.push(fieldErr.required(indexPath(childPath(path, "options"), i), "must not be empty"));
  });
  return errs;
}

function validateIDs(sc: Obj, path: string, fields: string[]): FieldError[] {
  const errs: FieldError[] = [];
  for (const f of fields) {
    const v = sc[f];
    if (typeof v === "number" && (v < 0 || v > maxInt32)) errs.push(fieldErr.invalid(childPath(path, f), v, inclusiveRangeError(0, maxInt32)));
  }
  return errs;
}

/**
 * A PodSpec (of a Pod or of a template) at `path`, in upstream's order.
 * `isPod` enables the Pod-only host-network port rule.
 */
export function validatePodSpec(spec: unknown, path: string, isPod = false): FieldError[] {
  const errs: FieldError[] = [];
  const s = obj(spec);
  if (s.terminationGracePeriodSeconds === undefined || s.terminationGracePeriodSeconds === null)
    errs.push(fieldErr.required(childPath(path, "terminationGracePeriodSeconds"), ""));
  const vols = validateVolumes(s.volumes, childPath(path, "volumes"));
  errs.push(...vols.errs);
  const names = new Set<string>();
  const grace = s.terminationGracePeriodSeconds;
  errs.push(...validateContainers(s.containers, vols.byName, childPath(path, "containers"), names, grace));
  errs.push(...validateHostPorts(arr(s.containers), childPath(path, "containers")));
  errs.push(...validateInitContainers(s.initContainers, vols.byName, childPath(path, "initContainers"), names, grace));
  // init containers run one by one, so conflicts are per container (reported at index 0, as upstream)
  for (const c of arr(s.initContainers)) errs.push(...validateHostPorts([c], childPath(path, "initContainers")));
  if (s.hostNetwork === true)
    arr(s.containers).forEach((c, i) => {
      arr(obj(c).ports).forEach((raw, j) => {
        const p = obj(raw);
        const hp = p.hostPort ?? 0;
        if ((isPod || hp !== 0) && hp !== p.containerPort)
          errs.push(
            fieldErr.invalid(
              childPath(indexPath(childPath(indexPath(childPath(path, "containers"), i), "ports"), j), "hostPort"),
              hp,
              "must match `containerPort` when `hostNetwork` is true",
            ),
          );
      });
    });
  errs.push(...validateEnum(s.restartPolicy, restartPolicies, childPath(path, "restartPolicy")));
  errs.push(...validateEnum(s.dnsPolicy, dnsPolicies, childPath(path, "dnsPolicy")));
  errs.push(...validateLabels(s.nodeSelector, childPath(path, "nodeSelector")));
  if (isObj(s.securityContext)) {
    const sp = childPath(path, "securityContext");
    errs.push(...validateIDs(s.securityContext, sp, ["fsGroup", "runAsUser", "runAsGroup"]));
    arr(s.securityContext.supplementalGroups).forEach((g, i) => {
      if (typeof g === "number" && (g < 0 || g > maxInt32))
        errs.push(fieldErr.invalid(indexPath(childPath(sp, "supplementalGroups"), i), g, inclusiveRangeError(0, maxInt32)));
    });
  }
  arr(s.imagePullSecrets).forEach((ref, i) => {
    const r = obj(ref);
    if (Object.keys(r).some((k) => k !== "name")) errs.push(fieldErr.invalid(indexPath(childPath(path, "imagePullSecrets"), i), r, "only name may be set"));
  });
  errs.push(...validateAffinity(s.affinity, childPath(path, "affinity")));
  errs.push(...validateDNSConfig(s.dnsConfig, s.dnsPolicy, childPath(path, "dnsConfig")));
  arr(s.readinessGates).forEach((g, i) => {
    const t = str(obj(g).conditionType);
    const gp = childPath(indexPath(childPath(path, "readinessGates"), i), "conditionType");
    for (const m of isQualifiedName(t)) errs.push(fieldErr.invalid(gp, t, m));
  });
  const gates = new Set<string>();
  arr(s.schedulingGates).forEach((g, i) => {
    const name = str(obj(g).name);
    const gp = indexPath(childPath(path, "schedulingGates"), i);
    for (const m of isQualifiedName(name)) errs.push(fieldErr.invalid(gp, name, m));
    if (gates.has(name)) errs.push(fieldErr.duplicate(gp, name));
    gates.add(name);
  });
  errs.push(...validateTopologySpread(s.topologySpreadConstraints, childPath(path, "topologySpreadConstraints")));
  for (const f of ["serviceAccountName", "nodeName"]) {
    if (s[f]) for (const m of isDNS1123Subdomain(str(s[f]))) errs.push(fieldErr.invalid(childPath(path, f), s[f], m));
  }
  if (s.activeDeadlineSeconds !== undefined && s.activeDeadlineSeconds !== null) {
    const v = s.activeDeadlineSeconds;
    if (typeof v !== "number" || v < 1 || v > maxInt32)
      errs.push(fieldErr.invalid(childPath(path, "activeDeadlineSeconds"), v, inclusiveRangeError(1, maxInt32)));
  }
  for (const f of ["hostname", "subdomain"])
    if (s[f]) for (const m of isDNS1123Label(str(s[f]))) errs.push(fieldErr.invalid(childPath(path, f), s[f], m));
  errs.push(...validateTolerations(s.tolerations, childPath(path, "tolerations")));
  arr(s.hostAliases).forEach((raw, i) => {
    const ha = obj(raw);
    const ip = indexPath(childPath(path, "hostAliases"), i);
    for (const m of isValidIP(str(ha.ip))) errs.push(fieldErr.invalid(childPath(ip, "ip"), ha.ip ?? "", m));
    arr(ha.hostnames).forEach((h, j) => {
      for (const m of isDNS1123Subdomain(str(h))) errs.push(fieldErr.invalid(indexPath(childPath(ip, "hostnames"), j), h, m));
    });
  });
  if (s.priorityClassName)
    for (const m of isDNS1123Subdomain(str(s.priorityClassName))) errs.push(fieldErr.invalid(childPath(path, "priorityClassName"), s.priorityClassName, m));
  if (s.runtimeClassName !== undefined && s.runtimeClassName !== null)
    for (const m of isDNS1123Subdomain(str(s.runtimeClassName))) errs.push(fieldErr.invalid(childPath(path, "runtimeClassName"), s.runtimeClassName, m));
  if (s.preemptionPolicy !== undefined && s.preemptionPolicy !== null)
    errs.push(...validateEnum(s.preemptionPolicy, ["PreemptLowerPriority", "Never"], childPath(path, "preemptionPolicy")));
  if (isObj(s.os)) errs.push(...validateEnum(s.os.name, ["linux", "windows"], childPath(path, "os", "name")));
  return errs;
}

/** hostPort/protocol/hostIP triples must be unique within a container list. */
function validateHostPorts(containers: unknown[], path: string): FieldError[] {
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  containers.forEach((raw, ci) => {
    arr(obj(raw).ports).forEach((p, pi) => {
      const port = obj(p);
      if (!port.hostPort) return;
      const key = `${port.protocol ?? ""}/${port.hostIP ?? ""}/${port.hostPort}`;
      if (seen.has(key)) errs.push(fieldErr.duplicate(childPath(indexPath(childPath(indexPath(path, ci), "ports"), pi), "hostPort"), key));
      seen.add(key);
    });
  });
  return errs;
}

/**
 * A PodTemplateSpec at `path` (e.g. `spec.template`): template labels and
 * annotations (reported at `<path>.labels`, as upstream), the pod spec, and
 * no ephemeral containers.
 */
export function validatePodTemplateSpec(template: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const t = obj(template);
  const meta = obj(t.metadata);
  errs.push(...validateLabels(meta.labels, childPath(path, "labels")));
  errs.push(...validateAnnotations(meta.annotations, childPath(path, "annotations")));
  errs.push(...validatePodSpec(t.spec, childPath(path, "spec")));
  if (arr(obj(t.spec).ephemeralContainers).length > 0)
    errs.push(fieldErr.forbidden(childPath(path, "spec", "ephemeralContainers"), "ephemeral containers not allowed in pod template"));
  return errs;
}
