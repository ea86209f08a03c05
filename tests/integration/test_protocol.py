#!/usr/bin/python3
"""Black-box protocol tests for signald (proto/PROTOCOL.md, rtc-signal.v1).

Run: /usr/bin/python3 tests/integration/test_protocol.py PATH/TO/signald [TEST_NAME_SUBSTRING ...]
"""

import asyncio
import json
import time
import os
import sys

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import websockets  # noqa: E402

from sigtest import (PEER_ID_RE, SUBPROTOCOL, check, check_eq, fail, peer_id_canonical,  # noqa: E402
                     room_name, run_tests, test)


async def pair(t, srv, room=None, meta_a=None, meta_b=None):
    """A joins, then B joins; A has consumed B's peer-joined. Returns (a, b, room)."""
    room = room or room_name()
    a = await t.client(srv, name="A")
    b = await t.client(srv, name="B")
    kw_a = {"meta": meta_a} if meta_a is not None else {}
    kw_b = {"meta": meta_b} if meta_b is not None else {}
    await a.join(room, **kw_a)
    await b.join(room, **kw_b)
    pj = await a.expect("peer-joined")
    check_eq(pj["peer"], b.peer, "peer-joined.peer")
    return a, b, room


async def trio(t, srv, room=None):
    room = room or room_name()
    a, b, room = await pair(t, srv, room)
    c = await t.client(srv, name="C")
    await c.join(room)
    for x in (a, b):
        pj = await x.expect("peer-joined")
        check_eq(pj["peer"], c.peer, f"{x.name}: peer-joined.peer")
    return a, b, c, room


# ------------------------------------------------------------------------------------------------
# transport / handshake


@test()
async def subprotocol_selected(t):
    srv = await t.start()
    c = await t.client(srv)
    check_eq(c.ws.subprotocol, SUBPROTOCOL, "selected subprotocol")
    await c.join(room_name())
    await c.sync()


@test()
async def subprotocol_preferred_among_unknown(t):
    srv = await t.start()
    c = await t.client(srv, subprotocols=("foo.v9", SUBPROTOCOL))
    check_eq(c.ws.subprotocol, SUBPROTOCOL, "selected subprotocol when offering [foo.v9, rtc-signal.v1]")
    await c.join(room_name())


@test()
async def no_subprotocol_is_served_v1(t):
    srv = await t.start()
    c = await t.client(srv, subprotocols=None)
    check(c.ws.subprotocol is None, f"server selected {c.ws.subprotocol!r} though none was offered")
    await c.join(room_name())
    await c.sync()


@test()
async def unknown_subprotocol_refused(t):
    srv = await t.start()
    try:
        c = await t.client(srv, subprotocols=("foo.v9",))
    except (websockets.exceptions.InvalidHandshake, websockets.exceptions.ConnectionClosed,
            ConnectionError, EOFError, OSError):
        pass  # refused during the handshake, as PROTOCOL.md §2 requires
    else:
        fail(f"a client offering only 'foo.v9' was accepted (selected {c.ws.subprotocol!r}); "
             "PROTOCOL.md §2: it is refused during the handshake")
    # the server still serves others
    c = await t.client(srv)
    await c.join(room_name())


@test()
async def internal_protocol_not_selectable(t):
    # "signald-raw" names the raw descriptors on signald's event loop (STUN socket, signals);
    # a WebSocket that selected it would bypass every connection limit. Refused, with
    # --stun-listen and without.
    for args in ((), ("--stun-listen", "127.0.0.1:0")):
        srv = await t.start("--max-connections-per-ip", "2", *args)
        for i in range(4):
            try:
                c = await t.client(srv, subprotocols=("signald-raw",))
            except (websockets.exceptions.InvalidHandshake, websockets.exceptions.ConnectionClosed,
                    ConnectionError, EOFError, OSError):
                continue
            fail(f"a client offering only 'signald-raw' was accepted (selected {c.ws.subprotocol!r}, "
                 f"server args {args})")
        c = await t.client(srv)
        await c.join(room_name())
        await c.sync()
        await t.stop(srv)


@test()
async def path_not_significant(t):
    srv = await t.start()
    c = await t.client(f"ws://{srv.host}:{srv.port}/some/other/path")
    await c.join(room_name())
    await c.sync()


@test()
async def client_offering_permessage_deflate(t):
    srv = await t.start()
    a = await t.client(srv, compression="deflate")
    b = await t.client(srv, compression="deflate")
    room = room_name()
    await a.join(room)
    await b.join(room)
    await a.expect("peer-joined")
    data = {"text": "x" * 5000}
    await b.send({"type": "publish", "data": data})
    m = await a.expect("publish")
    check_eq(m, {"type": "publish", "from": b.peer, "data": data}, "publish via deflate client")


# ------------------------------------------------------------------------------------------------
# join / joined


@test()
async def join_joined_fields(t):
    srv = await t.start()
    c = await t.client(srv)
    room = room_name()
    await c.send({"type": "join", "room": room})
    m = await c.expect("joined")
    check_eq(set(m), {"type", "room", "peer", "peers", "ice_servers", "max_peers"}, "joined members")
    check_eq(m["room"], room, "joined.room")
    check(PEER_ID_RE.fullmatch(m["peer"]) is not None, f"joined.peer not 26 chars [a-z2-7]: {m['peer']!r}")
    check_eq(m["peers"], [], "joined.peers in a new room")
    check_eq(m["ice_servers"], [], "joined.ice_servers by default")
    check_eq(m["max_peers"], 64, "joined.max_peers by default (--max-peers-per-room default 64)")


@test()
async def peer_ids_unique_and_canonical(t):
    srv = await t.start()
    ids = []
    cs = await t.clients_n(srv, 20)
    for i, c in enumerate(cs):
        ids.append((await c.join(room_name()))["peer"])
    check_eq(len(set(ids)), len(ids), "distinct peer ids among 20 joins")
    bad = [p for p in ids if not peer_id_canonical(p)]
    check(not bad, f"peer ids are not the RFC 4648 base32 form of exactly 128 bits (last char must be "
                   f"one of 'aeimquy4'): {bad}")


@test()
async def room_id_max_length_and_case(t):
    srv = await t.start()
    a = await t.client(srv)
    b = await t.client(srv)
    room = "A" * 32 + "z-_9" * 8  # 64 chars of the allowed set
    check_eq(len(room), 64, "room length")
    await a.join(room)
    # Room ids are case-sensitive strings: a differently-cased id is another room.
    m = await b.join(room.lower())
    check_eq(m["peers"], [], "peers of a room whose id differs only in case")
    await a.sync()


@test()
async def peers_list_and_peer_joined(t):
    srv = await t.start()
    room = room_name()
    a = await t.client(srv, name="A")
    b = await t.client(srv, name="B")
    c = await t.client(srv, name="C")
    meta_a = {"name": "laptop", "n": 1, "nested": {"x": [1, 2, "ü"]}}
    meta_c = {"name": "phone"}
    ja = await a.join(room, meta=meta_a)
    check_eq(ja["peers"], [], "A's peers")
    jb = await b.join(room)
    check_eq(jb["peers"], [{"peer": a.peer, "meta": meta_a}], "B's joined.peers")
    m = await a.expect("peer-joined")
    check_eq(m, {"type": "peer-joined", "peer": b.peer, "meta": {}}, "A sees B join (no meta -> {})")
    jc = await c.join(room, meta=meta_c)
    check_eq(jc["peers"], [{"peer": a.peer, "meta": meta_a}, {"peer": b.peer, "meta": {}}],
             "C's joined.peers (join order, meta)")
    for x in (a, b):
        m = await x.expect("peer-joined")
        check_eq(m, {"type": "peer-joined", "peer": c.peer, "meta": meta_c}, f"{x.name} sees C join")
    check_eq(len({a.peer, b.peer, c.peer}), 3, "distinct peer ids")
    for x in (a, b, c):
        await x.sync()


@test()
async def meta_near_limit_relayed_exactly(t):
    srv = await t.start()
    room = room_name()
    meta = {"k": "v" * 900}  # ~908 bytes serialised, under the 1024-byte limit
    a = await t.client(srv)
    b = await t.client(srv)
    await a.join(room)
    await b.join(room, meta=meta)
    m = await a.expect("peer-joined")
    check_eq(m["meta"], meta, "peer-joined.meta")


@test()
async def ice_servers_from_flag(t):
    ice = [{"urls": ["stun:stun.example.org:3478"]},
           {"urls": ["turn:turn.example.org:3478?transport=udp", "turns:turn.example.org:5349"],
            "username": "user", "credential": "pa$$"}]
    srv = await t.start("--ice-servers", json.dumps(ice))
    c = await t.client(srv)
    m = await c.join(room_name())
    check_eq(m["ice_servers"], ice, "joined.ice_servers")


# ------------------------------------------------------------------------------------------------
# peer-left


@test()
async def peer_left_on_leave(t):
    srv = await t.start()
    a, b, c, room = await trio(t, srv)
    await b.send({"type": "leave", "id": "L1"})
    m = await b.expect("left")
    check_eq(m, {"type": "left", "room": room, "id": "L1"}, "left")
    for x in (a, c):
        m = await x.expect("peer-left")
        check_eq(m, {"type": "peer-left", "peer": b.peer}, f"{x.name}: peer-left")
        await x.sync()
    await b.sync()
    # B is no longer in the room
    await b.send({"type": "publish", "data": 1})
    await b.expect_error("not-joined")
    # and is not in the room any more for the others
    await a.send({"type": "offer", "to": b.peer, "sdp": "x"})
    await a.expect_error("peer-not-found")


@test()
async def peer_left_on_close(t):
    srv = await t.start()
    a, b, c, room = await trio(t, srv)
    await b.close()  # clean WebSocket close, no leave
    for x in (a, c):
        m = await x.expect("peer-left")
        check_eq(m, {"type": "peer-left", "peer": b.peer}, f"{x.name}: peer-left after close")
        await x.sync()


@test()
async def peer_left_on_tcp_drop(t):
    srv = await t.start()
    a, b, c, room = await trio(t, srv)
    b.abort()  # TCP gone, no close frame, no leave
    for x in (a, c):
        m = await x.expect("peer-left")
        check_eq(m, {"type": "peer-left", "peer": b.peer}, f"{x.name}: peer-left after TCP drop")
        await x.sync()


# ------------------------------------------------------------------------------------------------
# relays


@test()
async def offer_answer_relayed_to_target_only(t):
    srv = await t.start()
    a, b, c, room = await trio(t, srv)
    sdp = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=ü ☃\r\n"
    await b.send({"type": "offer", "to": a.peer, "sdp": sdp})
    m = await a.expect("offer")
    check_eq(m, {"type": "offer", "from": b.peer, "sdp": sdp}, "offer at A")
    await c.sync(what="C must not see B's offer to A")
    await b.sync(what="B must not get its own offer back")
    await a.send({"type": "answer", "to": b.peer, "sdp": sdp + "a=answer\r\n"})
    m = await b.expect("answer")
    check_eq(m, {"type": "answer", "from": a.peer, "sdp": sdp + "a=answer\r\n"}, "answer at B")
    await c.sync(what="C must not see A's answer to B")
    await a.sync()


@test()
async def candidates_relayed(t):
    srv = await t.start()
    a, b, c, room = await trio(t, srv)
    cand = "candidate:1 1 udp 2122260223 192.0.2.1 50000 typ host"
    await a.send({"type": "candidate", "to": b.peer, "candidate": cand, "mid": "0", "mline": 0})
    m = await b.expect("candidate")
    check_eq(m, {"type": "candidate", "from": a.peer, "candidate": cand, "mid": "0", "mline": 0},
             "candidate with mid+mline")
    await a.send({"type": "candidate", "to": b.peer, "candidate": cand, "mline": 3})
    m = await b.expect("candidate")
    check_eq(m, {"type": "candidate", "from": a.peer, "candidate": cand, "mline": 3}, "candidate with mline only")
    await a.send({"type": "candidate", "to": b.peer, "candidate": cand})
    m = await b.expect("candidate")
    check_eq(m, {"type": "candidate", "from": a.peer, "candidate": cand}, "candidate without mid/mline")
    # end-of-candidates
    await a.send({"type": "candidate", "to": b.peer, "candidate": "", "mid": "0"})
    m = await b.expect("candidate")
    check_eq(m, {"type": "candidate", "from": a.peer, "candidate": "", "mid": "0"}, "end-of-candidates")
    await c.sync(what="C must not see candidates for B")
    await a.sync(what="A must not get its candidates back")
    await b.sync()


@test()
async def relay_forwards_only_defined_members(t):
    srv = await t.start()
    a, b, room = await pair(t, srv)
    await b.send({"type": "offer", "to": a.peer, "sdp": "s", "id": "req-7", "from": "x" * 26,
                  "extra": {"evil": True}, "peer": "y" * 26})
    m = await a.expect("offer")
    check_eq(m, {"type": "offer", "from": b.peer, "sdp": "s"}, "relayed offer (id/extras/from dropped)")
    await b.sync(what="an offer with id gets no direct answer")
    await a.send({"type": "candidate", "to": b.peer, "candidate": "c", "mid": "1", "mline": 1,
                  "usernameFragment": "abc", "id": 5})
    m = await b.expect("candidate")
    check_eq(m, {"type": "candidate", "from": a.peer, "candidate": "c", "mid": "1", "mline": 1},
             "relayed candidate (unknown members dropped)")


@test()
async def from_cannot_be_spoofed(t):
    srv = await t.start()
    a, b, c, room = await trio(t, srv)
    await b.send({"type": "publish", "data": "hi", "from": "x"})
    await b.send({"type": "publish", "data": "hi2", "from": a.peer, "to": c.peer})
    await b.send({"type": "answer", "to": c.peer, "sdp": "s", "from": a.peer})
    m = await a.expect("publish")
    check_eq(m, {"type": "publish", "from": b.peer, "data": "hi"}, "A: publish from B")
    m = await c.expect("publish")
    check_eq(m, {"type": "publish", "from": b.peer, "data": "hi"}, "C: publish from B")
    m = await c.expect("publish")
    check_eq(m, {"type": "publish", "from": b.peer, "data": "hi2"}, "C: directed publish from B")
    m = await c.expect("answer")
    check_eq(m, {"type": "answer", "from": b.peer, "sdp": "s"}, "C: answer from B")
    await a.sync()
    await b.sync()
    await c.sync()


@test()
async def publish_fans_out_to_others_only(t):
    srv = await t.start()
    room = room_name()
    cs = await t.clients_n(srv, 4, prefix="P")
    for i, c in enumerate(cs):
        await c.join(room)
        for prev in cs[:i]:
            m = await prev.expect("peer-joined")
            check_eq(m["peer"], c.peer, f"{prev.name}: peer-joined")
    payloads = [{"hello": "room", "n": [1, 2.5, -3, True, False, None], "u": "héllo ☃ 😀"},
                [1, "two", {"three": 3}], "just a string", 42, 0.1, True, {}, [], ""]
    sender = cs[1]
    for data in payloads:
        await sender.send({"type": "publish", "data": data})
    for c in cs:
        if c is sender:
            continue
        for data in payloads:
            m = await c.expect("publish")
            check_eq(m, {"type": "publish", "from": sender.peer, "data": data}, f"{c.name}: publish")
        await c.sync()
    await sender.sync(what="the publisher must not get its own publish")


@test()
async def publish_with_to(t):
    srv = await t.start()
    a, b, c, room = await trio(t, srv)
    await a.send({"type": "publish", "to": b.peer, "data": {"only": "b"}})
    m = await b.expect("publish")
    check_eq(m, {"type": "publish", "from": a.peer, "data": {"only": "b"}}, "directed publish")
    await c.sync(what="C must not see a publish addressed to B")
    await a.sync()


@test()
async def publish_data_with_nul_escape(t):
    # "\u0000" is valid JSON (RFC 8259 §7) but PROTOCOL.md §2 forbids it: a C consumer would
    # see a shorter string than the JSON says. It is bad-json, and the connection goes on.
    srv = await t.start()
    a, b, room = await pair(t, srv)
    await b.send('{"type":"publish","data":"a\\u0000b"}')
    err = await b.expect_error("bad-json")
    check("u0000" in err.get("message", ""), f"error names the NUL: {err}")
    await b.sync(what="the connection still works after a NUL")
    await a.sync(what="nothing was relayed to A")


# ------------------------------------------------------------------------------------------------
# request ids, ping


@test()
async def request_id_echoed(t):
    srv = await t.start()
    c = await t.client(srv)
    await c.send({"type": "ping", "id": "p1", "ts": 1723456789})
    check_eq(await c.recv(), {"type": "pong", "id": "p1", "ts": 1723456789}, "pong with id+ts")
    await c.send({"type": "ping", "id": 17})
    check_eq(await c.recv(), {"type": "pong", "id": 17}, "pong with integer id")
    await c.send({"type": "ping", "id": -3})
    check_eq(await c.recv(), {"type": "pong", "id": -3}, "pong with negative integer id")
    long_id = "i" * 64
    await c.send({"type": "ping", "id": long_id})
    check_eq(await c.recv(), {"type": "pong", "id": long_id}, "pong with a 64-byte id")
    await c.send({"type": "publish", "data": 1, "id": "e1"})
    await c.expect_error("not-joined", id="e1")
    await c.send({"type": "offer", "to": "a" * 26, "id": 99})
    await c.expect_error("bad-field", id=99, what="offer without sdp")
    room = room_name()
    m = await c.join(room, id=1)
    check_eq(m["id"], 1, "joined.id")
    await c.send({"type": "join", "room": room, "id": "again"})
    await c.expect_error("already-joined", id="again")
    await c.send({"type": "leave", "id": "bye"})
    check_eq(await c.recv(), {"type": "left", "room": room, "id": "bye"}, "left with id")
    m = await c.join(room, id="s")
    check_eq(m["id"], "s", "joined.id (string)")


@test()
async def ping_ts_values(t):
    srv = await t.start()
    c = await t.client(srv)
    for ts in (0, 1.5, "t", [1, {"a": None}], {"x": {"y": [True]}}, None, False):
        await c.send({"type": "ping", "ts": ts})
        check_eq(await c.recv(), {"type": "pong", "ts": ts}, f"pong for ts={ts!r}")
    await c.send({"type": "ping"})
    check_eq(await c.recv(), {"type": "pong"}, "pong without ts/id")
    await c.send({"type": "ping", "unknown": [1, 2], "more": {}})
    check_eq(await c.recv(), {"type": "pong"}, "unknown members ignored")


# ------------------------------------------------------------------------------------------------
# rooms: caps, lifetime


@test()
async def room_cap_from_max_peers(t):
    srv = await t.start()
    room = room_name()
    a = await t.client(srv, name="A")
    b = await t.client(srv, name="B")
    c = await t.client(srv, name="C")
    m = await a.join(room, max_peers=2)
    check_eq(m["max_peers"], 2, "A's joined.max_peers when creating with max_peers=2")
    m = await b.join(room, max_peers=10)
    check_eq(m["max_peers"], 2, "B's joined.max_peers (its max_peers=10 is ignored: room exists)")
    await a.expect("peer-joined")
    await c.send({"type": "join", "room": room, "id": "full?"})
    await c.expect_error("room-full", id="full?")
    await c.sync()
    await a.sync(what="A must not hear about the refused C")
    await b.sync()
    # once a member leaves, there is room again
    await b.send({"type": "leave"})
    await b.expect("left")
    await a.expect("peer-left")
    m = await c.join(room)
    check_eq(m["peers"], [{"peer": a.peer, "meta": {}}], "C's peers after B left")
    check_eq(m["max_peers"], 2, "cap persists while the room exists")


@test()
async def max_peers_ignored_for_existing_room(t):
    srv = await t.start()
    room = room_name()
    cs = await t.clients_n(srv, 3)
    await cs[0].join(room)
    m = await cs[1].join(room, max_peers=2)
    check_eq(m["max_peers"], 64, "max_peers of an existing default room")
    await cs[2].join(room)  # would be room-full if max_peers=2 had been applied


@test()
async def rooms_vanish_when_empty(t):
    srv = await t.start()
    room = room_name()
    a = await t.client(srv)
    b = await t.client(srv)
    await a.join(room, max_peers=2)
    await b.join(room)
    await a.expect("peer-joined")
    await a.send({"type": "leave"})
    await a.expect("left")
    await b.expect("peer-left")
    await b.close()  # last member disconnects without leave
    c = await t.client(srv)
    # the server processes B's disconnect asynchronously; a fresh join must see an empty room
    # once it is processed. Use a bounded poll with new connections.
    for attempt in range(50):
        m = await c.join(room)
        if m["peers"] == []:
            break
        await c.send({"type": "leave"})
        await c.expect("left")
        await asyncio.sleep(0.05)
    else:
        fail(f"room still has members long after all left: {m['peers']}")
    check_eq(m["max_peers"], 64, "max_peers of the re-created room (old cap 2 must not survive)")


@test()
async def rooms_are_isolated(t):
    srv = await t.start()
    a1, b1, r1 = await pair(t, srv)
    a2, b2, r2 = await pair(t, srv)
    await a1.send({"type": "publish", "data": "room1"})
    check_eq(await b1.expect("publish"), {"type": "publish", "from": a1.peer, "data": "room1"}, "room 1")
    await a2.send({"type": "publish", "data": "room2"})
    check_eq(await b2.expect("publish"), {"type": "publish", "from": a2.peer, "data": "room2"}, "room 2")
    for x in (a1, b1, a2, b2):
        await x.sync()
    await a1.send({"type": "offer", "to": b2.peer, "sdp": "s"})
    await a1.expect_error("peer-not-found")


@test()
async def rejoin_after_leave(t):
    srv = await t.start()
    a, b, room = await pair(t, srv)
    await a.send({"type": "leave"})
    await a.expect("left")
    await b.expect("peer-left")
    other = room_name()
    m = await a.join(other)
    check_eq(m["peers"], [], "peers in the other room")
    await a.send({"type": "leave"})
    await a.expect("left")
    m = await a.join(room)
    check_eq(m["peers"], [{"peer": b.peer, "meta": {}}], "peers after rejoining")
    pj = await b.expect("peer-joined")
    check_eq(pj["peer"], a.peer, "peer-joined after rejoin")
    await a.send({"type": "offer", "to": b.peer, "sdp": "again"})
    check_eq(await b.expect("offer"), {"type": "offer", "from": a.peer, "sdp": "again"}, "offer after rejoin")


# ------------------------------------------------------------------------------------------------
# token


@test()
async def token_required(t):
    srv = await t.start("--token", "s3cret-Tok")
    c = await t.client(srv)
    room = room_name()
    await c.send({"type": "join", "room": room, "id": 1})
    await c.expect_error("unauthorized", id=1, what="join without token")
    await c.send({"type": "join", "room": room, "token": "wrong", "id": 2})
    await c.expect_error("unauthorized", id=2, what="join with a wrong token")
    await c.send({"type": "join", "room": room, "token": "s3cret-To"})
    await c.expect_error("unauthorized", what="join with a prefix of the token")
    await c.send({"type": "join", "room": room, "token": "s3cret-Tok2"})
    await c.expect_error("unauthorized", what="join with the token plus a character")
    await c.send({"type": "join", "room": room, "token": ""})
    await c.expect_error("unauthorized", what="join with an empty token")
    await c.sync()
    m = await c.join(room, token="s3cret-Tok")
    check_eq(m["peers"], [], "peers after the unauthorized attempts (no room was created)")
    check("s3cret-Tok" not in srv.stderr_text(), "the token appears in signald's log")


@test()
async def token_not_logged_from_bad_json(t):
    # jansson quotes the input near a syntax error: the client gets that text back, the log
    # (even at debug level) must not, since it can be the token.
    srv = await t.start("--token", "s3cret-Tok", "--log-level", "debug")
    c = await t.client(srv)
    await c.send('{"type":"join","room":"r1","token":"s3cret-Tok\\q"}')
    e = await c.expect_error("bad-json", what="an invalid escape in the token")
    check("s3cret-Tok" in e["message"], f"the error does not say where: {e['message']!r}")
    await c.join(room_name(), token="s3cret-Tok")
    await c.sync()
    check("error bad-json" in srv.stderr_text(), "the debug log does not show the error at all")
    check("s3cret-Tok" not in srv.stderr_text(), "the token appears in signald's debug log")


@test()
async def token_from_environment(t):
    srv = await t.start(env={"SIGNALD_TOKEN": "envtok"})
    c = await t.client(srv)
    room = room_name()
    await c.send({"type": "join", "room": room})
    await c.expect_error("unauthorized", what="SIGNALD_TOKEN set, join without token")
    await c.join(room, token="envtok")


@test()
async def token_ignored_when_not_configured(t):
    srv = await t.start()
    c = await t.client(srv)
    await c.join(room_name(), token="anything")


@test()
async def ephemeral_turn_credentials(t):
    # TURN REST API: username "<expiry>:<peer id>", credential base64(HMAC-SHA1(secret, user));
    # the secret itself never reaches a client.
    import base64, hashlib, hmac
    secret = "s3cr3t-shared-with-coturn"
    srv = await t.start("--stun-url", "stun:192.0.2.7:3478,stun:192.0.2.8",
                        "--turn-url", "turn:192.0.2.7:3478,turn:192.0.2.7:3478?transport=tcp",
                        "--turn-ttl", "600", env={"SIGNALD_TURN_SECRET": secret})
    c = await t.client(srv)
    before = int(time.time())
    j = await c.join(room_name())
    after = int(time.time())
    servers = j["ice_servers"]
    check_eq(servers[0], {"urls": ["stun:192.0.2.7:3478", "stun:192.0.2.8"]}, "STUN entry")
    turn = servers[1]
    check_eq(turn["urls"], ["turn:192.0.2.7:3478", "turn:192.0.2.7:3478?transport=tcp"], "TURN urls")
    expiry, peer = turn["username"].split(":", 1)
    check_eq(peer, j["peer"], "the credential names the peer it was issued to")
    check(before + 600 <= int(expiry) <= after + 600, f"expiry {expiry} not now+600")
    want = base64.b64encode(hmac.new(secret.encode(), turn["username"].encode(), hashlib.sha1).digest()).decode()
    check_eq(turn["credential"], want, "credential = base64(HMAC-SHA1(secret, username))")
    check(secret not in json.dumps(j), "the shared secret leaked into joined")
    check(secret not in srv.stderr_text(), "the shared secret was logged")
    # each peer gets its own credentials
    d = await t.client(srv)
    j2 = await d.join(room_name())
    check(j2["ice_servers"][1]["username"] != turn["username"], "two peers share a username")


if __name__ == "__main__":
    run_tests()
