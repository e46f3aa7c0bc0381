/**
 * Structured logging: one JSON object per line on stderr with time, level,
 * component and message plus key/value fields. `TSKUBE_LOG=debug|info|warn|error`
 * sets the threshold (default info).
 */

type Level = "debug" | "info" | "warn" | "error";

const order: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

function threshold(): number {
  const v = (process.env.TSKUBE_LOG ?? "info") as Level;
  return order[v] ?? order.info;
}

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  /** A logger whose lines carry `component`. */
  child(component: string): Logger;
}

function make(component: string): Logger {
  const min = threshold();
  const emit = (level: Level, msg: string, fields?: Record<string, unknown>): void => {
    if (order[level] < min) return;
    process.stderr.write(JSON.stringify({ ts: new Date().toISOString(), level, component, msg, ...fields }) + "\n");
  };
  return {
    debug: (m, f) => emit("debug", m, f),
    info: (m, f) => emit("info", m, f),
    warn: (m, f) => emit("warn", m, f),
    error: (m, f) => emit("error", m, f),
    child: (c) => make(c),
  };
}

/** The process-wide logger (component "tskube"). */
export const log: Logger = make("tskube");
