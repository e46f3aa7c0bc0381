/**
 * The kubelet's ObjectSource: ConfigMaps, Secrets, Services, PVCs/PVs and
 * service-account tokens that pods refer to, read through the API (a short
 * cache keeps a pod sync from fetching the same object repeatedly).
 */
import { findResource } from "../api/resources.ts";
import type { KObject } from "../api/types.ts";
import { isNotFound, type ApiClient } from "../client/index.ts";
import type { ObjectSource, Pod } from "./types.ts";

const res = {
  configmaps: findResource("", "v1", "configmaps")!,
  secrets: findResource("", "v1", "secrets")!,
  services: findResource("", "v1", "services")!,
  pvcs: findResource("", "v1", "persistentvolumeclaims")!,
  pvs: findResource("", "v1", "persistentvolumes")!,
  serviceaccounts: findResource("", "v1", "serviceaccounts")!,
};

const TTL_MS = 1000;

export class ApiObjectSource implements ObjectSource {
  readonly #client: ApiClient;
  readonly #cache = new Map<string, { at: number; value: Promise<unknown> }>();

  constructor(client: ApiClient) {
    this.#client = client;
  }

  #cached<T>(key: string, fetch: () => Promise<T>): Promise<T> {
    const hit = this.#cache.get(key);
    if (hit && Date.now() - hit.at < TTL_MS) return hit.value as Promise<T>;
    const value = fetch();
    this.#cache.set(key, { at: Date.now(), value });
    if (this.#cache.size > 1000) for (const [k, v] of this.#cache) if (Date.now() - v.at >= TTL_MS) this.#cache.delete(k);
    value.catch(() => this.#cache.delete(key));
    return value;
  }

  #get(info: (typeof res)[keyof typeof res], namespace: string, name: string): Promise<KObject | undefined> {
    return this.#cached(`${info.plural}/${namespace}/${name}`, async () => {
      try {
        return await this.#client.resource(info).get(namespace, name);
      } catch (err) {
        if (isNotFound(err)) return undefined;
        throw err;
      }
    });
  }

  getConfigMap(namespace: string, name: string): Promise<KObject | undefined> {
    return this.#get(res.configmaps, namespace, name);
  }
  getSecret(namespace: string, name: string): Promise<KObject | undefined> {
    return this.#get(res.secrets, namespace, name);
  }
  getPersistentVolumeClaim(namespace: string, name: string): Promise<KObject | undefined> {
    return this.#get(res.pvcs, namespace, name);
  }
  getPersistentVolume(name: string): Promise<KObject | undefined> {
    return this.#get(res.pvs, "", name);
  }
  listServices(namespace: string): Promise<KObject[]> {
    return this.#cached(`services/${namespace}`, async () => (await this.#client.resource(res.services).list(namespace)).items);
  }
  async serviceAccountToken(pod: Pod, audience: string | undefined, expirationSeconds: number): Promise<string | undefined> {
    const sa = pod.spec?.serviceAccountName ?? "default";
    const body = {
      apiVersion: "authentication.k8s.io/v1",
      kind: "TokenRequest",
      spec: {
        audiences: audience ? [audience] : [],
        expirationSeconds,
        boundObjectRef: { apiVersion: "v1", kind: "Pod", name: pod.metadata.name, uid: pod.metadata.uid },
      },
    };
    try {
      const out = (await this.#client.resource(res.serviceaccounts).createSubresource(pod.metadata.namespace!, sa, "token", body)) as KObject;
      return out?.status?.token;
    } catch {
      return undefined;
    }
  }
}
