#!/bin/sh
# Installs what the NAT tests (tests/nat/) need, from Debian's archive: iproute2 (network
# namespaces), iptables (the NAT routers; Debian's default nf_tables backend), coturn (STUN/TURN
# server, run only inside the tests' own namespace; the package's service is not used) and
# python3 (reads rtcpeer's --json events).
# Idempotent and quiet: prints nothing and touches nothing when every package is already there.
# Root, or sudo otherwise.
set -eu

PACKAGES="iproute2 iptables coturn python3 coreutils"

missing=""
for p in $PACKAGES; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -eq 0 ]; then
	SUDO=""
elif command -v sudo >/dev/null 2>&1; then
	SUDO="sudo"
else
	echo "nat-deps.sh: need root or sudo to install:$missing" >&2
	exit 1
fi
echo "nat-deps.sh: installing:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >/dev/null
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
