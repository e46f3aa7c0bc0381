/**
 * Strategic-merge-patch metadata of the built-in kinds and a resolver for the
 * declared type of any model field.
 *
 * `patchMeta` restates the `patchStrategy` / `patchMergeKey` struct tags of the
 * upstream k8s.io/api types (the same facts the OpenAPI document publishes as
 * `x-kubernetes-patch-strategy` / `x-kubernetes-patch-merge-key`), keyed by the
 * @kubernetes/client-node model class name and the JSON field name. A field
 * absent from the table has no strategy: lists are replaced (atomic) and maps
 * are merged key by key.
 *
 * `fieldType` reads `src/api/modeltypes.json`, a compact copy of every client
 * model's `attributeTypeMap` produced by `scripts/gen-modeltypes.ts`. Importing
 * @kubernetes/client-node itself costs ~0.7 s, the JSON ~2 ms, so the table is
 * loaded synchronously on first use.
 */
import { readFileSync } from "node:fs";

/** One field's strategic-merge behaviour, as in upstream struct tags. */
export interface FieldPatchMeta {
  strategy: "merge" | "replace" | "retainKeys" | "merge,retainKeys";
  /** For lists of objects merged by key: the key field (e.g. `name`). Absent for primitive lists. */
  mergeKey?: string;
}

const merge = (mergeKey?: string): FieldPatchMeta => (mergeKey ? { strategy: "merge", mergeKey } : { strategy: "merge" });
const mergeRetain = (mergeKey: string): FieldPatchMeta => ({ strategy: "merge,retainKeys", mergeKey });
const byType = merge("type");

/** Container-like structs (Container, EphemeralContainer) share their list tags. */
const containerLists: Record<string, FieldPatchMeta> = {
  ports: merge("containerPort"),
  env: merge("name"),
  volumeMounts: merge("mountPath"),
  volumeDevices: merge("devicePath"),
};

/**
 * Patch metadata by client model class, then JSON field name. Covers the kinds
 * tskube serves (core/v1, apps/v1, batch/v1, networking, policy, discovery,
 * coordination, autoscaling, storage, scheduling, events) and the structs they
 * embed; kinds whose upstream types carry no tags have no entry.
 */
export const patchMeta: Record<string, Record<string, FieldPatchMeta>> = {
  // meta/v1
  V1ObjectMeta: { finalizers: merge(), ownerReferences: merge("uid") },

  // core/v1 Pod and its templates
  V1PodSpec: {
    volumes: mergeRetain("name"),
    initContainers: merge("name"),
    containers: merge("name"),
    ephemeralContainers: merge("name"),
    imagePullSecrets: merge("name"),
    hostAliases: merge("ip"),
    topologySpreadConstraints: merge("topologyKey"),
    schedulingGates: merge("name"),
    resourceClaims: mergeRetain("name"),
  },
  V1Container: containerLists,
  V1EphemeralContainer: containerLists,
  V1PodStatus: {
    conditions: byType,
    podIPs: merge("ip"),
    hostIPs: merge("ip"),
    resourceClaimStatuses: mergeRetain("name"),
  },
  V1ContainerStatus: { allocatedResourcesStatus: merge("name") },

  // core/v1 other kinds
  V1ServiceSpec: { ports: merge("port") },
  V1ServiceStatus: { conditions: byType },
  V1ServiceAccount: { secrets: merge("name") },
  V1NodeSpec: { podCIDRs: merge() },
  V1NodeStatus: { conditions: byType, addresses: byType },
  V1NamespaceStatus: { conditions: byType },
  V1PersistentVolumeClaimStatus: { conditions: byType },
  V1ReplicationControllerStatus: { conditions: byType },

  // apps/v1
  V1DeploymentSpec: { strategy: { strategy: "retainKeys" } },
  V1DeploymentStatus: { conditions: byType },
  V1ReplicaSetStatus: { conditions: byType },
  V1StatefulSetStatus: { conditions: byType },
  V1DaemonSetStatus: { conditions: byType },

  // batch/v1
  V1JobStatus: { conditions: byType },

  // policy/v1
  V1PodDisruptionBudgetStatus: { conditions: byType },

  // autoscaling/v2
  V2HorizontalPodAutoscalerStatus: { conditions: byType },
};

/** The strategic-merge metadata of `model.field`, if upstream declares any. */
export function fieldPatchMeta(model: string, field: string): FieldPatchMeta | undefined {
  return patchMeta[model]?.[field];
}

let modelTypes: Record<string, Record<string, string>> | undefined;

function types(): Record<string, Record<string, string>> {
  if (!modelTypes) {
    const text = readFileSync(new URL("./modeltypes.json", import.meta.url), "utf8");
    modelTypes = JSON.parse(text) as Record<string, Record<string, string>>;
  }
  return modelTypes;
}

/** True when `model` is a known client model class (e.g. `V1Pod`). */
export function isModel(model: string): boolean {
  return Object.hasOwn(types(), model);
}

/**
 * The declared client type of `model`'s JSON field `field`, spelled as the
 * client library spells it: `V1Container`, `Array<V1Container>`,
 * `{ [key: string]: string; }`, `string`, `number`, `boolean`, `Date`,
 * `IntOrString`, `any`, ... Undefined for an unknown model or field.
 */
export function fieldType(model: string, field: string): string | undefined {
  const fields = types()[model];
  if (!fields || !Object.hasOwn(fields, field)) return undefined;
  return fields[field];
}

/**
 * The model class inside a field type, looking through one `Array<...>` or
 * `{ [key: string]: ...; }` wrapper: `Array<V1Container>` → `V1Container`.
 * Undefined for primitives and free-form values.
 */
export function elementModel(type: string | undefined): string | undefined {
  if (!type) return undefined;
  let inner = type.trim();
  const arr = /^Array<(.+)>$/.exec(inner);
  if (arr) inner = arr[1].trim();
  const map = /^\{ \[key: string\]: (.+); \}$/.exec(inner);
  if (map) inner = map[1].trim();
  return isModel(inner) ? inner : undefined;
}
