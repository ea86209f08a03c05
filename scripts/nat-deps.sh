#!/bin/sh
# Installs what the NAT tests (tests/nat/) need, from Debian's archive: iproute2 (network
# namespaces), iptables (the NAT routers; Debian's default nf_tables backend), coturn (STUN/TURN
# server, run only inside the tests' own namespace; the package's service is not used) and
# python3 (reads rtcpeer's --json events).
# Idempotent and quiet: prints nothing and touches nothing when every package is already there.
# Root, or sudo otherwise.
set -eu

PACKAGES="iproute2 iptables coturn python3 coreutils"

# shellcheck source=scripts/apt.sh
. "$(dirname "$0")/apt.sh"
# shellcheck disable=SC2086 # one word per package
install_missing nat-deps.sh $PACKAGES
