/**
 * The Kubernetes version tskube reports (apiserver /version, kubelet and
 * node info). kubectl on these machines picks its own minor version from it.
 */
export const kubeVersion = { major: "1", minor: "31", gitVersion: "v1.31.4+tskube" };
