/**
 * Scheduler profiles: the default `default-scheduler` profile (upstream's
 * default multiPoint plugin set and score weights) and parsing of a
 * KubeSchedulerConfiguration (kubescheduler.config.k8s.io/v1, YAML or JSON)
 * into resolved profiles, merging user plugin sets into the defaults the
 * way upstream does (disabled "*" drops defaults, re-enabled defaults keep
 * their position, multiPoint expands to every point a plugin implements).
 */
import { parse as parseYaml } from "yaml";
import { extensionMethods, type ExtensionPoint } from "./framework/interface.ts";
import { Framework, type HandleOptions, type PluginRef, type Profile, type Registry } from "./framework/framework.ts";
import { Names } from "./plugins/names.ts";
import { inTreeRegistry, UNIMPLEMENTED_UPSTREAM_PLUGINS } from "./plugins/registry.ts";

export const DEFAULT_SCHEDULER_NAME = "default-scheduler";

/** Upstream v1 default multiPoint plugins, in order, with score weights. */
export const DEFAULT_MULTI_POINT: PluginRef[] = [
  { name: Names.SchedulingGates },
  { name: Names.PrioritySort },
  { name: Names.NodeUnschedulable },
  { name: Names.NodeName },
  { name: Names.TaintToleration, weight: 3 },
  { name: Names.NodeAffinity, weight: 2 },
  { name: Names.NodePorts },
  { name: Names.NodeResourcesFit, weight: 1 },
  { name: Names.PodTopologySpread, weight: 2 },
  { name: Names.InterPodAffinity, weight: 2 },
  { name: Names.DefaultPreemption },
  { name: Names.NodeResourcesBalancedAllocation, weight: 1 },
  { name: Names.ImageLocality, weight: 1 },
  { name: Names.DefaultBinder },
];

export interface PluginSet {
  enabled?: PluginRef[];
  disabled?: { name: string }[];
}

/** v1 Plugins: a set per extension point plus multiPoint. */
export type PluginsConfig = Partial<Record<ExtensionPoint | "multiPoint", PluginSet>>;

/** v1 KubeSchedulerProfile. */
export interface ProfileConfig {
  schedulerName?: string;
  percentageOfNodesToScore?: number;
  plugins?: PluginsConfig;
  pluginConfig?: { name: string; args?: unknown }[];
}

export interface SchedulerConfig {
  percentageOfNodesToScore: number;
  podInitialBackoffSeconds: number;
  podMaxBackoffSeconds: number;
  profiles: Profile[];
  /** Configured upstream plugins this core ignores. */
  warnings: string[];
}

const POINTS = Object.keys(extensionMethods) as ExtensionPoint[];

function mergeSet(def: PluginSet, custom: PluginSet | undefined): { enabled: PluginRef[]; disabled: Set<string> } {
  const disabled = new Set((custom?.disabled ?? []).map((d) => d.name));
  const customEnabled = custom?.enabled ?? [];
  const replaced = new Set<number>();
  const enabled: PluginRef[] = [];
  if (!disabled.has("*")) {
    for (const d of def.enabled ?? []) {
      if (disabled.has(d.name)) continue;
      const i = customEnabled.findIndex((c) => c.name === d.name);
      if (i >= 0) replaced.add(i);
      enabled.push(i >= 0 ? customEnabled[i] : d);
    }
  }
  customEnabled.forEach((c, i) => {
    if (!replaced.has(i)) enabled.push(c);
  });
  return { enabled, disabled };
}

function implementsPoint(registry: Registry, name: string, point: ExtensionPoint, cache: Map<string, object>): boolean {
  let p = cache.get(name);
  if (!p) {
    const f = registry[name];
    if (!f) throw new Error(`plugin "${name}" does not exist`);
    p = f(undefined, new Framework({}, { schedulerName: "", plugins: {}, pluginConfig: {} }));
    cache.set(name, p);
  }
  return typeof (p as Record<string, unknown>)[extensionMethods[point]] === "function";
}

/**
 * Resolves one v1 profile against the defaults into per-point plugin lists.
 * Throws for unknown plugins and double registration.
 */
export function resolveProfile(cfg: ProfileConfig, registry: Registry = inTreeRegistry, warnings: string[] = []): Profile {
  const drop = (refs: PluginRef[]) =>
    refs.filter((r) => {
      if (!UNIMPLEMENTED_UPSTREAM_PLUGINS.has(r.name) || registry[r.name]) return true;
      warnings.push(`plugin "${r.name}" is not implemented; ignored`);
      return false;
    });
  const multi = mergeSet({ enabled: DEFAULT_MULTI_POINT }, cfg.plugins?.multiPoint);
  const multiEnabled = drop(multi.enabled);
  const probe = new Map<string, object>();
  for (const r of multiEnabled) implementsPoint(registry, r.name, "filter", probe);
  const plugins: Partial<Record<ExtensionPoint, PluginRef[]>> = {};
  for (const point of POINTS) {
    const specific = mergeSet({}, cfg.plugins?.[point]);
    const specificEnabled = drop(specific.enabled);
    for (const r of specificEnabled) {
      if (!implementsPoint(registry, r.name, point, probe)) throw new Error(`plugin "${r.name}" does not extend ${point} plugin`);
    }
    if (specific.disabled.has("*")) {
      plugins[point] = specificEnabled;
      continue;
    }
    const names = new Set(specificEnabled.map((r) => r.name));
    const override: PluginRef[] = [];
    const fromMulti: PluginRef[] = [];
    const seen = new Set<string>();
    for (const ref of multiEnabled) {
      if (!implementsPoint(registry, ref.name, point, probe)) continue;
      if (specific.disabled.has(ref.name)) continue;
      if (names.has(ref.name)) {
        override.push(ref);
        continue;
      }
      if (seen.has(ref.name)) throw new Error(`plugin "${ref.name}" already registered as "${point}"`);
      seen.add(ref.name);
      fromMulti.push(ref);
    }
    const overrideNames = new Set(override.map((r) => r.name));
    const part1 = specificEnabled.filter((r) => overrideNames.has(r.name));
    const part3 = specificEnabled.filter((r) => !overrideNames.has(r.name));
    const list = [...part1, ...fromMulti, ...part3];
    if (point === "score") {
      for (const r of list) {
        const m = multiEnabled.find((x) => x.name === r.name);
        if (!r.weight && m?.weight) r.weight = m.weight;
      }
    }
    plugins[point] = list.map((r) => ({ name: r.name, weight: r.weight }));
  }
  if ((plugins.queueSort?.length ?? 0) > 1) throw new Error("only one queue sort plugin can be enabled");
  const pluginConfig: Record<string, unknown> = {};
  for (const pc of cfg.pluginConfig ?? []) {
    if (pc.name in pluginConfig) throw new Error(`pluginConfig: duplicate entry for "${pc.name}"`);
    pluginConfig[pc.name] = pc.args;
  }
  const pct = cfg.percentageOfNodesToScore;
  if (pct !== undefined && (pct < 0 || pct > 100)) throw new Error(`percentageOfNodesToScore: Invalid value: ${pct}: not in valid range [0-100]`);
  return { schedulerName: cfg.schedulerName || DEFAULT_SCHEDULER_NAME, plugins, pluginConfig, percentageOfNodesToScore: pct };
}

/** The default profile `default-scheduler`. */
export function defaultProfile(): Profile {
  return resolveProfile({});
}

/**
 * Parses a KubeSchedulerConfiguration (YAML or JSON text, or an already
 * parsed object). Throws with a field-path message on invalid input.
 */
export function parseSchedulerConfig(input: string | Record<string, unknown>, registry: Registry = inTreeRegistry): SchedulerConfig {
  const doc = (typeof input === "string" ? parseYaml(input) : input) ?? {};
  if (typeof doc !== "object" || Array.isArray(doc)) throw new Error("KubeSchedulerConfiguration: expected an object");
  const apiVersion = doc.apiVersion ?? "kubescheduler.config.k8s.io/v1";
  if (apiVersion !== "kubescheduler.config.k8s.io/v1") throw new Error(`apiVersion: Unsupported value: "${apiVersion}"`);
  if ((doc.kind ?? "KubeSchedulerConfiguration") !== "KubeSchedulerConfiguration") throw new Error(`kind: Unsupported value: "${doc.kind}"`);
  const warnings: string[] = [];
  const pct = doc.percentageOfNodesToScore ?? 0;
  if (pct < 0 || pct > 100) throw new Error(`percentageOfNodesToScore: Invalid value: ${pct}: not in valid range [0-100]`);
  const profilesIn: ProfileConfig[] = doc.profiles?.length ? doc.profiles : [{}];
  const profiles = profilesIn.map((p, i) => {
    try {
      return resolveProfile(p, registry, warnings);
    } catch (e) {
      throw new Error(`profiles[${i}]: ${(e as Error).message}`);
    }
  });
  const names = new Set<string>();
  for (const [i, p] of profiles.entries()) {
    if (names.has(p.schedulerName)) throw new Error(`profiles[${i}].schedulerName: Duplicate value: "${p.schedulerName}"`);
    names.add(p.schedulerName);
  }
  const qs = JSON.stringify(profiles[0].plugins.queueSort ?? []);
  if (profiles.some((p) => JSON.stringify(p.plugins.queueSort ?? []) !== qs)) throw new Error("profiles: queueSort must be the same for all profiles");
  const initial = doc.podInitialBackoffSeconds ?? 1;
  const max = doc.podMaxBackoffSeconds ?? 10;
  if (initial <= 0) throw new Error("podInitialBackoffSeconds: must be greater than 0");
  if (max < initial) throw new Error("podMaxBackoffSeconds: must be greater than or equal to PodInitialBackoffSeconds");
  return { percentageOfNodesToScore: pct, podInitialBackoffSeconds: initial, podMaxBackoffSeconds: max, profiles, warnings };
}

/** Builds a Framework per profile, keyed by schedulerName. */
export function buildFrameworks(profiles: Profile[], handle: HandleOptions = {}, registry: Registry = inTreeRegistry): Map<string, Framework> {
  return new Map(profiles.map((p) => [p.schedulerName, new Framework(registry, p, handle)]));
}
