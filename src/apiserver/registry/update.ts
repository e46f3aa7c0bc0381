/**
 * Update (PUT) and patch of objects and their status subresource: a guarded
 * read-modify-write loop over the store's compare-and-swap, with upstream's
 * rules for resourceVersion preconditions, the spec/status split, generation,
 * immutable metadata, finalizer-completed deletion and no-op detection.
 */
import { setStatusCondition, type StatusCondition } from "../../api/conditions.ts";
import type { ResourceInfo } from "../../api/resources.ts";
import type { KObject } from "../../api/types.ts";
import { validateStatusUpdate, validateUpdate } from "../../api/validation/index.ts";
import { conflict, invalid, notFound, StatusError, type FieldError } from "../../machinery/errors.ts";
import { applyJsonPatch } from "../../machinery/jsonpatch.ts";
import { applyMergePatch } from "../../machinery/mergepatch.ts";
import { applyStrategicMergePatch } from "../../machinery/strategicpatch.ts";
import { KeyNotFoundError, RevisionMismatchError } from "../../storage/types.ts";
import { decodeStored } from "../watchcache.ts";
import { admitUpdate } from "./admission.ts";
import type { Allocation } from "./allocator.ts";
import { createObject } from "./create.ts";
import {
  clone,
  dropEmptyMetadata,
  encodeForStorage,
  jsonEqual,
  nowTimestamp,
  objectKey,
  specPart,
  toRequestVersion,
  toStorageVersion,
} from "./objects.ts";
import { checkBodyIdentity, defaultAndValidate, handleUnknownFields, type Registry, type WriteOptions } from "./registry.ts";
import { allowsCreateOnUpdate, hasStatusSubresource, tracksGeneration } from "./strategy.ts";
import { csrKind, prepareCsrForUpdate } from "./csr.ts";
import { validateCertificateSigningRequestApprovalUpdate } from "../../api/validation/certificates.ts";

export type PatchType = "json" | "merge" | "strategic";

/** Maps a PATCH Content-Type to its patch type (undefined when unsupported). */
export function patchTypeOf(contentType: string): PatchType | undefined {
  const ct = contentType.split(";")[0].trim().toLowerCase();
  if (ct === "application/json-patch+json") return "json";
  if (ct === "application/merge-patch+json") return "merge";
  if (ct === "application/strategic-merge-patch+json") return "strategic";
  return undefined;
}

const maxAttempts = 16;

/**
 * What an update may change: "main" everything but status (and, for
 * namespaces, spec.finalizers), "status" only status, "finalize" spec.finalizers
 * of a namespace, "bind" (pods/binding) spec and status in one write.
 */
type UpdateMode = "main" | "status" | "finalize" | "bind" | "approval";

/** A subresource written through update/patch ("" is the object itself). */
export type WritableSubresource = "" | "status" | "approval";

type Produce = (current: KObject) => KObject;

/** Server-owned metadata that an update cannot change. */
function keepServerMeta(next: KObject, cur: KObject, info: ResourceInfo): void {
  const m = next.metadata;
  const c = cur.metadata;
  m.uid ??= c.uid;
  m.creationTimestamp = c.creationTimestamp;
  if (c.deletionTimestamp) m.deletionTimestamp = c.deletionTimestamp;
  else delete m.deletionTimestamp;
  if (c.deletionGracePeriodSeconds !== undefined) m.deletionGracePeriodSeconds = c.deletionGracePeriodSeconds;
  else delete m.deletionGracePeriodSeconds;
  if (tracksGeneration(info)) {
    const gen = c.generation ?? 1;
    m.generation = jsonEqual(specPart(next), specPart(cur)) ? gen : gen + 1;
  } else delete m.generation;
  delete m.selfLink;
  dropEmptyMetadata(m);
}

interface UpdateOutcome {
  obj: KObject;
  created: boolean;
}

/**
 * The read-modify-write loop shared by PUT and PATCH. `produce` turns the
 * current object (request version, a private copy) into the desired one.
 * A resourceVersion in the desired object is a precondition.
 */
async function guaranteedUpdate(
  reg: Registry,
  info: ResourceInfo,
  namespace: string,
  name: string,
  mode: UpdateMode,
  opts: WriteOptions,
  produce: Produce,
  onMissing: () => Promise<UpdateOutcome>,
  validate: (desired: KObject, current: KObject) => FieldError[] = (d, c) => validateUpdate(info, d, c),
): Promise<UpdateOutcome> {
  const key = objectKey(info, namespace, name);
  const qr = { group: info.group, resource: info.plural };
  for (let attempt = 0; ; attempt++) {
    const kv = await reg.store.get(key);
    if (!kv) return onMissing();
    // The cache's copy when it holds this very revision (read-only here: produce gets a clone).
    const current = toRequestVersion(info, reg.cache.at(key, kv.modRevision) ?? decodeStored(kv.value, kv.modRevision));
    const next = produce(clone(current));
    const rv = next.metadata.resourceVersion;
    if (rv !== undefined && rv !== "" && rv !== String(kv.modRevision)) {
      throw conflict(qr, name, "the object has been modified; please apply your changes to the latest version and try again");
    }
    const preconditioned = rv !== undefined && rv !== "";
    next.metadata.resourceVersion = current.metadata.resourceVersion;
    let desired: KObject;
    if (mode === "status" || mode === "approval") {
      desired = { ...clone(current), status: next.status };
      if (info.kind === csrKind) prepareCsrForUpdate(mode, desired, current, next);
      defaultAndValidate(info, desired, () =>
        mode === "approval" ? validateCertificateSigningRequestApprovalUpdate(desired, current) : validateStatusUpdate(info, desired, current),
      );
    } else {
      desired = next;
      if (hasStatusSubresource(info) && mode !== "bind") {
        if (current.status === undefined) delete desired.status;
        else desired.status = clone(current.status);
      }
      keepServerMeta(desired, current, info);
      if (mode === "main") admitUpdate(reg.cache, reg.admission, info, desired, current);
      if (info.kind === csrKind && mode === "main") prepareCsrForUpdate(mode, desired, current, next);
      if (info.kind === "Namespace" && mode === "main") desired.spec = { ...(desired.spec ?? {}), finalizers: current.spec?.finalizers };
      defaultAndValidate(info, desired, () => validate(desired, current));
    }
    let alloc: Allocation | undefined;
    if (info.kind === "Service" && mode !== "status") {
      const res = reg.allocators.assign(desired, current);
      if (res.errors.length) throw invalid(info.kind, info.group, name, res.errors);
      alloc = res.alloc;
    }
    if (jsonEqual(desired, current)) return { obj: current, created: false };
    const finishing =
      !!desired.metadata.deletionTimestamp &&
      !desired.metadata.finalizers?.length &&
      info.kind !== "Pod" &&
      !(info.kind === "Namespace" && desired.spec?.finalizers?.length);
    if (opts.dryRun) {
      if (alloc) reg.allocators.rollback(alloc);
      return { obj: desired, created: false };
    }
    let value: string | undefined;
    try {
      if (finishing) {
        await reg.store.delete(key, kv.modRevision);
        if (info.kind === "Service") reg.allocators.releaseUnused(current, undefined);
        return { obj: desired, created: false };
      }
      const stored = toStorageVersion(info, desired);
      value = encodeForStorage(stored);
      reg.cache.adopt(key, value, stored);
      const res = await reg.store.update(key, value, kv.modRevision);
      if (info.kind === "Service") reg.allocators.releaseUnused(current, desired);
      desired.metadata.resourceVersion = String(res.revision);
      return { obj: desired, created: false };
    } catch (err) {
      if (value !== undefined) reg.cache.disown(key, value);
      if (alloc) reg.allocators.rollback(alloc);
      if (err instanceof RevisionMismatchError || err instanceof KeyNotFoundError) {
        if (!preconditioned && attempt < maxAttempts) continue;
        if (err instanceof KeyNotFoundError) throw notFound(qr, name);
        throw conflict(qr, name, "the object has been modified; please apply your changes to the latest version and try again");
      }
      throw err;
    }
  }
}

/** PUT of an object or of its status. Returns the result and whether it was created. */
export async function updateObject(
  reg: Registry,
  info: ResourceInfo,
  namespace: string,
  name: string,
  body: unknown,
  subresource: WritableSubresource,
  opts: WriteOptions,
): Promise<UpdateOutcome> {
  const obj = checkBodyIdentity(info, body, namespace, name);
  handleUnknownFields(info, obj, opts);
  const qr = { group: info.group, resource: info.plural };
  return guaranteedUpdate(
    reg,
    info,
    namespace,
    name,
    subresource === "" ? "main" : subresource,
    opts,
    () => clone(obj),
    async () => {
      if (subresource === "" && allowsCreateOnUpdate(info)) {
        delete obj.metadata.resourceVersion;
        return { obj: await createObject(reg, info, namespace, obj, opts), created: true };
      }
      throw notFound(qr, name);
    },
  );
}

function applyPatch(type: PatchType, current: KObject, patch: unknown, model: string): KObject {
  let out: unknown;
  if (type === "json") out = applyJsonPatch(current, patch);
  else if (type === "merge") out = applyMergePatch(current, patch);
  else out = applyStrategicMergePatch(current, patch, model);
  if (out === null || typeof out !== "object" || Array.isArray(out)) {
    throw new StatusError("BadRequest", "the patch produced a value that is not an object");
  }
  return out as KObject;
}

/** PATCH of an object or its status with a JSON, merge or strategic merge patch. */
export async function patchObject(
  reg: Registry,
  info: ResourceInfo,
  namespace: string,
  name: string,
  type: PatchType,
  patch: unknown,
  subresource: WritableSubresource,
  opts: WriteOptions,
): Promise<KObject> {
  const qr = { group: info.group, resource: info.plural };
  const out = await guaranteedUpdate(
    reg,
    info,
    namespace,
    name,
    subresource === "" ? "main" : subresource,
    opts,
    (current) => {
      const patched = applyPatch(type, current, patch, info.model);
      const checked = checkBodyIdentity(info, patched, namespace, name);
      if (checked.metadata.resourceVersion === current.metadata.resourceVersion && !patchSetsResourceVersion(patch)) {
        delete checked.metadata.resourceVersion;
      }
      opts.warnings.length = 0;
      handleUnknownFields(info, checked, opts);
      return checked;
    },
    async () => {
      throw notFound(qr, name);
    },
  );
  return out.obj;
}

function patchSetsResourceVersion(patch: unknown): boolean {
  if (Array.isArray(patch)) {
    return patch.some((op) => typeof op?.path === "string" && op.path === "/metadata/resourceVersion" && op.op !== "test");
  }
  const meta = (patch as { metadata?: { resourceVersion?: unknown } } | null)?.metadata;
  return meta !== null && typeof meta === "object" && meta.resourceVersion !== undefined;
}

/**
 * The pods/binding write: sets spec.nodeName (which ordinary pod updates may
 * not change), the binding's annotations and the PodScheduled=True condition
 * in one store write, as upstream's binding storage does (the condition
 * replaces an earlier PodScheduled condition, keeping its
 * lastTransitionTime when it was already True). Conflicts (409) when the pod
 * is already bound, being deleted, or its uid differs from `uid`.
 */
export async function bindPodToNode(
  reg: Registry,
  info: ResourceInfo,
  namespace: string,
  name: string,
  node: string,
  annotations: Record<string, string> | undefined,
  uid: string | undefined,
  opts: WriteOptions,
): Promise<KObject> {
  const qr = { group: "", resource: "pods/binding" };
  const out = await guaranteedUpdate(
    reg,
    info,
    namespace,
    name,
    "bind",
    opts,
    (pod) => {
      if (pod.metadata.deletionTimestamp) throw conflict({ group: "", resource: "pods" }, name, "pod is being deleted, cannot be assigned to a host");
      if (pod.spec?.nodeName) throw conflict(qr, name, `pod ${name} is already assigned to node "${pod.spec.nodeName}"`);
      if (uid && uid !== pod.metadata.uid) throw conflict(qr, name, `Precondition failed: UID in precondition: ${uid}, UID in object meta: ${pod.metadata.uid}`);
      pod.spec.nodeName = node;
      if (annotations) pod.metadata.annotations = { ...(pod.metadata.annotations ?? {}), ...annotations };
      pod.status = { ...(pod.status ?? {}), conditions: withScheduledCondition(pod.status?.conditions) };
      return pod;
    },
    async () => {
      throw notFound({ group: "", resource: "pods" }, name);
    },
    (desired, current) => {
      const { nodeName: _n, ...rest } = desired.spec;
      return validateUpdate(info, { ...desired, spec: { ...rest, nodeName: current.spec?.nodeName } }, current);
    },
  );
  return out.obj;
}

/**
 * Read-modify-write of an object's status: `produce` gets a private copy of
 * the current object and returns it with the status it should have, or
 * throws to refuse. A concurrent write makes it run again on the new
 * current object (bounded). 404 when the object does not exist.
 */
export async function updateStatusWith(reg: Registry, info: ResourceInfo, namespace: string, name: string, opts: WriteOptions, produce: Produce): Promise<KObject> {
  const out = await guaranteedUpdate(
    reg,
    info,
    namespace,
    name,
    "status",
    opts,
    (cur) => {
      const next = produce(cur);
      delete next.metadata.resourceVersion;
      return next;
    },
    async () => {
      throw notFound({ group: info.group, resource: info.plural }, name);
    },
  );
  return out.obj;
}

/** `conditions` with PodScheduled=True set the way upstream's UpdatePodCondition does. */
function withScheduledCondition(conditions: unknown): Record<string, unknown>[] {
  const list = Array.isArray(conditions) ? (conditions as StatusCondition[]) : [];
  return setStatusCondition(list, { type: "PodScheduled", status: "True", lastProbeTime: null }, nowTimestamp());
}

/**
 * PUT namespaces/<name>/finalize: replaces spec.finalizers (which ordinary
 * updates cannot change). A terminating namespace left without finalizers
 * of either kind is removed.
 */
export async function finalizeNamespace(reg: Registry, info: ResourceInfo, name: string, body: unknown, opts: WriteOptions): Promise<KObject> {
  const ns = checkBodyIdentity(info, body, "", name);
  const finalizers = ns.spec?.finalizers ?? [];
  if (!Array.isArray(finalizers) || finalizers.some((f: unknown) => typeof f !== "string" || f === "")) {
    throw invalid(info.kind, info.group, name, [{ type: "FieldValueInvalid", field: "spec.finalizers", value: finalizers, detail: "must be a list of non-empty names" }]);
  }
  const out = await guaranteedUpdate(
    reg,
    info,
    "",
    name,
    "finalize",
    opts,
    (current) => {
      if (ns.metadata.resourceVersion) current.metadata.resourceVersion = ns.metadata.resourceVersion;
      current.spec = { ...(current.spec ?? {}), finalizers };
      return current;
    },
    async () => {
      throw notFound({ group: "", resource: "namespaces" }, name);
    },
    (desired, current) => validateUpdate(info, { ...desired, spec: { ...desired.spec, finalizers: current.spec?.finalizers } }, current),
  );
  return out.obj;
}
