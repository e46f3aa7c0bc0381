/**
 * Checks every served OpenAPI v3 document: references resolve, served kinds
 * carry their GVK, PATCH operations accept fieldValidation, and the shapes
 * kubectl explain walks (deployment.spec.strategy, pod.spec.containers) are there.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { groupVersion, resources } from "../../api/resources.ts";
import { readFileSync } from "node:fs";
import { definitionName, openapiDocument, openapiRoot } from "./index.ts";
import { defaults, docs, enums } from "./overlay.ts";

type Json = Record<string, any>;

function doc(path: string): Json {
  const d = openapiDocument(path);
  assert.ok(d, `no document for ${path}`);
  return JSON.parse(d.json) as Json;
}

function docPathOf(gv: string): string {
  return gv.includes("/") ? `apis/${gv}` : `api/${gv}`;
}

function walkRefs(value: unknown, visit: (ref: string) => void): void {
  if (Array.isArray(value)) value.forEach((v) => walkRefs(v, visit));
  else if (value && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) {
      if (k === "$ref") visit(v as string);
      else walkRefs(v, visit);
    }
  }
}

/** Follows a property's `$ref` (direct or inside allOf) to its schema. */
function deref(d: Json, s: Json): Json {
  const r: string | undefined = s.$ref ?? s.allOf?.[0]?.$ref;
  return r ? d.components.schemas[r.replace("#/components/schemas/", "")] : s;
}

const gvs = [...new Set(resources.map(groupVersion))];

test("discovery document lists every served group-version with its hash", () => {
  const root = openapiRoot() as { paths: Record<string, { serverRelativeURL: string }> };
  assert.deepEqual(Object.keys(root.paths).sort(), gvs.map(docPathOf).sort());
  for (const [p, v] of Object.entries(root.paths)) {
    assert.equal(v.serverRelativeURL, `/openapi/v3/${p}?hash=${openapiDocument(p)!.etag}`);
    assert.match(openapiDocument(p)!.etag, /^[0-9A-F]{128}$/);
  }
  assert.equal(openapiRoot(), root, "root is cached");
});

test("documents are cached, tolerate prefixes and reject unknown paths", () => {
  assert.equal(openapiDocument("apis/apps/v1"), openapiDocument("/openapi/v3/apis/apps/v1"));
  assert.equal(openapiDocument("apis/apps/v2"), undefined);
  assert.equal(openapiDocument("api/v2"), undefined);
  const d = doc("api/v1");
  assert.equal(d.openapi, "3.0.0");
  assert.deepEqual(d.info, { title: "Kubernetes", version: "v1.31.4" });
});

for (const gv of gvs) {
  test(`${gv}: every $ref resolves, kinds carry GVKs, PATCH ops take fieldValidation`, () => {
    const d = doc(docPathOf(gv));
    const schemas = d.components.schemas as Record<string, Json>;
    walkRefs(d, (ref) => {
      assert.ok(ref.startsWith("#/components/schemas/"), ref);
      assert.ok(schemas[ref.slice("#/components/schemas/".length)], `dangling ${ref}`);
    });
    for (const r of resources.filter((x) => groupVersion(x) === gv)) {
      const s = schemas[definitionName(r.model)];
      assert.ok(s, `no schema for ${r.kind}`);
      assert.ok(s.description, `${r.kind} has no description`);
      assert.ok(
        (s["x-kubernetes-group-version-kind"] as Json[]).some((g) => g.group === r.group && g.version === r.version && g.kind === r.kind),
        `${r.kind} lacks its GVK`,
      );
    }
    let patches = 0;
    for (const [path, item] of Object.entries(d.paths as Record<string, Json>)) {
      if (path.endsWith("/")) continue; // the group-version's resource list has no action or kind
      for (const method of ["get", "put", "post", "patch", "delete"]) {
        const op = item[method];
        if (!op) continue;
        assert.ok(op["x-kubernetes-action"], `${method} ${path} lacks an action`);
        assert.ok(op["x-kubernetes-group-version-kind"], `${method} ${path} lacks a GVK`);
        if (op["x-kubernetes-action"] === "connect") continue;
        if (method === "patch" || method === "put" || method === "post") {
          const names = (op.parameters as Json[]).filter((p) => p.in === "query").map((p) => p.name);
          for (const n of ["fieldValidation", "dryRun", "fieldManager"]) assert.ok(names.includes(n), `${method} ${path} lacks ${n}`);
          if (method === "patch") {
            patches++;
            assert.ok(names.includes("force"));
            assert.ok(op.requestBody.content["application/strategic-merge-patch+json"]);
          }
        }
      }
    }
    assert.ok(patches > 0);
  });
}

test("deployment.spec.strategy and pod.spec.containers resolve as kubectl explain walks them", () => {
  const apps = doc("apis/apps/v1");
  const dep = apps.components.schemas["io.k8s.api.apps.v1.Deployment"];
  assert.deepEqual(dep["x-kubernetes-group-version-kind"], [{ group: "apps", kind: "Deployment", version: "v1" }]);
  const spec = deref(apps, dep.properties.spec);
  const strategy = deref(apps, spec.properties.strategy);
  assert.deepEqual(strategy.properties.type.enum, ["Recreate", "RollingUpdate"]);
  const rolling = deref(apps, strategy.properties.rollingUpdate);
  assert.equal(rolling.properties.maxSurge.allOf[0].$ref, "#/components/schemas/io.k8s.apimachinery.pkg.util.intstr.IntOrString");
  assert.deepEqual(apps.components.schemas["io.k8s.apimachinery.pkg.util.intstr.IntOrString"], {
    description: "Either an integer or a string, e.g. `3` or `25%`.",
    type: "string",
    format: "int-or-string",
  });
  assert.ok(spec.required.includes("selector") && spec.required.includes("template"));

  const core = doc("api/v1");
  const podSpec = deref(core, core.components.schemas["io.k8s.api.core.v1.Pod"].properties.spec);
  assert.equal(podSpec.properties.containers.type, "array");
  assert.equal(podSpec.properties.containers["x-kubernetes-patch-strategy"], "merge");
  assert.equal(podSpec.properties.containers["x-kubernetes-patch-merge-key"], "name");
  const container = deref(core, podSpec.properties.containers.items);
  assert.ok(container.required.includes("name"));
  assert.equal(container.properties.image.type, "string");
  const res = deref(core, container.properties.resources);
  assert.equal(res.properties.limits.additionalProperties.$ref, "#/components/schemas/io.k8s.apimachinery.pkg.api.resource.Quantity");
  const meta = core.components.schemas["io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"];
  assert.equal(meta.properties.creationTimestamp.allOf[0].$ref, "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.Time");
  assert.deepEqual(core.components.schemas["io.k8s.apimachinery.pkg.apis.meta.v1.Time"].format, "date-time");
});

test("model classes map to upstream definition names", () => {
  const cases: Record<string, string> = {
    V1Container: "io.k8s.api.core.v1.Container",
    V1ObjectMeta: "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta",
    V1LabelSelector: "io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector",
    V1DeploymentSpec: "io.k8s.api.apps.v1.DeploymentSpec",
    V1PodTemplateSpec: "io.k8s.api.core.v1.PodTemplateSpec",
    CoreV1EndpointPort: "io.k8s.api.core.v1.EndpointPort",
    DiscoveryV1EndpointPort: "io.k8s.api.discovery.v1.EndpointPort",
    CoreV1Event: "io.k8s.api.core.v1.Event",
    EventsV1Event: "io.k8s.api.events.v1.Event",
    V2HorizontalPodAutoscaler: "io.k8s.api.autoscaling.v2.HorizontalPodAutoscaler",
    V1HorizontalPodAutoscaler: "io.k8s.api.autoscaling.v1.HorizontalPodAutoscaler",
    V1TopologySelectorTerm: "io.k8s.api.core.v1.TopologySelectorTerm",
    V1TypedLocalObjectReference: "io.k8s.api.core.v1.TypedLocalObjectReference",
    V1Condition: "io.k8s.apimachinery.pkg.apis.meta.v1.Condition",
  };
  for (const [cls, def] of Object.entries(cases)) assert.equal(definitionName(cls), def, cls);
});

test("scale and shared meta types carry GVKs; HPA documents differ by version", () => {
  const apps = doc("apis/apps/v1");
  const scale = apps.paths["/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale"];
  assert.deepEqual(scale.patch["x-kubernetes-group-version-kind"], { group: "autoscaling", version: "v1", kind: "Scale" });
  const del = apps.components.schemas["io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions"];
  assert.ok(del["x-kubernetes-group-version-kind"].some((g: Json) => g.group === "apps" && g.version === "v1"));
  const v1 = doc("apis/autoscaling/v1").components.schemas;
  assert.ok(v1["io.k8s.api.autoscaling.v1.HorizontalPodAutoscalerSpec"].properties.targetCPUUtilizationPercentage);
  const v2 = doc("apis/autoscaling/v2").components.schemas;
  assert.ok(v2["io.k8s.api.autoscaling.v2.HorizontalPodAutoscalerSpec"].properties.metrics);
});

test("every overlay entry names an existing definition and field", () => {
  const schemas = (JSON.parse(readFileSync(new URL("./schemas.json", import.meta.url), "utf8")) as Json).schemas as Record<string, Json>;
  const check = (def: string, field: string): void => {
    assert.ok(schemas[def], `overlay names unknown definition ${def}`);
    if (field) assert.ok(schemas[def].properties?.[field], `overlay names unknown field ${def}#${field}`);
  };
  for (const [def, fields] of Object.entries(docs)) for (const field of Object.keys(fields)) check(def, field);
  for (const key of [...Object.keys(enums), ...Object.keys(defaults)]) check(...(key.split("#") as [string, string]));
});
