#!/usr/bin/python3
"""rtcpeer send / recv striped over several SCTP associations ("lanes", proto/TRANSFER.md §12),
end to end over a real signald.

Run: /usr/bin/python3 tests/integration/test_rtcpeer_lanes.py BUILD/signald/signald [CASE ...]
(rtcpeer: BUILD/rtcpeer/rtcpeer or $RTCPEER)

The peers run on loopback, where rtcpeer uses one association; RTCPEER_LANES_ON_LOOPBACK=1
(rtcpeer(1), ENVIRONMENT) makes them use lanes there too. Cases: a 24 MiB file over 8 lanes
(sha256, the number of lanes in both summaries and final lines); several files, an empty one
among them, so that every control message travels striped too; the smaller of the two --lanes
wins; a side with --lanes 1 (either one) gets one association and the transfer still works;
without the variable, loopback uses one association; sides that disagree (the variable on one
side only) agree through their auth messages on one association.
"""

import os
import re
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from rtctest import (MiB, check, check_eq, event, info, listdir, random_file, rtc_test,  # noqa: E402
                     run_tests, sha256_file, write_file)

FORCE = {"RTCPEER_LANES_ON_LOOPBACK": "1"}


def transfer(env, files, out, send_lanes, recv_lanes, force=(True, True), timeout=90):
    """send FILES -> recv into out with the given --lanes on each side (None: the default);
    force: whether sender and receiver may use lanes on loopback."""
    def extra(n):
        return ["--lanes", str(n)] if n is not None else []
    s = env.send(files, extra=extra(send_lanes), **({"env": FORCE} if force[0] else {}))
    code = s.read_code()
    r = env.recv(code, out, extra=extra(recv_lanes), **({"env": FORCE} if force[1] else {}))
    r.expect_exit(0, timeout, "receiver")
    s.expect_exit(0, timeout, "sender")
    return s, r


def check_lanes(peer, want):
    """Both the summary event and the final line say how many lanes were used."""
    got = event(peer, "summary").get("lanes")
    check_eq(got, want, f"{peer.name} summary.lanes")
    line = [x for x in peer.stderr_lines() if re.search(r"\d+ bytes in .* s \(", x)]
    check(len(line) == 1, f"{peer.name}: expected one final line, got {line!r}")
    if want > 1:
        check(line[0].endswith(f", {want} lanes"), f"{peer.name}: final line {line[0]!r} does "
              f"not say '{want} lanes'")
    else:
        check("lanes" not in line[0], f"{peer.name}: final line {line[0]!r} mentions lanes")


def one_file(env, size, send_lanes, recv_lanes, want, force=(True, True), name="f.bin"):
    """One random file of `size` bytes; sha256 checked, and both sides report `want` lanes."""
    src, out = env.tmpdir("src"), env.tmpdir("out")
    path = os.path.join(src, name)
    digest = random_file(path, size)
    s, r = transfer(env, [path], out, send_lanes, recv_lanes, force)
    check_received(out, {name: digest})
    check_lanes(s, want)
    check_lanes(r, want)
    return s, r


def check_received(out, expected):
    check_eq(listdir(out), sorted(expected), f"files in {out}")
    for name, digest in expected.items():
        got = sha256_file(os.path.join(out, name))
        check(got == digest, f"{name}: sha256 {got} differs from the sent file's {digest}")


@rtc_test(timeout=120)
def big_file_over_eight_lanes(env):
    _, r = one_file(env, 24 * MiB + 12345, 8, 8, 8, name="big.bin")
    secs = event(r, "summary").get("seconds")
    info(f"24 MiB over 8 lanes in {secs:.2f}s{' [ASan build]' if env.asan else ''}")


@rtc_test(timeout=120)
def several_files_striped(env):
    src, out = env.tmpdir("src"), env.tmpdir("out")
    sizes = {"a.bin": 3 * MiB + 1, "empty": 0, "b.bin": 70000, "c.bin": 1}
    digests = {}
    for name, size in sizes.items():
        p = os.path.join(src, name)
        digests[name] = random_file(p, size) if size else sha256_file(write_file(p, b""))
    s, r = transfer(env, [os.path.join(src, n) for n in sizes], out, 4, None)
    check_received(out, digests)
    check_eq(event(r, "summary").get("files"), 4, "receiver summary.files")
    check_eq(event(s, "summary").get("files"), 4, "sender summary.files")
    check_lanes(s, 4)
    check_lanes(r, 4)


@rtc_test(timeout=90)
def smaller_count_wins(env):
    one_file(env, 4 * MiB, 6, 3, 3)


@rtc_test(timeout=90)
def sender_without_lanes(env):
    one_file(env, 6 * MiB, 1, 8, 1)


@rtc_test(timeout=90)
def receiver_without_lanes(env):
    one_file(env, 6 * MiB, 8, 1, 1)


@rtc_test(timeout=90)
def loopback_uses_one_association(env):
    one_file(env, 2 * MiB, 8, 8, 1, force=(False, False))


@rtc_test(timeout=90)
def sides_that_disagree_use_one_association(env):
    # Only the sender may use lanes on loopback, so the descriptions offer 8 lanes both ways but
    # the two sides would disagree; a server editing the attribute in one direction does the
    # same. The counts in the two auth messages (TRANSFER.md §12.1) settle it: no lanes, no
    # framing, and the transfer works.
    one_file(env, 3 * MiB, 8, 8, 1, force=(True, False))


if __name__ == "__main__":
    run_tests()
