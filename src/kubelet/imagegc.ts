/**
 * Image garbage collection, as upstream's image GC manager: every pass
 * records when each image was first seen and last used by a container (any
 * state); when the image filesystem is at least imageGCHighThresholdPercent
 * (85) full, unused images are removed, least recently used first, until
 * usage would drop to imageGCLowThresholdPercent (80). Images seen for less
 * than the minimum age (2 minutes; images present when the kubelet started
 * count as old), pinned images and tskube's built-in images (the pause
 * sandbox image and busybox, which cannot be pulled back without a
 * registry) are never removed. The freed amount is counted from image sizes,
 * since the filesystem may release space lazily.
 */
import { realClock, type Clock } from "../client/clock.ts";
import { BUSYBOX_IMAGE, PAUSE_IMAGE } from "../images/builtin.ts";
import type { Logger } from "../machinery/log.ts";
import { isNotFound, type CriClient, type CriMessage } from "./cri/client.ts";
import { fsSignal } from "./pressure.ts";

/** Size and free space of the image filesystem. */
export interface ImageFsUsage {
  capacityBytes: number;
  availableBytes: number;
}

export interface ImageGCOptions {
  cri: CriClient;
  log: Logger;
  clock?: Clock;
  /** Usage (percent) at which collection starts (default 85). */
  highThresholdPercent?: number;
  /** Usage (percent) collection tries to get down to (default 80). */
  lowThresholdPercent?: number;
  /** Images first seen less than this long ago are kept (default 2 min). */
  minAgeMs?: number;
  /** Image names (tags or digests) never removed (default: the pause and busybox images). */
  protectedImages?: string[];
  /** Measures the image filesystem (default: statfs of CRI ImageFsInfo's mountpoint); undefined skips collection. */
  imageFs?: () => Promise<ImageFsUsage | undefined>;
}

/** The mountpoint CRI ImageFsInfo reports for images (undefined when the runtime reports none). */
export async function imageFsMountpoint(cri: CriClient): Promise<string | undefined> {
  try {
    const res = await cri.image.ImageFsInfo({}, 10_000);
    const fs: CriMessage[] = res.image_filesystems ?? [];
    return fs.find((f) => f.fs_id?.mountpoint)?.fs_id.mountpoint;
  } catch {
    return undefined;
  }
}

interface ImageRecord {
  firstDetected: number;
  lastUsed: number;
}

/** Names an image answers to: its id, tags and digests. */
function imageNames(img: CriMessage): string[] {
  return [img.id, ...(img.repo_tags ?? []), ...(img.repo_digests ?? [])].filter(Boolean);
}

export class ImageGarbageCollector {
  readonly #o: ImageGCOptions;
  readonly #clock: Clock;
  readonly #records = new Map<string, ImageRecord>();
  #initialized = false;

  constructor(o: ImageGCOptions) {
    this.#o = o;
    this.#clock = o.clock ?? realClock;
    const high = o.highThresholdPercent ?? 85;
    const low = o.lowThresholdPercent ?? 80;
    if (high < low) throw new Error(`imageGCHighThresholdPercent (${high}) must not be below imageGCLowThresholdPercent (${low})`);
  }

  /** One pass: records image use, and frees space when usage is at or above the high threshold. Returns the removed image ids. */
  async run(): Promise<string[]> {
    const now = this.#clock.now();
    const images = await this.#detect(now);
    const usage = await (this.#o.imageFs ?? (() => this.#statImageFs()))();
    if (!usage || usage.capacityBytes <= 0) return [];
    const high = this.#o.highThresholdPercent ?? 85;
    const low = this.#o.lowThresholdPercent ?? 80;
    const usagePercent = 100 - Math.floor((usage.availableBytes * 100) / usage.capacityBytes);
    if (usagePercent < high) return [];
    const toFree = Math.ceil((usage.capacityBytes * (100 - low)) / 100 - usage.availableBytes);
    this.#o.log.info("image filesystem usage over the high threshold, removing unused images", { usagePercent, highThresholdPercent: high, bytesToFree: toFree });
    const { removed, freed } = await this.#free(images, toFree, now);
    if (freed < toFree) {
      this.#o.log.warn("failed to garbage collect the required amount of images", { attempted: toFree, freed });
    }
    return removed;
  }

  /** Lists images and containers; updates first-detected / last-used records. Returns unused, removable images. */
  async #detect(now: number): Promise<{ img: CriMessage; inUse: boolean }[]> {
    const [imgs, cts] = await Promise.all([this.#o.cri.image.ListImages({}), this.#o.cri.runtime.ListContainers({})]);
    const used = new Set<string>();
    for (const c of cts.containers ?? []) {
      if (c.image_ref) used.add(c.image_ref);
      if (c.image?.image) used.add(c.image.image);
    }
    const seen = new Set<string>();
    const out: { img: CriMessage; inUse: boolean }[] = [];
    for (const img of imgs.images ?? []) {
      if (!img.id) continue;
      seen.add(img.id);
      const inUse = imageNames(img).some((n) => used.has(n));
      let rec = this.#records.get(img.id);
      if (!rec) this.#records.set(img.id, (rec = { firstDetected: this.#initialized ? now : 0, lastUsed: 0 }));
      if (inUse) rec.lastUsed = now;
      out.push({ img, inUse });
    }
    for (const id of this.#records.keys()) if (!seen.has(id)) this.#records.delete(id);
    this.#initialized = true;
    return out;
  }

  async #free(images: { img: CriMessage; inUse: boolean }[], toFree: number, now: number): Promise<{ removed: string[]; freed: number }> {
    const keep = new Set(this.#o.protectedImages ?? [PAUSE_IMAGE, BUSYBOX_IMAGE]);
    const minAge = this.#o.minAgeMs ?? 2 * 60_000;
    const candidates = images
      .filter(({ img, inUse }) => !inUse && !img.pinned && !imageNames(img).some((n) => keep.has(n)))
      .map(({ img }) => ({ img, rec: this.#records.get(img.id)! }))
      .filter(({ rec }) => now - rec.firstDetected >= minAge)
      .sort((a, b) => a.rec.lastUsed - b.rec.lastUsed || a.rec.firstDetected - b.rec.firstDetected);
    const removed: string[] = [];
    let freed = 0;
    for (const { img } of candidates) {
      if (freed >= toFree) break;
      try {
        await this.#o.cri.image.RemoveImage({ image: { image: img.id } });
      } catch (err) {
        if (!isNotFound(err)) {
          this.#o.log.warn("image garbage collection: remove failed", { image: img.id, error: String((err as Error).message ?? err) });
          continue;
        }
      }
      this.#records.delete(img.id);
      removed.push(img.id);
      freed += Number(img.size ?? 0);
      this.#o.log.info("removed unused image", { image: img.id, names: [...(img.repo_tags ?? []), ...(img.repo_digests ?? [])], sizeBytes: Number(img.size ?? 0) });
    }
    return { removed, freed };
  }

  async #statImageFs(): Promise<ImageFsUsage | undefined> {
    const mp = await imageFsMountpoint(this.#o.cri);
    const fs = mp ? fsSignal(mp) : undefined;
    return fs && { capacityBytes: fs.capacityBytes, availableBytes: fs.availableBytes };
  }
}
