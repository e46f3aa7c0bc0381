/**
 * PrioritySort: the default QueueSort, higher spec.priority first, then the
 * earlier queue timestamp.
 */
import type { QueuedPodInfo, QueueSortPlugin } from "../framework/interface.ts";
import { podPriority } from "../framework/pod_info.ts";
import { Names } from "./names.ts";

export function newPrioritySort(): QueueSortPlugin {
  return {
    name: Names.PrioritySort,
    less(a: QueuedPodInfo, b: QueuedPodInfo) {
      const pa = podPriority(a.pod);
      const pb = podPriority(b.pod);
      return pa > pb || (pa === pb && a.timestamp < b.timestamp);
    },
  } satisfies QueueSortPlugin;
}
