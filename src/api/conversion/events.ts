/**
 * Event conversion between core v1 `Event` (the stored form) and
 * events.k8s.io/v1 `Event`. The two carry the same information under
 * different names, so both directions are lossless:
 *
 *   core v1            events.k8s.io/v1
 *   involvedObject  ↔  regarding
 *   message         ↔  note
 *   source          ↔  deprecatedSource
 *   firstTimestamp  ↔  deprecatedFirstTimestamp
 *   lastTimestamp   ↔  deprecatedLastTimestamp
 *   count           ↔  deprecatedCount
 *   reportingComponent ↔ reportingController
 *
 * and reportingInstance, related, series, action, eventTime, type and reason
 * keep their names.
 */
import type { KObject } from "../types.ts";

/** [core field, events.k8s.io field] pairs. */
const renames: [string, string][] = [
  ["involvedObject", "regarding"],
  ["message", "note"],
  ["source", "deprecatedSource"],
  ["firstTimestamp", "deprecatedFirstTimestamp"],
  ["lastTimestamp", "deprecatedLastTimestamp"],
  ["count", "deprecatedCount"],
  ["reportingComponent", "reportingController"],
];
const shared = ["reportingInstance", "related", "series", "action", "eventTime", "type", "reason"];
const skip = new Set(["apiVersion", "kind", "metadata"]);

function rename(obj: KObject, apiVersion: string, map: Map<string, string>): KObject {
  const out: KObject = { apiVersion, kind: "Event", metadata: structuredClone(obj.metadata) };
  for (const [k, v] of Object.entries(obj)) {
    if (skip.has(k) || v === undefined) continue;
    const to = map.get(k);
    if (to) out[to] = structuredClone(v);
    else if (shared.includes(k)) out[k] = structuredClone(v);
  }
  return out;
}

const coreToEvents = new Map(renames);
const eventsToCore = new Map(renames.map(([a, b]) => [b, a]));

/** core v1 Event → events.k8s.io/v1 Event. Fields unknown to the target are dropped. */
export function coreEventToEventsV1(obj: KObject): KObject {
  return rename(obj, "events.k8s.io/v1", coreToEvents);
}

/** events.k8s.io/v1 Event → core v1 Event. Fields unknown to the target are dropped. */
export function eventsV1ToCoreEvent(obj: KObject): KObject {
  return rename(obj, "v1", eventsToCore);
}
