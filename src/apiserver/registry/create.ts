/**
 * Create: prepare metadata (name generation, uid, timestamps, generation),
 * default, admit (admission.ts), validate, admit (namespace lifecycle, then
 * resource quotas: quota.ts), allocate Service addresses and write
 * create-if-absent. dryRun=All stops before the write.
 */
import type { ResourceInfo } from "../../api/resources.ts";
import type { KObject } from "../../api/types.ts";
import { validateCreate } from "../../api/validation/index.ts";
import { alreadyExists, badRequest, invalid } from "../../machinery/errors.ts";
import { KeyExistsError } from "../../storage/types.ts";
import { admitCreate } from "./admission.ts";
import type { Allocation } from "./allocator.ts";
import { admitQuota } from "./quota.ts";
import {
  dropEmptyMetadata,
  encodeForStorage,
  generateName,
  newUid,
  nowTimestamp,
  objectKey,
  toRequestVersion,
  toStorageVersion,
} from "./objects.ts";
import { checkBodyIdentity, defaultAndValidate, handleUnknownFields, type Registry, type WriteOptions } from "./registry.ts";
import { prepareStatusForCreate, tracksGeneration } from "./strategy.ts";
import { csrKind, prepareCsrForCreate } from "./csr.ts";

/** Resets the server-owned metadata of a new object. */
function prepareMetaForCreate(info: ResourceInfo, obj: KObject): void {
  const m = obj.metadata;
  if (!m.name && m.generateName) m.name = generateName(m.generateName);
  m.uid = newUid();
  m.creationTimestamp = nowTimestamp();
  delete m.deletionTimestamp;
  delete m.deletionGracePeriodSeconds;
  delete m.resourceVersion;
  delete m.selfLink;
  if (tracksGeneration(info)) m.generation = 1;
  else delete m.generation;
  dropEmptyMetadata(m);
}

/**
 * Creates `body` in `namespace` and returns the stored object in the request's
 * version. Throws StatusError (400, 404, 409, 422, 403) on failure.
 */
export async function createObject(
  reg: Registry,
  info: ResourceInfo,
  namespace: string,
  body: unknown,
  opts: WriteOptions,
): Promise<KObject> {
  const obj = checkBodyIdentity(info, body, namespace);
  handleUnknownFields(info, obj, opts);
  if (typeof obj.metadata.name !== "string" && typeof obj.metadata.generateName !== "string") {
    throw invalid(info.kind, info.group, "", [
      { type: "FieldValueRequired", field: "metadata.name", detail: "name or generateName is required" },
    ]);
  }
  prepareMetaForCreate(info, obj);
  prepareStatusForCreate(info, obj);
  if (info.kind === csrKind) await prepareCsrForCreate(obj, opts.user);
  defaultAndValidate(
    info,
    obj,
    () => validateCreate(info, obj),
    () => admitCreate(reg.cache, reg.admission, info, obj),
  );
  const name = obj.metadata.name!;
  await reg.admitNamespace(info, namespace, name);
  await admitQuota(reg, info, namespace, obj, opts);
  let alloc: Allocation | undefined;
  if (info.kind === "Service") {
    const res = reg.allocators.assign(obj, undefined);
    if (res.errors.length) throw invalid(info.kind, info.group, name, res.errors);
    alloc = res.alloc;
  }
  const stored = toStorageVersion(info, obj);
  const key = objectKey(info, namespace, name);
  if (opts.dryRun) {
    if (alloc) reg.allocators.rollback(alloc);
    if (await reg.store.get(key)) throw alreadyExists({ group: info.group, resource: info.plural }, name);
    return obj;
  }
  const value = encodeForStorage(stored);
  reg.cache.adopt(key, value, stored);
  try {
    const res = await reg.store.create(key, value);
    stored.metadata.resourceVersion = String(res.revision);
    return toRequestVersion(info, stored);
  } catch (err) {
    reg.cache.disown(key, value);
    if (alloc) reg.allocators.rollback(alloc);
    if (err instanceof KeyExistsError) throw alreadyExists({ group: info.group, resource: info.plural }, name);
    throw err;
  }
}

/** Parses a `dryRun` query value list: only "All" is accepted, as upstream. */
export function parseDryRun(values: string[]): boolean {
  for (const v of values) if (v !== "All") throw badRequest(`Invalid dry run value: unsupported dry run value "${v}"; supported values: All`);
  return values.length > 0;
}
