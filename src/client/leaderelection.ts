/**
 * Leader election on a coordination.k8s.io/v1 Lease (client-go's
 * leaderelection with the Lease lock): acquire the lease when it is free or
 * expired, renew it every retry period, give up leadership when renewal has
 * failed for the renew deadline, and release it on stop so a successor can
 * take over at once. Expiry is judged by local observation time of the
 * lease record, not by the holder's clock.
 */
import type { KObject } from "../api/types.ts";
import { log as rootLog } from "../machinery/log.ts";
import { isAlreadyExists, isNotFound, type ApiClient, type ResourceClient } from "./rest.ts";

const log = rootLog.child("leaderelection");

export interface LeaderElectionOptions {
  client: ApiClient;
  /** Namespace and name of the Lease. */
  namespace: string;
  name: string;
  /** This candidate's unique identity (e.g. hostname + random suffix). */
  identity: string;
  /** How long a lease is valid without renewal (default 15 000 ms). */
  leaseDurationMs?: number;
  /** How long the leader keeps retrying renewal before giving up (default 10 000 ms). */
  renewDeadlineMs?: number;
  /** Interval between acquire/renew attempts (default 2000 ms). */
  retryPeriodMs?: number;
  /** Called once leadership is acquired; `signal` aborts when it is lost or the election stops. */
  onStartedLeading(signal: AbortSignal): void;
  /** Called after leadership (if ever held) ends. */
  onStoppedLeading?(): void;
  /** Called whenever a different leader (or this one) is first observed. */
  onNewLeader?(identity: string): void;
}

/** MicroTime as the API serialises it. */
function microTime(d = new Date()): string {
  return d.toISOString().replace(/\.(\d{3})Z$/, ".$1000Z");
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = (): void => {
      clearTimeout(t);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const t = setTimeout(done, ms);
    signal.addEventListener("abort", done);
  });
}

/**
 * Campaigns for the lease until `signal` aborts or leadership, once gained,
 * is lost; then resolves (releasing the lease if held). Like client-go, it
 * does not campaign again after losing: callers that want to should call it
 * again (components usually exit instead).
 */
export async function runLeaderElection(opts: LeaderElectionOptions, signal: AbortSignal): Promise<void> {
  const leaseMs = opts.leaseDurationMs ?? 15_000;
  const renewDeadlineMs = opts.renewDeadlineMs ?? 10_000;
  const retryMs = opts.retryPeriodMs ?? 2000;
  const leases = opts.client.for("coordination.k8s.io/v1", "Lease");
  const state = { observedSpec: "", observedAt: 0, lastHolder: "", lease: undefined as KObject | undefined };

  const observe = (lease: KObject): void => {
    const spec = JSON.stringify(lease.spec ?? {});
    if (spec !== state.observedSpec) {
      state.observedSpec = spec;
      state.observedAt = Date.now();
    }
    state.lease = lease;
    const holder = lease.spec?.holderIdentity ?? "";
    if (holder && holder !== state.lastHolder) {
      state.lastHolder = holder;
      safe(() => opts.onNewLeader?.(holder));
    }
  };

  /** One attempt to acquire or renew; true when we hold the lease afterwards. */
  const tryAcquireOrRenew = async (): Promise<boolean> => {
    const now = new Date();
    const leaseDurationSeconds = Math.max(1, Math.ceil(leaseMs / 1000));
    let cur: KObject;
    try {
      cur = await leases.get(opts.namespace, opts.name);
    } catch (err) {
      if (!isNotFound(err)) throw err;
      const spec = { holderIdentity: opts.identity, leaseDurationSeconds, acquireTime: microTime(now), renewTime: microTime(now), leaseTransitions: 0 };
      try {
        observe(await leases.create(opts.namespace, { metadata: { name: opts.name, namespace: opts.namespace }, spec }));
        return true;
      } catch (e) {
        if (isAlreadyExists(e)) return false;
        throw e;
      }
    }
    observe(cur);
    const spec = cur.spec ?? {};
    const holder: string = spec.holderIdentity ?? "";
    const held = holder === opts.identity;
    const durMs = (spec.leaseDurationSeconds ?? leaseDurationSeconds) * 1000;
    if (holder && !held && state.observedAt + durMs > Date.now()) return false;
    const next = {
      ...spec,
      holderIdentity: opts.identity,
      leaseDurationSeconds,
      renewTime: microTime(now),
      acquireTime: held ? spec.acquireTime ?? microTime(now) : microTime(now),
      leaseTransitions: (spec.leaseTransitions ?? 0) + (held ? 0 : 1),
    };
    observe(await leases.update(opts.namespace, { ...cur, spec: next }));
    return true;
  };

  const attempt = async (): Promise<boolean> => {
    try {
      return await tryAcquireOrRenew();
    } catch (err) {
      log.debug("lease attempt failed", { lease: `${opts.namespace}/${opts.name}`, error: String((err as Error)?.message ?? err) });
      return false;
    }
  };

  while (!signal.aborted) {
    if (await attempt()) break;
    await sleep(retryMs * (1 + Math.random() * 0.2), signal);
  }
  if (signal.aborted) return;

  log.info("became leader", { lease: `${opts.namespace}/${opts.name}`, identity: opts.identity });
  const leading = new AbortController();
  safe(() => opts.onStartedLeading(leading.signal));
  let lastRenew = Date.now();
  while (!signal.aborted) {
    await sleep(retryMs, signal);
    if (signal.aborted) break;
    if (await attempt()) {
      lastRenew = Date.now();
      continue;
    }
    const holder = state.lease?.spec?.holderIdentity;
    if ((holder && holder !== opts.identity) || Date.now() - lastRenew >= renewDeadlineMs) {
      log.warn("lost leadership", { lease: `${opts.namespace}/${opts.name}`, identity: opts.identity });
      break;
    }
  }
  leading.abort();
  if (signal.aborted) await release();
  safe(() => opts.onStoppedLeading?.());

  async function release(): Promise<void> {
    try {
      const cur = await leases.get(opts.namespace, opts.name);
      if (cur.spec?.holderIdentity !== opts.identity) return;
      const now = microTime();
      const spec = { ...cur.spec, leaseDurationSeconds: 1, renewTime: now, acquireTime: now };
      delete spec.holderIdentity;
      await leases.update(opts.namespace, { ...cur, spec });
    } catch (err) {
      log.warn("could not release lease", { lease: `${opts.namespace}/${opts.name}`, error: String((err as Error)?.message ?? err) });
    }
  }
}

function safe(fn: () => void): void {
  try {
    fn();
  } catch (err) {
    log.error("leader election callback threw", { error: String((err as Error)?.stack ?? err) });
  }
}
