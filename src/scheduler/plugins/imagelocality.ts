/**
 * ImageLocality: favours nodes that already have the pod's container images,
 * weighting each image's size by the fraction of nodes that have it
 * (spread), clamped between 23 MB and 1000 MB per container.
 */
import type { KObject } from "../../api/types.ts";
import { MAX_NODE_SCORE } from "../framework/helpers.ts";
import type { Framework } from "../framework/framework.ts";
import type { ScorePlugin } from "../framework/interface.ts";
import type { NodeInfo } from "../framework/node_info.ts";
import { Names } from "./names.ts";

const MB = 1024 * 1024;
const MIN_THRESHOLD = 23 * MB;
const MAX_CONTAINER_THRESHOLD = 1000 * MB;

/**
 * Canonical image reference: `docker.io/library/` added for bare Docker Hub
 * names and `:latest` when neither tag nor digest is given.
 */
export function normalizeImageName(name: string): string {
  let n = name;
  const slash = n.indexOf("/");
  const first = slash < 0 ? "" : n.slice(0, slash);
  if (slash < 0) n = `docker.io/library/${n}`;
  else if (!first.includes(".") && !first.includes(":") && first !== "localhost") n = `docker.io/${n}`;
  if (!n.includes("@") && n.lastIndexOf(":") <= n.lastIndexOf("/")) n += ":latest";
  return n;
}

/** Score from the summed scaled image sizes. */
export function imageScore(sum: number, numContainers: number): number {
  const max = MAX_CONTAINER_THRESHOLD * numContainers;
  const s = Math.min(Math.max(sum, MIN_THRESHOLD), max);
  return Math.trunc((MAX_NODE_SCORE * (s - MIN_THRESHOLD)) / (max - MIN_THRESHOLD));
}

let lastPod: KObject | undefined;
let lastImages: string[] = [];

/** Normalized images of the pod's init and app containers (kept for the last pod: Score asks once per node). */
function podImages(pod: KObject): string[] {
  if (pod !== lastPod) {
    const containers: KObject[] = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])];
    lastImages = containers.map((c) => normalizeImageName(c.image ?? ""));
    lastPod = pod;
  }
  return lastImages;
}

export function newImageLocality(_args: unknown, handle: Framework): ScorePlugin {
  return {
    name: Names.ImageLocality,
    score(_state, pod: KObject, nodeInfo: NodeInfo) {
      const images = podImages(pod);
      let sum = 0;
      if (nodeInfo.imageCount) {
        const total = handle.snapshot.numNodes || 1;
        for (const name of images) {
          const st = nodeInfo.imageStates.get(name);
          if (st) sum += Math.trunc(st.size * (st.numNodes / total));
        }
      }
      return imageScore(sum, images.length || 1);
    },
  } satisfies ScorePlugin;
}
