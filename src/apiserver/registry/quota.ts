/**
 * ResourceQuota admission of new objects, as upstream's quota plugin: for
 * every quota of the namespace whose scopes the object falls in, the
 * object's usage is added to status.used, and the create is refused (403)
 * when that would pass status.hard ("exceeded quota: ..."), when the quota
 * has no usage yet ("status unknown for quota: ..."), or when a pod leaves
 * out a cpu/memory request or limit the quota constrains ("failed quota: q:
 * must specify ..."). The charge is written to the quota's status before the
 * object (a guarded write, so concurrent creates cannot both take the last
 * unit); the resourcequota controller later recomputes the true usage.
 */
import type { ResourceInfo } from "../../api/resources.ts";
import { findResource } from "../../api/resources.ts";
import type { KObject } from "../../api/types.ts";
import { podMatchesScope } from "../../api/quota/podusage.ts";
import { calculateUsage, quotaScopes } from "../../api/quota/usage.ts";
import { forbidden } from "../../machinery/errors.ts";
import { tryParseQuantity } from "../../machinery/quantity.ts";
import type { Registry, WriteOptions } from "./registry.ts";
import { updateStatusWith } from "./update.ts";

const quotasRes = findResource("", "v1", "resourcequotas")!;

/** Resources whose quota makes every container of a pod state them (upstream's validationSet). */
const mustSpecify = new Set(["cpu", "memory", "requests.cpu", "requests.memory", "limits.cpu", "limits.memory"]);

const num = (v: unknown) => tryParseQuantity(v);
const isZero = (v: string | undefined): boolean => !v || num(v)?.isZero() === true;

/** "k1=v1,k2=v2" over `keys`, sorted (upstream's prettyPrint). */
function pretty(values: Record<string, string>, keys: string[]): string {
  return [...keys].sort().map((k) => `${k}=${values[k] ?? "0"}`).join(",");
}

function add(a: string | undefined, b: string): string {
  const x = num(a ?? "0");
  const y = num(b);
  return x && y ? x.add(y).toString() : b;
}

/** Containers that leave out a request or limit `required` names: "must specify requests.cpu for: a,b; ...", or undefined. */
function missingResources(pod: KObject, required: string[]): string | undefined {
  const need = required.filter((r) => mustSpecify.has(r));
  if (!need.length) return undefined;
  const missing = new Map<string, string[]>();
  for (const c of [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])] as { name: string; resources?: { requests?: object; limits?: object } }[]) {
    const have = new Set<string>();
    for (const r of Object.keys(c.resources?.requests ?? {})) have.add(r).add(`requests.${r}`);
    for (const r of Object.keys(c.resources?.limits ?? {})) have.add(`limits.${r}`);
    for (const r of need) if (!have.has(r)) missing.set(r, [...(missing.get(r) ?? []), c.name]);
  }
  if (!missing.size) return undefined;
  return `must specify ${[...missing.keys()].sort().map((r) => `${r} for: ${missing.get(r)!.sort().join(",")}`).join("; ")}`;
}

/**
 * Charges a new `obj` of `info` in `namespace` to the namespace's quotas
 * (dry runs only check). Throws 403 Forbidden as upstream's plugin does.
 */
export async function admitQuota(reg: Registry, info: ResourceInfo, namespace: string, obj: KObject, opts: WriteOptions): Promise<void> {
  if (!info.namespaced || info.storage === quotasRes.storage) return;
  const quotas = reg.cache.list(quotasRes.storage, `/registry/${quotasRes.storage}/${namespace}/`).map((c) => c.obj);
  if (!quotas.length) return;
  const refuse = (why: string) => forbidden({ group: info.group, resource: info.plural }, obj.metadata.name ?? "", why);
  const now = Date.now();
  const charges: { quota: string; delta: Record<string, string>; keys: string[] }[] = [];
  for (const q of quotas) {
    const name = q.metadata.name!;
    if (info.kind === "Pod" && info.group === "" && quotaScopes(q).every((s) => podMatchesScope(obj, s))) {
      const why = missingResources(obj, Object.keys(q.spec?.hard ?? {}));
      if (why) throw refuse(`failed quota: ${name}: ${why}`);
    }
    const delta = calculateUsage(q, (i) => (i.storage === info.storage ? [obj] : []), now).used;
    const keys = Object.keys(delta).filter((k) => !isZero(delta[k]));
    if (!keys.length) continue;
    const hard = (q.status?.hard ?? {}) as Record<string, string>;
    const used = (q.status?.used ?? {}) as Record<string, string>;
    const unknown = keys.filter((k) => hard[k] === undefined || used[k] === undefined);
    if (unknown.length) throw refuse(`status unknown for quota: ${name}, resources: ${unknown.sort().join(",")}`);
    charges.push({ quota: name, delta, keys });
  }
  for (const { quota, delta, keys } of charges) {
    await updateStatusWith(reg, quotasRes, namespace, quota, opts, (q) => {
      const hard = (q.status?.hard ?? {}) as Record<string, string>;
      const used = (q.status?.used ?? {}) as Record<string, string>;
      const next: Record<string, string> = {};
      for (const k of keys) next[k] = add(used[k], delta[k]);
      const exceeded = keys.filter((k) => {
        const h = num(hard[k]);
        const n = num(next[k]);
        return !h || !n || n.cmp(h) > 0;
      });
      if (exceeded.length) {
        throw refuse(`exceeded quota: ${quota}, requested: ${pretty(delta, exceeded)}, used: ${pretty(used, exceeded)}, limited: ${pretty(hard, exceeded)}`);
      }
      q.status = { ...(q.status ?? {}), used: { ...used, ...next } };
      return q;
    });
  }
}
