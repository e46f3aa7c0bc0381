/**
 * Pod name resolution files: the kubelet-managed /etc/hosts content and the
 * CRI sandbox DNSConfig (which the runtime writes as the pod's resolv.conf),
 * following upstream's dnsPolicy rules (ClusterFirst, ClusterFirstWithHostNet,
 * Default, None), pod.spec.dnsConfig merging and resolver limits.
 */
import { readFileSync } from "node:fs";
import type { Pod } from "./types.ts";
import type { CriMessage } from "./cri/client.ts";

/** Upstream resolver limits (glibc >= 2.26 search list; 3 nameservers). */
export const MAX_DNS_NAMESERVERS = 3;
export const MAX_DNS_SEARCH_PATHS = 32;
export const MAX_DNS_SEARCH_LIST_CHARS = 2048;

export interface HostsFileOptions {
  /** Cluster domain for `<hostname>.<subdomain>.<ns>.svc.<domain>` (default cluster.local). */
  clusterDomain?: string;
  /** The node's hosts file, used for hostNetwork pods (default /etc/hosts). */
  hostHostsPath?: string;
}

/** The pod's hostname: spec.hostname or the pod name, truncated to 63 chars. */
export function podHostname(pod: Pod): string {
  const name: string = pod.spec?.hostname || pod.metadata?.name || "";
  return name.length > 63 ? name.slice(0, 63).replace(/[-.]+$/, "") : name;
}

/** `<subdomain>.<namespace>.svc.<domain>` or "" when the pod has no subdomain. */
export function podHostDomain(pod: Pod, clusterDomain: string): string {
  const sub: string | undefined = pod.spec?.subdomain;
  if (!sub) return "";
  return `${sub}.${pod.metadata?.namespace ?? "default"}.svc.${clusterDomain}`;
}

function hostAliasesEntries(pod: Pod): string {
  const aliases: any[] = pod.spec?.hostAliases ?? [];
  if (aliases.length === 0) return "";
  let out = "\n# Entries added by HostAliases.\n";
  for (const a of aliases) out += `${a.ip}\t${(a.hostnames ?? []).join("\t")}\n`;
  return out;
}

/**
 * The content of the pod's /etc/hosts as upstream's kubelet writes it:
 * the managed header, localhost/IPv6 boilerplate, one line per pod IP with
 * the (fully qualified) hostname, then hostAliases. hostNetwork pods get the
 * node's hosts file (with a header) plus hostAliases.
 */
export function hostsFileContent(pod: Pod, podIPs: string[], opts: HostsFileOptions = {}): string {
  if (pod.spec?.hostNetwork) {
    let host = "";
    try {
      host = readFileSync(opts.hostHostsPath ?? "/etc/hosts", "utf8");
    } catch {
      host = "";
    }
    if (host && !host.endsWith("\n")) host += "\n";
    return "# Kubernetes-managed hosts file (host network).\n" + host + hostAliasesEntries(pod);
  }
  const hostname = podHostname(pod);
  const domain = podHostDomain(pod, opts.clusterDomain ?? "cluster.local");
  let out = "# Kubernetes-managed hosts file.\n";
  out += "127.0.0.1\tlocalhost\n";
  out += "::1\tlocalhost ip6-localhost ip6-loopback\n";
  out += "fe00::0\tip6-localnet\n";
  out += "fe00::0\tip6-mcastprefix\n";
  out += "fe00::1\tip6-allnodes\n";
  out += "fe00::2\tip6-allrouters\n";
  for (const ip of podIPs) {
    if (!ip) continue;
    out += domain ? `${ip}\t${hostname}.${domain}\t${hostname}\n` : `${ip}\t${hostname}\n`;
  }
  return out + hostAliasesEntries(pod);
}

/** A parsed resolv.conf. */
export interface ResolvConf {
  nameservers: string[];
  searches: string[];
  options: string[];
}

/** Parses resolv.conf text like upstream (last `search` wins; `#`/`;` comments). */
export function parseResolvConf(text: string): ResolvConf {
  const out: ResolvConf = { nameservers: [], searches: [], options: [] };
  for (const raw of text.split("\n")) {
    let line = raw;
    const hash = line.search(/[#;]/);
    if (hash >= 0) line = line.slice(0, hash);
    const fields = line.trim().split(/\s+/).filter(Boolean);
    if (fields.length === 0) continue;
    if (fields[0] === "nameserver" && fields.length >= 2) out.nameservers.push(fields[1]);
    else if (fields[0] === "search") out.searches = fields.slice(1).filter((s) => s !== ".").map((s) => s.replace(/\.$/, ""));
    else if (fields[0] === "options") out.options.push(...fields.slice(1));
  }
  return out;
}

function readResolvConf(path: string): ResolvConf {
  if (!path) return { nameservers: [], searches: [], options: [] };
  try {
    return parseResolvConf(readFileSync(path, "utf8"));
  } catch {
    return { nameservers: [], searches: [], options: [] };
  }
}

function dedupe(list: string[]): string[] {
  return [...new Set(list)];
}

/** Merges options by name; later ones override earlier values (upstream mergeDNSOptions). */
function mergeOptions(existing: string[], podOptions: { name?: string; value?: string }[]): string[] {
  const order: string[] = [];
  const values = new Map<string, string | undefined>();
  const put = (name: string, value: string | undefined): void => {
    if (!values.has(name)) order.push(name);
    values.set(name, value);
  };
  for (const o of existing) {
    const i = o.indexOf(":");
    if (i < 0) put(o, undefined);
    else put(o.slice(0, i), o.slice(i + 1));
  }
  for (const o of podOptions) if (o?.name) put(o.name, o.value ?? undefined);
  return order.map((n) => (values.get(n) === undefined ? n : `${n}:${values.get(n)}`));
}

/** Trims to upstream's limits: 3 nameservers, 32 search paths and 2048 chars of search list. */
function fitLimits(cfg: ResolvConf): ResolvConf {
  const nameservers = cfg.nameservers.slice(0, MAX_DNS_NAMESERVERS);
  let searches = cfg.searches.slice(0, MAX_DNS_SEARCH_PATHS);
  while (searches.length > 0 && searches.join(" ").length > MAX_DNS_SEARCH_LIST_CHARS) searches = searches.slice(0, -1);
  return { nameservers, searches, options: cfg.options };
}

export type PodDnsType = "cluster" | "host" | "none";

/** How the pod resolves names, as upstream getPodDNSType (plus the no-clusterDNS fallback). */
export function podDnsType(pod: Pod, clusterDNS: string[]): PodDnsType {
  const policy: string = pod.spec?.dnsPolicy ?? "ClusterFirst";
  let t: PodDnsType;
  if (policy === "None") t = "none";
  else if (policy === "ClusterFirstWithHostNet") t = "cluster";
  else if (policy === "ClusterFirst" && !pod.spec?.hostNetwork) t = "cluster";
  else t = "host";
  if (t === "cluster" && clusterDNS.length === 0) t = "host";
  return t;
}

export interface SandboxDnsOptions {
  clusterDNS: string[];
  clusterDomain: string;
  /** Path of the resolv.conf the node uses ("" disables host DNS like upstream). */
  hostResolvConf: string;
}

/** The CRI DNSConfig ({servers, searches, options}) for the pod's sandbox. */
export function sandboxDnsConfig(pod: Pod, opts: SandboxDnsOptions): CriMessage {
  const type = podDnsType(pod, opts.clusterDNS);
  let cfg: ResolvConf = { nameservers: [], searches: [], options: [] };
  if (type === "cluster") {
    const host = readResolvConf(opts.hostResolvConf);
    const ns: string = pod.metadata?.namespace ?? "default";
    const d = opts.clusterDomain;
    const searches = d ? dedupe([`${ns}.svc.${d}`, `svc.${d}`, d, ...host.searches]) : host.searches;
    cfg = { nameservers: [...opts.clusterDNS], searches, options: ["ndots:5"] };
  } else if (type === "host") {
    if (opts.hostResolvConf === "") cfg = { nameservers: ["127.0.0.1"], searches: ["."], options: [] };
    else cfg = readResolvConf(opts.hostResolvConf);
  }
  const pc = pod.spec?.dnsConfig;
  if (pc) {
    cfg = {
      nameservers: dedupe([...cfg.nameservers, ...(pc.nameservers ?? [])]),
      searches: dedupe([...cfg.searches, ...(pc.searches ?? [])]),
      options: mergeOptions(cfg.options, pc.options ?? []),
    };
  }
  cfg = fitLimits(cfg);
  return { servers: cfg.nameservers, searches: cfg.searches, options: cfg.options };
}

/** resolv.conf text for a DNSConfig (what the runtime writes; handy for hostNetwork or tests). */
export function resolvConfText(dns: CriMessage): string {
  let out = "";
  if (dns.searches?.length) out += `search ${dns.searches.join(" ")}\n`;
  for (const s of dns.servers ?? []) out += `nameserver ${s}\n`;
  if (dns.options?.length) out += `options ${dns.options.join(" ")}\n`;
  return out;
}
