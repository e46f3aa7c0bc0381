/**
 * apps/v1 and batch/v1 defaults as upstream: Deployment, ReplicaSet,
 * StatefulSet, DaemonSet, Job (including the registry's generated selector
 * and `controller-uid` / `job-name` template labels) and CronJob.
 */

import { defaultPersistentVolumeClaim } from "./core.ts";
import { defaultPodTemplate, isObj, list, setDefault, setDefaultString } from "./podspec.ts";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Obj = Record<string, any>;

function spec(o: Obj): Obj {
  if (!isObj(o.spec)) o.spec = {};
  return o.spec;
}

export function defaultDeployment(d: Obj): void {
  const s = spec(d);
  setDefault(s, "replicas", 1);
  if (!isObj(s.strategy)) s.strategy = {};
  setDefaultString(s.strategy, "type", "RollingUpdate");
  if (s.strategy.type === "RollingUpdate") {
    if (!isObj(s.strategy.rollingUpdate)) s.strategy.rollingUpdate = {};
    setDefault(s.strategy.rollingUpdate, "maxUnavailable", "25%");
    setDefault(s.strategy.rollingUpdate, "maxSurge", "25%");
  }
  setDefault(s, "revisionHistoryLimit", 10);
  setDefault(s, "progressDeadlineSeconds", 600);
  defaultPodTemplate(s.template);
}

export function defaultReplicaSet(rs: Obj): void {
  const s = spec(rs);
  setDefault(s, "replicas", 1);
  defaultPodTemplate(s.template);
}

export function defaultStatefulSet(ss: Obj): void {
  const s = spec(ss);
  setDefaultString(s, "podManagementPolicy", "OrderedReady");
  if (!isObj(s.updateStrategy)) s.updateStrategy = {};
  setDefaultString(s.updateStrategy, "type", "RollingUpdate");
  if (s.updateStrategy.type === "RollingUpdate") {
    if (!isObj(s.updateStrategy.rollingUpdate)) s.updateStrategy.rollingUpdate = {};
    setDefault(s.updateStrategy.rollingUpdate, "partition", 0);
  }
  if (!isObj(s.persistentVolumeClaimRetentionPolicy)) s.persistentVolumeClaimRetentionPolicy = {};
  setDefaultString(s.persistentVolumeClaimRetentionPolicy, "whenDeleted", "Retain");
  setDefaultString(s.persistentVolumeClaimRetentionPolicy, "whenScaled", "Retain");
  setDefault(s, "replicas", 1);
  setDefault(s, "revisionHistoryLimit", 10);
  defaultPodTemplate(s.template);
  for (const t of list(s.volumeClaimTemplates)) if (isObj(t)) defaultPersistentVolumeClaim(t);
}

export function defaultDaemonSet(ds: Obj): void {
  const s = spec(ds);
  if (!isObj(s.updateStrategy)) s.updateStrategy = {};
  setDefaultString(s.updateStrategy, "type", "RollingUpdate");
  if (s.updateStrategy.type === "RollingUpdate") {
    if (!isObj(s.updateStrategy.rollingUpdate)) s.updateStrategy.rollingUpdate = {};
    setDefault(s.updateStrategy.rollingUpdate, "maxUnavailable", 1);
    setDefault(s.updateStrategy.rollingUpdate, "maxSurge", 0);
  }
  setDefault(s, "revisionHistoryLimit", 10);
  defaultPodTemplate(s.template);
}

/** Label keys the Job registry adds to templates and selectors. */
export const jobLabels = {
  controllerUid: "batch.kubernetes.io/controller-uid",
  legacyControllerUid: "controller-uid",
  jobName: "batch.kubernetes.io/job-name",
  legacyJobName: "job-name",
} as const;

/**
 * The Job registry's generateSelector: unless `manualSelector` is true, add
 * the controller-uid / job-name labels to the template (when absent) and
 * select on `batch.kubernetes.io/controller-uid`. Needs `metadata.uid`.
 */
function generateJobSelector(job: Obj, s: Obj): void {
  if (s.manualSelector === true) return;
  const uid = isObj(job.metadata) ? job.metadata.uid : undefined;
  const name = isObj(job.metadata) ? job.metadata.name : undefined;
  if (!uid) return;
  if (!isObj(s.template)) s.template = {};
  if (!isObj(s.template.metadata)) s.template.metadata = {};
  if (!isObj(s.template.metadata.labels)) s.template.metadata.labels = {};
  const labels = s.template.metadata.labels;
  if (name) {
    setDefault(labels, jobLabels.legacyJobName, name);
    setDefault(labels, jobLabels.jobName, name);
  }
  setDefault(labels, jobLabels.legacyControllerUid, uid);
  setDefault(labels, jobLabels.controllerUid, uid);
  if (!isObj(s.selector)) s.selector = {};
  if (!isObj(s.selector.matchLabels)) s.selector.matchLabels = {};
  setDefault(s.selector.matchLabels, jobLabels.controllerUid, uid);
}

/** SetDefaults_Job plus the generated selector; job labels default to the template's. */
export function defaultJob(job: Obj): void {
  const s = spec(job);
  if ((s.completions === undefined || s.completions === null) && (s.parallelism === undefined || s.parallelism === null)) {
    s.completions = 1;
    s.parallelism = 1;
  }
  setDefault(s, "parallelism", 1);
  setDefault(s, "backoffLimit", s.backoffLimitPerIndex !== undefined && s.backoffLimitPerIndex !== null ? 2147483647 : 6);
  setDefault(s, "completionMode", "NonIndexed");
  setDefault(s, "suspend", false);
  if (isObj(s.podFailurePolicy))
    for (const rule of list(s.podFailurePolicy.rules))
      for (const pattern of list(isObj(rule) ? rule.onPodConditions : undefined)) if (isObj(pattern)) setDefaultString(pattern, "status", "True");
  setDefault(s, "podReplacementPolicy", isObj(s.podFailurePolicy) ? "Failed" : "TerminatingOrFailed");
  generateJobSelector(job, s);
  const tl = isObj(s.template) && isObj(s.template.metadata) ? s.template.metadata.labels : undefined;
  if (isObj(tl) && (!isObj(job.metadata.labels) || Object.keys(job.metadata.labels).length === 0)) job.metadata.labels = { ...tl };
  defaultPodTemplate(s.template);
}

export function defaultCronJob(cj: Obj): void {
  const s = spec(cj);
  setDefaultString(s, "concurrencyPolicy", "Allow");
  setDefault(s, "suspend", false);
  setDefault(s, "successfulJobsHistoryLimit", 3);
  setDefault(s, "failedJobsHistoryLimit", 1);
  if (isObj(s.jobTemplate) && isObj(s.jobTemplate.spec)) defaultPodTemplate(s.jobTemplate.spec.template);
}
