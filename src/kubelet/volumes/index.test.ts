import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { HostVolumeManager } from "./index.ts";
import { KubeletError, type ObjectSource } from "../types.ts";

function setup() {
  const dir = mkdtempSync(join(tmpdir(), "vol-test-"));
  const cms: Record<string, any> = {
    "ns/cfg": { metadata: { name: "cfg", namespace: "ns" }, data: { "app.conf": "v1", other: "o" }, binaryData: { bin: Buffer.from([0, 1, 2]).toString("base64") } },
    "ns/kube-root-ca.crt": { metadata: { name: "kube-root-ca.crt" }, data: { "ca.crt": "CA" } },
  };
  const secrets: Record<string, any> = { "ns/sec": { metadata: { name: "sec" }, data: { password: Buffer.from("pw").toString("base64") } } };
  const pvcs: Record<string, any> = {
    "ns/claim": { spec: { volumeName: "pv1" }, status: { phase: "Bound" } },
    "ns/pending": { spec: {}, status: { phase: "Pending" } },
  };
  const pvs: Record<string, any> = { pv1: { spec: { hostPath: { path: join(dir, "pvdata"), type: "DirectoryOrCreate" }, accessModes: ["ReadWriteOnce"] } } };
  const source: ObjectSource = {
    getConfigMap: async (ns, n) => cms[`${ns}/${n}`],
    getSecret: async (ns, n) => secrets[`${ns}/${n}`],
    listServices: async () => [],
    getPersistentVolumeClaim: async (ns, n) => pvcs[`${ns}/${n}`],
    getPersistentVolume: async (n) => pvs[n],
    serviceAccountToken: async (_pod, aud, exp) => `token-${aud ?? "api"}-${exp}`,
  };
  const mgr = new HostVolumeManager({ podsDir: join(dir, "pods"), source, nodeName: "node1", nodeAllocatable: { cpu: "2", memory: "1Gi" } });
  return { dir, cms, mgr, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

const podWith = (volumes: any[], containers: any[] = [{ name: "c" }]) => ({
  metadata: { name: "p", namespace: "ns", uid: "uid1", labels: { b: "2", a: "1" } },
  spec: { volumes, containers },
});

test("configMap volume: atomic layout, modes, refresh on update", async () => {
  const { mgr, cms, cleanup } = setup();
  try {
    const pod = podWith([{ name: "cfg", configMap: { name: "cfg" } }]);
    await mgr.setUp(pod);
    const vdir = mgr.volumeDir("uid1", "configmap", "cfg");
    const data = readlinkSync(join(vdir, "..data"));
    assert.match(data, /^\.\.\d{4}_\d\d_\d\d_\d\d_\d\d_\d\d\./);
    assert.equal(readlinkSync(join(vdir, "app.conf")), "..data/app.conf");
    assert.equal(readFileSync(join(vdir, "app.conf"), "utf8"), "v1");
    assert.deepEqual([...readFileSync(join(vdir, "bin"))], [0, 1, 2]);
    assert.equal(statSync(join(vdir, "app.conf")).mode & 0o777, 0o644);

    // unchanged: nothing rewritten
    await mgr.setUp(pod);
    assert.equal(readlinkSync(join(vdir, "..data")), data);

    // update: new ts dir, old one gone, removed key's link gone
    cms["ns/cfg"] = { metadata: { name: "cfg" }, data: { "app.conf": "v2" } };
    await mgr.setUp(pod);
    const data2 = readlinkSync(join(vdir, "..data"));
    assert.notEqual(data2, data);
    assert.equal(readFileSync(join(vdir, "app.conf"), "utf8"), "v2");
    assert.equal(existsSync(join(vdir, data)), false);
    assert.equal(existsSync(join(vdir, "other")), false);
    assert.deepEqual(readdirSync(vdir).sort(), ["..data", data2, "app.conf"].sort());
  } finally {
    cleanup();
  }
});

test("secret items, defaultMode, optional and missing sources", async () => {
  const { mgr, cleanup } = setup();
  try {
    const pod = podWith([
      { name: "s", secret: { secretName: "sec", defaultMode: 0o400, items: [{ key: "password", path: "sub/pw" }, { key: "password", path: "pw2", mode: 0o640 }] } },
      { name: "opt", configMap: { name: "nope", optional: true } },
    ]);
    const vols = await mgr.setUp(pod);
    const sdir = mgr.volumeDir("uid1", "secret", "s");
    assert.equal(readFileSync(join(sdir, "sub/pw"), "utf8"), "pw");
    assert.equal(readlinkSync(join(sdir, "sub")), "..data/sub");
    assert.equal(statSync(join(sdir, "sub/pw")).mode & 0o777, 0o400);
    assert.equal(statSync(join(sdir, "pw2")).mode & 0o777, 0o640);
    assert.deepEqual(readdirSync(mgr.volumeDir("uid1", "configmap", "opt")).sort(), ["..data", readlinkSync(join(mgr.volumeDir("uid1", "configmap", "opt"), "..data"))].sort());
    const mounts = vols.mountsFor({ name: "c", volumeMounts: [{ name: "s", mountPath: "/s" }] });
    assert.deepEqual(mounts, [{ container_path: "/s", host_path: sdir, readonly: true, selinux_relabel: false, propagation: "PROPAGATION_PRIVATE" }]);

    const fail = async (volumes: any[], msg: string) => {
      await assert.rejects(mgr.setUp(podWith(volumes)), (e: any) => e instanceof KubeletError && e.reason === "FailedMount" && e.message === msg);
    };
    await fail([{ name: "v", configMap: { name: "x" } }], 'MountVolume.SetUp failed for volume "v" : configmap "x" not found');
    await fail([{ name: "v", secret: { secretName: "x" } }], 'MountVolume.SetUp failed for volume "v" : secret "x" not found');
    await fail([{ name: "v", configMap: { name: "cfg", items: [{ key: "k", path: "k" }] } }], 'MountVolume.SetUp failed for volume "v" : configmap references non-existent config key: k');
  } finally {
    cleanup();
  }
});

test("downwardAPI and projected volumes", async () => {
  const { mgr, cleanup } = setup();
  try {
    const pod = podWith(
      [
        {
          name: "dapi",
          downwardAPI: {
            items: [
              { path: "labels", fieldRef: { fieldPath: "metadata.labels" } },
              { path: "name", fieldRef: { fieldPath: "metadata.name" } },
              { path: "mem", resourceFieldRef: { containerName: "c", resource: "limits.memory", divisor: "1Mi" } },
            ],
          },
        },
        {
          name: "kube-api-access",
          projected: {
            defaultMode: 0o644,
            sources: [
              { serviceAccountToken: { expirationSeconds: 3607, path: "token" } },
              { configMap: { name: "kube-root-ca.crt", items: [{ key: "ca.crt", path: "ca.crt" }] } },
              { downwardAPI: { items: [{ path: "namespace", fieldRef: { fieldPath: "metadata.namespace" } }] } },
            ],
          },
        },
      ],
      [{ name: "c", resources: { limits: { memory: "32Mi" } } }],
    );
    await mgr.setUp(pod);
    const d = mgr.volumeDir("uid1", "downward-api", "dapi");
    assert.equal(readFileSync(join(d, "labels"), "utf8"), 'a="1"\nb="2"');
    assert.equal(readFileSync(join(d, "name"), "utf8"), "p");
    assert.equal(readFileSync(join(d, "mem"), "utf8"), "32");
    const p = mgr.volumeDir("uid1", "projected", "kube-api-access");
    assert.equal(readFileSync(join(p, "token"), "utf8"), "token-api-3607");
    assert.equal(readFileSync(join(p, "ca.crt"), "utf8"), "CA");
    assert.equal(readFileSync(join(p, "namespace"), "utf8"), "ns");
  } finally {
    cleanup();
  }
});

test("emptyDir, hostPath types, PVCs, subPath and tearDown", async () => {
  const { dir, mgr, cleanup } = setup();
  try {
    mkdirSync(join(dir, "hostdir"));
    writeFileSync(join(dir, "hostfile"), "x");
    const pod = podWith([
      { name: "scratch", emptyDir: {} },
      { name: "hd", hostPath: { path: join(dir, "hostdir"), type: "Directory" } },
      { name: "hc", hostPath: { path: join(dir, "created/dir"), type: "DirectoryOrCreate" } },
      { name: "hf", hostPath: { path: join(dir, "newfile"), type: "FileOrCreate" } },
      { name: "data", persistentVolumeClaim: { claimName: "claim", readOnly: true } },
      { name: "cfg", configMap: { name: "cfg" } },
    ]);
    const vols = await mgr.setUp(pod);
    const ed = mgr.volumeDir("uid1", "empty-dir", "scratch");
    assert.equal(statSync(ed).mode & 0o777, 0o777);
    assert.ok(statSync(join(dir, "created/dir")).isDirectory());
    assert.ok(statSync(join(dir, "newfile")).isFile());
    assert.ok(statSync(join(dir, "pvdata")).isDirectory());

    const mounts = vols.mountsFor({
      name: "c",
      env: [{ name: "POD", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } }],
      volumeMounts: [
        { name: "scratch", mountPath: "/a", subPath: "x/y" },
        { name: "scratch", mountPath: "/b", subPathExpr: "logs/$(POD)", mountPropagation: "HostToContainer" },
        { name: "hd", mountPath: "/hd", readOnly: true },
        { name: "data", mountPath: "/data" },
        { name: "cfg", mountPath: "/etc/app.conf", subPath: "app.conf" },
      ],
    });
    assert.equal(mounts[0].host_path, join(ed, "x/y"));
    assert.ok(statSync(join(ed, "x/y")).isDirectory());
    assert.equal(mounts[0].readonly, false);
    assert.equal(mounts[1].host_path, join(ed, "logs/p"));
    assert.equal(mounts[1].propagation, "PROPAGATION_HOST_TO_CONTAINER");
    assert.equal(mounts[2].readonly, true);
    assert.deepEqual([mounts[3].host_path, mounts[3].readonly], [join(dir, "pvdata"), true]);
    assert.match(mounts[4].host_path, /\/\.\.\d{4}_.*\/app\.conf$/);
    assert.equal(mounts[4].readonly, true);

    const bad = (vm: any, re: RegExp) =>
      assert.throws(() => vols.mountsFor({ name: "c", volumeMounts: [vm] }), (e: any) => e instanceof KubeletError && e.reason === "CreateContainerConfigError" && re.test(e.message));
    bad({ name: "scratch", mountPath: "/x", subPath: "../etc" }, /must not contain '\.\.'/);
    bad({ name: "scratch", mountPath: "/x", subPath: "/etc" }, /must not be an absolute path/);
    bad({ name: "nope", mountPath: "/x" }, /cannot find volume "nope" to mount into container "c"/);
    symlinkSync("/etc", join(ed, "escape"));
    bad({ name: "scratch", mountPath: "/x", subPath: "escape" }, /not within volume path/);

    const fail = async (volumes: any[], re: RegExp) => {
      await assert.rejects(mgr.setUp(podWith(volumes)), (e: any) => e instanceof KubeletError && e.reason === "FailedMount" && re.test(e.message));
    };
    await fail([{ name: "v", hostPath: { path: join(dir, "hostfile"), type: "Directory" } }], /volume "v" : hostPath type check failed: .*hostfile is not a directory$/);
    await fail([{ name: "v", hostPath: { path: join(dir, "hostdir"), type: "File" } }], /is not a file$/);
    await fail([{ name: "v", hostPath: { path: join(dir, "hostdir"), type: "Socket" } }], /is not a socket file$/);
    await fail([{ name: "v", hostPath: { path: "/dev/null", type: "BlockDevice" } }], /is not a block device$/);
    await fail([{ name: "v", persistentVolumeClaim: { claimName: "pending" } }], /PVC ns\/pending has non-bound phase \("Pending"\)/);
    await fail([{ name: "v", persistentVolumeClaim: { claimName: "gone" } }], /persistentvolumeclaim "gone" not found/);
    await mgr.setUp(podWith([{ name: "v", hostPath: { path: "/dev/null", type: "CharDevice" } }]));

    await mgr.tearDown("uid1");
    assert.equal(existsSync(join(dir, "pods/uid1/volumes")), false);
    assert.ok(existsSync(join(dir, "hostdir")), "hostPath contents survive");
  } finally {
    cleanup();
  }
});

test("emptyDir medium Memory is a tmpfs, unmounted by tearDown", { skip: process.getuid?.() !== 0 }, async () => {
  const { mgr, cleanup } = setup();
  const ed = mgr.volumeDir("uid1", "empty-dir", "mem");
  try {
    await mgr.setUp(podWith([{ name: "mem", emptyDir: { medium: "Memory", sizeLimit: "16Mi" } }]));
    await mgr.setUp(podWith([{ name: "mem", emptyDir: { medium: "Memory", sizeLimit: "16Mi" } }]));
    const mounts = readFileSync("/proc/mounts", "utf8").split("\n").filter((l) => l.split(" ")[1] === ed);
    assert.equal(mounts.length, 1, "mounted once");
    assert.match(mounts[0], /^tmpfs .* tmpfs .*size=16384k/);
    await mgr.tearDown("uid1");
    assert.equal(readFileSync("/proc/mounts", "utf8").includes(ed), false);
  } finally {
    while (readFileSync("/proc/mounts", "utf8").split("\n").some((l) => l.split(" ")[1] === ed)) {
      try {
        execFileSync("umount", [ed]);
      } catch {
        break;
      }
    }
    cleanup();
  }
  assert.equal(lstatSync(tmpdir()).isDirectory(), true);
});

test("fsGroup: secret and emptyDir volumes are group-owned and group-readable, directories setgid", { skip: process.getuid?.() !== 0 ? "needs root to chown" : false }, async () => {
  const { mgr, cleanup } = setup();
  try {
    const pod: any = podWith([
      { name: "s", secret: { secretName: "sec", defaultMode: 0o400 } },
      { name: "e", emptyDir: {} },
    ]);
    pod.spec.securityContext = { runAsUser: 1000, fsGroup: 2000 };
    await mgr.setUp(pod);
    const sdir = mgr.volumeDir("uid1", "secret", "s");
    const file = statSync(join(sdir, "password"));
    assert.equal(file.gid, 2000);
    assert.equal(file.mode & 0o777, 0o440, "0400 gains group read, as upstream");
    const data = statSync(join(sdir, "..data"));
    assert.equal(data.gid, 2000);
    assert.ok(data.mode & 0o2000, "directories are setgid");
    assert.equal(lstatSync(join(sdir, "password")).gid, 2000, "key symlinks are re-owned too");
    const edir = statSync(mgr.volumeDir("uid1", "empty-dir", "e"));
    assert.equal(edir.gid, 2000);
    assert.equal(edir.mode & 0o7777, 0o2777);
    const plain = podWith([{ name: "s", secret: { secretName: "sec", defaultMode: 0o400 } }]);
    (plain.metadata as any).uid = "uid2";
    await mgr.setUp(plain);
    assert.equal(statSync(join(mgr.volumeDir("uid2", "secret", "s"), "password")).mode & 0o777, 0o400, "without fsGroup modes stay");
  } finally {
    cleanup();
  }
});
