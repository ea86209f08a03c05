#!/bin/sh
# netns.sh up|down - the one network namespace the browser tests run in.
#
#   RTCBR_NS    namespace name (default rtcbr-<parent pid>; run.js passes rtcbr-<its pid>)
#   RTCBR_ADDR  the test host's address (default 10.203.0.2/24)
#
# Topology: everything (signald, rtcpeer, Chromium) runs inside the namespace, which has `lo` and
# a veth pair whose both ends stay inside it: `eth0` (RTCBR_ADDR, the address every peer uses)
# and `peer0` (no address; it only gives eth0 a carrier).
# Chromium ignores loopback for WebRTC, so eth0 is what gives it a host candidate; traffic between
# processes on that address stays inside the namespace. Nothing is created in the root
# namespace, nothing leaves it (the default route ends at peer0), and two runs with different RTCBR_NS never clash even with
# the same addresses. IPv6 is off inside, so there are no link-local candidates.
#
# `down` deletes only the namespace named by RTCBR_NS (its veth pair goes with it), and only
# if this script created it (marker file under /run/rtcbr/).
set -eu

NS=${RTCBR_NS:-rtcbr-$PPID}
ADDR=${RTCBR_ADDR:-10.203.0.2/24}
MARK=/run/rtcbr/$NS

case "$NS" in
rtcbr-*) ;;
*) echo "netns.sh: RTCBR_NS must start with rtcbr- (got '$NS')" >&2; exit 2 ;;
esac

case "${1:-}" in
up)
	if ip netns list | grep -q "^$NS\\b"; then
		echo "netns.sh: namespace $NS already exists" >&2
		exit 1
	fi
	mkdir -p /run/rtcbr
	ip netns add "$NS"
	: >"$MARK"
	ip -n "$NS" link set lo up
	ip netns exec "$NS" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
	ip -n "$NS" link add eth0 type veth peer name peer0
	ip -n "$NS" addr add "$ADDR" dev eth0
	ip -n "$NS" link set eth0 up
	ip -n "$NS" link set peer0 up
	# Chromium gathers no host candidate at all without a default route (it asks the routing
	# table for its default local address). This one leads only into peer0, which has no
	# address and does not forward: nothing leaves the namespace.
	ip -n "$NS" route add default dev eth0
	# Wait for the carrier (veth comes up asynchronously): Chromium skips interfaces that are down.
	i=0
	while [ $i -lt 50 ]; do
		ip -n "$NS" -o link show eth0 | grep -q 'state UP' && exit 0
		sleep 0.05
		i=$((i + 1))
	done
	echo "netns.sh: eth0 in $NS did not come up" >&2
	exit 1
	;;
down)
	if [ -e "$MARK" ]; then
		# Whatever still runs in it belongs to the run that made it (a run killed hard):
		# end those processes, by the pids the kernel lists for this namespace only.
		pids=$(ip netns pids "$NS" 2>/dev/null || true)
		if [ -n "$pids" ]; then
			# shellcheck disable=SC2086
			kill $pids 2>/dev/null || true
			sleep 0.5
			pids=$(ip netns pids "$NS" 2>/dev/null || true)
			# shellcheck disable=SC2086
			[ -z "$pids" ] || kill -9 $pids 2>/dev/null || true
		fi
		ip netns del "$NS" 2>/dev/null || true
		rm -f "$MARK"
	fi
	;;
*)
	echo "usage: RTCBR_NS=rtcbr-NAME $0 up|down" >&2
	exit 2
	;;
esac
