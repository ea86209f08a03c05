#!/usr/bin/env bash
# rtcpeer.sh - benchmark a file transfer between two rtcpeer processes on loopback.
#
#   bench/rtcpeer.sh                          # 1 GiB, 3 runs
#   SIZE=256M RUNS=1 bench/rtcpeer.sh         # a quick one
#
# Measures, per run and as medians:
#   - throughput: bytes / the receiver's own {"event":"summary"} seconds (and the sender's),
#     and bytes / wall-clock from the receiver's start to its exit (setup, transfer, fsync,
#     verdict and teardown included);
#   - setup: receiver start -> {"event":"connected"} and -> {"event":"authenticated"} in ms
#     (the sender has already joined the room when the receiver starts, as when a person
#     types the code);
#   - peak RSS of each side: ru_maxrss from wait4() (what /usr/bin/time -f %M prints) and
#     VmHWM sampled from /proc/PID/status every 10 ms until the exit;
#   - the load average before each run and the CPU other jobs used during it, and which CPU
#     each rtcpeer ran on.
# Targets (printed beside the figures): >= 150 MB/s, <= 100 ms setup, <= 12 MiB RSS per side.
# The input is made once (AES-CTR keystream with a fixed key: incompressible, not sparse),
# the output lands on the same filesystem, the two are compared with sha256 after every run,
# and everything is deleted at the end.
#
# Environment:
#   SIZE=1G            input size: bytes or K/M/G (powers of 1024)
#   RUNS=3             repetitions
#   PIN=0              1: sender on CPU 0, receiver on CPU 1 (sched_setaffinity, as taskset)
#   RTCPEER_EXTRA_ARGS words added to both rtcpeer command lines
#   BUILD_DIR=dir      where to find signald/signald and rtcpeer/rtcpeer (default: ../build);
#   SIGNALD=path RTCPEER=path   or name the binaries
#   SIGNALD_ARGS       extra signald options (default: none; it runs with its defaults)
#   TIMEOUT=secs       limit for each rtcpeer (default: 60 + 1 s per 10 MB)
#   RSSFLOOR=path      bench/rssfloor, printed as the floor under the RSS figures (default:
#                      beside rtcpeer's build, ../bench/rssfloor)
#   TMPDIR             where the work directory goes (input, output, logs)
#   KEEP_LOGS=1        keep the logs (kept anyway when a run fails); data is always deleted
#
# Exit status: 0 if every run succeeded (whatever the targets), 1 otherwise.
set -uo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
BUILD_DIR=${BUILD_DIR:-$ROOT/build}
SIGNALD=${SIGNALD:-$BUILD_DIR/signald/signald}
RTCPEER=${RTCPEER:-$BUILD_DIR/rtcpeer/rtcpeer}
SIZE=${SIZE:-1G}
RUNS=${RUNS:-3}
PIN=${PIN:-0}
EXTRA=${RTCPEER_EXTRA_ARGS:-}
unset RTCPEER_EXTRA_ARGS
KEEP_LOGS=${KEEP_LOGS:-0}
PY=/usr/bin/python3
PROBE=$HERE/rtcpeer_probe.py

die() { echo "rtcpeer.sh: $*" >&2; exit 1; }

[ -x "$SIGNALD" ] || die "no signald at $SIGNALD (set BUILD_DIR or SIGNALD; build with" \
	"cmake -S $ROOT -B DIR -DCMAKE_BUILD_TYPE=Release && cmake --build DIR)"
[ -x "$RTCPEER" ] || die "no rtcpeer at $RTCPEER (set BUILD_DIR or RTCPEER)"
[ -x "$PY" ] || die "needs $PY"
[[ "$RUNS" =~ ^[1-9][0-9]*$ ]] || die "RUNS=$RUNS: expected a positive number"
BYTES=$(numfmt --from=iec "$SIZE" 2>/dev/null) || die "SIZE=$SIZE: expected bytes or K/M/G"
[ "$BYTES" -gt 0 ] 2>/dev/null || die "SIZE=$SIZE: expected a positive size"
XT=${TIMEOUT:-$((60 + BYTES / 10000000))}
if [ "$PIN" = 1 ]; then
	[ "$(nproc --all)" -ge 2 ] || die "PIN=1 needs two CPUs"
	PIN_S=(--cpu 0)
	PIN_R=(--cpu 1)
else
	PIN_S=()
	PIN_R=()
fi
read -r -a EXTRA_ARGS <<<"$EXTRA"
read -r -a SD_ARGS <<<"${SIGNALD_ARGS:-}"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/rtcpeer-bench.XXXXXX") || die "cannot make a work directory"
IN=$WORK/data/input.bin
OUTDIR=$WORK/data/out
LOG=$WORK/logs
mkdir -p "$WORK/data" "$LOG"

SD_TO_PID= # the `timeout` wrapping signald
SD_PID=    # signald itself
S_PID=     # `timeout` wrapping the probe wrapping the sender
R_PID=
GEN_PID=
FAILED=0

cleanup() {
	local p
	# Only what this script started, by pid. A probe passes TERM on to its rtcpeer (which
	# also dies with the probe: PR_SET_PDEATHSIG); `timeout` passes it on to its command.
	for p in $GEN_PID $R_PID $S_PID $SD_TO_PID; do
		kill "$p" 2>/dev/null
	done
	wait 2>/dev/null
	rm -rf "$WORK/data"
	if [ "$KEEP_LOGS" = 1 ] || [ "$FAILED" != 0 ]; then
		echo "logs kept in $LOG" >&2
	else
		rm -rf "$WORK"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

# CPU seconds (user + system) of all children this shell has reaped so far, and of theirs.
# `times` must run in this shell, not in a $(...) subshell (which has reaped nothing): call
# as `children_cpu; x=$CC`.
children_cpu() {
	times >"$LOG/times.txt"
	CC=$(awk 'NR == 2 {
		n = split($0, f, " "); s = 0
		for (i = 1; i <= n; i++) { split(f[i], p, "m"); sub("s", "", p[2]); s += p[1] * 60 + p[2] }
		print s }' "$LOG/times.txt")
}

# --- what, where, on what ----------------------------------------------------------------

rev=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')
git -C "$ROOT" diff --quiet HEAD 2>/dev/null || rev="$rev+uncommitted changes"
echo "rtcpeer bench: $BYTES bytes ($SIZE) x $RUNS runs, tree $ROOT at $rev"
echo "  rtcpeer $RTCPEER (built $(stat -c %y "$RTCPEER" | cut -d. -f1))"
# The revision above is the tree's, not necessarily the binaries': say when they are older.
newest=$(ls -t "$ROOT"/rtcpeer/*.[ch] "$ROOT"/signald/*.[ch] "$ROOT"/common/*.[ch] \
	"$ROOT"/proto/*.[ch] 2>/dev/null | head -1)
for b in "$RTCPEER" "$SIGNALD"; do
	[ -n "$newest" ] && [ "$newest" -nt "$b" ] &&
		echo "  NOTE: $b is older than $newest: it may not be the tree's code (rebuild)"
done
echo "  signald $SIGNALD"
echo "  machine: $(nproc) CPUs ($(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo))," \
	"$(awk '/^MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo) RAM, kernel $(uname -r)"
echo "  work dir $WORK on $(df -PT "$WORK" | awk 'NR == 2 {print $2 " (" $1 ")"}')"
echo "  pinning: $([ "$PIN" = 1 ] && echo 'sender cpu 0, receiver cpu 1' || echo 'none (PIN=0)')"
echo "  extra rtcpeer args: ${EXTRA:-none}; per-process timeout ${XT} s"
echo "  targets: >= 150 MB/s, <= 100 ms receiver start -> channel open, <= 12 MiB peak RSS per side"
# The floor under the RSS figures: rtcpeer's libraries loaded, nothing run (bench/rssfloor.c).
FLOOR=${RSSFLOOR:-$(dirname "$RTCPEER")/../bench/rssfloor}
[ -x "$FLOOR" ] && echo "  RSS floor: $("$FLOOR" 0 | awk '/^VmHWM/ {print $2 " KiB"}') peak with" \
	"rtcpeer's libraries loaded and nothing run ($FLOOR)"

# --- input ---------------------------------------------------------------------------------

t0=$(date +%s.%N)
if command -v openssl >/dev/null; then
	gen="openssl aes-128-ctr keystream (fixed key)"
	# A fixed key: the same bytes every time, incompressible, written out (not sparse).
	timeout 600 openssl enc -aes-128-ctr -nosalt -K 000102030405060708090a0b0c0d0e0f \
		-iv 00000000000000000000000000000000 -in /dev/zero 2>/dev/null |
		head -c "$BYTES" >"$IN" &
else
	gen="/dev/urandom"
	timeout 600 head -c "$BYTES" /dev/urandom >"$IN" &
fi
GEN_PID=$!
wait "$GEN_PID"
GEN_PID=
[ "$(stat -c %s "$IN")" = "$BYTES" ] || die "could not make the $BYTES-byte input ($gen)"
# On disk before the first run, or run 1 competes with the writeback of a fresh 1 GiB file.
timeout 600 sync "$IN" || die "sync of the input failed or took over 600 s"
t1=$(date +%s.%N)
IN_SHA=$(timeout 600 sha256sum "$IN" | cut -d' ' -f1)
[ -n "$IN_SHA" ] || die "sha256sum of the input failed"
t2=$(date +%s.%N)
awk -v a="$t0" -v b="$t1" -v c="$t2" -v g="$gen" -v s="$IN_SHA" \
	'BEGIN { printf "  input: %s, made in %.1f s; sha256 %s (%.1f s)\n", g, b - a, s, c - b }'

# --- signald -------------------------------------------------------------------------------

SD_LIFE=$((RUNS * (2 * XT + 30) + 60))
timeout -k 5 "$SD_LIFE" "$SIGNALD" --listen 127.0.0.1:0 "${SD_ARGS[@]}" \
	>"$LOG/signald.out" 2>"$LOG/signald.log" &
SD_TO_PID=$!
PORT=$("$PY" "$PROBE" wait --file "$LOG/signald.log" --timeout 10 --pid "$SD_TO_PID" \
	--regex 'listening on 127\.0\.0\.1:([0-9]+)') || {
	FAILED=1
	cat "$LOG/signald.log" >&2
	die "signald printed no 'listening on 127.0.0.1:PORT' line within 10 s"
}
SD_PID=$(cat "/proc/$SD_TO_PID/task/$SD_TO_PID/children" 2>/dev/null | awk '{print $1}')
URL=ws://127.0.0.1:$PORT/ws
echo "  signald pid ${SD_PID:-?} on $URL"

# --- runs ----------------------------------------------------------------------------------

RUNS_JSONL=$LOG/runs.jsonl
: >"$RUNS_JSONL"
for i in $(seq "$RUNS"); do
	R=$LOG/run$i
	rm -rf "$OUTDIR"
	mkdir -p "$OUTDIR"
	echo
	echo "--- run $i/$RUNS"
	"$PY" "$PROBE" snap --out "$R.snap0.json" ${SD_PID:+--pid "$SD_PID"}
	children_cpu
	cc0=$CC

	timeout -k 5 $((XT + 10)) "$PY" "$PROBE" run --name sender --timeout "$XT" "${PIN_S[@]}" \
		--stdout "$R.send.out" --events "$R.send.events" --report "$R.send.json" -- \
		"$RTCPEER" send --server "$URL" --bind-addr 127.0.0.1 --json "${EXTRA_ARGS[@]}" "$IN" &
	S_PID=$!
	# The code, then the sender's "joined": the receiver starts once the sender waits in the
	# room, so its setup time is its own.
	CODE=$("$PY" "$PROBE" wait --file "$R.send.out" --timeout 15 --pid "$S_PID" \
		--regex '^rtcpeer recv (\S+)')
	if [ -n "$CODE" ] && "$PY" "$PROBE" wait --file "$R.send.events" --timeout 15 \
		--pid "$S_PID" --regex '"event": ?"joined"' >/dev/null; then
		timeout -k 5 $((XT + 10)) "$PY" "$PROBE" run --name receiver --timeout "$XT" \
			"${PIN_R[@]}" --stdout "$R.recv.out" --events "$R.recv.events" \
			--report "$R.recv.json" -- "$RTCPEER" recv -o "$OUTDIR" --server "$URL" \
			--bind-addr 127.0.0.1 --json "${EXTRA_ARGS[@]}" "$CODE" &
		R_PID=$!
		wait "$R_PID"
		R_PID=
	else
		echo "  the sender printed no code or never joined within 15 s; stopping it"
		kill "$S_PID" 2>/dev/null
	fi
	wait "$S_PID"
	S_PID=
	children_cpu
	cc1=$CC
	"$PY" "$PROBE" snap --out "$R.snap1.json" ${SD_PID:+--pid "$SD_PID"}

	got=$OUTDIR/$(basename "$IN")
	sha_ok=0
	got_file=0
	if [ -f "$got" ]; then
		got_file=1
		OUT_SHA=$(timeout 600 sha256sum "$got" | cut -d' ' -f1)
		[ "$OUT_SHA" = "$IN_SHA" ] && sha_ok=1
		echo "  sha256 received ${OUT_SHA:-?}"
	fi
	rm -rf "$OUTDIR"
	"$PY" "$PROBE" summarize --run "$i" --size "$BYTES" --sender "$R.send.json" \
		--receiver "$R.recv.json" --snap0 "$R.snap0.json" --snap1 "$R.snap1.json" \
		--sha-ok "$sha_ok" --got-file "$got_file" --our-cpu "$(awk -v a="$cc0" -v b="$cc1" 'BEGIN { print b - a }')" \
		--mine $$ $SD_TO_PID ${SD_PID:-} --out "$RUNS_JSONL" || FAILED=1
	tail -1 "$RUNS_JSONL" | grep -q '"ok": true' || FAILED=1
	if ! kill -0 "$SD_TO_PID" 2>/dev/null; then
		echo "  signald is gone (see $LOG/signald.log); no further runs"
		FAILED=1
		break
	fi
done

"$PY" "$PROBE" final --runs "$RUNS_JSONL" --size "$BYTES" || FAILED=1
exit "$FAILED"
