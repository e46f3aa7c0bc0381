/**
 * Watch groups: watches that receive identical bytes (same resource and
 * version, same collection, JSON, no selector; typically informers) share one
 * watch-cache registration and one `Broadcast`, so an event is encoded and
 * queued once for all of them instead of once per watcher.
 */
import type { CacheEvent, WatchCache } from "./watchcache.ts";
import { Broadcast } from "./watchwriter.ts";

interface Group {
  broadcast: Broadcast;
  unregister: () => void;
  /** Members' callbacks for when the cache stops serving the group. */
  closers: Set<() => void>;
}

const groupsByCache = new WeakMap<WatchCache, Map<string, Group>>();

export interface GroupMembership {
  /** The group's broadcast: from now on it receives every event under the prefix. */
  broadcast: Broadcast;
  /** Leaves the group (the last member to leave unregisters it from the cache). */
  leave(): void;
}

/**
 * Joins group `key` of `cache`, creating it if needed: a cache watcher of the
 * keys under `prefix` in `bucket` from the cache's current revision on, each
 * event appended to the broadcast as `line(ev)`. Every member of one key must
 * encode events alike; the key says what makes them alike. `onClose` runs if
 * the cache stops serving the group (after which it is gone).
 */
export function joinGroup(cache: WatchCache, bucket: string, prefix: string, key: string, line: (ev: CacheEvent) => Buffer, onClose: () => void): GroupMembership {
  let groups = groupsByCache.get(cache);
  if (!groups) groupsByCache.set(cache, (groups = new Map()));
  let group = groups.get(key);
  if (!group) {
    const broadcast = new Broadcast();
    const closers = new Set<() => void>();
    const created: Group = { broadcast, closers, unregister: () => undefined };
    created.unregister = cache.watch(bucket, prefix, cache.revision, {
      onEvents: (events) => {
        for (const ev of events) broadcast.append(line(ev));
      },
      onClose: () => {
        groups.delete(key);
        for (const close of [...closers]) close();
      },
    });
    groups.set(key, created);
    group = created;
  }
  const joined = group;
  joined.closers.add(onClose);
  return {
    broadcast: joined.broadcast,
    leave: () => {
      if (!joined.closers.delete(onClose) || joined.closers.size > 0) return;
      joined.unregister();
      if (groups.get(key) === joined) groups.delete(key);
    },
  };
}

/** Number of live groups of `cache` (for tests). */
export function groupCount(cache: WatchCache): number {
  return groupsByCache.get(cache)?.size ?? 0;
}
