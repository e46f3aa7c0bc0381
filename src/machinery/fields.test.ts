import { test } from "node:test";
import assert from "node:assert/strict";
import {
  checkFieldSelector,
  escapeValue,
  fieldSelectorFromSet,
  objectFields,
  parseFieldSelector,
  unescapeValue,
} from "./fields.ts";
import { StatusError } from "./errors.ts";

function badRequestMessage(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof StatusError);
    assert.equal(e.code, 400);
    return e.message;
  }
  assert.fail("expected a BadRequest");
}

test("parses, sorts and prints field selectors", () => {
  assert.equal(parseFieldSelector("").toString(), "");
  assert.equal(parseFieldSelector("").empty(), true);
  assert.equal(parseFieldSelector("b=1,a==2,c!=3").toString(), "a=2,b=1,c!=3");
  assert.equal(parseFieldSelector("a=1,,b=2").toString(), "a=1,b=2");
  assert.equal(parseFieldSelector("a=").toString(), "a=");
  const s = parseFieldSelector(String.raw`metadata.name=a\,b\=c\\d`);
  assert.deepEqual(s.requirements(), [{ field: "metadata.name", operator: "=", value: String.raw`a,b=c\d` }]);
  assert.equal(s.toString(), String.raw`metadata.name=a\,b\=c\\d`);
  assert.equal(s.requiresExactMatch("metadata.name"), "a,b=c\\d");
  assert.equal(fieldSelectorFromSet({ b: "x", a: "y" }).toString(), "a=y,b=x");
});

test("field selector errors match upstream", () => {
  assert.equal(badRequestMessage(() => parseFieldSelector("a")), "invalid selector: 'a'; can't understand 'a'");
  assert.equal(badRequestMessage(() => parseFieldSelector("x=1,b")), "invalid selector: 'x=1,b'; can't understand 'b'");
  assert.equal(badRequestMessage(() => parseFieldSelector(String.raw`a=b\c`)), String.raw`invalid field selector: invalid escape sequence: \c`);
  assert.equal(badRequestMessage(() => parseFieldSelector("a=b=c")), "invalid field selector: unescaped character in value: =");
  assert.equal(badRequestMessage(() => unescapeValue("x\\")), "invalid field selector: invalid escape sequence: \\");
  assert.equal(escapeValue(String.raw`a,b=c\d`), String.raw`a\,b\=c\\d`);
});

test("matching: missing fields read as empty", () => {
  const f = { "metadata.name": "a", "status.phase": "Running" };
  assert.equal(parseFieldSelector("metadata.name=a").matches(f), true);
  assert.equal(parseFieldSelector("metadata.name=a,status.phase!=Running").matches(f), false);
  assert.equal(parseFieldSelector("spec.nodeName=").matches(f), true);
  assert.equal(parseFieldSelector("spec.nodeName!=").matches(f), false);
});

test("pod selectable fields", () => {
  const pod = {
    metadata: { name: "p", namespace: "ns" },
    spec: { nodeName: "n1", restartPolicy: "Always", schedulerName: "default-scheduler", serviceAccountName: "sa" },
    status: { phase: "Running", podIP: "10.0.0.1", podIPs: [{ ip: "10.0.0.1" }, { ip: "fd00::1" }] },
  };
  assert.deepEqual(objectFields("Pod", "", pod), {
    "metadata.name": "p",
    "metadata.namespace": "ns",
    "spec.nodeName": "n1",
    "spec.restartPolicy": "Always",
    "spec.schedulerName": "default-scheduler",
    "spec.serviceAccountName": "sa",
    "spec.hostNetwork": "false",
    "status.phase": "Running",
    "status.podIP": "10.0.0.1",
    "status.nominatedNodeName": "",
  });
  const sel = checkFieldSelector("Pod", "", parseFieldSelector("spec.host=n1"));
  assert.equal(sel.toString(), "spec.nodeName=n1");
  assert.equal(sel.matches(objectFields("Pod", "", pod)), true);
  assert.equal(
    badRequestMessage(() => checkFieldSelector("Pod", "", parseFieldSelector("spec.foo=x"))),
    "field label not supported: spec.foo",
  );
});

test("other kinds", () => {
  assert.deepEqual(objectFields("Node", "", { metadata: { name: "n" }, spec: { unschedulable: true } }), {
    "metadata.name": "n",
    "spec.unschedulable": "true",
  });
  assert.deepEqual(objectFields("Namespace", "", { metadata: { name: "x" }, status: { phase: "Active" } }), {
    "metadata.name": "x",
    "status.phase": "Active",
  });
  assert.equal(objectFields("Secret", "", { metadata: { name: "s", namespace: "d" }, type: "Opaque" }).type, "Opaque");
  assert.equal(objectFields("Service", "", { metadata: {}, spec: { type: "NodePort", clusterIP: "10.96.0.9" } })["spec.type"], "NodePort");
  assert.equal(objectFields("ReplicaSet", "apps", { metadata: {}, status: { replicas: 3 } })["status.replicas"], "3");
  assert.equal(objectFields("Job", "batch", { metadata: {}, status: { succeeded: 2 } })["status.successful"], "2");
  assert.equal(objectFields("Job", "batch", { metadata: {} })["status.successful"], "0");
  assert.deepEqual(objectFields("ConfigMap", "", { metadata: { name: "c", namespace: "d" } }), {
    "metadata.name": "c",
    "metadata.namespace": "d",
  });
  assert.equal(
    badRequestMessage(() => checkFieldSelector("ConfigMap", "", parseFieldSelector("data.x=1"))),
    `"data.x" is not a known field selector: only "metadata.name", "metadata.namespace"`,
  );
  assert.equal(
    badRequestMessage(() => checkFieldSelector("Job", "batch", parseFieldSelector("status.active=1"))),
    `field label "status.active" not supported for batchv1.Job`,
  );
  assert.equal(
    badRequestMessage(() => checkFieldSelector("Node", "", parseFieldSelector("metadata.namespace=x"))),
    "field label not supported: metadata.namespace",
  );
  assert.equal(checkFieldSelector("Secret", "", parseFieldSelector("type=Opaque")).toString(), "type=Opaque");
});

test("events: core and events.k8s.io share one field set", () => {
  const core = {
    metadata: { name: "e", namespace: "d" },
    involvedObject: { kind: "Pod", name: "p", namespace: "d", uid: "u1" },
    reason: "Started",
    type: "Normal",
    source: { component: "kubelet" },
    reportingComponent: "kubelet",
  };
  const f = objectFields("Event", "", core);
  assert.equal(f["involvedObject.name"], "p");
  assert.equal(f.source, "kubelet");
  assert.equal(f.reportingComponent, "kubelet");
  const ev = {
    metadata: { name: "e", namespace: "d" },
    regarding: { kind: "Pod", name: "p", namespace: "d", uid: "u1" },
    reason: "Started",
    type: "Normal",
    reportingController: "kubelet",
  };
  const sel = checkFieldSelector("Event", "events.k8s.io", parseFieldSelector("regarding.name=p,reportingController=kubelet"));
  assert.equal(sel.toString(), "involvedObject.name=p,reportingComponent=kubelet");
  assert.equal(sel.matches(objectFields("Event", "events.k8s.io", ev)), true);
  assert.equal(sel.matches(f), true);
  assert.equal(sel.matches(objectFields("Event", "events.k8s.io", core)), true, "stored (core) objects match events.k8s.io selectors");
  assert.equal(
    badRequestMessage(() => checkFieldSelector("Event", "events.k8s.io", parseFieldSelector("involvedObject.name=p"))),
    "field label not supported: involvedObject.name",
  );
});
