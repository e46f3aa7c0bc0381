/** The in-tree plugin registry: plugin name -> factory. */
import type { Registry } from "../framework/framework.ts";
import { newBalancedAllocation } from "./balancedallocation.ts";
import { newDefaultBinder } from "./defaultbinder.ts";
import { newDefaultPreemption } from "./defaultpreemption.ts";
import { newImageLocality } from "./imagelocality.ts";
import { newInterPodAffinity } from "./interpodaffinity.ts";
import { Names } from "./names.ts";
import { newNodeAffinity } from "./nodeaffinity.ts";
import { newNodeName } from "./nodename.ts";
import { newNodePorts } from "./nodeports.ts";
import { newNodeResourcesFit } from "./noderesources_fit.ts";
import { newNodeUnschedulable } from "./nodeunschedulable.ts";
import { newPodTopologySpread } from "./podtopologyspread.ts";
import { newPrioritySort } from "./queuesort.ts";
import { newSchedulingGates } from "./schedulinggates.ts";
import { newTaintToleration } from "./tainttoleration.ts";

export const inTreeRegistry: Registry = {
  [Names.PrioritySort]: newPrioritySort,
  [Names.SchedulingGates]: newSchedulingGates,
  [Names.NodeName]: newNodeName,
  [Names.NodeUnschedulable]: newNodeUnschedulable,
  [Names.NodePorts]: newNodePorts,
  [Names.NodeResourcesFit]: newNodeResourcesFit,
  [Names.NodeResourcesBalancedAllocation]: newBalancedAllocation,
  [Names.TaintToleration]: newTaintToleration,
  [Names.NodeAffinity]: newNodeAffinity,
  [Names.InterPodAffinity]: newInterPodAffinity,
  [Names.PodTopologySpread]: newPodTopologySpread,
  [Names.ImageLocality]: newImageLocality,
  [Names.DefaultPreemption]: newDefaultPreemption,
  [Names.DefaultBinder]: newDefaultBinder,
};

/** Upstream default plugins this core does not implement (volume and DRA plugins); ignored when configured. */
export const UNIMPLEMENTED_UPSTREAM_PLUGINS = new Set(["VolumeRestrictions", "NodeVolumeLimits", "VolumeBinding", "VolumeZone", "DynamicResources"]);
