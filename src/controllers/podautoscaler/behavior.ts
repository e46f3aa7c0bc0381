/**
 * Normalisation of an HPA's proposed replica count (upstream horizontal.go):
 * stabilisation over recent recommendations, then rate limits and the
 * [minReplicas, maxReplicas] clamp. Without spec.behavior the legacy rules
 * apply (scale-down stabilisation window, scale-up to at most
 * max(2 × current, 4)); with it, the scaleUp/scaleDown rules (defaults
 * filled in as the API does) and their policies over recorded scale events.
 * Pure apart from mutating the per-HPA `AutoscalerHistory` passed in.
 */

/** One HPAScalingPolicy. */
export interface ScalingPolicy {
  type: "Pods" | "Percent";
  value: number;
  periodSeconds: number;
}

/** HPAScalingRules with defaults applied. */
export interface ScalingRules {
  stabilizationWindowSeconds: number;
  selectPolicy: "Max" | "Min" | "Disabled";
  policies: ScalingPolicy[];
}

export interface Behavior {
  scaleUp: ScalingRules;
  scaleDown: ScalingRules;
}

/** A recommendation the controller computed, with when (ms). */
export interface Recommendation {
  replicas: number;
  at: number;
}

/** A scale change the controller made (replicas added or removed), with when (ms). */
export interface ScaleEvent {
  change: number;
  at: number;
  outdated: boolean;
}

/** What the controller remembers per HPA between syncs (upstream keeps it in memory too). */
export interface AutoscalerHistory {
  recommendations: Recommendation[];
  scaleUpEvents: ScaleEvent[];
  scaleDownEvents: ScaleEvent[];
}

/** A condition to set: reason and message (status implied by the caller). */
export interface ConditionNote {
  reason: string;
  message: string;
}

export interface Normalized {
  desiredReplicas: number;
  /** AbleToScale (True) reason/message. */
  ableToScale: ConditionNote;
  /** ScalingLimited status and reason/message. */
  scalingLimited: ConditionNote & { limited: boolean };
}

/** Upstream's --horizontal-pod-autoscaler-downscale-stabilization. */
export const defaultDownscaleStabilizationMs = 5 * 60_000;

/** A new, empty history. */
export function newHistory(): AutoscalerHistory {
  return { recommendations: [], scaleUpEvents: [], scaleDownEvents: [] };
}

interface RawRules {
  stabilizationWindowSeconds?: number;
  selectPolicy?: string;
  policies?: ScalingPolicy[];
}

/**
 * spec.behavior with upstream's API defaults (scaleUp: no stabilisation,
 * max of +100 % / +4 pods per 15 s; scaleDown: −100 % per 15 s) and the
 * controller's scale-down window where the HPA sets none; undefined when
 * the HPA has no behavior.
 */
export function defaultedBehavior(raw: { scaleUp?: RawRules; scaleDown?: RawRules } | undefined, downscaleWindowMs: number): Behavior | undefined {
  if (!raw) return undefined;
  const up = raw.scaleUp ?? {};
  const down = raw.scaleDown ?? {};
  return {
    scaleUp: {
      stabilizationWindowSeconds: up.stabilizationWindowSeconds ?? 0,
      selectPolicy: (up.selectPolicy ?? "Max") as ScalingRules["selectPolicy"],
      policies: up.policies?.length ? up.policies : [
        { type: "Pods", value: 4, periodSeconds: 15 },
        { type: "Percent", value: 100, periodSeconds: 15 },
      ],
    },
    scaleDown: {
      stabilizationWindowSeconds: down.stabilizationWindowSeconds ?? Math.round(downscaleWindowMs / 1000),
      selectPolicy: (down.selectPolicy ?? "Max") as ScalingRules["selectPolicy"],
      policies: down.policies?.length ? down.policies : [{ type: "Percent", value: 100, periodSeconds: 15 }],
    },
  };
}

/** Records the controller's first observation of the target (recordInitialRecommendation). */
export function recordInitialRecommendation(h: AutoscalerHistory, currentReplicas: number, now: number): void {
  if (h.recommendations.length === 0) h.recommendations.push({ replicas: currentReplicas, at: now });
}

/** Replaces the recommendation at `index` (an obsolete one) or appends. */
function storeRecommendation(h: AutoscalerHistory, index: number, rec: Recommendation): void {
  if (index >= 0) h.recommendations[index] = rec;
  else h.recommendations.push(rec);
}

const withinRange: ConditionNote = { reason: "DesiredWithinRange", message: "the desired count is within the acceptable range" };
const readyForNewScale: ConditionNote = { reason: "ReadyForNewScale", message: "recommended size matches current size" };
const scaleDownStabilized: ConditionNote = {
  reason: "ScaleDownStabilized",
  message: "recent recommendations were higher than current one, applying the highest recent recommendation",
};
const scaleUpStabilized: ConditionNote = {
  reason: "ScaleUpStabilized",
  message: "recent recommendations were lower than current one, applying the lowest recent recommendation",
};
const tooMany: ConditionNote = { reason: "TooManyReplicas", message: "the desired replica count is more than the maximum replica count" };
const tooFew: ConditionNote = { reason: "TooFewReplicas", message: "the desired replica count is less than the minimum replica count" };
const upLimit: ConditionNote = { reason: "ScaleUpLimit", message: "the desired replica count is increasing faster than the maximum scale rate" };
const downLimit: ConditionNote = { reason: "ScaleDownLimit", message: "the desired replica count is decreasing faster than the maximum scale rate" };

/** The legacy path: max over the scale-down window, then min/max and max(2 × current, 4). */
function normalizeLegacy(h: AutoscalerHistory, current: number, proposed: number, min: number, max: number, now: number, windowMs: number): Normalized {
  let stabilized = proposed;
  let old = -1;
  h.recommendations.forEach((r, i) => {
    if (r.at < now - windowMs) old = i;
    else if (r.replicas > stabilized) stabilized = r.replicas;
  });
  storeRecommendation(h, old, { replicas: proposed, at: now });
  const ableToScale = stabilized !== proposed ? scaleDownStabilized : readyForNewScale;
  const scaleUpLimit = Math.max(2 * current, 4);
  const maxAllowed = Math.min(max, scaleUpLimit);
  const upNote = max > scaleUpLimit ? upLimit : tooMany;
  let desired = stabilized;
  let note = withinRange;
  if (stabilized < min) [desired, note] = [min, tooFew];
  else if (stabilized > maxAllowed) [desired, note] = [maxAllowed, upNote];
  return { desiredReplicas: desired, ableToScale, scalingLimited: { ...note, limited: desired !== stabilized } };
}

/** Replicas added (or removed) within the last `periodSeconds`. */
function changeInPeriod(events: ScaleEvent[], periodSeconds: number, now: number): number {
  const cutoff = now - periodSeconds * 1000;
  return events.reduce((sum, e) => (e.at > cutoff ? sum + e.change : sum), 0);
}

function scaleUpLimitOf(current: number, events: ScaleEvent[], rules: ScalingRules, now: number): number {
  if (rules.selectPolicy === "Disabled") return current;
  const pick = rules.selectPolicy === "Min" ? Math.min : Math.max;
  let result = rules.selectPolicy === "Min" ? Number.MAX_SAFE_INTEGER : Number.MIN_SAFE_INTEGER;
  for (const p of rules.policies) {
    const start = current - changeInPeriod(events, p.periodSeconds, now);
    const proposed = p.type === "Pods" ? start + p.value : Math.ceil(start * (1 + p.value / 100));
    result = pick(result, proposed);
  }
  return result;
}

function scaleDownLimitOf(current: number, events: ScaleEvent[], rules: ScalingRules, now: number): number {
  if (rules.selectPolicy === "Disabled") return current;
  const pick = rules.selectPolicy === "Min" ? Math.max : Math.min;
  let result = rules.selectPolicy === "Min" ? Number.MIN_SAFE_INTEGER : Number.MAX_SAFE_INTEGER;
  for (const p of rules.policies) {
    const start = current + changeInPeriod(events, p.periodSeconds, now);
    const proposed = p.type === "Pods" ? start - p.value : Math.trunc(start * (1 - p.value / 100));
    result = pick(result, proposed);
  }
  return result;
}

/** The behavior path: stabilise (min on the way up, max on the way down), then rate-limit and clamp. */
function normalizeWithBehavior(h: AutoscalerHistory, b: Behavior, current: number, proposed: number, min: number, max: number, now: number): Normalized {
  const up = proposed >= current;
  const windowS = up ? b.scaleUp.stabilizationWindowSeconds : b.scaleDown.stabilizationWindowSeconds;
  const cutoff = now - windowS * 1000;
  const obsolete = now - Math.max(b.scaleUp.stabilizationWindowSeconds, b.scaleDown.stabilizationWindowSeconds) * 1000;
  let stabilized = proposed;
  let old = -1;
  h.recommendations.forEach((r, i) => {
    if (r.at > cutoff) stabilized = up ? Math.min(stabilized, r.replicas) : Math.max(stabilized, r.replicas);
    if (r.at < obsolete) old = i;
  });
  storeRecommendation(h, old, { replicas: proposed, at: now });
  const ableToScale = stabilized !== proposed ? (up ? scaleUpStabilized : scaleDownStabilized) : readyForNewScale;
  let desired = stabilized;
  let note = withinRange;
  if (stabilized > current) {
    const limit = Math.max(scaleUpLimitOf(current, h.scaleUpEvents, b.scaleUp, now), current);
    const [allowed, why] = max > limit ? [limit, upLimit] : [max, tooMany];
    if (stabilized > allowed) [desired, note] = [allowed, why];
  } else if (stabilized < current) {
    const limit = Math.min(scaleDownLimitOf(current, h.scaleDownEvents, b.scaleDown, now), current);
    const [allowed, why] = min < limit ? [limit, downLimit] : [min, tooFew];
    if (stabilized < allowed) [desired, note] = [allowed, why];
  }
  return { desiredReplicas: desired, ableToScale, scalingLimited: { ...note, limited: desired !== stabilized } };
}

/** Inputs of `normalizeDesiredReplicas`. */
export interface NormalizeInput {
  history: AutoscalerHistory;
  behavior: Behavior | undefined;
  currentReplicas: number;
  /** The metrics' proposal before normalisation. */
  proposed: number;
  minReplicas: number;
  maxReplicas: number;
  now: number;
  /** Scale-down stabilisation window of the legacy path. */
  downscaleWindowMs: number;
}

/** Normalises a proposal into the replica count to scale to, with the condition notes to record. */
export function normalizeDesiredReplicas(i: NormalizeInput): Normalized {
  if (!i.behavior) return normalizeLegacy(i.history, i.currentReplicas, i.proposed, i.minReplicas, i.maxReplicas, i.now, i.downscaleWindowMs);
  return normalizeWithBehavior(i.history, i.behavior, i.currentReplicas, i.proposed, i.minReplicas, i.maxReplicas, i.now);
}

/** Records a scale change for the behavior rate limits (storeScaleEvent); no-op without behavior. */
export function recordScaleEvent(h: AutoscalerHistory, b: Behavior | undefined, prev: number, next: number, now: number): void {
  if (!b) return;
  const upward = next > prev;
  const events = upward ? h.scaleUpEvents : h.scaleDownEvents;
  const longest = Math.max(0, ...(upward ? b.scaleUp : b.scaleDown).policies.map((p) => p.periodSeconds));
  for (const e of events) if (e.at < now - longest * 1000) e.outdated = true;
  const ev: ScaleEvent = { change: Math.abs(next - prev), at: now, outdated: false };
  const reuse = events.findLastIndex((e) => e.outdated);
  if (reuse >= 0) events[reuse] = ev;
  else events.push(ev);
}
