/** Pod validation: spec rules, create/update/status. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { validateCreate, validateStatusUpdate, validateUpdate } from "./index.ts";
import { infoFor, make, pairs, podSpec } from "./testutil.test.ts";

const P = infoFor("v1", "Pod");
const pod = (spec: Record<string, unknown>, meta: Record<string, unknown> = {}) => make("v1", "Pod", { spec }, meta);

test("a complete valid pod passes", () => {
  const p = pod({
    initContainers: [{ name: "init", image: "busybox" }],
    containers: [
      {
        name: "web",
        image: "nginx",
        ports: [{ name: "http", containerPort: 80 }],
        env: [{ name: "A", value: "1" }, { name: "POD", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } }],
        volumeMounts: [{ name: "data", mountPath: "/data" }],
        resources: { requests: { cpu: "100m" }, limits: { cpu: "1", memory: "128Mi" } },
        readinessProbe: { tcpSocket: { port: "http" } },
      },
    ],
    volumes: [{ name: "data", emptyDir: {} }],
    nodeSelector: { "kubernetes.io/os": "linux" },
    tolerations: [{ key: "k", operator: "Exists", effect: "NoSchedule" }],
    affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: "a", operator: "In", values: ["b"] }] }] } } },
  });
  assert.deepEqual(validateCreate(P, p), []);
});

test("containers: required, names, images, duplicates across init", () => {
  assert.deepEqual(pairs(validateCreate(P, pod({ containers: [] }))), [["spec.containers", "FieldValueRequired"]]);
  const errs = validateCreate(P, pod({ initContainers: [{ name: "a", image: "x" }], containers: [{ name: "a", image: "" }, { name: "Bad_Name", image: "y" }] }));
  assert.deepEqual(pairs(errs), [
    ["spec.containers[0].image", "FieldValueRequired"],
    ["spec.containers[1].name", "FieldValueInvalid"],
    ["spec.initContainers[0].name", "FieldValueDuplicate"],
  ]);
  assert.deepEqual(pairs(validateCreate(P, pod({ containers: [{ name: "a", image: " x" }] }))), [["spec.containers[0].image", "FieldValueInvalid"]]);
});

test("ports, protocols and env names", () => {
  const errs = validateCreate(
    P,
    pod({
      containers: [
        {
          name: "a",
          image: "x",
          ports: [{ containerPort: 70000, name: "http" }, { containerPort: 81, name: "http", protocol: "ICMP" }],
          env: [{ name: "" }, { name: "A=B" }],
        },
      ],
    }),
  );
  assert.deepEqual(pairs(errs), [
    ["spec.containers[0].ports[0].containerPort", "FieldValueInvalid"],
    ["spec.containers[0].ports[1].name", "FieldValueDuplicate"],
    ["spec.containers[0].ports[1].protocol", "FieldValueNotSupported"],
    ["spec.containers[0].env[0].name", "FieldValueRequired"],
    ["spec.containers[0].env[1].name", "FieldValueInvalid"],
  ]);
  assert.equal(errs[2].detail, 'supported values: "SCTP", "TCP", "UDP"');
});

test("volumes and mounts", () => {
  const errs = validateCreate(
    P,
    pod({
      containers: [{ name: "a", image: "x", volumeMounts: [{ name: "missing", mountPath: "/m" }] }],
      volumes: [{ name: "v", emptyDir: {}, hostPath: { path: "/x" } }, { name: "v", configMap: { name: "c" } }, { name: "s", secret: {} }],
    }),
  );
  assert.deepEqual(pairs(errs), [
    ["spec.volumes[0].hostPath", "FieldValueForbidden"],
    ["spec.volumes[1].name", "FieldValueDuplicate"],
    ["spec.volumes[2].secret.secretName", "FieldValueRequired"],
    ["spec.containers[0].volumeMounts[0].name", "FieldValueNotFound"],
  ]);
});

test("resources: quantities and requests <= limits", () => {
  const errs = validateCreate(
    P,
    pod({ containers: [{ name: "a", image: "x", resources: { requests: { cpu: "2" }, limits: { cpu: "1", memory: "lots", gpu: "1" } } }] }),
  );
  assert.deepEqual(pairs(errs), [
    ["spec.containers[0].resources.limits[memory]", "FieldValueInvalid"],
    ["spec.containers[0].resources.limits[gpu]", "FieldValueInvalid"],
    ["spec.containers[0].resources.requests", "FieldValueInvalid"],
    // defaulting copied the limits into requests, as upstream does for Pods
    ["spec.containers[0].resources.requests[memory]", "FieldValueInvalid"],
    ["spec.containers[0].resources.requests[gpu]", "FieldValueInvalid"],
  ]);
  assert.equal(errs[1].detail, "must be a standard resource for containers");
  assert.equal(errs[2].detail, "must be less than or equal to cpu limit of 1");
  assert.equal(errs[2].value, "2");
});

test("policies, probes, tolerations, affinity", () => {
  const errs = validateCreate(
    P,
    pod({
      ...podSpec(),
      restartPolicy: "Sometimes",
      dnsPolicy: "Weird",
      terminationGracePeriodSeconds: -1,
      tolerations: [{ operator: "Equal", value: "v" }, { key: "k", operator: "Exists", value: "v" }, { key: "k", effect: "Bad" }],
      affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [] } } },
      nodeSelector: { "bad key!": "v" },
    }),
  );
  assert.deepEqual(pairs(errs), [
    ["spec.restartPolicy", "FieldValueNotSupported"],
    ["spec.dnsPolicy", "FieldValueNotSupported"],
    ["spec.nodeSelector", "FieldValueInvalid"],
    ["spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms", "FieldValueRequired"],
    ["spec.tolerations[0].operator", "FieldValueInvalid"],
    ["spec.tolerations[1].operator", "FieldValueInvalid"],
    ["spec.tolerations[2].effect", "FieldValueNotSupported"],
  ]);
  const probe = validateCreate(P, pod({ containers: [{ name: "a", image: "x", livenessProbe: { periodSeconds: -1, successThreshold: 2, exec: { command: ["x"] } } }] }));
  assert.deepEqual(pairs(probe), [
    ["spec.containers[0].livenessProbe.periodSeconds", "FieldValueInvalid"],
    ["spec.containers[0].livenessProbe.successThreshold", "FieldValueInvalid"],
  ]);
  const none = validateCreate(P, pod({ containers: [{ name: "a", image: "x", readinessProbe: {} }] }));
  assert.deepEqual(pairs(none), [["spec.containers[0].readinessProbe", "FieldValueRequired"]]);
});

test("pod updates: only images and a few fields may change", () => {
  const old = pod(podSpec());
  const newImage = structuredClone(old);
  newImage.spec.containers[0].image = "nginx:1.26";
  newImage.spec.tolerations = [{ key: "a", operator: "Exists" }];
  assert.deepEqual(validateUpdate(P, newImage, old), []);
  const port = structuredClone(old);
  port.spec.containers[0].ports = [{ containerPort: 81, protocol: "TCP" }];
  const errs = validateUpdate(P, port, old);
  assert.deepEqual(pairs(errs), [["spec", "FieldValueForbidden"]]);
  assert.ok(errs[0].detail?.startsWith("pod updates may not change fields other than `spec.containers[*].image`,"));
  const renamed = structuredClone(old);
  renamed.metadata.name = "y";
  assert.deepEqual(pairs(validateUpdate(P, renamed, old)), [["metadata.name", "FieldValueInvalid"]]);
  const added = structuredClone(old);
  added.spec.containers.push({ name: "d", image: "x", imagePullPolicy: "Always", terminationMessagePolicy: "File" });
  assert.deepEqual(pairs(validateUpdate(P, added, old)), [["spec.containers", "FieldValueForbidden"]]);
  const tol = pod({ ...podSpec(), tolerations: [{ key: "a", operator: "Exists" }] });
  const tolChanged = structuredClone(tol);
  tolChanged.spec.tolerations = [{ key: "b", operator: "Exists" }];
  assert.deepEqual(pairs(validateUpdate(P, tolChanged, tol)), [["spec.tolerations", "FieldValueForbidden"]]);
  const deadline = structuredClone(old);
  old.spec.activeDeadlineSeconds = 10;
  deadline.spec.activeDeadlineSeconds = 20;
  assert.deepEqual(pairs(validateUpdate(P, deadline, old)), [["spec.activeDeadlineSeconds", "FieldValueInvalid"]]);
});

test("pod status updates", () => {
  const old = pod(podSpec());
  const next = structuredClone(old);
  next.status = { phase: "Running", podIP: "10.42.0.5", podIPs: [{ ip: "10.42.0.5" }], conditions: [{ type: "Ready", status: "True" }] };
  assert.deepEqual(validateStatusUpdate(P, next, old), []);
  next.status.podIPs = [{ ip: "nope" }];
  assert.deepEqual(pairs(validateStatusUpdate(P, next, old)), [["status.podIPs[0]", "FieldValueInvalid"]]);
  next.status = { podIPs: [{ ip: "10.0.0.1" }, { ip: "10.0.0.2" }], qosClass: "Guaranteed" };
  assert.deepEqual(pairs(validateStatusUpdate(P, next, old)), [
    ["status.qosClass", "FieldValueInvalid"],
    ["status.podIPs", "FieldValueInvalid"],
  ]);
  const done = structuredClone(old);
  done.spec.restartPolicy = "Never";
  done.status = { containerStatuses: [{ name: "c", state: { terminated: { exitCode: 0 } } }] };
  const revived = structuredClone(done);
  revived.status.containerStatuses[0].state = { running: {} };
  assert.deepEqual(pairs(validateStatusUpdate(P, revived, done)), [["status.containerStatuses[0].state", "FieldValueForbidden"]]);
});

test("env sources, host network ports and lifecycle sleep", () => {
  const errs = validateCreate(
    P,
    pod({
      hostNetwork: true,
      terminationGracePeriodSeconds: 10,
      containers: [
        {
          name: "a",
          image: "x",
          ports: [{ containerPort: 80, hostPort: 81 }],
          env: [
            { name: "A", valueFrom: { fieldRef: { fieldPath: "status.phase" } } },
            { name: "B", valueFrom: { fieldRef: { fieldPath: "nope" } } },
            { name: "C", value: "v", valueFrom: { secretKeyRef: { name: "s", key: "k" } } },
            { name: "D", valueFrom: {} },
          ],
          lifecycle: { preStop: { sleep: { seconds: 20 } } },
        },
      ],
    }),
  );
  assert.deepEqual(pairs(errs), [
    ["spec.containers[0].env[0].valueFrom.fieldRef.fieldPath", "FieldValueNotSupported"],
    ["spec.containers[0].env[1].valueFrom.fieldRef.fieldPath", "FieldValueInvalid"],
    ["spec.containers[0].env[2].valueFrom", "FieldValueInvalid"],
    ["spec.containers[0].env[3].valueFrom", "FieldValueInvalid"],
    ["spec.containers[0].lifecycle.preStop.sleep", "FieldValueInvalid"],
    ["spec.containers[0].ports[0].hostPort", "FieldValueInvalid"],
  ]);
  assert.equal(errs[5].detail, "must match `containerPort` when `hostNetwork` is true");
  assert.equal(errs[4].detail, "must be non-negative and less than terminationGracePeriodSeconds (10)");
});

test("topologySpreadConstraints: minDomains must be positive and needs DoNotSchedule", () => {
  const tsc = (c: Record<string, unknown>) => pod({ containers: [{ name: "a", image: "x" }], topologySpreadConstraints: [{ maxSkew: 1, topologyKey: "zone", labelSelector: {}, ...c }] });
  assert.deepEqual(validateCreate(P, tsc({ whenUnsatisfiable: "DoNotSchedule", minDomains: 2 })), []);
  const anyway = validateCreate(P, tsc({ whenUnsatisfiable: "ScheduleAnyway", minDomains: 2 }));
  assert.deepEqual(pairs(anyway), [["spec.topologySpreadConstraints[0].minDomains", "FieldValueInvalid"]]);
  assert.match(anyway[0].detail ?? "", /^can only use minDomains if whenUnsatisfiable=DoNotSchedule, not ScheduleAnyway$/);
  assert.deepEqual(pairs(validateCreate(P, tsc({ whenUnsatisfiable: "DoNotSchedule", minDomains: 0 }))), [["spec.topologySpreadConstraints[0].minDomains", "FieldValueInvalid"]]);
});
