/**
 * Container lifecycle hooks (postStart, preStop) as upstream's handler
 * runner executes them: exec in the container, an HTTP GET against the pod,
 * or sleep. Failures throw an Error with upstream's message.
 */
import type { ContainerSpec, ExecInContainer, Pod } from "../types.ts";
import { runHttpGet } from "./handlers.ts";

/** upstream format.Pod: name_namespace(uid). */
function formatPod(pod: Pod): string {
  return `${pod.metadata?.name}_${pod.metadata?.namespace}(${pod.metadata?.uid})`;
}

/** Exec hooks have no probe timeout upstream; bound them anyway. */
const EXEC_HOOK_TIMEOUT_SECONDS = 2 * 60;

/**
 * Runs one lifecycle handler. Resolves when it succeeded; rejects with
 * `Exec lifecycle hook ([cmd]) for Container "c" in Pod "p_ns(uid)" failed - error: ..., message: "..."`
 * or `HTTP lifecycle hook (path) for Container ... failed - error: ...`.
 */
export async function runLifecycleHandler(
  handler: any,
  pod: Pod,
  container: ContainerSpec,
  containerId: string,
  podIP: string,
  exec: ExecInContainer,
): Promise<void> {
  if (handler?.exec) {
    const cmd: string[] = handler.exec.command ?? [];
    let error: string | undefined;
    let output = "";
    try {
      const r = await exec(containerId, cmd, EXEC_HOOK_TIMEOUT_SECONDS);
      output = r.stdout + r.stderr;
      if (r.exitCode !== 0) error = `command '${cmd.join(" ")}' exited with ${r.exitCode}: ${r.stderr}`;
    } catch (err) {
      error = (err as any).details ?? (err as Error).message;
    }
    if (error !== undefined) {
      throw new Error(`Exec lifecycle hook ([${cmd.join(" ")}]) for Container "${container.name}" in Pod "${formatPod(pod)}" failed - error: ${error}, message: ${JSON.stringify(output)}`);
    }
    return;
  }
  if (handler?.httpGet) {
    const r = await runHttpGet(handler.httpGet, container, podIP, 10, "kube-lifecycle/1.31");
    // upstream ignores the status code of hook responses: only transport errors fail
    if (r.result !== "success" && !r.output.startsWith("HTTP probe failed with statuscode")) {
      throw new Error(`HTTP lifecycle hook (${handler.httpGet.path ?? ""}) for Container "${container.name}" in Pod "${formatPod(pod)}" failed - error: ${r.output}`);
    }
    return;
  }
  if (handler?.sleep) {
    const s = Number(handler.sleep.seconds ?? 0);
    if (s > 0) await new Promise((r) => setTimeout(r, s * 1000));
    return;
  }
  if (handler?.tcpSocket) throw new Error(`TCP lifecycle hook for Container "${container.name}" in Pod "${formatPod(pod)}" failed - error: tcpSocket is not supported in lifecycle hooks`);
  throw new Error(`Cannot run handler: invalid handler: ${JSON.stringify(handler)}`);
}
