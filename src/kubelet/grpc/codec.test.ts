/** Tests for the proto reader and the protobuf codec, with the CRI schema and small inline protos. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { criSchema } from "../cri/client.ts";
import { decode, encode } from "./codec.ts";
import { parseProto } from "./schema.ts";

const cri = criSchema();

test("reads the CRI proto: services, nested enums, maps", () => {
  assert.equal(cri.package, "runtime.v1");
  assert.equal(cri.services.get("RuntimeService")!.length, 22);
  assert.deepEqual(cri.services.get("ImageService")!.map((r) => r.name), ["ListImages", "ImageStatus", "PullImage", "RemoveImage", "ImageFsInfo"]);
  const seccomp = cri.messages.get("SecurityProfile")!.byNumber.get(1)!;
  assert.deepEqual([seccomp.kind, seccomp.type], ["enum", "SecurityProfile.ProfileType"]);
  const labels = cri.messages.get("ContainerConfig")!.fields.find((f) => f.name === "labels")!;
  assert.equal(labels.kind, "map");
});

test("decode fills proto-loader defaults", () => {
  assert.deepEqual(decode(cri, "ExecSyncResponse", Buffer.alloc(0)), { stdout: Buffer.alloc(0), stderr: Buffer.alloc(0), exit_code: 0 });
  assert.deepEqual(decode(cri, "Image", Buffer.alloc(0)), {
    id: "", repo_tags: [], repo_digests: [], size: "0", uid: null, username: "", spec: null, pinned: false,
  });
  assert.equal(decode(cri, "PodSandbox", Buffer.alloc(0)).state, "SANDBOX_READY");
});

test("known bytes: strings, int64 strings, enums, negative int32, Int64Value", () => {
  // ContainerStatus { id: "a" (1), state: 2 (3), created_at: 300 (4), exit_code: -1 (7) }
  const bytes = Buffer.from([0x0a, 1, 0x61, 0x18, 2, 0x20, 0xac, 0x02, 0x38, ...Array(9).fill(0xff), 0x01]);
  const st = decode(cri, "ContainerStatus", bytes);
  assert.equal(st.id, "a");
  assert.equal(st.state, "CONTAINER_EXITED");
  assert.equal(st.created_at, "300");
  assert.equal(st.exit_code, -1);
  assert.deepEqual([...encode(cri, "ContainerStatus", { id: "a", state: "CONTAINER_EXITED", created_at: "300", exit_code: -1 })], [...bytes]);
  // Image.uid = Int64Value { value: 0 } is a present empty message
  assert.deepEqual([...encode(cri, "Image", { uid: { value: 0 } })], [0x2a, 0]);
  assert.deepEqual(decode(cri, "Image", Buffer.from([0x2a, 0])).uid, { value: "0" });
});

test("round trip of a representative CreateContainerRequest", () => {
  const req = {
    pod_sandbox_id: "sb",
    config: {
      metadata: { name: "c", attempt: 2 }, image: { image: "busybox", annotations: {} }, command: ["sh"], args: ["-c", "echo é"],
      envs: [{ key: "A", value: "1" }], mounts: [{ container_path: "/a", host_path: "/b", readonly: true, selinux_relabel: false, propagation: "PROPAGATION_HOST_TO_CONTAINER" }],
      labels: { "io.kubernetes.pod.name": "p", empty: "" }, annotations: {},
      linux: {
        resources: { cpu_period: "100000", cpu_quota: "-1", cpu_shares: "2", memory_limit_in_bytes: "9007199254740993", oom_score_adj: "-997" },
        security_context: { run_as_user: { value: "0" }, supplemental_groups: ["1", "-3", "9223372036854775807"], seccomp: { profile_type: "Localhost", localhost_ref: "p" } },
      },
    },
  };
  const out = decode(cri, "CreateContainerRequest", encode(cri, "CreateContainerRequest", req));
  assert.equal(out.pod_sandbox_id, "sb");
  assert.deepEqual(out.config.args, ["-c", "echo é"]);
  assert.deepEqual(out.config.labels, { "io.kubernetes.pod.name": "p", empty: "" });
  assert.equal(out.config.mounts[0].propagation, "PROPAGATION_HOST_TO_CONTAINER");
  assert.equal(out.config.linux.resources.memory_limit_in_bytes, "9007199254740993");
  assert.equal(out.config.linux.resources.cpu_quota, "-1");
  assert.equal(out.config.linux.resources.oom_score_adj, "-997");
  assert.deepEqual(out.config.linux.security_context.supplemental_groups, ["1", "-3", "9223372036854775807"]);
  assert.deepEqual(out.config.linux.security_context.run_as_user, { value: "0" });
  assert.deepEqual(out.config.linux.security_context.seccomp, { profile_type: "Localhost", localhost_ref: "p" });
  assert.equal(out.sandbox_config, null);
  // numbers and strings are both accepted for 64-bit fields
  assert.deepEqual(encode(cri, "StopContainerRequest", { container_id: "c", timeout: 30 }), encode(cri, "StopContainerRequest", { container_id: "c", timeout: "30" }));
});

test("packed repeated scalars encode packed and decode packed or unpacked", () => {
  const packed = encode(cri, "PortForwardRequest", { port: [80, 443] });
  assert.deepEqual([...packed], [0x12, 3, 80, 0xbb, 0x03]);
  assert.deepEqual(decode(cri, "PortForwardRequest", packed).port, [80, 443]);
  const unpacked = Buffer.from([0x10, 80, 0x10, 0xbb, 0x03]);
  assert.deepEqual(decode(cri, "PortForwardRequest", unpacked).port, [80, 443]);
});

test("uint64 wrappers above 2^53 stay exact", () => {
  const m = { cpu: { timestamp: "1700000000000000000", usage_core_nano_seconds: { value: "18446744073709551615" } } };
  const out = decode(cri, "ContainerStats", encode(cri, "ContainerStats", m));
  assert.equal(out.cpu.usage_core_nano_seconds.value, "18446744073709551615");
  assert.equal(out.cpu.timestamp, "1700000000000000000");
});

test("unknown fields are skipped and unknown enum numbers kept as numbers", () => {
  // field 99 varint, field 98 length-delimited, field 97 fixed64, field 96 fixed32, then version = "v"
  const buf = Buffer.concat([
    Buffer.from([0x98, 0x06, 0x05, 0x92, 0x06, 0x02, 0x61, 0x62, 0x89, 0x06]), Buffer.alloc(8), Buffer.from([0x85, 0x06]), Buffer.alloc(4),
    Buffer.from([0x0a, 1, 0x76]),
  ]);
  assert.deepEqual(decode(cri, "VersionRequest", buf), { version: "v" });
  assert.equal(decode(cri, "ContainerStateValue", Buffer.from([0x08, 9])).state, 9);
});

test("small inline protos: nested messages, scalar kinds, oneof fields", () => {
  const s = parseProto(`
    syntax = "proto3"; package t; // comment
    message Outer {
      message Inner { sint32 z = 1; sint64 w = 2; double d = 3; float f = 4; fixed32 x = 5; sfixed64 y = 6; }
      Inner inner = 1; repeated Inner items = 2; map<string, Inner> byName = 3; repeated bool flags = 4 [packed = true];
      oneof pick { string a = 5; uint32 b = 6; }
      reserved 7;
    }`);
  const m = { inner: { z: -3, w: "-5", d: 1.5, f: 0.25, x: 4000000000, y: "-7" }, items: [{ z: 1 }, {}], byName: { k: { z: 2 } }, flags: [true, false], b: 9 };
  const out = decode(s, "Outer", encode(s, "Outer", m));
  assert.deepEqual(out.inner, { z: -3, w: "-5", d: 1.5, f: 0.25, x: 4000000000, y: "-7" });
  assert.equal(out.items.length, 2);
  assert.equal(out.items[1].z, 0);
  assert.equal(out.byName.k.z, 2);
  assert.deepEqual(out.flags, [true, false]);
  assert.equal(out.b, 9);
  assert.equal(out.a, "");
});
