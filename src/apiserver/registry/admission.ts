/**
 * Built-in mutating/validating admission on create, as upstream's plugins:
 * LimitRanger (limitranger.ts), Priority (a pod's spec.priority and spec.preemptionPolicy come from its
 * PriorityClass, or from the global default class; at most one class is the
 * global default) and DefaultTolerationSeconds (pods tolerate the
 * not-ready and unreachable NoExecute taints for a while, 300 s by default).
 * Runs after defaulting and before validation, as admission does upstream.
 */
import { findResource, type ResourceInfo } from "../../api/resources.ts";
import type { KObject } from "../../api/types.ts";
import { forbidden } from "../../machinery/errors.ts";
import type { WatchCache } from "../watchcache.ts";
import { admitPodLimits } from "./limitranger.ts";
import { podQosClass } from "./strategy.ts";

/** The part of the watch cache admission reads. */
export type CacheView = Pick<WatchCache, "list" | "get">;

const priorityClasses = findResource("scheduling.k8s.io", "v1", "priorityclasses")!;
const limitRanges = findResource("", "v1", "limitranges")!;

/** How long pods tolerate the node lifecycle taints unless they say otherwise (kube-apiserver's flags). */
export interface AdmissionSettings {
  /** --default-not-ready-toleration-seconds (default 300). */
  notReadyTolerationSeconds: number;
  /** --default-unreachable-toleration-seconds (default 300). */
  unreachableTolerationSeconds: number;
}

export const defaultAdmissionSettings: AdmissionSettings = { notReadyTolerationSeconds: 300, unreachableTolerationSeconds: 300 };

const NOT_READY = "node.kubernetes.io/not-ready";
const UNREACHABLE = "node.kubernetes.io/unreachable";

function allClasses(cache: CacheView): KObject[] {
  return cache.list(priorityClasses.storage, `/registry/${priorityClasses.storage}/`).map((c) => c.obj);
}

/** The global default PriorityClass; with several (a race), the lowest value, as upstream. */
function defaultClass(cache: CacheView): KObject | undefined {
  let found: KObject | undefined;
  for (const pc of allClasses(cache)) if (pc.globalDefault === true && (!found || (found.value as number) > (pc.value as number))) found = pc;
  return found;
}

function admitPodPriority(cache: CacheView, pod: KObject): void {
  const spec = pod.spec ?? {};
  const name = pod.metadata.name ?? "";
  const refuse = (why: string) => forbidden({ group: "", resource: "pods" }, name, why);
  let priority: number;
  let policy: string | undefined;
  if (!spec.priorityClassName) {
    const pc = defaultClass(cache);
    if (pc) {
      spec.priorityClassName = pc.metadata.name;
      priority = pc.value as number;
      policy = pc.preemptionPolicy as string | undefined;
    } else {
      priority = 0;
      policy = "PreemptLowerPriority";
    }
  } else {
    const pc = cache.get(`/registry/${priorityClasses.storage}/${spec.priorityClassName}`)?.obj;
    if (!pc) throw refuse(`no PriorityClass with name ${spec.priorityClassName} was found`);
    priority = pc.value as number;
    policy = pc.preemptionPolicy as string | undefined;
  }
  if (spec.priority !== undefined && spec.priority !== null && spec.priority !== priority) {
    throw refuse(`the integer value of priority (${spec.priority}) must not be provided in pod spec; priority admission controller computed ${priority} from the given PriorityClass name`);
  }
  spec.priority = priority;
  if (policy !== undefined) {
    if (spec.preemptionPolicy !== undefined && spec.preemptionPolicy !== null && spec.preemptionPolicy !== policy) {
      throw refuse(`the string value of PreemptionPolicy (${spec.preemptionPolicy}) must not be provided in pod spec; priority admission controller computed ${policy} from the given PriorityClass name`);
    }
    spec.preemptionPolicy = policy;
  }
  pod.spec = spec;
}

function admitPodTolerations(settings: AdmissionSettings, pod: KObject): void {
  const tolerations = (Array.isArray(pod.spec?.tolerations) ? pod.spec.tolerations : []) as { key?: string; effect?: string }[];
  const covers = (key: string) => tolerations.some((t) => (!t?.key || t.key === key) && (!t?.effect || t.effect === "NoExecute"));
  const added: Record<string, unknown>[] = [];
  if (!covers(NOT_READY)) added.push({ key: NOT_READY, operator: "Exists", effect: "NoExecute", tolerationSeconds: settings.notReadyTolerationSeconds });
  if (!covers(UNREACHABLE)) added.push({ key: UNREACHABLE, operator: "Exists", effect: "NoExecute", tolerationSeconds: settings.unreachableTolerationSeconds });
  if (added.length) pod.spec = { ...(pod.spec ?? {}), tolerations: [...tolerations, ...added] };
}

/** Only one PriorityClass may be the global default (upstream's Priority plugin on PriorityClass writes). */
function admitPriorityClass(cache: CacheView, pc: KObject, isUpdate: boolean): void {
  if (pc.globalDefault !== true) return;
  const current = defaultClass(cache);
  if (current && (!isUpdate || current.metadata.name !== pc.metadata.name)) {
    throw forbidden({ group: "scheduling.k8s.io", resource: "priorityclasses" }, pc.metadata.name ?? "", `PriorityClass ${current.metadata.name} is marked as default. Only one default can exist`);
  }
}

/**
 * Admits a new object (may change it); throws 403 Forbidden StatusErrors as
 * upstream's plugins do.
 */
export function admitCreate(cache: CacheView, settings: AdmissionSettings, info: ResourceInfo, obj: KObject): void {
  if (info.kind === "Pod" && info.group === "") {
    admitPodLimits(cache, limitRanges.storage, obj);
    if (obj.status?.qosClass) obj.status.qosClass = podQosClass(obj); // the QoS class follows admitted resources, as upstream's PrepareForCreate
    admitPodPriority(cache, obj);
    admitPodTolerations(settings, obj);
  } else if (info.kind === "PriorityClass") admitPriorityClass(cache, obj, false);
}

/**
 * Admits an update of the main resource: a pod keeps the priority and
 * preemption policy it was admitted with and gets the default tolerations
 * back when the new body omits them (so that a replace of the pod's
 * manifest passes the immutability checks); PriorityClass's one-default rule.
 */
export function admitUpdate(cache: CacheView, settings: AdmissionSettings, info: ResourceInfo, obj: KObject, current: KObject): void {
  if (info.kind === "Pod" && info.group === "") {
    if (!obj.spec) return;
    if ((obj.spec.priority === undefined || obj.spec.priority === null) && current.spec?.priority !== undefined) obj.spec.priority = current.spec.priority;
    if ((obj.spec.preemptionPolicy === undefined || obj.spec.preemptionPolicy === null) && current.spec?.preemptionPolicy !== undefined) {
      obj.spec.preemptionPolicy = current.spec.preemptionPolicy;
    }
    admitPodTolerations(settings, obj);
  } else if (info.kind === "PriorityClass") admitPriorityClass(cache, obj, true);
}
