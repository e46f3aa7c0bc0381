/**
 * The generic registry: one store for every kind, driven by the resource table
 * and per-kind strategy. It owns the path from a decoded request object to the
 * datastore (prepare, default, validate, admit, allocate, write) and back.
 * Verbs live in their own files (create.ts, update.ts, delete.ts, read.ts);
 * this file holds the shared state and the steps they share.
 */
import type { ResourceInfo } from "../../api/resources.ts";
import { findResource } from "../../api/resources.ts";
import type { KObject } from "../../api/types.ts";
import { applyDefaults } from "../../api/defaults/index.ts";
import { badRequest, forbidden, invalid, notFound, StatusError, type FieldError } from "../../machinery/errors.ts";
import type { Store } from "../../storage/types.ts";
import type { WatchCache } from "../watchcache.ts";
import type { UserInfo } from "../authn/types.ts";
import { defaultAdmissionSettings, type AdmissionSettings } from "./admission.ts";
import { ServiceAllocators } from "./allocator.ts";
import { pruneUnknownFields } from "./unknownfields.ts";

export type FieldValidation = "Strict" | "Warn" | "Ignore";

/** Options of one write request. */
export interface WriteOptions {
  dryRun: boolean;
  fieldManager?: string;
  fieldValidation: FieldValidation;
  /** Warnings to return in `Warning` headers (appended to by the registry). */
  warnings: string[];
  /** The authenticated caller (kinds that record their requester read it, e.g. CertificateSigningRequest). */
  user?: UserInfo;
}

export interface RegistryOptions {
  store: Store;
  cache: WatchCache;
  serviceCidr: string;
  nodePortRange: string;
  /** Built-in admission settings (default: upstream's). */
  admission?: Partial<AdmissionSettings>;
}

const namespaces = findResource("", "v1", "namespaces")!;
const services = findResource("", "v1", "services")!;

export class Registry {
  readonly store: Store;
  readonly cache: WatchCache;
  readonly allocators: ServiceAllocators;
  readonly admission: AdmissionSettings;

  constructor(opts: RegistryOptions) {
    this.store = opts.store;
    this.cache = opts.cache;
    this.admission = { ...defaultAdmissionSettings, ...opts.admission };
    this.allocators = new ServiceAllocators(opts.serviceCidr, opts.nodePortRange);
  }

  /** Rebuilds allocator state from stored Services; call after the cache started. */
  restoreAllocations(): void {
    for (const c of this.cache.list(services.storage, `/registry/${services.storage}/`)) this.allocators.restore(c.obj);
  }

  /** Checks that the namespace of a namespaced write exists and is not terminating. */
  async admitNamespace(info: ResourceInfo, namespace: string, name: string): Promise<void> {
    if (!info.namespaced) return;
    const key = `/registry/${namespaces.storage}/${namespace}`;
    let ns = this.cache.get(key)?.obj;
    if (!ns) {
      const kv = await this.store.get(key);
      if (!kv) throw notFound({ group: "", resource: "namespaces" }, namespace);
      ns = JSON.parse(kv.value) as KObject;
    }
    if (ns.metadata.deletionTimestamp || ns.status?.phase === "Terminating") {
      const err = forbidden(
        { group: info.group, resource: info.plural },
        name,
        `unable to create new content in namespace ${namespace} because it is being terminated`,
      );
      err.details!.causes = [
        { reason: "NamespaceTerminating", message: `namespace ${namespace} is being terminated`, field: "metadata.namespace" },
      ];
      throw err;
    }
  }
}

/**
 * Checks a request body's identity against the URL: apiVersion/kind must match
 * the addressed resource (when given), and so must namespace and name.
 */
export function checkBodyIdentity(info: ResourceInfo, obj: unknown, namespace: string, name?: string): KObject {
  if (obj === null || typeof obj !== "object" || Array.isArray(obj)) {
    throw badRequest("the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf");
  }
  const o = obj as KObject;
  const gv = info.group ? `${info.group}/${info.version}` : info.version;
  if (o.apiVersion !== undefined && o.apiVersion !== gv) {
    throw badRequest(`the API version in the data (${o.apiVersion}) does not match the expected API version (${gv})`);
  }
  if (o.kind !== undefined && o.kind !== info.kind) {
    throw badRequest(`the kind in the data (${o.kind}) does not match the expected kind (${info.kind})`);
  }
  o.apiVersion = gv;
  o.kind = info.kind;
  if (o.metadata === undefined || o.metadata === null) o.metadata = {};
  if (typeof o.metadata !== "object" || Array.isArray(o.metadata)) throw badRequest("metadata must be an object");
  if (info.namespaced) {
    if (o.metadata.namespace && o.metadata.namespace !== namespace) {
      throw badRequest("the namespace of the provided object does not match the namespace sent on the request");
    }
    o.metadata.namespace = namespace;
  } else {
    delete o.metadata.namespace;
  }
  if (name !== undefined) {
    if (o.metadata.name && o.metadata.name !== name) {
      throw badRequest("the name of the object (" + o.metadata.name + ") does not match the name on the URL (" + name + ")");
    }
    o.metadata.name = name;
  }
  return o;
}

/**
 * Drops fields the kind does not know and reacts per `fieldValidation`:
 * Strict fails with 400, Warn adds warnings, Ignore drops silently. A value
 * of the wrong JSON type always fails with 400, as upstream's decoder does.
 */
export function handleUnknownFields(info: ResourceInfo, obj: KObject, opts: WriteOptions): void {
  const { unknown, mismatch } = pruneUnknownFields(info.model, obj);
  if (mismatch) {
    const m = mismatch;
    throw new StatusError(
      "BadRequest",
      `${info.kind} in version "${info.version}" cannot be handled as a ${info.kind}: json: cannot unmarshal ${m.found} into Go struct field ${m.struct}.${m.field} of type ${m.want}`,
    );
  }
  if (!unknown.length || opts.fieldValidation === "Ignore") return;
  if (opts.fieldValidation === "Strict") {
    const msg = unknown.map((p) => `unknown field "${p}"`).join(", ");
    throw new StatusError("BadRequest", `${info.kind} in version "${info.version}" cannot be handled as a ${info.kind}: strict decoding error: ${msg}`);
  }
  for (const p of unknown) opts.warnings.push(`unknown field "${p}"`);
}

/** Applies defaults, runs `admit` (mutating admission, which sees defaulted objects as upstream's does), then throws 422 Invalid when `validate` reports errors. */
export function defaultAndValidate(info: ResourceInfo, obj: KObject, validate: () => FieldError[], admit?: () => void): void {
  applyDefaults(info, obj);
  admit?.();
  const errs = validate();
  if (errs.length) throw invalid(info.kind, info.group, obj.metadata.name ?? obj.metadata.generateName ?? "", errs);
}
