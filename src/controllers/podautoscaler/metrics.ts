/**
 * Where the HPA controller reads pod resource usage from. `MetricsSource`
 * is the seam: the default implementation asks the resource metrics API
 * (`metrics.k8s.io/v1beta1` PodMetrics, served by metrics-server once it is
 * installed); tests inject fakes. `resourceMetrics` turns PodMetrics into
 * per-pod milli-values of one resource, as upstream's resource metrics
 * client does (a pod missing the resource in any container is left out).
 */
import type { ApiClient } from "../../client/index.ts";
import { isNotFound } from "../../client/index.ts";
import { tryParseQuantity } from "../../machinery/quantity.ts";

/** One PodMetrics item, decoded. */
export interface PodMetrics {
  name: string;
  /** When the sample was taken (ms since the epoch). */
  timestamp: number;
  /** The window the usage was averaged over (ms). */
  windowMs: number;
  containers: { name: string; usage: Record<string, string> }[];
}

/**
 * A source of pod metrics. `podMetrics` resolves with the metrics of the
 * pods matching `selector` (a label selector string) in `namespace`, or
 * rejects with an Error whose message explains why none are available.
 */
export interface MetricsSource {
  podMetrics(namespace: string, selector: string): Promise<PodMetrics[]>;
}

/** A pod's usage of one resource: milli-units, sample time and window. */
export interface PodMetric {
  value: number;
  timestamp: number;
  windowMs: number;
}

function parseDurationMs(s: unknown): number {
  if (typeof s !== "string") return 0;
  let ms = 0;
  for (const m of s.matchAll(/([\d.]+)(ms|h|m|s)/g)) {
    const n = Number(m[1]);
    ms += m[2] === "h" ? n * 3_600_000 : m[2] === "m" ? n * 60_000 : m[2] === "s" ? n * 1000 : n;
  }
  return ms;
}

/** Reads PodMetrics from the resource metrics API through the apiserver. */
export class ResourceMetricsApiSource implements MetricsSource {
  readonly #client: ApiClient;

  constructor(client: ApiClient) {
    this.#client = client;
  }

  async podMetrics(namespace: string, selector: string): Promise<PodMetrics[]> {
    let list: { items?: Record<string, unknown>[] };
    try {
      list = (await this.#client.request({
        method: "GET",
        path: `/apis/metrics.k8s.io/v1beta1/namespaces/${encodeURIComponent(namespace)}/pods`,
        query: { labelSelector: selector || undefined },
      })) as { items?: Record<string, unknown>[] };
    } catch (err) {
      const why = isNotFound(err) ? "the server could not find the requested resource (get pods.metrics.k8s.io)" : String((err as Error)?.message ?? err);
      throw new Error(`unable to fetch metrics from resource metrics API: ${why}`);
    }
    const items = list?.items ?? [];
    if (items.length === 0) throw new Error("no metrics returned from resource metrics API");
    return items.map((it) => {
      const meta = (it.metadata ?? {}) as { name?: string };
      return {
        name: meta.name ?? "",
        timestamp: Date.parse(String(it.timestamp ?? "")) || Date.now(),
        windowMs: parseDurationMs(it.window),
        containers: ((it.containers ?? []) as { name: string; usage?: Record<string, string> }[]).map((c) => ({ name: c.name, usage: c.usage ?? {} })),
      };
    });
  }
}

/**
 * Per-pod usage of `resource` in milli-units: the sum over the pod's
 * containers (only `container` when given). Pods where a counted container
 * lacks the resource, or where `container` is absent, are left out.
 */
export function resourceMetrics(items: PodMetrics[], resource: string, container?: string): Map<string, PodMetric> {
  const out = new Map<string, PodMetric>();
  for (const pm of items) {
    let sum = 0;
    let missing = false;
    let found = false;
    for (const c of pm.containers) {
      if (container !== undefined && c.name !== container) continue;
      const q = tryParseQuantity(c.usage[resource]);
      if (!q) {
        missing = true;
        break;
      }
      found = true;
      sum += q.milliValue();
    }
    if (!missing && (found || container === undefined)) out.set(pm.name, { value: sum, timestamp: pm.timestamp, windowMs: pm.windowMs });
  }
  return out;
}
