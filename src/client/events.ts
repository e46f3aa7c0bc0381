/**
 * The event recorder: records core/v1 Events about objects, asynchronously and
 * without blocking the caller. Identical events (same involved object, type,
 * reason, message and source) within ten minutes are aggregated by patching
 * count and lastTimestamp of the existing Event, as upstream's correlator does.
 * Similar events (the same but for the message) are combined too, as upstream's
 * aggregator does: from the tenth distinct message within ten minutes on, one
 * Event with message "(combined from similar events): <latest>" counts them.
 * Failures are logged and dropped; the pending queue is bounded (events
 * beyond it are dropped and counted in a warning at most every 10 s).
 */
import type { KObject } from "../api/types.ts";
import { log as rootLog } from "../machinery/log.ts";
import { isNotFound, type ApiClient, type ResourceClient } from "./rest.ts";
import { rfc3339 } from "../machinery/time.ts";

const log = rootLog.child("events");

/** Window within which identical events are aggregated. */
const aggregateWindowMs = 10 * 60 * 1000;
/** Distinct messages of similar events before they are combined (upstream's defaultAggregateMaxEvents). */
const aggregateMaxEvents = 10;
/** Pending events beyond this are dropped. */
const maxPending = 1000;
/** Remembered events (oldest evicted first). */
const maxRemembered = 4096;
/** Dropped events are reported at most this often (with their count), not one log line each. */
const dropReportMs = 10_000;

interface Pending {
  key: string;
  /** The key without the message (upstream's aggregate key). */
  similarKey: string;
  obj: KObject;
  type: "Normal" | "Warning";
  reason: string;
  message: string;
  at: Date;
}

interface Seen {
  namespace: string;
  name: string;
  count: number;
  last: number;
}

let sequence = 0;

/** Upstream-like event name: `<object>.<hex nanosecond timestamp>` (unique within the process). */
function eventName(objName: string, at: Date): string {
  const ns = BigInt(at.getTime()) * 1_000_000n + BigInt(sequence++ % 1_000_000);
  return `${objName}.${ns.toString(16)}`;
}

export class EventRecorder {
  readonly #events: ResourceClient;
  readonly #source: { component: string; host?: string };
  readonly #queue: Pending[] = [];
  readonly #seen = new Map<string, Seen>();
  /** Per similar-event key: the distinct messages seen and when the last one was. */
  readonly #similar = new Map<string, { messages: Set<string>; last: number }>();
  #running: Promise<void> | undefined;
  #dropped = 0;
  #lastDropReport = -Infinity;

  constructor(client: ApiClient, source: { component: string; host?: string }) {
    this.#events = client.for("v1", "Event");
    this.#source = source;
  }

  /**
   * Records an event about `obj` (in its namespace; "default" for
   * cluster-scoped objects). Returns at once; the write happens in the
   * background. Dropped (with a log line) when too many are pending.
   */
  event(obj: KObject, type: "Normal" | "Warning", reason: string, message: string): void {
    if (this.#queue.length >= maxPending) {
      this.#dropped++;
      const now = performance.now();
      if (now - this.#lastDropReport >= dropReportMs) {
        log.warn("event queue full, dropping events", { dropped: this.#dropped, reason, object: obj.metadata?.name });
        this.#dropped = 0;
        this.#lastDropReport = now;
      }
      return;
    }
    const io = involvedObject(obj);
    const similar = [io.apiVersion, io.kind, io.namespace, io.name, io.uid, type, reason, this.#source.component, this.#source.host ?? ""];
    const key = JSON.stringify([...similar, message]);
    this.#queue.push({ key, similarKey: JSON.stringify(similar), obj, type, reason, message, at: new Date() });
    this.#running ??= this.#drain().finally(() => (this.#running = undefined));
  }

  /** Resolves once every event recorded so far has been written (or dropped). */
  async flush(): Promise<void> {
    while (this.#running) await this.#running;
  }

  async #drain(): Promise<void> {
    for (let p = this.#queue.shift(); p; p = this.#queue.shift()) {
      try {
        await this.#write(p);
      } catch (err) {
        log.warn("could not write event", { reason: p.reason, object: p.obj.metadata?.name, error: String((err as Error)?.message ?? err) });
      }
    }
  }

  /** Upstream's EventAggregate: the key and message to record `p` under. */
  #aggregate(p: Pending, now: number): { key: string; message: string } {
    let rec = this.#similar.get(p.similarKey);
    if (!rec || now - rec.last > aggregateWindowMs) rec = { messages: new Set(), last: now };
    rec.last = now;
    this.#similar.delete(p.similarKey);
    this.#similar.set(p.similarKey, rec);
    if (this.#similar.size > maxRemembered) this.#similar.delete(this.#similar.keys().next().value!);
    if (rec.messages.has(p.message) || rec.messages.size < aggregateMaxEvents - 1) {
      rec.messages.add(p.message);
      return { key: p.key, message: p.message };
    }
    return { key: p.similarKey, message: `(combined from similar events): ${p.message}` };
  }

  async #write(p: Pending): Promise<void> {
    const now = p.at.getTime();
    const ts = rfc3339(p.at);
    const { key, message } = this.#aggregate(p, now);
    const prev = this.#seen.get(key);
    if (prev && now - prev.last < aggregateWindowMs) {
      try {
        const patch: Record<string, unknown> = { count: prev.count + 1, lastTimestamp: ts };
        if (key !== p.key) patch.message = message;
        await this.#events.patch(prev.namespace, prev.name, "merge", patch);
        prev.count++;
        prev.last = now;
        this.#remember(key, prev);
        return;
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
    const io = involvedObject(p.obj);
    const namespace = io.namespace || "default";
    const name = eventName(p.obj.metadata?.name ?? "unknown", p.at);
    const ev: KObject = {
      apiVersion: "v1",
      kind: "Event",
      metadata: { name, namespace },
      involvedObject: io,
      reason: p.reason,
      message,
      type: p.type,
      source: this.#source.host ? { component: this.#source.component, host: this.#source.host } : { component: this.#source.component },
      firstTimestamp: ts,
      lastTimestamp: ts,
      count: 1,
      reportingComponent: this.#source.component,
      reportingInstance: this.#source.host ?? "",
    };
    await this.#events.create(namespace, ev);
    this.#remember(key, { namespace, name, count: 1, last: now });
  }

  #remember(key: string, s: Seen): void {
    this.#seen.delete(key);
    this.#seen.set(key, s);
    if (this.#seen.size > maxRemembered) this.#seen.delete(this.#seen.keys().next().value!);
  }
}

function involvedObject(obj: KObject): Record<string, string> {
  const m = obj.metadata ?? {};
  const io: Record<string, string> = {};
  if (obj.kind) io.kind = obj.kind;
  if (obj.apiVersion) io.apiVersion = obj.apiVersion;
  if (m.name) io.name = m.name;
  if (m.namespace) io.namespace = m.namespace;
  if (m.uid) io.uid = m.uid;
  if (m.resourceVersion) io.resourceVersion = m.resourceVersion;
  return io;
}
