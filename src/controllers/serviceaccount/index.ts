/**
 * Per-namespace service account plumbing: the "serviceaccount" controller
 * (a default ServiceAccount everywhere) and the "root-ca-cert-publisher"
 * controller (the kube-root-ca.crt ConfigMap everywhere).
 */
export { serviceAccountController, defaultServiceAccounts } from "./serviceaccounts.ts";
export { rootCACertPublisherController, rootCAConfigMapName } from "./rootcacert.ts";
