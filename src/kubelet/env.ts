/**
 * Container environment and command line, as upstream's kubelet builds them
 * (makeEnvironmentVariables): docker-links style service variables, envFrom,
 * env with valueFrom (configMap/secret keys, downward API fields and
 * resources), then $(VAR) expansion of env values, command and args with
 * upstream's expansion rules ($$ escapes, unknown references kept verbatim).
 */
import { KubeletError } from "./types.ts";
import type { ContainerCommand, ContainerSpec, ObjectSource, Pod } from "./types.ts";
import type { KObject } from "../api/types.ts";
import { containerResourceValue, podFieldSelectorValue, type NodeAllocatable } from "./volumes/fieldpath.ts";

/** A mapping from a variable name to its value ($(NAME) kept verbatim when unknown). */
export type Mapping = (name: string) => string;

/** Looks names up in each context in order; unknown names map to `$(name)`. */
export function mappingFor(...contexts: Map<string, string>[]): Mapping {
  return (name) => {
    for (const c of contexts) {
      const v = c.get(name);
      if (v !== undefined) return v;
    }
    return `$(${name})`;
  };
}

/**
 * Expands `$(VAR)` references like upstream's expansion.Expand: `$$` yields
 * a literal `$`, an unterminated `$(` is kept, `$x` is kept as is, and the
 * mapping decides unknown names (mappingFor keeps them verbatim).
 */
export function expand(input: string, mapping: Mapping): string {
  let out = "";
  let i = 0;
  while (i < input.length) {
    const ch = input[i];
    if (ch !== "$" || i + 1 >= input.length) {
      out += ch;
      i++;
      continue;
    }
    const next = input[i + 1];
    if (next === "$") {
      out += "$";
      i += 2;
    } else if (next === "(") {
      const close = input.indexOf(")", i + 2);
      if (close < 0) {
        out += "$(";
        i += 2;
      } else {
        out += mapping(input.slice(i + 2, close));
        i = close + 1;
      }
    } else {
      out += "$" + next;
      i += 2;
    }
  }
  return out;
}

export interface ResolveOptions {
  /** pod.spec.enableServiceLinks (default true). */
  enableServiceLinks: boolean;
  /** Namespace of the master service `kubernetes` (default "default"). */
  masterServiceNamespace?: string;
  /** Pod IPs for status.podIP(s) (defaults to pod.status). */
  podIPs?: string[];
  /** Node IPs for status.hostIP(s) (defaults to pod.status). */
  hostIPs?: string[];
  /** Node allocatable, the default for limits.* resourceFieldRefs without a limit. */
  nodeAllocatable?: NodeAllocatable;
  /** Called with upstream's warning when envFrom keys are skipped. */
  onWarning?(reason: string, message: string): void;
}

const envVarNameRe = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;

/** upstream makeEnvVariableName: upper case, dashes to underscores. */
function envName(s: string): string {
  return s.replace(/-/g, "_").toUpperCase();
}

function isServiceIPSet(svc: KObject): boolean {
  const ip = (svc as any).spec?.clusterIP;
  return !!ip && ip !== "None";
}

function joinHostPort(host: string, port: number): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}

/** The docker-links variables for services (upstream envvars.FromServices), in order. */
export function serviceEnvVars(services: KObject[]): { name: string; value: string }[] {
  const out: { name: string; value: string }[] = [];
  for (const svc of services) {
    if (!isServiceIPSet(svc)) continue;
    const spec = (svc as any).spec;
    const ports: any[] = spec.ports ?? [];
    const prefix = envName(svc.metadata?.name ?? "");
    const ip: string = spec.clusterIP;
    out.push({ name: `${prefix}_SERVICE_HOST`, value: ip });
    if (ports.length > 0) out.push({ name: `${prefix}_SERVICE_PORT`, value: String(ports[0].port) });
    for (const p of ports) if (p.name) out.push({ name: `${prefix}_SERVICE_PORT_${envName(p.name)}`, value: String(p.port) });
    ports.forEach((p, i) => {
      const proto: string = p.protocol || "TCP";
      const hp = joinHostPort(ip, p.port);
      const lower = proto.toLowerCase();
      if (i === 0) out.push({ name: `${prefix}_PORT`, value: `${lower}://${hp}` });
      const pp = `${prefix}_PORT_${p.port}_${proto.toUpperCase()}`;
      out.push({ name: pp, value: `${lower}://${hp}` });
      out.push({ name: `${pp}_PROTO`, value: lower });
      out.push({ name: `${pp}_PORT`, value: String(p.port) });
      out.push({ name: `${pp}_ADDR`, value: ip });
    });
  }
  return out;
}

/** upstream getServiceEnvVarMap: the master `kubernetes` service always, same-namespace ones with service links. */
async function serviceEnvMap(pod: Pod, source: ObjectSource, opts: ResolveOptions): Promise<Map<string, string>> {
  const ns: string = pod.metadata?.namespace ?? "default";
  const masterNs = opts.masterServiceNamespace ?? "default";
  const byName = new Map<string, KObject>();
  const master = (await source.listServices(masterNs)).find(
    (s) => s.metadata?.name === "kubernetes" && (s.metadata?.namespace ?? masterNs) === masterNs,
  );
  if (master && isServiceIPSet(master)) byName.set("kubernetes", master);
  if (opts.enableServiceLinks) {
    for (const s of await source.listServices(ns)) {
      if (s.metadata?.namespace && s.metadata.namespace !== ns) continue;
      if (!isServiceIPSet(s)) continue;
      byName.set(s.metadata!.name!, s);
    }
  }
  const names = [...byName.keys()].sort();
  const m = new Map<string, string>();
  for (const v of serviceEnvVars(names.map((n) => byName.get(n)!))) m.set(v.name, v.value);
  return m;
}

function decodeSecret(v: string): string {
  return Buffer.from(v, "base64").toString("utf8");
}

/** Reads a configMap/secret once per call, with upstream's NotFound message. */
class Lookup {
  readonly source: ObjectSource;
  readonly ns: string;
  readonly cache = new Map<string, KObject | undefined>();
  constructor(source: ObjectSource, ns: string) {
    this.source = source;
    this.ns = ns;
  }
  async get(kind: "configmap" | "secret", name: string): Promise<KObject | undefined> {
    const key = `${kind}/${name}`;
    if (!this.cache.has(key)) {
      const obj = kind === "configmap" ? await this.source.getConfigMap(this.ns, name) : await this.source.getSecret(this.ns, name);
      this.cache.set(key, obj);
    }
    return this.cache.get(key);
  }
}

/** String data of a configMap (data + binaryData) or secret (data decoded + stringData). */
function dataOf(kind: "configmap" | "secret", obj: any): Map<string, string> {
  const m = new Map<string, string>();
  if (kind === "configmap") {
    for (const [k, v] of Object.entries(obj.data ?? {})) m.set(k, String(v));
    for (const [k, v] of Object.entries(obj.binaryData ?? {})) m.set(k, decodeSecret(String(v)));
  } else {
    for (const [k, v] of Object.entries(obj.data ?? {})) m.set(k, decodeSecret(String(v)));
    for (const [k, v] of Object.entries(obj.stringData ?? {})) m.set(k, String(v));
  }
  return m;
}

function configError(message: string): KubeletError {
  return new KubeletError("CreateContainerConfigError", message);
}

/**
 * The container's env (in definition order, then service variables not
 * overridden) and expanded command/args. Throws
 * KubeletError('CreateContainerConfigError') for missing non-optional
 * configMaps/secrets/keys and bad field references.
 */
export async function resolveContainerCommand(
  pod: Pod,
  container: ContainerSpec,
  source: ObjectSource,
  opts: ResolveOptions,
): Promise<ContainerCommand> {
  const ns: string = pod.metadata?.namespace ?? "default";
  const lookup = new Lookup(source, ns);
  const serviceEnv = await serviceEnvMap(pod, source, opts);
  const env = new Map<string, string>();

  for (const from of container.envFrom ?? []) {
    const ref = from.configMapRef ?? from.secretRef;
    if (!ref) continue;
    const kind = from.configMapRef ? "configmap" : "secret";
    const obj = await lookup.get(kind, ref.name);
    if (!obj) {
      if (ref.optional) continue;
      throw configError(`${kind} "${ref.name}" not found`);
    }
    const invalid: string[] = [];
    for (const [k, v] of dataOf(kind, obj)) {
      const key = (from.prefix ?? "") + k;
      if (!envVarNameRe.test(key)) {
        invalid.push(key);
        continue;
      }
      env.set(key, v);
    }
    if (invalid.length > 0) {
      const what = kind === "configmap" ? "configMap" : "secret";
      opts.onWarning?.(
        "InvalidEnvironmentVariableNames",
        `Keys [${invalid.sort().join(", ")}] from the EnvFrom ${what} ${ns}/${ref.name} were skipped since they are considered invalid environment variable names.`,
      );
    }
  }

  const mapping = mappingFor(env, serviceEnv);
  for (const e of container.env ?? []) {
    let value: string = e.value ?? "";
    if (value !== "") {
      value = expand(value, mapping);
    } else if (e.valueFrom) {
      const vf = e.valueFrom;
      try {
        if (vf.fieldRef) {
          value = podFieldSelectorValue(pod, vf.fieldRef.fieldPath, { podIPs: opts.podIPs, hostIPs: opts.hostIPs });
        } else if (vf.resourceFieldRef) {
          const target = vf.resourceFieldRef.containerName
            ? [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])].find((c: any) => c.name === vf.resourceFieldRef.containerName) ?? container
            : container;
          value = containerResourceValue(target, vf.resourceFieldRef, opts.nodeAllocatable);
        }
      } catch (err) {
        throw configError((err as Error).message);
      }
      const keyRef = vf.configMapKeyRef ?? vf.secretKeyRef;
      if (keyRef) {
        const kind = vf.configMapKeyRef ? "configmap" : "secret";
        const obj = await lookup.get(kind, keyRef.name);
        if (!obj) {
          if (keyRef.optional) continue;
          throw configError(`${kind} "${keyRef.name}" not found`);
        }
        const data = dataOf(kind, obj);
        if (!data.has(keyRef.key)) {
          if (keyRef.optional) continue;
          const what = kind === "configmap" ? "ConfigMap" : "Secret";
          throw configError(`couldn't find key ${keyRef.key} in ${what} ${ns}/${keyRef.name}`);
        }
        value = data.get(keyRef.key)!;
      }
    }
    serviceEnv.delete(e.name);
    env.set(e.name, value);
  }

  const envs: { key: string; value: string }[] = [];
  for (const [key, value] of env) envs.push({ key, value });
  for (const [key, value] of serviceEnv) if (!env.has(key)) envs.push({ key, value });

  const all = new Map(envs.map((e) => [e.key, e.value]));
  const m = mappingFor(all);
  return {
    envs,
    command: (container.command ?? []).map((s: string) => expand(s, m)),
    args: (container.args ?? []).map((s: string) => expand(s, m)),
  };
}
