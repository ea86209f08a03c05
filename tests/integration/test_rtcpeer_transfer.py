#!/usr/bin/python3
"""rtcpeer send / recv end to end over a real signald, on loopback.

Run: /usr/bin/python3 tests/integration/test_rtcpeer_transfer.py BUILD/signald/signald [CASE ...]
(rtcpeer: BUILD/rtcpeer/rtcpeer or $RTCPEER)

Cases: a 100 MiB random file; three files in one session; an empty and a 1-byte file; /proc files
(size 0, with content) refused before the code is printed; names with spaces/UTF-8, a leading
'-' and directory parts; an existing file is never overwritten (and the session goes on),
--force replaces it; a received file the receiver cannot name (exit 8 there, 9 for the sender);
a sender that refused files keeps no descriptors; a file deleted before its turn aborts the
session with a reason; --json events; bad codes and usage errors (exit 2); an unreachable
server (exit 3, quickly).
"""

import os
import resource
import subprocess
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from rtctest import (EXIT_IO, EXIT_OK, EXIT_PEER, EXIT_REFUSED, EXIT_SIGNALING, EXIT_USAGE, MiB, check, check_eq,  # noqa: E402
                     check_events, closed_port, event, exit_str, info, listdir, random_file,
                     rtc_test, run_tests, sha256_file, temp_leftovers, write_file)


def check_received(outdir, expected):
    """expected: {name: sha256}; the directory holds exactly these files, with these digests."""
    names = listdir(outdir)
    check_eq(names, sorted(expected), f"files in the output directory {outdir}")
    for n, digest in expected.items():
        got = sha256_file(os.path.join(outdir, n))
        check(got == digest, f"{n!r}: sha256 {got} differs from the sent file's {digest}")


def check_summary(peer, files, nbytes):
    s = event(peer, "summary")
    check_eq(s.get("files"), files, f"{peer.name} summary.files")
    check_eq(s.get("bytes"), nbytes, f"{peer.name} summary.bytes")
    return s


@rtc_test(timeout=150)
def big_file_100mib(env):
    src = env.tmpdir("src")
    out = env.tmpdir("out")
    size = 100 * MiB
    path = os.path.join(src, "big.bin")
    digest = random_file(path, size)
    s, r, dt = env.transfer([path], out, timeout=120)
    check_received(out, {"big.bin": digest})
    rs = check_summary(r, 1, size)
    check_summary(s, 1, size)
    secs = rs.get("seconds") or dt
    info(f"100 MiB in {dt:.2f}s wall ({size / dt / 1e6:.1f} MB/s incl. setup); receiver's "
         f"summary: {secs:.2f}s ({size / secs / 1e6:.1f} MB/s), path {rs.get('path')}"
         f"{' [ASan build]' if env.asan else ''}")


@rtc_test(timeout=60)
def three_files_one_session(env):
    src = env.tmpdir("src")
    out = env.tmpdir("out")
    sizes = {"one.bin": 1 * MiB + 17, "two.dat": 65536, "three.txt": 200000}
    digests = {n: random_file(os.path.join(src, n), sz) for n, sz in sizes.items()}
    files = [os.path.join(src, n) for n in sizes]
    s, r, _ = env.transfer(files, out)
    check_received(out, digests)
    total = sum(sizes.values())
    check_summary(r, 3, total)
    check_summary(s, 3, total)
    check_eq(len(s.stdout_text().splitlines()), 1, "lines on the sender's stdout")


@rtc_test(timeout=60)
def empty_and_one_byte(env):
    src = env.tmpdir("src")
    out = env.tmpdir("out")
    e = write_file(os.path.join(src, "empty"), b"")
    o = write_file(os.path.join(src, "one"), b"\x00")
    s, r, _ = env.transfer([e, o], out)
    check_received(out, {"empty": sha256_file(e), "one": sha256_file(o)})
    check_eq(os.path.getsize(os.path.join(out, "empty")), 0, "size of 'empty'")
    check_eq(os.path.getsize(os.path.join(out, "one")), 1, "size of 'one'")
    check_summary(r, 2, 1)
    check_summary(s, 2, 1)


@rtc_test(timeout=60)
def proc_file_refused_before_the_code(env):
    """/proc files say size 0 and have content: sent as they are they would arrive empty and
    verify. The sender refuses them in its start checks (exit 8, no code printed)."""
    dead = f"ws://127.0.0.1:{closed_port()}/ws"   # never reached: the check comes first
    for path in ("/proc/cpuinfo", "/proc/self/status"):
        s = env.send([path], server=dead, name=f"send {path}")
        s.expect_exit(EXIT_IO, 10, f"sending {path}")
        want = (f"rtcpeer: {path}: its size reads as 0 but it has content (not a file with a "
                f"known size); copy it to a regular file first")
        check(want in s.stderr_lines(), f"{s.name}: no {want!r}; stderr:\n{s.stderr_tail()}")
        check_eq(s.stdout_text(), "", f"{s.name}: stdout (no code may be printed)")


@rtc_test(timeout=60)
def utf8_and_space_names(env):
    src = env.tmpdir("src")
    out = env.tmpdir("out")
    names = ["a b é 🎉.txt", "Urlaub 2024 🏖.jpg", "nbsp\u00a0x", "notes."]
    digests = {n: random_file(os.path.join(src, n), 1000 + i) for i, n in enumerate(names)}
    s, r, _ = env.transfer([os.path.join(src, n) for n in names], out)
    check_received(out, digests)
    check_summary(r, len(names), sum(1000 + i for i in range(len(names))))


@rtc_test(timeout=60)
def leading_dash_and_directory_parts(env):
    src = env.tmpdir("src")
    out = env.tmpdir("out")
    os.makedirs(os.path.join(src, "sub", "dir"))
    p = os.path.join(src, "sub", "dir", "-rf")
    digest = random_file(p, 4096)
    # A relative path with directories, run from src: only the base name travels.
    s = env.send(["sub/dir/-rf"], cwd=src)
    code = s.read_code()
    r = env.recv(code, out)
    r.expect_exit(EXIT_OK, 30, "receiver")
    s.expect_exit(EXIT_OK, 30, "sender")
    check_received(out, {"-rf": digest})


@rtc_test(timeout=60)
def existing_file_not_overwritten(env):
    src = env.tmpdir("src")
    out = env.tmpdir("out")
    old = b"the receiver's own precious data\n"
    write_file(os.path.join(out, "keep.txt"), old)
    before = os.stat(os.path.join(out, "keep.txt"))
    k = write_file(os.path.join(src, "keep.txt"), b"the sender's version\n" * 100)
    n = os.path.join(src, "new.bin")
    new_digest = random_file(n, 300000)
    s = env.send([k, n])
    code = s.read_code()
    r = env.recv(code, out)
    r.expect_exit(EXIT_REFUSED, 30, "receiver refusing to overwrite keep.txt")
    rc = s.wait(30)
    check_eq(rc, EXIT_REFUSED, "sender's exit status when a file was refused")
    info(f"sender exit after the refusal: {exit_str(rc)}")
    with open(os.path.join(out, "keep.txt"), "rb") as f:
        check(f.read() == old, "keep.txt was changed although --force was not given")
    after = os.stat(os.path.join(out, "keep.txt"))
    check_eq(after.st_ino, before.st_ino, "inode of keep.txt (it was replaced)")
    check(any("keep.txt" in l and "exist" in l for l in r.stderr_lines()),
          f"receiver did not say that keep.txt exists; stderr:\n{r.stderr_tail()}")
    check(any("keep.txt" in l and "refused" in l for l in s.stderr_lines()),
          f"sender did not report that keep.txt was refused; stderr:\n{s.stderr_tail()}")
    # The session went on with the next file.
    check_received(out, {"keep.txt": sha256_file(os.path.join(out, "keep.txt")), "new.bin": new_digest})
    check_eq(temp_leftovers(out), [], "temporary files left in the output directory")


@rtc_test(timeout=90)
def many_refused_files_low_fd_limit(env):
    """Every file the receiver refuses is closed by the sender: 40 files it already has, sent
    under RLIMIT_NOFILE 40 (rtcpeer needs about 10 of its own). A leaked descriptor per refusal
    would run out before the last file."""
    src = env.tmpdir("src")
    out = env.tmpdir("out")
    n = 40
    files = []
    for i in range(n):
        files.append(write_file(os.path.join(src, f"f{i:02d}"), b"new\n"))
        write_file(os.path.join(out, f"f{i:02d}"), b"old\n")

    def low_fd_limit():
        resource.setrlimit(resource.RLIMIT_NOFILE, (n, n))

    s = env.send(files, preexec_fn=low_fd_limit)
    r = env.recv(s.read_code(), out)
    r.expect_exit(EXIT_REFUSED, 60, "receiver refusing every file")
    s.expect_exit(EXIT_REFUSED, 60, "sender with every file refused")
    refusals = [l for l in s.stderr_lines() if l.startswith("rtcpeer: the receiver refused ")]
    check_eq(len(refusals), n, "refusals reported by the sender")
    for i in range(n):
        with open(os.path.join(out, f"f{i:02d}"), "rb") as f:
            check_eq(f.read(), b"old\n", f"f{i:02d} in the output directory")


@rtc_test(timeout=60)
def file_gone_before_its_turn(env):
    """A file deleted after the sender's start checks: the sender says so and exits 8, and
    tells the receiver, which reports the sender's abort (not a vanished peer)."""
    src = env.tmpdir("src")
    out = env.tmpdir("out")
    first = os.path.join(src, "first.bin")
    digest = random_file(first, 100000)
    gone = write_file(os.path.join(src, "gone.txt"), b"soon deleted\n")
    s = env.send([first, gone])
    code = s.read_code()   # the checks are done; nothing is opened again until a receiver comes
    os.unlink(gone)
    r = env.recv(code, out)
    s.expect_exit(EXIT_IO, 30, "sender whose second file disappeared")
    r.expect_exit(EXIT_PEER, 30, "receiver of an aborted session")
    check(f"rtcpeer: {gone}: No such file or directory" in s.stderr_lines(),
          f"sender did not name the missing file; stderr:\n{s.stderr_tail()}")
    check("rtcpeer: the sender aborted: the sender could not open the next file"
          in r.stderr_lines(), f"receiver did not report the sender's abort; stderr:\n"
          f"{r.stderr_tail()}")
    check_received(out, {"first.bin": digest})


@rtc_test(timeout=60)
def symlink_at_name_not_followed(env):
    """A (dangling) symlink under the offered name counts as existing: it is neither followed
    nor replaced without --force; with --force the link itself is replaced, never its target."""
    src = env.tmpdir("src")
    out = env.tmpdir("out")
    victim_dir = env.tmpdir("victim")
    victim = os.path.join(victim_dir, "victim")
    os.symlink(victim, os.path.join(out, "link.txt"))
    f = os.path.join(src, "link.txt")
    digest = random_file(f, 5000)
    s = env.send([f])
    r = env.recv(s.read_code(), out)
    r.expect_exit(EXIT_REFUSED, 30, "receiver: a symlink occupies the name")
    s.wait(30)
    check(os.path.islink(os.path.join(out, "link.txt")), "link.txt is no longer a symlink")
    check(not os.path.exists(victim), "the symlink's target was created (the link was followed)")
    # --force: the link is replaced by the file; the target still does not exist.
    s, r, _ = env.transfer([f], out, recv_extra=["--force"])
    check(not os.path.islink(os.path.join(out, "link.txt")), "--force: link.txt is still a symlink")
    check_received(out, {"link.txt": digest})
    check(not os.path.exists(victim), "--force: the symlink's target was written")
    check_eq(listdir(victim_dir), [], "the symlink target's directory")


@rtc_test(timeout=60)
def force_replaces_existing_file(env):
    src = env.tmpdir("src")
    out = env.tmpdir("out")
    write_file(os.path.join(out, "doc.txt"), b"old contents\n")
    k = os.path.join(src, "doc.txt")
    digest = random_file(k, 123457)
    s, r, _ = env.transfer([k], out, recv_extra=["--force"])
    check_received(out, {"doc.txt": digest})
    check_eq(temp_leftovers(out), [], "temporary files left in the output directory")
    check_summary(r, 1, 123457)


@rtc_test(timeout=60)
def receiver_cannot_name_file(env):
    """The receiver's own failure to store a verified file (here --force cannot rename over a
    directory) is a local I/O error there (exit 8); the sender, whose file arrived intact,
    counts it as not taken (exit 9), not as corrupt (6). The session goes on."""
    src = env.tmpdir("src")
    out = env.tmpdir("out")
    os.mkdir(os.path.join(out, "taken"))
    taken = write_file(os.path.join(src, "taken"), b"a file where a directory is\n")
    nxt = os.path.join(src, "next.bin")
    digest = random_file(nxt, 70000)
    s, r, _ = env.transfer([taken, nxt], out, recv_extra=["--force"], want_send=EXIT_REFUSED,
                           want_recv=EXIT_IO)
    check("rtcpeer: taken not kept: syncing or naming it failed: Is a directory"
          in r.stderr_lines(), f"receiver did not say why; stderr:\n{r.stderr_tail()}")
    check(f"rtcpeer: {taken} was not kept: the receiver could not write the file"
          in s.stderr_lines(), f"sender did not report the receiver's failure; stderr:\n"
          f"{s.stderr_tail()}")
    check(os.path.isdir(os.path.join(out, "taken")), "the directory 'taken' was replaced")
    check_eq(sha256_file(os.path.join(out, "next.bin")), digest, "sha256 of next.bin")
    check_eq(temp_leftovers(out), [], "temporary files left in the output directory")


@rtc_test(timeout=60)
def json_events(env):
    src = env.tmpdir("src")
    out = env.tmpdir("out")
    f = os.path.join(src, "ev.bin")
    digest = random_file(f, 500000)
    s, r, _ = env.transfer([f], out)
    check_received(out, {"ev.bin": digest})
    for p in (s, r):
        check_events(p, ["joined", "connected", "authenticated", "summary"])
        c = event(p, "connected")
        check(c.get("path") in ("direct", "relayed"), f"{p.name}: connected.path {c.get('path')!r}")
        check_eq(c.get("path"), "direct", f"{p.name}: connected.path on loopback")
        check(isinstance(c.get("pair"), str) and "127.0.0.1" in c["pair"],
              f"{p.name}: connected.pair should name the loopback pair: {c.get('pair')!r}")
        sm = event(p, "summary")
        check(isinstance(sm.get("seconds"), (int, float)) and sm["seconds"] >= 0,
              f"{p.name}: summary.seconds {sm.get('seconds')!r}")
        check_eq(sm.get("path"), "direct", f"{p.name}: summary.path")
        check("error" not in p.event_names(), f"{p.name}: an error event in a good transfer: "
              f"{p.events()}")
    check_summary(s, 1, 500000)
    check_summary(r, 1, 500000)
    info(f"sender events: {s.event_names()}; receiver events: {r.event_names()}")


BAD_CODES = [
    ("k2fzq7wd3xha", "no '-'"),
    ("k2fzq7wd3xh0-aaaqeayeaudaocajbifqydiob4", "a '0' in the room"),
    ("k2fzq7wd3xha-aaaqeayeaudaocajbifqydiob5", "bad padding in the last character"),
    ("k2fzq7wd3xha-aaaqeayeaudaocajbifqydio", "secret too short"),
    ("rtcpeer recv k2fzq7wd3xha-aaaqeayeaudaocajbifqydiob4", "the whole line pasted"),
    ("https://rtc.example.org/r/k2fzq7wd3xha", "a link without the secret"),
    ("", "empty"),
    ("x" * 600, "too long"),
]


@rtc_test(timeout=60)
def bad_code_is_usage_error(env):
    out = env.tmpdir("out")
    # A closed port: a rtcpeer that tried to connect would exit 3, not 2.
    dead = f"ws://127.0.0.1:{closed_port()}/ws"
    for code, what in BAD_CODES:
        for cmd in ("recv", "pipe"):
            if cmd == "recv":
                p = env.recv(code, out, server=dead, name=f"recv[{what}]")
            else:
                p = env.pipe(code, server=dead, name=f"pipe[{what}]")
            p.expect_exit(EXIT_USAGE, 10, f"bad code: {what}")
            err = p.stderr_text()
            check("rtcpeer: bad code: " in err,
                  f"{p.name}: no 'rtcpeer: bad code: ...' message; stderr:\n{p.stderr_tail()}")
            check(p.stdout_text() == "", f"{p.name}: printed on stdout: {p.stdout_text()!r}")
            # The secret part is never repeated in an error message (TRANSFER.md §3.2.5).
            if "-aaaqeayeaudaocajbifqydio" in code:
                check("aaaqeayeaudaocajbifqydio" not in err,
                      f"{p.name}: the error message repeats the secret: {err!r}")
    check_eq(listdir(out), [], "output directory after bad codes")


@rtc_test(timeout=60)
def code_kept_off_the_command_line(env):
    # argv is world-readable (ps, /proc/PID/cmdline); the secret half of a code must be able to
    # stay out of it: recv reads the code from stdin, or both recv and pipe from RTCPEER_CODE.
    src = env.tmpdir("src")
    digest = random_file(os.path.join(src, "a.bin"), 300000)
    for how in ("stdin", "environment"):
        out = env.tmpdir(f"out-{how}")
        s = env.send([os.path.join(src, "a.bin")], name=f"sender[{how}]")
        code = s.read_code()
        args = ["recv"] + env.common() + ["-o", out]
        if how == "stdin":
            line = write_file(os.path.join(env.tmpdir("code"), "code.txt"), f"  {code}  \n".encode())
            with open(line, "rb") as f:
                r = env.peer(args, name="receiver[stdin]", stdin=f)
        else:
            r = env.peer(args, name="receiver[env]", env={"RTCPEER_CODE": code})
        check(code.split("-")[1] not in " ".join(r.args), "the secret is on the command line")
        r.expect_exit(EXIT_OK, 30, f"receiver, code from {how}")
        s.expect_exit(EXIT_OK, 30, f"sender ({how})")
        check_received(out, {"a.bin": digest})
    # pipe joins with RTCPEER_CODE, as with the CODE argument.
    a = env.pipe(name="pipe-A", stdin=subprocess.PIPE)
    code = a.read_pipe_code()
    b = env.peer(["pipe"] + env.common(), name="pipe-B[env]", env={"RTCPEER_CODE": code},
                 stdin=subprocess.PIPE)
    for p, data in ((a, b"from A\n"), (b, b"from B\n")):
        p.proc.stdin.write(data)
        p.proc.stdin.close()
    a.expect_exit(EXIT_OK, 30, "pipe-A")
    b.expect_exit(EXIT_OK, 30, "pipe-B with RTCPEER_CODE")
    check_eq(a.stdout_text(), "from B\n", "pipe-A's stdout")
    check_eq(b.stdout_text(), "from A\n", "pipe-B's stdout")


@rtc_test(timeout=60)
def usage_errors(env):
    dead = f"ws://127.0.0.1:{closed_port()}/ws"
    cases = [
        (["send", "--server", dead], "send without a FILE"),
        (["recv", "--server", dead], "recv without a CODE"),
        (["recv", "--server", dead, "a", "b"], "recv with two arguments"),
        (["pipe", "--server", dead, "a", "b"], "pipe with two arguments"),
        (["frobnicate"], "unknown command"),
        (["send", "--no-such-flag", "x"], "unknown option"),
        (["recv", "--timeout", "0", "k2fzq7wd3xha-aaaqeayeaudaocajbifqydiob4"], "timeout 0"),
        (["send", "-v", "-q", "x"], "--verbose with --quiet"),
    ]
    for args, what in cases:
        p = env.peer(args, name=what)
        p.expect_exit(EXIT_USAGE, 10, what)
        check(p.stderr_text().strip() != "", f"{what}: exit 2 without a message")
        check(p.stdout_text() == "", f"{what}: printed on stdout: {p.stdout_text()!r}")


@rtc_test(timeout=60)
def nobody_waiting_for_code(env):
    """A code nobody is serving (mistyped, or the sender gave up) fails at once with exit 3,
    instead of waiting forever in an empty room."""
    out = env.tmpdir("out")
    t0 = time.monotonic()
    r = env.recv("k2fzq7wd3xha-aaaqeayeaudaocajbifqydiob4", out)
    r.expect_exit(EXIT_SIGNALING, 10, "recv with a code nobody serves")
    check(time.monotonic() - t0 < 5, "recv took too long to give up on an empty room")
    check(any("nobody is waiting" in l for l in r.stderr_lines()),
          f"receiver did not say why; stderr:\n{r.stderr_tail()}")
    check_eq(listdir(out), [], "output directory")


@rtc_test(timeout=60)
def unreachable_server(env):
    src = env.tmpdir("src")
    out = env.tmpdir("out")
    f = write_file(os.path.join(src, "x.txt"), b"x")
    dead = f"ws://127.0.0.1:{closed_port()}/ws"
    # receiver
    t0 = time.monotonic()
    r = env.recv("k2fzq7wd3xha-aaaqeayeaudaocajbifqydiob4", out, server=dead)
    r.expect_exit(EXIT_SIGNALING, 10, "recv, server port closed")
    dt_r = time.monotonic() - t0
    check(dt_r < 5, f"recv took {dt_r:.1f}s to notice a closed port (expected < 5s)")
    e = event(r, "error")
    check_eq(e.get("code"), EXIT_SIGNALING, "receiver error event code")
    check(isinstance(e.get("message"), str) and e["message"], f"error event without message: {e}")
    check(any(l.startswith("rtcpeer: ") for l in r.stderr_lines()),
          f"receiver: no human message; stderr:\n{r.stderr_tail()}")
    check_eq(listdir(out), [], "output directory")
    # sender (prints its code first, then fails to reach the server)
    t0 = time.monotonic()
    s = env.send([f], server=dead)
    s.expect_exit(EXIT_SIGNALING, 10, "send, server port closed")
    dt_s = time.monotonic() - t0
    check(dt_s < 5, f"send took {dt_s:.1f}s to notice a closed port (expected < 5s)")
    check_eq(event(s, "error").get("code"), EXIT_SIGNALING, "sender error event code")
    # pipe without a code
    p = env.pipe(server=dead)
    p.expect_exit(EXIT_SIGNALING, 10, "pipe, server port closed")
    # port 1 (nothing listens there either)
    q = env.recv("k2fzq7wd3xha-aaaqeayeaudaocajbifqydiob4", out, server="ws://127.0.0.1:1/ws",
                 name="recv-port-1")
    rc = q.wait(10)
    check(rc == EXIT_SIGNALING, f"port 1: expected exit 3, got {exit_str(rc)}")
    info(f"closed port noticed after {dt_r:.2f}s (recv), {dt_s:.2f}s (send)")


if __name__ == "__main__":
    run_tests()
