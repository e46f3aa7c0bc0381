/**
 * Watch streaming: chunked JSON event lines served from the watch cache, with
 * upstream's start semantics (resourceVersion unset/0: initial ADDED events;
 * a revision: resume after it; too old: an ERROR event with 410 Expired),
 * sendInitialEvents with the initial-events-end bookmark, periodic bookmarks,
 * selector transitions (an object leaving the selection is DELETED),
 * timeoutSeconds and slow-consumer protection.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Http2ServerResponse } from "node:http2";
import type { Writable } from "node:stream";
import type { ResourceInfo } from "../api/resources.ts";
import { groupVersion } from "../api/resources.ts";
import type { KObject } from "../api/types.ts";
import { badRequest, StatusError } from "../machinery/errors.ts";
import type { Representation } from "./http.ts";
import { collectionPrefix, objectKey, toRequestVersion } from "./registry/objects.ts";
import { buildMatcher, waitForCache } from "./registry/read.ts";
import type { Registry } from "./registry/registry.ts";
import { partialMetadata, toTable, type IncludeObject } from "./table.ts";
import { TooOldError, type CacheEvent } from "./watchcache.ts";
import { joinGroup, type GroupMembership } from "./watchgroups.ts";
import { Outlet, type ChunkSink } from "./watchwriter.ts";

export interface WatchParams {
  namespace: string;
  /** Watch a single object by name. */
  name?: string;
  resourceVersion?: string;
  resourceVersionMatch?: string;
  labelSelector?: string;
  fieldSelector?: string;
  allowWatchBookmarks: boolean;
  sendInitialEvents?: boolean;
  timeoutSeconds?: number;
  include: IncludeObject;
}

/** Upper bound of queued bytes before a slow watcher is disconnected. */
const maxBufferedBytes = 16 * 1024 * 1024;
const bookmarkIntervalMs = 60_000;

function checkParams(p: WatchParams): void {
  if (p.sendInitialEvents !== undefined) {
    if (p.resourceVersionMatch !== "NotOlderThan") {
      throw new StatusError("Invalid", "ListOptions.meta.k8s.io \"\" is invalid: resourceVersionMatch: Forbidden: sendInitialEvents requires setting resourceVersionMatch to NotOlderThan", {
        kind: "ListOptions",
        group: "meta.k8s.io",
        causes: [{ reason: "FieldValueForbidden", message: "Forbidden: sendInitialEvents requires setting resourceVersionMatch to NotOlderThan", field: "resourceVersionMatch" }],
      });
    }
    if (p.sendInitialEvents && !p.allowWatchBookmarks) {
      throw new StatusError("Invalid", "ListOptions.meta.k8s.io \"\" is invalid: allowWatchBookmarks: Required value: sendInitialEvents requires setting allowWatchBookmarks to true", {
        kind: "ListOptions",
        group: "meta.k8s.io",
        causes: [{ reason: "FieldValueRequired", message: "Required value: sendInitialEvents requires setting allowWatchBookmarks to true", field: "allowWatchBookmarks" }],
      });
    }
  } else if (p.resourceVersionMatch) {
    throw badRequest("resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided");
  }
}

/**
 * The JSON watch line of `ev` (its object, of `type`) in `info`'s version,
 * memoised on the event so that every watcher of that version shares the
 * bytes. `memoKeys` maps each event type to a key naming the version.
 */
function sharedJsonLine(info: ResourceInfo, memoKeys: Record<string, string>, type: string, ev: CacheEvent): Buffer {
  const memoKey = memoKeys[type];
  ev.memo ??= new Map();
  let b = ev.memo.get(memoKey) as Buffer | undefined;
  if (b === undefined) {
    b = Buffer.from(`{"type":"${type}","object":${JSON.stringify(toRequestVersion(info, ev.obj))}}\n`);
    ev.memo.set(memoKey, b);
  }
  return b;
}

/** The line encoder of a watch group (it holds nothing of the watch that created the group). */
function groupLine(info: ResourceInfo, memoKeys: Record<string, string>): (ev: CacheEvent) => Buffer {
  return (ev) => sharedJsonLine(info, memoKeys, ev.type, ev);
}

/**
 * Serves a watch on `res` until the client goes away, the timeout passes or
 * the server stops. Errors before streaming starts are thrown (the caller
 * answers them as Status); later ones end the stream with an ERROR event.
 */
export async function serveWatch(
  reg: Registry,
  info: ResourceInfo,
  p: WatchParams,
  rep: Representation,
  req: IncomingMessage,
  res: ServerResponse,
  stopSignal: AbortSignal,
): Promise<void> {
  checkParams(p);
  const selector = buildMatcher(info, p.labelSelector, p.fieldSelector);
  const exactKey = p.name ? objectKey(info, p.namespace, p.name) : undefined;
  const matches = (o: KObject | undefined): boolean => !!o && (!selector || selector(o));
  const prefix = exactKey ?? collectionPrefix(info, p.namespace);
  const rv = p.resourceVersion;
  const initial = p.sendInitialEvents ?? (rv === undefined || rv === "" || rv === "0");
  if (initial || (rv !== undefined && rv !== "0")) await waitForCache(reg, initial && rv === "0" ? "0" : rv);

  const gv = groupVersion(info);
  let first = true;
  const encodeObject = (obj: KObject): unknown => {
    const o = toRequestVersion(info, obj);
    if (rep.kind === "table") {
      const t = toTable(info, [o], { version: rep.version, include: p.include, noHeaders: !first });
      first = false;
      return t;
    }
    if (rep.kind === "partial") return partialMetadata(o, rep.version);
    return o;
  };
  const line = (type: string, obj: unknown): string => `{"type":"${type}","object":${JSON.stringify(obj)}}\n`;
  // Memo keys are built once per watch, not once per event per watcher.
  const memoKeys: Record<string, string> = { ADDED: `${gv}:ADDED`, MODIFIED: `${gv}:MODIFIED`, DELETED: `${gv}:DELETED` };
  const eventLine = (type: string, ev: CacheEvent, obj: KObject): Buffer | string => {
    if (rep.kind !== "json" || obj !== ev.obj) return line(type, encodeObject(obj));
    return sharedJsonLine(info, memoKeys, type, ev);
  };
  const bookmark = (rev: number, initialEnd: boolean): string => {
    const meta: Record<string, unknown> = { resourceVersion: String(rev) };
    if (initialEnd) meta.annotations = { "k8s.io/initial-events-end": "true" };
    return line("BOOKMARK", { kind: info.kind, apiVersion: gv, metadata: meta });
  };

  let closed = false;
  let unregister: (() => void) | undefined;
  let membership: GroupMembership | undefined;
  let bookmarkTimer: NodeJS.Timeout | undefined;
  let timeoutTimer: NodeJS.Timeout | undefined;
  let lastRev = 0;
  const close = (): void => {
    if (closed) return;
    closed = true;
    unregister?.();
    membership?.leave();
    clearInterval(bookmarkTimer);
    clearTimeout(timeoutTimer);
    stopSignal.removeEventListener("abort", close);
    outlet?.close();
    res.end();
  };
  // Over HTTP/1.1 the response is chunk-encoded and its headers are flushed
  // before any event, so complete chunks framed by the shared writer go
  // straight to the socket; res.end() then writes the terminating chunk.
  // Over HTTP/2 the writer's raw bytes go to the response's stream.
  const h2 = (res as unknown as Http2ServerResponse).stream;
  const out: Writable | null = req.httpVersionMajor === 2 ? h2 : res.socket;
  const sink: ChunkSink = {
    chunked: req.httpVersionMajor !== 2,
    write(buf) {
      if (closed || !out || out.destroyed) return;
      out.write(buf);
      if (out.writableLength > maxBufferedBytes) close();
    },
  };
  let outlet: Outlet | undefined;
  const write = (s: Buffer | string): void => {
    if (!closed) outlet?.push(s);
  };

  const headers: Record<string, string> = { "Content-Type": "application/json", "Cache-Control": "no-cache, private" };
  if (req.httpVersionMajor !== 2) headers["Transfer-Encoding"] = "chunked";
  res.writeHead(200, headers);
  res.flushHeaders();

  const startRev = reg.cache.revision;
  lastRev = startRev;
  let fromRev = startRev;
  let pending = "";
  if (initial) {
    const objs = exactKey ? [reg.cache.get(exactKey)].filter((c) => c !== undefined) : reg.cache.list(info.storage, prefix);
    for (const c of objs) if (matches(c.obj)) pending += line("ADDED", encodeObject(c.obj));
    if (p.sendInitialEvents) pending += bookmark(startRev, true);
  } else {
    fromRev = Number(rv);
  }
  const startTimers = (): void => {
    if (p.allowWatchBookmarks) bookmarkTimer = setInterval(() => write(bookmark(Math.max(lastRev, reg.cache.revision), false)), bookmarkIntervalMs);
    const timeout = p.timeoutSeconds !== undefined && p.timeoutSeconds > 0 ? p.timeoutSeconds : 1800 + Math.floor(Math.random() * 1800);
    timeoutTimer = setTimeout(close, timeout * 1000);
    stopSignal.addEventListener("abort", close);
    req.on("close", close);
    res.on("close", close);
  };
  try {
    // Watchers that would all receive the same bytes share one broadcast.
    if (rep.kind === "json" && !selector && !exactKey) {
      const replay = reg.cache.eventsSince(info.storage, prefix, fromRev);
      const sharedLine = groupLine(info, memoKeys);
      membership = joinGroup(reg.cache, info.storage, prefix, `${gv}|${info.kind}|${prefix}`, sharedLine, close);
      outlet = new Outlet(sink, membership.broadcast);
      if (pending) write(pending);
      for (const ev of replay) write(sharedLine(ev));
      startTimers();
      return;
    }
    outlet = new Outlet(sink);
    unregister = reg.cache.watch(info.storage, prefix, fromRev, {
      onEvents: (events) => {
        for (const ev of events) {
          if (exactKey && ev.key !== exactKey) continue;
          lastRev = ev.rev;
          const now = ev.type !== "DELETED" && matches(ev.obj);
          const before = ev.type !== "ADDED" && matches(ev.prevObj);
          if (ev.type === "DELETED") {
            if (before) write(eventLine("DELETED", ev, ev.obj));
          } else if (now && before) write(eventLine("MODIFIED", ev, ev.obj));
          else if (now) write(eventLine("ADDED", ev, ev.obj));
          else if (before) {
            write(line("DELETED", encodeObject({ ...ev.prevObj!, metadata: { ...ev.prevObj!.metadata, resourceVersion: String(ev.rev) } })));
          }
        }
      },
      onClose: () => close(),
    });
  } catch (err) {
    if (err instanceof TooOldError) {
      res.end(line("ERROR", new StatusError("Expired", `too old resource version: ${rv} (${reg.cache.revision})`).toStatus()));
      return;
    }
    throw err;
  }
  if (pending) write(pending);
  startTimers();
}
