/**
 * The Event table, shared by core v1 Events and events.k8s.io/v1 Events (the
 * latter are read through their deprecated* and regarding/note fields): Last
 * Seen, Type, Reason, Object, Message, and wide Subobject, Source, First Seen,
 * Count, Name. Unlike every other kind, Name is the last (wide) column.
 */

import type { KObject } from "../types.ts";
import { int, since, str } from "./format.ts";
import { col, nameCol, type Printer } from "./types.ts";

interface CoreEventView {
  involvedObject: { kind?: string; name?: string; fieldPath?: string };
  source: { component?: string; host?: string };
  message: string;
  firstTimestamp?: string;
  lastTimestamp?: string;
  eventTime?: string;
  count: number;
  series?: { count?: number; lastObservedTime?: string };
  reportingController: string;
  reportingInstance: string;
}

/** Reads an event of either API in core v1 terms. */
function view(o: KObject): CoreEventView {
  const newApi = o.apiVersion === "events.k8s.io/v1" || ("regarding" in o || "note" in o || "deprecatedSource" in o);
  if (newApi && !("involvedObject" in o)) {
    return {
      involvedObject: o.regarding ?? {},
      source: o.deprecatedSource ?? {},
      message: str(o.note),
      firstTimestamp: o.deprecatedFirstTimestamp,
      lastTimestamp: o.deprecatedLastTimestamp,
      eventTime: o.eventTime,
      count: int(o.deprecatedCount),
      series: o.series ?? undefined,
      reportingController: str(o.reportingController),
      reportingInstance: str(o.reportingInstance),
    };
  }
  return {
    involvedObject: o.involvedObject ?? {},
    source: o.source ?? {},
    message: str(o.message),
    firstTimestamp: o.firstTimestamp,
    lastTimestamp: o.lastTimestamp,
    eventTime: o.eventTime,
    count: int(o.count),
    series: o.series ?? undefined,
    reportingController: str(o.reportingController),
    reportingInstance: str(o.reportingInstance),
  };
}

/** `component, host`, falling back to the reporting controller and instance. */
function eventSource(e: CoreEventView): string {
  const component = str(e.source.component) || e.reportingController;
  const instance = str(e.source.host) || e.reportingInstance;
  return instance ? `${component}, ${instance}` : component;
}

/** Event (core and events.k8s.io): see the module comment for the columns. */
export const eventPrinter: Printer = {
  columns: [
    col("Last Seen", "string", "Time since the event was last observed."),
    col("Type", "string", "Type of the event (Normal or Warning)."),
    col("Reason", "string", "Short machine-readable reason for the event."),
    col("Object", "string", "Object the event is about."),
    col("Subobject", "string", "Part of the object the event is about.", 1),
    col("Source", "string", "Component (and host) that reported the event.", 1),
    col("Message", "string", "Human-readable description of the event."),
    col("First Seen", "string", "Time since the event was first observed.", 1),
    col("Count", "string", "Number of times the event occurred.", 1),
    nameCol(1),
  ],
  cells(o, now) {
    const e = view(o);
    const first = e.firstTimestamp ? since(e.firstTimestamp, now) : since(e.eventTime, now);
    let last = e.lastTimestamp ? since(e.lastTimestamp, now) : first;
    let count = e.count;
    if (e.series) {
      last = since(e.series.lastObservedTime, now);
      count = int(e.series.count);
    } else if (count === 0) {
      count = 1;
    }
    const kind = str(e.involvedObject.kind).toLowerCase();
    const target = e.involvedObject.name ? `${kind}/${e.involvedObject.name}` : kind;
    return [
      last,
      str(o.type),
      str(o.reason),
      target,
      str(e.involvedObject.fieldPath),
      eventSource(e),
      e.message.trim(),
      first,
      count,
      str(o.metadata.name),
    ];
  },
};
