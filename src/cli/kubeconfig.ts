/**
 * Kubeconfig files: an admin kubeconfig embedding the cluster CA and a client
 * certificate, written with owner-only permissions.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { stringify } from "yaml";

export interface KubeconfigOptions {
  server: string;
  caPem: string;
  certPem: string;
  keyPem: string;
  clusterName?: string;
  userName?: string;
}

const b64 = (s: string): string => Buffer.from(s).toString("base64");

/** The kubeconfig document as YAML text. */
export function renderKubeconfig(o: KubeconfigOptions): string {
  const cluster = o.clusterName ?? "default";
  const user = o.userName ?? "default";
  return stringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: cluster, cluster: { server: o.server, "certificate-authority-data": b64(o.caPem) } }],
    users: [{ name: user, user: { "client-certificate-data": b64(o.certPem), "client-key-data": b64(o.keyPem) } }],
    contexts: [{ name: cluster, context: { cluster, user } }],
    "current-context": cluster,
    preferences: {},
  });
}

/** Writes a kubeconfig file (mode 0600), creating its directory. */
export function writeKubeconfig(path: string, o: KubeconfigOptions, mode = 0o600): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, renderKubeconfig(o), { mode });
}
