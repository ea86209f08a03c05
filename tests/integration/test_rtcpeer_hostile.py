#!/usr/bin/python3
"""rtcpeer against hostile parties: a signaling server that tampers with the DTLS fingerprints
(a WebSocket relay in front of signald), a peer that holds the room but not the secret, and
local files whose names must never be offered.

Run: /usr/bin/python3 tests/integration/test_rtcpeer_hostile.py BUILD/signald/signald [CASE ...]
(rtcpeer: BUILD/rtcpeer/rtcpeer or $RTCPEER)

Expected (proto/TRANSFER.md §4, rtcpeer(1) exit codes): a swapped fingerprint makes both sides
exit 5 (authentication failed) and nothing is written; the wrong secret likewise; a file whose
name would be refused makes `rtcpeer send` exit 8 before it prints a code.
"""

import json
import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from rtctest import (EXIT_AUTH, EXIT_IO, EXIT_OK, EXIT_SIGNALING, check, check_eq, exit_str, info, listdir,  # noqa: E402
                     random_file, rtc_test, run_tests, sha256_file, temp_leftovers, write_file)

WAIT = 40  # --timeout is 20 s: a side that never notices gives up (exit 4) before this


def run_pair_through(env, relay, out, payload_size=200000):
    src = env.tmpdir("src")
    f = os.path.join(src, "secret-plans.bin")
    digest = random_file(f, payload_size)
    s = env.send([f], server=relay.url)
    code = s.read_code()
    r = env.recv(code, out, server=relay.url)
    return s, r, digest


def last_msg(p):
    m = [l for l in p.stderr_lines() if l.startswith("rtcpeer: ")]
    return m[-1] if m else "-"


def check_auth_failure(env, s, r, out, relay=None):
    rc_r = r.wait(WAIT)
    rc_s = s.wait(WAIT)
    info(f"receiver {exit_str(rc_r)} [{last_msg(r)}], sender {exit_str(rc_s)} [{last_msg(s)}]")
    if relay:
        c = relay.snapshot()
        info("relay: " + ", ".join(f"{k}={v}" for k, v in sorted(c.items())
                                   if k.startswith(("tampered", "c2s:offer", "c2s:answer"))))
    problems = []
    for p, rc in ((r, rc_r), (s, rc_s)):
        if rc != EXIT_AUTH:
            problems.append(f"{p.name}: expected exit {exit_str(EXIT_AUTH)}, got {exit_str(rc)}; "
                            f"stderr:\n{p.stderr_tail()}")
        elif not any(l.startswith("rtcpeer: ") and ("authenticat" in l or "fingerprint" in l)
                     for l in p.stderr_lines()):
            problems.append(f"{p.name}: exit 5 without a message about authentication; stderr:\n"
                            f"{p.stderr_tail()}")
        if "authenticated" in p.event_names():
            problems.append(f"{p.name}: reported an 'authenticated' event: {p.event_names()}")
        if "summary" in p.event_names():
            problems.append(f"{p.name}: reported a transfer summary: {p.events()}")
    check_eq(listdir(out), [], "output directory after a failed authentication")
    if problems:
        check(False, "\n".join(problems))


@rtc_test(timeout=60)
def relay_without_tampering_works(env):
    """Control: the relay itself is a faithful proxy, so failures below come from tampering."""
    relay = env.tampering_relay(tamper=())
    out = env.tmpdir("out")
    s, r, digest = run_pair_through(env, relay, out)
    r.expect_exit(EXIT_OK, WAIT, "receiver via the faithful relay")
    s.expect_exit(EXIT_OK, WAIT, "sender via the faithful relay")
    check_eq(listdir(out), ["secret-plans.bin"], "output directory")
    check_eq(sha256_file(os.path.join(out, "secret-plans.bin")), digest, "sha256")
    c = relay.snapshot()
    check(c.get("c2s:offer", 0) == 1 and c.get("c2s:answer", 0) == 1,
          f"the relay should have seen one offer and one answer: {c}")
    check(not any(k.startswith("tampered:") for k in c), f"tampered though told not to: {c}")


@rtc_test(timeout=60)
def server_error_text_cannot_drive_the_terminal(env):
    """A hostile server answers the join with an error full of terminal escapes: rtcpeer
    exits as refused by the server and prints the text quoted, never the raw bytes."""
    evil = {"type": "error", "code": "no\u001b[2J", "message": "bad \u001b]0;owned\u0007\u009b31m luck"}

    def refuse_joins(text):
        return json.dumps(evil) if json.loads(text).get("type") == "joined" else text

    relay = env.tampering_relay(tamper=(), s2c=refuse_joins)
    f = os.path.join(env.tmpdir("src"), "x.bin")
    random_file(f, 10)
    s = env.send([f], server=relay.url)
    s.expect_exit(EXIT_SIGNALING, WAIT, "sender answered by a hostile server")
    err = "\n".join(s.stderr_lines())
    check(not any(c in err for c in ("\x1b", "\x07", "\x9b")), f"raw control bytes on stderr: {err!r}")
    check("rtcpeer: the signaling server refused: no\\x1b[2J (bad \\x1b]0;owned\\x07\\xc2\\x9b31m luck)"
          in err, f"the refusal is not shown quoted: {err!r}")


@rtc_test(timeout=90)
def extra_fingerprint_lines_are_ignored(env):
    """The server adds a sha-512 line (for its own certificate, say) beside each description's
    sha-256 one. rtcpeer's DTLS checks the sha-256 line alone, so the lines change nothing: the
    transfer goes through with the peers' own certificates (as with aiortc, which sends several
    lines for one certificate), and a server cannot use them to get in (TRANSFER.md §4.1)."""
    extra = "a=fingerprint:sha-512 " + ":".join(["ab"] * 64)

    def add_fingerprint(text):
        m = json.loads(text)
        if m.get("type") not in ("offer", "answer"):
            return text
        lines = m["sdp"].split("\r\n")
        at = next(i for i, l in enumerate(lines) if l.startswith("a=fingerprint:sha-256"))
        m["sdp"] = "\r\n".join(lines[:at + 1] + [extra] + lines[at + 1:])
        return json.dumps(m)

    relay = env.tampering_relay(tamper=(), s2c=add_fingerprint)
    out = env.tmpdir("out")
    s, r, digest = run_pair_through(env, relay, out)
    r.expect_exit(EXIT_OK, WAIT, "receiver, descriptions with an extra sha-512 line")
    s.expect_exit(EXIT_OK, WAIT, "sender, descriptions with an extra sha-512 line")
    check_eq(sha256_file(os.path.join(out, "secret-plans.bin")), digest, "sha256")


@rtc_test(timeout=90)
def fingerprint_tampered_both_ways(env):
    relay = env.tampering_relay(tamper=("offer", "answer"))
    out = env.tmpdir("out")
    s, r, _ = run_pair_through(env, relay, out)
    check_auth_failure(env, s, r, out, relay)
    c = relay.snapshot()
    check(c.get("tampered:offer") == 1 and c.get("tampered:answer") == 1,
          f"the relay did not tamper with both descriptions: {c}")


@rtc_test(timeout=90)
def fingerprint_tampered_in_offer(env):
    """Only the offerer's fingerprint is swapped on its way to the answerer. (Usually the
    receiver offers, but whoever joins the room second does: rtcpeer send prints its code
    before it has joined, so a quick receiver may join first.)"""
    relay = env.tampering_relay(tamper=("offer",))
    out = env.tmpdir("out")
    s, r, _ = run_pair_through(env, relay, out)
    check_auth_failure(env, s, r, out, relay)
    check_eq(relay.snapshot().get("tampered:offer"), 1, "offers tampered")


@rtc_test(timeout=90)
def fingerprint_tampered_in_answer(env):
    """Only the answerer's fingerprint is swapped on its way to the offerer."""
    relay = env.tampering_relay(tamper=("answer",))
    out = env.tmpdir("out")
    s, r, _ = run_pair_through(env, relay, out)
    check_auth_failure(env, s, r, out, relay)
    check_eq(relay.snapshot().get("tampered:answer"), 1, "answers tampered")


@rtc_test(timeout=90)
def wrong_secret(env):
    """A peer that knows the room id (as the server does) but not the secret."""
    src = env.tmpdir("src")
    out = env.tmpdir("out")
    f = os.path.join(src, "x.bin")
    random_file(f, 1000)
    s = env.send([f])
    code = s.read_code()
    room, secret = code.split("-")
    other = "a" * 25 + ("e" if secret[-1] != "e" else "i")  # well-formed, different secret
    check(other != secret, "test bug: same secret")
    r = env.recv(f"{room}-{other}", out)
    check_auth_failure(env, s, r, out)


# Names that `rtcpeer send` must refuse before printing a code (TRANSFER.md §5.5, §8).
BAD_NAMES = [
    ("a\nb", "a newline"),
    ("\x1b[2J", "an escape sequence"),
    ("tab\there", "a tab"),
    ("del\x7f", "DEL"),
    ("c1\u0085x", "a C1 control (U+0085)"),
    ("x\\y", "a backslash"),
    (os.fsdecode(b"bad\xffutf8"), "invalid UTF-8"),
    (os.fsdecode(b"over\xc0\xaflong"), "an overlong UTF-8 form"),
    (os.fsdecode(b"surr\xed\xa0\x80"), "a UTF-8 surrogate"),
]


@rtc_test(timeout=60)
def sender_refuses_bad_local_names(env):
    src = env.tmpdir("src")
    good = write_file(os.path.join(src, "good.txt"), b"fine\n")
    problems = []
    for name, what in BAD_NAMES:
        path = write_file(os.path.join(src, name), b"payload\n")
        for files, how in (([path], "alone"), ([good, path], "after a good file")):
            s = env.send(files, name=f"send[{what}, {how}]")
            rc = s.wait(10)
            out = s.stdout_text()
            if rc != EXIT_IO:
                problems.append(f"{s.name}: expected exit {exit_str(EXIT_IO)}, got {exit_str(rc)}; "
                                f"stderr:\n{s.stderr_tail()}")
            if out != "":
                problems.append(f"{s.name}: printed on stdout (no code may be printed): {out!r}")
            if "cannot be sent" not in s.stderr_text():
                problems.append(f"{s.name}: no message that the name cannot be sent; stderr:\n"
                                f"{s.stderr_tail()}")
    # Not a regular file / missing: also refused before the code.
    os.mkdir(os.path.join(src, "adir"))
    for path, what in ((os.path.join(src, "adir"), "a directory"),
                       (os.path.join(src, "missing"), "a missing file"),
                       ("/dev/null", "a character device")):
        s = env.send([good, path], name=f"send[{what}]")
        rc = s.wait(10)
        if rc != EXIT_IO or s.stdout_text() != "":
            problems.append(f"{s.name}: expected exit 8 and no code, got {exit_str(rc)}, stdout "
                            f"{s.stdout_text()!r}; stderr:\n{s.stderr_tail()}")
    check(not problems, "\n".join(problems))


def raw_controls(text):
    """C0 (but the line feeds that end lines), DEL and C1 characters in text."""
    return sorted({f"U+{ord(c):04X}" for c in text
                   if (ord(c) < 0x20 and c != "\n") or 0x7F <= ord(c) <= 0x9F})


@rtc_test(timeout=60)
def bad_local_name_message_is_safe(env):
    """The refusal names the file without writing its control characters to the terminal
    (TRANSFER.md §11: show names quoted): one line, no raw ESC/C0/C1/DEL."""
    src = env.tmpdir("src")
    problems = []
    for name, what in BAD_NAMES:
        if not any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F for c in name):
            continue
        path = write_file(os.path.join(src, name), b"payload\n")
        s = env.send([path], name=f"send[{what}]")
        s.wait(10)
        err = s.stderr_text()
        bad = raw_controls(err)
        lines = [l for l in s.stderr_lines() if l.strip()]
        if bad or len(lines) != 1:
            problems.append(f"{s.name}: stderr has raw control characters {bad} / {len(lines)} "
                            f"lines: {err!r}")
    check(not problems, "\n".join(problems))


@rtc_test(timeout=60)
def sender_offers_names_receiver_accepts(env):
    """Control for the above: borderline names that are fine (TRANSFER.md §8) are sent."""
    src = env.tmpdir("src")
    out = env.tmpdir("out")
    names = [".hidden", "...", "CON", "trailing ", "\u202eevil.txt", "n" * 255]
    digests = {n: random_file(os.path.join(src, n), 100 + i) for i, n in enumerate(names)}
    s = env.send([os.path.join(src, n) for n in names])
    code = s.read_code()
    r = env.recv(code, out)
    r.expect_exit(EXIT_OK, WAIT, "receiver")
    s.expect_exit(EXIT_OK, WAIT, "sender")
    check_eq(listdir(out), sorted(names), "output directory")
    for n, d in digests.items():
        check_eq(sha256_file(os.path.join(out, n)), d, f"sha256 of {n!r}")
    check_eq(temp_leftovers(out), [], "temporary files")


if __name__ == "__main__":
    run_tests()
