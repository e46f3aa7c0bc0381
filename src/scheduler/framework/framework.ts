/**
 * Framework: one scheduling profile's instantiated plugins and the runners
 * for every extension point (upstream frameworkImpl). Plugins are built once
 * from a registry of factories; a plugin enabled at several points is a
 * single instance. The framework is also the Handle plugins receive: it
 * exposes the cycle's Snapshot, the nominator, namespace labels, PDBs and
 * the binder supplied by the wiring.
 */
import type { KObject } from "../../api/types.ts";
import type { Selector } from "../../machinery/labels.ts";
import { CycleState } from "./cycle_state.ts";
import type { NodeScore } from "./helpers.ts";
import {
  extensionMethods,
  type BindPlugin,
  type ClusterEvent,
  type EnqueueExtensions,
  type ExtensionPoint,
  type FilterPlugin,
  type NodeToStatus,
  type PermitPlugin,
  type Plugin,
  type PostFilterPlugin,
  type PostFilterResult,
  type PreBindPlugin,
  type PreEnqueuePlugin,
  type PreFilterPlugin,
  type PreFilterResult,
  type PreScorePlugin,
  type QueuedPodInfo,
  type QueueSortPlugin,
  type ReservePlugin,
  type ScorePlugin,
} from "./interface.ts";
import type { NodeInfo } from "./node_info.ts";
import { podInfoFor, podPriority, podUID, type NamespaceLabels } from "./pod_info.ts";
import { Snapshot } from "./snapshot.ts";
import { asStatus, Code, isSuccess, newStatus, Status, type MaybeStatus } from "./status.ts";

/** Pods nominated to nodes by preemption (implemented by the scheduling queue). */
export interface Nominator {
  nominatedPodsForNode(nodeName: string): KObject[];
  /** False when no pod is nominated anywhere (lets callers skip per-node lookups); absent means "maybe". */
  hasNominatedPods?(): boolean;
}

/** What the wiring supplies to plugins. All optional. */
export interface HandleOptions {
  nominator?: Nominator;
  /** Namespace labels for affinity namespaceSelectors. */
  namespaceLabels?: NamespaceLabels;
  /** PodDisruptionBudgets (policy/v1 objects) for preemption. */
  pdbs?: () => KObject[];
  /** Creates the Binding (used by DefaultBinder). */
  binder?: (pod: KObject, nodeName: string) => Promise<void>;
  /** Selector of the workload owning a pod (Service/RC/RS/StatefulSet) for default spread constraints. */
  workloadSelector?: (pod: KObject) => Selector | undefined;
  /** Random source in [0, 1) (tie-breaking, preemption offsets). Defaults to Math.random. */
  random?: () => number;
}

/** Builds a plugin from its args and the framework handle. */
export type PluginFactory = (args: unknown, handle: Framework) => Plugin;
export type Registry = Record<string, PluginFactory>;

/** An enabled plugin at one extension point. */
export interface PluginRef {
  name: string;
  weight?: number;
}

/** A resolved profile: plugins per extension point (already expanded from multiPoint) and args by plugin. */
export interface Profile {
  schedulerName: string;
  plugins: Partial<Record<ExtensionPoint, PluginRef[]>>;
  pluginConfig: Record<string, unknown>;
  /** 0 or undefined: adaptive. */
  percentageOfNodesToScore?: number;
}

export interface ScoreResult {
  name: string;
  /** Sum of normalized plugin scores times weights. */
  total: number;
}

function run<T>(plugin: string, fn: () => T): T | Status {
  try {
    return fn();
  } catch (e) {
    return asStatus(e).withPlugin(plugin);
  }
}

function invalidScore(plugin: string, v: number): Status {
  return newStatus(Code.Error, `plugin "${plugin}" returns an invalid score ${v}, it should in the range of [0, 100] after normalizing`).withPlugin(plugin);
}

function stamp(s: MaybeStatus, plugin: string): Status | undefined {
  if (!s) return undefined;
  if (!s.plugin) s.plugin = plugin;
  return s;
}

export class Framework {
  readonly profileName: string;
  readonly percentageOfNodesToScore: number | undefined;
  readonly handle: HandleOptions;
  readonly random: () => number;
  /** The snapshot of the current cycle (set by schedulePod). */
  snapshot: Snapshot = new Snapshot();
  readonly plugins = new Map<string, Plugin>();

  queueSort?: QueueSortPlugin;
  preEnqueuePlugins: PreEnqueuePlugin[] = [];
  preFilterPlugins: PreFilterPlugin[] = [];
  filterPlugins: FilterPlugin[] = [];
  postFilterPlugins: PostFilterPlugin[] = [];
  preScorePlugins: PreScorePlugin[] = [];
  scorePlugins: { plugin: ScorePlugin; weight: number }[] = [];
  reservePlugins: ReservePlugin[] = [];
  permitPlugins: PermitPlugin[] = [];
  preBindPlugins: PreBindPlugin[] = [];
  bindPlugins: BindPlugin[] = [];

  /** Throws for an unknown plugin or one not implementing a point it is enabled at. */
  constructor(registry: Registry, profile: Profile, handle: HandleOptions = {}) {
    this.profileName = profile.schedulerName;
    this.percentageOfNodesToScore = profile.percentageOfNodesToScore;
    this.handle = handle;
    this.random = handle.random ?? Math.random;
    const get = (name: string): Plugin => {
      let p = this.plugins.get(name);
      if (!p) {
        const f = registry[name];
        if (!f) throw new Error(`plugin "${name}" does not exist`);
        p = f(profile.pluginConfig[name], this);
        this.plugins.set(name, p);
      }
      return p;
    };
    for (const [point, refs] of Object.entries(profile.plugins) as [ExtensionPoint, PluginRef[]][]) {
      for (const ref of refs) {
        const p = get(ref.name);
        const method = extensionMethods[point];
        if (typeof (p as unknown as Record<string, unknown>)[method] !== "function") {
          throw new Error(`plugin "${ref.name}" does not extend ${point} plugin`);
        }
        switch (point) {
          case "queueSort":
            this.queueSort = p as QueueSortPlugin;
            break;
          case "score":
            this.scorePlugins.push({ plugin: p as ScorePlugin, weight: ref.weight || 1 });
            break;
          default:
            (this[`${point}Plugins` as const] as Plugin[]).push(p);
        }
      }
    }
  }

  hasFilterPlugins(): boolean {
    return this.filterPlugins.length > 0;
  }

  hasScorePlugins(): boolean {
    return this.scorePlugins.length > 0;
  }

  /** QueueSort ordering; priority then timestamp when no QueueSort plugin is enabled. */
  less(a: QueuedPodInfo, b: QueuedPodInfo): boolean {
    if (this.queueSort) return this.queueSort.less(a, b);
    const pa = podPriority(a.pod);
    const pb = podPriority(b.pod);
    return pa > pb || (pa === pb && a.timestamp < b.timestamp);
  }

  /** The first non-success PreEnqueue status (with plugin set), else undefined. */
  runPreEnqueuePlugins(pod: KObject): Status | undefined {
    for (const p of this.preEnqueuePlugins) {
      const s = run(p.name, () => p.preEnqueue(pod));
      if (!isSuccess(s as MaybeStatus)) return stamp(s as Status, p.name);
    }
    return undefined;
  }

  /** Plugin name -> events it registered (plugins without EnqueueExtensions are absent). */
  eventsToRegister(): Map<string, ClusterEvent[]> {
    const m = new Map<string, ClusterEvent[]>();
    for (const [name, p] of this.plugins) {
      const ee = p as Partial<EnqueueExtensions>;
      if (typeof ee.eventsToRegister === "function") m.set(name, ee.eventsToRegister());
    }
    return m;
  }

  /**
   * Runs PreFilter plugins. Returns the intersected node restriction (if any)
   * and the first failing status; a rejection lists the rejecting plugin.
   */
  runPreFilterPlugins(state: CycleState, pod: KObject, nodes: NodeInfo[]): { result?: PreFilterResult; status?: Status; resultPlugins: string[] } {
    let result: PreFilterResult | undefined;
    const resultPlugins: string[] = [];
    for (const p of this.preFilterPlugins) {
      const r = run(p.name, () => p.preFilter(state, pod, nodes));
      if (r instanceof Status) {
        if (r.code === Code.Skip) {
          state.skipFilterPlugins.add(p.name);
          continue;
        }
        if (r.code === Code.Success) continue;
        return { status: stamp(r, p.name), resultPlugins };
      }
      if (r) {
        resultPlugins.push(p.name);
        result = result ? { nodeNames: new Set([...result.nodeNames].filter((n) => r.nodeNames.has(n))) } : r;
        if (result.nodeNames.size === 0) {
          const msg = `node(s) didn't satisfy plugin(s) [${resultPlugins.join(" ")}] simultaneously`;
          return { status: newStatus(Code.UnschedulableAndUnresolvable, msg).withPlugin(p.name), resultPlugins };
        }
      }
    }
    return { result, resultPlugins };
  }

  #extensions(state: CycleState, fn: (ext: NonNullable<ReturnType<NonNullable<PreFilterPlugin["preFilterExtensions"]>>>, name: string) => MaybeStatus): Status | undefined {
    for (const p of this.preFilterPlugins) {
      if (state.skipFilterPlugins.has(p.name)) continue;
      const ext = p.preFilterExtensions?.();
      if (!ext) continue;
      const s = run(p.name, () => fn(ext, p.name));
      if (!isSuccess(s)) return stamp(s, p.name);
    }
    return undefined;
  }

  /** Tells PreFilter plugins that `toAdd` was added to `nodeInfo` (already mutated by the caller). */
  runPreFilterExtensionAddPod(state: CycleState, pod: KObject, toAdd: KObject, nodeInfo: NodeInfo): Status | undefined {
    const pi = podInfoFor(toAdd);
    return this.#extensions(state, (ext) => ext.addPod(state, pod, pi, nodeInfo));
  }

  /** Tells PreFilter plugins that `toRemove` was removed from `nodeInfo` (already mutated by the caller). */
  runPreFilterExtensionRemovePod(state: CycleState, pod: KObject, toRemove: KObject, nodeInfo: NodeInfo): Status | undefined {
    const pi = podInfoFor(toRemove);
    return this.#extensions(state, (ext) => ext.removePod(state, pod, pi, nodeInfo));
  }

  /**
   * The Filter plugins not skipped in `state`, computed once per cycle (the
   * skip set is final once PreFilter has run) and kept on the state.
   */
  #activeFilterPlugins(state: CycleState): FilterPlugin[] {
    const cached = state.activeFilterPlugins;
    if (cached && cached.owner === this && cached.skipSize === state.skipFilterPlugins.size) return cached.plugins as FilterPlugin[];
    const plugins = withoutSkipped(this.filterPlugins, state.skipFilterPlugins);
    state.activeFilterPlugins = { owner: this, skipSize: state.skipFilterPlugins.size, plugins };
    return plugins;
  }

  /** Runs Filter plugins in order; returns the first non-success status (plugin set), else undefined. */
  runFilterPlugins(state: CycleState, pod: KObject, nodeInfo: NodeInfo): Status | undefined {
    const plugins = this.#activeFilterPlugins(state);
    for (let i = 0; i < plugins.length; i++) {
      const p = plugins[i];
      let s: MaybeStatus;
      try {
        s = p.filter(state, pod, nodeInfo);
      } catch (e) {
        return asStatus(e).withPlugin(p.name);
      }
      if (s && s.code !== Code.Success) return stamp(s, p.name);
    }
    return undefined;
  }

  /**
   * Filters with nominated pods of equal or higher priority added to the node
   * first (upstream RunFilterPluginsWithNominatedPods): the pod must fit both
   * with and without them.
   */
  /** Whether some pod is nominated to some node (if not, filtering with nominated pods is plain filtering). */
  hasNominatedPods(): boolean {
    const n = this.handle.nominator;
    return !!n && (n.hasNominatedPods?.() ?? true);
  }

  runFilterPluginsWithNominatedPods(state: CycleState, pod: KObject, nodeInfo: NodeInfo): Status | undefined {
    const nominated = this.handle.nominator?.nominatedPodsForNode(nodeInfo.name) ?? [];
    if (nominated.length === 0) return this.runFilterPlugins(state, pod, nodeInfo);
    const prio = podPriority(pod);
    const uid = podUID(pod);
    const add = nominated.filter((p) => podPriority(p) >= prio && podUID(p) !== uid);
    if (add.length === 0) return this.runFilterPlugins(state, pod, nodeInfo);
    const state2 = state.clone();
    const ni2 = nodeInfo.clone();
    for (const p of add) {
      ni2.addPod(p);
      const s = this.runPreFilterExtensionAddPod(state2, pod, p, ni2);
      if (s) return s;
    }
    const s = this.runFilterPlugins(state2, pod, ni2);
    if (s) return s;
    return this.runFilterPlugins(state, pod, nodeInfo);
  }

  /** Runs PostFilter plugins until one succeeds (or returns a hard error). */
  runPostFilterPlugins(state: CycleState, pod: KObject, statuses: NodeToStatus): { result?: PostFilterResult; status: Status | undefined } {
    let last: Status | undefined;
    let lastResult: PostFilterResult | undefined;
    for (const p of this.postFilterPlugins) {
      const r = run(p.name, () => p.postFilter(state, pod, statuses));
      if (r instanceof Status) return { status: r };
      if (isSuccess(r.status)) return { result: r.result, status: undefined };
      const s = stamp(r.status, p.name)!;
      if (s.code !== Code.Unschedulable) return { result: r.result, status: s };
      last = s;
      lastResult = r.result ?? lastResult;
    }
    return { result: lastResult, status: last ?? newStatus(Code.Unschedulable, "no PostFilter plugins").withPlugin("") };
  }

  /** Runs PreScore plugins; Skip marks the plugin's Score as skipped. */
  runPreScorePlugins(state: CycleState, pod: KObject, nodes: NodeInfo[]): Status | undefined {
    for (const p of this.preScorePlugins) {
      const s = run(p.name, () => p.preScore(state, pod, nodes));
      if (s?.code === Code.Skip) {
        state.skipScorePlugins.add(p.name);
        continue;
      }
      if (!isSuccess(s)) return stamp(s, p.name);
    }
    return undefined;
  }

  /**
   * Score, NormalizeScore and weighting for every node. Returns totals in
   * node order or an error status.
   */
  runScorePlugins(state: CycleState, pod: KObject, nodes: NodeInfo[]): ScoreResult[] | Status {
    const totals = this.runScorePluginsTotals(state, pod, nodes);
    if (!(totals instanceof Float64Array)) return totals;
    return nodes.map((n, i) => ({ name: n.name, total: totals[i] }));
  }

  /**
   * runScorePlugins without the per-node result objects: the totals in node
   * order, in a buffer the next call reuses (read it before scoring again).
   */
  runScorePluginsTotals(state: CycleState, pod: KObject, nodes: NodeInfo[]): Float64Array | Status {
    const n = nodes.length;
    if (this.#totals.length < n) this.#totals = new Float64Array(Math.max(n, this.#totals.length * 2));
    const totals = this.#totals.subarray(0, n);
    totals.fill(0);
    let scores: NodeScore[] | undefined;
    for (const { plugin, weight } of this.scorePlugins) {
      if (state.skipScorePlugins.has(plugin.name)) continue;
      if (!plugin.normalizeScore) {
        for (let i = 0; i < n; i++) {
          let v: number;
          try {
            v = plugin.score(state, pod, nodes[i]);
          } catch (e) {
            return asStatus(e).withPlugin(plugin.name);
          }
          if (v > 100 || v < 0) return invalidScore(plugin.name, v);
          totals[i] += v * weight;
        }
        continue;
      }
      scores ??= this.#scoreScratch(nodes);
      for (let i = 0; i < n; i++) {
        try {
          scores[i].score = plugin.score(state, pod, nodes[i]);
        } catch (e) {
          return asStatus(e).withPlugin(plugin.name);
        }
      }
      const s = run(plugin.name, () => plugin.normalizeScore!(state, pod, scores!));
      if (!isSuccess(s)) return stamp(s, plugin.name)!;
      for (let i = 0; i < n; i++) {
        const v = scores[i].score;
        if (v > 100 || v < 0) return invalidScore(plugin.name, v);
        totals[i] += v * weight;
      }
    }
    return totals;
  }

  #totals = new Float64Array(0);
  #scores: NodeScore[] = [];

  /** The reusable NodeScore list, one entry per node (names set, scores 0). */
  #scoreScratch(nodes: NodeInfo[]): NodeScore[] {
    const scores = this.#scores;
    scores.length = Math.min(scores.length, nodes.length);
    for (let i = 0; i < nodes.length; i++) {
      const e = scores[i];
      if (e) {
        e.name = nodes[i].name;
        e.score = 0;
      } else scores.push({ name: nodes[i].name, score: 0 });
    }
    return scores;
  }

  /** Reserve in order; on failure the caller must run Unreserve. */
  runReservePluginsReserve(state: CycleState, pod: KObject, nodeName: string): Status | undefined {
    for (const p of this.reservePlugins) {
      const s = run(p.name, () => p.reserve(state, pod, nodeName));
      if (!isSuccess(s)) return stamp(s, p.name);
    }
    return undefined;
  }

  /** Unreserve in reverse order; errors are swallowed. */
  runReservePluginsUnreserve(state: CycleState, pod: KObject, nodeName: string): void {
    for (let i = this.reservePlugins.length - 1; i >= 0; i--) {
      const p = this.reservePlugins[i];
      run(p.name, () => p.unreserve(state, pod, nodeName));
    }
  }

  /** Permit; Wait is reported as Unschedulable (waiting pods are not supported). */
  runPermitPlugins(state: CycleState, pod: KObject, nodeName: string): Status | undefined {
    for (const p of this.permitPlugins) {
      const s = run(p.name, () => p.permit(state, pod, nodeName));
      if (s?.code === Code.Wait) return newStatus(Code.Unschedulable, `pod rejected while waiting on permit: ${s.message()}`).withPlugin(p.name);
      if (!isSuccess(s)) return stamp(s, p.name);
    }
    return undefined;
  }

  async runPreBindPlugins(state: CycleState, pod: KObject, nodeName: string): Promise<Status | undefined> {
    for (const p of this.preBindPlugins) {
      let s: MaybeStatus;
      try {
        s = await p.preBind(state, pod, nodeName);
      } catch (e) {
        s = asStatus(e);
      }
      if (!isSuccess(s)) return stamp(s, p.name);
    }
    return undefined;
  }

  /** Bind plugins until one does not Skip. */
  async runBindPlugins(state: CycleState, pod: KObject, nodeName: string): Promise<Status | undefined> {
    if (this.bindPlugins.length === 0) return newStatus(Code.Error, "no Bind plugins");
    let last: MaybeStatus;
    for (const p of this.bindPlugins) {
      try {
        last = await p.bind(state, pod, nodeName);
      } catch (e) {
        last = asStatus(e);
      }
      if (last?.code === Code.Skip) continue;
      return isSuccess(last) ? undefined : stamp(last, p.name);
    }
    return stamp(last, "");
  }

  /** A fresh CycleState. */
  newCycleState(): CycleState {
    return new CycleState();
  }
}

/**
 * `plugins` minus those named in `skip`. Kept out of the per-node filter path:
 * a closure there would make V8 allocate a context on every call.
 */
function withoutSkipped<T extends { name: string }>(plugins: T[], skip: Set<string>): T[] {
  return skip.size ? plugins.filter((p) => !skip.has(p.name)) : plugins;
}
