"""rtctest - helpers for the black-box integration tests of rtcpeer (send, recv, pipe).

Run a test file with Debian's interpreter, passing the signald binary (as ctest does):

    /usr/bin/python3 tests/integration/test_rtcpeer_transfer.py BUILD/signald/signald [CASE ...]

rtcpeer is found as BUILD/rtcpeer/rtcpeer next to BUILD/signald/, or taken from $RTCPEER.

Pieces (built on sigtest.py, whose runner prints one line per case and "N passed, M failed"):
  * rtc_test(timeout)  - decorator: a *synchronous* test body `def case(env)` run in a worker
                         thread; leftover processes are killed and temporary files removed
                         afterwards, and every rtcpeer's stderr is checked for sanitizer reports.
  * Env                - per test: env.signald() (a sigtest.Signald on 127.0.0.1:0, stopped and
                         checked by sigtest's teardown), env.tmpdir(), env.peer(...) / env.send(...)
                         / env.recv(...) / env.pipe(...) to start rtcpeer processes.
  * Peer               - one rtcpeer process: stderr drained by a thread into lines (text and
                         --json events), bounded waits for a line, an event, the code, the exit.
  * helpers            - sha256 of files and bytes, random files, RSS sampling from /proc,
                         directory listings, a free (closed) TCP port.

Every wait is bounded; a wait that times out fails the test with the process's stderr tail.
"""

import asyncio
import atexit
import hashlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import sigtest  # noqa: E402
from sigtest import (SANITIZER_MARKERS, Signald, TestFailure, binary_uses_asan, check,  # noqa: E402,F401
                     check_eq, fail, rss_kib, run_tests)

CODE_RE = re.compile(r"[a-z2-7]{12}-[a-z2-7]{25}[aeimquy4]")
SEND_LINE_RE = re.compile(r"^rtcpeer recv (" + CODE_RE.pattern + r")$")
PIPE_LINE_RE = re.compile(r"^    rtcpeer pipe (" + CODE_RE.pattern + r")$")
EXTRA_SANITIZER_MARKERS = ("AddressSanitizer", "LeakSanitizer", "UndefinedBehaviorSanitizer")

# Exit codes of rtcpeer (rtcpeer/cli.h).
EXIT_OK, EXIT_INTERNAL, EXIT_USAGE, EXIT_SIGNALING, EXIT_CONNECT = 0, 1, 2, 3, 4
EXIT_AUTH, EXIT_INTEGRITY, EXIT_PEER, EXIT_IO, EXIT_REFUSED = 5, 6, 7, 8, 9
EXIT_INTERRUPTED = 130
EXIT_NAMES = {0: "ok", 1: "internal", 2: "usage", 3: "signaling", 4: "connect", 5: "auth",
              6: "integrity", 7: "peer", 8: "io", 9: "refused", 130: "interrupted"}

DEFAULT_PEER_TIMEOUT = 20     # --timeout for every rtcpeer
MiB = 1024 * 1024


def info(msg):
    """An informational line under the current case (indented like test_load.py's)."""
    print(f"    info: {msg}", flush=True)


def exit_str(rc):
    if rc is None:
        return "still running"
    if rc < 0:
        try:
            return f"signal {signal.Signals(-rc).name}"
        except ValueError:
            return f"signal {-rc}"
    return f"status {rc} ({EXIT_NAMES.get(rc, '?')})"


# ------------------------------------------------------------------------------------------------
# paths


def rtcpeer_path(signald_path):
    p = os.environ.get("RTCPEER")
    if not p:
        p = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(signald_path))),
                         "rtcpeer", "rtcpeer")
    p = os.path.abspath(p)
    if not (os.path.isfile(p) and os.access(p, os.X_OK)):
        raise TestFailure(f"rtcpeer not found at {p} (build the rtcpeer target, or set $RTCPEER)")
    return p


# ------------------------------------------------------------------------------------------------
# files


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def sha256_bytes(data):
    return hashlib.sha256(data).hexdigest()


def random_file(path, size):
    """`size` bytes from os.urandom; returns the sha256 hex digest."""
    h = hashlib.sha256()
    with open(path, "wb") as f:
        left = size
        while left > 0:
            block = os.urandom(min(left, 1 << 20))
            h.update(block)
            f.write(block)
            left -= len(block)
    return h.hexdigest()


def write_file(path, data):
    with open(path, "wb") as f:
        f.write(data)
    return path


def sparse_file(path, size):
    """A file of `size` zero bytes that occupies no disk space (cheap for abort tests)."""
    with open(path, "wb") as f:
        f.truncate(size)
    return path


def listdir(path):
    return sorted(os.listdir(path))


def temp_leftovers(path):
    """Entries that look like rtcpeer's temporary files."""
    return [n for n in os.listdir(path) if n.startswith(".rtcpeer-") or n.endswith(".part")]


def closed_port():
    """A TCP port on 127.0.0.1 that nothing listens on (bound, then closed)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


# ------------------------------------------------------------------------------------------------
# /proc


def proc_io(pid):
    """/proc/PID/io as a dict (rchar, wchar, ...), or None if the process is gone."""
    try:
        with open(f"/proc/{pid}/io") as f:
            return {k: int(v) for k, v in (line.split(":") for line in f if ":" in line)}
    except (OSError, ValueError):
        return None


def fd_pos(pid, fd):
    """The file offset of a process's fd (from /proc/PID/fdinfo), or None."""
    try:
        with open(f"/proc/{pid}/fdinfo/{fd}") as f:
            for line in f:
                if line.startswith("pos:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        return None
    return None


class RssSampler:
    """Samples VmRSS of some PIDs every `interval` s in a thread; keeps the peak of each."""

    def __init__(self, pids, interval=0.02):
        self.pids = list(pids)
        self.interval = interval
        self.peak = {p: 0 for p in self.pids}
        self.first = {p: None for p in self.pids}
        self.samples = 0
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.is_set():
            for p in self.pids:
                r = rss_kib(p)
                if r is not None:
                    if self.first[p] is None:
                        self.first[p] = r
                    self.peak[p] = max(self.peak[p], r)
            self.samples += 1
            self._stop.wait(self.interval)

    def __enter__(self):
        self._t.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._t.join(5)


# ------------------------------------------------------------------------------------------------
# one rtcpeer process


_PEERS = []  # every Peer ever started, killed at exit if still running


def _kill_leftovers():
    for p in _PEERS:
        try:
            p.kill()
        except Exception:
            pass


atexit.register(_kill_leftovers)


def _clean_env(extra=None):
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("RTCPEER_") and not k.startswith("SIGNALD_")}
    if extra:
        env.update(extra)
    return env


class Peer:
    """One rtcpeer process. stderr is always drained into `lines`; stdout is either captured
    (stdout=subprocess.PIPE: drained into `out_lines` as text lines, or into `out_chunks` when
    binary_stdout=True), or is left to the caller (drain_stdout=False: read proc.stdout
    yourself), or goes where the caller says (a file object / fd / DEVNULL). preexec_fn runs in
    the child before exec (e.g. to lower a resource limit)."""

    def __init__(self, path, args, name, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                 binary_stdout=False, drain_stdout=True, env=None, cwd=None, preexec_fn=None):
        self.path = path
        self.args = list(args)
        self.name = name
        self.lines = []
        self.out_lines = []
        self.out_chunks = []
        self.out_eof_at = None    # monotonic time stdout reached EOF (captured stdout only)
        self.binary_stdout = binary_stdout
        self.returncode = None
        self.killed = False
        self._cond = threading.Condition()
        self._threads = []
        self.t0 = time.monotonic()
        self.exited_at = None
        self.proc = subprocess.Popen([path] + self.args, stdin=stdin, stdout=stdout,
                                     stderr=subprocess.PIPE, env=_clean_env(env), cwd=cwd,
                                     start_new_session=True, preexec_fn=preexec_fn)
        _PEERS.append(self)
        t = threading.Thread(target=self._drain_err, daemon=True)
        t.start()
        self._threads.append(t)
        if stdout == subprocess.PIPE and drain_stdout:
            t = threading.Thread(target=self._drain_out, daemon=True)
            t.start()
            self._threads.append(t)

    def __repr__(self):
        return f"<Peer {self.name} pid={self.pid}>"

    @property
    def pid(self):
        return self.proc.pid

    @property
    def argv_str(self):
        s = "rtcpeer " + " ".join(self.args)
        return s.encode("utf-8", "backslashreplace").decode("utf-8").replace("\n", "\\n")

    # -- draining --------------------------------------------------------------------------------
    def _drain_err(self):
        try:
            for raw in iter(self.proc.stderr.readline, b""):
                line = raw.decode("utf-8", "replace").rstrip("\n")
                with self._cond:
                    self.lines.append(line)
                    self._cond.notify_all()
        except (OSError, ValueError):
            pass
        finally:
            with self._cond:
                self.lines.append(None)  # EOF marker
                self._cond.notify_all()

    def _drain_out(self):
        try:
            if self.binary_stdout:
                while True:
                    b = self.proc.stdout.read1(1 << 16) if hasattr(self.proc.stdout, "read1") \
                        else os.read(self.proc.stdout.fileno(), 1 << 16)
                    if not b:
                        break
                    with self._cond:
                        self.out_chunks.append(b)
                        self._cond.notify_all()
            else:
                for raw in iter(self.proc.stdout.readline, b""):
                    with self._cond:
                        self.out_lines.append(raw.decode("utf-8", "replace"))
                        self._cond.notify_all()
        except (OSError, ValueError):
            pass
        finally:
            with self._cond:
                self.out_eof_at = time.monotonic()
                self._cond.notify_all()

    # -- text ------------------------------------------------------------------------------------
    def stderr_lines(self):
        with self._cond:
            return [l for l in self.lines if l is not None]

    def stderr_text(self):
        return "\n".join(self.stderr_lines())

    def stderr_tail(self, n=25):
        lines = self.stderr_lines()[-n:]
        return "\n".join("    | " + l for l in lines) if lines else "    | (empty)"

    def stdout_text(self):
        with self._cond:
            return "".join(self.out_lines)

    def stdout_bytes(self):
        with self._cond:
            return b"".join(self.out_chunks)

    def events(self):
        """The --json events seen so far (stderr lines that are JSON objects)."""
        evs = []
        for l in self.stderr_lines():
            if l.startswith("{"):
                try:
                    o = json.loads(l)
                except ValueError:
                    continue
                if isinstance(o, dict):
                    evs.append(o)
        return evs

    def event_names(self):
        return [e.get("event") for e in self.events()]

    def describe(self):
        return f"{self.name} (`{self.argv_str}`, pid {self.pid}, {exit_str(self.proc.poll())})"

    def _timeout(self, what, timeout):
        fail(f"{self.describe()}: {what} within {timeout}s; stderr:\n{self.stderr_tail()}")

    # -- waits -----------------------------------------------------------------------------------
    def wait_stderr(self, pred, timeout, what="the expected line"):
        """The first stderr line for which pred(line) is true (pred: callable or regex)."""
        if isinstance(pred, str):
            rx = re.compile(pred)
            pred_fn = lambda l: rx.search(l) is not None  # noqa: E731
        elif hasattr(pred, "search"):
            pred_fn = lambda l: pred.search(l) is not None  # noqa: E731
        else:
            pred_fn = pred
        deadline = time.monotonic() + timeout
        i = 0
        with self._cond:
            while True:
                while i < len(self.lines):
                    l = self.lines[i]
                    i += 1
                    if l is None:
                        fail(f"{self.describe()}: stderr ended before {what}; stderr:\n"
                             f"{self.stderr_tail()}")
                    if pred_fn(l):
                        return l
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._cond.wait(min(left, 0.2))
        self._timeout(f"no {what}", timeout)

    def wait_event(self, name, timeout):
        """The first --json event named `name` (a dict)."""
        def is_ev(l):
            if not l.startswith("{"):
                return False
            try:
                o = json.loads(l)
            except ValueError:
                return False
            return isinstance(o, dict) and o.get("event") == name
        return json.loads(self.wait_stderr(is_ev, timeout, what=f"--json event {name!r}"))

    def read_code(self, timeout=10.0):
        """`rtcpeer send`: the code from the first stdout line `rtcpeer recv CODE`."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while not self.out_lines:
                if self.out_eof_at is not None:
                    fail(f"{self.describe()}: stdout closed without a `rtcpeer recv CODE` line; "
                         f"stderr:\n{self.stderr_tail()}")
                left = deadline - time.monotonic()
                if left <= 0:
                    self._timeout("no `rtcpeer recv CODE` line on stdout", timeout)
                self._cond.wait(min(left, 0.2))
            first = self.out_lines[0]
        m = SEND_LINE_RE.match(first.rstrip("\n"))
        if not m or not first.endswith("\n"):
            fail(f"{self.name}: first stdout line is not `rtcpeer recv CODE`: {first!r}")
        return m.group(1)

    def read_pipe_code(self, timeout=10.0):
        """`rtcpeer pipe` without a code: the code from stderr's `    rtcpeer pipe CODE`."""
        self.wait_stderr(lambda l: l == "On the other machine run:", timeout,
                         what="'On the other machine run:' line")
        line = self.wait_stderr(lambda l: l.startswith("    rtcpeer pipe "), timeout,
                                what="'    rtcpeer pipe CODE' line")
        m = PIPE_LINE_RE.match(line)
        if not m:
            fail(f"{self.name}: malformed code line on stderr: {line!r}")
        return m.group(1)

    def wait_stdout_eof(self, timeout):
        deadline = time.monotonic() + timeout
        with self._cond:
            while self.out_eof_at is None:
                left = deadline - time.monotonic()
                if left <= 0:
                    self._timeout("stdout not closed", timeout)
                self._cond.wait(min(left, 0.2))
        return self.out_eof_at

    def wait_stdout_bytes(self, n, timeout):
        """Until at least n bytes came out of (binary, captured) stdout."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while sum(len(c) for c in self.out_chunks) < n:
                if self.out_eof_at is not None:
                    break
                left = deadline - time.monotonic()
                if left <= 0:
                    got = sum(len(c) for c in self.out_chunks)
                    self._timeout(f"only {got} of {n} bytes on stdout", timeout)
                self._cond.wait(min(left, 0.2))
        return sum(len(c) for c in self.out_chunks)

    def wait_until(self, pred, timeout, what, interval=0.01):
        """Polls pred() (e.g. on /proc) until true; fails if the process exits first."""
        deadline = time.monotonic() + timeout
        while True:
            v = pred()
            if v:
                return v
            if self.proc.poll() is not None:
                fail(f"{self.describe()}: exited before {what}; stderr:\n{self.stderr_tail()}")
            if time.monotonic() > deadline:
                self._timeout(f"not {what}", timeout)
            time.sleep(interval)

    def wait(self, timeout):
        """The exit status; fails (after killing it) if the process is still running."""
        try:
            rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            fail(f"{self.name} (`{self.argv_str}`) did not exit within {timeout}s (killed); "
                 f"stderr:\n{self.stderr_tail()}")
        if self.exited_at is None:
            self.exited_at = time.monotonic()
        self.returncode = rc
        for t in self._threads:
            t.join(5)
        return rc

    def expect_exit(self, want, timeout, what=""):
        rc = self.wait(timeout)
        if rc != want:
            ctx = f" ({what})" if what else ""
            fail(f"{self.name} (`{self.argv_str}`){ctx}: expected exit {exit_str(want)}, got "
                 f"{exit_str(rc)}; stderr:\n{self.stderr_tail()}")
        return rc

    def running(self):
        return self.proc.poll() is None

    def signal(self, sig):
        if self.proc.poll() is None:
            if sig == signal.SIGKILL:
                self.killed = True
            self.proc.send_signal(sig)

    def kill(self):
        if self.proc.poll() is None:
            self.killed = True
            self.proc.kill()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
        self.returncode = self.proc.poll()

    def sanitizer_report(self):
        text = self.stderr_text()
        return [m for m in SANITIZER_MARKERS + EXTRA_SANITIZER_MARKERS if m in text]


# ------------------------------------------------------------------------------------------------
# a tampering signaling relay


FINGERPRINT_RE = re.compile(r"(a=fingerprint:sha-256 )([0-9A-Fa-f])")


def flip_fingerprint(sdp):
    """The SDP with the first hex digit of its sha-256 fingerprint changed; (sdp, changed)."""
    def repl(m):
        d = m.group(2).upper()
        return m.group(1) + ("0" if d != "0" else "1")
    out, n = FINGERPRINT_RE.subn(repl, sdp)
    return out, n > 0


class TamperingRelay:
    """A WebSocket proxy between rtcpeer and signald, in its own thread and event loop. Every
    client connection gets its own upstream connection to signald; messages are forwarded
    unchanged both ways, except that the SDP of client->server messages whose type is in
    `tamper` ("offer", "answer") gets its a=fingerprint flipped, and server->client text goes
    through `s2c` when given (a function of the message text returning the text to send).
    `counts` tells what was relayed and tampered."""

    def __init__(self, upstream_url, tamper=("offer", "answer"), s2c=None):
        import websockets  # Debian's python3-websockets, as for sigtest
        self._ws = websockets
        self.upstream = upstream_url
        self.tamper = set(tamper)
        self.s2c = s2c
        self.counts = {}
        self.errors = []
        self.port = None
        self._lock = threading.Lock()
        self._ready = threading.Event()
        self._loop = None
        self._stop = None
        self._t = threading.Thread(target=self._run, daemon=True)

    @property
    def url(self):
        return f"ws://127.0.0.1:{self.port}/ws"

    def _count(self, key):
        with self._lock:
            self.counts[key] = self.counts.get(key, 0) + 1

    def _rewrite(self, raw):
        if not isinstance(raw, str):
            return raw
        try:
            msg = json.loads(raw)
        except ValueError:
            return raw
        if not isinstance(msg, dict):
            return raw
        t = msg.get("type")
        self._count(f"c2s:{t}")
        if t in self.tamper and isinstance(msg.get("sdp"), str):
            sdp, changed = flip_fingerprint(msg["sdp"])
            if changed:
                msg["sdp"] = sdp
                self._count(f"tampered:{t}")
                return json.dumps(msg, separators=(",", ":"))
        return raw

    async def _handler(self, client, path=None):
        ws = self._ws
        try:
            up = await ws.connect(self.upstream, subprotocols=[sigtest.SUBPROTOCOL],
                                  ping_interval=None, close_timeout=1, max_size=1 << 22,
                                  open_timeout=5)
        except Exception as e:  # pragma: no cover
            self.errors.append(f"upstream connect: {e!r}")
            await client.close(1011)
            return
        self._count("connections")

        async def c2s():
            async for m in client:
                await up.send(self._rewrite(m))

        async def s2c():
            async for m in up:
                if isinstance(m, str):
                    try:
                        self._count(f"s2c:{json.loads(m).get('type')}")
                    except (ValueError, AttributeError):
                        pass
                    if self.s2c:
                        m = self.s2c(m)
                await client.send(m)

        tasks = [asyncio.ensure_future(c2s()), asyncio.ensure_future(s2c())]
        try:
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await asyncio.gather(up.close(), client.close(), return_exceptions=True)

    def _run(self):
        loop = asyncio.new_event_loop()
        self._loop = loop
        asyncio.set_event_loop(loop)

        async def main():
            self._stop = asyncio.Event()
            server = await self._ws.serve(self._handler, "127.0.0.1", 0,
                                          subprotocols=[sigtest.SUBPROTOCOL], ping_interval=None,
                                          close_timeout=1, max_size=1 << 22)
            self.port = server.sockets[0].getsockname()[1]
            self._ready.set()
            await self._stop.wait()
            server.close()
            await asyncio.wait_for(server.wait_closed(), 5)

        try:
            loop.run_until_complete(main())
        except Exception as e:  # pragma: no cover
            self.errors.append(f"relay: {e!r}")
        finally:
            self._ready.set()
            loop.close()

    def start(self, timeout=5.0):
        self._t.start()
        if not self._ready.wait(timeout) or self.port is None:
            fail(f"the tampering relay did not start: {self.errors}")
        return self

    def stop(self):
        if self._loop is not None and self._stop is not None and self._t.is_alive():
            try:
                self._loop.call_soon_threadsafe(self._stop.set)
            except RuntimeError:
                pass
        self._t.join(10)

    def snapshot(self):
        with self._lock:
            return dict(self.counts)


# ------------------------------------------------------------------------------------------------
# per-test environment


class Env:
    def __init__(self, t, name):
        self.t = t                      # sigtest.TestContext (owns the signald processes)
        self.name = name
        self.rtcpeer = rtcpeer_path(t.path)
        self.asan = binary_uses_asan(self.rtcpeer)
        self.peers = []
        self._tmp = []
        self.server = None
        self.relays = []
        self._n = 0

    # -- infrastructure --------------------------------------------------------------------------
    def signald(self, *flags):
        s = Signald(self.t.path, flags, listen="127.0.0.1:0")
        self.t.servers.append(s)   # sigtest's teardown stops it (SIGTERM) and checks it
        s.start()
        if self.server is None:
            self.server = s
        return s

    @property
    def url(self):
        if self.server is None:
            self.signald()
        return self.server.url

    def small_quarantine_env(self, mb=4):
        """For RSS measurements under ASan: the default 256 MiB quarantine of freed memory
        would dominate VmRSS; keep it small so growth means live memory. Empty otherwise."""
        if not self.asan:
            return None
        opts = os.environ.get("ASAN_OPTIONS", "")
        return {"ASAN_OPTIONS": (opts + ":" if opts else "") + f"quarantine_size_mb={mb}"}

    def tmpdir(self, tag="d"):
        d = tempfile.mkdtemp(prefix=f"rtctest-{self.name}-{tag}-")
        self._tmp.append(d)
        return d

    # -- rtcpeer ---------------------------------------------------------------------------------
    def common(self, server=None, json_events=True, timeout=DEFAULT_PEER_TIMEOUT):
        a = ["--server", server or self.url, "--bind-addr", "127.0.0.1", "--timeout", str(timeout)]
        if json_events:
            a.append("--json")
        return a

    def peer(self, args, name=None, **kw):
        self._n += 1
        p = Peer(self.rtcpeer, args, name or f"rtcpeer#{self._n}", **kw)
        self.peers.append(p)
        return p

    def send(self, files, extra=(), server=None, json_events=True, name="sender", **kw):
        return self.peer(["send"] + self.common(server, json_events) + list(extra) + list(files),
                         name=name, **kw)

    def recv(self, code, outdir, extra=(), server=None, json_events=True, name="receiver", **kw):
        return self.peer(["recv"] + self.common(server, json_events) + ["-o", outdir] + list(extra)
                         + [code], name=name, **kw)

    def pipe(self, code=None, extra=(), server=None, json_events=True, name=None, **kw):
        args = ["pipe"] + self.common(server, json_events) + list(extra)
        if code is not None:
            args.append(code)
        return self.peer(args, name=name or ("pipe-A" if code is None else "pipe-B"), **kw)

    def transfer(self, files, outdir, send_extra=(), recv_extra=(), timeout=60.0,
                 want_send=EXIT_OK, want_recv=EXIT_OK, server=None):
        """send FILES -> recv into outdir; checks both exit statuses; returns (sender, receiver,
        seconds from starting the receiver to the later exit)."""
        s = self.send(files, extra=send_extra, server=server)
        code = s.read_code()
        t0 = time.monotonic()
        r = self.recv(code, outdir, extra=recv_extra, server=server)
        r.expect_exit(want_recv, timeout, "receiver")
        s.expect_exit(want_send, timeout, "sender")
        dt = time.monotonic() - t0
        return s, r, dt

    # -- teardown --------------------------------------------------------------------------------
    def tampering_relay(self, tamper=("offer", "answer"), s2c=None):
        r = TamperingRelay(self.url, tamper, s2c)
        self.relays.append(r)
        return r.start()

    def cleanup(self):
        for p in self.peers:
            p.kill()
        for r in self.relays:
            r.stop()
        for d in self._tmp:
            shutil.rmtree(d, ignore_errors=True)

    def sanitizer_problems(self):
        out = []
        for p in self.peers:
            bad = p.sanitizer_report()
            if bad:
                out.append(f"{p.name} (`{p.argv_str}`) printed a sanitizer report "
                           f"({', '.join(bad)}); stderr:\n{p.stderr_tail(60)}")
        return "\n".join(out)


def rtc_test(timeout=60.0):
    """Registers `def case(env)` (synchronous, run in a worker thread) as a sigtest case."""
    def deco(body):
        async def wrapper(t):
            env = Env(t, body.__name__)
            err = None
            try:
                await asyncio.to_thread(body, env)
            except asyncio.CancelledError:
                env.cleanup()  # the worker thread's waits now end quickly
                raise
            except BaseException as e:  # noqa: B902 - re-raised below
                err = e
            env.cleanup()
            san = env.sanitizer_problems()
            if san:
                if err is not None:
                    fail(f"{err}\n  also: {san}")
                fail(san)
            if err is not None:
                raise err
        wrapper.__name__ = body.__name__  # sigtest registers (and reports) it by this name
        sigtest.test(timeout)(wrapper)
        return body
    return deco


def check_events(peer, required, ordered=True):
    """Every JSON line on stderr has a string 'event'; the `required` events occur (in this
    order if `ordered`)."""
    for l in peer.stderr_lines():
        if l.startswith("{"):
            try:
                o = json.loads(l)
            except ValueError as e:
                fail(f"{peer.name}: invalid JSON line on stderr ({e}): {l!r}")
            check(isinstance(o, dict) and isinstance(o.get("event"), str),
                  f"{peer.name}: JSON line without a string 'event': {l!r}")
    names = peer.event_names()
    pos = -1
    for r in required:
        check(r in names, f"{peer.name}: no {r!r} event; events: {names}")
        i = names.index(r)
        if ordered:
            check(i > pos, f"{peer.name}: event {r!r} out of order; events: {names}")
        pos = i
    return peer.events()


def event(peer, name):
    for e in peer.events():
        if e.get("event") == name:
            return e
    fail(f"{peer.name}: no {name!r} event; events: {peer.event_names()}")
