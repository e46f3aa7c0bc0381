/**
 * Cluster PKI: on first start the server creates a cluster CA, an apiserver
 * serving certificate and an admin client certificate (ECDSA P-256), stored
 * as PEM files under `<data-dir>/server/tls`. Later starts reuse them (the
 * serving certificate is re-issued when its host names or addresses change).
 */
import { webcrypto, X509Certificate } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { networkInterfaces } from "node:os";
import { join } from "node:path";
import { runIsolated } from "./isolated.ts";

type X509 = typeof import("@peculiar/x509");
let x509Module: X509 | undefined;

/** Loads the X.509 library on first use: it is only needed to issue certificates, and costs memory. */
export async function x509(): Promise<X509> {
  if (!x509Module) {
    await import("reflect-metadata");
    x509Module = await import("@peculiar/x509");
    x509Module.cryptoProvider.set(webcrypto as unknown as Parameters<X509["cryptoProvider"]["set"]>[0]);
  }
  return x509Module;
}

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;

const alg = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;
const tenYears = 10 * 365 * 24 * 3600 * 1000;
const oneYear = 365 * 24 * 3600 * 1000;

/** A certificate and its private key, both PEM. */
export interface KeyPair {
  cert: string;
  key: string;
}

export interface ClusterPki {
  ca: KeyPair;
  serving: KeyPair;
  admin: KeyPair;
  /** Client certificates of the composed control-plane components (CN system:kube-controller-manager, system:kube-scheduler). */
  controllerManager: KeyPair;
  scheduler: KeyPair;
  /** The apiserver's client certificate towards kubelets (CN kube-apiserver-kubelet-client, O system:masters). */
  kubeletClient: KeyPair;
}

function toPem(der: ArrayBuffer, label: string): string {
  const b64 = Buffer.from(der).toString("base64").replace(/(.{64})/g, "$1\n").replace(/\n$/, "");
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`;
}

async function newKeys(): Promise<CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(alg, true, ["sign", "verify"])) as CryptoKeyPair;
}

async function keyPem(k: CryptoKey): Promise<string> {
  return toPem(await webcrypto.subtle.exportKey("pkcs8", k), "PRIVATE KEY");
}

async function importKey(pem: string): Promise<CryptoKey> {
  const b64 = pem.replace(/-----[^-]+-----/g, "").replace(/\s+/g, "");
  return webcrypto.subtle.importKey("pkcs8", Buffer.from(b64, "base64"), alg, true, ["sign"]);
}

function serial(): string {
  return Buffer.from(webcrypto.getRandomValues(new Uint8Array(16))).toString("hex").replace(/^[89a-f]/, "1");
}

function escapeDn(v: string): string {
  return v.replace(/([,+"\\<>;=])/g, "\\$1");
}

async function createCa(): Promise<KeyPair> {
  const x = await x509();
  const keys = await newKeys();
  const now = Date.now();
  const cert = await x.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: `CN=tskube-ca@${Math.floor(now / 1000)}`,
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + tenYears),
    signingAlgorithm: alg,
    keys,
    extensions: [
      new x.BasicConstraintsExtension(true, undefined, true),
      new x.KeyUsagesExtension(x.KeyUsageFlags.keyCertSign | x.KeyUsageFlags.cRLSign | x.KeyUsageFlags.digitalSignature, true),
      await x.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { cert: cert.toString("pem"), key: await keyPem(keys.privateKey) };
}

interface LeafOptions {
  commonName: string;
  organizations?: string[];
  dnsNames?: string[];
  ips?: string[];
  server: boolean;
}

/** Issues a leaf certificate signed by the CA. */
export async function issueCertificate(ca: KeyPair, opts: LeafOptions): Promise<KeyPair> {
  const x = await x509();
  const keys = await newKeys();
  const caCert = new x.X509Certificate(ca.cert);
  const caKey = await importKey(ca.key);
  const now = Date.now();
  const subject = [
    ...(opts.organizations ?? []).map((o) => `O=${escapeDn(o)}`),
    `CN=${escapeDn(opts.commonName)}`,
  ].join(", ");
  const extensions: InstanceType<X509["Extension"]>[] = [
    new x.BasicConstraintsExtension(false, undefined, true),
    new x.KeyUsagesExtension(x.KeyUsageFlags.digitalSignature | x.KeyUsageFlags.keyEncipherment, true),
    new x.ExtendedKeyUsageExtension([opts.server ? x.ExtendedKeyUsage.serverAuth : x.ExtendedKeyUsage.clientAuth]),
    await x.AuthorityKeyIdentifierExtension.create(caCert),
  ];
  const names = [
    ...(opts.dnsNames ?? []).map((value) => ({ type: "dns" as const, value })),
    ...(opts.ips ?? []).map((value) => ({ type: "ip" as const, value })),
  ];
  if (names.length) extensions.push(new x.SubjectAlternativeNameExtension(names));
  const cert = await x.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject,
    issuer: caCert.subject,
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + oneYear),
    signingAlgorithm: alg,
    publicKey: keys.publicKey,
    signingKey: caKey as never,
    extensions,
  });
  return { cert: cert.toString("pem"), key: await keyPem(keys.privateKey) };
}

/** Addresses the serving certificate must be valid for. */
export function servingAddresses(bindAddress: string, firstServiceIp: string): { ips: string[]; dnsNames: string[] } {
  const ips = new Set<string>(["127.0.0.1", "::1", firstServiceIp]);
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) ips.add(a.address.replace(/%.*$/, ""));
  }
  if (bindAddress && bindAddress !== "0.0.0.0" && bindAddress !== "::") ips.add(bindAddress);
  const dnsNames = [
    "localhost",
    "kubernetes",
    "kubernetes.default",
    "kubernetes.default.svc",
    "kubernetes.default.svc.cluster.local",
  ];
  return { ips: [...ips], dnsNames };
}

function read(dir: string, name: string): KeyPair | undefined {
  const c = join(dir, `${name}.crt`);
  const k = join(dir, `${name}.key`);
  if (!existsSync(c) || !existsSync(k)) return undefined;
  return { cert: readFileSync(c, "utf8"), key: readFileSync(k, "utf8") };
}

function write(dir: string, name: string, kp: KeyPair): void {
  writeFileSync(join(dir, `${name}.crt`), kp.cert, { mode: 0o644 });
  writeFileSync(join(dir, `${name}.key`), kp.key, { mode: 0o600 });
}

function coversAll(certPem: string, ips: string[], dnsNames: string[]): boolean {
  const cert = new X509Certificate(certPem);
  if (Date.parse(cert.validTo) - Date.now() < 30 * 24 * 3600 * 1000) return false;
  const san = cert.subjectAltName ?? "";
  return ips.every((ip) => san.includes(`IP Address:${ip}`)) && dnsNames.every((d) => san.includes(`DNS:${d}`));
}

/**
 * A throwaway self-signed serving certificate (its own one-off CA), as
 * components use for their health and metrics ports when given none.
 */
/** selfSignedServing on a short-lived worker thread, so the X.509 library is not kept loaded by long-running nodes. */
export function selfSignedServingIsolated(commonName: string): Promise<{ ca: KeyPair; serving: KeyPair }> {
  return runIsolated(import.meta.url, "selfSignedServing", [commonName]);
}

export async function selfSignedServing(commonName: string): Promise<{ ca: KeyPair; serving: KeyPair }> {
  const ca = await createCa();
  const serving = await issueCertificate(ca, { commonName, dnsNames: ["localhost"], ips: ["127.0.0.1"], server: true });
  return { ca, serving };
}

/**
 * Loads the cluster PKI from `dir`, creating whatever is missing. The serving
 * certificate is re-issued when it does not cover `ips`/`dnsNames` any more.
 */
export async function ensurePki(dir: string, serving: { ips: string[]; dnsNames: string[] }): Promise<ClusterPki> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  let ca = read(dir, "ca");
  let fresh = false;
  if (!ca) {
    ca = await createCa();
    write(dir, "ca", ca);
    fresh = true;
  }
  let srv = fresh ? undefined : read(dir, "serving");
  if (!srv || !coversAll(srv.cert, serving.ips.filter((ip) => !ip.includes(":")), serving.dnsNames)) {
    srv = await issueCertificate(ca, { commonName: "kube-apiserver", ...serving, server: true });
    write(dir, "serving", srv);
  }
  let admin = fresh ? undefined : read(dir, "admin");
  if (!admin) {
    admin = await issueCertificate(ca, { commonName: "admin", organizations: ["system:masters"], server: false });
    write(dir, "admin", admin);
  }
  const component = async (file: string, cn: string): Promise<KeyPair> => {
    let kp = fresh ? undefined : read(dir, file);
    if (!kp) {
      kp = await issueCertificate(ca!, { commonName: cn, server: false });
      write(dir, file, kp);
    }
    return kp;
  };
  const controllerManager = await component("controller-manager", "system:kube-controller-manager");
  const scheduler = await component("scheduler", "system:kube-scheduler");
  let kubeletClient = fresh ? undefined : read(dir, "kubelet-client");
  if (!kubeletClient) {
    kubeletClient = await issueCertificate(ca, { commonName: "kube-apiserver-kubelet-client", organizations: ["system:masters"], server: false });
    write(dir, "kubelet-client", kubeletClient);
  }
  return { ca, serving: srv, admin, controllerManager, scheduler, kubeletClient };
}
