#!/bin/sh
# Installs what a tskube node needs on Debian/Ubuntu: containerd, runc, the
# CNI reference plugins, iptables, conntrack, a static busybox (the built-in
# busybox image) and gcc + libc6-dev (to compile the pause image).
# Idempotent: packages already installed are skipped. Run as root.
set -eu

PACKAGES="containerd runc containernetworking-plugins iptables conntrack busybox-static gcc libc6-dev"

say() { printf 'install-deps: %s\n' "$*"; }
die() { printf 'install-deps: error: %s\n' "$*" >&2; exit 1; }

if [ "$(id -u)" -ne 0 ]; then
  die "must run as root (try: sudo $0)"
fi
if ! command -v apt-get >/dev/null 2>&1 || ! command -v dpkg-query >/dev/null 2>&1; then
  die "this script supports apt-based systems (Debian/Ubuntu) only; install these packages (or equivalents) yourself: $PACKAGES"
fi

missing=""
for pkg in $PACKAGES; do
  if [ "$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)" = "install ok installed" ]; then
    say "$pkg: already installed"
  else
    missing="$missing $pkg"
  fi
done

if [ -z "$missing" ]; then
  say "nothing to do"
  exit 0
fi

say "installing:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update
# shellcheck disable=SC2086
apt-get install -y --no-install-recommends $missing

# Debian's containerd package starts a system-wide containerd; tskube runs its
# own instance per node under its data dir and does not need that one.
say "done; tskube starts its own containerd (the system containerd service is not used)"
