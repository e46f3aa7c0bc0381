/**
 * Request info: turns an API path plus HTTP method into the group, version,
 * namespace, resource, name, subresource and verb it addresses (upstream's
 * RequestInfoFactory), so handlers never parse URLs themselves.
 */

export interface RequestInfo {
  /** True for /api/... and /apis/... resource paths (false for /version, /healthz...). */
  isResourceRequest: boolean;
  path: string;
  /** "api" or "apis". */
  prefix: string;
  group: string;
  version: string;
  namespace: string;
  resource: string;
  name: string;
  subresource: string;
  /** get, list, watch, create, update, patch, delete, deletecollection, or the lower-case method for non-resource paths. */
  verb: string;
  /** Path segments after the subresource (e.g. nodes/proxy/<path>). */
  rest: string[];
}

const namespaceSubresources = new Set(["status", "finalize"]);

const methodVerbs: Record<string, string> = {
  POST: "create",
  GET: "get",
  HEAD: "get",
  PUT: "update",
  PATCH: "patch",
  DELETE: "delete",
};

/**
 * Parses `path` (without query) for `method`. `watch` is the value of the
 * `watch` query parameter (a GET list with watch=true/1 becomes verb watch).
 */
export function parseRequestInfo(method: string, path: string, watchParam: string | null): RequestInfo {
  const info: RequestInfo = {
    isResourceRequest: false,
    path,
    prefix: "",
    group: "",
    version: "",
    namespace: "",
    resource: "",
    name: "",
    subresource: "",
    verb: method.toLowerCase(),
    rest: [],
  };
  const parts = path.split("/").filter((p) => p !== "");
  if (parts.length === 0 || (parts[0] !== "api" && parts[0] !== "apis")) return info;
  info.prefix = parts[0];
  let i = 1;
  if (info.prefix === "apis") {
    if (parts.length < 3) return info;
    info.group = parts[1];
    info.version = parts[2];
    i = 3;
  } else {
    if (parts.length < 2) return info;
    info.version = parts[1];
    i = 2;
  }
  if (i >= parts.length) return info;
  info.isResourceRequest = true;
  let verb = methodVerbs[method] ?? method.toLowerCase();
  let seg = parts.slice(i).map(decodeURIComponent);
  if (seg[0] === "watch") {
    verb = "watch";
    seg = seg.slice(1);
  }
  if (seg[0] === "namespaces" && seg.length > 1) {
    info.namespace = seg[1];
    if (seg.length > 2 && !namespaceSubresources.has(seg[2])) seg = seg.slice(2);
  }
  if (seg.length > 0) info.resource = seg[0];
  if (seg.length > 1) info.name = seg[1];
  if (seg.length > 2) info.subresource = seg[2];
  if (seg.length > 3) info.rest = seg.slice(3);
  if (info.resource === "namespaces") info.namespace = "";
  if (!info.name) {
    if (verb === "get") verb = watchParam === "true" || watchParam === "1" ? "watch" : "list";
    else if (verb === "delete") verb = "deletecollection";
  }
  info.verb = verb;
  return info;
}
