/**
 * Scheduler cache: nodes and pods as the scheduler believes them to be,
 * including "assumed" pods (scheduled but not yet confirmed bound by the
 * informer). Every change bumps the NodeInfo's generation and moves it to
 * the head of a recency list, so `updateSnapshot` copies only NodeInfos
 * changed since the snapshot's generation (no full rebuild per pod).
 *
 * Assumed pod lifecycle: assumePod -> finishBinding (starts the expiry
 * clock, `ttlMs`, 0 = never) -> addPod from the informer confirms it; or
 * forgetPod on binding failure; or expiry via cleanupAssumedPods.
 */
import type { KObject } from "../api/types.ts";
import { NodeInfo, type ImageStateSummary } from "./framework/node_info.ts";
import { podKey, podUID } from "./framework/pod_info.ts";
import { Snapshot, zoneOrder, nodeZone } from "./framework/snapshot.ts";
import { normalizeImageName } from "./plugins/imagelocality.ts";

interface Item {
  name: string;
  info: NodeInfo;
  prev: Item | null;
  next: Item | null;
}

interface PodState {
  pod: KObject;
  /** ms; set when binding finished for assumed pods. */
  deadline?: number;
  bindingFinished: boolean;
}

class ImageSummary implements ImageStateSummary {
  size = 0;
  readonly nodes = new Set<string>();
  get numNodes(): number {
    return this.nodes.size;
  }
}

export interface CacheOptions {
  /** Expiry of assumed pods after finishBinding, ms. Default 30 000; 0 disables expiry. */
  ttlMs?: number;
  now?: () => number;
}

export class Cache {
  readonly #nodes = new Map<string, Item>();
  #head: Item | null = null;
  readonly #podStates = new Map<string, PodState>();
  readonly #assumed = new Set<string>();
  readonly #images = new Map<string, ImageSummary>();
  #generation = 0;
  /** Node names in zone-interleaved order; recomputed when nodes come, go or change zone. */
  #order: string[] = [];
  #orderDirty = false;
  /** Bumped when #order changes, so snapshots know to rebuild their lists. */
  #orderVersion = 0;
  readonly #snapshotOrderVersion = new WeakMap<Snapshot, number>();
  #removals = 0;
  readonly #snapshotRemovals = new WeakMap<Snapshot, number>();
  readonly #ttl: number;
  readonly #now: () => number;

  constructor(opts: CacheOptions = {}) {
    this.#ttl = opts.ttlMs ?? 30_000;
    this.#now = opts.now ?? Date.now;
  }

  #touch(name: string): Item {
    let it = this.#nodes.get(name);
    if (!it) {
      it = { name, info: new NodeInfo(), prev: null, next: null };
      this.#nodes.set(name, it);
    } else if (it !== this.#head) {
      if (it.prev) it.prev.next = it.next;
      if (it.next) it.next.prev = it.prev;
      it.prev = null;
      it.next = null;
    } else {
      it.info.generation = ++this.#generation;
      return it;
    }
    it.next = this.#head;
    if (this.#head) this.#head.prev = it;
    this.#head = it;
    it.info.generation = ++this.#generation;
    return it;
  }

  #unlink(name: string): void {
    const it = this.#nodes.get(name);
    if (!it) return;
    if (it.prev) it.prev.next = it.next;
    if (it.next) it.next.prev = it.prev;
    if (this.#head === it) this.#head = it.next;
    this.#nodes.delete(name);
    this.#generation++;
    this.#removals++;
  }

  #setImages(name: string, node: KObject | undefined, ni: NodeInfo): void {
    for (const s of this.#images.values()) s.nodes.delete(name);
    const states = new Map<string, ImageStateSummary>();
    for (const img of node?.status?.images ?? []) {
      for (const n of img.names ?? []) {
        const key = normalizeImageName(n);
        let s = this.#images.get(key);
        if (!s) this.#images.set(key, (s = new ImageSummary()));
        s.size = img.sizeBytes ?? 0;
        s.nodes.add(name);
        states.set(key, s);
      }
    }
    for (const [k, s] of this.#images) if (s.nodes.size === 0) this.#images.delete(k);
    ni.setImageStates(states);
  }

  addNode(node: KObject): void {
    this.updateNode(undefined, node);
  }

  updateNode(_old: KObject | undefined, node: KObject): void {
    const name = node.metadata.name!;
    const existing = this.#nodes.get(name);
    const hadNode = !!existing?.info.node;
    if (!hadNode || nodeZone(existing!.info.node!) !== nodeZone(node)) this.#orderDirty = true;
    const it = this.#touch(name);
    it.info.setNode(node);
    if (!hadNode || JSON.stringify(_old?.status?.images ?? existing?.info.node?.status?.images) !== JSON.stringify(node.status?.images)) {
      this.#setImages(name, node, it.info);
    }
  }

  /** Removes the node; its NodeInfo lingers (without node) while pods still reference it. */
  removeNode(node: KObject): void {
    const name = node.metadata.name!;
    const it = this.#nodes.get(name);
    if (!it) return;
    this.#orderDirty = true;
    this.#setImages(name, undefined, it.info);
    if (it.info.pods.length === 0) this.#unlink(name);
    else {
      it.info.clearNode();
      this.#touch(name);
    }
  }

  #addToNode(pod: KObject): void {
    const name = pod.spec?.nodeName;
    if (!name) return;
    this.#touch(name).info.addPod(pod);
  }

  #removeFromNode(pod: KObject): void {
    const name = pod.spec?.nodeName;
    const it = name ? this.#nodes.get(name) : undefined;
    if (!it) return;
    it.info.removePod(pod);
    if (!it.info.node && it.info.pods.length === 0) this.#unlink(name!);
    else this.#touch(name!);
  }

  /** Records that `pod` (with spec.nodeName set to the chosen node) is being bound. Throws if already known. */
  assumePod(pod: KObject): void {
    const uid = podUID(pod);
    if (this.#podStates.has(uid)) throw new Error(`pod ${podKey(pod)}(${uid}) is in the cache, so can't be assumed`);
    this.#addToNode(pod);
    this.#podStates.set(uid, { pod, bindingFinished: false });
    this.#assumed.add(uid);
  }

  /** Binding done (API call returned): the assumed pod may now expire after ttl. */
  finishBinding(pod: KObject): void {
    const st = this.#podStates.get(podUID(pod));
    if (!st || !this.#assumed.has(podUID(pod))) return;
    st.bindingFinished = true;
    st.deadline = this.#ttl > 0 ? this.#now() + this.#ttl : undefined;
  }

  /** Drops an assumed pod (binding failed). Throws for pods that are not assumed. */
  forgetPod(pod: KObject): void {
    const uid = podUID(pod);
    const st = this.#podStates.get(uid);
    if (!st) return;
    if (!this.#assumed.has(uid)) throw new Error(`pod ${podKey(pod)}(${uid}) was not assumed, so can't be forgotten`);
    this.#removeFromNode(st.pod);
    this.#podStates.delete(uid);
    this.#assumed.delete(uid);
  }

  /** Informer add of a bound pod (confirms an assumed pod, moving it if bound elsewhere). */
  addPod(pod: KObject): void {
    const uid = podUID(pod);
    const st = this.#podStates.get(uid);
    if (st && this.#assumed.has(uid)) {
      this.#removeFromNode(st.pod);
      this.#addToNode(pod);
      this.#assumed.delete(uid);
      this.#podStates.set(uid, { pod, bindingFinished: true });
      return;
    }
    if (st) {
      this.updatePod(st.pod, pod);
      return;
    }
    this.#addToNode(pod);
    this.#podStates.set(uid, { pod, bindingFinished: true });
  }

  updatePod(_old: KObject, pod: KObject): void {
    const uid = podUID(pod);
    const st = this.#podStates.get(uid);
    if (!st) return this.addPod(pod);
    if (this.#assumed.has(uid)) return this.addPod(pod);
    this.#removeFromNode(st.pod);
    this.#addToNode(pod);
    st.pod = pod;
  }

  removePod(pod: KObject): void {
    const uid = podUID(pod);
    const st = this.#podStates.get(uid);
    if (!st) return;
    this.#removeFromNode(st.pod);
    this.#podStates.delete(uid);
    this.#assumed.delete(uid);
  }

  isAssumedPod(pod: KObject): boolean {
    return this.#assumed.has(podUID(pod));
  }

  /** The cached version of a pod (assumed or bound), if any. */
  getPod(pod: KObject): KObject | undefined {
    return this.#podStates.get(podUID(pod))?.pod;
  }

  /** Expires assumed pods whose binding finished more than ttl ago; returns them. */
  cleanupAssumedPods(now = this.#now()): KObject[] {
    const out: KObject[] = [];
    for (const uid of [...this.#assumed]) {
      const st = this.#podStates.get(uid)!;
      if (st.bindingFinished && st.deadline !== undefined && now > st.deadline) {
        out.push(st.pod);
        this.removePod(st.pod);
      }
    }
    return out;
  }

  get nodeCount(): number {
    let n = 0;
    for (const it of this.#nodes.values()) if (it.info.node) n++;
    return n;
  }

  get podCount(): number {
    return this.#podStates.size;
  }

  /**
   * Brings `snapshot` up to date: copies NodeInfos newer than its generation
   * (walking the recency list from the head) and rebuilds its lists only
   * when nodes were added/removed or a node's (anti-)affinity pod set went
   * from empty to non-empty or back.
   */
  updateSnapshot(snapshot: Snapshot): void {
    if (this.#orderDirty) {
      this.#order = zoneOrder([...this.#nodes.values()].filter((it) => it.info.node).map((it) => it.info.node!));
      this.#orderDirty = false;
      this.#orderVersion++;
    }
    let rebuild = this.#snapshotOrderVersion.get(snapshot) !== this.#orderVersion;
    for (let it = this.#head; it && it.info.generation > snapshot.generation; it = it.next) {
      const name = it.name;
      let existing = snapshot.nodeInfoMap.get(name);
      if (!existing) {
        existing = new NodeInfo();
        snapshot.nodeInfoMap.set(name, existing);
        rebuild = true;
      } else if (
        existing.podsWithAffinity.length > 0 !== it.info.podsWithAffinity.length > 0 ||
        existing.podsWithRequiredAntiAffinity.length > 0 !== it.info.podsWithRequiredAntiAffinity.length > 0 ||
        !existing.node !== !it.info.node
      ) {
        rebuild = true;
      }
      it.info.copyInto(existing);
    }
    if (this.#snapshotRemovals.get(snapshot) !== this.#removals) {
      for (const name of snapshot.nodeInfoMap.keys()) {
        if (!this.#nodes.has(name)) {
          snapshot.nodeInfoMap.delete(name);
          rebuild = true;
        }
      }
      this.#snapshotRemovals.set(snapshot, this.#removals);
    }
    snapshot.generation = this.#generation;
    if (rebuild) {
      snapshot.rebuildLists(this.#order);
      this.#snapshotOrderVersion.set(snapshot, this.#orderVersion);
    }
  }
}
