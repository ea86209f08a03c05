#!/usr/bin/env bash
# bench/wan/run.sh - rtcpeer against iperf3 TCP (cubic, bbr) on an emulated WAN link.
#
#   sudo bench/wan/run.sh                     # deps, build, 0 % and 1 % loss (about 2 minutes)
#   LOSSES="1" SKIP_DEPS=1 bench/wan/run.sh   # only the lossy link, no apt
#
# The kernel here has no netem, so the link is made of (see /work/shared/ENVIRONMENT.md §1(d)):
#   - rate:  tbf 100mbit (burst 64kb, limit 600kb) on both router interfaces, so each direction
#   - delay: nfq_delay (this directory) holds every forwarded packet's NFQUEUE verdict for
#            DELAY_MS in each direction (20 ms each way = 40 ms RTT)
#   - loss:  nfq_delay drops LOSS % of the forwarded packets at random, in each direction
#            (data and acknowledgements alike)
#
#   <P>a  10.0.1.2 eth0 --veth-- lan1 10.0.1.1 [<P>r] 10.0.2.1 lan2 --veth-- eth0 10.0.2.2  <P>b
#
# <P> is rtcwan-<pid>- : three namespaces of our own, nothing in the root namespace. signald
# listens on the router (10.0.1.1, reached by both hosts without crossing the emulated link),
# `rtcpeer send` runs in a, `rtcpeer recv` in b, each with --bind-addr of its own address.
# iperf3 -c runs in a, -s in b: the same direction as the file.
#
# Per loss level: ping (RTT check), iperf3 -C cubic and -C bbr for IPERF_SECS each (the
# congestion control is pinned: the machine default is bbr), then one rtcpeer transfer whose
# throughput is bytes / seconds of the receiver's {"event":"summary"}; the received file's
# sha256 must match. A table with the targets (rtcpeer >= 90 Mbit/s at 0 %, >= 50 at 1 %) and
# one final JSON line are printed.
#
# Environment:
#   LOSSES="0 1"        loss levels in percent (each way)
#   DELAY_MS=20         one-way delay added by the router (RTT = 2 x DELAY_MS)
#   RATE=100mbit        tbf rate on each direction
#   IPERF_SECS=10       length of each iperf3 run (0: no iperf3, for quick rtcpeer runs)
#   RUNS=1              rtcpeer transfers per loss level; the table shows the median, the log
#                       every run
#   SIZE_0=100M SIZE_LOSSY=32M   rtcpeer file size at 0 % and at any other loss level
#   XFER_TIMEOUT=60     limit for each rtcpeer (its partial rate is reported when it is hit)
#   RTCPEER_EXTRA_ARGS  words added to both rtcpeer command lines (e.g. -v)
#   BUILD_DIR=/tmp/wan-build   where signald, rtcpeer and nfq_delay are built
#   SKIP_DEPS=1 SKIP_BUILD=1   skip the apt step / the build (binaries must exist)
#   KEEP_LOGS=1         keep the logs (kept anyway on failure); data is always deleted
#
# Needs root (namespaces, iptables, NFQUEUE). Exit status: 0 if every measurement ran and
# every received file matched (whatever the targets), 1 otherwise.
set -uo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
LOSSES=${LOSSES:-0 1}
DELAY_MS=${DELAY_MS:-20}
RATE=${RATE:-100mbit}
IPERF_SECS=${IPERF_SECS:-10}
RUNS=${RUNS:-1}
SIZE_0=${SIZE_0:-100M}
SIZE_LOSSY=${SIZE_LOSSY:-32M}
XFER_TIMEOUT=${XFER_TIMEOUT:-60}
BUILD_DIR=${BUILD_DIR:-/tmp/wan-build}
KEEP_LOGS=${KEEP_LOGS:-0}
read -r -a EXTRA_ARGS <<<"${RTCPEER_EXTRA_ARGS:-}"
unset RTCPEER_EXTRA_ARGS
TARGET_0=90
TARGET_LOSSY=50
PY=python3

P=rtcwan-$$-
NS_A=${P}a
NS_R=${P}r
NS_B=${P}b
A_IP=10.0.1.2
B_IP=10.0.2.2
R_IP=10.0.1.1

T_START=$(date +%s.%N)
die() { echo "wan/run.sh: $*" >&2; exit 1; }
log() { echo "[$(awk -v a="$T_START" -v b="$(date +%s.%N)" 'BEGIN { printf "%6.1f", b - a }')] $*"; }
[ "$(id -u)" = 0 ] || die "needs root (network namespaces, iptables, NFQUEUE)"

# --- deps (idempotent: installs only what is missing) ---------------------------------------

deps() {
	local need=() p
	for p in iperf3 iproute2 iptables iputils-ping libnetfilter-queue-dev pkg-config openssl \
		python3 cmake gcc; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
			need+=("$p")
	done
	[ ${#need[@]} = 0 ] && return 0
	command -v apt-get >/dev/null || die "missing packages ${need[*]} and no apt-get"
	log "deps: apt-get install ${need[*]}"
	export DEBIAN_FRONTEND=noninteractive
	if ! timeout 300 apt-get install -y -q --no-install-recommends "${need[@]}" >/dev/null; then
		timeout 300 apt-get update -q >/dev/null
		timeout 300 apt-get install -y -q --no-install-recommends "${need[@]}" >/dev/null ||
			die "apt-get install ${need[*]} failed"
	fi
}
[ "${SKIP_DEPS:-0}" = 1 ] || deps
for c in ip tc iptables iperf3 ping openssl sha256sum "$PY" timeout; do
	command -v "$c" >/dev/null || die "needs $c (run without SKIP_DEPS=1)"
done

# --- build ------------------------------------------------------------------------------------

SIGNALD=$BUILD_DIR/signald/signald
RTCPEER=$BUILD_DIR/rtcpeer/rtcpeer
NFQ=$BUILD_DIR/wan/nfq_delay
if [ "${SKIP_BUILD:-0}" != 1 ]; then
	log "build: $BUILD_DIR (signald rtcpeer nfq_delay)"
	mkdir -p "$BUILD_DIR/wan"
	if ! { timeout 300 cmake -S "$ROOT" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release \
		-DRTC_BUILD_TESTS=OFF >"$BUILD_DIR/wan/cmake.log" 2>&1 &&
		timeout 600 cmake --build "$BUILD_DIR" -j2 --target signald rtcpeer \
			>>"$BUILD_DIR/wan/cmake.log" 2>&1; }; then
		tail -30 "$BUILD_DIR/wan/cmake.log" >&2
		die "build of signald/rtcpeer failed"
	fi
	if [ ! -x "$NFQ" ] || [ "$HERE/nfq_delay.c" -nt "$NFQ" ]; then
		# shellcheck disable=SC2046
		timeout 120 cc -std=c11 -O2 -Wall -Wextra -Werror -o "$NFQ" "$HERE/nfq_delay.c" \
			$(pkg-config --cflags --libs libnetfilter_queue) ||
			die "build of nfq_delay failed"
	fi
fi
for b in "$SIGNALD" "$RTCPEER" "$NFQ"; do [ -x "$b" ] || die "no $b"; done

# --- work dir, teardown --------------------------------------------------------------------------

WORK=$(mktemp -d "${TMPDIR:-/tmp}/rtcwan.XXXXXX") || die "cannot make a work directory"
LOGD=$WORK/logs
PIDS=$WORK/pids
DATA=$WORK/data
mkdir -p "$LOGD" "$PIDS" "$DATA"
FAILED=0
NS_MADE=()

stop_pidfile() { # stop_pidfile NAME: TERM the process of $PIDS/NAME.pid, wait up to 5 s, KILL
	local f=$PIDS/$1.pid p i
	[ -f "$f" ] || return 0
	p=$(cat "$f")
	if kill -0 "$p" 2>/dev/null; then
		kill -TERM "$p" 2>/dev/null
		for i in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$p" 2>/dev/null
	fi
	wait "$p" 2>/dev/null
	rm -f "$f"
}

teardown() {
	local f n
	for f in "$PIDS"/*.pid; do [ -f "$f" ] && stop_pidfile "$(basename "$f" .pid)"; done
	for n in "${NS_MADE[@]}"; do ip netns del "$n" 2>/dev/null; done
	rm -rf "$DATA"
	if [ "$KEEP_LOGS" = 1 ] || [ "$FAILED" != 0 ]; then
		echo "logs kept in $LOGD" >&2
	else
		rm -rf "$WORK"
	fi
}
trap teardown EXIT
trap 'FAILED=1; exit 130' INT TERM HUP

bg() { # bg NAME NETNS LIMIT_SECS CMD... : start CMD in NETNS, bounded, with a PID file
	local name=$1 ns=$2 lim=$3
	shift 3
	ip netns exec "$ns" timeout -k 5 "$lim" "$@" </dev/null \
		>"$LOGD/$name.out" 2>"$LOGD/$name.err" &
	echo $! >"$PIDS/$name.pid"
}

wait_for() { # wait_for FILE ERE SECS [PIDNAME]: first match of ERE in FILE on stdout
	local file=$1 re=$2 secs=$3 pidname=${4:-} i m
	for i in $(seq $((secs * 10))); do
		m=$(grep -m1 -oE "$re" "$file" 2>/dev/null) && { echo "$m"; return 0; }
		if [ -n "$pidname" ] && ! kill -0 "$(cat "$PIDS/$pidname.pid" 2>/dev/null)" 2>/dev/null; then
			m=$(grep -m1 -oE "$re" "$file" 2>/dev/null) && { echo "$m"; return 0; }
			return 1
		fi
		sleep 0.1
	done
	return 1
}

# --- topology ------------------------------------------------------------------------------------

log "setup: namespaces ${P}{a,r,b}, $RATE, ${DELAY_MS} ms each way"
for n in "$NS_A" "$NS_R" "$NS_B"; do
	ip netns add "$n" || die "ip netns add $n failed"
	NS_MADE+=("$n")
	ip -n "$n" link set lo up
	ip netns exec "$n" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
done
set -e
ip -n "$NS_R" link add lan1 type veth peer name eth0 netns "$NS_A"
ip -n "$NS_R" link add lan2 type veth peer name eth0 netns "$NS_B"
ip -n "$NS_R" addr add $R_IP/24 dev lan1
ip -n "$NS_R" addr add 10.0.2.1/24 dev lan2
ip -n "$NS_A" addr add $A_IP/24 dev eth0
ip -n "$NS_B" addr add $B_IP/24 dev eth0
for l in lan1 lan2; do ip -n "$NS_R" link set $l up; done
ip -n "$NS_A" link set eth0 up
ip -n "$NS_B" link set eth0 up
ip -n "$NS_A" route add default via $R_IP
ip -n "$NS_B" route add default via 10.0.2.1
ip netns exec "$NS_R" sysctl -qw net.ipv4.ip_forward=1
for l in lan1 lan2; do
	ip netns exec "$NS_R" tc qdisc replace dev $l root tbf rate "$RATE" burst 64kb limit 600kb
done
ip netns exec "$NS_R" iptables -A FORWARD -j NFQUEUE --queue-num 0 --queue-bypass
set +e

start_delayer() { # start_delayer LOSS
	stop_pidfile nfq
	[ -f "$LOGD/nfq.err" ] && cat "$LOGD/nfq.err" >>"$LOGD/nfq.all"
	bg nfq "$NS_R" 3600 "$NFQ" -q 0 -d "$DELAY_MS" -l "$1"
	wait_for "$LOGD/nfq.err" 'nfq_delay: queue' 5 nfq >/dev/null ||
		{ cat "$LOGD/nfq.err" >&2; FAILED=1; die "nfq_delay did not start"; }
}

# --- servers that live for the whole run ------------------------------------------------------

bg iperf3s "$NS_B" 900 iperf3 -s -B $B_IP
for i in $(seq 50); do # ready = listening (its stdout is block-buffered into the log)
	ip netns exec "$NS_B" ss -Hltn "sport = :5201" | grep -q . && break
	[ "$i" = 50 ] && { FAILED=1; die "iperf3 -s is not listening on $B_IP:5201 after 5 s"; }
	sleep 0.1
done
bg signald "$NS_R" 900 "$SIGNALD" --listen $R_IP:0
PORT=$(wait_for "$LOGD/signald.err" "listening on ${R_IP//./\\.}:[0-9]+" 10 signald) || {
	FAILED=1
	cat "$LOGD/signald.err" >&2
	die "signald printed no 'listening on' line"
}
URL=ws://$R_IP:${PORT##*:}/ws
log "signald on $URL (in ${NS_R}), iperf3 -s on $B_IP"

# --- input files (AES-CTR keystream with a fixed key: incompressible, reproducible) ------------

make_input() { # make_input SIZE -> path on stdout
	local bytes f
	bytes=$(numfmt --from=iec "$1") || die "bad size $1"
	f=$DATA/in-$1.bin
	if [ ! -f "$f" ]; then
		timeout 120 openssl enc -aes-128-ctr -nosalt -K 000102030405060708090a0b0c0d0e0f \
			-iv 00000000000000000000000000000000 -in /dev/zero 2>/dev/null |
			head -c "$bytes" >"$f"
		[ "$(stat -c %s "$f")" = "$bytes" ] || die "could not make $f"
	fi
	echo "$f"
}

# --- measurements ---------------------------------------------------------------------------------

ping_rtt() { # ping_rtt -> avg ms, or "-"
	local out
	out=$(ip netns exec "$NS_A" timeout 15 ping -n -q -c 10 -i 0.2 -W 2 $B_IP 2>&1)
	echo "$out" >>"$LOGD/ping.log"
	awk -F'/' '/^rtt|^round-trip/ { print $5; found = 1 } END { if (!found) print "-" }' <<<"$out"
}

iperf() { # iperf CC TAG -> "Mbit/s retransmits" (receiver's rate), or "- -"
	local cc=$1 tag=$2 j=$LOGD/iperf3-$2.json
	if [ "$IPERF_SECS" = 0 ]; then
		echo "skip 0"
		return
	fi
	ip netns exec "$NS_A" timeout -k 5 $((IPERF_SECS + 20)) iperf3 -c $B_IP -B $A_IP \
		-t "$IPERF_SECS" -C "$cc" -J </dev/null >"$j" 2>"$LOGD/iperf3-$tag.err"
	$PY - "$j" "$cc" <<'EOF'
import json, sys
try:
    d = json.load(open(sys.argv[1]))
    e = d["end"]
    used = e.get("sender_tcp_congestion", "?")
    if used != sys.argv[2]:
        print(f"iperf3 used {used}, not {sys.argv[2]}", file=sys.stderr)
        raise ValueError
    print(f'{e["sum_received"]["bits_per_second"] / 1e6:.1f} {e["sum_sent"].get("retransmits", 0)}')
except Exception:
    print("- -")
EOF
}

# The receiver writes into an O_TMPFILE (or a hidden .part file) that it removes on failure,
# so progress is sampled while it runs: the file position of its open output file, from
# /proc/PID/fdinfo. The steady rate between the first and the last sample is what a transfer
# that did not finish in XFER_TIMEOUT reports (marked "partial").
recv_pos() { # recv_pos TIMEOUT_PID OUTDIR -> bytes written so far by the rtcpeer under it
	local c fd t
	c=$(awk '{print $1}' "/proc/$1/task/$1/children" 2>/dev/null)
	[ -n "$c" ] || return 1
	for fd in /proc/"$c"/fd/*; do
		t=$(readlink "$fd" 2>/dev/null) || continue
		case $t in "$2"/*)
			awk '/^pos:/ { print $2; exit }' "/proc/$c/fdinfo/${fd##*/}" 2>/dev/null
			return 0 ;;
		esac
	done
	return 1
}

XFER_MBIT=-
XFER_SHA=false
XFER_NOTE=
XFER_COMPLETE=false
XFER_RC=null
xfer() { # xfer SIZE TAG : one rtcpeer transfer a -> b; sets the XFER_* results
	local in out code t0 rs rr rpid pos now p0='' t_0='' p1='' t_1=''
	in=$(make_input "$1")
	out=$DATA/out-$2
	rm -rf "$out"
	mkdir -p "$out"
	XFER_MBIT=-
	XFER_SHA=false
	XFER_NOTE=
	XFER_COMPLETE=false
	XFER_RC=null
	bg send-$2 "$NS_A" "$XFER_TIMEOUT" "$RTCPEER" send --server "$URL" --bind-addr $A_IP \
		--json "${EXTRA_ARGS[@]}" "$in"
	code=$(wait_for "$LOGD/send-$2.err" '"event":"code","code":"[^"]+"' 15 send-$2) &&
		wait_for "$LOGD/send-$2.err" '"event":"joined"' 15 send-$2 >/dev/null || {
		XFER_NOTE="the sender printed no code or never joined"
		stop_pidfile send-$2
		return 1
	}
	code=${code##*:\"}
	code=${code%\"}
	t0=$(date +%s.%N)
	bg recv-$2 "$NS_B" "$XFER_TIMEOUT" "$RTCPEER" recv -o "$out" --server "$URL" \
		--bind-addr $B_IP --json "${EXTRA_ARGS[@]}" "$code"
	rpid=$(cat "$PIDS/recv-$2.pid")
	while kill -0 "$rpid" 2>/dev/null; do # bounded by the receiver's own timeout
		if pos=$(recv_pos "$rpid" "$out") && [ -n "$pos" ] && [ "$pos" -gt 0 ]; then
			now=$(date +%s.%N)
			[ -n "$p0" ] || { p0=$pos; t_0=$now; }
			p1=$pos
			t_1=$now
			echo "$now $pos" >>"$LOGD/recv-$2.progress"
		fi
		sleep 0.5
	done
	wait "$rpid"
	rr=$?
	rm -f "$PIDS/recv-$2.pid"
	wait "$(cat "$PIDS/send-$2.pid")"
	rs=$?
	rm -f "$PIDS/send-$2.pid"
	XFER_RC=$rr
	XFER_MBIT=$($PY - "$LOGD/recv-$2.err" <<'EOF2'
import json, sys
for line in open(sys.argv[1], errors="replace"):
    try:
        o = json.loads(line)
    except ValueError:
        continue
    if o.get("event") == "summary" and o.get("seconds", 0) > 0:
        print(f'{o["bytes"] * 8 / o["seconds"] / 1e6:.1f}')
        break
else:
    print("-")
EOF2
)
	local el
	el=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.0f", b - a }')
	if [ "$XFER_MBIT" = - ]; then
		XFER_NOTE="no summary: exit send=$rs recv=$rr after $el s"
		[ "$rr" = 124 ] && XFER_NOTE+=" (XFER_TIMEOUT=$XFER_TIMEOUT)"
		XFER_NOTE+=", $(grep -m1 -oE '"message":"[^"]*"' "$LOGD/recv-$2.err" | cut -d'"' -f4)"
		if [ -n "$p0" ] && [ "$p1" -gt "$p0" ]; then
			XFER_MBIT=$(awk -v a="$p0" -v b="$p1" -v s="$t_0" -v e="$t_1" \
				'BEGIN { printf "%.1f", (b - a) * 8 / (e - s) / 1e6 }')
			XFER_NOTE+="; partial: $p1 bytes written, $XFER_MBIT Mbit/s between the first and last sample"
		fi
	else
		XFER_COMPLETE=true
	fi
	local f
	f=$out/$(basename "$in")
	if [ -f "$f" ] && [ "$(sha256sum <"$f" | cut -d' ' -f1)" = "$(sha256sum <"$in" | cut -d' ' -f1)" ]; then
		XFER_SHA=true
	fi
	rm -rf "$out"
	[ "$rs" = 0 ] && [ "$rr" = 0 ] && [ "$XFER_SHA" = true ]
}

ROWS=()
JSON_ROWS=()
for loss in $LOSSES; do
	echo
	log "=== link: $RATE, RTT $((2 * DELAY_MS)) ms, loss $loss % each way"
	start_delayer "$loss"
	rtt=$(ping_rtt)
	log "ping RTT avg $rtt ms"
	read -r cubic cubic_rtx <<<"$(iperf cubic "l$loss-cubic")"
	log "iperf3 -C cubic: $cubic Mbit/s ($cubic_rtx retransmits)"
	read -r bbr bbr_rtx <<<"$(iperf bbr "l$loss-bbr")"
	log "iperf3 -C bbr:   $bbr Mbit/s ($bbr_rtx retransmits)"
	[ "$cubic" = - ] || [ "$bbr" = - ] && FAILED=1
	if awk -v l="$loss" 'BEGIN { exit !(l == 0) }'; then
		size=$SIZE_0 target=$TARGET_0
	else
		size=$SIZE_LOSSY target=$TARGET_LOSSY
	fi
	rates=()
	for run in $(seq 1 "$RUNS"); do
		xfer "$size" "l$loss-$run" || FAILED=1
		if [ "$XFER_COMPLETE" = true ]; then
			log "rtcpeer $size (run $run): $XFER_MBIT Mbit/s, $(grep -m1 -oE '"lanes":[0-9]+' "$LOGD/recv-l$loss-$run.err" | cut -d: -f2) lanes, $(grep -m1 -oE '"sctp_packet":[0-9]+' "$LOGD/send-l$loss-$run.err" | cut -d: -f2)-byte SCTP packets, sha256 $([ "$XFER_SHA" = true ] && echo ok || echo MISMATCH)"
			rates+=("$XFER_MBIT")
		else
			log "rtcpeer $size (run $run): INCOMPLETE; $XFER_NOTE"
			break # the table then shows this failed run
		fi
	done
	if [ "$XFER_COMPLETE" = true ] && [ "${#rates[@]}" -gt 1 ]; then
		XFER_MBIT=$(printf '%s\n' "${rates[@]}" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
		log "rtcpeer median of ${#rates[@]}: $XFER_MBIT Mbit/s (${rates[*]})"
	fi
	stop_pidfile nfq
	nfq_stats=$(grep -m1 -oE 'seen .*' "$LOGD/nfq.err")
	log "nfq_delay: ${nfq_stats:-no statistics}"
	late10=$(grep -m1 -oE 'late>10ms [0-9]+' "$LOGD/nfq.err" | cut -d' ' -f2)
	lostpct=$(grep -m1 -oE 'lost [0-9]+ \([0-9.]+' "$LOGD/nfq.err" | cut -d'(' -f2)
	ok=$(awk -v m="$XFER_MBIT" -v t="$target" 'BEGIN { print (m != "-" && m + 0 >= t) ? "true" : "false" }')
	if [ "$XFER_COMPLETE" = true ]; then
		verdict=$([ "$ok" = true ] && echo met || echo MISSED)
		[ "$XFER_SHA" = true ] || verdict+=", sha256 MISMATCH"
	else
		verdict="MISSED: incomplete (exit $XFER_RC), rate from partial progress"
		ok=false
	fi
	ROWS+=("$(printf '%-30s %8s %8s %8s %8s  %s' "$RATE ${rtt} ms ${loss}% loss" \
		"$cubic" "$bbr" "$XFER_MBIT" ">= $target" "$verdict")")
	num() { { [ "$1" = - ] || [ "$1" = skip ]; } && echo null || echo "$1"; }
	JSON_ROWS+=("{\"loss_pct\":$loss,\"ping_rtt_ms\":$(num "$rtt"),\"iperf3_cubic_mbit\":$(num "$cubic"),\"iperf3_cubic_retransmits\":$(num "$cubic_rtx"),\"iperf3_bbr_mbit\":$(num "$bbr"),\"iperf3_bbr_retransmits\":$(num "$bbr_rtx"),\"rtcpeer_bytes\":$(numfmt --from=iec "$size"),\"rtcpeer_mbit\":$(num "$XFER_MBIT"),\"rtcpeer_complete\":$XFER_COMPLETE,\"rtcpeer_exit\":$XFER_RC,\"rtcpeer_sha256_ok\":$XFER_SHA,\"delayer_lost_pct\":$(num "${lostpct:--}"),\"delayer_late_over_10ms\":$(num "${late10:--}"),\"rtcpeer_target_mbit\":$target,\"rtcpeer_target_met\":$ok}")
done

echo
rev=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')
git -C "$ROOT" diff --quiet HEAD 2>/dev/null || rev="$rev+dirty"
echo "rtcpeer on an emulated WAN (tbf $RATE each way, nfq_delay ${DELAY_MS} ms each way), tree $rev, $(nproc) CPUs, kernel $(uname -r)"
printf '%-30s %8s %8s %8s %8s  %s\n' "link (ping RTT)" "cubic" "bbr" "rtcpeer" "target" "(Mbit/s at the receiver; iperf3 -C, $IPERF_SECS s)"
for r in "${ROWS[@]}"; do echo "$r"; done
elapsed=$(awk -v a="$T_START" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
(
	IFS=,
	echo "{\"bench\":\"wan\",\"rate\":\"$RATE\",\"one_way_delay_ms\":$DELAY_MS,\"iperf_secs\":$IPERF_SECS,\"rev\":\"$rev\",\"elapsed_s\":$elapsed,\"ok\":$([ "$FAILED" = 0 ] && echo true || echo false),\"results\":[${JSON_ROWS[*]}]}"
)
exit "$FAILED"
