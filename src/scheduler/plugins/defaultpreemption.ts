/**
 * DefaultPreemption (PostFilter): when no node fits, finds nodes where
 * evicting lower-priority pods lets the pod fit. Per node, all lower-priority
 * pods are removed, then re-added ("reprieved") in importance order (PDB
 * violators first) while the pod still fits; what cannot be reprieved are
 * the victims. The node is chosen by upstream's ordering: fewest PDB
 * violations, lowest highest-victim priority, lowest priority sum, fewest
 * victims, latest start of the highest-priority victims, first found.
 * Returns the nominated node and victims; deleting them is the caller's job.
 */
import type { KObject } from "../../api/types.ts";
import { selectorFromLabelSelector } from "../../machinery/labels.ts";
import type { CycleState } from "../framework/cycle_state.ts";
import type { Framework } from "../framework/framework.ts";
import type { NodeToStatus, PostFilterPlugin, PostFilterResult } from "../framework/interface.ts";
import type { NodeInfo } from "../framework/node_info.ts";
import { podNamespace, podPriority, podStartTime, podUID } from "../framework/pod_info.ts";
import { Code, newStatus, type Status } from "../framework/status.ts";
import { FitError } from "../schedule.ts";
import { Names } from "./names.ts";

export const MSG_NOT_HELPFUL = "Preemption is not helpful for scheduling";
export const MSG_NO_VICTIMS = "No preemption victims found for incoming pod";

export interface DefaultPreemptionArgs {
  minCandidateNodesPercentage?: number;
  minCandidateNodesAbsolute?: number;
}

export interface Candidate {
  name: string;
  /** Sorted most important first. */
  victims: KObject[];
  numPDBViolations: number;
}

/** MoreImportantPod: higher priority, then earlier start. */
export function moreImportant(a: KObject, b: KObject): boolean {
  const pa = podPriority(a);
  const pb = podPriority(b);
  if (pa !== pb) return pa > pb;
  return podStartTime(a) < podStartTime(b);
}

function byImportance(a: KObject, b: KObject): number {
  return moreImportant(a, b) ? -1 : moreImportant(b, a) ? 1 : 0;
}

/** Splits pods (in order) into those whose eviction would violate a PDB and the rest. */
export function filterPodsWithPDBViolation(pods: KObject[], pdbs: KObject[]): { violating: KObject[]; nonViolating: KObject[] } {
  const allowed = pdbs.map((p) => p.status?.disruptionsAllowed ?? 0);
  const sels = pdbs.map((p) => (p.spec?.selector ? selectorFromLabelSelector(p.spec.selector) : null));
  const violating: KObject[] = [];
  const nonViolating: KObject[] = [];
  for (const pod of pods) {
    let violated = false;
    pdbs.forEach((pdb, i) => {
      const sel = sels[i];
      if (podNamespace(pdb) !== podNamespace(pod) || !sel || sel.empty() || !sel.matches(pod.metadata.labels)) return;
      if (pod.metadata.name && pdb.status?.disruptedPods?.[pod.metadata.name]) return;
      allowed[i]--;
      if (allowed[i] < 0) violated = true;
    });
    (violated ? violating : nonViolating).push(pod);
  }
  return { violating, nonViolating };
}

/** pickOneNodeForPreemption over dry-run candidates (undefined for none). */
export function pickOneNodeForPreemption(cands: Candidate[]): Candidate | undefined {
  if (cands.length === 0) return undefined;
  const zero = cands.find((c) => c.victims.length === 0);
  if (zero) return zero;
  const highestStart = (c: Candidate): number => {
    const top = podPriority(c.victims[0]);
    let earliest = Infinity;
    for (const v of c.victims) if (podPriority(v) === top) earliest = Math.min(earliest, podStartTime(v));
    return earliest;
  };
  const scorers: ((c: Candidate) => number)[] = [
    (c) => -c.numPDBViolations,
    (c) => -podPriority(c.victims[0]),
    (c) => -c.victims.reduce((s, v) => s + podPriority(v) + 2147483648, 0),
    (c) => -c.victims.length,
    (c) => highestStart(c),
  ];
  let rest = cands;
  for (const f of scorers) {
    let best = -Infinity;
    let next: Candidate[] = [];
    for (const c of rest) {
      const s = f(c);
      if (s > best) {
        best = s;
        next = [c];
      } else if (s === best) next.push(c);
    }
    rest = next;
    if (rest.length === 1) return rest[0];
  }
  return rest[0];
}

export function newDefaultPreemption(rawArgs: unknown, fwk: Framework): PostFilterPlugin {
  const args = (rawArgs ?? {}) as DefaultPreemptionArgs;
  const pct = args.minCandidateNodesPercentage ?? 10;
  const abs = args.minCandidateNodesAbsolute ?? 100;

  const selectVictimsOnNode = (state: CycleState, pod: KObject, ni: NodeInfo, pdbs: KObject[]): { victims?: KObject[]; numPDBViolations: number; status?: Status } => {
    const prio = podPriority(pod);
    const remove = (p: KObject): Status | undefined => {
      ni.removePod(p);
      return fwk.runPreFilterExtensionRemovePod(state, pod, p, ni);
    };
    const add = (p: KObject): Status | undefined => {
      ni.addPod(p);
      return fwk.runPreFilterExtensionAddPod(state, pod, p, ni);
    };
    const potential: KObject[] = [];
    for (const p of [...ni.pods]) {
      if (podPriority(p.pod) < prio) {
        potential.push(p.pod);
        const s = remove(p.pod);
        if (s) return { numPDBViolations: 0, status: s };
      }
    }
    if (potential.length === 0) return { numPDBViolations: 0, status: newStatus(Code.UnschedulableAndUnresolvable, MSG_NO_VICTIMS) };
    const fit = fwk.runFilterPluginsWithNominatedPods(state, pod, ni);
    if (fit) return { numPDBViolations: 0, status: fit };
    potential.sort(byImportance);
    const { violating, nonViolating } = filterPodsWithPDBViolation(potential, pdbs);
    const victims: KObject[] = [];
    let numPDBViolations = 0;
    const reprieve = (p: KObject): boolean | Status => {
      const s = add(p);
      if (s) return s;
      if (!fwk.runFilterPluginsWithNominatedPods(state, pod, ni)) return true;
      const r = remove(p);
      if (r) return r;
      victims.push(p);
      return false;
    };
    for (const p of violating) {
      const r = reprieve(p);
      if (r instanceof Object) return { numPDBViolations: 0, status: r };
      if (!r) numPDBViolations++;
    }
    for (const p of nonViolating) {
      const r = reprieve(p);
      if (r instanceof Object) return { numPDBViolations: 0, status: r };
    }
    victims.sort(byImportance);
    return { victims, numPDBViolations };
  };

  const notEligible = (pod: KObject): string | undefined => {
    if (pod.spec?.preemptionPolicy === "Never") return "not eligible due to preemptionPolicy=Never.";
    const nominated = pod.status?.nominatedNodeName;
    if (nominated) {
      const ni = fwk.snapshot.get(nominated);
      const prio = podPriority(pod);
      if (ni?.pods.some((p) => p.pod.metadata.deletionTimestamp && podPriority(p.pod) < prio)) return "not eligible due to a terminating pod on the nominated node.";
    }
    return undefined;
  };

  return {
    name: Names.DefaultPreemption,
    postFilter(state: CycleState, pod: KObject, statuses: NodeToStatus) {
      const fail = (msg: string, result?: PostFilterResult) => ({ result, status: newStatus(Code.Unschedulable, `preemption: ${msg}`) });
      const why = notEligible(pod);
      if (why) return fail(why);
      const all = fwk.snapshot.nodeInfoList;
      const out: NodeToStatus = { map: new Map(), absent: newStatus(Code.UnschedulableAndUnresolvable, MSG_NOT_HELPFUL) };
      const potential: NodeInfo[] = [];
      for (const ni of all) {
        const s = statuses.map.get(ni.name) ?? statuses.absent;
        if (s && s.code === Code.Unschedulable) potential.push(ni);
        else out.map.set(ni.name, newStatus(Code.UnschedulableAndUnresolvable, MSG_NOT_HELPFUL));
      }
      const clear: PostFilterResult = { nominatedNodeName: "" };
      if (potential.length === 0) return fail(new FitError(pod, all.length, { nodeToStatus: out, unschedulablePlugins: new Set(), preFilterMsg: "", postFilterMsg: "" }).message, clear);
      const pdbs = fwk.handle.pdbs?.() ?? [];
      const numCandidates = Math.min(potential.length, Math.max(Math.trunc((potential.length * pct) / 100), abs));
      const offset = Math.floor(fwk.random() * potential.length);
      const cands: Candidate[] = [];
      for (let i = 0; i < potential.length && cands.length < numCandidates; i++) {
        const ni = potential[(offset + i) % potential.length];
        const r = selectVictimsOnNode(state.clone(), pod, ni.clone(), pdbs);
        if (r.status) {
          out.map.set(ni.name, r.status);
          continue;
        }
        if (r.victims!.length === 0) {
          out.map.set(ni.name, newStatus(Code.Error, `expected at least one victim pod on node "${ni.name}"`));
          continue;
        }
        cands.push({ name: ni.name, victims: r.victims!, numPDBViolations: r.numPDBViolations });
      }
      const best = pickOneNodeForPreemption(cands);
      if (!best) return fail(new FitError(pod, all.length, { nodeToStatus: out, unschedulablePlugins: new Set(), preFilterMsg: "", postFilterMsg: "" }).message, clear);
      const uid = podUID(pod);
      return { result: { nominatedNodeName: best.name, victims: best.victims.filter((v) => podUID(v) !== uid) }, status: undefined };
    },
  } satisfies PostFilterPlugin;
}
