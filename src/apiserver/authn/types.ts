/** The authenticated caller, as every authenticator returns it. */

/** An authenticated caller (user name and groups, `system:authenticated` included). */
export interface UserInfo {
  name: string;
  groups: string[];
  /** Upstream's user UID (empty for certificate and bootstrap-token users). */
  uid?: string;
}
