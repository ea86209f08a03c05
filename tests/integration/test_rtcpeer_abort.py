#!/usr/bin/python3
"""rtcpeer when the other side disappears in the middle of a transfer.

Run: /usr/bin/python3 tests/integration/test_rtcpeer_abort.py BUILD/signald/signald [CASE ...]
(rtcpeer: BUILD/rtcpeer/rtcpeer or $RTCPEER)

The file sent is a large sparse file (cheap to create and read), so the transfer is surely still
running when a side is killed. "Mid-transfer" is established, not guessed: both sides reported
`authenticated`, and the receiver has written at least KILL_AFTER bytes (its /proc/PID/io wchar).
Expected: the survivor exits 7 (the peer aborted or went away) with a message; a sender whose
receiver died notices within 10 s (it is sending: SCTP retransmissions give up), a receiver
whose sender died within 20 s (it only listens: consent expires after 15 s without a DTLS
record from the peer, rtcpeer/consent.h); a receiver leaves
neither the final file nor a `.rtcpeer-*` temporary file. A pipe whose reader goes early
(`| head -c5`) ends with exit 8 there, and the other side hears why.
"""

import os
import signal
import subprocess
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from rtctest import (EXIT_INTERRUPTED, EXIT_IO, EXIT_OK, EXIT_PEER, MiB, check,  # noqa: E402
                     check_eq, exit_str, info, listdir, proc_io, rtc_test, run_tests, sparse_file,
                     temp_leftovers)

BIG = 4 * 1024 * MiB   # 4 GiB of zeros (sparse): minutes at loopback speed
KILL_AFTER = 8 * MiB   # receiver has written this much before the kill
NOTICE = 10.0          # a sending survivor must exit within this many seconds
NOTICE_IDLE = 20.0     # a survivor that only receives (nothing of its own to retransmit)


def wchar(pid):
    io = proc_io(pid)
    return io.get("wchar", 0) if io else 0


def start_transfer(env):
    src = env.tmpdir("src")
    out = env.tmpdir("out")
    f = sparse_file(os.path.join(src, "huge.img"), BIG)
    s = env.send([f])
    code = s.read_code()
    r = env.recv(code, out)
    s.wait_event("authenticated", 30)
    r.wait_event("authenticated", 30)
    r.wait_until(lambda: wchar(r.pid) >= KILL_AFTER, 30, f"written {KILL_AFTER} bytes")
    check(s.running(), f"the sender already exited: {s.describe()}")
    return s, r, out


def check_survivor(p, t_kill, want=EXIT_PEER, notice=NOTICE):
    rc = p.wait(notice + 20)   # bounded; the time check below is the assertion
    dt = (p.exited_at or time.monotonic()) - t_kill
    problems = []
    if rc != want:
        problems.append(f"{p.name}: expected exit {exit_str(want)}, got {exit_str(rc)}")
    if dt > notice:
        problems.append(f"{p.name}: took {dt:.1f}s to notice (bound {notice:.0f}s)")
    msgs = [l for l in p.stderr_lines() if l.startswith("rtcpeer: ")]
    if not msgs:
        problems.append(f"{p.name}: no 'rtcpeer: ...' message")
    ev = [e for e in p.events() if e.get("event") == "error"]
    if not ev or ev[-1].get("code") != want:
        problems.append(f"{p.name}: no --json error event with code {want}: {p.events()[-3:]}")
    info(f"{p.name} exited {exit_str(rc)} {dt:.2f}s after the kill: {msgs[-1] if msgs else '-'}")
    if problems:
        check(False, "\n".join(problems) + f"; stderr:\n{p.stderr_tail()}")


@rtc_test(timeout=90)
def receiver_killed_mid_transfer(env):
    s, r, out = start_transfer(env)
    t_kill = time.monotonic()
    r.signal(signal.SIGKILL)
    r.wait(10)
    check_survivor(s, t_kill)
    # A SIGKILLed receiver cannot clean up; with O_TMPFILE nothing is left to clean.
    check_eq(listdir(out), [], "the killed receiver's output directory")


@rtc_test(timeout=90)
def sender_killed_mid_transfer(env):
    s, r, out = start_transfer(env)
    t_kill = time.monotonic()
    s.signal(signal.SIGKILL)
    s.wait(10)
    check_survivor(r, t_kill, notice=NOTICE_IDLE)
    check_eq(temp_leftovers(out), [], "temporary files in the output directory")
    check_eq(listdir(out), [], "output directory (no partial file under the final name)")


@rtc_test(timeout=90)
def receiver_interrupted_mid_transfer(env):
    """SIGINT is the user's Ctrl-C: the receiver stops at once and cleans up, the sender
    learns that the peer went away."""
    s, r, out = start_transfer(env)
    t_kill = time.monotonic()
    r.signal(signal.SIGINT)
    rc = r.wait(NOTICE)
    check(rc not in (EXIT_OK, None) and rc > 0,
          f"receiver after SIGINT: expected a non-zero exit status, got {exit_str(rc)}")
    info(f"receiver exited {exit_str(rc)} after SIGINT")
    check_eq(listdir(out), [], "output directory after an interrupted receive")
    check_survivor(s, t_kill)


@rtc_test(timeout=90)
def receiver_hung_up_mid_transfer(env):
    """SIGHUP (the terminal or ssh connection went away) ends the receiver like SIGTERM: exit
    130, its temporary file gone, and the sender told why."""
    s, r, out = start_transfer(env)
    t_kill = time.monotonic()
    r.signal(signal.SIGHUP)
    r.expect_exit(EXIT_INTERRUPTED, NOTICE, "receiver after SIGHUP")
    check_eq(listdir(out), [], "output directory after a hung-up receive")
    check_survivor(s, t_kill)
    check("rtcpeer: the receiver aborted: interrupted" in s.stderr_lines(),
          f"the sender was not told; stderr:\n{s.stderr_tail()}")


@rtc_test(timeout=90)
def sender_interrupted_mid_transfer(env):
    s, r, out = start_transfer(env)
    t_kill = time.monotonic()
    s.signal(signal.SIGTERM)
    rc = s.wait(NOTICE)
    check(rc not in (EXIT_OK, None) and rc > 0,
          f"sender after SIGTERM: expected a non-zero exit status, got {exit_str(rc)}")
    info(f"sender exited {exit_str(rc)} after SIGTERM")
    check_survivor(r, t_kill)
    check_eq(listdir(out), [], "output directory after the sender was interrupted")


@rtc_test(timeout=90)
def pipe_peer_killed(env):
    """A pipes /dev/zero (endless) to B; B is killed: A exits 7 within the bound."""
    with open("/dev/zero", "rb") as zero:
        a = env.pipe(None, stdin=zero, stdout=subprocess.DEVNULL)
        code = a.read_pipe_code()
        b = env.pipe(code, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
    a.wait_event("ready", 30)
    b.wait_until(lambda: wchar(b.pid) >= KILL_AFTER, 30, f"written {KILL_AFTER} bytes")
    t_kill = time.monotonic()
    b.signal(signal.SIGKILL)
    b.wait(10)
    check_survivor(a, t_kill)


@rtc_test(timeout=60)
def pipe_reader_closed_early(env):
    """`rtcpeer pipe CODE | head -c5`: B's reader takes 5 bytes and goes. B cannot write
    (EPIPE; SIGPIPE is ignored) and exits 8, telling A why; A reports B's abort, not a
    vanished peer."""
    with open("/dev/zero", "rb") as zero:
        a = env.pipe(None, stdin=zero, stdout=subprocess.DEVNULL)
        code = a.read_pipe_code()
        b = env.pipe(code, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, drain_stdout=False)
    got = os.read(b.proc.stdout.fileno(), 5)   # blocks until A's zeros arrive
    check_eq(got, b"\0" * len(got), "B's first bytes")
    b.proc.stdout.close()
    expect_local_io_abort(a, b, "writing stdout: Broken pipe", "the other side's output was closed")


def expect_local_io_abort(a, b, b_says, reason):
    """B failed on its own stdin or stdout: it exits 8 saying b_says, and A exits 7 reporting
    B's abort with `reason`, not a vanished peer."""
    b.expect_exit(EXIT_IO, 20, "B, after its local I/O error")
    check(f"rtcpeer: {b_says}" in b.stderr_lines(), f"B did not say why; stderr:\n{b.stderr_tail()}")
    a.expect_exit(EXIT_PEER, 20, "A, whose peer had a local I/O error")
    check(f"rtcpeer: the peer aborted: {reason}" in a.stderr_lines(),
          f"A did not report B's abort; stderr:\n{a.stderr_tail()}")


@rtc_test(timeout=60)
def pipe_stdin_unreadable(env):
    """B's stdin is a directory: every read fails (EISDIR). B exits 8 saying so and tells A,
    which reports B's abort rather than a vanished peer."""
    a = env.pipe(None, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
    code = a.read_pipe_code()
    fd = os.open(env.tmpdir("stdin"), os.O_RDONLY | os.O_DIRECTORY)
    try:
        b = env.pipe(code, stdin=fd, stdout=subprocess.DEVNULL)
    finally:
        os.close(fd)
    expect_local_io_abort(a, b, "reading stdin: Is a directory", "the other side cannot read its input")


if __name__ == "__main__":
    run_tests()
