/**
 * The horizontal pod autoscaler controller ("horizontalpodautoscaling"):
 * every sync period (upstream 15 s) each autoscaling/v2 HPA reads its
 * target's scale subresource, records status.currentReplicas, computes a
 * proposal from its metrics (compute.ts: resource metrics from the
 * MetricsSource, by default metrics.k8s.io), normalises it (behavior.ts:
 * stabilisation, rate limits, [minReplicas, maxReplicas]) and writes the
 * target's scale when the count changes. A target outside
 * [minReplicas, maxReplicas] is scaled to the bound without consulting
 * metrics. Conditions (AbleToScale, ScalingActive, ScalingLimited) and
 * events follow upstream's reasons and messages. Recommendation and scale
 * history lives in memory, per HPA, as upstream's does.
 */
import { findByKind, findResource, type ResourceInfo } from "../../api/resources.ts";
import type { KObject } from "../../api/types.ts";
import { isConflict, isNotFound, metaNamespaceKey, runWorkers, splitKey, WorkQueue, type ApiClient, type EventRecorder, type Informer, type ReconcileResult } from "../../client/index.ts";
import { parseSelector } from "../../machinery/labels.ts";
import { canonical } from "../endpoints/pods.ts";
import type { Controller, ControllerContext, ControllerFactory } from "../types.ts";
import { defaultDownscaleStabilizationMs, defaultedBehavior, newHistory, normalizeDesiredReplicas, recordInitialRecommendation, recordScaleEvent, type AutoscalerHistory } from "./behavior.ts";
import { computeReplicasForMetrics, type HpaCondition, type MetricStatus } from "./compute.ts";
import { ResourceMetricsApiSource, type MetricsSource } from "./metrics.ts";
import { defaultCpuInitializationPeriodMs, defaultInitialReadinessDelayMs, defaultTolerance } from "./replicas.ts";
import { rfc3339 as stamp } from "../../machinery/time.ts";

export type { MetricsSource, PodMetrics } from "./metrics.ts";

const hpaRes = findResource("autoscaling", "v2", "horizontalpodautoscalers")!;
const podsRes = findResource("", "v1", "pods")!;

/** Upstream's --horizontal-pod-autoscaler-sync-period. */
export const defaultSyncPeriodMs = 15_000;

export interface HorizontalControllerOptions {
  /** How often every HPA is reconciled (default 15 s). */
  syncPeriodMs?: number;
  /** Scale-down stabilisation window where the HPA sets none (default 5 min). */
  downscaleStabilizationMs?: number;
  tolerance?: number;
  cpuInitializationPeriodMs?: number;
  initialReadinessDelayMs?: number;
  /** Builds the metrics source (default: the resource metrics API through the apiserver). */
  metricsSource?: (client: ApiClient) => MetricsSource;
}


/** Sets (or adds) a condition; lastTransitionTime changes only when the status does. */
export function setCondition(status: KObject, c: HpaCondition, now: number): void {
  const list: Record<string, unknown>[] = (status.conditions ??= []);
  let cur = list.find((x) => x.type === c.type);
  if (!cur) {
    cur = { type: c.type };
    list.push(cur);
  }
  if (cur.status !== c.status) cur.lastTransitionTime = stamp(now);
  cur.status = c.status;
  cur.reason = c.reason;
  cur.message = c.message;
}

class HorizontalController implements Controller {
  readonly name = "horizontalpodautoscaling";
  readonly #queue = new WorkQueue<string>();
  readonly #opts: Required<Omit<HorizontalControllerOptions, "metricsSource">>;
  readonly #sourceFactory: (client: ApiClient) => MetricsSource;
  readonly #history = new Map<string, AutoscalerHistory>();
  #hpas!: Informer;
  #pods!: Informer;
  #source!: MetricsSource;
  #recorder!: EventRecorder;

  constructor(o: HorizontalControllerOptions) {
    this.#opts = {
      syncPeriodMs: o.syncPeriodMs ?? defaultSyncPeriodMs,
      downscaleStabilizationMs: o.downscaleStabilizationMs ?? defaultDownscaleStabilizationMs,
      tolerance: o.tolerance ?? defaultTolerance,
      cpuInitializationPeriodMs: o.cpuInitializationPeriodMs ?? defaultCpuInitializationPeriodMs,
      initialReadinessDelayMs: o.initialReadinessDelayMs ?? defaultInitialReadinessDelayMs,
    };
    this.#sourceFactory = o.metricsSource ?? ((client) => new ResourceMetricsApiSource(client));
  }

  init(ctx: ControllerContext): void {
    this.#hpas = ctx.informers.informerFor(hpaRes);
    this.#pods = ctx.informers.informerFor(podsRes);
    this.#source = this.#sourceFactory(ctx.client);
    this.#recorder = ctx.recorder("horizontal-pod-autoscaler");
    const enqueue = (o: KObject): void => this.#queue.add(metaNamespaceKey(o));
    this.#hpas.addEventHandler({
      onAdd: enqueue,
      onUpdate: (o, n) => {
        if (o !== n && canonical(o.spec) !== canonical(n.spec)) enqueue(n);
      },
      onDelete: enqueue,
    });
  }

  async run(ctx: ControllerContext, signal: AbortSignal): Promise<void> {
    const log = ctx.log.child("horizontal-pod-autoscaler-controller");
    await runWorkers(this.#queue, ctx.settings.workers, (key) => this.#sync(ctx, key), (m, f) => log.warn(m, f), signal);
  }

  async #sync(ctx: ControllerContext, key: string): Promise<ReconcileResult | void> {
    const { namespace, name } = splitKey(key);
    const cached = this.#hpas.lister().get(namespace, name);
    if (!cached) {
      this.#history.delete(key);
      return;
    }
    const again = { requeueAfterMs: this.#opts.syncPeriodMs };
    const hpa = structuredClone(cached);
    const original = canonical(cached.status ?? {});
    const status: KObject = (hpa.status ??= {});
    const now = Date.now();
    const event = (type: "Normal" | "Warning", reason: string, message: string): void => this.#recorder.event(cached, type, reason, message);
    const ref = hpa.spec?.scaleTargetRef ?? {};
    const write = (): Promise<void> => this.#writeStatus(ctx, hpa, original);

    let info: ResourceInfo | undefined;
    let scale: KObject;
    try {
      info = findByKind(ref.apiVersion ?? "", ref.kind ?? "");
      if (!info?.subresources.includes("scale")) {
        const group = String(ref.apiVersion ?? "").includes("/") ? String(ref.apiVersion).split("/")[0] : "";
        throw new Error(`no matches for kind "${ref.kind}" in group "${group}"`);
      }
      scale = (await ctx.client.resource(info).getSubresource(namespace, ref.name ?? "", "scale")) as KObject;
    } catch (err) {
      const msg = String((err as Error)?.message ?? err);
      event("Warning", "FailedGetScale", msg);
      setCondition(status, { type: "AbleToScale", status: "False", reason: "FailedGetScale", message: `the HPA controller was unable to get the target's current scale: ${msg}` }, now);
      await write();
      return again;
    }
    setCondition(status, { type: "AbleToScale", status: "True", reason: "SucceededGetScale", message: "the HPA controller was able to get the target's current scale" }, now);
    const current: number = scale.spec?.replicas ?? 0;
    let history = this.#history.get(key);
    if (!history) this.#history.set(key, (history = newHistory()));
    recordInitialRecommendation(history, current, now);

    const min: number = hpa.spec?.minReplicas ?? 1;
    const max: number = hpa.spec?.maxReplicas ?? current;
    const behavior = defaultedBehavior(hpa.spec?.behavior, this.#opts.downscaleStabilizationMs);
    let desired = 0;
    let rescale = true;
    let reason = "";
    let statuses: MetricStatus[] | undefined = status.currentMetrics;
    if (current === 0 && min !== 0) {
      rescale = false;
      setCondition(status, { type: "ScalingActive", status: "False", reason: "ScalingDisabled", message: "scaling is disabled since the replica count of the target is zero" }, now);
    } else if (current > max) {
      reason = "Current number of replicas above Spec.MaxReplicas";
      desired = max;
    } else if (current < min) {
      reason = "Current number of replicas below Spec.MinReplicas";
      desired = min;
    } else {
      const selectorText: string = scale.status?.selector ?? "";
      let selector;
      try {
        if (!selectorText) throw new Error("selector is required");
        selector = parseSelector(selectorText);
      } catch (err) {
        const missing = !selectorText;
        const msg = missing ? "selector is required" : `couldn't convert selector into a corresponding internal selector object: ${(err as Error).message}`;
        event("Warning", missing ? "SelectorRequired" : "InvalidSelector", msg);
        const condMsg = missing ? "the HPA target's scale is missing a selector" : msg;
        setCondition(status, { type: "ScalingActive", status: "False", reason: "InvalidSelector", message: condMsg }, now);
        this.#setReplicas(status, current, current);
        await write();
        return again;
      }
      const outcome = await computeReplicasForMetrics({
        hpa,
        pods: this.#pods.lister().listNamespace(namespace, selector),
        selector,
        specReplicas: current,
        source: this.#source,
        now,
        tolerance: this.#opts.tolerance,
        cpuInitializationPeriodMs: this.#opts.cpuInitializationPeriodMs,
        initialReadinessDelayMs: this.#opts.initialReadinessDelayMs,
        event,
      });
      setCondition(status, outcome.condition, now);
      statuses = outcome.statuses.length ? outcome.statuses : undefined;
      if (outcome.error) {
        event("Warning", "FailedComputeMetricsReplicas", outcome.error.message);
        this.#setReplicas(status, current, Math.min(Math.max(current, min), max), statuses);
        await write();
        return again;
      }
      if (outcome.replicas > current) reason = `${outcome.metricName} above target`;
      if (outcome.replicas < current) reason = "All metrics below target";
      const n = normalizeDesiredReplicas({
        history,
        behavior,
        currentReplicas: current,
        proposed: outcome.replicas,
        minReplicas: min,
        maxReplicas: max,
        now,
        downscaleWindowMs: this.#opts.downscaleStabilizationMs,
      });
      setCondition(status, { type: "AbleToScale", status: "True", ...n.ableToScale }, now);
      setCondition(status, { type: "ScalingLimited", status: n.scalingLimited.limited ? "True" : "False", reason: n.scalingLimited.reason, message: n.scalingLimited.message }, now);
      desired = n.desiredReplicas;
      rescale = desired !== current;
    }

    if (rescale) {
      try {
        await ctx.client.resource(info!).patch(namespace, ref.name, "merge", { spec: { replicas: desired } }, { subresource: "scale" });
      } catch (err) {
        const msg = String((err as Error)?.message ?? err);
        event("Warning", "FailedRescale", `New size: ${desired}; reason: ${reason}; error: ${msg}`);
        setCondition(status, { type: "AbleToScale", status: "False", reason: "FailedUpdateScale", message: `the HPA controller was unable to update the target scale: ${msg}` }, now);
        this.#setReplicas(status, current, status.desiredReplicas ?? current, statuses);
        await write();
        return again;
      }
      setCondition(status, { type: "AbleToScale", status: "True", reason: "SucceededRescale", message: `the HPA controller was able to update the target scale to ${desired}` }, now);
      event("Normal", "SuccessfulRescale", `New size: ${desired}; reason: ${reason}`);
      recordScaleEvent(history, behavior, current, desired, now);
      status.lastScaleTime = stamp(now);
    } else {
      desired = current;
    }
    this.#setReplicas(status, current, desired, statuses);
    await write();
    return again;
  }

  #setReplicas(status: KObject, current: number, desired: number, metrics?: MetricStatus[]): void {
    status.currentReplicas = current;
    status.desiredReplicas = desired;
    if (metrics?.length) status.currentMetrics = metrics;
    else delete status.currentMetrics;
  }

  /** Writes the status when it differs from what the cache held (updateStatusIfNeeded). */
  async #writeStatus(ctx: ControllerContext, hpa: KObject, original: string): Promise<void> {
    if (canonical(hpa.status) === original) return;
    try {
      await ctx.client.resource(hpaRes).updateStatus(hpa.metadata.namespace ?? "", hpa);
    } catch (err) {
      if (isNotFound(err) || isConflict(err)) return;
      this.#recorder.event(hpa, "Warning", "FailedUpdateStatus", String((err as Error)?.message ?? err));
      throw err;
    }
  }
}

/** Builds the HPA controller with explicit options (tests inject a metrics source and a short period). */
export function newHorizontalPodAutoscalerController(opts: HorizontalControllerOptions = {}): Controller {
  return new HorizontalController(opts);
}

/** Builds the HPA controller with upstream defaults, reading metrics.k8s.io. */
export const horizontalPodAutoscalerController: ControllerFactory = () => newHorizontalPodAutoscalerController();
