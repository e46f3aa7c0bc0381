/**
 * Per-kind validation entry points called by the apiserver after defaults:
 * `validateCreate`, `validateUpdate` (immutability included) and
 * `validateStatusUpdate` (metadata and status only). Each returns upstream
 * style FieldErrors (empty when valid) which the apiserver turns into a 422
 * Invalid Status with `invalid(kind, group, name, errs)`.
 *
 * Kinds without specific rules get ObjectMeta validation (namespaced or
 * cluster-scoped per ResourceInfo, DNS-1123 subdomain names).
 */

import type { FieldError } from "../../machinery/errors.ts";
import { nameIsDNSSubdomain, validateObjectMeta, validateObjectMetaUpdate } from "../../machinery/validation.ts";
import type { ResourceInfo } from "../resources.ts";
import type { KObject } from "../types.ts";
import * as apps from "./apps.ts";
import * as batch from "./batch.ts";
import * as certificates from "./certificates.ts";
import * as core from "./core.ts";
import * as net from "./networking.ts";
import * as pod from "./pod.ts";
import * as policy from "./policy.ts";
import * as storage from "./storage.ts";

type CreateFn = (o: KObject, info: ResourceInfo) => FieldError[];
type UpdateFn = (o: KObject, old: KObject, info: ResourceInfo) => FieldError[];

interface KindRules {
  create: CreateFn;
  update: UpdateFn;
  status?: UpdateFn;
}

const rules: Record<string, KindRules> = {
  "/Pod": { create: pod.validatePodCreate, update: pod.validatePodUpdate, status: pod.validatePodStatusUpdate },
  "/Binding": { create: pod.validateBinding, update: (o) => pod.validateBinding(o) },
  "/Service": { create: core.validateService, update: core.validateServiceUpdate, status: core.validateServiceStatusUpdate },
  "/Endpoints": { create: core.validateEndpoints, update: core.validateEndpointsUpdate },
  "/ConfigMap": { create: core.validateConfigMap, update: core.validateConfigMapUpdate },
  "/Secret": { create: core.validateSecret, update: core.validateSecretUpdate },
  "/ServiceAccount": { create: core.validateServiceAccount, update: core.validateServiceAccountUpdate },
  "/Namespace": { create: core.validateNamespace, update: core.validateNamespaceUpdate, status: core.validateNamespaceStatusUpdate },
  "/Node": { create: core.validateNode, update: core.validateNodeUpdate, status: core.validateNodeStatusUpdate },
  "/Event": {
    create: (o, i) => core.validateEvent(o, i.group),
    update: (o, old, i) => core.validateEventUpdate(o, old, i.group),
  },
  "events.k8s.io/Event": {
    create: (o, i) => core.validateEvent(o, i.group),
    update: (o, old, i) => core.validateEventUpdate(o, old, i.group),
  },
  "/PersistentVolume": {
    create: storage.validatePersistentVolume,
    update: storage.validatePersistentVolumeUpdate,
    status: storage.validatePersistentVolumeStatusUpdate,
  },
  "/PersistentVolumeClaim": {
    create: storage.validatePersistentVolumeClaim,
    update: storage.validatePersistentVolumeClaimUpdate,
    status: storage.validatePersistentVolumeClaimStatusUpdate,
  },
  "/ResourceQuota": {
    create: storage.validateResourceQuota,
    update: storage.validateResourceQuotaUpdate,
    status: storage.validateResourceQuotaStatusUpdate,
  },
  "/LimitRange": { create: storage.validateLimitRange, update: storage.validateLimitRangeUpdate },
  "/ReplicationController": {
    create: apps.validateReplicationController,
    update: apps.validateReplicationControllerUpdate,
    status: apps.validateWorkloadStatusUpdate,
  },
  "apps/Deployment": { create: apps.validateDeployment, update: apps.validateDeploymentUpdate, status: apps.validateWorkloadStatusUpdate },
  "apps/ReplicaSet": { create: apps.validateReplicaSet, update: apps.validateReplicaSetUpdate, status: apps.validateWorkloadStatusUpdate },
  "apps/StatefulSet": { create: apps.validateStatefulSet, update: apps.validateStatefulSetUpdate, status: apps.validateWorkloadStatusUpdate },
  "apps/DaemonSet": { create: apps.validateDaemonSet, update: apps.validateDaemonSetUpdate, status: apps.validateWorkloadStatusUpdate },
  "apps/ControllerRevision": { create: apps.validateControllerRevision, update: apps.validateControllerRevisionUpdate },
  "batch/Job": { create: batch.validateJob, update: batch.validateJobUpdate, status: batch.validateJobStatusUpdate },
  "batch/CronJob": { create: batch.validateCronJob, update: batch.validateCronJobUpdate },
  "discovery.k8s.io/EndpointSlice": { create: net.validateEndpointSlice, update: net.validateEndpointSliceUpdate },
  "coordination.k8s.io/Lease": { create: policy.validateLease, update: policy.validateLeaseUpdate },
  "networking.k8s.io/Ingress": { create: net.validateIngress, update: net.validateIngressUpdate, status: net.validateIngressStatusUpdate },
  "networking.k8s.io/IngressClass": { create: net.validateIngressClass, update: net.validateIngressClassUpdate },
  "networking.k8s.io/NetworkPolicy": { create: net.validateNetworkPolicy, update: net.validateNetworkPolicyUpdate },
  "policy/PodDisruptionBudget": {
    create: policy.validatePodDisruptionBudget,
    update: policy.validatePodDisruptionBudgetUpdate,
    status: policy.validatePodDisruptionBudgetStatusUpdate,
  },
  "storage.k8s.io/StorageClass": { create: storage.validateStorageClass, update: storage.validateStorageClassUpdate },
  "scheduling.k8s.io/PriorityClass": { create: policy.validatePriorityClass, update: policy.validatePriorityClassUpdate },
  "autoscaling/HorizontalPodAutoscaler": {
    create: (o, i) => policy.validateHPA(o, i.version),
    update: (o, old, i) => policy.validateHPAUpdate(o, old, i.version),
    status: policy.validateHPAStatusUpdate,
  },
  "certificates.k8s.io/CertificateSigningRequest": {
    create: certificates.validateCertificateSigningRequest,
    update: certificates.validateCertificateSigningRequestUpdate,
    status: certificates.validateCertificateSigningRequestStatusUpdate,
  },
};

function rulesFor(info: ResourceInfo): KindRules | undefined {
  return rules[`${info.group}/${info.kind}`];
}

/** Field errors for a new object (after defaults); empty when valid. */
export function validateCreate(info: ResourceInfo, obj: KObject): FieldError[] {
  const r = rulesFor(info);
  if (r) return r.create(obj, info);
  return validateObjectMeta(obj.metadata, info.namespaced, nameIsDNSSubdomain);
}

/**
 * Field errors for an update of `old` into `obj` (after defaults), including
 * the kind's immutability rules; empty when valid. `obj.metadata.resourceVersion`
 * must be set, as upstream requires of every update.
 */
export function validateUpdate(info: ResourceInfo, obj: KObject, old: KObject): FieldError[] {
  const r = rulesFor(info);
  if (r) return r.update(obj, old, info);
  return validateObjectMetaUpdate(obj.metadata, old.metadata);
}

/**
 * Field errors for a /status update: ObjectMeta update rules plus the kind's
 * status checks. The caller keeps the spec from `old` (as upstream's status
 * strategies do); spec is not validated here.
 */
export function validateStatusUpdate(info: ResourceInfo, obj: KObject, old: KObject): FieldError[] {
  const r = rulesFor(info);
  if (r?.status) return r.status(obj, old, info);
  return validateObjectMetaUpdate(obj.metadata, old.metadata);
}
