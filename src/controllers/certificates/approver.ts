/**
 * The CSR approving controller ("csrapproving"), as upstream's for kubelet
 * client certificates: a pending CertificateSigningRequest for
 * kubernetes.io/kube-apiserver-client-kubelet whose request is a valid
 * kubelet client request (O=system:nodes, CN=system:node:<name>, no SANs,
 * client usages) is approved (condition Approved, reason AutoApproved) when
 *  - its requester is a bootstrap user (group system:bootstrappers): a new
 *    node joining ("nodeclient"), or
 *  - its requester is that node itself (user = CN, group system:nodes):
 *    certificate renewal ("selfnodeclient").
 * Anything else is left for a human (`kubectl certificate approve|deny`).
 * tskube has no RBAC yet, so these group checks stand in for upstream's
 * SubjectAccessReviews of certificatesigningrequests/nodeclient and
 * /selfnodeclient (which kubeadm and k3s grant to exactly these users).
 */
import { findResource } from "../../api/resources.ts";
import type { KObject } from "../../api/types.ts";
import { isConflict, isNotFound, runWorkers, WorkQueue, type Informer, type ReconcileResult } from "../../client/index.ts";
import { bootstrappersGroup } from "../../apiserver/authn/bootstraptoken.ts";
import type { Controller, ControllerContext, ControllerFactory } from "../types.ts";
import { isDenied, isApproved, isFailed, isIssued, kubeletClientProblem, kubeletClientSigner, nodesGroup, parseRequest } from "./csr.ts";

const csrsRes = findResource("certificates.k8s.io", "v1", "certificatesigningrequests")!;

export const newNodeMessage = "Auto approving kubelet client certificate after SubjectAccessReview.";
export const selfNodeMessage = "Auto approving self kubelet client certificate after SubjectAccessReview.";

/** Why `csr` is auto-approved (the condition message), or undefined when it is not. */
export async function autoApprovalMessage(csr: KObject): Promise<string | undefined> {
  if (csr.spec?.signerName !== kubeletClientSigner) return undefined;
  let req;
  try {
    req = await parseRequest(csr);
  } catch {
    return undefined;
  }
  if (kubeletClientProblem(csr, req)) return undefined;
  const groups: string[] = Array.isArray(csr.spec?.groups) ? csr.spec.groups : [];
  if (csr.spec?.username === req.commonName && groups.includes(nodesGroup)) return selfNodeMessage;
  if (groups.includes(bootstrappersGroup)) return newNodeMessage;
  return undefined;
}

class CsrApprovingController implements Controller {
  readonly name = "csrapproving";
  readonly #queue = new WorkQueue<string>();
  #csrs: Informer | undefined;

  init(ctx: ControllerContext): void {
    this.#csrs = ctx.informers.informerFor(csrsRes);
    const enqueue = (csr: KObject): void => {
      if (!isApproved(csr) && !isDenied(csr) && !isFailed(csr) && !isIssued(csr)) this.#queue.add(csr.metadata.name!);
    };
    this.#csrs.addEventHandler({ onAdd: enqueue, onUpdate: (_o, n) => enqueue(n) });
  }

  async run(ctx: ControllerContext, signal: AbortSignal): Promise<void> {
    const log = ctx.log.child("csrapproving-controller");
    await runWorkers(this.#queue, ctx.settings.workers, (key) => this.#sync(ctx, key), (m, f) => log.warn(m, f), signal);
  }

  async #sync(ctx: ControllerContext, name: string): Promise<ReconcileResult | void> {
    const csr = this.#csrs!.lister().get("", name);
    if (!csr || isApproved(csr) || isDenied(csr) || isFailed(csr) || isIssued(csr)) return;
    const message = await autoApprovalMessage(csr);
    if (!message) return;
    const conditions = [
      ...((csr.status?.conditions ?? []) as unknown[]),
      { type: "Approved", status: "True", reason: "AutoApproved", message },
    ];
    try {
      await ctx.client.resource(csrsRes).patch("", name, "merge", { metadata: { resourceVersion: csr.metadata.resourceVersion }, status: { conditions } }, { subresource: "approval" });
      ctx.log.child("csrapproving-controller").info("approved certificate signing request", { csr: name, requestor: csr.spec?.username });
    } catch (err) {
      if (isNotFound(err)) return;
      if (isConflict(err)) return { requeueAfterMs: 100 };
      throw err;
    }
  }
}

/** Builds the CSR approving controller. */
export const csrApprovingController: ControllerFactory = () => new CsrApprovingController();
