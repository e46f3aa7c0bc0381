import { test } from "node:test";
import assert from "node:assert/strict";
import {
  formatLabels,
  isQualifiedName,
  isValidLabelValue,
  parseSelector,
  selectorFromLabelSelector,
  selectorFromSet,
  validateLabelSelector,
} from "./labels.ts";
import { StatusError } from "./errors.ts";

function parseError(s: string): string {
  try {
    parseSelector(s);
  } catch (e) {
    assert.ok(e instanceof StatusError);
    assert.equal(e.code, 400);
    assert.equal(e.reason, "BadRequest");
    return e.message;
  }
  assert.fail(`expected ${JSON.stringify(s)} to fail`);
}

test("parses and prints canonical forms", () => {
  const cases: [string, string][] = [
    ["", ""],
    ["x=a", "x=a"],
    ["x==a", "x==a"],
    ["x!=a", "x!=a"],
    ["  x = a ,  y  ", "x=a,y"],
    ["z,y=b,x", "x,y=b,z"],
    ["!x", "!x"],
    ["x in (b,a,b)", "x in (a,b)"],
    ["x notin (a)", "x notin (a)"],
    ["x in ()", "x in ()"],
    ["x in (,a)", "x in (,a)"],
    ["x>1", "x>1"],
    ["x<5", "x<5"],
    ["x=", "x="],
    ["x=,y=b", "x=,y=b"],
    ["example.com/app-name=v1.2_3", "example.com/app-name=v1.2_3"],
    ["in=notin", "in=notin"],
  ];
  for (const [input, want] of cases) assert.equal(parseSelector(input).toString(), want, input);
});

test("matching follows upstream semantics", () => {
  const labels = { app: "web", tier: "fe", n: "7" };
  const m = (s: string, l: Record<string, string> | undefined = labels) => parseSelector(s).matches(l);
  assert.equal(m(""), true);
  assert.equal(m("app=web"), true);
  assert.equal(m("app==web,tier=fe"), true);
  assert.equal(m("app=db"), false);
  assert.equal(m("app!=db"), true);
  assert.equal(m("missing!=x"), true, "!= matches when the key is absent");
  assert.equal(m("missing notin (x)"), true);
  assert.equal(m("missing in (x)"), false);
  assert.equal(m("app in (db,web)"), true);
  assert.equal(m("app notin (db,web)"), false);
  assert.equal(m("app"), true);
  assert.equal(m("!app"), false);
  assert.equal(m("!missing"), true);
  assert.equal(m("n>5"), true);
  assert.equal(m("n<5"), false);
  assert.equal(m("app>5"), false, "non-integer label never matches gt");
  assert.equal(m("missing<5"), false);
  assert.equal(parseSelector("app=web").matches(undefined), false);
  assert.equal(parseSelector("!app").matches(undefined), true);
});

test("parse errors carry upstream's messages", () => {
  assert.equal(parseError("x=a,"), "found '', expected: identifier after ','");
  assert.equal(parseError("x=a y"), "found 'y', expected: ',' or 'end of string'");
  assert.equal(parseError("=a"), "found '=', expected: !, identifier, or 'end of string'");
  assert.equal(parseError("x in a"), "unable to parse requirement: found 'a' expected: '('");
  assert.equal(parseError("x in (a"), "unable to parse requirement: found '', expected: ',' or ')'");
  assert.equal(parseError("x (a)"), "unable to parse requirement: found '(', expected: in, notin, =, ==, !=, gt, lt");
  assert.equal(parseError("x=(a)"), "unable to parse requirement: found '(', expected: identifier");
  assert.equal(parseError("!"), "unable to parse requirement: found '', expected: identifier");
  assert.equal(parseError("!x=a"), "found '=', expected: ',' or 'end of string'");
  assert.equal(
    parseError("x>a"),
    `unable to parse requirement: values[0]: Invalid value: "a": for 'Gt', 'Lt' operators, the value must be an integer`,
  );
  assert.equal(
    parseError("a@b=c"),
    `unable to parse requirement: <nil>: Invalid value: "a@b": name part must consist of alphanumeric characters, '-', '_' or '.', ` +
      `and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', ` +
      `regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')`,
  );
  assert.match(parseError("x<-5"), /values\[0\]: Invalid value: "-5": a valid label/, "values must also be label values");
  assert.match(parseError("x=a@"), /^unable to parse requirement: values\[0\]: Invalid value: "a@": a valid label must be an empty string/);
});

test("key and value syntax", () => {
  assert.deepEqual(isQualifiedName("app"), []);
  assert.deepEqual(isQualifiedName("k8s.io/app"), []);
  assert.deepEqual(isQualifiedName("/app"), ["prefix part must be non-empty"]);
  assert.equal(isQualifiedName("a/b/c").length, 1);
  assert.match(isQualifiedName("Upper.COM/x")[0], /^prefix part a lowercase RFC 1123 subdomain/);
  assert.deepEqual(isQualifiedName("x".repeat(64))[0], "name part must be no more than 63 characters");
  assert.deepEqual(isValidLabelValue(""), []);
  assert.deepEqual(isValidLabelValue("a-b_c.d"), []);
  assert.equal(isValidLabelValue("-a").length, 1);
  assert.equal(isValidLabelValue("a".repeat(64))[0], "must be no more than 63 characters");
});

test("LabelSelector objects: null selects nothing, empty selects everything", () => {
  assert.equal(selectorFromLabelSelector(null).matches({ a: "b" }), false);
  assert.equal(selectorFromLabelSelector(undefined).matches({}), false);
  assert.equal(selectorFromLabelSelector(null).isNothing(), true);
  assert.equal(selectorFromLabelSelector({}).matches({ a: "b" }), true);
  assert.equal(selectorFromLabelSelector({}).empty(), true);
  const s = selectorFromLabelSelector({
    matchLabels: { app: "web" },
    matchExpressions: [
      { key: "tier", operator: "In", values: ["fe", "be"] },
      { key: "env", operator: "NotIn", values: ["prod"] },
      { key: "team", operator: "Exists" },
      { key: "legacy", operator: "DoesNotExist" },
    ],
  });
  assert.equal(s.toString(), "app=web,env notin (prod),!legacy,team,tier in (be,fe)");
  assert.equal(s.matches({ app: "web", tier: "fe", team: "x" }), true);
  assert.equal(s.matches({ app: "web", tier: "fe", team: "x", legacy: "1" }), false);
  assert.equal(s.matches({ app: "web", tier: "fe", team: "x", env: "prod" }), false);
  assert.equal(s.requiresExactMatch("app"), "web");
  assert.throws(
    () => selectorFromLabelSelector({ matchExpressions: [{ key: "a", operator: "Gt", values: ["1"] }] }),
    (e: unknown) => e instanceof StatusError && e.message === `"Gt" is not a valid label selector operator`,
  );
  assert.throws(() => selectorFromLabelSelector({ matchExpressions: [{ key: "a", operator: "In", values: [] }] }), /values set can't be empty/);
});

test("validateLabelSelector returns field errors", () => {
  assert.deepEqual(validateLabelSelector({ matchLabels: { a: "b" } }, "spec.selector"), []);
  const errs = validateLabelSelector(
    {
      matchLabels: { "bad key": "v" },
      matchExpressions: [
        { key: "a", operator: "In" },
        { key: "b", operator: "Exists", values: ["x"] },
        { key: "c", operator: "Bogus" },
        { key: "d", operator: "In", values: ["ok", "not ok"] },
      ],
    },
    "spec.selector",
  );
  assert.deepEqual(
    errs.map((e) => [e.type, e.field]),
    [
      ["FieldValueInvalid", "spec.selector.matchLabels"],
      ["FieldValueRequired", "spec.selector.matchExpressions[0].values"],
      ["FieldValueForbidden", "spec.selector.matchExpressions[1].values"],
      ["FieldValueInvalid", "spec.selector.matchExpressions[2].operator"],
      ["FieldValueInvalid", "spec.selector.matchExpressions[3].values[1]"],
    ],
  );
  assert.equal(errs[2].detail, "may not be specified when `operator` is 'Exists' or 'DoesNotExist'");
});

test("helpers", () => {
  assert.equal(selectorFromSet({ b: "2", a: "1" }).toString(), "a=1,b=2");
  assert.equal(selectorFromSet({}).empty(), true);
  assert.equal(formatLabels({ b: "2", a: "1" }), "a=1,b=2");
  assert.equal(formatLabels(undefined), "<none>");
});
