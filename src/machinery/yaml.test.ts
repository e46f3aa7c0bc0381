import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { loadKubeconfig } from "../client/config.ts";
import { renderKubeconfig, writeKubeconfig } from "../cli/kubeconfig.ts";
import { parseYaml, stringifyYaml } from "./yaml.ts";

describe("parseYaml", () => {
  it("parses YAML documents", () => {
    assert.deepEqual(parseYaml("a: 1\nb:\n  - x\n  - y\n"), { a: 1, b: ["x", "y"] });
  });
  it("parses JSON objects, and YAML flow mappings that are not strict JSON", () => {
    assert.deepEqual(parseYaml('  {"kind": "Pod", "n": [1, 2]}\n'), { kind: "Pod", n: [1, 2] });
    assert.deepEqual(parseYaml("{kind: Pod, n: [1, 2]}"), { kind: "Pod", n: [1, 2] });
  });
  it("throws on malformed input", () => {
    assert.throws(() => parseYaml("a: [1, 2"));
  });
  it("round-trips through stringifyYaml", () => {
    const v = { apiVersion: "v1", items: [{ a: "1" }, { b: true }] };
    assert.deepEqual(parseYaml(stringifyYaml(v)), v);
  });
});

describe("kubeconfig formats", () => {
  const o = { server: "https://127.0.0.1:6443", caPem: "CA PEM", certPem: "CERT", keyPem: "KEY", userName: "system:node:n1" };
  it("renders the same document as YAML and as JSON", () => {
    const json = renderKubeconfig(o, "json");
    assert.deepEqual(JSON.parse(json), parseYaml(renderKubeconfig(o)));
    assert.match(renderKubeconfig(o), /^apiVersion: v1$/m);
  });
  it("loads a JSON kubeconfig written for a node", () => {
    const dir = mkdtempSync(join(tmpdir(), "tskube-kc-"));
    try {
      writeKubeconfig(join(dir, "kubelet.kubeconfig"), o, 0o600, "json");
      assert.deepEqual(loadKubeconfig(join(dir, "kubelet.kubeconfig")), { server: o.server, ca: "CA PEM", cert: "CERT", key: "KEY" });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
