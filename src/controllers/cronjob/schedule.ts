/**
 * Cron schedules as CronJobs use them (robfig/cron's standard parser): five
 * fields (minute hour day-of-month month day-of-week) with `*`, `?`, lists,
 * ranges, steps and month/day names, plus @yearly/@annually, @monthly,
 * @weekly, @daily/@midnight and @hourly. When both day fields are restricted
 * a day matches either; otherwise both must match.
 *
 * Next-run maths happen on wall-clock time in an IANA time zone via Intl.
 * Daylight saving: a wall time that occurs twice (fall back) fires once, at
 * its first occurrence after the reference instant; a wall time skipped by a
 * spring-forward gap fires at the same offset past the gap (02:30 → 03:30),
 * as Go's time.Date normalises it — never twice for one scheduled time.
 */

export interface Schedule {
  minutes: Set<number>;
  hours: Set<number>;
  dom: Set<number>;
  months: Set<number>;
  dow: Set<number>;
  /** True when the field was `*` or `?` (robfig's star bit). */
  domStar: boolean;
  dowStar: boolean;
}

const monthNames = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
const dayNames = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

const descriptors: Record<string, string> = {
  "@yearly": "0 0 1 1 *",
  "@annually": "0 0 1 1 *",
  "@monthly": "0 0 1 * *",
  "@weekly": "0 0 * * 0",
  "@daily": "0 0 * * *",
  "@midnight": "0 0 * * *",
  "@hourly": "0 * * * *",
};

function parseValue(s: string, names: string[] | undefined, offset: number, what: string): number {
  const i = names ? names.indexOf(s.toLowerCase()) : -1;
  if (i >= 0) return i + offset;
  if (!/^\d+$/.test(s)) throw new Error(`failed to parse ${what} "${s}"`);
  return Number(s);
}

function parseField(field: string, min: number, max: number, what: string, names?: string[], offset = 0): { set: Set<number>; star: boolean } {
  const set = new Set<number>();
  let star = false;
  for (const part of field.split(",")) {
    const [range, stepStr, extra] = part.split("/");
    if (extra !== undefined || range === "") throw new Error(`invalid ${what} "${part}"`);
    const step = stepStr === undefined ? 1 : parseValue(stepStr, undefined, 0, `${what} step`);
    if (step <= 0) throw new Error(`${what} step must be positive: "${part}"`);
    let lo: number;
    let hi: number;
    if (range === "*" || range === "?") {
      [lo, hi] = [min, max];
      if (stepStr === undefined) star = true;
    } else {
      const [a, b, more] = range.split("-");
      if (more !== undefined) throw new Error(`invalid ${what} range "${range}"`);
      lo = parseValue(a, names, offset, what);
      hi = b !== undefined ? parseValue(b, names, offset, what) : stepStr !== undefined ? max : lo;
    }
    if (lo < min || hi > max || lo > hi) throw new Error(`${what} "${part}" out of range ${min}-${max}`);
    for (let v = lo; v <= hi; v += step) set.add(v);
  }
  return { set, star };
}

/** Parses a 5-field cron expression or descriptor; throws an Error naming the bad field. */
export function parseSchedule(expr: string): Schedule {
  const text = expr.trim();
  const spec = text.startsWith("@") ? descriptors[text.toLowerCase()] : text;
  if (!spec) throw new Error(`unrecognized descriptor: ${text}`);
  const f = spec.split(/\s+/);
  if (f.length !== 5) throw new Error(`expected exactly 5 fields, found ${f.length}: ${text}`);
  const dow = parseField(f[4], 0, 7, "day of week", dayNames);
  if (dow.set.has(7)) {
    dow.set.delete(7);
    dow.set.add(0);
  }
  const dom = parseField(f[2], 1, 31, "day of month");
  return {
    minutes: parseField(f[0], 0, 59, "minute").set,
    hours: parseField(f[1], 0, 23, "hour").set,
    dom: dom.set,
    months: parseField(f[3], 1, 12, "month", monthNames, 1).set,
    dow: dow.set,
    domStar: dom.star,
    dowStar: dow.star,
  };
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** Throws RangeError for an unknown IANA zone name. */
function formatter(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", { timeZone: tz, hourCycle: "h23", year: "numeric", month: "numeric", day: "numeric", hour: "numeric", minute: "numeric", second: "numeric" });
    formatters.set(tz, f);
  }
  return f;
}

/** True when `tz` is a time zone Intl knows. */
export function isValidTimeZone(tz: string): boolean {
  try {
    formatter(tz);
    return true;
  } catch {
    return false;
  }
}

/** The wall-clock time of instant `ms` in `tz`, as a naive UTC millisecond value (seconds dropped). */
export function wallClock(ms: number, tz: string): number {
  const p: Record<string, number> = {};
  for (const part of formatter(tz).formatToParts(new Date(ms))) if (part.type !== "literal") p[part.type] = Number(part.value);
  return Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute);
}

/** The instant > `after` whose wall clock in `tz` is `wall`, applying the DST rules in the module comment. */
function instantOf(wall: number, tz: string, after: number): number | undefined {
  const offset = (t: number): number => wallClock(t, tz) - t;
  const before = offset(wall - 43_200_000);
  const offsets = new Set([before, offset(wall + 43_200_000)]);
  const exact = [...offsets].map((o) => wall - o).filter((t) => wallClock(t, tz) === wall).sort((a, b) => a - b);
  if (exact.length) return exact.find((t) => t > after);
  const t = wall - before;
  return t > after ? t : undefined;
}

function dayMatches(s: Schedule, wall: Date): boolean {
  const d = s.dom.has(wall.getUTCDate());
  const w = s.dow.has(wall.getUTCDay());
  return s.domStar || s.dowStar ? d && w : d || w;
}

/**
 * The first scheduled instant strictly after `after` (ms since epoch) in time
 * zone `tz` (default UTC), or undefined when none falls within five years
 * (e.g. "0 0 30 2 *").
 */
export function nextAfter(s: Schedule, after: number, tz = "UTC"): number | undefined {
  let w = wallClock(after, tz) + 60_000;
  const limit = w + 5 * 366 * 86_400_000;
  while (w < limit) {
    const d = new Date(w);
    if (!s.months.has(d.getUTCMonth() + 1)) {
      w = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
      continue;
    }
    if (!dayMatches(s, d)) {
      w = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + 1);
      continue;
    }
    if (!s.hours.has(d.getUTCHours())) {
      w = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate(), d.getUTCHours() + 1);
      continue;
    }
    if (!s.minutes.has(d.getUTCMinutes())) {
      w += 60_000;
      continue;
    }
    const t = instantOf(w, tz, after);
    if (t !== undefined) return t;
    w += 60_000;
  }
  return undefined;
}

/**
 * The latest scheduled instant in (`earliest`, `now`], and how many were
 * missed in that window (counting stops at 101, enough for upstream's
 * "too many missed start times" warning). Long windows are searched from
 * their recent end first so the cost stays bounded.
 */
export function mostRecent(s: Schedule, earliest: number, now: number, tz = "UTC"): { time?: number; missed: number } {
  const windows = [3_600_000, 86_400_000, 32 * 86_400_000, 367 * 86_400_000, 5 * 367 * 86_400_000];
  let missed = 0;
  let latest: number | undefined;
  for (let t = nextAfter(s, earliest, tz); t !== undefined && t <= now; t = nextAfter(s, t, tz)) {
    latest = t;
    if (++missed > 100) break;
  }
  if (missed <= 100) return { time: latest, missed };
  for (const win of windows) {
    const from = Math.max(earliest, now - win);
    let last: number | undefined;
    let n = 0;
    for (let t = nextAfter(s, from, tz); t !== undefined && t <= now && n < 2000; t = nextAfter(s, t, tz), n++) last = t;
    if (last !== undefined && n < 2000) return { time: last, missed };
  }
  return { missed };
}
