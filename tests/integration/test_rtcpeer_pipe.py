#!/usr/bin/python3
"""rtcpeer pipe end to end: both directions at once, half-close (also on a socket that is stdin
and stdout at once), and a slow reader (bounded memory through backpressure).

Run: /usr/bin/python3 tests/integration/test_rtcpeer_pipe.py BUILD/signald/signald [CASE ...]
(rtcpeer: BUILD/rtcpeer/rtcpeer or $RTCPEER)

A is `rtcpeer pipe` without a code (it prints the code on stderr), B is `rtcpeer pipe CODE`.
"""

import hashlib
import os
import socket
import subprocess
import sys
import threading
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from rtctest import (EXIT_OK, MiB, RssSampler, check, check_eq, exit_str, fd_pos,  # noqa: E402
                     info, random_file, rtc_test, run_tests, sha256_file)

RSS_BOUND_KIB = 48 * 1024          # normal build
RSS_GROWTH_BOUND_KIB_ASAN = 32 * 1024  # ASan (quarantine kept at 4 MiB): bound the growth


def check_exits(*peers):
    bad = [f"{p.name} (`{p.argv_str}`): expected exit {exit_str(EXIT_OK)}, got "
           f"{exit_str(p.returncode)}; stderr:\n{p.stderr_tail(8)}"
           for p in peers if p.returncode != EXIT_OK]
    check(not bad, "\n".join(bad))


def start_pair(env, a_kw, b_kw, extra=()):
    a = env.pipe(None, extra=extra, **a_kw)
    code = a.read_pipe_code()
    b = env.pipe(code, extra=extra, **b_kw)
    return a, b


@rtc_test(timeout=120)
def both_directions_20mib(env):
    d = env.tmpdir("io")
    size = 20 * MiB
    a_in, b_in = os.path.join(d, "a.in"), os.path.join(d, "b.in")
    a_out, b_out = os.path.join(d, "a.out"), os.path.join(d, "b.out")
    da = random_file(a_in, size)
    db = random_file(b_in, size + 12345)   # different sizes: a swapped direction shows
    with open(a_in, "rb") as ai, open(b_in, "rb") as bi, open(a_out, "wb") as ao, \
            open(b_out, "wb") as bo:
        a, b = start_pair(env, dict(stdin=ai, stdout=ao), dict(stdin=bi, stdout=bo))
    t0 = time.monotonic()
    a.wait(90)
    b.wait(90)
    dt = time.monotonic() - t0
    # Data first (the more telling failure), then the exit statuses.
    check_eq(os.path.getsize(b_out), size, "bytes B wrote (A's stdin)")
    check_eq(os.path.getsize(a_out), size + 12345, "bytes A wrote (B's stdin)")
    check(sha256_file(b_out) == da, "B's stdout differs from A's stdin")
    check(sha256_file(a_out) == db, "A's stdout differs from B's stdin")
    check_exits(a, b)
    for p in (a, b):
        names = p.event_names()
        for ev in ("joined", "connected", "authenticated", "ready"):
            check(ev in names, f"{p.name}: no {ev!r} event: {names}")
    info(f"2 x 20 MiB in {dt:.2f}s ({2 * size / dt / 1e6:.1f} MB/s both ways together)")


@rtc_test(timeout=90)
def half_close(env):
    """A's stdin ends at once; B keeps sending 1 MiB and keeps its stdin open. A must still get
    all of it; B's stdout must see EOF (A's end) while B is still running; then B's stdin
    closes and both exit 0."""
    payload = os.urandom(1 * MiB)
    a, b = start_pair(env, dict(stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, binary_stdout=True),
                      dict(stdin=subprocess.PIPE, stdout=subprocess.PIPE, binary_stdout=True))
    werr = []

    def writer():
        try:
            b.proc.stdin.write(payload)
            b.proc.stdin.flush()
        except (OSError, ValueError) as e:
            werr.append(repr(e))

    w = threading.Thread(target=writer, daemon=True)
    w.start()
    # A gets B's 1 MiB although A's own input ended long ago.
    got = a.wait_stdout_bytes(len(payload), 30)
    check_eq(got, len(payload), "bytes on A's stdout before B's EOF")
    w.join(10)
    check(not w.is_alive() and not werr, f"writing B's stdin: {werr or 'still blocked'}")
    # B's stdout has ended (A's eof), with 0 bytes, while B still runs (its stdin is open).
    b.wait_stdout_eof(15)
    check(b.running(), f"B exited although its stdin is still open: {b.describe()}; stderr:\n"
          f"{b.stderr_tail()}")
    check_eq(len(b.stdout_bytes()), 0, "bytes on B's stdout")
    check(a.running(), f"A exited before B's input ended: {a.describe()}; stderr:\n{a.stderr_tail()}")
    check(a.out_eof_at is None, "A's stdout ended before B's input did")
    # Now B's direction ends too.
    b.proc.stdin.close()
    b.wait(20)
    a.wait(20)
    a.wait_stdout_eof(5)
    check(a.stdout_bytes() == payload, f"A's stdout ({len(a.stdout_bytes())} bytes) differs from "
          f"what B read ({len(payload)} bytes)")
    check_exits(a, b)


def read_to_eof(sock, timeout):
    """Everything sock receives until EOF; fails if EOF does not come within timeout."""
    sock.settimeout(timeout)
    data = b""
    try:
        while True:
            b = sock.recv(65536)
            if not b:
                return data
            data += b
    except socket.timeout:
        check(False, f"no EOF on the socket within {timeout}s ({len(data)} bytes: {data[:40]!r})")


@rtc_test(timeout=60)
def half_close_socket_stdio(env):
    """B's stdin and stdout are one socket (socat EXEC:, inetd, systemd Accept=yes). When A's
    input ends, B's end of the socket must send FIN: replacing fd 1 alone leaves the socket
    open through fd 0. The other direction goes on until our side shuts down its writing."""
    ours, theirs = socket.socketpair()
    a = env.pipe(None, stdin=subprocess.PIPE, stdout=subprocess.PIPE, binary_stdout=True)
    code = a.read_pipe_code()
    b = env.pipe(code, stdin=theirs, stdout=theirs)
    theirs.close()
    ours.sendall(b"from B\n")
    a.proc.stdin.write(b"from A\n")
    a.proc.stdin.close()
    check_eq(read_to_eof(ours, 15), b"from A\n", "what B wrote to its socket before EOF")
    check(b.running(), f"B exited although its stdin is open: {b.describe()}")
    a.wait_stdout_bytes(7, 15)
    ours.shutdown(socket.SHUT_WR)
    b.expect_exit(EXIT_OK, 20, "B after its socket's input ended")
    a.expect_exit(EXIT_OK, 20, "A")
    a.wait_stdout_eof(5)
    check_eq(a.stdout_bytes(), b"from B\n", "A's stdout")
    ours.close()


@rtc_test(timeout=150)
def slow_reader_bounded_memory(env):
    """A sends 64 MiB from a file; B's stdout is read 64 KiB every 10 ms (~6 MB/s). Back-
    pressure must hold A's input back: A's (and B's) VmRSS stay bounded, the bytes read from A's
    stdin stay close to the bytes consumed, and everything arrives intact."""
    d = env.tmpdir("io")
    size = 64 * MiB
    a_in = os.path.join(d, "a.in")
    digest = random_file(a_in, size)
    with open(a_in, "rb") as ai:
        qenv = env.small_quarantine_env()
        a, b = start_pair(env, dict(stdin=ai, stdout=subprocess.DEVNULL, env=qenv),
                          dict(stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, drain_stdout=False,
                               env=qenv))
    state = {"n": 0, "max_inflight": 0, "eof": False, "err": None}
    h = hashlib.sha256()
    deadline = time.monotonic() + 110

    def reader():
        fd = b.proc.stdout.fileno()
        try:
            while time.monotonic() < deadline:
                chunk = os.read(fd, 64 * 1024)
                if not chunk:
                    state["eof"] = True
                    return
                h.update(chunk)
                state["n"] += len(chunk)
                pos = fd_pos(a.pid, 0)
                if pos is not None:
                    state["max_inflight"] = max(state["max_inflight"], pos - state["n"])
                time.sleep(0.01)
        except OSError as e:
            state["err"] = repr(e)

    # Wait until both sides are authenticated, so the baseline RSS includes the whole stack.
    a.wait_event("ready", 30)
    t = threading.Thread(target=reader, daemon=True)
    with RssSampler([a.pid, b.pid], interval=0.02) as rs:
        t.start()
        t.join(120)
        a.wait(30)
        b.wait(30)
    pa, pb = rs.peak[a.pid], rs.peak[b.pid]
    info(f"VmRSS peak A {pa / 1024:.1f} MiB, B {pb / 1024:.1f} MiB (first samples A "
         f"{(rs.first[a.pid] or 0) / 1024:.1f}, B {(rs.first[b.pid] or 0) / 1024:.1f} MiB; "
         f"{rs.samples} samples); max bytes read by A but not yet consumed: "
         f"{state['max_inflight'] / MiB:.1f} MiB; B's stdout delivered {state['n']} of {size} "
         f"bytes{' [ASan build]' if env.asan else ''}")
    problems = []
    if t.is_alive():
        problems.append(f"the slow reader did not finish: {state['n']} of {size} bytes read")
    if state["err"] is not None:
        problems.append(f"reading B's stdout: {state['err']}")
    if not state["eof"]:
        problems.append(f"B's stdout did not end; {state['n']} bytes read")
    if state["n"] != size or h.hexdigest() != digest:
        problems.append(f"B's stdout: {state['n']} bytes (want {size}), sha256 "
                        f"{'matches' if h.hexdigest() == digest else 'differs'}")
    for p in (a, b):
        if p.returncode != EXIT_OK:
            problems.append(f"{p.name}: expected exit {exit_str(EXIT_OK)}, got "
                            f"{exit_str(p.returncode)}; stderr:\n{p.stderr_tail(4)}")
    if rs.samples <= 10:
        problems.append(f"too few RSS samples ({rs.samples})")
    if state["max_inflight"] >= 32 * MiB:
        problems.append(f"A read {state['max_inflight'] / MiB:.1f} MiB of stdin ahead of the slow "
                        f"reader: no backpressure")
    for pid, name in ((a.pid, "A"), (b.pid, "B")):
        if env.asan:
            grow = rs.peak[pid] - (rs.first[pid] or rs.peak[pid])
            if grow >= RSS_GROWTH_BOUND_KIB_ASAN:
                problems.append(f"{name}'s VmRSS grew by {grow / 1024:.1f} MiB (ASan bound "
                                f"{RSS_GROWTH_BOUND_KIB_ASAN / 1024:.0f} MiB)")
        elif rs.peak[pid] >= RSS_BOUND_KIB:
            problems.append(f"{name}'s VmRSS peaked at {rs.peak[pid] / 1024:.1f} MiB (bound "
                            f"{RSS_BOUND_KIB / 1024:.0f} MiB)")
    check(not problems, "\n".join(problems))


if __name__ == "__main__":
    run_tests()
