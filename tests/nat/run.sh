#!/bin/bash
# tests/nat/run.sh - rtcpeer across two NAT routers, with signald and coturn on a "public"
# network, all in network namespaces of this run (see tests/nat/README.md).
#
#   run.sh [--signald PATH] [--rtcpeer PATH] [CASE...]      CASE: 1 to 10 (default: all)
#
# Needs root, `ip netns`, iptables and coturn's turnserver (scripts/nat-deps.sh); without them it
# prints why and exits 77 (ctest's skip code). Prints PASS/FAIL per case and a last line
# "N passed, M failed"; exit status 0 only if nothing failed.
#
# Environment: SIGNALD, RTCPEER (binaries, like the options); NAT_SIZE_MIB (test file, default
# 20); NAT_KEEP=1 keeps the temporary directory (logs, received files); NAT_VERBOSE=1 shows
# every case's logs, not only a failing one's; NAT_RTCPEER_ARGS adds rtcpeer options (e.g. -v).
set -u
export LC_ALL=C
# Nothing from the caller's environment may configure the programs under test.
for v in $(compgen -e); do
	case "$v" in RTCPEER_* | SIGNALD_*) unset "$v" ;; esac
done

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)

# ------------------------------------------------------------------ arguments, prerequisites

SIGNALD=${SIGNALD:-}
RTCPEER=${RTCPEER:-}
CASES=()
while [ $# -gt 0 ]; do
	case "$1" in
	--signald) SIGNALD=$2; shift 2 ;;
	--rtcpeer) RTCPEER=$2; shift 2 ;;
	-h | --help) sed -n '2,14p' "$0"; exit 0 ;;
	[1-9] | 10) CASES+=("$1"); shift ;;
	*) echo "run.sh: unknown argument '$1'" >&2; exit 2 ;;
	esac
done
[ ${#CASES[@]} -gt 0 ] || CASES=(1 2 3 4 5 6 7 8 9 10)

skip() {
	echo "SKIP: $*"
	exit 77
}
[ "$(id -u)" -eq 0 ] || skip "needs root (network namespaces, iptables)"
command -v ip >/dev/null 2>&1 || skip "no 'ip' command (iproute2)"
ip netns list >/dev/null 2>&1 || skip "'ip netns' does not work here"
for c in iptables turnserver ss python3 sha256sum; do
	command -v "$c" >/dev/null 2>&1 || skip "no '$c' (scripts/nat-deps.sh installs it)"
done

if [ -z "$SIGNALD" ] || [ -z "$RTCPEER" ]; then
	for d in build build/gcc build/release build/asan build/debug; do
		if [ -x "$ROOT/$d/signald/signald" ] && [ -x "$ROOT/$d/rtcpeer/rtcpeer" ]; then
			SIGNALD=${SIGNALD:-$ROOT/$d/signald/signald}
			RTCPEER=${RTCPEER:-$ROOT/$d/rtcpeer/rtcpeer}
			break
		fi
	done
fi
if [ -z "$SIGNALD" ] || [ ! -x "$SIGNALD" ]; then
	echo "run.sh: no signald binary (--signald)" >&2
	exit 2
fi
if [ -z "$RTCPEER" ] || [ ! -x "$RTCPEER" ]; then
	echo "run.sh: no rtcpeer binary (--rtcpeer)" >&2
	exit 2
fi
SIGNALD=$(cd "$(dirname "$SIGNALD")" && pwd)/$(basename "$SIGNALD")
RTCPEER=$(cd "$(dirname "$RTCPEER")" && pwd)/$(basename "$RTCPEER")

# ------------------------------------------------------------------ bookkeeping, teardown

P="rtcnat-$$-"                  # prefix of every namespace of this run
PUB="${P}pub"
TURN_ADDR=198.51.100.10         # coturn and signald, in $PUB
RUN=$(mktemp -d /tmp/rtcnat.XXXXXX)
SIZE_MIB=${NAT_SIZE_MIB:-20}
EXTRA_ARGS=${NAT_RTCPEER_ARGS:-}  # more rtcpeer options for a diagnosis run, e.g. -v (word-split)
NSLIST=$RUN/netns.list          # namespaces this run created, one a line
: >"$NSLIST"

now_ms() {
	local t=${EPOCHREALTIME/./}
	echo $((t / 1000))
}
T0=$(now_ms)
elapsed() { # seconds since $1 (ms), one decimal
	local d=$(($(now_ms) - $1))
	printf '%d.%d' $((d / 1000)) $((d % 1000 / 100))
}

# Ends one process of ours: SIGTERM, up to 3 s, then SIGKILL. Reaps it if it is our child.
stop_pid() {
	local pid=$1 i
	kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null; return 0; }
	kill -TERM "$pid" 2>/dev/null
	for ((i = 0; i < 60; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	return 0
}

# Every background process gets $RUN/NAME.pid; stop_named ends it and removes the file.
stop_named() {
	local f=$RUN/$1.pid
	[ -f "$f" ] || return 0
	stop_pid "$(cat "$f")"
	rm -f "$f"
}

ns_add() {
	ip netns add "$1" || return 1
	echo "$1" >>"$NSLIST"
	ip -n "$1" link set lo up
	# No IPv6 (link-local candidates are only noise here).
	ip netns exec "$1" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
}

# Deletes namespaces of this run (all, or those whose name matches $1), after ending whatever
# still runs in them (only ours can: the names are this run's).
ns_del_matching() {
	local pat=${1:-} ns pids keep=()
	while read -r ns; do
		[ -n "$ns" ] || continue
		# shellcheck disable=SC2053 # $pat is a glob on purpose
		if [ -n "$pat" ] && [[ "$ns" != $pat ]]; then
			keep+=("$ns")
			continue
		fi
		pids=$(ip netns pids "$ns" 2>/dev/null)
		if [ -n "$pids" ]; then
			# shellcheck disable=SC2086
			kill -KILL $pids 2>/dev/null
		fi
		ip netns del "$ns" 2>/dev/null
	done <"$NSLIST"
	if [ ${#keep[@]} -gt 0 ]; then printf '%s\n' "${keep[@]}" >"$NSLIST"; else : >"$NSLIST"; fi
}

teardown() {
	local f
	for f in "$RUN"/*.pid; do
		[ -f "$f" ] && stop_pid "$(cat "$f")" && rm -f "$f"
	done
	ns_del_matching ""
	if [ "${NAT_KEEP:-0}" = 1 ]; then
		echo "kept $RUN"
	else
		rm -rf "$RUN"
	fi
}
trap teardown EXIT
trap 'echo "run.sh: interrupted, tearing down" >&2; exit 130' INT TERM HUP

die() {
	echo "run.sh: setup failed: $*" >&2
	exit 1
}

# Polls "$@" every 50 ms until it succeeds or $1 seconds pass.
wait_for() {
	local secs=$1 end
	shift
	end=$(($(now_ms) + secs * 1000))
	while ! "$@"; do
		[ "$(now_ms)" -lt "$end" ] || return 1
		sleep 0.05
	done
	return 0
}

# waits for process $1 to exit, at most $2 seconds; its status in $RC (124: killed at the
# deadline). The process must be a child of this shell.
wait_exit() {
	local pid=$1 secs=$2
	if wait_for "$secs" eval "! kill -0 $pid 2>/dev/null"; then
		wait "$pid"
		RC=$?
	else
		stop_pid "$pid"
		RC=124
	fi
}

# jget FILE EVENT KEY: KEY of the first --json event named EVENT in FILE ('' if none).
jget() {
	python3 - "$@" <<'EOF'
import json, sys
path, event, key = sys.argv[1:4]
with open(path, errors="replace") as f:
    for line in f:
        line = line.strip()
        if not line.startswith("{"):
            continue
        try:
            o = json.loads(line)
        except ValueError:
            continue
        if isinstance(o, dict) and o.get("event") == event:
            v = o.get(key, "")
            print(json.dumps(v) if isinstance(v, (bool, dict, list)) or v is None else v)
            break
EOF
}

SANITIZER_RE='AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|runtime error:'

# ------------------------------------------------------------------ the public network, coturn

LT_USER=alice
LT_PASS=$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
SECRET=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
WRONG_SECRET=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')

turn_conf() { # instance (lt|rest)
	cat "$HERE/coturn-common.conf" "$HERE/coturn-$1.conf" | sed \
		-e "s|@TURN_ADDR@|$TURN_ADDR|g" -e "s|@RUN@|$RUN|g" -e "s|@SECRET@|$SECRET|g" \
		-e "s|@LT_USER@|$LT_USER|g" -e "s|@LT_PASS@|$LT_PASS|g" >"$RUN/turn-$1.conf"
}

turn_ready() {
	local u t
	u=$(ip netns exec "$PUB" ss -Hlun 2>/dev/null)
	t=$(ip netns exec "$PUB" ss -Hltn 2>/dev/null)
	for c in lt rest; do
		kill -0 "$(cat "$RUN/turn-$c.pid")" 2>/dev/null || return 2
	done
	grep -q "$TURN_ADDR:3478 " <<<"$u" && grep -q "$TURN_ADDR:3479 " <<<"$u" &&
		grep -q "$TURN_ADDR:3479 " <<<"$t"
}

setup_public() {
	ns_add "$PUB" || die "ip netns add $PUB"
	ip -n "$PUB" link add br0 type bridge || die "bridge"
	ip -n "$PUB" link set br0 up
	ip -n "$PUB" addr add "$TURN_ADDR/24" dev br0 || die "address"
	for c in lt rest; do
		turn_conf "$c"
		ip netns exec "$PUB" turnserver -c "$RUN/turn-$c.conf" >"$RUN/turn-$c.log" 2>&1 &
		echo $! >"$RUN/turn-$c.pid"
	done
	if ! wait_for 10 turn_ready; then
		tail -n 20 "$RUN"/turn-*.log >&2
		die "coturn did not listen on $TURN_ADDR:3478/udp, 3479/udp and 3479/tcp within 10 s"
	fi
}

# ------------------------------------------------------------------ per-case sites

# make_sites CASE MODE(cone|symmetric) UDP(open|blocked)
# Two sites, each a host behind its own NAT router: ${P}cN-a 10.0.1.2 -- ${P}cN-nat1 (WAN $WAN1)
# and ${P}cN-b 10.0.2.2 -- ${P}cN-nat2 (WAN $WAN2), the routers' WAN ends on br0 in $PUB. Each
# case gets fresh routers (no conntrack state left from a previous case) and its own WAN
# addresses (no stale ARP entry in $PUB, distinct coturn permissions).
make_sites() {
	local n=$1 mode=$2 udp=$3 i h nat wan
	WAN1=198.51.100.$((20 + 2 * n - 1))
	WAN2=198.51.100.$((20 + 2 * n))
	NS_A="${P}c$n-a"
	NS_B="${P}c$n-b"
	for i in 1 2; do
		if [ $i = 1 ]; then h=$NS_A wan=$WAN1; else h=$NS_B wan=$WAN2; fi
		nat="${P}c$n-nat$i"
		ns_add "$nat" || return 1
		ns_add "$h" || return 1
		ip -n "$nat" link add wan type veth peer name "c${n}w$i" netns "$PUB" || return 1
		ip -n "$PUB" link set "c${n}w$i" master br0 up || return 1
		ip -n "$nat" addr add "$wan/24" dev wan
		ip -n "$nat" link set wan up
		ip -n "$nat" link add lan type veth peer name eth0 netns "$h" || return 1
		ip -n "$nat" addr add "10.0.$i.1/24" dev lan
		ip -n "$nat" link set lan up
		ip -n "$h" addr add "10.0.$i.2/24" dev eth0
		ip -n "$h" link set eth0 up
		ip -n "$h" route add default via "10.0.$i.1" || return 1
		ip netns exec "$nat" sysctl -qw net.ipv4.ip_forward=1
		# Hole punching needs this: a check that arrives before the router's own host has
		# sent anything must not leave a conntrack entry behind (it would make MASQUERADE
		# pick another port for the host's outgoing mapping).
		ip netns exec "$nat" iptables -A INPUT -i wan -m conntrack --ctstate NEW -j DROP || return 1
		if [ "$mode" = symmetric ]; then
			# a new random port for every destination: address- and port-dependent mapping
			ip netns exec "$nat" iptables -t nat -A POSTROUTING -o wan -j MASQUERADE --random-fully || return 1
		else
			ip netns exec "$nat" iptables -t nat -A POSTROUTING -o wan -j MASQUERADE || return 1
		fi
		if [ "$udp" = blocked ]; then
			ip netns exec "$nat" iptables -A FORWARD -i lan -p udp -j DROP || return 1
		fi
	done
	ip -n "$PUB" neigh flush all 2>/dev/null
	# carriers up (veth links come up asynchronously)
	wait_for 5 sites_up || return 1
}

sites_up() {
	ip -n "$NS_A" -o link show eth0 | grep -q 'state UP' &&
		ip -n "$NS_B" -o link show eth0 | grep -q 'state UP' &&
		ip -n "$PUB" -o link show "c${CASE}w1" | grep -q 'state UP' &&
		ip -n "$PUB" -o link show "c${CASE}w2" | grep -q 'state UP'
}

# ------------------------------------------------------------------ signald

# start_signald SECRET TURN_URLS: signald in $PUB on $TURN_ADDR, a free port; sets $SIG_URL.
start_signald() {
	local secret=$1 turn=$2 line
	ip netns exec "$PUB" env SIGNALD_TURN_SECRET="$secret" "$SIGNALD" \
		--listen "$TURN_ADDR:0" \
		--stun-url "stun:$TURN_ADDR:3478" \
		--turn-url "$turn" --turn-ttl 600 \
		--log-level debug >"$CD/signald.out" 2>"$CD/signald.err" &
	echo $! >"$RUN/signald.pid"
	if ! wait_for 5 grep -qs 'listening on ' "$CD/signald.err"; then
		FAILS+=("signald did not print 'listening on' within 5 s")
		return 1
	fi
	line=$(grep -m1 -o 'listening on [0-9.]*:[0-9]*' "$CD/signald.err")
	SIG_URL="ws://${line#listening on }/ws"
}

# Ends signald; it must exit 0 on SIGTERM.
stop_signald() {
	local pid rc
	[ -f "$RUN/signald.pid" ] || return 0
	pid=$(cat "$RUN/signald.pid")
	kill -TERM "$pid" 2>/dev/null
	wait_exit "$pid" 5
	rm -f "$RUN/signald.pid"
	[ "$RC" = 0 ] || FAILS+=("signald exited with $RC on SIGTERM")
}

# ------------------------------------------------------------------ one transfer

# transfer TIMEOUT DEADLINE [rtcpeer options for both sides...]
# rtcpeer send in host a, rtcpeer recv in host b (each bound to its LAN address). Sets SEND_RC,
# RECV_RC (124: still running at DEADLINE seconds, killed), XFER_S (wall time of the pair).
transfer() {
	local timeout=$1 deadline=$2 t spid rpid code end bind_a=(--bind-addr 10.0.1.2)
	local bind_b=(--bind-addr 10.0.2.2)
	shift 2
	# XFER_ALL_ADDRS=1: host candidates on every address of the host (IPv6 too), not one
	if [ "${XFER_ALL_ADDRS:-0}" = 1 ]; then bind_a=() bind_b=(); fi
	mkdir -p "$CD/out"
	t=$(now_ms)
	# shellcheck disable=SC2086 # $EXTRA_ARGS: several options on purpose
	ip netns exec "$NS_A" "$RTCPEER" send --server "$SIG_URL" "${bind_a[@]}" --json \
		--timeout "$timeout" "$@" $EXTRA_ARGS "$RUN/$FILE_NAME" >"$CD/send.out" 2>"$CD/send.err" &
	spid=$!
	echo $spid >"$RUN/send.pid"
	if ! wait_for 10 grep -qs '^rtcpeer recv ' "$CD/send.out"; then
		FAILS+=("rtcpeer send printed no 'rtcpeer recv CODE' line within 10 s")
		stop_named send
		SEND_RC=124 RECV_RC=-1 XFER_S=$(elapsed "$t")
		return
	fi
	code=$(sed -n 's/^rtcpeer recv //p' "$CD/send.out" | head -n 1)
	# shellcheck disable=SC2086
	ip netns exec "$NS_B" "$RTCPEER" recv --server "$SIG_URL" "${bind_b[@]}" --json \
		--timeout "$timeout" -o "$CD/out" "$@" $EXTRA_ARGS "$code" >"$CD/recv.out" 2>"$CD/recv.err" &
	rpid=$!
	echo $rpid >"$RUN/recv.pid"
	end=$((t + deadline * 1000))
	wait_exit "$rpid" "$(((end - $(now_ms) + 999) / 1000))"
	RECV_RC=$RC
	wait_exit "$spid" "$(((end - $(now_ms) + 1999) / 1000))"
	SEND_RC=$RC
	rm -f "$RUN/send.pid" "$RUN/recv.pid"
	XFER_S=$(elapsed "$t")
}

# Checks of a transfer that must succeed. expect_ok PATH LOCAL_TYPES REMOTE_TYPES PACKET (types
# as a regex, e.g. 'srflx|prflx'; '' = any) for both sides' `connected` events; PACKET is the
# SCTP packet size both summaries must report: 1435 (IPv4) or 1415 (IPv6) where the path MTU
# probe has a direct UDP pair through the 1500-byte links here, 1184 where it must not probe;
# SEND/RECV when the two differ.
expect_ok() {
	local path=$1 ltypes=$2 rtypes=$3 packet side got l r pair sp
	local -A want=([send]=${4%/*} [recv]=${4#*/})
	[ "$SEND_RC" = 0 ] || FAILS+=("rtcpeer send exited $SEND_RC (expected 0)")
	[ "$RECV_RC" = 0 ] || FAILS+=("rtcpeer recv exited $RECV_RC (expected 0)")
	if [ -f "$CD/out/$FILE_NAME" ]; then
		got=$(sha256sum <"$CD/out/$FILE_NAME" | cut -d' ' -f1)
		[ "$got" = "$FILE_SHA" ] || FAILS+=("received file sha256 $got != source $FILE_SHA")
	else
		FAILS+=("no received file $FILE_NAME")
	fi
	for side in send recv; do
		p=$(jget "$CD/$side.err" connected path)
		l=$(jget "$CD/$side.err" connected local)
		r=$(jget "$CD/$side.err" connected remote)
		pair=$(jget "$CD/$side.err" connected pair)
		INFO+=("$side: connected path=$p local=$l remote=$r pair=\"$pair\"")
		[ "$p" = "$path" ] || FAILS+=("$side: connected.path '$p' (expected $path)")
		if [ -n "$ltypes" ] && ! [[ "$l" =~ ^($ltypes)$ ]]; then
			FAILS+=("$side: local candidate type '$l' (expected $ltypes)")
		fi
		if [ -n "$rtypes" ] && ! [[ "$r" =~ ^($rtypes)$ ]]; then
			FAILS+=("$side: remote candidate type '$r' (expected $rtypes)")
		fi
		# No link here has a delay: lanes must not engage (lanes.h), however long one
		# side's MTU probe kept the other's SCTP handshake waiting.
		l=$(jget "$CD/$side.err" summary lanes)
		[ "$l" = 1 ] || FAILS+=("$side: summary.lanes '$l' (expected 1 on a path without delay)")
		sp=$(jget "$CD/$side.err" summary sctp_packet)
		packet=${want[$side]}
		[ "$sp" = "$packet" ] || FAILS+=("$side: summary.sctp_packet '$sp' (expected $packet)")
	done
	INFO+=("transfer: $(jget "$CD/send.err" summary seconds) s by rtcpeer's summary, $XFER_S s wall (both processes)")
}

# expect_probe yes|no: whether both sides' timing event shows a path MTU probe (one runs on
# direct UDP pairs between two rtcpeers, never on relayed or TCP pairs).
expect_probe() {
	local side ms
	for side in send recv; do
		ms=$(jget "$CD/$side.err" timing mtu_probe)
		if [ "$1" = yes ] && [ -z "$ms" ]; then
			FAILS+=("$side: no mtu_probe in the timing event (a probe should have run)")
		elif [ "$1" = no ] && [ -n "$ms" ]; then
			FAILS+=("$side: mtu_probe $ms in the timing event (no probe should run)")
		fi
	done
}

# ------------------------------------------------------------------ cases

# the address in "udp srflx 198.51.100.21:5000 -> srflx ..." : local (1) or remote (2)
pair_addr() {
	local re='^[a-z]+ [a-z]+ ([0-9.]+):[0-9]+ -> [a-z]+ ([0-9.]+):[0-9]+'
	[[ "$(jget "$1" connected pair)" =~ $re ]] && echo "${BASH_REMATCH[$2]}"
}

case_1() {
	DESC="cone NAT both sides: direct srflx/prflx path, no relay"
	make_sites 1 cone open || { FAILS+=("topology setup failed"); return; }
	start_signald "$SECRET" "turn:$TURN_ADDR:3479" || return
	transfer 20 45
	expect_ok direct 'srflx|prflx' 'srflx|prflx' 1435
	expect_probe yes
	# The public addresses are the routers' WAN addresses (NAT really in the path).
	local la ra
	la=$(pair_addr "$CD/send.err" 1) ra=$(pair_addr "$CD/send.err" 2)
	[ "$la" = "$WAN1" ] || FAILS+=("send: local pair address '$la' is not NAT1's WAN $WAN1")
	[ "$ra" = "$WAN2" ] || FAILS+=("send: remote pair address '$ra' is not NAT2's WAN $WAN2")
	# Both had a working relay too (signald's TURN): direct was chosen, not left over.
	turn_rest_allocations_ok
}

case_2() {
	DESC="symmetric NAT both sides: relayed through coturn with signald's ephemeral credentials"
	make_sites 2 symmetric open || { FAILS+=("topology setup failed"); return; }
	start_signald "$SECRET" "turn:$TURN_ADDR:3479" || return
	transfer 20 45
	expect_ok relayed '' '' 1184
	expect_probe no
	turn_rest_allocations_ok
}

case_3() {
	DESC="outgoing UDP blocked at both routers: TURN over TCP still transfers (relayed)"
	make_sites 3 cone blocked || { FAILS+=("topology setup failed"); return; }
	start_signald "$SECRET" "turn:$TURN_ADDR:3479,turn:$TURN_ADDR:3479?transport=tcp" || return
	transfer 20 45
	# Neither host can send UDP: its own end of the pair can only be its TURN relay.
	expect_ok relayed relay '' 1184
	turn_rest_allocations_ok
	# and both reached coturn over TCP (UDP cannot leave their routers)
	local w
	for w in "$WAN1" "$WAN2"; do
		grep -q "tcp or tls connected to: $w:" <(turn_log rest) ||
			FAILS+=("coturn logged no TCP client connection from $w")
	done
}

case_4() {
	DESC="wrong TURN secret in signald, symmetric NAT: ICE fails, exit 4 with a message, bounded"
	make_sites 4 symmetric open || { FAILS+=("topology setup failed"); return; }
	start_signald "$WRONG_SECRET" "turn:$TURN_ADDR:3479" || return
	transfer 15 35
	local side rc msg code fours=0 id
	for side in send recv; do
		if [ $side = send ]; then rc=$SEND_RC; else rc=$RECV_RC; fi
		code=$(jget "$CD/$side.err" error code)
		msg=$(jget "$CD/$side.err" error message)
		INFO+=("$side: exit $rc, error event code=$code message=\"$msg\"")
		# Whichever side gives up first leaves the room; the other may then end with 7
		# ("the peer left before the transfer began") before its own ICE fails.
		case "$rc" in
		4) fours=$((fours + 1)) ;;
		7) ;;
		*) FAILS+=("rtcpeer $side exited $rc (expected 4, or 7 after the peer gave up)") ;;
		esac
		[ "$code" = "$rc" ] || FAILS+=("rtcpeer $side: error event code '$code' != exit status $rc")
		[ -n "$msg" ] || FAILS+=("rtcpeer $side: error event without a message")
		grep -q '^rtcpeer: ' "$CD/$side.err" || FAILS+=("rtcpeer $side: no 'rtcpeer: ...' message on stderr")
		[ -z "$(jget "$CD/$side.err" connected path)" ] || FAILS+=("rtcpeer $side: connected although TURN was unusable")
	done
	[ "$fours" -ge 1 ] || FAILS+=("neither rtcpeer exited 4 (no connection to the peer)")
	INFO+=("ended after $XFER_S s (rtcpeer --timeout 15, case deadline 35 s)")
	[ -e "$CD/out/$FILE_NAME" ] && FAILS+=("a file was received")
	# coturn must have refused signald's credentials for both peers (else this case proves
	# nothing about TURN), and allocated nothing.
	for id in $(signald_peer_ids); do
		grep -qE "Cannot find credentials of user <[0-9]+:$id>|user <[0-9]+:$id> credentials are incorrect" <(turn_log rest) ||
			FAILS+=("coturn logged no refusal of peer $id's credentials")
	done
	INFO+=("coturn: $(grep -E 'Cannot find credentials|credentials are incorrect' <(turn_log rest) | head -n 1 | cut -c1-160)")
	grep -q 'new, realm=' <(turn_log rest) && FAILS+=("coturn made an allocation with the wrong secret")
}

case_5() {
	DESC="--relay on cone NAT (coturn long-term credentials): relayed pair, relay on both ends"
	make_sites 5 cone open || { FAILS+=("topology setup failed"); return; }
	start_signald "$SECRET" "turn:$TURN_ADDR:3479" || return
	export RTCPEER_TURN_PASS=$LT_PASS
	transfer 20 45 --relay \
		--turn "turn:$TURN_ADDR:3478" --turn-user "$LT_USER"
	unset RTCPEER_TURN_PASS
	expect_ok relayed relay relay 1184
	# the command line's TURN server (long-term credentials) allocated for both peers
	local n
	n=$(grep -c "new, realm=<[^>]*>, username=<$LT_USER>" <(turn_log lt))
	INFO+=("coturn long-term instance: $n allocation(s) for $LT_USER")
	[ "$n" -ge 2 ] || FAILS+=("coturn (long-term credentials) allocated $n time(s) for $LT_USER, expected one per peer")
	grep -q 'credentials are incorrect' <(turn_log lt) && FAILS+=("coturn refused $LT_USER's password")
}

case_6() {
	DESC="signald's own STUN (--stun-listen) behind cone NAT: mapped address, then a direct srflx path"
	make_sites 6 cone open || { FAILS+=("topology setup failed"); return; }
	ip netns exec "$PUB" "$SIGNALD" --listen "$TURN_ADDR:0" --stun-listen "$TURN_ADDR:0" --log-level debug \
		>"$CD/signald.out" 2>"$CD/signald.err" &
	echo $! >"$RUN/signald.pid"
	if ! wait_for 5 grep -qs 'listening on ' "$CD/signald.err"; then
		FAILS+=("signald did not print 'listening on' within 5 s")
		return
	fi
	local line sport mapped
	line=$(grep -m1 -o 'listening on [0-9.]*:[0-9]*' "$CD/signald.err")
	SIG_URL="ws://${line#listening on }/ws"
	sport=$(grep -m1 -oE 'STUN on udp [^ ]+ \(port [0-9]+\)' "$CD/signald.err" | grep -oE '[0-9]+\)$' | tr -d ')')
	[ -n "$sport" ] || { FAILS+=("no 'STUN on udp' line from signald"); return; }
	# A STUN Binding from host a: the reflexive address must be NAT1's WAN address.
	mapped=$(ip netns exec "$NS_A" python3 - "$TURN_ADDR" "$sport" <<'PY'
import os, socket, struct, sys, zlib
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(3)
msg = struct.pack("!HHI", 1, 8, 0x2112A442) + os.urandom(12)
msg += struct.pack("!HHI", 0x8028, 4, (zlib.crc32(msg) ^ 0x5354554E) & 0xffffffff)
s.sendto(msg, (sys.argv[1], int(sys.argv[2])))
d, _ = s.recvfrom(2048); i = 20
while i < len(d):
    t, l = struct.unpack("!HH", d[i:i+4]); v = d[i+4:i+4+l]
    if t == 0x0020:
        print(socket.inet_ntoa(struct.pack("!I", struct.unpack("!I", v[4:8])[0] ^ 0x2112A442)))
    i += 4 + l + (-l % 4)
PY
	)
	INFO+=("signald STUN (udp port $sport) mapped host a to '$mapped'")
	[ "$mapped" = "$WAN1" ] || FAILS+=("signald's STUN mapped host a to '$mapped', not NAT1's WAN $WAN1")
	# rtcpeer with only that STUN server (no TURN): a direct server-reflexive path.
	transfer 20 45 --stun "stun:$TURN_ADDR:$sport"
	expect_ok direct 'srflx|prflx' 'srflx|prflx' 1435
}

# turn_log lt|rest: the coturn instance's log lines written since this case began
turn_log() {
	local off=TURN_OFF_$1
	tail -n +"${!off}" "$RUN/turn-$1.log"
}

# The peer ids signald gave this case's clients (from its debug log "ID joined a room").
signald_peer_ids() {
	grep -oE 'signald\[room\] [a-z0-9]+ joined a room' "$CD/signald.err" | awk '{print $2}' | sort -u
}

# coturn's REST instance made an allocation for each of signald's peers, with the user name
# signald issued ("<expiry>:<peer id>", expiry = now + --turn-ttl) and the password derived from
# the secret (coturn checked it), and refused none.
turn_rest_allocations_ok() {
	local ids id users exp now
	ids=$(signald_peer_ids)
	[ -n "$ids" ] || FAILS+=("no peer ids in signald's log")
	users=$(grep -oE 'new, realm=<[^>]*>, username=<[^>]*>' <(turn_log rest) | sed 's/.*username=//' | sort -u | tr '\n' ' ')
	INFO+=("coturn REST allocations for: ${users:-nobody}")
	now=$(date +%s)
	for id in $ids; do
		exp=$(grep -oE "new, realm=<[^>]*>, username=<[0-9]+:$id>" <(turn_log rest) | head -n 1 | sed -E 's/.*username=<([0-9]+):.*/\1/')
		if [ -z "$exp" ]; then
			FAILS+=("coturn made no allocation for user <expiry>:$id (signald's peer $id)")
		elif [ "$exp" -lt $((now + 500)) ] || [ "$exp" -gt $((now + 700)) ]; then
			FAILS+=("user $exp:$id expires at $exp, not about now + 600 (--turn-ttl 600)")
		fi
	done
	if grep -qE 'credentials are incorrect|Cannot find credentials' <(turn_log rest); then
		FAILS+=("coturn refused credentials: $(grep -E 'incorrect|Cannot find credentials' <(turn_log rest) | head -n 1)")
	fi
}

# IPv6 next to the NATed IPv4 of make_sites: the hosts get ULA addresses that the routers
# route (no NAT66, as IPv6 is deployed), and IPv4 UDP is blocked, so no IPv4 pair can work.
add_ipv6_route() {
	local i h nat
	ip -n "$PUB" link set br0 type bridge mcast_snooping 0 2>/dev/null
	for i in 1 2; do
		if [ $i = 1 ]; then h=$NS_A; else h=$NS_B; fi
		nat="${P}c$CASE-nat$i"
		for ns in "$nat" "$h"; do
			ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=0 net.ipv6.conf.default.accept_dad=0
		done
		ip netns exec "$nat" sysctl -qw net.ipv6.conf.all.forwarding=1
		ip -n "$nat" addr add "fd00:100::$i/64" dev wan nodad || return 1
		ip -n "$nat" addr add "fd00:$i::1/64" dev lan nodad || return 1
		ip -n "$h" addr add "fd00:$i::2/64" dev eth0 nodad || return 1
		ip -n "$h" -6 route add default via "fd00:$i::1" || return 1
		ip -n "$nat" -6 route add "fd00:$((3 - i))::/64" via "fd00:100::$((3 - i))" || return 1
	done
}

case_7() {
	DESC="IPv6: host candidates on routed ULA addresses carry the transfer when IPv4 UDP is blocked"
	make_sites 7 cone blocked || { FAILS+=("topology setup failed"); return; }
	add_ipv6_route || { FAILS+=("IPv6 setup failed"); return; }
	# neighbour discovery on three links: the first echo may time out
	if ! wait_for 5 ip netns exec "$NS_A" ping -6 -c1 -W1 fd00:2::2 >/dev/null 2>&1; then
		FAILS+=("no IPv6 route from a (fd00:1::2) to b (fd00:2::2) within 5 s")
		return
	fi
	start_signald "$SECRET" "turn:$TURN_ADDR:3479" || return
	XFER_ALL_ADDRS=1 transfer 20 45
	expect_ok direct 'host|prflx' 'host|prflx' 1415
	local pair
	pair=$(jget "$CD/send.err" connected pair)
	[[ "$pair" == *"[fd00:1::2]:"*"[fd00:2::2]:"* ]] ||
		FAILS+=("send: pair \"$pair\" is not fd00:1::2 -> fd00:2::2")
}

# The two LANs routed to each other without NAT (a company network between two sites), UDP
# still dropped at both routers: only a TCP pair can work.
route_lans() {
	local i nat peer_wan
	for i in 1 2; do
		nat="${P}c$CASE-nat$i"
		if [ $i = 1 ]; then peer_wan=$WAN2; else peer_wan=$WAN1; fi
		ip -n "$nat" route add "10.0.$((3 - i)).0/24" via "$peer_wan" || return 1
		ip netns exec "$nat" iptables -t nat -I POSTROUTING -d "10.0.$((3 - i)).0/24" -j RETURN || return 1
	done
}

case_8() {
	DESC="ICE-TCP: UDP blocked, LANs routed: --ice-tcp connects over a TCP host pair, no TURN"
	make_sites 8 cone blocked || { FAILS+=("topology setup failed"); return; }
	route_lans || { FAILS+=("routing setup failed"); return; }
	start_signald "$SECRET" "turn:$TURN_ADDR:3479" || return
	transfer 20 45 --ice-tcp
	expect_ok direct 'host|prflx' 'host|prflx' 1184
	local pair
	pair=$(jget "$CD/send.err" connected pair)
	# The active side's end shows as prflx: its TCP source port is an ephemeral one.
	[[ "$pair" =~ ^tcp\ (host|prflx)\ 10\.0\.1\.2:[0-9]+\ -\>\ (host|prflx)\ 10\.0\.2\.2:[0-9]+$ ]] ||
		FAILS+=("send: pair \"$pair\" is not tcp 10.0.1.2 -> 10.0.2.2")
}

# mtu_case N NS1 DEV1 NS2 DEV2 PACKETS: case 1's sites with two interfaces of 1400 bytes, a
# transfer, and the SCTP packet sizes expected (as for expect_ok).
mtu_case() {
	make_sites "$1" cone open || { FAILS+=("topology setup failed"); return 1; }
	ip -n "$2" link set "$3" mtu 1400 && ip -n "$4" link set "$5" mtu 1400 ||
		{ FAILS+=("cannot set the 1400-byte interfaces"); return 1; }
	start_signald "$SECRET" "turn:$TURN_ADDR:3479" || return 1
	transfer 20 45
	expect_ok direct 'srflx|prflx' 'srflx|prflx' "$6"
	expect_probe yes
}

# Host a's router has a 1400-byte WAN link (a tunnel, say): the path MTU probe of either side
# gets no answer within its wait, both keep the default packet size, and the transfer works.
case_9() {
	DESC="cone NAT, a 1400-byte link on one side: MTU probes go unanswered, 1184-byte packets"
	mtu_case 9 "${P}c9-nat1" wan "$PUB" c9w1 1184 || return
	local side
	for side in send recv; do
		INFO+=("$side: probe given up at $(jget "$CD/$side.err" timing mtu_probe) ms, SCTP up at $(jget "$CD/$side.err" timing sctp) ms")
	done
}

# Host a's own interface is a 1400-byte one (a VPN's, say), as is its router's LAN side: a
# probes 1372-byte datagrams, which get through, and sends 1335-byte SCTP packets; b's
# 1472-byte probe cannot cross a's LAN, so b keeps 1184.
case_10() {
	DESC="cone NAT, host a on a 1400-byte interface: a probes at its own MTU, b keeps the default"
	mtu_case 10 "${P}c10-a" eth0 "${P}c10-nat1" lan 1335/1184
}

# ------------------------------------------------------------------ main

setup_public
FILE_NAME="payload-${SIZE_MIB}MiB.bin"
head -c $((SIZE_MIB * 1024 * 1024)) /dev/urandom >"$RUN/$FILE_NAME" || die "test file"
FILE_SHA=$(sha256sum <"$RUN/$FILE_NAME" | cut -d' ' -f1)
echo "info: signald $SIGNALD, rtcpeer $RTCPEER, $SIZE_MIB MiB file, namespaces ${P}*, setup $(elapsed "$T0") s"

passed=0
failed=0
for CASE in "${CASES[@]}"; do
	CD=$RUN/case$CASE
	mkdir -p "$CD"
	FAILS=()
	INFO=()
	DESC=""
	# shellcheck disable=SC2034 # read by turn_log through ${!off}
	TURN_OFF_lt=$(($(wc -l <"$RUN/turn-lt.log") + 1))
	# shellcheck disable=SC2034
	TURN_OFF_rest=$(($(wc -l <"$RUN/turn-rest.log") + 1))
	t=$(now_ms)
	"case_$CASE"
	stop_named send
	stop_named recv
	stop_signald
	turn_log lt >"$CD/turn-lt.log"
	turn_log rest >"$CD/turn-rest.log"
	for f in "$CD"/send.err "$CD"/recv.err "$CD"/signald.err; do
		[ -f "$f" ] && grep -qE "$SANITIZER_RE" "$f" && FAILS+=("sanitizer report in $(basename "$f")")
	done
	ns_del_matching "${P}c$CASE-*"
	if [ ${#FAILS[@]} -eq 0 ]; then
		echo "PASS $CASE $DESC ($(elapsed "$t") s)"
		passed=$((passed + 1))
	else
		echo "FAIL $CASE $DESC ($(elapsed "$t") s)"
		failed=$((failed + 1))
	fi
	for m in "${FAILS[@]}"; do echo "  error: $m"; done
	for m in "${INFO[@]}"; do echo "  info: $m"; done
	if [ ${#FAILS[@]} -gt 0 ] || [ "${NAT_VERBOSE:-0}" = 1 ]; then
		for f in send.err recv.err; do
			[ -s "$CD/$f" ] || continue
			echo "  --- rtcpeer $f (last 15 lines)"
			tail -n 15 "$CD/$f" | cut -c1-400 | sed 's/^/  | /'
		done
		if [ -s "$CD/signald.err" ]; then
			echo "  --- signald stderr (last 8 lines)"
			tail -n 8 "$CD/signald.err" | cut -c1-300 | sed 's/^/  | /'
		fi
		for f in turn-rest.log turn-lt.log; do
			[ -s "$CD/$f" ] || continue
			echo "  --- coturn $f, this case (last 12 lines)"
			tail -n 12 "$CD/$f" | cut -c1-300 | sed 's/^/  | /'
		done
	fi
done
echo "$passed passed, $failed failed (total $(elapsed "$T0") s)"
[ "$failed" -eq 0 ]
