#!/usr/bin/env bash
# run.sh - benchmark signald with sigload: one fresh signald per scenario, a summary at the end.
#
#   bench/run.sh                 # all scenarios
#   bench/run.sh relay100 joins  # some of them: idle relay100 relay1000 paced fanout joins
#
# Environment:
#   SIGNALD=path        signald binary (default: ../build/signald/signald)
#   SIGLOAD=path        sigload binary (default: ../build/bench/sigload, else built into
#                       $SIGLOAD_BUILD_DIR, default ${TMPDIR:-/tmp}/sigload-build)
#   DURATION=10         seconds per relay/fanout window (keep runs short on a shared machine)
#   IDLE_CONNS=19500    idle scenario size; IDLE_PROCS=4; IDLE_RATE=5000 (connections/s)
#   JOINS_CONNS=10000   joins scenario size
#   PIN=1               signald on CPU 0, sigload on CPU 1 (taskset); PIN=0 to let them float
#   OUT=dir             where logs go (default: a new directory under ${TMPDIR:-/tmp})
#
# Every scenario prints sigload's own lines; the summary says for each whether the load tool
# saturated its CPU (then the number is a lower bound for signald, not signald's limit), and how
# busy the rest of the machine was (other people's jobs skew a 2-core box).
set -uo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
SIGNALD=${SIGNALD:-$ROOT/build/signald/signald}
DURATION=${DURATION:-10}
IDLE_CONNS=${IDLE_CONNS:-19500}
IDLE_PROCS=${IDLE_PROCS:-4}
IDLE_RATE=${IDLE_RATE:-5000}
JOINS_CONNS=${JOINS_CONNS:-10000}
PIN=${PIN:-1}
OUT=${OUT:-$(mktemp -d "${TMPDIR:-/tmp}/sigload-results.XXXXXX")}
SERVER_FLAGS=(--listen 127.0.0.1:0 --max-connections-per-ip 0 --rate-limit 0 --byte-rate-limit 0
	      --max-connections 60000 --log-level warn)

SD_PID=
SL_PID=
SUMMARY=()

die() { echo "run.sh: $*" >&2; exit 1; }

cleanup() {
	# Only what this script started, by pid.
	[ -n "$SL_PID" ] && kill "$SL_PID" 2>/dev/null
	[ -n "$SD_PID" ] && kill "$SD_PID" 2>/dev/null
	wait 2>/dev/null
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- build -----------------------------------------------------------------------------------

find_sigload() {
	if [ -n "${SIGLOAD:-}" ]; then
		[ -x "$SIGLOAD" ] || die "SIGLOAD=$SIGLOAD is not executable"
		return
	fi
	local tree=$ROOT/build/bench/sigload newest
	newest=$(ls -t "$HERE"/*.c "$HERE"/*.h "$HERE"/CMakeLists.txt "$ROOT"/proto/*.c \
		"$ROOT"/common/*.c 2>/dev/null | head -1)
	if [ -x "$tree" ] && [ "$tree" -nt "$newest" ]; then
		SIGLOAD=$tree
		return
	fi
	# Not the tree's build/ directory: that belongs to whoever builds the project.
	local bdir=${SIGLOAD_BUILD_DIR:-${TMPDIR:-/tmp}/sigload-build}
	echo "building sigload in $bdir"
	cmake -S "$ROOT" -B "$bdir" -DRTC_BUILD_TESTS=OFF -DRTC_BUILD_BENCH=ON >"$OUT/build.log" 2>&1 &&
		cmake --build "$bdir" --target sigload >>"$OUT/build.log" 2>&1 ||
		die "build failed, see $OUT/build.log"
	SIGLOAD=$bdir/bench/sigload
}

# --- helpers ---------------------------------------------------------------------------------

# Command prefixes that pin to a CPU (set in main). Arrays, not a function: a function run
# with & is a subshell, and $! would then not be the pid of signald/sigload.
PIN_SERVER=()
PIN_LOAD=()

rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }

# Non-idle jiffies of the machine, without irq/softirq: with IRQ time accounting the kernel's
# loopback packet processing for our own traffic lands there, not in any process's time.
busy_jiffies() {
	awk '/^cpu / {print $2 + $3 + $4 + $9}' /proc/stat
}

proc_jiffies() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }

# CPU seconds of reaped children. `times` must run in this shell, not in a $(...) subshell
# (which has reaped nothing), so it writes a file that awk reads.
children_cpu() {
	times > "$OUT/.times"
	awk 'NR == 2 {
		n = split($0, f, " "); s = 0
		for (i = 1; i <= n; i++) { split(f[i], p, "m"); sub("s", "", p[2]); s += p[1] * 60 + p[2] }
		print s }' "$OUT/.times"
}

# Starts signald, sets SD_PID and SD_PORT. The port comes from the readiness line
# ("listening on ADDR:PORT"); if signald does not print it at --log-level warn, fall back to
# asking the kernel which port the pid listens on, and say so.
start_signald() {
	local log=$1 i port=
	SD_PORT=
	"${PIN_SERVER[@]}" "$SIGNALD" "${SERVER_FLAGS[@]}" 2>"$log" >/dev/null &
	SD_PID=$!
	for i in $(seq 50); do
		port=$(grep -oE 'listening on [^ ]+:[0-9]+' "$log" | head -1 | grep -oE '[0-9]+$')
		[ -n "$port" ] && break
		kill -0 "$SD_PID" 2>/dev/null || break
		sleep 0.1
	done
	if [ -z "$port" ] && kill -0 "$SD_PID" 2>/dev/null; then
		port=$(ss -Hltnp 2>/dev/null | grep "pid=$SD_PID," | awk '{print $4}' |
			grep -oE '[0-9]+$' | head -1)
		[ -n "$port" ] && echo "  NOTE: signald printed no readiness line" \
			"(--log-level warn); port $port found with ss" | tee -a "$OUT/notes.txt"
	fi
	[ -n "$port" ] || { cat "$log" >&2; die "signald did not start (log: $log)"; }
	SD_PORT=$port
}

# Stops signald and sets SD_STOP_S to how long it took to exit after SIGTERM.
stop_signald() {
	local i rc t0
	t0=$(date +%s.%N)
	kill "$SD_PID" 2>/dev/null
	for i in $(seq 300); do
		kill -0 "$SD_PID" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$SD_PID" 2>/dev/null; then
		echo "  NOTE: signald did not exit 30 s after SIGTERM; killing it" |
			tee -a "$OUT/notes.txt"
		kill -9 "$SD_PID" 2>/dev/null
	fi
	wait "$SD_PID" 2>/dev/null
	rc=$?
	SD_STOP_S=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
	[ "$rc" = 0 ] || echo "  NOTE: signald exit status $rc after SIGTERM (expected 0)" |
		tee -a "$OUT/notes.txt"
	awk -v s="$SD_STOP_S" 'BEGIN { exit !(s > 2) }' &&
		echo "  NOTE: signald took $SD_STOP_S s to exit after SIGTERM" | tee -a "$OUT/notes.txt"
	SD_PID=
}

jget() { jq -r "$1 // empty" "$2" 2>/dev/null; }

pct() { awk -v v="${1:-}" 'BEGIN { if (v == "") print "-"; else printf "%.0f%%", v * 100 }'; }

# run_scenario NAME TIMEOUT MODE ARGS...: fresh signald, sigload, stats into SUMMARY.
run_scenario() {
	local name=$1 limit=$2 mode=$3
	shift 3
	local log=$OUT/$name.log slog=$OUT/$name.signald.log json=$OUT/$name.json
	local rss0 rss1 held bpc sd0 sd1 busy0 busy1 t0 t1 rc cc0 cc1

	echo
	echo "=== $name: sigload $mode $*"
	start_signald "$slog"
	sleep 0.3
	rss0=$(rss_kb "$SD_PID")
	busy0=$(busy_jiffies)
	sd0=$(proc_jiffies "$SD_PID")
	t0=$(date +%s.%N)
	children_cpu > "$OUT/.cc"; cc0=$(cat "$OUT/.cc")
	: >"$log"
	"${PIN_LOAD[@]}" timeout -s TERM "$((limit + 15))" "$SIGLOAD" "$mode" "$@" --timeout "$limit" \
		--server-pid "$SD_PID" "ws://127.0.0.1:$SD_PORT/ws" >"$log" 2>"$log.err" &
	SL_PID=$!
	rss1=
	if [ "$mode" = idle ]; then
		# RSS while the connections are held: wait for sigload's "holding" line (printed
		# only when every worker finished its setup).
		for _ in $(seq $((limit * 5))); do
			grep -q '^idle: holding' "$log" && break
			kill -0 "$SL_PID" 2>/dev/null || break
			sleep 0.2
		done
		if grep -q '^idle: holding' "$log"; then
			sleep 0.5
			rss1=$(rss_kb "$SD_PID")
		fi
	fi
	wait "$SL_PID"
	rc=$?
	SL_PID=
	children_cpu > "$OUT/.cc"; cc1=$(cat "$OUT/.cc") # sigload and its workers are reaped now
	t1=$(date +%s.%N)
	sd1=$(proc_jiffies "$SD_PID")
	busy1=$(busy_jiffies)
	grep -v '^{' "$log"
	[ -s "$log.err" ] && sed 's/^/  stderr: /' "$log.err" | head -5
	tail -1 "$log" >"$json"
	stop_signald

	# Machine CPU not used by signald or sigload during the run: other jobs on the box, in
	# cores. On a shared 2-core machine this says how much the numbers can be trusted.
	local other
	other=$(awk -v b0="$busy0" -v b1="$busy1" -v s0="$sd0" -v s1="$sd1" -v c0="$cc0" \
		-v c1="$cc1" -v hz="$(getconf CLK_TCK)" -v t0="$t0" -v t1="$t1" 'BEGIN {
		v = ((b1 - b0) - (s1 - s0)) / hz - (c1 - c0); if (v < 0) v = 0
		printf "%.2f", v / (t1 - t0) }')

	local result lat sat srv
	case $mode in
	idle)
		held=$(jget .held "$json")
		if [ -n "$held" ] && [ "$held" -gt 0 ] && [ -n "$rss1" ]; then
			bpc=$(( (rss1 - rss0) * 1024 / held ))
		else
			bpc=-
		fi
		result="$held held; RSS ${rss0}->${rss1:-?} kB = $bpc B/conn; $(printf %.0f "$(jget .connect_per_s "$json")") conn/s; stop ${SD_STOP_S}s"
		lat=-
		;;
	relay | fanout)
		result="$(printf %.0f "$(jget .msgs_per_s "$json")") msg/s (sent $(printf %.0f "$(jget .send_per_s "$json")")/s), lost $(jget .lost "$json")"
		[ "$mode" = fanout ] && result="$(printf %.0f "$(jget .deliveries_per_s "$json")") deliveries/s ($(printf %.0f "$(jget .send_per_s "$json")") publishes/s), lost $(jget .lost "$json")"
		lat="$(jget .latency_us.p50 "$json" | cut -d. -f1)/$(jget .latency_us.p90 "$json" | cut -d. -f1)/$(jget .latency_us.p99 "$json" | cut -d. -f1)/$(jget .latency_us.max "$json" | cut -d. -f1)"
		;;
	joins)
		result="$(printf %.0f "$(jget .joins_per_s "$json")") joins/s; setup $(printf %.0f "$(jget .connect_per_s "$json")") conn/s"
		lat="$(jget .join_latency_us.p50 "$json" | cut -d. -f1)/-/$(jget .join_latency_us.p99 "$json" | cut -d. -f1)/$(jget .join_latency_us.max "$json" | cut -d. -f1)"
		;;
	esac
	sat=$(jget .tool_saturated "$json")
	srv=$(pct "$(jget .server_cpu "$json")")
	local errs
	errs=$(jget .errors "$json")
	[ -z "$(cat "$json")" ] && result="NO RESULT (sigload exit $rc, see $log)"
	local tool
	tool="$(pct "$(jget .tool_cpu "$json")")/$(pct "$(jget .tool_cores_busy "$json")")"
	srv="$srv/$(pct "$(jget .server_cores_busy "$json")")"
	SUMMARY+=("$(printf '%-10s|%-66s|%-28s|%-9s %-3s|%-9s|%-6s|%s' "$name" "$result" "$lat" \
		"$tool" "$([ "$sat" = true ] && echo SAT || echo ok)" "$srv" "${errs:--}" \
		"$other cores, rc=$rc")")
	sleep 1 # let the kernel reap the closed sockets before the next signald
}

# --- main ------------------------------------------------------------------------------------

[ -x "$SIGNALD" ] || die "no signald at $SIGNALD (set SIGNALD=)"
command -v jq >/dev/null || die "needs jq"
if [ "$PIN" = 1 ] && { ! command -v taskset >/dev/null || [ "$(nproc)" -lt 2 ]; }; then
	echo "pinning off (needs taskset and 2 CPUs)"
	PIN=0
fi
[ "$PIN" = 1 ] && { PIN_SERVER=(taskset -c 0); PIN_LOAD=(taskset -c 1); }
find_sigload
HARD=$(ulimit -Hn)
ulimit -n "$HARD" 2>/dev/null

echo "sigload: $SIGLOAD"
echo "signald: $SIGNALD ${SERVER_FLAGS[*]}"
echo "machine: $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), fd limit $HARD, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "pinning: $([ "$PIN" = 1 ] && echo 'signald on CPU 0, sigload (all workers) on CPU 1' || echo off)"
echo "logs:    $OUT"

want() { [ $# -eq 0 ] && return 0; local s; for s in "${SELECTED[@]}"; do [ "$s" = "$1" ] && return 0; done; return 1; }
SELECTED=("$@")
sel() { [ ${#SELECTED[@]} -eq 0 ] || want "$1"; }

sel idle && run_scenario idle 60 idle --conns "$IDLE_CONNS" --procs "$IDLE_PROCS" \
	--connect-rate "$IDLE_RATE" --hold 3
sel relay100 && run_scenario relay100 40 relay --rooms 100 --procs 2 --duration "$DURATION"
sel relay1000 && run_scenario relay1000 40 relay --rooms 1000 --procs 2 --duration "$DURATION"
sel paced && run_scenario paced 40 relay --rooms 100 --rate 10000 --duration "$DURATION"
sel fanout && run_scenario fanout 40 fanout --peers 50 --duration "$DURATION"
sel joins && run_scenario joins 60 joins --conns "$JOINS_CONNS" --procs 2

echo
echo "=== summary"
echo "  latency: us, p50/p90/p99/max (joins: join sent -> joined)"
echo "  tool:    sigload CPU / how busy its core(s) were in all, over the measured phase;"
echo "           SAT = sigload used its CPU up (or others did): the number is a lower bound"
echo "  signald: its CPU (one core = 100%) / how busy its core was in all; 95%+ busy with"
echo "           signald well below 100% means other processes took the rest"
echo "  other:   cores used by processes other than signald and sigload over the whole"
echo "           scenario (irq/softirq excluded); on a shared machine, read it as noise"
printf '%-10s|%-66s|%-28s|%-13s|%-9s|%-6s|%s\n' scenario result latency "tool" signald errors "other"
for line in "${SUMMARY[@]}"; do echo "$line"; done
[ -s "$OUT/notes.txt" ] && { echo; echo "notes:"; sort -u "$OUT/notes.txt"; }
exit 0
