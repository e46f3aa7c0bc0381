/**
 * Version conversion for resources that share storage across versions or
 * groups (see `storage`/`storageVersion` in src/api/resources.ts):
 * HorizontalPodAutoscaler (autoscaling/v2 stored, autoscaling/v1 served too)
 * and Event (core v1 stored, events.k8s.io/v1 served too).
 *
 * The registry converts request bodies with `convertToStorage` before
 * validation and storage, and every object it returns (get, list items, watch
 * events) with `convertFromStorage`.
 */
import { internal } from "../../machinery/errors.ts";
import type { KObject } from "../types.ts";
import { coreEventToEventsV1, eventsV1ToCoreEvent } from "./events.ts";
import { hpaV1ToV2, hpaV2ToV1 } from "./hpa.ts";

export { behaviorAnnotation, conditionsAnnotation, currentMetricsAnnotation, metricsAnnotation } from "./hpa.ts";

type Converter = (obj: KObject) => KObject;

/** `kind from-apiVersion to-apiVersion` → converter. */
const converters = new Map<string, Converter>([
  ["HorizontalPodAutoscaler autoscaling/v2 autoscaling/v1", hpaV2ToV1],
  ["HorizontalPodAutoscaler autoscaling/v1 autoscaling/v2", hpaV1ToV2],
  ["Event v1 events.k8s.io/v1", coreEventToEventsV1],
  ["Event events.k8s.io/v1 v1", eventsV1ToCoreEvent],
]);

function convert(obj: KObject, toApiVersion: string): KObject {
  if (obj.apiVersion === toApiVersion) return obj;
  const fn = converters.get(`${obj.kind} ${obj.apiVersion} ${toApiVersion}`);
  if (!fn) throw internal(`no conversion for ${obj.kind} from ${obj.apiVersion} to ${toApiVersion}`);
  return fn(obj);
}

/** True when objects of `kind` can be converted between the two apiVersions (or they are equal). */
export function canConvert(kind: string, fromApiVersion: string, toApiVersion: string): boolean {
  return fromApiVersion === toApiVersion || converters.has(`${kind} ${fromApiVersion} ${toApiVersion}`);
}

/**
 * Convert an object from its stored form (its `apiVersion`, the resource's
 * storageVersion) to the requested `group/version` (`v1` for core). Returns
 * the same object, uncopied, when the versions are equal; otherwise a new
 * object with apiVersion/kind set that shares nothing mutable with the input.
 * Throws an InternalError StatusError for pairs without a conversion.
 */
export function convertFromStorage(obj: KObject, toApiVersion: string): KObject {
  return convert(obj, toApiVersion);
}

/**
 * Convert a request object (its `apiVersion` says which version it is in) to
 * the storage form `storageApiVersion`. Same identity and error rules as
 * `convertFromStorage`.
 */
export function convertToStorage(obj: KObject, storageApiVersion: string): KObject {
  return convert(obj, storageApiVersion);
}
