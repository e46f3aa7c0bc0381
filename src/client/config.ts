/**
 * Client connection settings: where the apiserver is and how to authenticate
 * (client certificate, bearer token), plus a kubeconfig reader that resolves
 * a context to those settings the way kubectl does.
 */
import { readFileSync } from "node:fs";
import { dirname, isAbsolute, resolve } from "node:path";
import { parseYaml } from "../machinery/yaml.ts";

/** How to reach and authenticate to an apiserver. Certificates and keys are PEM strings. */
export interface ClientConfig {
  /** Base URL, e.g. `https://127.0.0.1:6443`. */
  server: string;
  /** CA bundle used to verify the server; the system roots when absent. */
  ca?: string;
  /** Client certificate (with `key`) for mutual TLS. */
  cert?: string;
  key?: string;
  /** Bearer token sent as `Authorization: Bearer <token>`. */
  token?: string;
  /** Skip server certificate verification (tests only). */
  insecureSkipVerify?: boolean;
}

type Rec = Record<string, unknown>;

/** The `field` member of the entry called `name` in a kubeconfig list (clusters, users, contexts). */
function pick(list: unknown, name: string, field: string, what: string): Rec {
  const arr = Array.isArray(list) ? (list as Rec[]) : [];
  const hit = arr.find((e) => e && e.name === name);
  if (!hit) throw new Error(`kubeconfig: ${what} "${name}" not found`);
  return (hit[field] as Rec | undefined) ?? {};
}

function str(v: unknown): string | undefined {
  return typeof v === "string" && v !== "" ? v : undefined;
}

/**
 * Reads a kubeconfig file and returns the settings of `context` (default: the
 * file's current-context). `*-data` fields are base64 PEM; file fields
 * (certificate-authority, client-certificate, client-key, tokenFile) are read
 * from disk, relative paths resolved against the kubeconfig's directory.
 * Throws when the context, cluster or user is missing.
 */
export function loadKubeconfig(path: string, context?: string): ClientConfig {
  const doc = (parseYaml(readFileSync(path, "utf8")) ?? {}) as Rec;
  const base = dirname(resolve(path));
  const readRel = (p: string): string => readFileSync(isAbsolute(p) ? p : resolve(base, p), "utf8");
  const ctxName = context ?? str(doc["current-context"]);
  if (!ctxName) throw new Error("kubeconfig: no context given and no current-context set");
  const ctx = pick(doc.contexts, ctxName, "context", "context");
  const clusterName = str(ctx.cluster);
  if (!clusterName) throw new Error(`kubeconfig: context "${ctxName}" names no cluster`);
  const cluster = pick(doc.clusters, clusterName, "cluster", "cluster");
  const userName = str(ctx.user);
  const user = userName ? pick(doc.users, userName, "user", "user") : {};
  const server = str(cluster.server);
  if (!server) throw new Error(`kubeconfig: cluster "${clusterName}" has no server`);

  const blob = (data: unknown, file: unknown): string | undefined => {
    const d = str(data);
    if (d) return Buffer.from(d, "base64").toString("utf8");
    const f = str(file);
    return f ? readRel(f) : undefined;
  };
  const cfg: ClientConfig = { server };
  const ca = blob(cluster["certificate-authority-data"], cluster["certificate-authority"]);
  if (ca) cfg.ca = ca;
  const cert = blob(user["client-certificate-data"], user["client-certificate"]);
  if (cert) cfg.cert = cert;
  const key = blob(user["client-key-data"], user["client-key"]);
  if (key) cfg.key = key;
  const token = str(user.token) ?? (str(user.tokenFile) ? readRel(str(user.tokenFile)!).trim() : undefined);
  if (token) cfg.token = token;
  if (cluster["insecure-skip-tls-verify"] === true) cfg.insecureSkipVerify = true;
  return cfg;
}
