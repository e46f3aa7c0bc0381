/**
 * Kubeconfig files: an admin kubeconfig embedding the cluster CA and a client
 * certificate, written with owner-only permissions.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { stringifyYaml } from "../machinery/yaml.ts";

export interface KubeconfigOptions {
  server: string;
  caPem: string;
  certPem: string;
  keyPem: string;
  clusterName?: string;
  userName?: string;
}

const b64 = (s: string): string => Buffer.from(s).toString("base64");

/**
 * The kubeconfig document as YAML text, or as JSON (also valid YAML, read
 * by kubectl and every client; the node agent writes its own kubeconfig so,
 * sparing it the YAML library).
 */
export function renderKubeconfig(o: KubeconfigOptions, format: "yaml" | "json" = "yaml"): string {
  const cluster = o.clusterName ?? "default";
  const user = o.userName ?? "default";
  const doc = {
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: cluster, cluster: { server: o.server, "certificate-authority-data": b64(o.caPem) } }],
    users: [{ name: user, user: { "client-certificate-data": b64(o.certPem), "client-key-data": b64(o.keyPem) } }],
    contexts: [{ name: cluster, context: { cluster, user } }],
    "current-context": cluster,
    preferences: {},
  };
  return format === "json" ? JSON.stringify(doc, null, 2) + "\n" : stringifyYaml(doc);
}

/** Writes a kubeconfig file (mode 0600), creating its directory. */
export function writeKubeconfig(path: string, o: KubeconfigOptions, mode = 0o600, format: "yaml" | "json" = "yaml"): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, renderKubeconfig(o, format), { mode });
}
