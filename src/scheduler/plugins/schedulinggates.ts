/**
 * SchedulingGates: PreEnqueue keeps pods with spec.schedulingGates out of
 * the active queue (UnschedulableAndUnresolvable) until the gates are removed.
 */
import type { KObject } from "../../api/types.ts";
import type { PreEnqueuePlugin } from "../framework/interface.ts";
import { Code, newStatus } from "../framework/status.ts";
import { Names } from "./names.ts";

export function newSchedulingGates(): PreEnqueuePlugin {
  return {
    name: Names.SchedulingGates,
    preEnqueue(pod: KObject) {
      const gates: { name: string }[] = pod.spec?.schedulingGates ?? [];
      if (gates.length === 0) return undefined;
      return newStatus(Code.UnschedulableAndUnresolvable, `waiting for scheduling gates: [${gates.map((g) => g.name).join(" ")}]`);
    },
  } satisfies PreEnqueuePlugin;
}
