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


@test()
async def binding_answered_with_mapped_address(t):
    srv = await t.start("--stun-listen", "127.0.0.1:0")
    port = stun_port(srv)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    s.settimeout(3)
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
    srv = await t.start("--stun-listen", "127.0.0.1:0")
    port = stun_port(srv)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    s.settimeout(3)
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


if __name__ == "__main__":
    run_tests()
