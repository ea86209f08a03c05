#!/usr/bin/python3
"""Lifecycle tests for signald: shutdown by signal, restart on the same port, idle timeout,
HTTP endpoints, TLS, and command-line behaviour.

Run: /usr/bin/python3 tests/integration/test_lifecycle.py PATH/TO/signald [TEST_NAME_SUBSTRING ...]
Needs the `openssl` command for the TLS tests.
"""

import asyncio
import http.client
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from sigtest import (Signald, check, check_eq, fail, room_name, run_tests, short,  # noqa: E402
                     tls_client_context, test)


def http_get(host, port, path, ctx=None, timeout=5.0, method="GET"):
    """Returns (status, content-type, body bytes). Sends `path` verbatim."""
    if ctx is not None:
        conn = http.client.HTTPSConnection(host, port, timeout=timeout, context=ctx)
    else:
        conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        conn.request(method, path, headers={"Connection": "close"})
        r = conn.getresponse()
        body = r.read(1 << 20)
        return r.status, r.getheader("Content-Type", ""), body
    finally:
        conn.close()


def http_headers(host, port, path):
    """The response headers of GET path, names in lower case."""
    c = http.client.HTTPConnection(host, port, timeout=5)
    try:
        c.request("GET", path)
        r = c.getresponse()
        r.read()
        return {k.lower(): v for k, v in r.getheaders()}
    finally:
        c.close()


async def aget(*args, **kw):
    return await asyncio.to_thread(http_get, *args, **kw)


def run_cli(path, args, timeout=5.0):
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIGNALD_")}
    try:
        p = subprocess.run([path] + args, stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        fail(f"`signald {' '.join(args)}` did not exit within {timeout}s")
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


# ------------------------------------------------------------------------------------------------
# shutdown


async def shutdown_with_clients(t, sig):
    srv = await t.start()
    room1, room2 = room_name(), room_name()
    a = await t.client(srv, name="A")
    b = await t.client(srv, name="B")
    c = await t.client(srv, name="C")
    idle = await t.client(srv, name="NotJoined")
    await a.join(room1)
    await b.join(room1)
    await a.expect("peer-joined")
    await c.join(room2)
    for x in (a, b, c, idle):
        await x.sync()
    t0 = time.monotonic()
    srv.proc.send_signal(sig)
    results = await asyncio.gather(*(x.expect_close(timeout=10, allow=("peer-left",)) for x in (a, b, c, idle)))
    for x, (code, seen) in zip((a, b, c, idle), results):
        check_eq(code, 1001, f"{x.name}: close code on {signal.Signals(sig).name}")
    rc = await t.stop(srv, sig, timeout=10)
    dt = time.monotonic() - t0
    check_eq(rc, 0, "exit status")
    print(f"    info: exit after {dt:.2f}s; messages before close: "
          f"{[(x.name, [m['type'] for m in seen]) for x, (_, seen) in zip((a, b, c, idle), results)]}", flush=True)


@test(timeout=30)
async def sigterm_closes_clients_1001(t):
    await shutdown_with_clients(t, signal.SIGTERM)


@test(timeout=30)
async def sigint_closes_clients_1001(t):
    await shutdown_with_clients(t, signal.SIGINT)


@test(timeout=20)
async def sigterm_idle_server_exits_fast(t):
    srv = await t.start()
    t0 = time.monotonic()
    rc = await t.stop(srv, signal.SIGTERM, timeout=5)
    check_eq(rc, 0, "exit status")
    check(time.monotonic() - t0 < 3, f"an idle signald took {time.monotonic() - t0:.2f}s to exit on SIGTERM")


@test(timeout=30)
async def sigterm_with_stalled_client(t):
    # A client that reads nothing any more (so never answers the close) must not keep signald alive.
    srv = await t.start()
    s = await t.client(srv, name="Stalled")
    await s.join(room_name())
    a = await t.client(srv, name="A")
    await a.sync()
    s.ws.transport.pause_reading()
    srv.proc.send_signal(signal.SIGTERM)
    code, _ = await a.expect_close(timeout=10)
    check_eq(code, 1001, "A: close code on SIGTERM")
    rc = await t.stop(srv, signal.SIGTERM, timeout=15)
    check_eq(rc, 0, "exit status with a stalled client")


@test(timeout=40)
async def restart_on_same_port(t):
    srv1 = await t.start()
    port = srv1.port
    room = room_name()
    a = await t.client(srv1, name="A")
    b = await t.client(srv1, name="B")
    await a.join(room)
    await b.join(room)
    await a.expect("peer-joined")
    old = (a.peer, b.peer)
    srv1.proc.send_signal(signal.SIGTERM)
    for x in (a, b):
        code, _ = await x.expect_close(timeout=10, allow=("peer-left",))
        check_eq(code, 1001, f"{x.name}: close code on SIGTERM")
    await t.stop(srv1)
    # same port again, right away (the old connections are in TIME_WAIT)
    srv2 = await t.start(listen=f"127.0.0.1:{port}")
    check_eq(srv2.port, port, "port of the restarted signald")
    a2 = await t.client(srv2, name="A2")
    b2 = await t.client(srv2, name="B2")
    m = await a2.join(room)
    check_eq(m["peers"], [], "peers after restart (rooms are not persistent)")
    m = await b2.join(room)
    check_eq(m["peers"], [{"peer": a2.peer, "meta": {}}], "B2's peers")
    await a2.expect("peer-joined")
    check(a2.peer not in old and b2.peer not in old, "peer ids reused across restarts")
    await b2.send({"type": "offer", "to": a2.peer, "sdp": "after-restart"})
    check_eq(await a2.expect("offer"), {"type": "offer", "from": b2.peer, "sdp": "after-restart"}, "offer")
    await a2.send({"type": "answer", "to": b2.peer, "sdp": "answer-after-restart"})
    check_eq(await b2.expect("answer"), {"type": "answer", "from": a2.peer, "sdp": "answer-after-restart"}, "answer")


# ------------------------------------------------------------------------------------------------
# liveness


@test(timeout=30)
async def idle_timeout_drops_unresponsive_client(t):
    srv = await t.start("--idle-timeout", "2")
    room = room_name()
    live = await t.client(srv, name="Live")      # websockets answers server pings by itself
    dead = await t.client(srv, name="Dead")
    await live.join(room)
    await dead.join(room)
    await live.expect("peer-joined")
    t0 = time.monotonic()
    dead.ws.transport.pause_reading()            # no longer reads, so never answers a ping
    m = await live.expect("peer-left", timeout=20)
    dt = time.monotonic() - t0
    check_eq(m, {"type": "peer-left", "peer": dead.peer}, "peer-left for the unresponsive client")
    print(f"    info: unresponsive client dropped after {dt:.2f}s with --idle-timeout 2", flush=True)
    # the live one was idle just as long but answered pings: still connected
    if dt < 4:
        await asyncio.sleep(4 - dt)
    await live.sync(what="a client that answers WebSocket pings survives the idle timeout")


# ------------------------------------------------------------------------------------------------
# HTTP


@test()
async def http_healthz(t):
    srv = await t.start()
    status, ctype, body = await aget(srv.host, srv.port, "/healthz")
    check_eq(status, 200, "GET /healthz status")
    check(ctype.split(";")[0].strip() == "application/json", f"GET /healthz Content-Type {ctype!r}")
    try:
        j = json.loads(body)
    except ValueError:
        fail(f"GET /healthz body is not JSON: {body[:200]!r}")
    check(isinstance(j, dict) and j.get("status") == "ok", f"GET /healthz body: {body[:200]!r}")
    # a WebSocket client on the same server is unaffected
    c = await t.client(srv)
    await c.join(room_name())


@test()
async def http_web_root(t):
    tmp = tempfile.mkdtemp(prefix="sigtest-web-")
    try:
        root = os.path.join(tmp, "www")
        os.mkdir(root)
        index = b"<!doctype html><title>sigtest</title><p>hello from the web root</p>\n"
        with open(os.path.join(root, "index.html"), "wb") as f:
            f.write(index)
        with open(os.path.join(tmp, "secret.txt"), "wb") as f:
            f.write(b"TOP-SECRET-OUTSIDE-WEB-ROOT\n")
        srv = await t.start("--web-root", root)
        status, ctype, body = await aget(srv.host, srv.port, "/")
        check_eq(status, 200, "GET / status")
        check(ctype.split(";")[0].strip() == "text/html", f"GET / Content-Type {ctype!r}")
        check_eq(body, index, "GET / body (index.html from --web-root)")
        status, ctype, body = await aget(srv.host, srv.port, "/index.html")
        check_eq((status, body), (200, index), "GET /index.html")
        headers = await asyncio.to_thread(http_headers, srv.host, srv.port, "/")
        for name, want in (("x-content-type-options", "nosniff"), ("x-frame-options", "DENY"),
                           ("referrer-policy", "no-referrer")):
            check_eq(headers.get(name), want, f"GET / header {name}")
        csp = headers.get("content-security-policy") or ""
        for part in ("default-src 'self'", "script-src 'self'", "object-src 'none'", "frame-ancestors 'none'"):
            check(part in csp, f"GET / content-security-policy lacks {part!r}: {csp!r}")
        status, _, _ = await aget(srv.host, srv.port, "/no-such-file.html")
        check_eq(status, 404, "GET of a missing file")
        for path in ("/../secret.txt", "/%2e%2e/secret.txt", "/..%2fsecret.txt", "/%2e%2e%2fsecret.txt",
                     "/www/../../secret.txt"):
            try:
                status, _, body = await aget(srv.host, srv.port, path)
            except (OSError, http.client.HTTPException):
                continue  # connection refused/closed: fine, nothing leaked
            check(b"TOP-SECRET" not in body, f"GET {path} served a file outside the web root (status {status})")
        status, _, _ = await aget(srv.host, srv.port, "/healthz")
        check_eq(status, 200, "GET /healthz with a web root")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


# ------------------------------------------------------------------------------------------------
# TLS


def make_cert(dirname):
    cert = os.path.join(dirname, "cert.pem")
    key = os.path.join(dirname, "key.pem")
    cmd = ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=localhost",
           "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost", "-keyout", key, "-out", cert]
    try:
        p = subprocess.run(cmd, capture_output=True, timeout=30)
    except FileNotFoundError:
        fail("the openssl command is needed for the TLS test")
    except subprocess.TimeoutExpired:
        fail("openssl req took more than 30 s")
    check(p.returncode == 0, f"openssl failed: {p.stderr.decode(errors='replace')}")
    return cert, key


@test(timeout=40)
async def tls_wss_and_https(t):
    tmp = tempfile.mkdtemp(prefix="sigtest-tls-")
    try:
        cert, key = await asyncio.to_thread(make_cert, tmp)
        srv = await t.start("--tls-cert", cert, "--tls-key", key, tls=True)
        ctx = tls_client_context(cert)
        try:
            a = await t.client(srv, name="A", ssl=ctx)
        except ssl.SSLError as e:
            fail(f"TLS handshake with signald --tls-cert/--tls-key failed: {e}. WRONG_VERSION_NUMBER means "
                 f"the server answered in plain text although it announced wss:// (stderr: "
                 f"{[l for l in srv.stderr_text().splitlines() if 'listening' in l]})")
        b = await t.client(srv, name="B", ssl=ctx)
        room = room_name()
        await a.join(room)
        m = await b.join(room)
        check_eq(m["peers"], [{"peer": a.peer, "meta": {}}], "peers over wss")
        await a.expect("peer-joined")
        await b.send({"type": "offer", "to": a.peer, "sdp": "over-tls"})
        check_eq(await a.expect("offer"), {"type": "offer", "from": b.peer, "sdp": "over-tls"}, "offer over wss")
        # a bigger message crosses several TLS records
        data = {"blob": "z" * 40000}
        await a.send({"type": "publish", "data": data})
        check_eq(await b.expect("publish"), {"type": "publish", "from": a.peer, "data": data}, "40 kB over wss")
        status, ctype, body = await aget(srv.host, srv.port, "/healthz", ctx=ctx)
        check_eq(status, 200, "https GET /healthz")
        check(json.loads(body).get("status") == "ok", f"https /healthz body {body[:200]!r}")
        # a plain-text client must not break the server
        try:
            await aget(srv.host, srv.port, "/healthz", timeout=3)
        except (OSError, http.client.HTTPException):
            pass
        await a.sync()
        await b.sync()
        # shutdown over TLS: close 1001 as well
        srv.proc.send_signal(signal.SIGTERM)
        for x in (a, b):
            code, _ = await x.expect_close(timeout=10, allow=("peer-left",))
            check_eq(code, 1001, f"{x.name}: close code on SIGTERM over TLS")
        await t.stop(srv)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


# ------------------------------------------------------------------------------------------------
# command line


@test()
async def cli_help_and_version(t):
    rc, out, err = await asyncio.to_thread(run_cli, t.path, ["--help"])
    check_eq(rc, 0, "`signald --help` exit status")
    text = out + err
    for flag in ("--listen", "--max-message-size", "--token", "--tls-cert"):
        check(flag in text, f"`signald --help` does not mention {flag}: {short(text, 400)}")
    rc, out, err = await asyncio.to_thread(run_cli, t.path, ["--version"])
    check_eq(rc, 0, "`signald --version` exit status")
    check(any(ch.isdigit() for ch in out + err), f"`signald --version` prints no version: {(out + err)[:200]!r}")


@test()
async def cli_bad_arguments(t):
    for args in (["--no-such-flag"], ["--max-message-size", "lots"], ["--listen", "not-an-address"],
                 ["--log-level", "chatty"], ["--ice-servers", "[not json"], ["--tls-cert", "/nonexistent/c.pem",
                                                                          "--tls-key", "/nonexistent/k.pem"],
                 ["--max-message-size", "2000000"]):  # larger than the default queue: never relayable
        rc, out, err = await asyncio.to_thread(run_cli, t.path, args + ["--listen", "127.0.0.1:0"]
                                               if "--listen" not in args else args)
        check(rc != 0, f"`signald {' '.join(args)}` exited 0; expected a usage error")
        check("listening on" not in err, f"`signald {' '.join(args)}` started listening anyway")


@test()
async def queue_smaller_than_a_message_refused(t):
    # A queue that cannot hold one message of the largest size would answer every such relay
    # with peer-busy, whoever the recipient: a configuration error, said at startup.
    rc, out, err = await asyncio.to_thread(run_cli, t.path, ["--listen", "127.0.0.1:0", "--max-queue-bytes",
                                                              "65536", "--max-message-size", "131072"])
    check_eq(rc, 2, "exit status for --max-queue-bytes below --max-message-size")
    check("--max-queue-bytes 65536 is too small for --max-message-size 131072: it must be at least 132096"
          in err, f"stderr does not say why: {err!r}")
    srv = await t.start("--max-queue-bytes", "65536", "--max-message-size", "64512")  # just large enough
    c = await t.client(srv)
    await c.join(room_name())


@test()
async def port_in_use(t):
    blocker = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        blocker.bind(("127.0.0.1", 0))
        blocker.listen(1)
        port = blocker.getsockname()[1]
        s = Signald(t.path, listen=f"127.0.0.1:{port}")
        try:
            await asyncio.to_thread(s.start, 5)
        except AssertionError as e:
            check("exited" in str(e), f"signald neither exited nor became ready on a busy port: {e}")
            check(s.returncode not in (0, None), f"signald exited with status {s.returncode} on a busy port")
            return
        finally:
            s.kill()
        fail(f"signald claimed to listen on busy port {port}: {s.stderr_tail()}")
    finally:
        blocker.close()


def listening_addresses(port):
    """The local addresses of TCP sockets listening on `port`, from /proc/net/tcp{,6}."""
    found = []
    for name, fam in (("/proc/net/tcp", 4), ("/proc/net/tcp6", 6)):
        try:
            lines = open(name).read().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            f = line.split()
            addr, hexport = f[1].split(":")
            if int(hexport, 16) == port and f[3] == "0A":  # 0A = LISTEN
                found.append((fam, addr))
    return found


@test()
async def listen_binds_only_that_address(t):
    # A server told to listen on 127.0.0.1 must not be reachable on other interfaces: the
    # only listening socket on its port is bound to 127.0.0.1 (0100007F in /proc/net/tcp).
    srv = await t.start()
    found = listening_addresses(srv.port)
    check_eq(found, [(4, "0100007F")], f"listening sockets on port {srv.port}")


@test()
async def environment_configures_flags(t):
    # Every flag has a SIGNALD_* variable; the command line wins over it.
    srv = await t.start(env={"SIGNALD_MAX_PEERS_PER_ROOM": "2", "SIGNALD_LOG_LEVEL": "debug"})
    a, b, c = await t.clients_n(srv, 3)
    room = room_name()
    await a.join(room)
    await b.join(room)
    await c.send({"type": "join", "room": room})
    await c.expect_error("room-full")
    check("debug" in srv.stderr_text(), "SIGNALD_LOG_LEVEL=debug gave no debug lines")
    srv2 = await t.start("--max-peers-per-room", "3", env={"SIGNALD_MAX_PEERS_PER_ROOM": "2"})
    d, e, f = await t.clients_n(srv2, 3)
    for x in (d, e, f):
        await x.join(room)


@test()
async def json_log_format(t):
    srv = await t.start("--log-format", "json", "--log-level", "debug")
    c = await t.client(srv)
    await c.join(room_name())
    await c.sync()
    await t.stop(srv)
    lines = [l for l in srv.stderr_text().splitlines() if l.strip()]
    check(len(lines) >= 3, f"too few log lines: {lines}")
    for line in lines:
        try:
            obj = json.loads(line)
        except ValueError:
            fail(f"--log-format json printed a line that is not JSON: {line!r}")
        for key in ("ts", "level", "prog", "scope", "msg"):
            check(key in obj, f"JSON log line lacks {key!r}: {line}")
    check(any("listening on" in json.loads(l)["msg"] for l in lines), "no readiness line in JSON")


if __name__ == "__main__":
    run_tests()
