#!/usr/bin/python3
"""signald over IPv6: the per-address connection limit counts an IPv6 client by its /64
(--ipv6-limit-prefix), since every subscriber has at least a /64 to pick addresses from.

Run: /usr/bin/python3 tests/integration/test_ipv6.py PATH/TO/signald [TEST_NAME_SUBSTRING ...]

Needs root: the script creates a network namespace of its own (rtcv6-<pid>), gives its loopback
fd00:64::1, fd00:64::2 and fd00:65::1, runs itself again inside it and deletes it afterwards.
Without root or `ip netns` it exits 77 (ctest's skip code) and says why.
"""

import os
import subprocess
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

SAME_A, SAME_B, OTHER = "fd00:64::1", "fd00:64::2", "fd00:65::1"
INNER = "RTC_IPV6_INNER"


def outer():
    if os.geteuid() != 0:
        print("SKIP: needs root (a network namespace with IPv6 addresses on its loopback)")
        sys.exit(77)
    ns = f"rtcv6-{os.getpid()}"
    if subprocess.run(["ip", "netns", "add", ns], capture_output=True).returncode != 0:
        print("SKIP: 'ip netns add' does not work here")
        sys.exit(77)
    try:
        setup = [["ip", "-n", ns, "link", "set", "lo", "up"]]
        for a in (SAME_A, SAME_B, OTHER):
            setup.append(["ip", "-n", ns, "addr", "add", f"{a}/64", "dev", "lo", "nodad"])
        for cmd in setup:
            subprocess.run(cmd, check=True, capture_output=True)
        env = dict(os.environ, **{INNER: "1"})
        rc = subprocess.run(["ip", "netns", "exec", ns, sys.executable] + sys.argv,
                            env=env, timeout=240).returncode
    finally:
        subprocess.run(["ip", "netns", "del", ns], capture_output=True)
    sys.exit(rc)


if os.environ.get(INNER) != "1":
    outer()

import websockets  # noqa: E402

from sigtest import check_eq, fail, room_name, run_tests, test  # noqa: E402


async def connect_from(t, srv, addr, name):
    return await t.client(srv, name=name, local_addr=(addr, 0))


@test()
async def one_limit_per_slash64(t):
    srv = await t.start("--max-connections-per-ip", "2", listen=f"[{SAME_A}]:0")
    a = await connect_from(t, srv, SAME_A, "A (fd00:64::1)")
    b = await connect_from(t, srv, SAME_B, "B (fd00:64::2)")
    room = room_name()
    await a.join(room)
    await b.join(room)
    await a.expect("peer-joined")
    # A third address of the same /64 is the same subscriber: refused like a third connection
    # from one IPv4 address.
    try:
        c = await connect_from(t, srv, SAME_B, "C (fd00:64::2 again)")
    except websockets.exceptions.InvalidStatusCode as e:
        fail(f"refused during the handshake (HTTP {e.status_code}) instead of error + close 1013")
    await c.expect_error("too-many-connections", what="third connection from fd00:64::/64")
    code, _ = await c.expect_close()
    check_eq(code, 1013, "close code")
    # Another /64 has its own count.
    d = await connect_from(t, srv, OTHER, "D (fd00:65::1)")
    await d.join(room)
    check_eq((await a.expect("peer-joined"))["peer"], d.peer, "A: D joined")
    check_eq((await b.expect("peer-joined"))["peer"], d.peer, "B: D joined")
    await a.sync()
    await b.sync()


@test()
async def prefix_128_counts_single_addresses(t):
    srv = await t.start("--max-connections-per-ip", "1", "--ipv6-limit-prefix", "128",
                        listen=f"[{SAME_A}]:0")
    a = await connect_from(t, srv, SAME_A, "A (fd00:64::1)")
    b = await connect_from(t, srv, SAME_B, "B (fd00:64::2)")
    await a.sync()
    await b.sync()
    c = await connect_from(t, srv, SAME_B, "C (fd00:64::2 again)")
    await c.expect_error("too-many-connections", what="second connection from fd00:64::2/128")


if __name__ == "__main__":
    run_tests()
