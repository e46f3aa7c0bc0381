/**
 * Test support: an in-process apiserver over HTTPS (embedded in-memory store,
 * generated PKI) and an admin ApiClient for it. For tests only; not exported
 * from index.ts so the client library does not depend on the apiserver.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AdmissionSettings } from "../apiserver/registry/admission.ts";
import { ensurePki, type ClusterPki } from "../machinery/certs.ts";
import { startApiServer, type ApiServer } from "../apiserver/server.ts";
import { openEmbeddedStore } from "../storage/index.ts";
import type { ClientConfig } from "./config.ts";
import { ApiClient, type ApiClientOptions } from "./rest.ts";

export interface TestCluster {
  api: ApiServer;
  config: ClientConfig;
  /** An admin client (closed by stop()). */
  client: ApiClient;
  /** The cluster PKI (CA key included: tests that sign certificates need it). */
  pki: ClusterPki;
  /** A fresh admin client the caller closes. */
  newClient(opts?: ApiClientOptions): ApiClient;
  stop(): Promise<void>;
}

/** Starts an apiserver on 127.0.0.1 with a random port. */
export async function startTestCluster(opts: { watchCacheEventWindow?: number; admission?: Partial<AdmissionSettings> } = {}): Promise<TestCluster> {
  const dir = mkdtempSync(join(tmpdir(), "tskube-client-"));
  const pki = await ensurePki(join(dir, "tls"), { ips: ["127.0.0.1"], dnsNames: ["localhost"] });
  const store = await openEmbeddedStore({});
  const api = await startApiServer({
    store,
    ca: pki.ca,
    serving: pki.serving,
    bindAddress: "127.0.0.1",
    port: 0,
    advertiseAddress: "127.0.0.1",
    serviceCidr: "10.43.0.0/16",
    nodePortRange: "30000-32767",
    watchCacheEventWindow: opts.watchCacheEventWindow,
    kubeletClient: pki.kubeletClient,
    freezeCachedObjects: true,
    admission: opts.admission,
  });
  const config: ClientConfig = { server: `https://127.0.0.1:${api.port}`, ca: pki.ca.cert, cert: pki.admin.cert, key: pki.admin.key };
  const client = new ApiClient(config);
  return {
    api,
    config,
    client,
    pki,
    newClient: (o) => new ApiClient(config, o),
    async stop() {
      client.close();
      await api.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
