/*
 * fuzz_sdp.c - libFuzzer target for rtcpeer/sdp.
 *
 * Every input is parsed as an offer and as an answer. Beyond "no crash, no leak, no UB" (the
 * sanitizers), it checks the properties rtcpeer relies on:
 *   - a failed parse returns a known negative code, says why, and leaves the output zeroed;
 *   - a description that parses validates, writes, and its text parses back as the same type
 *     with the same data-channel fields; writing that again gives the same text (fixed point);
 *   - for an offer, our answer can always be built, written, parsed back as an answer, and it
 *     matches the offer (sdp_answer_check);
 *   - the input as a trickled candidate: a candidate that normalises checks too, the result is
 *     in libnice's form (prefix, no trailing whitespace) and normalising it again changes
 *     nothing.
 * A broken property aborts, so libFuzzer saves the input.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sdp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Descriptions are ~80 KiB: static, not on the fuzzer's stack. */
static struct sdp_desc first, second, answer, answer_back;
static const struct sdp_desc zero;

static void die(const char *what, const char *detail)
{
	fprintf(stderr, "fuzz_sdp: %s: %s\n", what, detail ? detail : "");
	abort();
}

static bool known_error(int rc)
{
	return rc == SDP_E_SYNTAX || rc == SDP_E_LIMIT || rc == SDP_E_MISSING ||
	       rc == SDP_E_INVALID || rc == SDP_E_UNSUPPORTED;
}

static void same_desc(const struct sdp_desc *a, const struct sdp_desc *b)
{
	const struct sdp_section *da = sdp_data_section(a), *db = sdp_data_section(b);
	if (!da || !db)
		die("round trip", "no data section");
	bool same = a->type == b->type && a->session_id == b->session_id &&
		    a->session_version == b->session_version && a->ice_lite == b->ice_lite &&
		    a->session.trickle == b->session.trickle &&
		    a->section_count == b->section_count && a->data_index == b->data_index &&
		    da->port == db->port && da->sctp_port == db->sctp_port &&
		    da->max_message_size == db->max_message_size &&
		    strcmp(da->mid, db->mid) == 0 &&
		    strcmp(da->transport.ufrag, db->transport.ufrag) == 0 &&
		    strcmp(da->transport.pwd, db->transport.pwd) == 0 &&
		    da->transport.setup == db->transport.setup &&
		    da->transport.trickle == db->transport.trickle &&
		    da->transport.fingerprint_count == db->transport.fingerprint_count &&
		    a->candidate_count == b->candidate_count &&
		    a->end_of_candidates == b->end_of_candidates;
	for (size_t i = 0; same && i < da->transport.fingerprint_count; i++) {
		const struct sdp_fingerprint *fa = &da->transport.fingerprints[i];
		const struct sdp_fingerprint *fb = &db->transport.fingerprints[i];
		same = strcmp(fa->alg, fb->alg) == 0 && fa->len == fb->len &&
		       memcmp(fa->bytes, fb->bytes, fa->len) == 0;
	}
	for (size_t i = 0; same && i < a->section_count; i++)
		same = strcmp(a->sections[i].kind, b->sections[i].kind) == 0 &&
		       strcmp(a->sections[i].mid, b->sections[i].mid) == 0;
	for (size_t i = 0; same && i < a->candidate_count; i++)
		same = strcmp(a->candidates[i].line, b->candidates[i].line) == 0;
	if (!same)
		die("round trip", "fields changed");
}

/* Writes d, parses the text back into *back, and checks the text is a fixed point. */
static void write_and_reparse(const struct sdp_desc *d, struct sdp_desc *back)
{
	char err[256];
	char *text = sdp_write(d);
	if (!text)
		die("sdp_write", "returned NULL for a valid description");
	int rc = sdp_parse(text, strlen(text), d->type, back, err, sizeof(err));
	if (rc != SDP_OK) {
		fprintf(stderr, "fuzz_sdp: written text does not parse back: %s\n%s\n", err, text);
		abort();
	}
	char *again = sdp_write(back);
	if (!again || strcmp(text, again) != 0)
		die("sdp_write", "not a fixed point");
	free(again);
	free(text);
}

static void check_answer(const struct sdp_desc *offer)
{
	struct sdp_local local;
	char err[256];
	sdp_local_init(&local);
	local.session_id = 7240124399126813445ULL;
	local.ufrag = "Yq3n";
	local.pwd = "p3Kx9vN2aQ7mWc1tLr8ZbE";
	snprintf(local.fingerprint.alg, sizeof(local.fingerprint.alg), "sha-256");
	local.fingerprint.len = 32;
	memset(local.fingerprint.bytes, 0x4f, 32);
	if (sdp_answer_create(offer, &local, &answer, err, sizeof(err)) != SDP_OK)
		die("sdp_answer_create", err);
	write_and_reparse(&answer, &answer_back);
	same_desc(&answer, &answer_back);
	if (sdp_answer_check(offer, &answer_back, err, sizeof(err)) != SDP_OK)
		die("sdp_answer_check", err);
}

static void check_description(const char *buf, size_t size, enum sdp_type type)
{
	char err[256] = "";
	int rc = sdp_parse(buf, size, type, &first, err, sizeof(err));
	if (rc != SDP_OK) {
		if (!known_error(rc) || err[0] == '\0')
			die("sdp_parse", "failed without a known code or a message");
		if (memcmp(&first, &zero, sizeof(first)) != 0)
			die("sdp_parse", "output not zeroed after failure");
		return;
	}
	if (sdp_validate(&first, err, sizeof(err)) != SDP_OK)
		die("sdp_validate", err);
	write_and_reparse(&first, &second);
	same_desc(&first, &second);
	if (type == SDP_OFFER)
		check_answer(&first);
}

static void check_candidate(const char *buf, size_t size, const char *address)
{
	char out[SDP_CAND_LINE_MAX + 1], again[SDP_CAND_LINE_MAX + 1], err[256];
	struct sdp_candidate_info a, b;
	int rc = sdp_candidate_check(buf, size, &a, err, sizeof(err));
	if (rc != SDP_OK && !known_error(rc))
		die("sdp_candidate_check", "unknown code");
	if (sdp_candidate_normalize(buf, size, address, out, sizeof(out), err, sizeof(err)) !=
	    SDP_OK)
		return;
	size_t n = strlen(out);
	if (rc != SDP_OK || strncmp(out, "a=candidate:", 12) != 0 || n == 0 ||
	    out[n - 1] == ' ' || strstr(out, "  "))
		die("sdp_candidate_normalize", out);
	if (sdp_candidate_normalize(out, n, NULL, again, sizeof(again), err, sizeof(err)) !=
		    SDP_OK ||
	    strcmp(out, again) != 0)
		die("sdp_candidate_normalize", "not idempotent");
	if (sdp_candidate_check(out, n, &b, err, sizeof(err)) != SDP_OK || a.port != b.port ||
	    a.priority != b.priority || a.component != b.component || a.type != b.type ||
	    a.proto != b.proto || a.tcptype != b.tcptype || b.dangling)
		die("sdp_candidate_normalize", "fields changed");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* A copy of exactly `size` bytes with no terminator: reading past it is caught by ASan. */
	char *buf = malloc(size ? size : 1);
	if (!buf)
		return 0;
	if (size)
		memcpy(buf, data, size);
	check_description(buf, size, SDP_OFFER);
	check_description(buf, size, SDP_ANSWER);
	if (size <= 2 * SDP_CAND_MAX) {
		check_candidate(buf, size, NULL);
		check_candidate(buf, size, "192.0.2.1");
	}
	free(buf);
	return 0;
}
