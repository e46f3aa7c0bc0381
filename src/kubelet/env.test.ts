import { test } from "node:test";
import assert from "node:assert/strict";
import { expand, mappingFor, resolveContainerCommand, serviceEnvVars } from "./env.ts";
import { KubeletError, type ObjectSource } from "./types.ts";

test("expansion table (upstream expansion semantics)", () => {
  const ctx = new Map([
    ["VAR_A", "A"],
    ["VAR_B", "B"],
    ["VAR_C", "C"],
    ["VAR_REF", "$(VAR_A)"],
    ["VAR_EMPTY", ""],
  ]);
  const m = mappingFor(ctx);
  const cases: [string, string][] = [
    ["$(VAR_A)", "A"],
    ["___$(VAR_B)___", "___B___"],
    ["$(VAR_A)-$(VAR_A)", "A-A"],
    ["$(VAR_A)$(VAR_B)$(VAR_C)", "ABC"],
    ["$(VAR_REF)", "$(VAR_A)"],
    ["$$(VAR_B)", "$(VAR_B)"],
    ["$$$(VAR_A)", "$A"],
    ["$$$$(VAR_A)", "$$(VAR_A)"],
    ["$(VAR_EMPTY)", ""],
    ["$(UNKNOWN)", "$(UNKNOWN)"],
    ["foo$(UNKNOWN)bar", "foo$(UNKNOWN)bar"],
    ["$(VAR_A", "$(VAR_A"],
    ["$(VAR_A$(VAR_B)", "$(VAR_A$(VAR_B)"],
    ["$VAR_A", "$VAR_A"],
    ["$", "$"],
    ["foo$", "foo$"],
    ["$$", "$"],
    ["$()", "$()"],
    ["$(VAR_A)$", "A$"],
    ["x$$", "x$"],
    ["no refs", "no refs"],
  ];
  for (const [input, want] of cases) assert.equal(expand(input, m), want, input);
});

test("service link variables", () => {
  const vars = serviceEnvVars([
    { metadata: { name: "my-svc", namespace: "ns" }, spec: { clusterIP: "10.43.0.7", ports: [{ name: "http", port: 80, protocol: "TCP" }, { port: 53, protocol: "UDP" }] } },
    { metadata: { name: "headless", namespace: "ns" }, spec: { clusterIP: "None", ports: [{ port: 1 }] } },
  ] as any);
  assert.deepEqual(Object.fromEntries(vars.map((v) => [v.name, v.value])), {
    MY_SVC_SERVICE_HOST: "10.43.0.7",
    MY_SVC_SERVICE_PORT: "80",
    MY_SVC_SERVICE_PORT_HTTP: "80",
    MY_SVC_PORT: "tcp://10.43.0.7:80",
    MY_SVC_PORT_80_TCP: "tcp://10.43.0.7:80",
    MY_SVC_PORT_80_TCP_PROTO: "tcp",
    MY_SVC_PORT_80_TCP_PORT: "80",
    MY_SVC_PORT_80_TCP_ADDR: "10.43.0.7",
    MY_SVC_PORT_53_UDP: "udp://10.43.0.7:53",
    MY_SVC_PORT_53_UDP_PROTO: "udp",
    MY_SVC_PORT_53_UDP_PORT: "53",
    MY_SVC_PORT_53_UDP_ADDR: "10.43.0.7",
  });
});

function fakeSource(): ObjectSource {
  const cms: Record<string, any> = {
    "ns/cfg": { metadata: { name: "cfg", namespace: "ns" }, data: { "log-level": "debug", GOOD: "g", "1bad": "x" } },
  };
  const secrets: Record<string, any> = {
    "ns/sec": { metadata: { name: "sec", namespace: "ns" }, data: { password: Buffer.from("s3cret").toString("base64") } },
  };
  const services: Record<string, any[]> = {
    default: [{ metadata: { name: "kubernetes", namespace: "default" }, spec: { clusterIP: "10.43.0.1", ports: [{ name: "https", port: 443, protocol: "TCP" }] } }],
    ns: [{ metadata: { name: "db", namespace: "ns" }, spec: { clusterIP: "10.43.0.9", ports: [{ port: 5432 }] } }],
  };
  return {
    getConfigMap: async (ns, n) => cms[`${ns}/${n}`],
    getSecret: async (ns, n) => secrets[`${ns}/${n}`],
    listServices: async (ns) => services[ns] ?? [],
    getPersistentVolumeClaim: async () => undefined,
    getPersistentVolume: async () => undefined,
  };
}

const pod = {
  metadata: { name: "p1", namespace: "ns", uid: "u-1", labels: { app: "web" }, annotations: { a: "b" } },
  spec: { nodeName: "node1", serviceAccountName: "default", containers: [] as any[] },
};

test("env: values, valueFrom, envFrom, service links and command expansion", async () => {
  const warnings: string[] = [];
  const container = {
    name: "c",
    resources: { limits: { memory: "64Mi" }, requests: { cpu: "250m" } },
    envFrom: [{ configMapRef: { name: "cfg" }, prefix: "CFG_" }, { configMapRef: { name: "cfg" } }, { secretRef: { name: "missing", optional: true } }],
    env: [
      { name: "A", value: "a" },
      { name: "B", value: "$(A)-$(DB_SERVICE_HOST)-$(NOPE)" },
      { name: "LEVEL", valueFrom: { configMapKeyRef: { name: "cfg", key: "log-level" } } },
      { name: "PW", valueFrom: { secretKeyRef: { name: "sec", key: "password" } } },
      { name: "OPT", valueFrom: { secretKeyRef: { name: "sec", key: "nope", optional: true } } },
      { name: "POD", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
      { name: "APP", valueFrom: { fieldRef: { fieldPath: "metadata.labels['app']" } } },
      { name: "IP", valueFrom: { fieldRef: { fieldPath: "status.podIP" } } },
      { name: "IPS", valueFrom: { fieldRef: { fieldPath: "status.podIPs" } } },
      { name: "HOST", valueFrom: { fieldRef: { fieldPath: "status.hostIP" } } },
      { name: "NODE", valueFrom: { fieldRef: { fieldPath: "spec.nodeName" } } },
      { name: "MEM", valueFrom: { resourceFieldRef: { resource: "limits.memory", divisor: "1Mi" } } },
      { name: "CPU_LIMIT", valueFrom: { resourceFieldRef: { resource: "limits.cpu" } } },
      { name: "CPU_REQ", valueFrom: { resourceFieldRef: { resource: "requests.cpu", divisor: "1m" } } },
    ],
    command: ["/bin/sh", "-c", "echo $(POD) $$(POD) $(MISSING)"],
    args: ["$(KUBERNETES_SERVICE_HOST)"],
  };
  const r = await resolveContainerCommand(pod as any, container, fakeSource(), {
    enableServiceLinks: true,
    podIPs: ["10.42.0.5", "fd00::5"],
    hostIPs: ["192.168.0.2"],
    nodeAllocatable: { cpu: "2", memory: "4Gi" },
    onWarning: (_r, m) => warnings.push(m),
  });
  const env = Object.fromEntries(r.envs.map((e) => [e.key, e.value]));
  assert.equal(env.A, "a");
  assert.equal(env.B, "a-10.43.0.9-$(NOPE)");
  assert.equal(env.LEVEL, "debug");
  assert.equal(env.PW, "s3cret");
  assert.equal("OPT" in env, false);
  assert.equal(env.POD, "p1");
  assert.equal(env.APP, "web");
  assert.equal(env.IP, "10.42.0.5");
  assert.equal(env.IPS, "10.42.0.5,fd00::5");
  assert.equal(env.HOST, "192.168.0.2");
  assert.equal(env.NODE, "node1");
  assert.equal(env.MEM, "64");
  assert.equal(env.CPU_LIMIT, "2");
  assert.equal(env.CPU_REQ, "250");
  assert.equal(env.CFG_GOOD, "g");
  assert.equal(env.GOOD, "g");
  assert.equal(env["log-level"], "debug");
  assert.equal("1bad" in env, false);
  assert.equal(env.CFG_1bad, "x");
  assert.equal(env.KUBERNETES_SERVICE_HOST, "10.43.0.1");
  assert.equal(env.KUBERNETES_PORT_443_TCP, "tcp://10.43.0.1:443");
  assert.equal(env.DB_PORT, "tcp://10.43.0.9:5432");
  assert.deepEqual(r.command, ["/bin/sh", "-c", "echo p1 $(POD) $(MISSING)"]);
  assert.deepEqual(r.args, ["10.43.0.1"]);
  assert.deepEqual(warnings, [
    "Keys [1bad] from the EnvFrom configMap ns/cfg were skipped since they are considered invalid environment variable names.",
  ]);
  // user env comes before service env, in definition order
  assert.deepEqual(r.envs.slice(0, 4).map((e) => e.key), ["CFG_log-level", "CFG_GOOD", "CFG_1bad", "log-level"]);
});

test("env: service links disabled still has the kubernetes service", async () => {
  const r = await resolveContainerCommand(pod as any, { name: "c" }, fakeSource(), { enableServiceLinks: false });
  const keys = r.envs.map((e) => e.key);
  assert.ok(keys.includes("KUBERNETES_SERVICE_HOST"));
  assert.ok(!keys.some((k) => k.startsWith("DB_")));
});

test("env: missing sources are CreateContainerConfigError with upstream messages", async () => {
  const run = (env: any[], envFrom: any[] = []) =>
    resolveContainerCommand(pod as any, { name: "c", env, envFrom }, fakeSource(), { enableServiceLinks: true });
  const check = async (p: Promise<unknown>, msg: string) => {
    await assert.rejects(p, (e: any) => e instanceof KubeletError && e.reason === "CreateContainerConfigError" && e.message === msg);
  };
  await check(run([{ name: "X", valueFrom: { configMapKeyRef: { name: "nope", key: "k" } } }]), 'configmap "nope" not found');
  await check(run([{ name: "X", valueFrom: { configMapKeyRef: { name: "cfg", key: "k" } } }]), "couldn't find key k in ConfigMap ns/cfg");
  await check(run([{ name: "X", valueFrom: { secretKeyRef: { name: "sec", key: "k" } } }]), "couldn't find key k in Secret ns/sec");
  await check(run([{ name: "X", valueFrom: { secretKeyRef: { name: "nope", key: "k" } } }]), 'secret "nope" not found');
  await check(run([], [{ configMapRef: { name: "nope" } }]), 'configmap "nope" not found');
  const ok = await run([{ name: "X", valueFrom: { configMapKeyRef: { name: "nope", key: "k", optional: true } } }]);
  assert.ok(!ok.envs.some((e) => e.key === "X"));
});
