#!/usr/bin/python3
"""rtcpeer_probe.py - helper of bench/rtcpeer.sh (Python 3 standard library only).

  run   --name N --timeout S [--cpu C] --stdout F --events F --report F -- CMD...
        Starts CMD, timestamps each line of its stderr as it arrives (CLOCK_MONOTONIC, so
        comparable between processes), samples /proc/PID/status (VmHWM, VmRSS) and the CPU it
        last ran on every --interval seconds until it exits, then takes the exact peak RSS from
        wait4() (ru_maxrss, what /usr/bin/time -f %M prints), and writes a JSON report.
        --cpu pins CMD alone (sched_setaffinity in the child), not this probe.
        Kills CMD (TERM, then KILL 3 s later) after --timeout or when the probe gets TERM/INT.
  snap  --out F [--pid P]     machine CPU jiffies, load average and P's CPU jiffies, as JSON.
  wait  --file F --regex R --timeout S [--pid P]
        Bounded wait until a line of F matches R (polls F; gives up early if P has exited).
        Prints the first match's first group (or the whole match) and exits 0; 1 on timeout.
  summarize --run K --size B --sender F --receiver F --snap0 F --snap1 F --sha-ok 0|1
            --out JSONL   (snaps taken with --pid of signald count its CPU as ours)
        Prints one run's figures and appends them as one JSON line to --out.
  final --runs JSONL --size B   prints every run, the medians, the targets and a last JSON line.
"""
import argparse
import ctypes
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import threading
import time

TARGET_MBPS = 150.0        # MB/s (10^6 bytes/s)
TARGET_SETUP_MS = 100.0    # receiver start -> channel open
TARGET_RSS_KIB = 12 * 1024  # 12 MiB, each side

PR_SET_PDEATHSIG = 1


def now():
    return time.monotonic()  # CLOCK_MONOTONIC, shared by every process on the machine


# ----------------------------------------------------------------------------------- run

def read_status(pid):
    out = {}
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                k, _, v = line.partition(":")
                if k in ("VmHWM", "VmRSS", "RssAnon", "RssFile"):
                    out[k] = int(v.split()[0])
                elif k == "Cpus_allowed_list":
                    out[k] = v.strip()
    except OSError:
        pass
    return out


def last_cpu(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            s = f.read()
        return int(s[s.rindex(")") + 2:].split()[36])  # field 39: processor
    except (OSError, ValueError, IndexError):
        return None


def cmd_run(a):
    cmd = a.cmd[1:] if a.cmd and a.cmd[0] == "--" else a.cmd
    if not cmd:
        sys.exit("rtcpeer_probe run: no command")
    libc = ctypes.CDLL(None, use_errno=True)

    def child_setup():
        # Dies with the probe, even if the probe is SIGKILLed by the outer `timeout -k`.
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if a.cpu is not None:
            os.sched_setaffinity(0, {a.cpu})

    out = open(a.stdout, "wb", buffering=0)
    ev = open(a.events, "w", buffering=1)
    t_start = now()
    p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.PIPE,
                         preexec_fn=child_setup)
    pid = p.pid
    state = {"timed_out": False, "interrupted": False}
    samples = {"hwm": 0, "rss_max": 0, "anon_max": 0, "file_max": 0, "n": 0, "cpus_seen": {},
               "allowed": None}
    stop = threading.Event()

    def kill(sig):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            pass

    def escalate():
        kill(signal.SIGTERM)
        t = threading.Timer(3.0, kill, (signal.SIGKILL,))
        t.daemon = True
        t.start()

    def on_timeout():
        state["timed_out"] = True
        escalate()

    def on_signal(signum, _frame):
        state["interrupted"] = True
        escalate()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    timer = threading.Timer(a.timeout, on_timeout)
    timer.daemon = True
    timer.start()

    def sampler():
        while not stop.is_set():
            st = read_status(pid)
            if "VmHWM" in st:  # absent once the process is a zombie
                samples["hwm"] = max(samples["hwm"], st["VmHWM"])
                samples["rss_max"] = max(samples["rss_max"], st.get("VmRSS", 0))
                samples["anon_max"] = max(samples["anon_max"], st.get("RssAnon", 0))
                samples["file_max"] = max(samples["file_max"], st.get("RssFile", 0))
                samples["n"] += 1
                if samples["allowed"] is None:
                    samples["allowed"] = st.get("Cpus_allowed_list")
                c = last_cpu(pid)
                if c is not None:
                    samples["cpus_seen"][c] = samples["cpus_seen"].get(c, 0) + 1
            stop.wait(a.interval)

    th = threading.Thread(target=sampler, daemon=True)
    th.start()

    events = []
    for raw in iter(p.stderr.readline, b""):
        t = now()
        line = raw.decode("utf-8", "replace").rstrip("\n")
        rec = {"t": t, "line": line}
        if line.startswith("{"):
            try:
                obj = json.loads(line)
                if isinstance(obj, dict) and "event" in obj:
                    rec["ev"] = obj
            except ValueError:
                pass
        events.append(rec)
        ev.write(f"{t:.6f} {line}\n")  # raw, as it came, with its arrival time
    # stderr closed: wait for the exit without reaping, so the sampler never reads a
    # recycled pid; then stop it and reap with wait4 for the exact peak RSS.
    while True:
        try:
            os.waitid(os.P_PID, pid, os.WEXITED | os.WNOWAIT)
            break
        except InterruptedError:
            continue
    t_exit = now()
    stop.set()
    th.join()
    timer.cancel()
    _, status, ru = os.wait4(pid, 0)
    p.returncode = os.waitstatus_to_exitcode(status)
    rc = p.returncode
    report = {
        "name": a.name, "argv": cmd, "pid": pid, "cpu_pin": a.cpu,
        "t_start": t_start, "t_exit": t_exit, "wall_s": t_exit - t_start,
        "exit_code": rc if rc >= 0 else None, "signal": -rc if rc < 0 else None,
        "timed_out": state["timed_out"], "interrupted": state["interrupted"],
        "maxrss_kib": ru.ru_maxrss, "vmhwm_sampled_kib": samples["hwm"],
        "vmrss_sampled_max_kib": samples["rss_max"], "samples": samples["n"],
        "rssanon_sampled_max_kib": samples["anon_max"],
        "rssfile_sampled_max_kib": samples["file_max"],
        "utime_s": ru.ru_utime, "stime_s": ru.ru_stime,
        "cpus_allowed": samples["allowed"],
        "cpus_seen": {str(k): v for k, v in sorted(samples["cpus_seen"].items())},
        "events": [dict(r["ev"], t_ms=(r["t"] - t_start) * 1e3) for r in events if "ev" in r],
        "stderr_other": [r["line"] for r in events if "ev" not in r][-20:],
    }
    with open(a.report, "w") as f:
        json.dump(report, f)
    sys.exit(0 if rc == 0 else 1)


# ----------------------------------------------------------------------------------- snap

def cmd_snap(a):
    with open("/proc/stat") as f:
        cpu = f.readline().split()
    # user nice system steal: not irq/softirq (loopback packet work may be accounted there
    # rather than in any process) and not idle/iowait.
    busy = int(cpu[1]) + int(cpu[2]) + int(cpu[3]) + int(cpu[8])
    with open("/proc/loadavg") as f:
        la = f.read().split()[:3]
    snap = {"t": now(), "busy_jiffies": busy, "loadavg": [float(x) for x in la],
            "hz": os.sysconf("SC_CLK_TCK"), "ncpu": os.cpu_count()}
    # Every process and kernel thread but this one: pid -> [comm, utime + stime jiffies,
    # start time (tells a reused pid), kernel thread?].
    procs = {}
    me = str(os.getpid())
    for d in os.listdir("/proc"):
        if not d.isdigit() or d == me:
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                st = f.read()
            fl = st[st.rindex(")") + 2:].split()
            procs[d] = [st[st.index("(") + 1:st.rindex(")")], int(fl[11]) + int(fl[12]),
                        int(fl[19]), bool(int(fl[6]) & 0x00200000)]  # PF_KTHREAD
        except (OSError, ValueError, IndexError):
            pass
    snap["procs"] = procs
    if a.pid and str(a.pid) in procs:
        snap["pid_jiffies"] = procs[str(a.pid)][1]
    with open(a.out, "w") as f:
        json.dump(snap, f)


# ----------------------------------------------------------------------------------- wait

def cmd_wait(a):
    rx = re.compile(a.regex)
    deadline = now() + a.timeout
    while True:
        try:
            with open(a.file, errors="replace") as f:
                for line in f:
                    m = rx.search(line)
                    if m:
                        print(m.group(1) if m.groups() else m.group(0))
                        return 0
        except FileNotFoundError:
            pass
        if now() >= deadline:
            return 1
        if a.pid:
            try:
                os.kill(a.pid, 0)
            except ProcessLookupError:
                # exited: one last look, the line may have been written just before
                a.pid = None
                deadline = min(deadline, now())
                continue
        time.sleep(0.005)


# ------------------------------------------------------------------------------ summarize

def load(path):
    with open(path) as f:
        return json.load(f)


def first_event(rep, name):
    for e in rep.get("events", []):
        if e.get("event") == name:
            return e
    return None


def fmt(v, spec, dash="-"):
    return dash if v is None else format(v, spec)


def cmd_summarize(a):
    s = load(a.sender) if os.path.exists(a.sender) else {}
    r = load(a.receiver) if os.path.exists(a.receiver) else {}
    s0, s1 = load(a.snap0), load(a.snap1)
    row = {"run": a.run, "size_bytes": a.size, "loadavg_before": s0["loadavg"],
           "sha256_ok": bool(a.sha_ok), "got_file": bool(a.got_file)}
    for side, rep in (("sender", s), ("receiver", r)):
        summ = first_event(rep, "summary")
        done = first_event(rep, "done") or first_event(rep, "error")
        row[side] = {
            "exit_code": rep.get("exit_code"), "signal": rep.get("signal"),
            "timed_out": rep.get("timed_out"),
            "result": (done or {}).get("message"),
            "summary_bytes": (summ or {}).get("bytes"),
            "summary_seconds": (summ or {}).get("seconds"),
            "path": (summ or {}).get("path"),
            "maxrss_kib": rep.get("maxrss_kib"),
            "vmhwm_sampled_kib": rep.get("vmhwm_sampled_kib"),
            "rssanon_max_kib": rep.get("rssanon_sampled_max_kib"),
            "rssfile_max_kib": rep.get("rssfile_sampled_max_kib"),
            "cpu_s": (rep.get("utime_s", 0) + rep.get("stime_s", 0)) if rep else None,
            "utime_s": rep.get("utime_s"), "stime_s": rep.get("stime_s"),
            "cpus_allowed": rep.get("cpus_allowed"), "cpus_seen": rep.get("cpus_seen"),
            "wall_s": rep.get("wall_s"),
            "stderr_other": rep.get("stderr_other", []),
        }
    rs = row["receiver"]
    row["mbps_summary"] = (rs["summary_bytes"] / rs["summary_seconds"] / 1e6
                           if rs["summary_bytes"] and rs["summary_seconds"] else None)
    ss = row["sender"]
    row["mbps_summary_sender"] = (ss["summary_bytes"] / ss["summary_seconds"] / 1e6
                                  if ss["summary_bytes"] and ss["summary_seconds"] else None)
    row["wall_s"] = r.get("wall_s")
    row["mbps_wall"] = (a.size / r["wall_s"] / 1e6
                        if r.get("wall_s") and rs["summary_bytes"] == a.size else None)
    for name in ("joined", "connected", "authenticated"):
        e = first_event(r, name)
        row[f"recv_to_{name}_ms"] = e["t_ms"] if e else None
    # CPU of the machine during the run that was not ours: other people's jobs.
    hz = s0["hz"]
    dt = s1["t"] - s0["t"]
    # --our-cpu: CPU of every process the script started and reaped in the interval (the
    # rtcpeers, the probes, `timeout`), from bash's `times`; else just the two rtcpeers.
    peers = (ss["cpu_s"] or 0) + (rs["cpu_s"] or 0)
    ours = a.our_cpu if a.our_cpu is not None else peers
    row["harness_cpu_s"] = a.our_cpu - peers if a.our_cpu is not None else None
    if "pid_jiffies" in s0 and "pid_jiffies" in s1:  # signald
        ours += (s1["pid_jiffies"] - s0["pid_jiffies"]) / hz
    busy = (s1["busy_jiffies"] - s0["busy_jiffies"]) / hz
    row["interval_s"] = dt
    row["other_cpu_cores"] = max(0.0, (busy - ours) / dt) if dt > 0 else None
    # Who: processes alive at the second snapshot, less ours. Kernel threads apart: they do
    # work for everyone, ours included (ext4 writeback of the receiver's fsync, softirq).
    mine = {str(x) for x in a.mine}
    p0, p1 = s0.get("procs", {}), s1.get("procs", {})
    users, kthreads = {}, {}
    for pid, (comm, j1, start, kthread) in p1.items():
        if pid in mine:
            continue
        j0 = p0[pid][1] if pid in p0 and p0[pid][2] == start else 0
        if j1 > j0:
            d = users if not kthread else kthreads
            comm = re.sub(r"^(kworker)/.*?-", r"\1:", comm) if kthread else comm
            d[comm] = d.get(comm, 0) + (j1 - j0) / hz
    if dt > 0:
        row["other_user_cores"] = sum(users.values()) / dt
        row["kthread_cores"] = sum(kthreads.values()) / dt
        row["other_top"] = [(c, round(v / dt, 3)) for c, v in
                            sorted(users.items(), key=lambda x: -x[1])[:3]]
        row["kthread_top"] = [(c, round(v / dt, 3)) for c, v in
                              sorted(kthreads.items(), key=lambda x: -x[1])[:3]]
    row["ok"] = bool(a.sha_ok and ss["exit_code"] == 0 and rs["exit_code"] == 0
                     and rs["summary_bytes"] == a.size)
    print_row(row)
    with open(a.out, "a") as f:
        f.write(json.dumps(row) + "\n")


def cpus_text(side):
    if side.get("cpus_allowed") and "-" not in side["cpus_allowed"] and "," not in side["cpus_allowed"]:
        return f"pinned cpu {side['cpus_allowed']}"
    seen = side.get("cpus_seen") or {}
    tot = sum(seen.values()) or 1
    return "floating, seen on " + (", ".join(f"cpu{k} {100 * v / tot:.0f}%"
                                              for k, v in seen.items()) or "?")


def print_row(row):
    s, r = row["sender"], row["receiver"]
    la = " ".join(f"{x:.2f}" for x in row["loadavg_before"])
    def top(key):
        return (" (" + ", ".join(f"{c} {v:.2f}" for c, v in row.get(key) or []) + ")"
                if row.get(key) else "")
    print(f"run {row['run']}: {'OK' if row['ok'] else 'FAILED'}  (loadavg before: {la})")
    print(f"  machine during the run ({fmt(row['interval_s'], '.2f')} s): other user processes "
          f"{fmt(row.get('other_user_cores'), '.2f')} cores{top('other_top')}; kernel threads "
          f"{fmt(row.get('kthread_cores'), '.2f')} cores{top('kthread_top')}; all busy CPU not ours "
          f"{fmt(row['other_cpu_cores'], '.2f')} cores (counts short-lived processes the "
          f"lists miss); this harness used "
          f"{fmt(row.get('harness_cpu_s'), '.2f')} CPU-s")
    print(f"  throughput: {fmt(row['mbps_summary'], '.1f')} MB/s by the receiver's summary "
          f"({fmt(r['summary_seconds'], '.3f')} s), sender's summary "
          f"{fmt(row['mbps_summary_sender'], '.1f')} MB/s; "
          f"{fmt(row['mbps_wall'], '.1f')} MB/s wall-clock (receiver start -> exit "
          f"{fmt(row['wall_s'], '.3f')} s)")
    print(f"  setup: receiver start -> joined {fmt(row['recv_to_joined_ms'], '.1f')} ms, "
          f"-> connected {fmt(row['recv_to_connected_ms'], '.1f')} ms, "
          f"-> authenticated {fmt(row['recv_to_authenticated_ms'], '.1f')} ms")
    for name, side in (("sender", s), ("receiver", r)):
        if side["exit_code"] is None and side["signal"] is None:
            print(f"  {name:8s}: not started, or no report")
            continue
        print(f"  {name:8s}: peak RSS {fmt(side['maxrss_kib'], 'd')} KiB (wait4 ru_maxrss), "
              f"VmHWM sampled {fmt(side['vmhwm_sampled_kib'], 'd')} KiB (max RssAnon "
              f"{fmt(side['rssanon_max_kib'], 'd')}, RssFile {fmt(side['rssfile_max_kib'], 'd')});"
              f" CPU {fmt(side['cpu_s'], '.2f')} s (user {fmt(side['utime_s'], '.2f')}, sys "
              f"{fmt(side['stime_s'], '.2f')}); {cpus_text(side)}; exit "
              f"{side['exit_code'] if side['signal'] is None else 'signal %s' % side['signal']}"
              f"{' (TIMED OUT)' if side['timed_out'] else ''}; {side['result'] or 'no done/error event'}"
              f"; path {side['path'] or '-'}")
        if side["exit_code"] != 0:
            for line in side["stderr_other"][-5:]:
                print(f"      stderr: {line}")
    if row.get("got_file", True):
        print(f"  sha256 of the received file "
              f"{'matches' if row['sha256_ok'] else 'DOES NOT match'} the input")
    else:
        print("  no received file to compare with the input")
    sys.stdout.flush()


# ---------------------------------------------------------------------------------- final

def med(rows, key):
    vals = [key(r) for r in rows]
    vals = [v for v in vals if v is not None]
    return statistics.median(vals) if vals else None


def verdict(v, ok):
    return "-" if v is None else ("meets target" if ok(v) else "MISSES target")


def cmd_final(a):
    rows = []
    with open(a.runs) as f:
        for line in f:
            if line.strip():
                rows.append(json.loads(line))
    good = [r for r in rows if r["ok"]]
    m = {
        "mbps_summary": med(good, lambda r: r["mbps_summary"]),
        "mbps_summary_sender": med(good, lambda r: r["mbps_summary_sender"]),
        "mbps_wall": med(good, lambda r: r["mbps_wall"]),
        "summary_seconds": med(good, lambda r: r["receiver"]["summary_seconds"]),
        "wall_s": med(good, lambda r: r["wall_s"]),
        "recv_to_joined_ms": med(good, lambda r: r["recv_to_joined_ms"]),
        "recv_to_connected_ms": med(good, lambda r: r["recv_to_connected_ms"]),
        "recv_to_authenticated_ms": med(good, lambda r: r["recv_to_authenticated_ms"]),
        "sender_maxrss_kib": med(good, lambda r: r["sender"]["maxrss_kib"]),
        "receiver_maxrss_kib": med(good, lambda r: r["receiver"]["maxrss_kib"]),
        "sender_vmhwm_sampled_kib": med(good, lambda r: r["sender"]["vmhwm_sampled_kib"]),
        "receiver_vmhwm_sampled_kib": med(good, lambda r: r["receiver"]["vmhwm_sampled_kib"]),
        "sender_rssanon_max_kib": med(good, lambda r: r["sender"]["rssanon_max_kib"]),
        "receiver_rssanon_max_kib": med(good, lambda r: r["receiver"]["rssanon_max_kib"]),
        "sender_rssfile_max_kib": med(good, lambda r: r["sender"]["rssfile_max_kib"]),
        "receiver_rssfile_max_kib": med(good, lambda r: r["receiver"]["rssfile_max_kib"]),
        "sender_cpu_s": med(good, lambda r: r["sender"]["cpu_s"]),
        "receiver_cpu_s": med(good, lambda r: r["receiver"]["cpu_s"]),
        "other_cpu_cores": med(good, lambda r: r["other_cpu_cores"]),
        "other_user_cores": med(good, lambda r: r.get("other_user_cores")),
        "kthread_cores": med(good, lambda r: r.get("kthread_cores")),
        "loadavg1_before": med(rows, lambda r: r["loadavg_before"][0]),
    }
    # Peak RSS against the target: the worse of the two sides, worst run (a cap, not a typical).
    rss_max = max([max(r["sender"]["maxrss_kib"] or 0, r["receiver"]["maxrss_kib"] or 0)
                   for r in good] or [0]) or None
    print()
    print(f"=== rtcpeer: {len(good)} of {len(rows)} runs OK, {a.size} bytes each "
          f"({a.size / 2**20:.0f} MiB); medians over the OK runs")
    print(f"  throughput (receiver summary) {fmt(m['mbps_summary'], '8.1f')} MB/s   target >= "
          f"{TARGET_MBPS:.0f} MB/s   {verdict(m['mbps_summary'], lambda v: v >= TARGET_MBPS)}")
    print(f"  throughput (sender summary)   {fmt(m['mbps_summary_sender'], '8.1f')} MB/s")
    print(f"  throughput (wall, recv start->exit) {fmt(m['mbps_wall'], '.1f')} MB/s "
          f"({fmt(m['wall_s'], '.3f')} s)   "
          f"{verdict(m['mbps_wall'], lambda v: v >= TARGET_MBPS)}")
    print(f"  receiver start -> connected    {fmt(m['recv_to_connected_ms'], '8.1f')} ms     "
          f"target <= {TARGET_SETUP_MS:.0f} ms   "
          f"{verdict(m['recv_to_connected_ms'], lambda v: v <= TARGET_SETUP_MS)}")
    print(f"  receiver start -> authenticated {fmt(m['recv_to_authenticated_ms'], '7.1f')} ms     "
          f"target <= {TARGET_SETUP_MS:.0f} ms   "
          f"{verdict(m['recv_to_authenticated_ms'], lambda v: v <= TARGET_SETUP_MS)}")
    print(f"  sender peak RSS               {fmt(m['sender_maxrss_kib'], '8.0f')} KiB    "
          f"target <= {TARGET_RSS_KIB} KiB (12 MiB)   "
          f"{verdict(m['sender_maxrss_kib'], lambda v: v <= TARGET_RSS_KIB)}")
    print(f"  receiver peak RSS             {fmt(m['receiver_maxrss_kib'], '8.0f')} KiB    "
          f"target <= {TARGET_RSS_KIB} KiB (12 MiB)   "
          f"{verdict(m['receiver_maxrss_kib'], lambda v: v <= TARGET_RSS_KIB)}")
    print(f"  worst peak RSS of any side in any OK run: {fmt(rss_max, 'd')} KiB; of it "
          f"(sampled max) anonymous sender {fmt(m['sender_rssanon_max_kib'], '.0f')} / receiver "
          f"{fmt(m['receiver_rssanon_max_kib'], '.0f')} KiB, file-backed (libraries, mapped "
          f"files) {fmt(m['sender_rssfile_max_kib'], '.0f')} / "
          f"{fmt(m['receiver_rssfile_max_kib'], '.0f')} KiB")
    print(f"  CPU per transfer: sender {fmt(m['sender_cpu_s'], '.2f')} s, receiver "
          f"{fmt(m['receiver_cpu_s'], '.2f')} s; other user processes on the machine "
          f"{fmt(m['other_user_cores'], '.2f')} cores, kernel threads "
          f"{fmt(m['kthread_cores'], '.2f')} cores, all busy CPU not ours "
          f"{fmt(m['other_cpu_cores'], '.2f')} cores (medians); 1-min loadavg before the runs "
          f"{fmt(m['loadavg1_before'], '.2f')} (median) on {os.cpu_count()} CPUs")
    final = {
        "bench": "rtcpeer", "size_bytes": a.size, "runs": len(rows), "ok_runs": len(good),
        "sha256_all_ok": all(r["sha256_ok"] for r in rows) and bool(rows),
        "median": {k: (round(v, 3) if isinstance(v, float) else v) for k, v in m.items()},
        "worst_maxrss_kib": rss_max,
        "targets": {"mbps_min": TARGET_MBPS, "setup_ms_max": TARGET_SETUP_MS,
                    "rss_kib_max": TARGET_RSS_KIB},
        "meets": {
            "throughput": m["mbps_summary"] is not None and m["mbps_summary"] >= TARGET_MBPS,
            "setup_connected": m["recv_to_connected_ms"] is not None
            and m["recv_to_connected_ms"] <= TARGET_SETUP_MS,
            "setup_authenticated": m["recv_to_authenticated_ms"] is not None
            and m["recv_to_authenticated_ms"] <= TARGET_SETUP_MS,
            "rss": rss_max is not None and rss_max <= TARGET_RSS_KIB,
        },
        "failed_runs": [r["run"] for r in rows if not r["ok"]],
    }
    print(json.dumps(final, separators=(",", ":")))
    return 0 if good and len(good) == len(rows) else 1


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd_name", required=True)
    p = sub.add_parser("run")
    p.add_argument("--name", required=True)
    p.add_argument("--timeout", type=float, required=True)
    p.add_argument("--cpu", type=int)
    p.add_argument("--interval", type=float, default=0.01)
    p.add_argument("--stdout", required=True)
    p.add_argument("--events", required=True)
    p.add_argument("--report", required=True)
    p.add_argument("cmd", nargs=argparse.REMAINDER)
    p = sub.add_parser("snap")
    p.add_argument("--out", required=True)
    p.add_argument("--pid", type=int)
    p = sub.add_parser("wait")
    p.add_argument("--file", required=True)
    p.add_argument("--regex", required=True)
    p.add_argument("--timeout", type=float, required=True)
    p.add_argument("--pid", type=int)
    p = sub.add_parser("summarize")
    p.add_argument("--run", type=int, required=True)
    p.add_argument("--size", type=int, required=True)
    p.add_argument("--sender", required=True)
    p.add_argument("--receiver", required=True)
    p.add_argument("--snap0", required=True)
    p.add_argument("--snap1", required=True)
    p.add_argument("--sha-ok", type=int, required=True)
    p.add_argument("--our-cpu", type=float)
    p.add_argument("--got-file", type=int, default=1)
    p.add_argument("--mine", type=int, nargs="*", default=[],
                   help="pids to leave out of the list of other CPU users (the script, signald)")
    p.add_argument("--out", required=True)
    p = sub.add_parser("final")
    p.add_argument("--runs", required=True)
    p.add_argument("--size", type=int, required=True)
    a = ap.parse_args()
    if a.cmd_name == "run":
        cmd_run(a)
    elif a.cmd_name == "snap":
        cmd_snap(a)
    elif a.cmd_name == "wait":
        sys.exit(cmd_wait(a))
    elif a.cmd_name == "summarize":
        cmd_summarize(a)
    elif a.cmd_name == "final":
        sys.exit(cmd_final(a))


if __name__ == "__main__":
    main()
