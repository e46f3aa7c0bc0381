/**
 * Subresources: status (get/update/patch), scale (autoscaling/v1 Scale view of
 * replicas), pods/binding (and the bindings collection), pods/eviction
 * (eviction.ts), namespaces/finalize. Node-side
 * subresources (log, exec, attach, portforward, proxy) answer with a clear
 * error until the kubelet exists.
 */
import { findResource, type ResourceInfo } from "../api/resources.ts";
import type { KObject } from "../api/types.ts";
import { badRequest, conflict, methodNotAllowed, StatusError } from "../machinery/errors.ts";
import { applyMergePatch } from "../machinery/mergepatch.ts";
import { applyJsonPatch } from "../machinery/jsonpatch.ts";
import { selectorFromLabelSelector } from "../machinery/labels.ts";
import type { RequestContext } from "./handlers.ts";
import { readObjectBody, respondObject, unsupportedPatch, writeOptions } from "./handlers.ts";
import { handleEviction } from "./eviction.ts";
import { decodeBody, readBody, sendObject } from "./http.ts";
import { getObject } from "./registry/read.ts";
import { bindPodToNode, finalizeNamespace, patchObject, patchTypeOf, updateObject } from "./registry/update.ts";

async function body(ctx: RequestContext): Promise<unknown> {
  return decodeBody(await readBody(ctx.req), ctx.req.headers["content-type"]);
}

function notServed(): StatusError {
  return new StatusError("NotFound", "the server could not find the requested resource");
}

async function handleStatus(ctx: RequestContext, sub: "status" | "approval" = "status"): Promise<void> {
  const { reg, info, resource } = ctx;
  switch (info.verb) {
    case "get":
      respondObject(ctx, 200, await getObject(reg, resource, info.namespace, info.name));
      return;
    case "update": {
      const opts = writeOptions(ctx);
      const out = await updateObject(reg, resource, info.namespace, info.name, await readObjectBody(ctx, opts), sub, opts);
      respondObject(ctx, 200, out.obj);
      return;
    }
    case "patch": {
      const type = patchTypeOf(ctx.req.headers["content-type"] ?? "");
      if (!type) throw unsupportedPatch(ctx.req.headers["content-type"]);
      const opts = writeOptions(ctx);
      const obj = await patchObject(reg, resource, info.namespace, info.name, type, await readObjectBody(ctx, opts), sub, opts);
      respondObject(ctx, 200, obj);
      return;
    }
    default:
      throw methodNotAllowed(info.verb, { group: resource.group, resource: `${resource.plural}/${sub}` });
  }
}

function selectorString(obj: KObject): string {
  const sel = obj.spec?.selector;
  if (!sel) return "";
  if (obj.kind === "ReplicationController") {
    return Object.entries(sel as Record<string, string>).map(([k, v]) => `${k}=${v}`).join(",");
  }
  return selectorFromLabelSelector(sel).toString();
}

function toScale(obj: KObject): KObject {
  const m = obj.metadata;
  return {
    kind: "Scale",
    apiVersion: "autoscaling/v1",
    metadata: { name: m.name, namespace: m.namespace, uid: m.uid, resourceVersion: m.resourceVersion, creationTimestamp: m.creationTimestamp },
    spec: { replicas: obj.spec?.replicas ?? 0 },
    status: { replicas: obj.status?.replicas ?? 0, selector: selectorString(obj) },
  };
}

async function handleScale(ctx: RequestContext): Promise<void> {
  const { reg, info, resource } = ctx;
  const qr = { group: resource.group, resource: `${resource.plural}/scale` };
  if (info.verb === "get") {
    sendObject(ctx.res, 200, toScale(await getObject(reg, resource, info.namespace, info.name)), ctx.rep);
    return;
  }
  if (info.verb !== "update" && info.verb !== "patch") throw methodNotAllowed(info.verb, qr);
  const input = await body(ctx);
  const type = info.verb === "patch" ? patchTypeOf(ctx.req.headers["content-type"] ?? "") : undefined;
  if (info.verb === "patch" && !type) throw unsupportedPatch(ctx.req.headers["content-type"]);
  const opts = writeOptions(ctx);
  for (let attempt = 0; attempt < 16; attempt++) {
    const cur = await getObject(reg, resource, info.namespace, info.name);
    const scale = toScale(cur);
    let wanted: KObject;
    if (type === "json") wanted = applyJsonPatch(scale, input) as KObject;
    else if (type) wanted = applyMergePatch(scale, input) as KObject;
    else wanted = input as KObject;
    const replicas = wanted?.spec?.replicas;
    if (!Number.isInteger(replicas) || replicas < 0) {
      throw new StatusError("Invalid", `Scale.autoscaling "${info.name}" is invalid: spec.replicas: Invalid value: ${JSON.stringify(replicas)}: must be greater than or equal to 0`, {
        name: info.name,
        group: "autoscaling",
        kind: "Scale",
        causes: [{ reason: "FieldValueInvalid", message: "Invalid value: must be greater than or equal to 0", field: "spec.replicas" }],
      });
    }
    const rv = wanted.metadata?.resourceVersion;
    if (rv && rv !== cur.metadata.resourceVersion) {
      throw conflict(qr, info.name, "the object has been modified; please apply your changes to the latest version and try again");
    }
    // cur is the cache's shared object: updateObject stamps the body's metadata, so it gets its own.
    const next = { ...cur, metadata: { ...cur.metadata }, spec: { ...cur.spec, replicas } };
    try {
      const out = await updateObject(reg, resource, info.namespace, info.name, next, "", opts);
      sendObject(ctx.res, 200, toScale(out.obj), ctx.rep);
      return;
    } catch (err) {
      if (err instanceof StatusError && err.reason === "Conflict" && !rv) continue;
      throw err;
    }
  }
  throw conflict(qr, info.name, "the object is changing too fast; try again");
}

/** Binds a pod to a node and marks it scheduled, in one write (pods/binding and the bindings collection). */
export async function bindPod(ctx: RequestContext, podName: string, binding: KObject): Promise<void> {
  const { reg, info } = ctx;
  const pods = findResource("", "v1", "pods")!;
  const target = binding?.target;
  if (!target?.name) throw badRequest("Binding.target.name is required");
  if (target.kind && target.kind !== "Node") throw badRequest(`Binding.target.kind must be Node, got ${target.kind}`);
  const opts = writeOptions(ctx);
  const bound = await bindPodToNode(reg, pods, info.namespace, podName, target.name, binding.metadata?.annotations, binding.metadata?.uid, opts);
  sendObject(ctx.res, 201, { kind: "Status", apiVersion: "v1", metadata: {}, status: "Success", code: 201, details: { name: bound.metadata.name, kind: "pods" } }, ctx.rep);
}

/** Dispatches `<resource>/<name>/<subresource>` requests. */
export async function handleSubresource(ctx: RequestContext): Promise<void> {
  const { info, resource } = ctx;
  const sub = info.subresource;
  if (!resource.subresources.includes(sub as ResourceInfo["subresources"][number])) throw notServed();
  switch (sub) {
    case "status":
      await handleStatus(ctx);
      return;
    case "approval":
      await handleStatus(ctx, "approval");
      return;
    case "scale":
      await handleScale(ctx);
      return;
    case "binding":
      if (info.verb !== "create") throw methodNotAllowed(info.verb, { group: "", resource: "pods/binding" });
      await bindPod(ctx, info.name, (await body(ctx)) as KObject);
      return;
    case "eviction":
      if (info.verb !== "create") throw methodNotAllowed(info.verb, { group: "", resource: "pods/eviction" });
      await handleEviction(ctx, (await body(ctx)) as KObject, writeOptions(ctx));
      return;
    case "finalize": {
      if (info.verb !== "update") throw methodNotAllowed(info.verb, { group: "", resource: "namespaces/finalize" });
      const opts = writeOptions(ctx);
      respondObject(ctx, 200, await finalizeNamespace(ctx.reg, resource, info.name, await readObjectBody(ctx, opts), opts));
      return;
    }
    default: {
      if (resource.kind === "Pod" || resource.kind === "Node") {
        const obj = await getObject(ctx.reg, resource, info.namespace, info.name);
        if (resource.kind === "Pod" && !obj.spec?.nodeName) {
          throw badRequest(`pod ${info.name} does not have a host assigned`);
        }
      }
      throw new StatusError("ServiceUnavailable", `the ${sub} subresource needs a node agent (kubelet), which this cluster does not run yet`);
    }
  }
}
