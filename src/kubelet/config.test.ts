/**
 * CRI config building: seccomp profiles on sandbox and container security
 * contexts (Unconfined by default, RuntimeDefault and Localhost from the pod
 * or container field) and the kubelet's runAsNonRoot check.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { containerConfig, sandboxConfig, verifyRunAsNonRoot } from "./config.ts";
import { KubeletError, type Pod } from "./types.ts";

function pod(spec: Record<string, any>): Pod {
  return { metadata: { name: "p", namespace: "ns", uid: "u1" }, spec: { containers: [{ name: "c", image: "busybox" }], ...spec } } as Pod;
}
const inputs = { kind: "app" as const, attempt: 0, imageRef: "sha256:x", command: { envs: [], command: [], args: [] }, mounts: [] };
const cfg = (p: Pod, extra: Record<string, unknown> = {}) => containerConfig(p, p.spec!.containers[0], { ...inputs, ...extra });

test("seccomp: Unconfined unless a profile is set; the container's field wins over the pod's", () => {
  assert.deepEqual(cfg(pod({})).linux.security_context.seccomp, { profile_type: "Unconfined" });
  const p = pod({ securityContext: { seccompProfile: { type: "RuntimeDefault" } } });
  assert.deepEqual(cfg(p).linux.security_context.seccomp, { profile_type: "RuntimeDefault" });
  assert.deepEqual(sandboxConfig(p, { attempt: 0, logDir: "/l", cgroupParent: "/c" }).linux.security_context.seccomp, { profile_type: "RuntimeDefault" });
  p.spec!.containers[0].securityContext = { seccompProfile: { type: "Localhost", localhostProfile: "profiles/audit.json" } };
  assert.deepEqual(cfg(p).linux.security_context.seccomp, { profile_type: "Localhost", localhost_ref: "/var/lib/kubelet/seccomp/profiles/audit.json" });
  assert.deepEqual(cfg(p, { seccompProfileRoot: "/k/seccomp" }).linux.security_context.seccomp.localhost_ref, "/k/seccomp/profiles/audit.json");
  p.spec!.containers[0].securityContext = { seccompProfile: { type: "Unconfined" } };
  assert.deepEqual(cfg(p).linux.security_context.seccomp, { profile_type: "Unconfined" });
});

test("runAsNonRoot rejects uid 0 and root or non-numeric image users with CreateContainerConfigError", () => {
  const err = (fn: () => unknown, re: RegExp) =>
    assert.throws(fn, (e: unknown) => e instanceof KubeletError && e.reason === "CreateContainerConfigError" && re.test(e.message));
  err(() => cfg(pod({ securityContext: { runAsNonRoot: true, runAsUser: 0 } })), /^container's runAsUser breaks non-root policy \(pod: "p_ns\(u1\)", container: c\)$/);
  const p = pod({ securityContext: { runAsNonRoot: true } });
  err(() => cfg(p, { imageUser: {} }), /^container has runAsNonRoot and image will run as root \(pod: "p_ns\(u1\)", container: c\)$/);
  err(() => cfg(p, { imageUser: { uid: 0 } }), /image will run as root/);
  err(() => cfg(p, { imageUser: { username: "nobody" } }), /image has non-numeric user \(nobody\), cannot verify user is non-root/);
  assert.ok(cfg(p, { imageUser: { uid: 65534 } }));
  assert.ok(cfg(p), "image user unknown: only runAsUser is checked");
  // The container's fields override the pod's.
  assert.ok(cfg(pod({ securityContext: { runAsNonRoot: true, runAsUser: 0 }, containers: [{ name: "c", image: "x", securityContext: { runAsUser: 1000 } }] }), { imageUser: {} }));
  assert.ok(cfg(pod({ securityContext: { runAsNonRoot: true, runAsUser: 0 }, containers: [{ name: "c", image: "x", securityContext: { runAsNonRoot: false } }] })));
  assert.doesNotThrow(() => verifyRunAsNonRoot(pod({ securityContext: { runAsUser: 0 } }), { name: "c" } as any, {}));
});
