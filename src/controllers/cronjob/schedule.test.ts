/** Cron parsing and next-run maths, including time zones and daylight-saving transitions. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { mostRecent, nextAfter, parseSchedule } from "./schedule.ts";

const at = (s: string): number => Date.parse(s);
const iso = (t: number | undefined): string | undefined => (t === undefined ? undefined : new Date(t).toISOString().replace(".000Z", "Z"));
const runs = (expr: string, from: string, n: number, tz = "UTC"): (string | undefined)[] => {
  const s = parseSchedule(expr);
  const out: (string | undefined)[] = [];
  let t = at(from);
  for (let i = 0; i < n; i++) {
    const nx = nextAfter(s, t, tz);
    out.push(iso(nx));
    if (nx === undefined) break;
    t = nx;
  }
  return out;
};

describe("cron parsing", () => {
  it("parses fields, lists, ranges, steps and names", () => {
    const s = parseSchedule("*/15 9-17 * JAN-mar mon,wed,FRI");
    assert.deepEqual([...s.minutes], [0, 15, 30, 45]);
    assert.deepEqual([...s.hours], [9, 10, 11, 12, 13, 14, 15, 16, 17]);
    assert.deepEqual([...s.months], [1, 2, 3]);
    assert.deepEqual([...s.dow], [1, 3, 5]);
    assert.ok(s.domStar && !s.dowStar);
    assert.deepEqual([...parseSchedule("5/20 * * * 7").minutes], [5, 25, 45]);
    assert.deepEqual([...parseSchedule("0 0 * * 7").dow], [0]);
  });
  it("rejects malformed expressions", () => {
    for (const bad of ["* * * *", "60 * * * *", "* 24 * * *", "* * 0 * *", "*/0 * * * *", "a * * * *", "@every 5m", "1-2-3 * * * *", "5-1 * * * *"])
      assert.throws(() => parseSchedule(bad), Error, bad);
  });
  it("expands descriptors", () => {
    assert.deepEqual(runs("@hourly", "2026-01-01T00:10:00Z", 2), ["2026-01-01T01:00:00Z", "2026-01-01T02:00:00Z"]);
    assert.deepEqual(runs("@daily", "2026-01-01T00:10:00Z", 1), ["2026-01-02T00:00:00Z"]);
    assert.deepEqual(runs("@weekly", "2026-01-01T00:00:00Z", 1), ["2026-01-04T00:00:00Z"]);
    assert.deepEqual(runs("@monthly", "2026-01-15T00:00:00Z", 1), ["2026-02-01T00:00:00Z"]);
    assert.deepEqual(runs("@yearly", "2026-01-15T00:00:00Z", 1), ["2027-01-01T00:00:00Z"]);
  });
});

describe("next run", () => {
  it("is strictly after the reference time", () => {
    assert.deepEqual(runs("* * * * *", "2026-01-01T00:00:00Z", 2), ["2026-01-01T00:01:00Z", "2026-01-01T00:02:00Z"]);
    assert.deepEqual(runs("30 * * * *", "2026-01-01T00:29:59Z", 1), ["2026-01-01T00:30:00Z"]);
  });
  it("ORs day-of-month and day-of-week when both are restricted", () => {
    // 2026-02-01 is a Sunday; the 13th is a Friday.
    assert.deepEqual(runs("0 0 13 * 5", "2026-02-01T00:00:00Z", 3), ["2026-02-06T00:00:00Z", "2026-02-13T00:00:00Z", "2026-02-20T00:00:00Z"]);
    assert.deepEqual(runs("0 0 13 * *", "2026-02-01T00:00:00Z", 1), ["2026-02-13T00:00:00Z"]);
  });
  it("handles leap days and impossible dates", () => {
    assert.deepEqual(runs("0 0 29 2 *", "2026-01-01T00:00:00Z", 1), ["2028-02-29T00:00:00Z"]);
    assert.deepEqual(runs("0 0 30 2 *", "2026-01-01T00:00:00Z", 1), [undefined]);
  });
  it("computes in the CronJob's time zone", () => {
    assert.deepEqual(runs("0 9 * * 1-5", "2026-11-21T12:00:00Z", 1, "Europe/Berlin"), ["2026-11-23T08:00:00Z"]);
    assert.deepEqual(runs("0 9 * * *", "2026-07-01T00:00:00Z", 1, "Europe/Berlin"), ["2026-07-01T07:00:00Z"]);
    assert.deepEqual(runs("30 0 * * *", "2026-01-01T00:00:00Z", 1, "Asia/Kolkata"), ["2026-01-01T19:00:00Z"]);
  });
  it("fires a time inside a spring-forward gap once, an hour later", () => {
    // New York, 2026-03-08: 02:00 EST jumps to 03:00 EDT.
    assert.deepEqual(runs("30 2 * * *", "2026-03-07T12:00:00Z", 3, "America/New_York"), ["2026-03-08T07:30:00Z", "2026-03-09T06:30:00Z", "2026-03-10T06:30:00Z"]);
    assert.deepEqual(runs("30 * * * *", "2026-03-08T06:00:00Z", 3, "America/New_York"), ["2026-03-08T06:30:00Z", "2026-03-08T07:30:00Z", "2026-03-08T08:30:00Z"]);
  });
  it("fires a repeated fall-back wall time once", () => {
    // New York, 2026-11-01: 02:00 EDT falls back to 01:00 EST; 01:30 happens twice.
    assert.deepEqual(runs("30 1 * * *", "2026-11-01T04:00:00Z", 2, "America/New_York"), ["2026-11-01T05:30:00Z", "2026-11-02T06:30:00Z"]);
  });
});

describe("most recent schedule time", () => {
  it("returns the latest missed time and the miss count", () => {
    const s = parseSchedule("*/10 * * * *");
    assert.deepEqual(mostRecent(s, at("2026-01-01T00:00:00Z"), at("2026-01-01T00:35:00Z")), { time: at("2026-01-01T00:30:00Z"), missed: 3 });
    assert.deepEqual(mostRecent(s, at("2026-01-01T00:00:00Z"), at("2026-01-01T00:05:00Z")), { time: undefined, missed: 0 });
  });
  it("stays cheap over long windows", () => {
    const r = mostRecent(parseSchedule("* * * * *"), at("2020-01-01T00:00:00Z"), at("2026-01-01T00:00:30Z"));
    assert.equal(r.time, at("2026-01-01T00:00:00Z"));
    assert.ok(r.missed > 100);
  });
});
