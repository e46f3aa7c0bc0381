/**
 * Runs one exported async function of a module on a short-lived worker
 * thread and returns its (structured-clonable) result. For heavy one-off work
 * whose libraries should not stay loaded in a long-running process: the
 * worker's isolate, with every module it loaded, is freed when it exits
 * (the X.509 stack costs ~20 MB resident once loaded).
 */
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";

const MARK = "tskubeIsolatedJob";

interface Job {
  moduleUrl: string;
  exportName: string;
  args: unknown[];
}

/** Calls `exportName(...args)` of the module at `moduleUrl` (pass the caller's import.meta.url) on a worker thread. */
export function runIsolated<T>(moduleUrl: string, exportName: string, args: unknown[]): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const job: Job = { moduleUrl, exportName, args };
    const w = new Worker(new URL(import.meta.url), { workerData: { [MARK]: job } });
    let settled = false;
    w.once("message", (m: { ok: true; value: T } | { ok: false; error: string }) => {
      settled = true;
      if (m.ok) resolve(m.value);
      else reject(new Error(m.error));
    });
    w.once("error", (err) => {
      settled = true;
      reject(err);
    });
    w.once("exit", (code) => {
      if (!settled) reject(new Error(`isolated ${exportName} exited with code ${code} without a result`));
    });
  });
}

async function runJob(job: Job): Promise<void> {
  try {
    const mod = await import(job.moduleUrl);
    const value = await mod[job.exportName](...job.args);
    parentPort!.postMessage({ ok: true, value });
  } catch (err) {
    parentPort!.postMessage({ ok: false, error: String((err as Error)?.message ?? err) });
  }
}

const mine = isMainThread ? undefined : (workerData as Record<string, Job> | undefined)?.[MARK];
if (mine) void runJob(mine);
