/** Job and CronJob validation, including cron schedules. */
import { test } from "node:test";
import { existsSync } from "node:fs";
import assert from "node:assert/strict";
import { validateCreate, validateUpdate } from "./index.ts";
import { cronScheduleError } from "./batch.ts";
import { infoFor, make, pairs, podSpec } from "./testutil.test.ts";

const J = infoFor("batch/v1", "Job");
const CJ = infoFor("batch/v1", "CronJob");
const jobSpec = (extra: Record<string, unknown> = {}) => ({ template: { spec: { ...podSpec(), restartPolicy: "Never" } }, ...extra });
const job = (extra: Record<string, unknown> = {}) => make("batch/v1", "Job", { spec: jobSpec(extra) }, { name: "pi", uid: "abc" });

test("a defaulted job is valid", () => {
  assert.deepEqual(validateCreate(J, job()), []);
});

test("restartPolicy must be OnFailure or Never (Always is the pod default)", () => {
  const j = make("batch/v1", "Job", { spec: { template: { spec: podSpec() } } }, { uid: "abc" });
  const errs = validateCreate(J, j);
  assert.deepEqual(pairs(errs), [["spec.template.spec.restartPolicy", "FieldValueNotSupported"]]);
  assert.equal(errs[0].value, "Always");
  assert.equal(errs[0].detail, 'supported values: "OnFailure", "Never"');
});

test("counts non-negative and completion mode", () => {
  const errs = validateCreate(J, job({ parallelism: -1, backoffLimit: -2, completionMode: "Sometimes" }));
  assert.deepEqual(pairs(errs), [
    ["spec.parallelism", "FieldValueInvalid"],
    ["spec.backoffLimit", "FieldValueInvalid"],
    ["spec.completionMode", "FieldValueNotSupported"],
  ]);
});

test("manual selectors must match; generated ones may not be replaced", () => {
  const manual = job({ manualSelector: true, selector: { matchLabels: { a: "b" } } });
  const errs = validateCreate(J, manual);
  assert.deepEqual(pairs(errs), [["spec.template.metadata.labels", "FieldValueInvalid"]]);
  const hijack = job({ selector: { matchLabels: { a: "b" } } });
  assert.ok(pairs(validateCreate(J, hijack)).some(([f, t]) => f === "spec.selector" && t === "FieldValueInvalid"));
});

test("job updates: template and selector immutable, parallelism mutable", () => {
  const old = job();
  const scaled = structuredClone(old);
  scaled.spec.parallelism = 5;
  assert.deepEqual(validateUpdate(J, scaled, old), []);
  const img = structuredClone(old);
  img.spec.template.spec.containers[0].image = "x:2";
  assert.deepEqual(pairs(validateUpdate(J, img, old)), [["spec.template", "FieldValueInvalid"]]);
  const comp = structuredClone(old);
  comp.spec.completions = 4;
  assert.deepEqual(pairs(validateUpdate(J, comp, old)), [["spec.completions", "FieldValueInvalid"]]);
});

test("cron schedules as robfig/cron", () => {
  for (const ok of ["*/5 * * * *", "0 0 * * MON-FRI", "@hourly", "@every 1h30m", "0 12 1 jan,jul *", "5 4 * * sun"]) assert.equal(cronScheduleError(ok), undefined, ok);
  assert.equal(cronScheduleError("* * * *"), "expected exactly 5 fields, found 4: [* * * *]");
  assert.equal(cronScheduleError("60 * * * *"), "end of range (60) above maximum (59): 60");
  assert.equal(cronScheduleError("@often"), "unrecognized descriptor: @often");
  assert.equal(cronScheduleError("x * * * *"), 'failed to parse int from x: strconv.Atoi: parsing "x": invalid syntax');
  assert.equal(cronScheduleError("5-1 * * * *"), "beginning of range (5) beyond end of range (1): 5-1");
  assert.equal(cronScheduleError("*/0 * * * *"), "step of range should be a positive number: */0");
});

test("cronjob validation", () => {
  const cj = (spec: Record<string, unknown>, meta: Record<string, unknown> = {}) =>
    make("batch/v1", "CronJob", { spec: { schedule: "*/1 * * * *", jobTemplate: { spec: jobSpec() }, ...spec } }, meta);
  assert.deepEqual(validateCreate(CJ, cj({})), []);
  const errs = validateCreate(CJ, cj({ schedule: "61 * * * *", concurrencyPolicy: "Sometimes", timeZone: "Mars/Base" }));
  assert.deepEqual(pairs(errs), [
    ["spec.schedule", "FieldValueInvalid"],
    ["spec.timeZone", "FieldValueInvalid"],
    ["spec.concurrencyPolicy", "FieldValueNotSupported"],
  ]);
  assert.deepEqual(validateCreate(CJ, cj({ timeZone: "Europe/Berlin" })), []);
  if (existsSync("/usr/share/zoneinfo/UTC")) {
    const lower = validateCreate(CJ, cj({ timeZone: "utc" }));
    assert.deepEqual(lower.map((e) => [e.field, e.detail]), [["spec.timeZone", "unknown time zone utc"]], "zone names are case-sensitive, as Go's LoadLocation");
  }
  assert.deepEqual(pairs(validateCreate(CJ, cj({ schedule: "TZ=UTC * * * * *" }))), [["spec.schedule", "FieldValueInvalid"]]);
  assert.deepEqual(pairs(validateCreate(CJ, cj({}, { name: "a".repeat(53) }))), [["metadata.name", "FieldValueInvalid"]]);
  const sel = validateCreate(CJ, cj({ jobTemplate: { spec: { ...jobSpec(), selector: { matchLabels: { a: "b" } } } } }));
  assert.deepEqual(pairs(sel), [["spec.jobTemplate.spec.selector", "FieldValueInvalid"]]);
});

test("podFailurePolicy rules: actions, operators, exit codes, container names, one matcher per rule", () => {
  const policy = (rules: unknown[]) => job({ podFailurePolicy: { rules } });
  assert.deepEqual(validateCreate(J, policy([{ action: "FailJob", onExitCodes: { operator: "In", values: [1, 42] } }, { action: "Ignore", onPodConditions: [{ type: "DisruptionTarget", status: "True" }] }])), []);
  const errs = validateCreate(
    J,
    policy([
      { action: "Foo", onExitCodes: { operator: "Within", values: [0, 3, 3, 2], containerName: "nope" } },
      { action: "Count" },
      { action: "Ignore", onExitCodes: { operator: "NotIn", values: [] }, onPodConditions: [{ type: "DisruptionTarget", status: "Maybe" }] },
      { action: "FailIndex", onPodConditions: [{ type: "DisruptionTarget" }] }, // status defaults to True
    ]),
  );
  assert.deepEqual(pairs(errs), [
    ["spec.podFailurePolicy.rules[0].action", "FieldValueNotSupported"],
    ["spec.podFailurePolicy.rules[0].onExitCodes.operator", "FieldValueNotSupported"],
    ["spec.podFailurePolicy.rules[0].onExitCodes.containerName", "FieldValueInvalid"],
    ["spec.podFailurePolicy.rules[0].onExitCodes.values[2]", "FieldValueDuplicate"],
    ["spec.podFailurePolicy.rules[0].onExitCodes.values", "FieldValueInvalid"],
    ["spec.podFailurePolicy.rules[1]", "FieldValueInvalid"],
    ["spec.podFailurePolicy.rules[2].onExitCodes.values", "FieldValueInvalid"],
    ["spec.podFailurePolicy.rules[2].onPodConditions[0].status", "FieldValueNotSupported"],
    ["spec.podFailurePolicy.rules[2]", "FieldValueInvalid"],
    ["spec.podFailurePolicy.rules[3].action", "FieldValueInvalid"],
  ]);
  assert.deepEqual(
    validateCreate(J, policy([{ action: "FailJob", onExitCodes: { operator: "In", values: [0] } }])).map((e) => e.detail),
    ["must not be 0 for the In operator"],
  );
  assert.equal(errs[5].detail, "specifying one of OnExitCodes and OnPodConditions is required");
});

test("successPolicy needs Indexed jobs and indexes/counts within completions; maxFailedIndexes needs backoffLimitPerIndex", () => {
  const indexed = (extra: Record<string, unknown>) => job({ completionMode: "Indexed", completions: 4, parallelism: 1, ...extra });
  assert.deepEqual(validateCreate(J, indexed({ successPolicy: { rules: [{ succeededIndexes: "0,2-3", succeededCount: 2 }] } })), []);
  assert.deepEqual(pairs(validateCreate(J, job({ successPolicy: { rules: [{ succeededCount: 1 }] } }))), [["spec.successPolicy", "FieldValueInvalid"]]);
  const errs = validateCreate(J, indexed({ successPolicy: { rules: [{ succeededIndexes: "5", succeededCount: 7 }, {}, { succeededIndexes: "3,1" }] } }));
  assert.deepEqual(
    errs.map((e) => [e.field, e.detail]),
    [
      ["spec.successPolicy.rules[0].succeededIndexes", "error parsing succeededIndexes: too large index: 5"],
      ["spec.successPolicy.rules[0].succeededCount", "must be less than or equal to 4 (the number of specified completions)"],
      ["spec.successPolicy.rules[0].succeededCount", "must be less than or equal to 0 (the number of indexes in the specified succeededIndexes field)"],
      ["spec.successPolicy.rules[1]", "at least one of succeededCount or succeededIndexes must be specified"],
      ["spec.successPolicy.rules[2].succeededIndexes", "error parsing succeededIndexes: non-increasing order, previous: 3, current: 1"],
    ],
  );
  assert.deepEqual(pairs(validateCreate(J, indexed({ maxFailedIndexes: 1 }))), [["spec.backoffLimitPerIndex", "FieldValueRequired"]]);
  assert.deepEqual(pairs(validateCreate(J, job({ backoffLimitPerIndex: 1 }))), [["spec.backoffLimitPerIndex", "FieldValueInvalid"]]);
});
