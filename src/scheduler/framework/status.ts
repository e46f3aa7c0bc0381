/**
 * Scheduler framework Status: the result of running one plugin at one
 * extension point. A null/undefined status means Success everywhere it is
 * accepted, mirroring upstream's nil *Status.
 */

/**
 * Status codes (upstream framework.Code):
 * - Success: the plugin ran and the pod may continue.
 * - Error: an internal error; the pod is retried with back-off.
 * - Unschedulable: the pod does not fit this node now; preemption may help.
 * - UnschedulableAndUnresolvable: the pod cannot fit; preemption will not help.
 * - Wait: a Permit plugin asks the pod to wait (not used by built-in plugins).
 * - Skip: PreFilter/PreScore: the plugin has nothing to do for this pod and
 *   its Filter/Score is skipped for this cycle.
 */
export const Code = {
  Success: "Success",
  Error: "Error",
  Unschedulable: "Unschedulable",
  UnschedulableAndUnresolvable: "UnschedulableAndUnresolvable",
  Wait: "Wait",
  Skip: "Skip",
} as const;
export type Code = (typeof Code)[keyof typeof Code];

/** Immutable-by-convention plugin result with reasons and the failing plugin's name. */
export class Status {
  readonly code: Code;
  readonly reasons: string[];
  /** The plugin that produced the status (set by the framework runner). */
  plugin: string;
  readonly err?: Error;

  constructor(code: Code, reasons: string[] = [], plugin = "", err?: Error) {
    this.code = code;
    this.reasons = reasons;
    this.plugin = plugin;
    this.err = err;
  }

  /** Reasons joined by ", " (upstream Status.Message()). */
  message(): string {
    return this.reasons.join(", ");
  }

  isSuccess(): boolean {
    return this.code === Code.Success;
  }

  isSkip(): boolean {
    return this.code === Code.Skip;
  }

  /** True for Unschedulable and UnschedulableAndUnresolvable. */
  isRejected(): boolean {
    return this.code === Code.Unschedulable || this.code === Code.UnschedulableAndUnresolvable;
  }

  withPlugin(plugin: string): this {
    this.plugin = plugin;
    return this;
  }
}

/** A status value where undefined stands for Success. */
export type MaybeStatus = Status | undefined | null;

export function newStatus(code: Code, ...reasons: string[]): Status {
  return new Status(code, reasons);
}

/** An Error status wrapping `err`; its message is the error's message. */
export function asStatus(err: unknown): Status {
  const e = err instanceof Error ? err : new Error(String(err));
  return new Status(Code.Error, [e.message], "", e);
}

/** True when `s` is absent or Success. */
export function isSuccess(s: MaybeStatus): boolean {
  return !s || s.code === Code.Success;
}

/** The code of `s`, Success for undefined. */
export function codeOf(s: MaybeStatus): Code {
  return s ? s.code : Code.Success;
}
