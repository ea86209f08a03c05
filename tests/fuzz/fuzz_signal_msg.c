/*
 * fuzz_signal_msg.c - libFuzzer target for proto/signal_msg.
 *
 * Every input goes through both parsers. Beyond "no crash, no leak, no UB" (the sanitizers),
 * it checks the properties signald relies on:
 *   - a client message that parses can be answered: relayable types give a relay that
 *     serialises and parses back as a server message with the same fields; join/leave/ping
 *     give joined/peer-joined/left/pong that parse back;
 *   - a client message that fails gives an error that the server can build, serialise and
 *     parse back with the same code (the server must always be able to say what was wrong);
 *   - a server message that parses re-serialises and parses again as the same type.
 * A broken property aborts, so libFuzzer saves the input.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "signal_msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define PEER "mfrggzdfmztwq2lknnwg23tpoa"

static void die(const char *what, const char *detail)
{
	fprintf(stderr, "fuzz_signal_msg: %s: %s\n", what, detail ? detail : "");
	abort();
}

static int same_str(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static int same_json(const json_t *a, const json_t *b)
{
	return (!a && !b) || (a && b && json_equal(a, b));
}

/* Serialises `built` (consumed) and parses it back as a server message into *out. */
static void reparse_server(json_t *built, const char *what, struct sig_msg *out)
{
	struct sig_error err;
	size_t len = 0;
	if (!built)
		die(what, "builder returned NULL");
	char *text = sig_dump(built, &len);
	json_decref(built);
	if (!text)
		die(what, "sig_dump returned NULL");
	if (sig_parse_server(text, len, out, &err) != 0) {
		fprintf(stderr, "fuzz_signal_msg: %s: %s does not parse back: %s (%s)\n", what, text,
			sig_error_wire(err.code), err.message);
		abort();
	}
	sig_error_clear(&err);
	free(text);
}

static void check_relay(const struct sig_msg *in)
{
	struct sig_msg out;
	reparse_server(sig_build_relay(in, PEER), "relay", &out);
	if (out.type != in->type || !same_str(out.from, PEER) || out.to || out.req_id ||
	    !same_str(out.sdp, in->sdp) || !same_str(out.candidate, in->candidate) ||
	    !same_str(out.mid, in->mid) || out.mline != in->mline || !same_json(out.data, in->data))
		die("relay", "fields changed on the way through");
	sig_msg_clear(&out);
}

static void check_answers(const struct sig_msg *in)
{
	struct sig_msg out;
	switch (in->type) {
	case SIG_T_JOIN: {
		json_t *empty = json_array();
		json_t *peers = json_pack("[{s:s, s:O?}]", "peer", PEER, "meta", in->meta);
		if (!empty || !peers)
			die("join", "out of memory");
		reparse_server(sig_build_joined(in->room, PEER, peers, empty,
						in->max_peers ? in->max_peers : 64, in->req_id),
			       "joined", &out);
		if (out.type != SIG_T_JOINED || !same_str(out.room, in->room) ||
		    !same_json(out.req_id, in->req_id))
			die("joined", "fields changed");
		sig_msg_clear(&out);
		reparse_server(sig_build_peer_joined(PEER, in->meta), "peer-joined", &out);
		if (out.type != SIG_T_PEER_JOINED || !json_is_object(out.meta))
			die("peer-joined", "meta is not an object");
		sig_msg_clear(&out);
		json_decref(peers);
		json_decref(empty);
		break;
	}
	case SIG_T_LEAVE:
		reparse_server(sig_build_left("r", in->req_id), "left", &out);
		if (!same_json(out.req_id, in->req_id))
			die("left", "id changed");
		sig_msg_clear(&out);
		break;
	case SIG_T_PING:
		reparse_server(sig_build_pong(in->req_id, in->data), "pong", &out);
		if (out.type != SIG_T_PONG || !same_json(out.req_id, in->req_id) ||
		    !same_json(out.data, in->data))
			die("pong", "ts or id changed");
		sig_msg_clear(&out);
		break;
	case SIG_T_OFFER:
	case SIG_T_ANSWER:
	case SIG_T_CANDIDATE:
	case SIG_T_PUBLISH:
		check_relay(in);
		break;
	default:
		die("sig_parse_client", "returned a non-client type");
	}
}

static void check_error_sendable(const struct sig_error *err)
{
	struct sig_msg out;
	if (err->code == SIG_OK || err->message[0] == '\0')
		die("sig_parse_client", "failed without a code or message");
	reparse_server(sig_build_error(err->code, err->message, err->req_id), "error", &out);
	if (out.type != SIG_T_ERROR || !same_str(out.code, sig_error_wire(err->code)) ||
	    !same_str(out.message, err->message) || !same_json(out.req_id, err->req_id))
		die("error", "fields changed");
	sig_msg_clear(&out);
}

static void check_server(const struct sig_msg *in)
{
	struct sig_msg out;
	if (in->type < SIG_T_OFFER || in->type == SIG_T_PING || in->type >= SIG_T_COUNT)
		die("sig_parse_server", "returned a non-server type");
	reparse_server(json_incref(in->root), "server re-serialise", &out);
	if (out.type != in->type || !same_str(out.room, in->room) ||
	    !same_str(out.from, in->from) || !same_str(out.peer, in->peer) ||
	    !same_str(out.code, in->code) || !same_json(out.req_id, in->req_id))
		die("server re-serialise", "fields changed");
	sig_msg_clear(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* A copy of exactly `size` bytes with no terminator: reading past len is caught by ASan. */
	char *buf = malloc(size ? size : 1);
	if (!buf)
		return 0;
	if (size)
		memcpy(buf, data, size);

	struct sig_msg m;
	struct sig_error err;

	if (sig_parse_client(buf, size, &m, &err) == 0) {
		check_answers(&m);
		sig_msg_clear(&m);
	} else {
		if (m.root)
			die("sig_parse_client", "message not cleared after failure");
		check_error_sendable(&err);
	}
	sig_error_clear(&err);

	if (sig_parse_server(buf, size, &m, &err) == 0) {
		check_server(&m);
		sig_msg_clear(&m);
	} else if (m.root) {
		die("sig_parse_server", "message not cleared after failure");
	}
	sig_error_clear(&err);

	free(buf);
	return 0;
}
