/**
 * The certificates controllers: csrapproving (auto-approves kubelet client
 * CSRs from bootstrapping and renewing nodes) and csrsigning (signs approved
 * CSRs of the kubernetes.io signers with the cluster CA).
 */
export { csrApprovingController, autoApprovalMessage, newNodeMessage, selfNodeMessage } from "./approver.ts";
export { csrSigningController, signRequest, signerProblem } from "./signer.ts";
export * from "./csr.ts";
