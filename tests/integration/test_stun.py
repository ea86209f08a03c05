#!/usr/bin/python3
"""signald's built-in STUN Binding responder (--stun-listen): RFC 8489 answers with
XOR-MAPPED-ADDRESS and a valid FINGERPRINT, and silence for anything that is not a valid Binding
request (no amplification). Run: /usr/bin/python3 test_stun.py PATH/TO/signald"""

import asyncio
import os
import re
import socket
import struct
import sys
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from sigtest import check, check_eq, run_tests, test  # noqa: E402

MAGIC = 0x2112A442
FP_XOR = 0x5354554E


def binding(tid, method=1, with_fingerprint=True):
    msg = struct.pack("!HHI", method, 8 if with_fingerprint else 0, MAGIC) + tid
    if with_fingerprint:
        msg += struct.pack("!HHI", 0x8028, 4, (zlib.crc32(msg) ^ FP_XOR) & 0xFFFFFFFF)
    return msg


def attributes(d):
    i, got = 20, {}
    while i + 4 <= len(d):
        t, l = struct.unpack("!HH", d[i:i + 4])
        got[t] = d[i + 4:i + 4 + l]
        i += 4 + l + (-l % 4)
    return got


def stun_port(srv):
    m = re.search(r"STUN on udp \S+ \(port (\d+)\)", srv.stderr_text())
    check(m is not None, f"no STUN readiness line: {srv.stderr_tail()}")
    return int(m.group(1))


async def responder_and_client(t, *flags):
    """A signald with these flags (a --stun-listen among them), its STUN port, and an IPv4 UDP
    socket on 127.0.0.1 that waits 3 s at most."""
    srv = await t.start(*flags)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    s.settimeout(3)
    return stun_port(srv), s


@test()
async def binding_answered_with_mapped_address(t):
    port, s = await responder_and_client(t, "--stun-listen", "127.0.0.1:0")
    try:
        # Not answered: junk, a truncated request, a request with a bad fingerprint, a
        # non-Binding method. Then one valid request: the only answer is for it.
        bad_fp = bytearray(binding(os.urandom(12)))
        bad_fp[-1] ^= 1
        for junk in (b"\x00\x01garbage", binding(os.urandom(12))[:-1], bytes(bad_fp),
                     binding(os.urandom(12), method=3)):
            s.sendto(junk, ("127.0.0.1", port))
        tid = os.urandom(12)
        s.sendto(binding(tid), ("127.0.0.1", port))
        d, _ = await asyncio.to_thread(s.recvfrom, 2048)
        kind, _, cookie = struct.unpack("!HHI", d[:8])
        check_eq((kind, cookie), (0x0101, MAGIC), "Binding success response")
        check_eq(d[8:20], tid, "transaction id of the only answer")
        got = attributes(d)
        xa = got[0x0020]
        xport = struct.unpack("!H", xa[2:4])[0] ^ (MAGIC >> 16)
        xip = socket.inet_ntoa(struct.pack("!I", struct.unpack("!I", xa[4:8])[0] ^ MAGIC))
        check_eq((xip, xport), s.getsockname(), "XOR-MAPPED-ADDRESS")
        check_eq(struct.unpack("!I", got[0x8028])[0], (zlib.crc32(d[:-8]) ^ FP_XOR) & 0xFFFFFFFF,
                 "FINGERPRINT")
    finally:
        s.close()


@test()
async def classic_rfc3489_binding_gets_mapped_address(t):
    # libnice discovers its server-reflexive address with RFC 3489 requests (no magic cookie);
    # RFC 8489 §12 asks servers to answer them, with MAPPED-ADDRESS.
    port, s = await responder_and_client(t, "--stun-listen", "127.0.0.1:0")
    try:
        tid = os.urandom(16)
        s.sendto(struct.pack("!HH", 1, 0) + tid, ("127.0.0.1", port))
        d, _ = await asyncio.to_thread(s.recvfrom, 2048)
        check_eq(struct.unpack("!H", d[:2])[0], 0x0101, "Binding success response")
        check_eq(d[4:20], tid, "transaction id")
        ma = attributes(d)[0x0001]
        check_eq((socket.inet_ntoa(ma[4:8]), struct.unpack("!H", ma[2:4])[0]), s.getsockname(),
                 "MAPPED-ADDRESS")
    finally:
        s.close()


def xor_mapped(d):
    """(family, ip, port) of the XOR-MAPPED-ADDRESS in answer d (IPv4 only decoded)."""
    xa = attributes(d)[0x0020]
    fam = xa[1]
    xport = struct.unpack("!H", xa[2:4])[0] ^ (MAGIC >> 16)
    xip = socket.inet_ntoa(struct.pack("!I", struct.unpack("!I", xa[4:8])[0] ^ MAGIC)) if fam == 1 else None
    return fam, xip, xport


@test()
async def ipv4_client_of_a_dual_stack_listener_gets_an_ipv4_address(t):
    # Bound to [::], an IPv4 client arrives as ::ffff:a.b.c.d; its reflexive address is still
    # the IPv4 one (family 1), not an IPv6 form no IPv4 ICE agent can use.
    port, s = await responder_and_client(t, "--stun-listen", "[::]:0")
    try:
        tid = os.urandom(12)
        s.sendto(binding(tid), ("127.0.0.1", port))
        d, _ = await asyncio.to_thread(s.recvfrom, 2048)
        check_eq(d[8:20], tid, "transaction id")
        check_eq(xor_mapped(d), (1, *s.getsockname()), "XOR-MAPPED-ADDRESS (family, ip, port)")
    finally:
        s.close()


@test()
async def answers_are_capped_per_second(t):
    # --stun-rate-limit 5: 20 valid requests at once get 5 answers (a spoofed flood cannot use
    # the responder as a reflector at any rate); junk does not use up the cap; a second later
    # the responder answers again.
    port, s = await responder_and_client(t, "--stun-listen", "127.0.0.1:0", "--stun-rate-limit", "5")
    try:
        for _ in range(50):
            s.sendto(b"\x00\x01junk", ("127.0.0.1", port))
        for _ in range(20):
            s.sendto(binding(os.urandom(12)), ("127.0.0.1", port))

        def count_answers(window):
            s.settimeout(window)
            n = 0
            try:
                for _ in range(100):
                    s.recvfrom(2048)
                    n += 1
            except socket.timeout:
                pass
            return n

        check_eq(await asyncio.to_thread(count_answers, 0.5), 5, "answers to 20 requests at once")
        await asyncio.sleep(1.0)
        s.sendto(binding(os.urandom(12)), ("127.0.0.1", port))
        check_eq(await asyncio.to_thread(count_answers, 1.0), 1, "an answer a second later")
    finally:
        s.close()


if __name__ == "__main__":
    run_tests()
