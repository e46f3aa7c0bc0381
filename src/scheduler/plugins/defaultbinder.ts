/**
 * DefaultBinder: binds through the `binder` the wiring supplies in the
 * framework handle (which POSTs pods/binding). Without a binder it returns
 * an Error status.
 */
import type { KObject } from "../../api/types.ts";
import type { Framework } from "../framework/framework.ts";
import type { BindPlugin } from "../framework/interface.ts";
import { Code, newStatus } from "../framework/status.ts";
import { Names } from "./names.ts";

export function newDefaultBinder(_args: unknown, handle: Framework): BindPlugin {
  return {
    name: Names.DefaultBinder,
    async bind(_state, pod: KObject, nodeName: string) {
      if (!handle.handle.binder) return newStatus(Code.Error, "no binder configured");
      await handle.handle.binder(pod, nodeName);
      return undefined;
    },
  } satisfies BindPlugin;
}
