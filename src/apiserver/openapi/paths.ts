/**
 * Builds the `paths` section of one group-version's OpenAPI v3 document from
 * the served resource table: collection and item operations, watch paths,
 * and the subresources (status, scale, binding, eviction, log, exec, ...),
 * each operation tagged with `x-kubernetes-action` and
 * `x-kubernetes-group-version-kind` the way upstream's apiserver publishes them.
 */
import type { ResourceInfo } from "../../api/resources.ts";

export type Json = Record<string, unknown>;
export interface Gvk {
  group: string;
  version: string;
  kind: string;
}

const META = "io.k8s.apimachinery.pkg.apis.meta.v1";
const ref = (def: string): Json => ({ $ref: `#/components/schemas/${def}` });
const objectTypes = ["application/json", "application/yaml", "application/vnd.kubernetes.protobuf"];
const watchTypes = [
  "application/json;stream=watch",
  "application/vnd.kubernetes.protobuf;stream=watch",
  "application/json",
  "application/yaml",
  "application/vnd.kubernetes.protobuf",
];
const patchTypes = [
  "application/apply-patch+yaml",
  "application/json-patch+json",
  "application/merge-patch+json",
  "application/strategic-merge-patch+json",
];

function q(name: string, type: string, description: string): Json {
  return { name, in: "query", description, schema: { type, uniqueItems: true } };
}
function p(name: string, description: string): Json {
  return { name, in: "path", description, required: true, schema: { type: "string", uniqueItems: true } };
}

const param = {
  name: p("name", "Name of the object."),
  namespace: p("namespace", "Namespace of the objects."),
  path: p("path", "Path to forward to."),
  pretty: q("pretty", "string", "Indent the output when `true`."),
  dryRun: q("dryRun", "string", "When `All`, run every stage of the request but do not persist the result."),
  fieldManager: q("fieldManager", "string", "Name of the actor making the change, recorded in managedFields."),
  fieldValidation: q(
    "fieldValidation",
    "string",
    "What to do with unknown or duplicate fields in the body: `Ignore`, `Warn` (the default) or `Strict`.",
  ),
  force: q("force", "boolean", "For apply patches: take ownership of fields other managers own."),
  allowWatchBookmarks: q("allowWatchBookmarks", "boolean", "Ask for BOOKMARK events in a watch."),
  continue: q("continue", "string", "Token from a previous page to fetch the next one."),
  fieldSelector: q("fieldSelector", "string", "Restrict results by field values, e.g. `metadata.name=x`."),
  labelSelector: q("labelSelector", "string", "Restrict results by labels."),
  limit: q("limit", "integer", "Maximum number of items per page."),
  resourceVersion: q("resourceVersion", "string", "Which version of the store to read or watch from."),
  resourceVersionMatch: q("resourceVersionMatch", "string", "How resourceVersion is applied: `Exact` or `NotOlderThan`."),
  sendInitialEvents: q("sendInitialEvents", "boolean", "Start a watch with synthetic ADDED events for existing objects."),
  timeoutSeconds: q("timeoutSeconds", "integer", "End the list or watch after this many seconds."),
  watch: q("watch", "boolean", "Stream changes instead of returning a list."),
  gracePeriodSeconds: q("gracePeriodSeconds", "integer", "Seconds before the object is deleted; 0 deletes at once."),
  orphanDependents: q("orphanDependents", "boolean", "Deprecated: use propagationPolicy."),
  propagationPolicy: q("propagationPolicy", "string", "Garbage collection of dependents: `Orphan`, `Background` or `Foreground`."),
  container: q("container", "string", "Container to use; optional when the pod has one container."),
  follow: q("follow", "boolean", "Keep streaming the log."),
  previous: q("previous", "boolean", "Log of the previous, terminated container."),
  sinceSeconds: q("sinceSeconds", "integer", "Only lines newer than this many seconds."),
  tailLines: q("tailLines", "integer", "Only this many lines from the end."),
  timestamps: q("timestamps", "boolean", "Prefix each line with its timestamp."),
  limitBytes: q("limitBytes", "integer", "Stop after this many bytes."),
  command: q("command", "string", "Command to run; repeat for each argument."),
  stdin: q("stdin", "boolean", "Attach standard input."),
  stdout: q("stdout", "boolean", "Attach standard output."),
  stderr: q("stderr", "boolean", "Attach standard error."),
  tty: q("tty", "boolean", "Allocate a terminal."),
  ports: q("ports", "integer", "Ports to forward."),
};

const listParams = [
  param.allowWatchBookmarks,
  param.continue,
  param.fieldSelector,
  param.labelSelector,
  param.limit,
  param.resourceVersion,
  param.resourceVersionMatch,
  param.sendInitialEvents,
  param.timeoutSeconds,
  param.watch,
];
const writeParams = [param.dryRun, param.fieldManager, param.fieldValidation];
const deleteParams = [param.dryRun, param.gracePeriodSeconds, param.orphanDependents, param.propagationPolicy];

function content(types: string[], schema: Json): Json {
  return Object.fromEntries(types.map((t) => [t, { schema }]));
}
function ok(def: string, ...codes: string[]): Json {
  const out: Json = {};
  for (const c of codes) out[c] = { description: c === "200" ? "OK" : c === "201" ? "Created" : "Accepted", content: content(objectTypes, ref(def)) };
  out["401"] = { description: "Unauthorized" };
  return out;
}

/** Names used in operation ids and tags: `apps` → `Apps`, `networking.k8s.io` → `Networking`. */
function groupWord(group: string): string {
  const w = group === "" ? "core" : group.split(".")[0];
  return w[0].toUpperCase() + w.slice(1);
}

interface OpSpec {
  verb: string;
  action: string;
  description: string;
  gvk: Gvk;
  params?: Json[];
  body?: Json;
  responses: Json;
}

/** Maps resource model classes to definition names; supplied by the document builder. */
export type DefOf = (modelClass: string) => string;

/** The `paths` of a group-version: every path of every resource served in it. */
export function buildPaths(gv: string, rs: readonly ResourceInfo[], defOf: DefOf): Record<string, Json> {
  const paths: Record<string, Json> = {};
  const prefix = gv.includes("/") ? `/apis/${gv}` : `/api/${gv}`;
  paths[`${prefix}/`] = {
    get: {
      tags: [tag(rs[0])],
      description: "List the resources served in this group-version.",
      operationId: `get${opGroup(rs[0])}APIResources`,
      responses: ok(`${META}.APIResourceList`, "200"),
    },
  };
  for (const r of rs) addResource(paths, prefix, r, defOf);
  return paths;
}

function tag(r: ResourceInfo): string {
  return `${groupWord(r.group).toLowerCase()}_${r.version}`;
}
function opGroup(r: ResourceInfo): string {
  return `${groupWord(r.group)}${r.version[0].toUpperCase()}${r.version.slice(1)}`;
}

function addResource(paths: Record<string, Json>, prefix: string, r: ResourceInfo, defOf: DefOf): void {
  const gvk: Gvk = { group: r.group, version: r.version, kind: r.kind };
  const def = defOf(r.model);
  const has = (v: string): boolean => r.verbs.includes(v);
  const listDef = has("list") ? defOf(`${r.model}List`) : "";
  const ns = r.namespaced ? "Namespaced" : "";
  const base = r.namespaced ? `${prefix}/namespaces/{namespace}/${r.plural}` : `${prefix}/${r.plural}`;
  const watchBase = r.namespaced ? `${prefix}/watch/namespaces/{namespace}/${r.plural}` : `${prefix}/watch/${r.plural}`;
  const scope = r.namespaced ? [param.namespace, param.pretty] : [param.pretty];
  const itemScope = [param.name, ...scope];
  const id = (verb: string, sub = ""): string => `${verb}${opGroup(r)}${ns}${r.kind}${sub}`;
  const op = (s: OpSpec): Json => {
    const o: Json = { tags: [tag(r)], description: s.description, operationId: s.verb };
    if (s.params?.length) o.parameters = s.params;
    if (s.body) o.requestBody = s.body;
    o.responses = s.responses;
    o["x-kubernetes-action"] = s.action;
    o["x-kubernetes-group-version-kind"] = s.gvk;
    return o;
  };
  const body = (d: string): Json => ({ content: { "*/*": { schema: ref(d) } }, required: true });
  const patchBody: Json = { content: content(patchTypes, ref(`${META}.Patch`)), required: true };

  const collection: Json = { parameters: scope };
  if (has("list")) {
    collection.get = op({
      verb: id("list"),
      action: "list",
      description: `List ${r.kind} objects.`,
      gvk,
      params: listParams,
      responses: { "200": { description: "OK", content: content(watchTypes, ref(listDef)) }, "401": { description: "Unauthorized" } },
    });
  }
  if (has("create")) {
    collection.post = op({
      verb: id("create"),
      action: "post",
      description: `Create a ${r.kind}.`,
      gvk,
      params: writeParams,
      body: body(def),
      responses: ok(def, "200", "201", "202"),
    });
  }
  if (has("deletecollection")) {
    collection.delete = op({
      verb: id("deleteCollection"),
      action: "deletecollection",
      description: `Delete a collection of ${r.kind} objects.`,
      gvk,
      params: [...listParams.filter((x) => x !== param.watch), ...deleteParams],
      body: { content: { "*/*": { schema: ref(`${META}.DeleteOptions`) } } },
      responses: ok(`${META}.Status`, "200"),
    });
  }
  if (Object.keys(collection).length > 1) paths[base] = collection;

  const item: Json = { parameters: itemScope };
  if (has("get")) item.get = op({ verb: id("read"), action: "get", description: `Read one ${r.kind}.`, gvk, responses: ok(def, "200") });
  if (has("update")) {
    item.put = op({
      verb: id("replace"),
      action: "put",
      description: `Replace one ${r.kind}.`,
      gvk,
      params: writeParams,
      body: body(def),
      responses: ok(def, "200", "201"),
    });
  }
  if (has("patch")) {
    item.patch = op({
      verb: id("patch"),
      action: "patch",
      description: `Partially update one ${r.kind}.`,
      gvk,
      params: [...writeParams, param.force],
      body: patchBody,
      responses: ok(def, "200", "201"),
    });
  }
  if (has("delete")) {
    item.delete = op({
      verb: id("delete"),
      action: "delete",
      description: `Delete one ${r.kind}.`,
      gvk,
      params: deleteParams,
      body: { content: { "*/*": { schema: ref(`${META}.DeleteOptions`) } } },
      responses: ok(`${META}.Status`, "200", "202"),
    });
  }
  if (Object.keys(item).length > 1) paths[`${base}/{name}`] = item;

  if (has("watch")) {
    const watchResp = { "200": { description: "OK", content: content(watchTypes, ref(`${META}.WatchEvent`)) }, "401": { description: "Unauthorized" } };
    paths[watchBase] = {
      parameters: [...scope, ...listParams],
      get: op({ verb: id("watch", "List"), action: "watchlist", description: `Watch ${r.kind} objects. Deprecated: use the watch parameter of list.`, gvk, responses: watchResp }),
    };
    paths[`${watchBase}/{name}`] = {
      parameters: [...itemScope, ...listParams],
      get: op({ verb: id("watch"), action: "watch", description: `Watch one ${r.kind}. Deprecated: use the watch parameter of list with a field selector.`, gvk, responses: watchResp }),
    };
  }
  if (r.namespaced && has("list")) {
    const all = `${r.kind}ForAllNamespaces`;
    paths[`${prefix}/${r.plural}`] = {
      parameters: [...listParams, param.pretty],
      get: op({
        verb: `list${opGroup(r)}${all}`,
        action: "list",
        description: `List ${r.kind} objects across all namespaces.`,
        gvk,
        responses: { "200": { description: "OK", content: content(watchTypes, ref(listDef)) }, "401": { description: "Unauthorized" } },
      }),
    };
    if (has("watch")) {
      paths[`${prefix}/watch/${r.plural}`] = {
        parameters: [...listParams, param.pretty],
        get: op({
          verb: `watch${opGroup(r)}${all}`,
          action: "watchlist",
          description: `Watch ${r.kind} objects across all namespaces. Deprecated: use the watch parameter of list.`,
          gvk,
          responses: { "200": { description: "OK", content: content(watchTypes, ref(`${META}.WatchEvent`)) }, "401": { description: "Unauthorized" } },
        }),
      };
    }
  }

  for (const sub of r.subresources) addSubresource(paths, `${base}/{name}`, sub, r, { gvk, def, itemScope, op, id, body, patchBody, defOf });
}

interface SubCtx {
  gvk: Gvk;
  def: string;
  itemScope: Json[];
  op: (s: OpSpec) => Json;
  id: (verb: string, sub?: string) => string;
  body: (d: string) => Json;
  patchBody: Json;
  defOf: DefOf;
}

/** get/put/patch on a subresource holding `def`, under the kind `gvk`. */
function readWrite(c: SubCtx, kind: string, sub: string, def: string, gvk: Gvk, verbs = ["get", "put", "patch"]): Json {
  const item: Json = { parameters: c.itemScope };
  const what = `the ${sub.toLowerCase()} of one ${kind}`;
  if (verbs.includes("get")) item.get = c.op({ verb: c.id("read", sub), action: "get", description: `Read ${what}.`, gvk, responses: ok(def, "200") });
  if (verbs.includes("put")) {
    item.put = c.op({ verb: c.id("replace", sub), action: "put", description: `Replace ${what}.`, gvk, params: writeParams, body: c.body(def), responses: ok(def, "200", "201") });
  }
  if (verbs.includes("patch")) {
    item.patch = c.op({
      verb: c.id("patch", sub),
      action: "patch",
      description: `Partially update ${what}.`,
      gvk,
      params: [...writeParams, param.force],
      body: c.patchBody,
      responses: ok(def, "200", "201"),
    });
  }
  return item;
}

function connect(c: SubCtx, sub: string, optionsKind: string, methods: string[], params: Json[], extraPath: Json[] = []): Json {
  const item: Json = { parameters: [...c.itemScope.filter((x) => x !== param.pretty), ...extraPath, ...params] };
  const gvk: Gvk = { group: "", version: "v1", kind: optionsKind };
  for (const m of methods) {
    const verb = `connect${m[0].toUpperCase()}${m.slice(1)}`;
    item[m] = c.op({
      verb: c.id(verb, sub),
      action: "connect",
      description: `Connect ${m.toUpperCase()} requests to ${sub.toLowerCase()} of ${c.gvk.kind}.`,
      gvk,
      responses: { "200": { description: "OK", content: { "*/*": { schema: { type: "string" } } } }, "401": { description: "Unauthorized" } },
    });
  }
  return item;
}

function addSubresource(paths: Record<string, Json>, item: string, sub: string, r: ResourceInfo, c: SubCtx): void {
  const kind = r.kind;
  const proxyMethods = ["delete", "get", "head", "options", "patch", "post", "put"];
  switch (sub) {
    case "status":
      paths[`${item}/status`] = readWrite(c, kind, "Status", c.def, c.gvk);
      return;
    case "scale":
      paths[`${item}/scale`] = readWrite(c, kind, "Scale", "io.k8s.api.autoscaling.v1.Scale", { group: "autoscaling", version: "v1", kind: "Scale" });
      return;
    case "ephemeralcontainers":
      paths[`${item}/ephemeralcontainers`] = readWrite(c, kind, "EphemeralContainers", c.def, c.gvk);
      return;
    case "approval":
      paths[`${item}/approval`] = readWrite(c, kind, "Approval", c.def, c.gvk);
      return;
    case "finalize": {
      const put = readWrite(c, kind, "Finalize", c.def, c.gvk, ["put"]);
      paths[`${item}/finalize`] = put;
      return;
    }
    case "binding":
    case "eviction":
    case "token": {
      const target =
        sub === "binding"
          ? { def: c.defOf("V1Binding"), gvk: { group: "", version: "v1", kind: "Binding" } }
          : sub === "eviction"
            ? { def: "io.k8s.api.policy.v1.Eviction", gvk: { group: "policy", version: "v1", kind: "Eviction" } }
            : { def: "io.k8s.api.authentication.v1.TokenRequest", gvk: { group: "authentication.k8s.io", version: "v1", kind: "TokenRequest" } };
      const word = sub[0].toUpperCase() + sub.slice(1);
      paths[`${item}/${sub}`] = {
        parameters: c.itemScope,
        post: c.op({
          verb: c.id("create", word),
          action: "post",
          description: `Create a ${target.gvk.kind} for one ${kind}.`,
          gvk: target.gvk,
          params: writeParams,
          body: c.body(target.def),
          responses: ok(target.def, "200", "201", "202"),
        }),
      };
      return;
    }
    case "log":
      paths[`${item}/log`] = {
        parameters: [
          ...c.itemScope,
          param.container,
          param.follow,
          param.limitBytes,
          param.previous,
          param.sinceSeconds,
          param.tailLines,
          param.timestamps,
        ],
        get: c.op({
          verb: c.id("read", "Log"),
          action: "get",
          description: `Read the log of a container of one ${kind}.`,
          gvk: c.gvk,
          responses: { "200": { description: "OK", content: { "text/plain": { schema: { type: "string" } } } }, "401": { description: "Unauthorized" } },
        }),
      };
      return;
    case "exec":
      paths[`${item}/exec`] = connect(c, "Exec", "PodExecOptions", ["get", "post"], [
        param.command,
        param.container,
        param.stderr,
        param.stdin,
        param.stdout,
        param.tty,
      ]);
      return;
    case "attach":
      paths[`${item}/attach`] = connect(c, "Attach", "PodAttachOptions", ["get", "post"], [
        param.container,
        param.stderr,
        param.stdin,
        param.stdout,
        param.tty,
      ]);
      return;
    case "portforward":
      paths[`${item}/portforward`] = connect(c, "Portforward", "PodPortForwardOptions", ["get", "post"], [param.ports]);
      return;
    case "proxy": {
      const options = `${kind}ProxyOptions`;
      paths[`${item}/proxy`] = connect(c, "Proxy", options, proxyMethods, []);
      paths[`${item}/proxy/{path}`] = connect(c, "ProxyWithPath", options, proxyMethods, [], [param.path]);
      return;
    }
  }
}
