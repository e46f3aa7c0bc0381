/**
 * Static pods: pod manifests (YAML or JSON, one pod per file) in the
 * `--pod-manifest-path` directory, polled. Each runs like an API pod with a
 * uid derived from the file content and the node name and a name suffixed
 * `-<nodeName>`; a mirror pod (annotation kubernetes.io/config.mirror, owned
 * by the Node) makes it visible in the API and carries its status. Removing
 * the file terminates the pod and deletes the mirror pod.
 */
import { createHash } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { findResource } from "../api/resources.ts";
import { isAlreadyExists, isNotFound, type ApiClient } from "../client/index.ts";
import type { Logger } from "../machinery/log.ts";
import { parseYaml } from "../machinery/yaml.ts";
import type { Pod } from "./types.ts";

export const MIRROR_ANNOTATION = "kubernetes.io/config.mirror";
export const CONFIG_SOURCE_ANNOTATION = "kubernetes.io/config.source";
export const CONFIG_HASH_ANNOTATION = "kubernetes.io/config.hash";

const podsRes = findResource("", "v1", "pods")!;
const nodesRes = findResource("", "v1", "nodes")!;

export interface StaticPodsOptions {
  dir: string;
  nodeName: string;
  client: ApiClient;
  /** Mirror pods currently in the API (from the kubelet's pod informer). */
  mirrors(): Pod[];
  nodeUid(): string | undefined;
  /** Called with a static pod uid whenever it appears, changes or goes away. */
  onChange(uid: string): void;
  pollMs?: number;
  log: Logger;
}

/** The pod a manifest describes, as the kubelet runs it. Throws on invalid content. */
export function staticPodFromManifest(text: string, nodeName: string, file: string): Pod {
  const obj = parseYaml(text) as Pod;
  if (!obj || typeof obj !== "object" || obj.kind !== "Pod" || !obj.metadata?.name) throw new Error(`${file}: not a Pod manifest with a name`);
  const uid = createHash("md5").update(nodeName).update("\0").update(text).digest("hex");
  const hashUid = `${uid.slice(0, 8)}-${uid.slice(8, 12)}-${uid.slice(12, 16)}-${uid.slice(16, 20)}-${uid.slice(20, 32)}`;
  return {
    ...obj,
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      ...obj.metadata,
      name: `${obj.metadata.name}-${nodeName}`,
      namespace: obj.metadata.namespace ?? "default",
      uid: hashUid,
      annotations: { ...(obj.metadata.annotations ?? {}), [CONFIG_SOURCE_ANNOTATION]: "file", [CONFIG_HASH_ANNOTATION]: hashUid },
    },
    spec: { restartPolicy: "Always", terminationGracePeriodSeconds: 30, dnsPolicy: "ClusterFirst", ...(obj.spec ?? {}), nodeName },
    status: { phase: "Pending" },
  };
}

export class StaticPods {
  readonly #o: StaticPodsOptions;
  /** uid → pod (including ones whose manifest is gone and that are being terminated). */
  readonly #pods = new Map<string, Pod>();
  readonly #terminating = new Set<string>();
  #synced = false;
  #timer: NodeJS.Timeout | undefined;
  #busy = false;

  constructor(o: StaticPodsOptions) {
    this.#o = o;
  }

  async start(): Promise<void> {
    await this.#poll();
    this.#timer = setInterval(() => void this.#poll(), this.#o.pollMs ?? 5000);
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  hasSynced(): boolean {
    return this.#synced;
  }

  get(uid: string): Pod | undefined {
    return this.#pods.get(uid);
  }

  list(): Pod[] {
    return [...this.#pods.values()];
  }

  isTerminating(uid: string): boolean {
    return this.#terminating.has(uid);
  }

  /** The mirror pod of a static pod (undefined for API pods or when none exists yet). */
  mirrorFor(pod: Pod): Pod | undefined {
    if (!this.#pods.has(pod.metadata.uid!)) return undefined;
    return this.#o.mirrors().find((m) => m.metadata.namespace === pod.metadata.namespace && m.metadata.name === pod.metadata.name);
  }

  /** A mirror pod changed in the API: reconcile mirrors soon. */
  mirrorChanged(_mirror: Pod): void {
    void this.#reconcileMirrors();
  }

  /** The kubelet finished terminating a static pod whose manifest is gone. */
  async terminated(uid: string): Promise<void> {
    const pod = this.#pods.get(uid);
    this.#pods.delete(uid);
    this.#terminating.delete(uid);
    if (pod) await this.#deleteMirror(pod.metadata.namespace!, pod.metadata.name!);
  }

  async #poll(): Promise<void> {
    if (this.#busy) return;
    this.#busy = true;
    try {
      const seen = new Set<string>();
      let files: string[] = [];
      try {
        files = (await readdir(this.#o.dir)).filter((f) => /\.(ya?ml|json)$/.test(f) && !f.startsWith(".")).sort();
      } catch (err) {
        if ((err as { code?: string }).code !== "ENOENT") throw err;
      }
      for (const f of files) {
        let pod: Pod;
        try {
          pod = staticPodFromManifest(await readFile(join(this.#o.dir, f), "utf8"), this.#o.nodeName, f);
        } catch (err) {
          this.#o.log.warn("invalid static pod manifest", { file: f, error: String((err as Error).message) });
          continue;
        }
        const uid = pod.metadata.uid!;
        seen.add(uid);
        if (!this.#pods.has(uid)) {
          this.#pods.set(uid, pod);
          this.#o.log.info("static pod added", { pod: `${pod.metadata.namespace}/${pod.metadata.name}`, file: f });
          this.#o.onChange(uid);
        }
      }
      for (const uid of this.#pods.keys()) {
        if (!seen.has(uid) && !this.#terminating.has(uid)) {
          this.#terminating.add(uid);
          this.#o.onChange(uid);
        }
      }
      this.#synced = true;
      await this.#reconcileMirrors();
    } catch (err) {
      this.#o.log.warn("static pod poll failed", { error: String((err as Error).message ?? err) });
    } finally {
      this.#busy = false;
    }
  }

  async #reconcileMirrors(): Promise<void> {
    const mirrors = this.#o.mirrors();
    const live = [...this.#pods.values()].filter((p) => !this.#terminating.has(p.metadata.uid!));
    for (const m of mirrors) {
      const owner = live.find((p) => p.metadata.namespace === m.metadata.namespace && p.metadata.name === m.metadata.name);
      if (!owner || m.metadata.deletionTimestamp || m.metadata.annotations?.[MIRROR_ANNOTATION] !== owner.metadata.uid) {
        if (owner && !this.#terminating.has(owner.metadata.uid!)) await this.#deleteMirror(m.metadata.namespace!, m.metadata.name!, m.metadata.uid);
        else if (!owner) await this.#deleteMirror(m.metadata.namespace!, m.metadata.name!, m.metadata.uid);
      }
    }
    for (const p of live) {
      const has = mirrors.some((m) => m.metadata.namespace === p.metadata.namespace && m.metadata.name === p.metadata.name && !m.metadata.deletionTimestamp && m.metadata.annotations?.[MIRROR_ANNOTATION] === p.metadata.uid);
      if (!has) await this.#createMirror(p);
    }
  }

  async #createMirror(p: Pod): Promise<void> {
    let nodeUid = this.#o.nodeUid();
    try {
      nodeUid ??= (await this.#o.client.resource(nodesRes).get("", this.#o.nodeName)).metadata.uid;
    } catch {
      /* retry on the next poll */
    }
    const mirror: Pod = {
      apiVersion: "v1",
      kind: "Pod",
      metadata: {
        name: p.metadata.name,
        namespace: p.metadata.namespace,
        labels: p.metadata.labels,
        annotations: { ...(p.metadata.annotations ?? {}), [MIRROR_ANNOTATION]: p.metadata.uid! },
        ownerReferences: nodeUid ? [{ apiVersion: "v1", kind: "Node", name: this.#o.nodeName, uid: nodeUid, controller: true }] : undefined,
      },
      spec: p.spec,
    };
    try {
      await this.#o.client.resource(podsRes).create(p.metadata.namespace!, mirror);
    } catch (err) {
      if (!isAlreadyExists(err)) this.#o.log.warn("could not create mirror pod", { pod: p.metadata.name, error: String((err as Error).message) });
    }
  }

  async #deleteMirror(namespace: string, name: string, uid?: string): Promise<void> {
    try {
      await this.#o.client.resource(podsRes).delete(namespace, name, { gracePeriodSeconds: 0, preconditions: uid ? { uid } : undefined });
    } catch (err) {
      if (!isNotFound(err)) this.#o.log.warn("could not delete mirror pod", { pod: name, error: String((err as Error).message) });
    }
  }
}
