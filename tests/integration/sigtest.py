"""sigtest - helpers for the black-box integration tests of signald.

Run the tests with Debian's interpreter (python3-websockets 10.4 lives there):

    /usr/bin/python3 tests/integration/test_protocol.py PATH/TO/signald [TEST_NAME ...]

The signald path may also come from $SIGNALD. Optional further arguments select test cases by
(sub)string of their name.

Pieces:
  * Signald  - one signald subprocess: start, wait for the readiness line, drain stderr in a
               background thread, stop with a signal, report the exit status.
  * Client   - a rtc-signal.v1 WebSocket client with bounded receives and protocol helpers.
  * test / run_tests - a tiny runner: one line per test case, then "N passed, M failed".

Everything is bounded: every wait has a timeout, no loop runs unbounded.
"""

import asyncio
import atexit
import itertools
import json
import os
import queue
import re
import signal
import socket
import ssl as ssl_mod
import subprocess
import sys
import threading
import time
import traceback

try:
    import websockets
    import websockets.exceptions
except ImportError:  # pragma: no cover
    sys.stderr.write("sigtest: the 'websockets' module is missing; run the tests with /usr/bin/python3 "
                     "(Debian's python3-websockets)\n")
    sys.exit(2)

SUBPROTOCOL = "rtc-signal.v1"
READY_RE = re.compile(r"listening on (\S+):(\d+)")
PEER_ID_RE = re.compile(r"[a-z2-7]{26}")
DEFAULT_TIMEOUT = 5.0
SANITIZER_MARKERS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:",
                     "WARNING: ThreadSanitizer", "ERROR: MemorySanitizer")

ConnectionClosed = websockets.exceptions.ConnectionClosed


class TestFailure(AssertionError):
    pass


def fail(msg):
    raise TestFailure(msg)


def check(cond, msg):
    if not cond:
        raise TestFailure(msg)


def check_eq(got, want, what):
    if got != want:
        raise TestFailure(f"{what}: expected {want!r}, got {got!r}")


def dumps(obj):
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


# ------------------------------------------------------------------------------------------------
# signald process


def _clean_env(extra=None):
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIGNALD_")}
    if extra:
        env.update(extra)
    return env


_STARTED = []  # every Signald ever started by this process, killed at exit if still running


@atexit.register
def _kill_leftovers():
    for s in _STARTED:
        try:
            s.kill()
        except Exception:
            pass


class Signald:
    """One signald process. Use `await Signald.astart(...)` from async code."""

    def __init__(self, path, flags=(), listen="127.0.0.1:0", env=None, tls=False):
        self.path = path
        self.flags = list(flags)
        self.listen = listen
        self.env = env
        self.tls = tls
        self.proc = None
        self.host = None
        self.port = None
        self.returncode = None
        self._lines = []          # every stderr line, decoded
        self._out = []            # every stdout line
        self._lock = threading.Lock()
        self._q = queue.Queue()
        self._threads = []

    # -- start -----------------------------------------------------------------------------------
    def argv(self):
        argv = [self.path]
        if self.listen is not None:
            argv += ["--listen", self.listen]
        return argv + self.flags

    def start(self, ready_timeout=10.0):
        self.proc = subprocess.Popen(self.argv(), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, env=_clean_env(self.env),
                                     start_new_session=True)
        _STARTED.append(self)
        t1 = threading.Thread(target=self._drain, args=(self.proc.stderr, self._lines, True), daemon=True)
        t2 = threading.Thread(target=self._drain, args=(self.proc.stdout, self._out, False), daemon=True)
        t1.start()
        t2.start()
        self._threads = [t1, t2]
        deadline = time.monotonic() + ready_timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                self.kill()
                fail(f"signald did not print 'listening on HOST:PORT' within {ready_timeout}s; "
                     f"argv={self.argv()}; stderr:\n{self.stderr_tail()}")
            try:
                line = self._q.get(timeout=min(left, 0.2))
            except queue.Empty:
                continue
            if line is None:  # EOF on stderr: the process is gone
                try:
                    self.returncode = self.proc.wait(timeout=2)
                except subprocess.TimeoutExpired:
                    self.kill()
                fail(f"signald exited (status {self.returncode}) before becoming ready; "
                     f"argv={self.argv()}; stderr:\n{self.stderr_tail()}")
            m = READY_RE.search(line)
            if m:
                self.host, self.port = m.group(1), int(m.group(2))
                if self.host in ("0.0.0.0", "*", ""):
                    self.host = "127.0.0.1"
                return self

    def _drain(self, pipe, sink, feed_queue):
        try:
            for raw in iter(pipe.readline, b""):
                line = raw.decode("utf-8", "replace").rstrip("\n")
                with self._lock:
                    sink.append(line)
                if feed_queue:
                    self._q.put(line)
        except (OSError, ValueError):
            pass
        finally:
            if feed_queue:
                self._q.put(None)

    @classmethod
    async def astart(cls, path, flags=(), listen="127.0.0.1:0", env=None, tls=False, ready_timeout=10.0):
        s = cls(path, flags, listen=listen, env=env, tls=tls)
        await asyncio.to_thread(s.start, ready_timeout)
        return s

    # -- info ------------------------------------------------------------------------------------
    @property
    def pid(self):
        return self.proc.pid

    @property
    def url(self):
        return f"{'wss' if self.tls else 'ws'}://{self.host}:{self.port}/ws"

    @property
    def http_url(self):
        return f"{'https' if self.tls else 'http'}://{self.host}:{self.port}"

    def stderr_text(self):
        with self._lock:
            return "\n".join(self._lines)

    def stdout_text(self):
        with self._lock:
            return "\n".join(self._out)

    def stderr_tail(self, n=30):
        with self._lock:
            lines = self._lines[-n:]
        return "\n".join("    | " + l for l in lines) if lines else "    | (empty)"

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def rss_kib(self):
        return rss_kib(self.pid)

    def uses_asan(self):
        try:
            with open(f"/proc/{self.pid}/maps") as f:
                if "libasan" in f.read():
                    return True
        except OSError:
            pass
        return binary_uses_asan(self.path)

    # -- stop ------------------------------------------------------------------------------------
    def kill(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
        if self.proc is not None:
            self.returncode = self.proc.poll()

    async def astop(self, sig=signal.SIGTERM, timeout=10.0):
        """Send `sig`, wait (without blocking the event loop, so clients can answer the close
        handshake) at most `timeout` s. Returns the exit status; on timeout kills and fails."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        deadline = time.monotonic() + timeout
        while self.proc.poll() is None:
            if time.monotonic() > deadline:
                self.kill()
                fail(f"signald did not exit within {timeout}s after {signal.Signals(sig).name}; "
                     f"stderr:\n{self.stderr_tail()}")
            await asyncio.sleep(0.02)
        self.returncode = self.proc.returncode
        for t in self._threads:
            await asyncio.to_thread(t.join, 2)
        return self.returncode

    def sanitizer_report(self):
        text = self.stderr_text()
        return [m for m in SANITIZER_MARKERS if m in text]

    def check_clean_exit(self):
        """Fails unless signald exited with status 0 and printed no sanitizer report."""
        rc = self.returncode
        if rc != 0:
            how = f"signal {signal.Signals(-rc).name}" if rc is not None and rc < 0 else f"status {rc}"
            fail(f"signald exited with {how} (expected 0); stderr:\n{self.stderr_tail()}")
        bad = self.sanitizer_report()
        if bad:
            fail(f"signald printed a sanitizer report ({', '.join(bad)}); stderr:\n{self.stderr_tail(80)}")


# ------------------------------------------------------------------------------------------------
# WebSocket client

_ids = itertools.count(1)


class Client:
    """A rtc-signal.v1 client. Messages are dicts; every receive is bounded."""

    def __init__(self, ws, name):
        self.ws = ws
        self.name = name
        self.peer = None
        self.room = None

    @classmethod
    async def connect(cls, url, name=None, subprotocols=(SUBPROTOCOL,), ssl=None, compression=None,
                      open_timeout=DEFAULT_TIMEOUT, max_size=4 * 2**20, **kw):
        kw.setdefault("ping_interval", None)   # no client keepalive traffic unless asked
        kw.setdefault("close_timeout", 2)
        if ssl is not None:
            kw["ssl"] = ssl
        ws = await websockets.connect(url, subprotocols=list(subprotocols) if subprotocols else None,
                                      compression=compression, open_timeout=open_timeout,
                                      max_size=max_size, **kw)
        return cls(ws, name or f"client{next(_ids)}")

    def __repr__(self):
        return f"<Client {self.name} peer={self.peer}>"

    # -- sending ---------------------------------------------------------------------------------
    async def send(self, obj, timeout=DEFAULT_TIMEOUT):
        """dict/list/number -> JSON text; str -> text message as is; bytes -> binary message."""
        if isinstance(obj, (str, bytes, bytearray)):
            data = obj
        else:
            data = dumps(obj)
        await asyncio.wait_for(self.ws.send(data), timeout)

    async def send_fragments(self, parts, timeout=DEFAULT_TIMEOUT):
        """One message split into several frames (each item of `parts` is one frame)."""
        await asyncio.wait_for(self.ws.send(list(parts)), timeout)

    # -- receiving -------------------------------------------------------------------------------
    async def recv(self, timeout=DEFAULT_TIMEOUT):
        try:
            raw = await asyncio.wait_for(self.ws.recv(), timeout)
        except asyncio.TimeoutError:
            fail(f"{self.name}: no message within {timeout}s")
        if isinstance(raw, bytes):
            fail(f"{self.name}: server sent a binary message: {raw[:80]!r}")
        try:
            msg = json.loads(raw)
        except ValueError as e:
            fail(f"{self.name}: server sent invalid JSON ({e}): {raw[:200]!r}")
        check(isinstance(msg, dict), f"{self.name}: server message is not an object: {raw[:200]!r}")
        check(isinstance(msg.get("type"), str), f"{self.name}: server message has no string type: {msg!r}")
        return msg

    async def expect(self, type_, timeout=DEFAULT_TIMEOUT):
        msg = await self.recv(timeout)
        if msg["type"] != type_:
            fail(f"{self.name}: expected a {type_!r} message, got {short(msg)}")
        return msg

    async def expect_error(self, code, timeout=DEFAULT_TIMEOUT, id=..., what=""):
        """Next message must be an error with `code`. id=... : don't care; id=None: must have no
        id; otherwise: must echo this id."""
        msg = await self.recv(timeout)
        ctx = f" ({what})" if what else ""
        if msg["type"] != "error" or msg.get("code") != code:
            fail(f"{self.name}: expected error {code!r}{ctx}, got {short(msg)}")
        check(isinstance(msg.get("message"), str) and msg["message"],
              f"{self.name}: error without a human 'message'{ctx}: {msg!r}")
        if id is None:
            check("id" not in msg, f"{self.name}: error carries an id but should not{ctx}: {msg!r}")
        elif id is not ...:
            check("id" in msg and msg["id"] == id and type(msg["id"]) is type(id),
                  f"{self.name}: error should echo id {id!r}{ctx}: {msg!r}")
        return msg

    async def join(self, room, timeout=DEFAULT_TIMEOUT, **kw):
        """Send join; the answer must be `joined` for this room with a well-formed peer id."""
        await self.send({"type": "join", "room": room, **kw})
        msg = await self.expect("joined", timeout)
        check(msg.get("room") == room, f"{self.name}: joined.room {msg.get('room')!r} != {room!r}")
        peer = msg.get("peer")
        check(isinstance(peer, str) and PEER_ID_RE.fullmatch(peer),
              f"{self.name}: joined.peer is not 26 chars of [a-z2-7]: {peer!r}")
        check(isinstance(msg.get("peers"), list), f"{self.name}: joined.peers is not a list: {msg!r}")
        check(isinstance(msg.get("ice_servers"), list), f"{self.name}: joined.ice_servers not a list: {msg!r}")
        check(isinstance(msg.get("max_peers"), int), f"{self.name}: joined.max_peers not an int: {msg!r}")
        if "id" in kw:
            check(msg.get("id") == kw["id"], f"{self.name}: joined does not echo id {kw['id']!r}: {msg!r}")
        else:
            check("id" not in msg, f"{self.name}: joined has an id though the join had none: {msg!r}")
        self.peer = peer
        self.room = room
        return msg

    async def sync(self, timeout=DEFAULT_TIMEOUT, what=""):
        """Positive sentinel: ping, and the very next message must be its pong. Since the server
        handles one connection's messages in order, this proves nothing else was queued for us
        before the ping (and that the connection still works)."""
        sid = f"sync-{next(_ids)}"
        await self.send({"type": "ping", "id": sid})
        msg = await self.recv(timeout)
        if msg != {"type": "pong", "id": sid}:
            ctx = f" ({what})" if what else ""
            fail(f"{self.name}: expected only the pong for {sid}{ctx}, got {short(msg)}")

    async def assert_silent(self, window=0.3):
        """Nothing arrives within `window` s. Use sparingly; prefer sync()."""
        try:
            raw = await asyncio.wait_for(self.ws.recv(), window)
        except asyncio.TimeoutError:
            return
        fail(f"{self.name}: expected no message, got {raw[:200]!r}")

    async def expect_close(self, timeout=DEFAULT_TIMEOUT, allow=()):
        """Read until the connection closes; returns (close code as received, 1006 if no close
        frame, and the list of messages seen before). Messages of a type not in `allow` fail."""
        seen = []
        deadline = time.monotonic() + timeout
        for _ in range(100000):
            left = deadline - time.monotonic()
            if left <= 0:
                break
            try:
                raw = await asyncio.wait_for(self.ws.recv(), left)
            except asyncio.TimeoutError:
                break
            except ConnectionClosed as e:
                return (e.rcvd.code if e.rcvd is not None else 1006), seen
            try:
                msg = json.loads(raw)
            except (ValueError, TypeError):
                msg = {"type": "?raw", "raw": raw[:100]}
            t = msg.get("type") if isinstance(msg, dict) else None
            if t not in allow:
                fail(f"{self.name}: expected the connection to close, got {short(msg)}")
            seen.append(msg)
        fail(f"{self.name}: connection not closed within {timeout}s (saw {len(seen)} messages)")

    async def close(self, timeout=3.0):
        tr = self.ws.transport
        if tr is not None and not tr.is_closing() and hasattr(tr, "is_reading") and not tr.is_reading():
            self.abort()  # a client that stopped reading cannot complete a close handshake
            return
        try:
            await asyncio.wait_for(self.ws.close(), timeout)
        except Exception:
            self.abort()

    def abort(self):
        """Drop the TCP connection without a close frame."""
        if self.ws.transport is not None:
            self.ws.transport.abort()

    @property
    def closed(self):
        return self.ws.closed


def short(msg, n=300):
    s = dumps(msg) if not isinstance(msg, str) else msg
    return s if len(s) <= n else s[:n] + f"...({len(s)} chars)"


def peer_id_canonical(peer):
    """26 base32 chars encode 130 bits; RFC 4648 encoding of exactly 16 bytes leaves the two
    low bits of the last character zero, i.e. it is one of 'aeimquy4'."""
    return PEER_ID_RE.fullmatch(peer) is not None and peer[-1] in "aeimquy4"


# ------------------------------------------------------------------------------------------------
# Test runner


class TestContext:
    """Handed to every test: starts servers and clients that are torn down after the test."""

    def __init__(self, signald_path):
        self.path = signald_path
        self.servers = []
        self.clients = []
        self.stopped_ok = set()

    async def start(self, *flags, listen="127.0.0.1:0", env=None, tls=False, ready_timeout=10.0):
        s = Signald(self.path, flags, listen=listen, env=env, tls=tls)
        self.servers.append(s)
        await asyncio.to_thread(s.start, ready_timeout)
        return s

    async def stop(self, server, sig=signal.SIGTERM, timeout=10.0, check_clean=True):
        rc = await server.astop(sig, timeout)
        if check_clean:
            server.check_clean_exit()
        self.stopped_ok.add(id(server))
        return rc

    async def client(self, server_or_url, name=None, **kw):
        url = server_or_url if isinstance(server_or_url, str) else server_or_url.url
        c = await Client.connect(url, name=name, **kw)
        self.clients.append(c)
        return c

    async def clients_n(self, server, n, prefix="c", **kw):
        cs = await asyncio.gather(*(self.client(server, name=f"{prefix}{i}", **kw) for i in range(n)))
        return list(cs)

    def track(self, c):
        self.clients.append(c)
        return c

    async def teardown(self):
        """Close clients, stop servers; returns a list of problems (server crashed etc.)."""
        problems = []
        await asyncio.gather(*(c.close(timeout=2) for c in self.clients), return_exceptions=True)
        for s in self.servers:
            if s.proc is None or id(s) in self.stopped_ok:
                continue
            if s.proc.poll() is not None:
                s.returncode = s.proc.returncode
                problems.append(f"signald (pid {s.pid}) died during the test with status "
                                f"{s.returncode}; stderr:\n{s.stderr_tail()}")
                continue
            try:
                await s.astop(signal.SIGTERM, 10)
                s.check_clean_exit()
            except TestFailure as e:
                problems.append(f"at teardown: {e}")
            except Exception as e:  # pragma: no cover
                problems.append(f"at teardown: {e!r}")
        for s in self.servers:
            s.kill()
        return problems


_TESTS = []


def test(timeout=15.0):
    """Decorator: register `async def name(t: TestContext)` as a test case, bounded by timeout."""
    def deco(fn):
        _TESTS.append((fn.__name__, fn, timeout))
        return fn
    return deco


def signald_path(argv):
    path = argv[1] if len(argv) > 1 else os.environ.get("SIGNALD")
    if not path:
        here = os.path.dirname(os.path.abspath(__file__))
        path = os.path.join(here, "..", "..", "build", "signald", "signald")
    path = os.path.abspath(path)
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        sys.stderr.write(f"usage: /usr/bin/python3 {os.path.basename(argv[0])} SIGNALD_PATH [TEST ...]\n"
                         f"error: {path} is not an executable file\n")
        sys.exit(2)
    return path


async def _run_all(path, selected):
    passed = failed = 0
    for name, fn, timeout in _TESTS:
        if selected and not any(s in name for s in selected):
            continue
        t = TestContext(path)
        t0 = time.monotonic()
        err = None
        try:
            await asyncio.wait_for(fn(t), timeout)
        except asyncio.TimeoutError:
            err = f"test timed out after {timeout}s"
        except TestFailure as e:
            err = str(e)
        except AssertionError as e:
            err = f"assertion failed: {e}\n{traceback.format_exc(limit=3)}"
        except ConnectionClosed as e:
            err = f"unexpected connection close: {e}\n{traceback.format_exc(limit=4)}"
        except Exception as e:
            err = f"unexpected exception {e!r}\n{traceback.format_exc(limit=6)}"
        try:
            problems = await asyncio.wait_for(t.teardown(), 30)
        except asyncio.TimeoutError:
            problems = ["teardown timed out"]
            for s in t.servers:
                s.kill()
        if problems and err is None:
            err = "\n".join(problems)
        elif problems:
            err += "\n  also: " + "\n  also: ".join(problems)
        dt = time.monotonic() - t0
        if err is None:
            passed += 1
            print(f"PASS {name} ({dt:.2f}s)", flush=True)
        else:
            failed += 1
            if t.servers and "stderr:" not in err:
                err += "\n  signald stderr (tail):\n" + t.servers[-1].stderr_tail(15)
            print(f"FAIL {name} ({dt:.2f}s): {err}", flush=True)
    return passed, failed


def run_tests(argv=None):
    argv = list(sys.argv if argv is None else argv)
    path = signald_path(argv)
    selected = argv[2:]
    passed, failed = asyncio.run(_run_all(path, selected))
    print(f"{passed} passed, {failed} failed", flush=True)
    sys.exit(0 if failed == 0 and passed > 0 else 1)


# ------------------------------------------------------------------------------------------------
# misc helpers


def rss_kib(pid):
    """VmRSS in KiB from /proc/PID/status, or None if the process is gone."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        return None
    return None


def binary_uses_asan(path):
    """Whether the executable at path was built with AddressSanitizer."""
    try:
        with open(path, "rb") as f:
            return b"__asan_init" in f.read()
    except OSError:
        return False


def room_name(prefix="r"):
    return f"{prefix}{os.urandom(8).hex()}"


def small_rcvbuf_socket(host, port, rcvbuf=4096, timeout=5.0):
    """A connected TCP socket with a small receive buffer (set before connect, so the window is
    small from the start); hand it to Client.connect(url, sock=...)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.settimeout(timeout)
    s.connect((host, port))
    s.setblocking(False)
    return s


def tls_client_context(cafile):
    ctx = ssl_mod.create_default_context(cafile=cafile)
    return ctx
