/** Built-in plugin names, as upstream spells them (used in profiles and statuses). */
export const Names = {
  PrioritySort: "PrioritySort",
  SchedulingGates: "SchedulingGates",
  NodeName: "NodeName",
  NodeUnschedulable: "NodeUnschedulable",
  NodePorts: "NodePorts",
  NodeResourcesFit: "NodeResourcesFit",
  NodeResourcesBalancedAllocation: "NodeResourcesBalancedAllocation",
  TaintToleration: "TaintToleration",
  NodeAffinity: "NodeAffinity",
  InterPodAffinity: "InterPodAffinity",
  PodTopologySpread: "PodTopologySpread",
  ImageLocality: "ImageLocality",
  DefaultPreemption: "DefaultPreemption",
  DefaultBinder: "DefaultBinder",
} as const;
