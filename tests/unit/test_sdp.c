/*
 * test_sdp.c - rtcpeer/sdp against WEBRTC-NOTES §1 (JSEP/SDP) and §8 (interop traps).
 *
 * Byte-exact: our offer and answer are compared with the text of WEBRTC-NOTES 1.5 A and B, and
 * the answer to an audio+video+data offer with its rejected sections. Recorded-style Chrome,
 * Firefox and aiortc descriptions are parsed field by field. Every error path is driven with
 * its code and the line number in the message. Round trips: write -> parse -> same fields, and
 * the text written twice is identical. Candidates: .local, IPv6, TCP, Chrome extension tails,
 * malformed and unusable ones, and the exact libnice form.
 *
 * Descriptions are large (~80 KiB), so the tests use static ones; helpers free what they own
 * before they report a failure, so the suite stays clean under ASan/LeakSanitizer.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sdp.h"

#define L(x) x "\r\n"

/* WEBRTC-NOTES 1.5 values for our side. */
#define OUR_UFRAG "Yq3n"
#define OUR_PWD   "p3Kx9vN2aQ7mWc1tLr8ZbE"
#define OUR_FP                                                                              \
	"4F:1C:9A:77:02:E3:5B:D0:6A:91:C8:3E:27:F4:0B:5D:E1:98:3A:C6:72:0F:B4:59:8D:E2:16:7C:A3:" \
	"4B:90:D8"

#define CHROME_FP                                                                           \
	"00:B7:11:CD:B2:A9:1A:F2:2B:EC:F2:AA:32:0E:E6:41:EB:88:CE:81:A0:72:70:DC:1D:64:BF:7E:7E:" \
	"35:BF:1A"
#define CHROME_ANS_FP                                                                       \
	"25:92:BC:27:98:D1:99:F1:96:28:05:A3:26:B4:D6:82:26:49:B3:43:F2:14:FA:21:85:79:6A:39:61:" \
	"63:FD:97"
#define FIREFOX_FP                                                                          \
	"07:A6:83:68:BB:61:0E:34:25:35:AE:F8:26:9B:B0:F5:9B:3F:04:3A:EE:89:14:04:FD:8C:8A:4A:CC:" \
	"7D:B5:B2"
#define AIO_FP256                                                                           \
	"5E:4E:83:BC:74:53:84:B6:7A:45:AF:94:18:9E:35:D6:B7:8F:83:1B:EF:EB:DC:5D:1E:86:6D:47:4B:" \
	"60:93:33"
#define AIO_FP384                                                                           \
	"B6:DF:18:63:A6:9A:D0:CE:66:E1:63:F0:E4:2B:CB:B8:50:04:E3:BE:83:2B:1F:7F:CD:1A:52:D1:FF:" \
	"BA:28:72:BB:BB:5A:0E:8A:2A:C4:5F:60:8C:1A:95:27:48:4B:B3"
#define AIO_FP512                                                                           \
	"F8:02:DA:15:A3:A9:3E:00:EB:DF:03:84:BD:39:E2:E3:10:0A:AF:89:A6:8C:E4:07:DA:80:A7:5A:BE:" \
	"2D:02:49:2A:10:AE:6A:94:49:60:F9:2E:BF:DC:E5:A9:65:D6:AF:B5:FE:84:B9:2F:BF:F7:04:8C:2F:" \
	"96:6F:81:6E:0D:66"
#define MEDIA_FP                                                                            \
	"56:97:66:B2:72:7A:A9:7D:98:49:08:5A:14:1F:1E:89:3E:90:8B:67:E1:6C:46:5D:30:3B:BD:2C:86:" \
	"CA:C2:D5"

/* --- Fixtures: recorded-style browser descriptions (WEBRTC-NOTES 1.1, 1.5). --------------- */

/* Chrome createOffer(), data only. Line numbers matter to the error tests: 8 is m=, 10 ufrag,
 * 11 pwd, 13 fingerprint, 14 setup, 15 mid. */
static const char chrome_offer[] =
	L("v=0")
	L("o=- 1270620933866676358 2 IN IP4 127.0.0.1")
	L("s=-")
	L("t=0 0")
	L("a=group:BUNDLE 0")
	L("a=extmap-allow-mixed")
	L("a=msid-semantic: WMS")
	L("m=application 9 UDP/DTLS/SCTP webrtc-datachannel")
	L("c=IN IP4 0.0.0.0")
	L("a=ice-ufrag:TCgj")
	L("a=ice-pwd:iFgnue93eNGBhRmfRckDKbtP")
	L("a=ice-options:trickle")
	L("a=fingerprint:sha-256 " CHROME_FP)
	L("a=setup:actpass")
	L("a=mid:0")
	L("a=sctp-port:5000")
	L("a=max-message-size:262144");

/* Chrome's answer to our offer: the same shape, setup:active. */
static const char chrome_answer[] =
	L("v=0")
	L("o=- 4015432781309426011 2 IN IP4 127.0.0.1")
	L("s=-")
	L("t=0 0")
	L("a=group:BUNDLE 0")
	L("a=extmap-allow-mixed")
	L("a=msid-semantic: WMS")
	L("m=application 9 UDP/DTLS/SCTP webrtc-datachannel")
	L("c=IN IP4 0.0.0.0")
	L("a=ice-ufrag:8sJx")
	L("a=ice-pwd:J8Gf2yfOW/jpck/mvJVygd6u")
	L("a=ice-options:trickle")
	L("a=fingerprint:sha-256 " CHROME_ANS_FP)
	L("a=setup:active")
	L("a=mid:0")
	L("a=sctp-port:5000")
	L("a=max-message-size:262144");

/* Firefox: session-level fingerprint, a=sendrecv, hex ufrag/pwd, 1073741823. */
static const char firefox_offer[] =
	L("v=0")
	L("o=mozilla...THIS_IS_SDPARTA-99.0 5404343442512418345 0 IN IP4 0.0.0.0")
	L("s=-")
	L("t=0 0")
	L("a=fingerprint:sha-256 " FIREFOX_FP)
	L("a=group:BUNDLE 0")
	L("a=ice-options:trickle")
	L("a=msid-semantic:WMS *")
	L("m=application 9 UDP/DTLS/SCTP webrtc-datachannel")
	L("c=IN IP4 0.0.0.0")
	L("a=sendrecv")
	L("a=ice-pwd:31ad9935e1970f9469347797c578ee5c")
	L("a=ice-ufrag:77f4371d")
	L("a=mid:0")
	L("a=setup:actpass")
	L("a=sctp-port:5000")
	L("a=max-message-size:1073741823");

/* Firefox answer after gathering: .local host candidates with upper-case transports, TCP
 * active, srflx with hidden base, end-of-candidates. */
static const char firefox_answer[] =
	L("v=0")
	L("o=mozilla...THIS_IS_SDPARTA-99.0 3218093581238210834 0 IN IP4 0.0.0.0")
	L("s=-")
	L("t=0 0")
	L("a=fingerprint:sha-256 " FIREFOX_FP)
	L("a=group:BUNDLE 0")
	L("a=ice-options:trickle")
	L("a=msid-semantic:WMS *")
	L("m=application 50093 UDP/DTLS/SCTP webrtc-datachannel")
	L("c=IN IP4 198.51.100.7")
	L("a=candidate:0 1 UDP 2122252543 9b1c3f0e-5a7d-4c2b-8e61-0f2d4a6b8c1e.local 50093 typ host")
	L("a=candidate:2 1 TCP 2105524479 9b1c3f0e-5a7d-4c2b-8e61-0f2d4a6b8c1e.local 9 typ host tcptype active")
	L("a=candidate:1 1 UDP 1686052863 198.51.100.7 50093 typ srflx raddr 0.0.0.0 rport 0")
	L("a=sendrecv")
	L("a=end-of-candidates")
	L("a=ice-pwd:9e3b1c6f0a2d4e8b7c5a1f3d2e4b6c8a")
	L("a=ice-ufrag:c4e2a7b1")
	L("a=mid:0")
	L("a=setup:active")
	L("a=sctp-port:5000")
	L("a=max-message-size:1073741823");

/* aiortc before PR #1388: legacy DTLS/SCTP + sctpmap, three fingerprints, complete
 * (non-trickle) description with candidates. */
static const char aiortc_offer[] =
	L("v=0")
	L("o=- 3863215046 3863215046 IN IP4 0.0.0.0")
	L("s=-")
	L("t=0 0")
	L("a=group:BUNDLE 0")
	L("a=msid-semantic:WMS *")
	L("m=application 54132 DTLS/SCTP 5000")
	L("c=IN IP4 192.0.2.20")
	L("a=mid:0")
	L("a=sctpmap:5000 webrtc-datachannel 65535")
	L("a=max-message-size:65536")
	L("a=candidate:b1f2e4fa0dd2ee9d5b44bce11ba6e8c4 1 udp 2130706431 192.0.2.20 54132 typ host")
	L("a=candidate:09a8f64c4bd2b0a7b6f3e8a5c7d1e2f3 1 udp 1694498815 203.0.113.7 54132 typ srflx raddr 192.0.2.20 rport 54132")
	L("a=end-of-candidates")
	L("a=ice-ufrag:Ws4K")
	L("a=ice-pwd:x0gKtkij2Kk+xbLV7Q8Pf7")
	L("a=fingerprint:sha-256 " AIO_FP256)
	L("a=fingerprint:sha-384 " AIO_FP384)
	L("a=fingerprint:sha-512 " AIO_FP512)
	L("a=setup:actpass");

/* Chrome offer with a microphone, a recvonly video transceiver and a data channel. */
static const char chrome_av_offer[] =
	L("v=0")
	L("o=- 5781953041232761390 2 IN IP4 127.0.0.1")
	L("s=-")
	L("t=0 0")
	L("a=group:BUNDLE 0 1 2")
	L("a=extmap-allow-mixed")
	L("a=msid-semantic: WMS 3f6c2a1e-8d4b-4b2e-9a57-0c1d2e3f4a5b")
	L("m=audio 9 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126")
	L("c=IN IP4 0.0.0.0")
	L("a=rtcp:9 IN IP4 0.0.0.0")
	L("a=ice-ufrag:4ZcD")
	L("a=ice-pwd:N6BO9VFfDgjRDtmPg4lyq6wb")
	L("a=ice-options:trickle")
	L("a=fingerprint:sha-256 " MEDIA_FP)
	L("a=setup:actpass")
	L("a=mid:0")
	L("a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level")
	L("a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time")
	L("a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01")
	L("a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid")
	L("a=sendrecv")
	L("a=msid:3f6c2a1e-8d4b-4b2e-9a57-0c1d2e3f4a5b 7d1e0c2b-6a5f-4e3d-8c2b-1a0f9e8d7c6b")
	L("a=rtcp-mux")
	L("a=rtcp-rsize")
	L("a=rtpmap:111 opus/48000/2")
	L("a=rtcp-fb:111 transport-cc")
	L("a=fmtp:111 minptime=10;useinbandfec=1")
	L("a=rtpmap:63 red/48000/2")
	L("a=fmtp:63 111/111")
	L("a=rtpmap:9 G722/8000")
	L("a=rtpmap:0 PCMU/8000")
	L("a=rtpmap:8 PCMA/8000")
	L("a=rtpmap:13 CN/8000")
	L("a=rtpmap:110 telephone-event/48000")
	L("a=rtpmap:126 telephone-event/8000")
	L("a=ssrc:2785125483 cname:k4T8qH2zJv7NcX1p")
	L("a=ssrc:2785125483 msid:3f6c2a1e-8d4b-4b2e-9a57-0c1d2e3f4a5b 7d1e0c2b-6a5f-4e3d-8c2b-1a0f9e8d7c6b")
	L("m=video 9 UDP/TLS/RTP/SAVPF 96 97 102 103 45 46")
	L("c=IN IP4 0.0.0.0")
	L("a=rtcp:9 IN IP4 0.0.0.0")
	L("a=ice-ufrag:4ZcD")
	L("a=ice-pwd:N6BO9VFfDgjRDtmPg4lyq6wb")
	L("a=ice-options:trickle")
	L("a=fingerprint:sha-256 " MEDIA_FP)
	L("a=setup:actpass")
	L("a=mid:1")
	L("a=extmap:14 urn:ietf:params:rtp-hdrext:toffset")
	L("a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid")
	L("a=recvonly")
	L("a=rtcp-mux")
	L("a=rtcp-rsize")
	L("a=rtpmap:96 VP8/90000")
	L("a=rtcp-fb:96 goog-remb")
	L("a=rtcp-fb:96 transport-cc")
	L("a=rtcp-fb:96 ccm fir")
	L("a=rtcp-fb:96 nack")
	L("a=rtcp-fb:96 nack pli")
	L("a=rtpmap:97 rtx/90000")
	L("a=fmtp:97 apt=96")
	L("a=rtpmap:102 H264/90000")
	L("a=rtcp-fb:102 nack pli")
	L("a=fmtp:102 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f")
	L("a=rtpmap:103 rtx/90000")
	L("a=fmtp:103 apt=102")
	L("a=rtpmap:45 AV1/90000")
	L("a=rtcp-fb:45 nack")
	L("a=fmtp:45 level-idx=5;profile=0;tier=0")
	L("a=rtpmap:46 rtx/90000")
	L("a=fmtp:46 apt=45")
	L("m=application 9 UDP/DTLS/SCTP webrtc-datachannel")
	L("c=IN IP4 0.0.0.0")
	L("b=AS:30")
	L("a=ice-ufrag:4ZcD")
	L("a=ice-pwd:N6BO9VFfDgjRDtmPg4lyq6wb")
	L("a=ice-options:trickle")
	L("a=fingerprint:sha-256 " MEDIA_FP)
	L("a=setup:actpass")
	L("a=mid:2")
	L("a=sctp-port:5000")
	L("a=max-message-size:262144");

/* RFC 9143 §7.1.3 style: transport attributes and candidates only in the BUNDLE-tagged
 * section; the data section carries its own SCTP attributes and nothing else. */
static const char tagged_offer[] =
	L("v=0")
	L("o=- 99 1 IN IP4 192.0.2.1")
	L("s=-")
	L("t=0 0")
	L("a=group:BUNDLE a0 d1")
	L("m=audio 40000 UDP/TLS/RTP/SAVPF 111")
	L("c=IN IP4 192.0.2.1")
	L("a=mid:a0")
	L("a=ice-ufrag:Tag1")
	L("a=ice-pwd:tagpasswordtagpassword")
	L("a=ice-options:trickle")
	L("a=fingerprint:sha-256 " FIREFOX_FP)
	L("a=setup:passive")
	L("a=candidate:1 1 udp 2130706431 192.0.2.1 40000 typ host")
	L("a=end-of-candidates")
	L("a=rtcp-mux")
	L("a=rtpmap:111 opus/48000/2")
	L("m=application 40000 UDP/DTLS/SCTP webrtc-datachannel")
	L("c=IN IP4 192.0.2.1")
	L("a=mid:d1")
	L("a=sctp-port:5001")
	L("a=max-message-size:0");

/* --- Expected output (WEBRTC-NOTES 1.5 A and B). ------------------------------------------ */

static const char expected_offer[] =
	L("v=0")
	L("o=- 4611731400430051336 1 IN IP4 0.0.0.0")
	L("s=-")
	L("t=0 0")
	L("a=group:BUNDLE 0")
	L("a=ice-options:trickle")
	L("a=msid-semantic:WMS *")
	L("m=application 9 UDP/DTLS/SCTP webrtc-datachannel")
	L("c=IN IP4 0.0.0.0")
	L("a=mid:0")
	L("a=ice-ufrag:" OUR_UFRAG)
	L("a=ice-pwd:" OUR_PWD)
	L("a=ice-options:trickle")
	L("a=fingerprint:sha-256 " OUR_FP)
	L("a=setup:actpass")
	L("a=sctp-port:5000")
	L("a=max-message-size:262144");

static const char expected_answer[] =
	L("v=0")
	L("o=- 7240124399126813445 1 IN IP4 0.0.0.0")
	L("s=-")
	L("t=0 0")
	L("a=group:BUNDLE 0")
	L("a=msid-semantic:WMS *")
	L("m=application 9 UDP/DTLS/SCTP webrtc-datachannel")
	L("c=IN IP4 0.0.0.0")
	L("a=mid:0")
	L("a=ice-ufrag:" OUR_UFRAG)
	L("a=ice-pwd:" OUR_PWD)
	L("a=ice-options:trickle")
	L("a=fingerprint:sha-256 " OUR_FP)
	L("a=setup:active")
	L("a=sctp-port:5000")
	L("a=max-message-size:262144");

static const char expected_av_answer[] =
	L("v=0")
	L("o=- 7240124399126813445 1 IN IP4 0.0.0.0")
	L("s=-")
	L("t=0 0")
	L("a=group:BUNDLE 2")
	L("a=msid-semantic:WMS *")
	L("m=audio 0 UDP/TLS/RTP/SAVPF 111")
	L("c=IN IP4 0.0.0.0")
	L("a=mid:0")
	L("m=video 0 UDP/TLS/RTP/SAVPF 96")
	L("c=IN IP4 0.0.0.0")
	L("a=mid:1")
	L("m=application 9 UDP/DTLS/SCTP webrtc-datachannel")
	L("c=IN IP4 0.0.0.0")
	L("a=mid:2")
	L("a=ice-ufrag:" OUR_UFRAG)
	L("a=ice-pwd:" OUR_PWD)
	L("a=ice-options:trickle")
	L("a=fingerprint:sha-256 " OUR_FP)
	L("a=setup:active")
	L("a=sctp-port:5000")
	L("a=max-message-size:262144");

/* --- Helpers ------------------------------------------------------------------------------ */

static struct sdp_desc D1, D2, D3, D4;
static const struct sdp_desc ZERO_DESC;

/* Rotating scratch buffers so edits can be chained: edit(edit(x, a, b), c, d). */
static char scratch[4][2 * SDP_MAX_TEXT + 1];
static unsigned scratch_next;

/* Returns base with the single occurrence of `from` replaced by `to`. */
static const char *edit(const char *base, const char *from, const char *to)
{
	char *out = scratch[scratch_next++ % 4];
	const char *at = strstr(base, from);
	if (!at || strstr(at + 1, from))
		fail_msg("edit: '%s' must occur exactly once in the fixture", from);
	size_t head = (size_t)(at - base), fl = strlen(from), tl = strlen(to);
	size_t tail = strlen(at + fl);
	if (head + tl + tail >= sizeof(scratch[0]))
		fail_msg("edit: result too large");
	memcpy(out, base, head);
	memcpy(out + head, to, tl);
	memcpy(out + head + tl, at + fl, tail + 1);
	return out;
}

/* Line generators for append_lines(): line number i -> text (with its line end). */
static void gen_pad(char *b, size_t cap, unsigned i)
{
	snprintf(b, cap, "a=x-pad:%u\r\n", i);
}

static void gen_big_pad(char *b, size_t cap, unsigned i)
{
	snprintf(b, cap, "a=x-pad:%04u%01000u\r\n", i, 0u);
}

static void gen_fingerprint(char *b, size_t cap, unsigned i)
{
	snprintf(b, cap, "a=fingerprint:sha-1 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:"
			 "00:11:%02u:01\r\n", i);
}

static void gen_audio(char *b, size_t cap, unsigned i)
{
	snprintf(b, cap, "m=audio 0 RTP/AVP %u\r\n", i);
}

static void gen_candidate(char *b, size_t cap, unsigned i)
{
	snprintf(b, cap, "a=candidate:%u 1 udp 1 192.0.2.1 %u typ host\r\n", i, 1000 + i);
}

static void gen_mid(char *b, size_t cap, unsigned i)
{
	snprintf(b, cap, " m%u", i);
}

/* base followed by `count` generated lines. */
static const char *append_lines(const char *base, unsigned count,
				void (*gen)(char *b, size_t cap, unsigned i))
{
	char *out = scratch[scratch_next++ % 4];
	char line[SDP_MAX_LINE + 64];
	size_t pos = strlen(base);
	memcpy(out, base, pos + 1);
	for (unsigned i = 0; i < count; i++) {
		gen(line, sizeof(line), i);
		size_t n = strlen(line);
		if (pos + n >= sizeof(scratch[0]))
			fail_msg("append_lines: too large");
		memcpy(out + pos, line, n + 1);
		pos += n;
	}
	return out;
}

/* CRLF -> LF. */
static const char *lf_only(const char *text)
{
	char *out = scratch[scratch_next++ % 4];
	size_t j = 0;
	for (size_t i = 0; text[i]; i++)
		if (text[i] != '\r')
			out[j++] = text[i];
	out[j] = '\0';
	return out;
}

static void parse_ok_len(const char *text, size_t len, enum sdp_type type, struct sdp_desc *d)
{
	char err[256] = "";
	int rc = sdp_parse(text, len, type, d, err, sizeof(err));
	if (rc != SDP_OK)
		fail_msg("sdp_parse(%s) failed: %d %s: %s", sdp_type_name(type), rc,
			 sdp_strerror(rc), err);
	rc = sdp_validate(d, err, sizeof(err));
	if (rc != SDP_OK)
		fail_msg("parsed description does not validate: %s", err);
}

static void parse_ok(const char *text, enum sdp_type type, struct sdp_desc *d)
{
	parse_ok_len(text, strlen(text), type, d);
}

static void parse_fails_len(const char *text, size_t len, enum sdp_type type, int code,
			    const char *msg)
{
	char err[256] = "";
	int rc = sdp_parse(text, len, type, &D4, err, sizeof(err));
	if (rc != code || !strstr(err, msg))
		fail_msg("sdp_parse returned %d (%s) \"%s\"; want %d containing \"%s\"", rc,
			 sdp_strerror(rc), err, code, msg);
	if (memcmp(&D4, &ZERO_DESC, sizeof(D4)) != 0)
		fail_msg("description not zeroed after a failed parse");
}

static void parse_fails(const char *text, enum sdp_type type, int code, const char *msg)
{
	parse_fails_len(text, strlen(text), type, code, msg);
}

/* Compares a malloc'd text (consumed) with the expected one, showing the first difference. */
static void assert_text(char *got, const char *want)
{
	char why[1024];
	if (!got)
		fail_msg("sdp_write returned NULL");
	if (strcmp(got, want) == 0) {
		free(got);
		return;
	}
	size_t i = 0;
	while (got[i] && got[i] == want[i])
		i++;
	size_t from = i > 60 ? i - 60 : 0;
	snprintf(why, sizeof(why), "text differs at byte %zu:\n  got  ...%.120s\n  want ...%.120s",
		 i, got + from, want + from);
	free(got);
	fail_msg("%s", why);
}

static void fp_from_text(struct sdp_fingerprint *fp, const char *alg, const char *hex)
{
	memset(fp, 0, sizeof(*fp));
	snprintf(fp->alg, sizeof(fp->alg), "%s", alg);
	assert_int_equal(sdp_fingerprint_parse(hex, strlen(hex), fp->bytes, SDP_FP_MAX_BYTES,
					       &fp->len),
			 SDP_OK);
}

static void our_local(struct sdp_local *l, uint64_t session_id)
{
	sdp_local_init(l);
	l->session_id = session_id;
	l->ufrag = OUR_UFRAG;
	l->pwd = OUR_PWD;
	fp_from_text(&l->fingerprint, "sha-256", OUR_FP);
}

static void assert_fp(const struct sdp_fingerprint *fp, const char *alg, const char *hex)
{
	char text[SDP_FP_TEXT_MAX];
	assert_non_null(fp);
	assert_string_equal(fp->alg, alg);
	assert_int_equal(sdp_fingerprint_format(fp->bytes, fp->len, text, sizeof(text)), SDP_OK);
	assert_string_equal(text, hex);
}

static bool has_bundle(const struct sdp_desc *d, const char *mid)
{
	for (size_t i = 0; i < d->bundle_count; i++)
		if (strcmp(d->bundle[i], mid) == 0)
			return true;
	return false;
}

/* What a round trip must keep: everything about the data channel and the section layout. */
static void assert_same_desc(const struct sdp_desc *a, const struct sdp_desc *b)
{
	const struct sdp_section *da = sdp_data_section(a), *db = sdp_data_section(b);
	assert_non_null(da);
	assert_non_null(db);
	assert_int_equal(a->type, b->type);
	assert_true(a->session_id == b->session_id);
	assert_true(a->session_version == b->session_version);
	assert_int_equal(a->ice_lite, b->ice_lite);
	assert_int_equal(a->session.trickle, b->session.trickle);
	assert_int_equal(a->section_count, b->section_count);
	assert_int_equal(a->data_index, b->data_index);
	for (size_t i = 0; i < a->section_count; i++) {
		assert_string_equal(a->sections[i].kind, b->sections[i].kind);
		assert_string_equal(a->sections[i].mid, b->sections[i].mid);
		if (i != a->data_index) {
			assert_string_equal(a->sections[i].proto, b->sections[i].proto);
			assert_string_equal(a->sections[i].fmt, b->sections[i].fmt);
		}
	}
	assert_int_equal(da->port, db->port);
	assert_int_equal(da->sctp_port, db->sctp_port);
	assert_true(da->max_message_size == db->max_message_size);
	assert_string_equal(da->transport.ufrag, db->transport.ufrag);
	assert_string_equal(da->transport.pwd, db->transport.pwd);
	assert_int_equal(da->transport.setup, db->transport.setup);
	assert_int_equal(da->transport.trickle, db->transport.trickle);
	assert_int_equal(da->transport.fingerprint_count, db->transport.fingerprint_count);
	for (size_t i = 0; i < da->transport.fingerprint_count; i++) {
		const struct sdp_fingerprint *fa = &da->transport.fingerprints[i];
		const struct sdp_fingerprint *fb = &db->transport.fingerprints[i];
		assert_string_equal(fa->alg, fb->alg);
		assert_int_equal(fa->len, fb->len);
		assert_memory_equal(fa->bytes, fb->bytes, fa->len);
	}
	assert_int_equal(a->candidate_count, b->candidate_count);
	for (size_t i = 0; i < a->candidate_count; i++)
		assert_string_equal(a->candidates[i].line, b->candidates[i].line);
	assert_int_equal(a->end_of_candidates, b->end_of_candidates);
	assert_int_equal(has_bundle(a, da->mid), has_bundle(b, db->mid));
}

/* write -> parse -> same fields; writing the re-parsed description gives the same text. */
static void assert_round_trip(const struct sdp_desc *d)
{
	char *text = sdp_write(d);
	if (!text)
		fail_msg("sdp_write returned NULL");
	char err[256] = "";
	int rc = sdp_parse(text, strlen(text), d->type, &D3, err, sizeof(err));
	if (rc != SDP_OK) {
		char why[512];
		snprintf(why, sizeof(why), "written text does not parse back: %s", err);
		free(text);
		fail_msg("%s", why);
	}
	assert_same_desc(d, &D3);
	assert_text(sdp_write(&D3), text);
	free(text);
}

/* --- Writing our own descriptions. ------------------------------------------------------- */

static void test_write_our_offer(void **state)
{
	struct sdp_local l;
	char err[256];
	(void)state;
	our_local(&l, 4611731400430051336ULL);
	assert_int_equal(sdp_offer_create(&l, &D1, err, sizeof(err)), SDP_OK);
	assert_text(sdp_write(&D1), expected_offer);
	assert_round_trip(&D1);
}

static void test_write_our_answer(void **state)
{
	struct sdp_local l;
	char err[256];
	(void)state;
	parse_ok(chrome_offer, SDP_OFFER, &D1);
	our_local(&l, 7240124399126813445ULL);
	assert_int_equal(sdp_answer_create(&D1, &l, &D2, err, sizeof(err)), SDP_OK);
	assert_text(sdp_write(&D2), expected_answer);
	assert_int_equal(sdp_answer_check(&D1, &D2, err, sizeof(err)), SDP_OK);
	assert_round_trip(&D2);
}

/* a=x-rtcpeer-lanes (TRANSFER.md §12): written only above 1, answered only when offered and
 * then with the smaller count; a bad value means no lanes, never a refused description. */
static void test_lanes_attribute(void **state)
{
	struct sdp_local l;
	char err[256];
	(void)state;
	our_local(&l, 1);
	l.lanes = 16;
	/* A browser's offer has no lanes: neither has our answer. */
	parse_ok(chrome_offer, SDP_OFFER, &D1);
	assert_int_equal(sdp_data_section(&D1)->lanes, 1);
	assert_int_equal(sdp_answer_create(&D1, &l, &D2, err, sizeof(err)), SDP_OK);
	char *text = sdp_write(&D2);
	assert_non_null(text);
	assert_null(strstr(text, "x-rtcpeer-lanes"));
	free(text);
	/* An offer with 8: we answer min(8, 16). */
	const char *with8 = edit(chrome_offer, "a=max-message-size:262144\r\n",
				 "a=max-message-size:262144\r\na=x-rtcpeer-lanes:8\r\n");
	parse_ok(with8, SDP_OFFER, &D1);
	assert_int_equal(sdp_data_section(&D1)->lanes, 8);
	assert_int_equal(sdp_answer_create(&D1, &l, &D2, err, sizeof(err)), SDP_OK);
	text = sdp_write(&D2);
	assert_non_null(strstr(text, "a=x-rtcpeer-lanes:8\r\n"));
	free(text);
	assert_round_trip(&D2);
	assert_int_equal(D3.sections[D3.data_index].lanes, 8);
	/* Our offer says 16. */
	assert_int_equal(sdp_offer_create(&l, &D1, err, sizeof(err)), SDP_OK);
	text = sdp_write(&D1);
	assert_non_null(strstr(text, "a=x-rtcpeer-lanes:16\r\n"));
	free(text);
	/* Out of range, not a number, or a second line: tolerated, the first good one counts. */
	static const char *const bad[] = {"0", "65", "x", "", "-1", "99999999999999999999999"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char line[128];
		snprintf(line, sizeof(line), "a=max-message-size:262144\r\na=x-rtcpeer-lanes:%s\r\n",
			 bad[i]);
		parse_ok(edit(chrome_offer, "a=max-message-size:262144\r\n", line), SDP_OFFER, &D1);
		assert_int_equal(sdp_data_section(&D1)->lanes, 1);
	}
	parse_ok(edit(chrome_offer, "a=max-message-size:262144\r\n",
		      "a=max-message-size:262144\r\na=x-rtcpeer-lanes:4\r\na=x-rtcpeer-lanes:9\r\n"),
		 SDP_OFFER, &D1);
	assert_int_equal(sdp_data_section(&D1)->lanes, 4);
	l.lanes = SDP_MAX_LANES + 1;
	assert_int_not_equal(sdp_offer_create(&l, &D1, err, sizeof(err)), SDP_OK);
}

static void test_answer_rejects_media_sections(void **state)
{
	struct sdp_local l;
	char err[256];
	(void)state;
	parse_ok(chrome_av_offer, SDP_OFFER, &D1);
	our_local(&l, 7240124399126813445ULL);
	assert_int_equal(sdp_answer_create(&D1, &l, &D2, err, sizeof(err)), SDP_OK);
	assert_text(sdp_write(&D2), expected_av_answer);
	assert_int_equal(sdp_answer_check(&D1, &D2, err, sizeof(err)), SDP_OK);
	/* The written answer parses back as an answer with the same layout. */
	assert_round_trip(&D2);
	assert_int_equal(D3.sections[0].port, 0);
	assert_int_equal(D3.sections[1].port, 0);
	assert_int_equal(D3.bundle_count, 1);
	assert_string_equal(D3.bundle[0], "2");
}

static void test_answer_roles(void **state)
{
	struct sdp_local l;
	char err[256];
	(void)state;
	our_local(&l, 1);
	/* RFC 8842 §5.3: an offer may already pick a role; we take the other one. */
	parse_ok(edit(chrome_offer, "a=setup:actpass", "a=setup:active"), SDP_OFFER, &D1);
	assert_int_equal(sdp_answer_create(&D1, &l, &D2, err, sizeof(err)), SDP_OK);
	assert_int_equal(sdp_data_section(&D2)->transport.setup, SDP_SETUP_PASSIVE);
	parse_ok(edit(chrome_offer, "a=setup:actpass", "a=setup:passive"), SDP_OFFER, &D1);
	assert_int_equal(sdp_answer_create(&D1, &l, &D2, err, sizeof(err)), SDP_OK);
	assert_int_equal(sdp_data_section(&D2)->transport.setup, SDP_SETUP_ACTIVE);
	/* actpass: our preference. */
	parse_ok(chrome_offer, SDP_OFFER, &D1);
	l.answer_setup = SDP_SETUP_PASSIVE;
	assert_int_equal(sdp_answer_create(&D1, &l, &D2, err, sizeof(err)), SDP_OK);
	assert_int_equal(sdp_data_section(&D2)->transport.setup, SDP_SETUP_PASSIVE);
	l.answer_setup = SDP_SETUP_ACTPASS;
	assert_int_equal(sdp_answer_create(&D1, &l, &D2, err, sizeof(err)), SDP_E_INVALID);
	assert_non_null(strstr(err, "answer_setup must be active or passive"));
	assert_int_equal(D2.type, SDP_TYPE_NONE);
}

static void test_answer_without_offer_bundle(void **state)
{
	struct sdp_local l;
	char err[256];
	(void)state;
	/* RFC 9143 §7.3: no BUNDLE group in the answer unless the offer asked for one. */
	parse_ok(edit(chrome_offer, L("a=group:BUNDLE 0"), ""), SDP_OFFER, &D1);
	assert_int_equal(D1.bundle_count, 0);
	our_local(&l, 7240124399126813445ULL);
	assert_int_equal(sdp_answer_create(&D1, &l, &D2, err, sizeof(err)), SDP_OK);
	assert_text(sdp_write(&D2), edit(expected_answer, L("a=group:BUNDLE 0"), ""));
}

static void test_answer_to_legacy_offer(void **state)
{
	struct sdp_local l;
	char err[256];
	char *text;
	(void)state;
	parse_ok(aiortc_offer, SDP_OFFER, &D1);
	our_local(&l, 7240124399126813445ULL);
	assert_int_equal(sdp_answer_create(&D1, &l, &D2, err, sizeof(err)), SDP_OK);
	/* We emit only the RFC 8841 form (WEBRTC-NOTES 1.1), with the offer's mid. */
	text = sdp_write(&D2);
	assert_non_null(text);
	assert_non_null(strstr(text, L("m=application 9 UDP/DTLS/SCTP webrtc-datachannel")));
	assert_null(strstr(text, "sctpmap"));
	free(text);
	assert_text(sdp_write(&D2), expected_answer);
}

static void test_local_errors(void **state)
{
	struct sdp_local l;
	char err[256];
	(void)state;
	our_local(&l, 1);
	l.ufrag = NULL;
	assert_int_equal(sdp_offer_create(&l, &D1, err, sizeof(err)), SDP_E_MISSING);
	our_local(&l, 1);
	l.ufrag = "abc";
	assert_int_equal(sdp_offer_create(&l, &D1, err, sizeof(err)), SDP_E_INVALID);
	assert_non_null(strstr(err, "ice-chars"));
	our_local(&l, 1);
	l.pwd = "has spaces in it, not ice";
	assert_int_equal(sdp_offer_create(&l, &D1, err, sizeof(err)), SDP_E_INVALID);
	our_local(&l, 1ULL << 63);
	assert_int_equal(sdp_offer_create(&l, &D1, err, sizeof(err)), SDP_E_INVALID);
	assert_non_null(strstr(err, "2^63"));
	our_local(&l, 1);
	l.fingerprint.len = 31; /* sha-256 must be 32 bytes */
	assert_int_equal(sdp_offer_create(&l, &D1, err, sizeof(err)), SDP_E_INVALID);
	our_local(&l, 1);
	l.mid = "has space";
	assert_int_equal(sdp_offer_create(&l, &D1, err, sizeof(err)), SDP_E_INVALID);
	our_local(&l, 1);
	l.sctp_port = 0;
	assert_int_equal(sdp_offer_create(&l, &D1, err, sizeof(err)), SDP_E_INVALID);
	assert_int_equal(sdp_offer_create(NULL, &D1, err, sizeof(err)), SDP_E_MISSING);
	assert_int_equal(memcmp(&D1, &ZERO_DESC, sizeof(D1)), 0);
	/* An answer needs an offer. */
	our_local(&l, 1);
	parse_ok(chrome_answer, SDP_ANSWER, &D1);
	assert_int_equal(sdp_answer_create(&D1, &l, &D2, err, sizeof(err)), SDP_E_INVALID);
	assert_null(sdp_write(&ZERO_DESC));
}

static void test_answer_check(void **state)
{
	struct sdp_local l;
	char err[256];
	(void)state;
	our_local(&l, 1);
	assert_int_equal(sdp_offer_create(&l, &D1, err, sizeof(err)), SDP_OK);
	parse_ok(chrome_answer, SDP_ANSWER, &D2);
	assert_int_equal(sdp_answer_check(&D1, &D2, err, sizeof(err)), SDP_OK);
	parse_ok(edit(chrome_answer, "a=mid:0", "a=mid:x"), SDP_ANSWER, &D2);
	assert_int_equal(sdp_answer_check(&D1, &D2, err, sizeof(err)), SDP_E_INVALID);
	assert_non_null(strstr(err, "offer had application/'0'"));
	parse_ok(edit(chrome_answer, "a=group:BUNDLE 0", "a=group:BUNDLE 0 7"), SDP_ANSWER, &D2);
	assert_int_equal(sdp_answer_check(&D1, &D2, err, sizeof(err)), SDP_E_INVALID);
	assert_non_null(strstr(err, "answer bundles mid '7'"));
	parse_ok(edit(chrome_answer, "m=application", L("m=audio 0 RTP/AVP 0") "m=application"),
		 SDP_ANSWER, &D2);
	assert_int_equal(sdp_answer_check(&D1, &D2, err, sizeof(err)), SDP_E_INVALID);
	assert_non_null(strstr(err, "answer has 2 m= sections, offer had 1"));
	assert_int_equal(sdp_answer_check(&D2, &D1, err, sizeof(err)), SDP_E_INVALID);
}

static void test_add_candidate_non_trickle(void **state)
{
	struct sdp_local l;
	char err[256];
	(void)state;
	our_local(&l, 4611731400430051336ULL);
	assert_int_equal(sdp_offer_create(&l, &D1, err, sizeof(err)), SDP_OK);
	const char *host = "a=candidate:1 1 UDP 2015363327 192.0.2.10 50093 typ host";
	assert_int_equal(sdp_add_candidate(&D1, host, strlen(host), err, sizeof(err)), SDP_OK);
	const char *tcp = "candidate:2 1 TCP 1015021823 192.0.2.10 9 typ host tcptype active";
	assert_int_equal(sdp_add_candidate(&D1, tcp, strlen(tcp), err, sizeof(err)), SDP_OK);
	assert_int_equal(sdp_add_candidate(&D1, tcp, strlen(tcp), err, sizeof(err)), SDP_OK);
	assert_int_equal(D1.candidate_count, 2); /* the duplicate is ignored */
	assert_int_equal(sdp_add_candidate(&D1, "candidate:x", 11, err, sizeof(err)), SDP_E_SYNTAX);
	D1.end_of_candidates = true;
	assert_text(sdp_write(&D1),
		    edit(expected_offer, L("a=max-message-size:262144"),
			 L("a=max-message-size:262144")
			 L("a=candidate:1 1 UDP 2015363327 192.0.2.10 50093 typ host")
			 L("a=candidate:2 1 TCP 1015021823 192.0.2.10 9 typ host tcptype active")
			 L("a=end-of-candidates")));
	assert_round_trip(&D1);
	memset(&D4, 0, sizeof(D4));
	assert_int_equal(sdp_add_candidate(&D4, tcp, strlen(tcp), err, sizeof(err)), SDP_E_INVALID);
}

/* --- Parsing what browsers and libraries send. ------------------------------------------- */

static void test_parse_chrome_offer(void **state)
{
	(void)state;
	parse_ok(chrome_offer, SDP_OFFER, &D1);
	const struct sdp_section *s = sdp_data_section(&D1);
	assert_int_equal(D1.type, SDP_OFFER);
	assert_true(D1.session_id == 1270620933866676358ULL);
	assert_true(D1.session_version == 2);
	assert_false(D1.ice_lite);
	assert_false(D1.session.trickle);
	assert_int_equal(D1.section_count, 1);
	assert_int_equal(D1.bundle_count, 1);
	assert_string_equal(D1.bundle[0], "0");
	assert_int_equal(s->media, SDP_MEDIA_APPLICATION);
	assert_string_equal(s->kind, "application");
	assert_int_equal(s->port, 9);
	assert_string_equal(s->proto, "UDP/DTLS/SCTP");
	assert_string_equal(s->fmt, "webrtc-datachannel");
	assert_string_equal(s->mid, "0");
	assert_false(s->legacy_sctpmap);
	assert_int_equal(s->sctp_port, 5000);
	assert_true(s->max_message_size == 262144);
	assert_string_equal(s->transport.ufrag, "TCgj");
	assert_string_equal(s->transport.pwd, "iFgnue93eNGBhRmfRckDKbtP");
	assert_true(s->transport.trickle);
	assert_int_equal(s->transport.setup, SDP_SETUP_ACTPASS);
	assert_false(s->transport.setup_implied);
	assert_int_equal(s->transport.fingerprint_count, 1);
	assert_fp(&s->transport.fingerprints[0], "sha-256", CHROME_FP);
	assert_int_equal(D1.candidate_count, 0);
	assert_false(D1.end_of_candidates);
}

static void test_parse_chrome_answer(void **state)
{
	(void)state;
	parse_ok(chrome_answer, SDP_ANSWER, &D1);
	const struct sdp_section *s = sdp_data_section(&D1);
	assert_int_equal(D1.type, SDP_ANSWER);
	assert_int_equal(s->transport.setup, SDP_SETUP_ACTIVE);
	assert_string_equal(s->transport.ufrag, "8sJx");
	assert_fp(sdp_fingerprint_find(&s->transport, "SHA-256"), "sha-256", CHROME_ANS_FP);
	/* The same text as an offer is fine too: active is legal there (RFC 8842 §5.3). */
	parse_ok(chrome_answer, SDP_OFFER, &D2);
}

static void test_parse_firefox_offer(void **state)
{
	(void)state;
	parse_ok(firefox_offer, SDP_OFFER, &D1);
	const struct sdp_section *s = sdp_data_section(&D1);
	assert_true(D1.session_id == 5404343442512418345ULL);
	assert_true(D1.session_version == 0);
	assert_true(D1.session.trickle);
	/* Session-level fingerprint, inherited by the section; kept as written at session level. */
	assert_int_equal(D1.session.fingerprint_count, 1);
	assert_int_equal(s->transport.fingerprint_count, 1);
	assert_fp(&s->transport.fingerprints[0], "sha-256", FIREFOX_FP);
	assert_string_equal(s->transport.ufrag, "77f4371d");
	assert_string_equal(s->transport.pwd, "31ad9935e1970f9469347797c578ee5c");
	assert_true(s->transport.trickle);
	assert_true(s->max_message_size == 1073741823);
}

static void test_parse_firefox_answer_with_candidates(void **state)
{
	struct sdp_candidate_info ci;
	char err[256];
	(void)state;
	parse_ok(firefox_answer, SDP_ANSWER, &D1);
	const struct sdp_section *s = sdp_data_section(&D1);
	assert_int_equal(s->port, 50093);
	assert_int_equal(s->transport.setup, SDP_SETUP_ACTIVE);
	assert_true(D1.end_of_candidates);
	assert_true(s->end_of_candidates);
	assert_int_equal(D1.candidate_count, 3);
	assert_string_equal(D1.candidates[0].line,
			    "candidate:0 1 UDP 2122252543 9b1c3f0e-5a7d-4c2b-8e61-0f2d4a6b8c1e.local "
			    "50093 typ host");
	assert_int_equal(D1.candidates[0].addr_kind, SDP_ADDR_MDNS);
	assert_int_equal(D1.candidates[0].section, 0);
	assert_string_equal(D1.candidates[1].line,
			    "candidate:2 1 TCP 2105524479 9b1c3f0e-5a7d-4c2b-8e61-0f2d4a6b8c1e.local 9 "
			    "typ host tcptype active");
	assert_string_equal(D1.candidates[2].line,
			    "candidate:1 1 UDP 1686052863 198.51.100.7 50093 typ srflx raddr 0.0.0.0 "
			    "rport 0");
	assert_int_equal(D1.candidates[2].addr_kind, SDP_ADDR_IPV4);
	/* Every kept line checks as a candidate. */
	for (size_t i = 0; i < D1.candidate_count; i++)
		assert_int_equal(sdp_candidate_check(D1.candidates[i].line,
						     strlen(D1.candidates[i].line), &ci, err,
						     sizeof(err)),
				 SDP_OK);
}

static void test_parse_aiortc_legacy_offer(void **state)
{
	(void)state;
	parse_ok(aiortc_offer, SDP_OFFER, &D1);
	const struct sdp_section *s = sdp_data_section(&D1);
	assert_true(D1.session_id == 3863215046ULL);
	assert_string_equal(s->proto, "DTLS/SCTP");
	assert_string_equal(s->fmt, "5000");
	assert_true(s->legacy_sctpmap);
	assert_int_equal(s->sctp_port, 5000);
	assert_true(s->max_message_size == 65536);
	assert_int_equal(s->port, 54132);
	assert_false(s->transport.trickle);
	assert_int_equal(s->transport.fingerprint_count, 3);
	assert_fp(&s->transport.fingerprints[0], "sha-256", AIO_FP256);
	assert_fp(&s->transport.fingerprints[1], "sha-384", AIO_FP384);
	assert_fp(&s->transport.fingerprints[2], "sha-512", AIO_FP512);
	assert_fp(sdp_fingerprint_find(&s->transport, "sha-512"), "sha-512", AIO_FP512);
	assert_null(sdp_fingerprint_find(&s->transport, "sha-1"));
	assert_int_equal(D1.candidate_count, 2);
	assert_true(D1.end_of_candidates);
	/* Legacy port from the sctpmap, not the sctp-port default. */
	parse_ok(edit(edit(aiortc_offer, "DTLS/SCTP 5000", "DTLS/SCTP 5001"),
		      "a=sctpmap:5000", "a=sctpmap:5001"),
		 SDP_OFFER, &D2);
	assert_int_equal(sdp_data_section(&D2)->sctp_port, 5001);
}

static void test_parse_chrome_av_offer(void **state)
{
	(void)state;
	parse_ok(chrome_av_offer, SDP_OFFER, &D1);
	assert_int_equal(D1.section_count, 3);
	assert_int_equal(D1.data_index, 2);
	assert_int_equal(D1.bundle_count, 3);
	assert_int_equal(D1.sections[0].media, SDP_MEDIA_AUDIO);
	assert_string_equal(D1.sections[0].fmt, "111");
	assert_string_equal(D1.sections[0].proto, "UDP/TLS/RTP/SAVPF");
	assert_false(D1.sections[0].is_data);
	assert_int_equal(D1.sections[1].media, SDP_MEDIA_VIDEO);
	assert_string_equal(D1.sections[1].fmt, "96");
	assert_string_equal(D1.sections[1].mid, "1");
	assert_true(D1.sections[2].is_data);
	assert_string_equal(D1.sections[2].mid, "2");
	assert_string_equal(D1.sections[2].transport.ufrag, "4ZcD");
	assert_string_equal(D1.sections[0].transport.ufrag, "4ZcD");
	assert_fp(&D1.sections[2].transport.fingerprints[0], "sha-256", MEDIA_FP);
}

static void test_parse_bundle_tag_inheritance(void **state)
{
	(void)state;
	parse_ok(tagged_offer, SDP_OFFER, &D1);
	const struct sdp_section *s = sdp_data_section(&D1);
	assert_int_equal(D1.data_index, 1);
	assert_string_equal(s->transport.ufrag, "Tag1");
	assert_string_equal(s->transport.pwd, "tagpasswordtagpassword");
	assert_int_equal(s->transport.setup, SDP_SETUP_PASSIVE);
	assert_false(s->transport.setup_implied);
	assert_true(s->transport.trickle);
	assert_fp(&s->transport.fingerprints[0], "sha-256", FIREFOX_FP);
	assert_int_equal(s->sctp_port, 5001);
	assert_true(s->max_message_size == 0); /* 0: no limit (RFC 8841 §6) */
	/* The tagged section's candidates belong to the data channel's transport. */
	assert_int_equal(D1.candidate_count, 1);
	assert_int_equal(D1.candidates[0].section, 0);
	assert_true(D1.end_of_candidates);
	/* Without the group nothing is inherited: the data section has no credentials. */
	parse_fails(edit(tagged_offer, L("a=group:BUNDLE a0 d1"), ""), SDP_OFFER, SDP_E_MISSING,
		    "the data-channel section (m= at line 17, mid 'd1') has no a=ice-ufrag");
	assert_round_trip(&D1);
}

static void test_parse_tolerance(void **state)
{
	(void)state;
	parse_ok(chrome_offer, SDP_OFFER, &D1);
	/* LF line ends. */
	parse_ok(lf_only(chrome_offer), SDP_OFFER, &D2);
	assert_same_desc(&D1, &D2);
	/* Trailing spaces and tabs, blank lines, no final line end. */
	const char *t = edit(chrome_offer, L("a=ice-ufrag:TCgj"), L("a=ice-ufrag:TCgj  \t") L(""));
	t = edit(t, L("a=mid:0"), L("a=mid:0 ") "\n\n");
	t = edit(t, "a=max-message-size:262144\r\n", "a=max-message-size:262144 ");
	parse_ok(t, SDP_OFFER, &D2);
	assert_same_desc(&D1, &D2);
	/* Unknown attributes and lines: SNAP, ice2, b=AS in a data section, tls-id, i=. */
	t = edit(chrome_offer, L("a=mid:0"),
		 L("a=mid:0") L("a=sctp-init:q0cjBUeQd3Q") L("a=tls-id:1b2c3d") L("b=AS:30")
		 L("i=data") L("a=x-unknown") L("a=ice-options:ice2 trickle"));
	parse_ok(t, SDP_OFFER, &D2);
	assert_same_desc(&D1, &D2);
	/* Hash name in upper case, hex in lower case. */
	char lower[sizeof(CHROME_FP)];
	for (size_t i = 0; i < sizeof(CHROME_FP); i++)
		lower[i] = (char)((CHROME_FP[i] >= 'A' && CHROME_FP[i] <= 'F') ? CHROME_FP[i] + 32
									   : CHROME_FP[i]);
	char line[256];
	snprintf(line, sizeof(line), "a=fingerprint:SHA-256 %s", lower);
	parse_ok(edit(chrome_offer, "a=fingerprint:sha-256 " CHROME_FP, line), SDP_OFFER, &D2);
	assert_same_desc(&D1, &D2);
	/* Non-numeric mids, TCP/DTLS/SCTP, a count after the port. */
	parse_ok(edit(edit(chrome_offer, "a=mid:0", "a=mid:sdparta_0"), "BUNDLE 0",
		      "BUNDLE sdparta_0"),
		 SDP_OFFER, &D2);
	assert_string_equal(sdp_data_section(&D2)->mid, "sdparta_0");
	assert_int_equal(D2.bundle_count, 1);
	parse_ok(edit(chrome_offer, "9 UDP/DTLS/SCTP", "9/1 TCP/DTLS/SCTP"), SDP_OFFER, &D2);
	assert_string_equal(sdp_data_section(&D2)->proto, "TCP/DTLS/SCTP");
	/* Trickle said at any level holds; a media-level a=ice-options without it does not
	 * take it away (found by the fuzzer: such a description did not round-trip). */
	parse_ok(edit(firefox_offer, L("a=sendrecv"), L("a=sendrecv") L("a=ice-options:ice2")),
		 SDP_OFFER, &D2);
	assert_true(sdp_data_section(&D2)->transport.trickle);
	assert_round_trip(&D2);
	/* ice-lite and session-level end-of-candidates. */
	parse_ok(edit(chrome_offer, L("t=0 0"), L("t=0 0") L("a=ice-lite") L("a=end-of-candidates")),
		 SDP_OFFER, &D2);
	assert_true(D2.ice_lite);
	assert_true(D2.end_of_candidates);
	assert_round_trip(&D2);
	/* Input without a terminating NUL: parse exactly len bytes. */
	size_t n = strlen(chrome_offer);
	char *copy = malloc(n);
	assert_non_null(copy);
	memcpy(copy, chrome_offer, n);
	char err[256];
	int rc = sdp_parse(copy, n, SDP_OFFER, &D2, err, sizeof(err));
	free(copy);
	assert_int_equal(rc, SDP_OK);
}

static void test_parse_media_level_wins(void **state)
{
	(void)state;
	const char *t = edit(chrome_offer, L("t=0 0"),
			     L("t=0 0") L("a=ice-ufrag:sessUF") L("a=ice-pwd:sessionpasswordsessionpw")
			     L("a=setup:passive") L("a=fingerprint:sha-256 " FIREFOX_FP)
			     L("a=max-message-size:1000"));
	parse_ok(t, SDP_OFFER, &D1);
	const struct sdp_section *s = sdp_data_section(&D1);
	assert_string_equal(s->transport.ufrag, "TCgj");
	assert_string_equal(s->transport.pwd, "iFgnue93eNGBhRmfRckDKbtP");
	assert_int_equal(s->transport.setup, SDP_SETUP_ACTPASS);
	assert_int_equal(s->transport.fingerprint_count, 1);
	assert_fp(&s->transport.fingerprints[0], "sha-256", CHROME_FP);
	assert_true(s->max_message_size == 262144);
	/* The session-level values stay visible as written. */
	assert_string_equal(D1.session.ufrag, "sessUF");
	assert_int_equal(D1.session.setup, SDP_SETUP_PASSIVE);
	/* Without the media-level ones, the session-level values apply. */
	t = edit(edit(edit(t, L("a=setup:actpass"), ""), L("a=ice-ufrag:TCgj"), ""),
		 L("a=max-message-size:262144"), "");
	parse_ok(t, SDP_OFFER, &D1);
	s = sdp_data_section(&D1);
	assert_string_equal(s->transport.ufrag, "sessUF");
	assert_int_equal(s->transport.setup, SDP_SETUP_PASSIVE);
	assert_true(s->max_message_size == 1000);
}

static void test_parse_setup_defaults(void **state)
{
	(void)state;
	/* Offer without a=setup: actpass (JSEP offers always are). */
	parse_ok(edit(chrome_offer, L("a=setup:actpass"), ""), SDP_OFFER, &D1);
	assert_int_equal(sdp_data_section(&D1)->transport.setup, SDP_SETUP_ACTPASS);
	assert_true(sdp_data_section(&D1)->transport.setup_implied);
	/* Answer without a=setup: active, as Chrome assumes. */
	parse_ok(edit(chrome_answer, L("a=setup:active"), ""), SDP_ANSWER, &D1);
	assert_int_equal(sdp_data_section(&D1)->transport.setup, SDP_SETUP_ACTIVE);
	assert_true(sdp_data_section(&D1)->transport.setup_implied);
	/* Case-insensitive role (RFC 4145 ABNF literal). */
	parse_ok(edit(chrome_answer, "a=setup:active", "a=setup:PASSIVE"), SDP_ANSWER, &D1);
	assert_int_equal(sdp_data_section(&D1)->transport.setup, SDP_SETUP_PASSIVE);
}

static void test_parse_sctp_defaults(void **state)
{
	(void)state;
	/* RFC 8841 §5.1 / §6.1 defaults. */
	parse_ok(edit(edit(chrome_offer, L("a=sctp-port:5000"), ""), L("a=max-message-size:262144"),
		      ""),
		 SDP_OFFER, &D1);
	assert_int_equal(sdp_data_section(&D1)->sctp_port, SDP_DEFAULT_SCTP_PORT);
	assert_true(sdp_data_section(&D1)->max_message_size == SDP_DEFAULT_MAX_MESSAGE_SIZE);
	parse_ok(edit(edit(chrome_offer, "a=sctp-port:5000", "a=sctp-port:65535"),
		      "a=max-message-size:262144", "a=max-message-size:18446744073709551615"),
		 SDP_OFFER, &D1);
	assert_int_equal(sdp_data_section(&D1)->sctp_port, 65535);
	assert_true(sdp_data_section(&D1)->max_message_size == UINT64_MAX);
	parse_ok(edit(chrome_offer, "a=max-message-size:262144", "a=max-message-size:0"),
		 SDP_OFFER, &D1);
	assert_true(sdp_data_section(&D1)->max_message_size == 0);
	assert_round_trip(&D1);
}

static void test_parse_candidates_dedupe_and_skip(void **state)
{
	(void)state;
	const char *t = edit(chrome_offer, L("a=mid:0"),
			     L("a=mid:0")
			     L("a=candidate:1 1 udp 2113937151 192.0.2.1 5000 typ host generation 0")
			     L("a=candidate:1 1  udp 2113937151 192.0.2.1 5000 TYP host generation 0 ")
			     L("a=candidate:1 2 udp 2113937150 192.0.2.1 5001 typ host")
			     L("a=candidate:9 1 ssltcp 1 192.0.2.1 443 typ host")
			     L("a=candidate:8 1 udp 1 192.0.2.1 443 typ future")
			     L("a=candidate:3 1 udp 2113937151 fefbb9f2-1a2b-4c3d-8e4f-5a6b7c8d9e0f.local 5002 typ host"));
	parse_ok(t, SDP_OFFER, &D1);
	assert_int_equal(D1.candidate_count, 2);
	assert_int_equal(D1.candidates_skipped, 3);
	assert_string_equal(D1.candidates[0].line,
			    "candidate:1 1 udp 2113937151 192.0.2.1 5000 typ host generation 0");
	assert_int_equal(D1.candidates[1].addr_kind, SDP_ADDR_MDNS);
	assert_round_trip(&D1);
}

/* --- Errors. ------------------------------------------------------------------------------ */

static void test_error_no_data_section(void **state)
{
	(void)state;
	const char *want = "no usable data-channel section";
	parse_fails(edit(chrome_offer, "m=application 9 UDP/DTLS/SCTP webrtc-datachannel",
			 "m=audio 9 UDP/TLS/RTP/SAVPF 111"),
		    SDP_OFFER, SDP_E_MISSING, want);
	/* Port 0: rejected, so not usable. */
	parse_fails(edit(chrome_offer, "m=application 9", "m=application 0"), SDP_OFFER,
		    SDP_E_MISSING, want);
	/* Legacy without a=sctpmap, or with another protocol. */
	parse_fails(edit(aiortc_offer, L("a=sctpmap:5000 webrtc-datachannel 65535"), ""),
		    SDP_OFFER, SDP_E_MISSING, want);
	parse_fails(edit(aiortc_offer, "5000 webrtc-datachannel", "5000 bfcp"), SDP_OFFER,
		    SDP_E_MISSING, want);
	/* An application section that is not a data channel. */
	parse_fails(edit(chrome_offer, "webrtc-datachannel", "webrtc-other"), SDP_OFFER,
		    SDP_E_MISSING, want);
	parse_fails(L("v=0") L("o=- 1 1 IN IP4 0.0.0.0"), SDP_OFFER, SDP_E_MISSING, want);
}

static void test_error_two_data_sections(void **state)
{
	(void)state;
	const char *last = L("a=max-message-size:262144"); /* line 17 */
	parse_fails(edit(chrome_offer, last,
			 L("a=max-message-size:262144")
			 L("m=application 9 UDP/DTLS/SCTP webrtc-datachannel") L("a=mid:1")),
		    SDP_OFFER, SDP_E_UNSUPPORTED,
		    "line 18: second data-channel section (the first is at line 8)");
	/* A rejected second one is fine. */
	parse_ok(edit(chrome_offer, last,
		      L("a=max-message-size:262144")
		      L("m=application 0 UDP/DTLS/SCTP webrtc-datachannel") L("a=mid:1")),
		 SDP_OFFER, &D1);
	assert_int_equal(D1.section_count, 2);
	assert_int_equal(D1.data_index, 0);
}

static void test_error_missing_transport(void **state)
{
	(void)state;
	parse_fails(edit(chrome_offer, L("a=ice-ufrag:TCgj"), ""), SDP_OFFER, SDP_E_MISSING,
		    "the data-channel section (m= at line 8, mid '0') has no a=ice-ufrag at media "
		    "or session level");
	parse_fails(edit(chrome_offer, L("a=ice-pwd:iFgnue93eNGBhRmfRckDKbtP"), ""), SDP_OFFER,
		    SDP_E_MISSING, "has no a=ice-pwd");
	parse_fails(edit(chrome_offer, L("a=fingerprint:sha-256 " CHROME_FP), ""), SDP_OFFER,
		    SDP_E_MISSING, "has no a=fingerprint");
	/* Firefox's only fingerprint is at session level: without it there is none. */
	parse_fails(edit(firefox_offer, L("a=fingerprint:sha-256 " FIREFOX_FP), ""), SDP_OFFER,
		    SDP_E_MISSING, "has no a=fingerprint");
}

static void test_error_bad_fingerprints(void **state)
{
	(void)state;
	parse_fails(edit(chrome_offer, "sha-256 00:B7", "sha-256 0G:B7"), SDP_OFFER, SDP_E_SYNTAX,
		    "line 13: a=fingerprint: sha-256 is not hex pairs joined by ':'");
	parse_fails(edit(chrome_offer, ":BF:1A", ":BF"), SDP_OFFER, SDP_E_INVALID,
		    "line 13: a=fingerprint: sha-256 digest must be 32 bytes, not 31");
	parse_fails(edit(chrome_offer, "sha-256 00:B7", "sha-256 0:0B7"), SDP_OFFER,
		    SDP_E_SYNTAX, "line 13: a=fingerprint: sha-256 is not hex pairs");
	parse_fails(edit(chrome_offer, "sha-256 00:B7", "sha-256 00-B7"), SDP_OFFER,
		    SDP_E_SYNTAX, "line 13");
	parse_fails(edit(chrome_offer, "a=fingerprint:sha-256 " CHROME_FP, "a=fingerprint:sha-256"),
		    SDP_OFFER, SDP_E_SYNTAX, "line 13: a=fingerprint needs '<hash> <hex>'");
	parse_fails(edit(chrome_offer, CHROME_FP, CHROME_FP " extra"), SDP_OFFER, SDP_E_SYNTAX,
		    "line 13: a=fingerprint has extra text");
	parse_fails(edit(chrome_offer, "sha-256 " CHROME_FP, "sha-1 " CHROME_FP), SDP_OFFER,
		    SDP_E_INVALID, "sha-1 digest must be 20 bytes, not 32");
	parse_fails(edit(chrome_offer, "sha-256 " CHROME_FP, "sha-256 " AIO_FP512 ":00"),
		    SDP_OFFER, SDP_E_SYNTAX, "(at most 64 bytes)");
	parse_fails(edit(chrome_offer, "sha-256 ", "sha-256-is-a-long-name "), SDP_OFFER,
		    SDP_E_SYNTAX, "bad hash name");
	/* An unknown hash is kept (RFC 8122 allows any token); the consumer picks sha-256. */
	parse_ok(edit(chrome_offer, L("a=setup:actpass"),
		      L("a=fingerprint:x-hash AB:CD") L("a=setup:actpass")),
		 SDP_OFFER, &D1);
	assert_int_equal(sdp_data_section(&D1)->transport.fingerprint_count, 2);
	/* At most SDP_MAX_FINGERPRINTS per level. */
	const char *nine = append_lines(chrome_offer, 8, gen_fingerprint);
	parse_fails(nine, SDP_OFFER, SDP_E_LIMIT, "line 25: more than 8 a=fingerprint lines");
}

static void test_error_setup(void **state)
{
	(void)state;
	parse_fails(edit(chrome_answer, "a=setup:active", "a=setup:actpass"), SDP_ANSWER,
		    SDP_E_INVALID, "line 14: a=setup:actpass is illegal in an answer (RFC 5763 §5)");
	/* At session level too. */
	parse_fails(edit(edit(chrome_answer, L("a=setup:active"), ""), L("t=0 0"),
			 L("t=0 0") L("a=setup:actpass")),
		    SDP_ANSWER, SDP_E_INVALID, "line 5: a=setup:actpass is illegal in an answer");
	parse_fails(edit(chrome_offer, "a=setup:actpass", "a=setup:holdconn"), SDP_OFFER,
		    SDP_E_UNSUPPORTED, "line 14: a=setup:holdconn");
	parse_fails(edit(chrome_offer, "a=setup:actpass", "a=setup:maybe"), SDP_OFFER,
		    SDP_E_SYNTAX, "line 14: a=setup must be");
	parse_fails(edit(chrome_offer, L("a=setup:actpass"), L("a=setup:actpass") L("a=setup:active")),
		    SDP_OFFER, SDP_E_INVALID, "line 15: duplicate a=setup (first at line 14)");
}

static void test_error_limits(void **state)
{
	char line[SDP_MAX_LINE + 16];
	(void)state;
	/* Lines: 17 in the fixture, then padding up to exactly the limit is fine... */
	parse_ok(append_lines(chrome_offer, SDP_MAX_LINES - 17, gen_pad), SDP_OFFER,
		 &D1);
	/* ...one more is not. */
	parse_fails(append_lines(chrome_offer, SDP_MAX_LINES - 16, gen_pad), SDP_OFFER,
		    SDP_E_LIMIT, "line 4097: more than 4096 lines");
	/* Line length: 1024 bytes without the line end is fine, 1025 is not. */
	memset(line, 'A', sizeof(line));
	memcpy(line, "a=x-long:", 9);
	memcpy(line + SDP_MAX_LINE, "\r\n", 3);
	char big[2 * SDP_MAX_LINE];
	snprintf(big, sizeof(big), "%s%s", L("a=mid:0"), line);
	parse_ok(edit(chrome_offer, L("a=mid:0"), big), SDP_OFFER, &D1);
	memcpy(line + SDP_MAX_LINE, "A\r\n", 4);
	snprintf(big, sizeof(big), "%s%s", L("a=mid:0"), line);
	parse_fails(edit(chrome_offer, L("a=mid:0"), big), SDP_OFFER, SDP_E_LIMIT,
		    "line 16: longer than 1024 bytes");
	/* Sections: 32 are fine, the 33rd m= line is refused (17 + 32 = line 49). */
	parse_ok(append_lines(chrome_offer, SDP_MAX_SECTIONS - 1, gen_audio),
		 SDP_OFFER, &D1);
	assert_int_equal(D1.section_count, SDP_MAX_SECTIONS);
	assert_round_trip(&D1);
	parse_fails(append_lines(chrome_offer, SDP_MAX_SECTIONS, gen_audio),
		    SDP_OFFER, SDP_E_LIMIT, "line 49: more than 32 m= sections");
	/* Candidates: 64 distinct are fine, the 65th (line 17 + 65) is refused. */
	parse_ok(append_lines(chrome_offer, SDP_MAX_CANDIDATES, gen_candidate), SDP_OFFER, &D1);
	assert_int_equal(D1.candidate_count, SDP_MAX_CANDIDATES);
	assert_round_trip(&D1);
	parse_fails(append_lines(chrome_offer, SDP_MAX_CANDIDATES + 1, gen_candidate), SDP_OFFER,
		    SDP_E_LIMIT, "line 82: a=candidate: more than 64 candidates");
	/* The whole description. */
	const char *huge = append_lines(chrome_offer, 70, gen_big_pad);
	assert_true(strlen(huge) > SDP_MAX_TEXT);
	parse_fails(huge, SDP_OFFER, SDP_E_LIMIT, "the limit is 65536");
	/* A BUNDLE group naming more mids than there can be sections. */
	parse_fails(append_lines(L("v=0") L("o=- 1 1 IN IP4 0.0.0.0") "a=group:BUNDLE",
				 SDP_MAX_SECTIONS + 1, gen_mid),
		    SDP_OFFER, SDP_E_LIMIT, "line 3: a=group:BUNDLE lists more than 32 mids");
}

static void test_error_garbage(void **state)
{
	(void)state;
	parse_fails("", SDP_OFFER, SDP_E_SYNTAX, "empty description");
	parse_fails("hello world", SDP_OFFER, SDP_E_SYNTAX, "line 1: expected '<letter>=<value>'");
	parse_fails("\xff\xfe\x00garbage", SDP_OFFER, SDP_E_SYNTAX, "line 1");
	parse_fails(L("s=-") L("v=0"), SDP_OFFER, SDP_E_SYNTAX,
		    "line 1: a description starts with v=0");
	parse_fails(L("v=1"), SDP_OFFER, SDP_E_SYNTAX, "line 1: v= must be 0");
	parse_fails(L("v=0"), SDP_OFFER, SDP_E_MISSING, "no o= line");
	parse_fails(L("v=0") L("=0"), SDP_OFFER, SDP_E_SYNTAX, "line 2: expected");
	parse_fails(L("v=0") L("A=0"), SDP_OFFER, SDP_E_SYNTAX, "line 2: expected");
	/* Two descriptions pasted together. */
	char twice[2 * sizeof(chrome_offer)];
	snprintf(twice, sizeof(twice), "%s%s", chrome_offer, chrome_offer);
	parse_fails(twice, SDP_OFFER, SDP_E_SYNTAX, "line 18: second v= line");
	/* NUL and other control bytes; a lone CR inside a line. */
	char nul[sizeof(chrome_offer)];
	memcpy(nul, chrome_offer, sizeof(chrome_offer));
	nul[strlen(L("v=0") L("o=- 1270620933866676358 2 IN IP4 127.0.0.1") L("s=-")) + 1] = '\0';
	parse_fails_len(nul, sizeof(chrome_offer) - 1, SDP_OFFER, SDP_E_SYNTAX,
			"line 4: control byte 0x00");
	parse_fails(edit(chrome_offer, "a=mid:0", "a=mid:0\rx"), SDP_OFFER, SDP_E_SYNTAX,
		    "line 15: CR inside a line");
	parse_fails(edit(chrome_offer, "a=mid:0", "a=mid:0\x1b[31m"), SDP_OFFER, SDP_E_SYNTAX,
		    "line 15: control byte 0x1b");
	parse_fails(edit(chrome_offer, L("a=mid:0"), " " L("a=mid:0")), SDP_OFFER, SDP_E_SYNTAX,
		    "line 15: expected");
	parse_fails(edit(chrome_offer, L("s=-"), L("s=-") L("o=- 1 1 IN IP4 0.0.0.0")), SDP_OFFER,
		    SDP_E_SYNTAX, "line 4: second o= line");
	parse_fails(edit(chrome_offer, L("c=IN IP4 0.0.0.0"), L("o=- 1 1 IN IP4 0.0.0.0")),
		    SDP_OFFER, SDP_E_SYNTAX, "line 9: o= inside an m= section");
}

static void test_error_ice_credentials(void **state)
{
	char line[400];
	(void)state;
	const char *ufrag_msg = "line 10: a=ice-ufrag must be 4-256 ice-chars (RFC 8839 §5.4)";
	parse_fails(edit(chrome_offer, "a=ice-ufrag:TCgj", "a=ice-ufrag:TCg"), SDP_OFFER,
		    SDP_E_INVALID, ufrag_msg);
	parse_fails(edit(chrome_offer, "a=ice-ufrag:TCgj", "a=ice-ufrag:TC-gj"), SDP_OFFER,
		    SDP_E_INVALID, ufrag_msg);
	parse_fails(edit(chrome_offer, "a=ice-ufrag:TCgj", "a=ice-ufrag:"), SDP_OFFER,
		    SDP_E_INVALID, ufrag_msg);
	snprintf(line, sizeof(line), "a=ice-ufrag:%0257d", 0);
	parse_fails(edit(chrome_offer, "a=ice-ufrag:TCgj", line), SDP_OFFER, SDP_E_INVALID,
		    ufrag_msg);
	snprintf(line, sizeof(line), "a=ice-ufrag:%0256d", 0); /* exactly 256 is fine */
	parse_ok(edit(chrome_offer, "a=ice-ufrag:TCgj", line), SDP_OFFER, &D1);
	assert_round_trip(&D1);
	/* '+' and '/' are ice-chars (libnice generates them). */
	parse_ok(edit(chrome_offer, "a=ice-ufrag:TCgj", "a=ice-ufrag:a+/b"), SDP_OFFER, &D1);
	parse_fails(edit(chrome_offer, "iFgnue93eNGBhRmfRckDKbtP", "iFgnue93eNGBhRmfRckDK"),
		    SDP_OFFER, SDP_E_INVALID, "line 11: a=ice-pwd must be 22-256 ice-chars");
	parse_fails(edit(chrome_offer, "iFgnue93eNGBhRmfRckDKbtP", "iFgnue93eNGBhRmfRckDKb=P"),
		    SDP_OFFER, SDP_E_INVALID, "line 11: a=ice-pwd");
}

static void test_error_duplicates(void **state)
{
	(void)state;
	parse_fails(edit(chrome_av_offer, "a=mid:1", "a=mid:0"), SDP_OFFER, SDP_E_INVALID,
		    "line 46: mid '0' already used by the m= line at line 8");
	parse_fails(edit(chrome_offer, L("a=ice-ufrag:TCgj"), L("a=ice-ufrag:TCgj") L("a=ice-ufrag:TCgk")),
		    SDP_OFFER, SDP_E_INVALID, "line 11: duplicate a=ice-ufrag (first at line 10)");
	parse_fails(edit(chrome_offer, L("a=mid:0"), L("a=mid:0") L("a=mid:1")), SDP_OFFER,
		    SDP_E_INVALID, "line 16: duplicate a=mid (first at line 15)");
	parse_fails(edit(chrome_offer, L("a=sctp-port:5000"), L("a=sctp-port:5000") L("a=sctp-port:5000")),
		    SDP_OFFER, SDP_E_INVALID, "line 17: duplicate a=sctp-port");
	/* The same attribute at session and media level is not a duplicate. */
	parse_ok(edit(chrome_offer, L("t=0 0"), L("t=0 0") L("a=ice-ufrag:TCgj")), SDP_OFFER, &D1);
}

static void test_error_bad_lines(void **state)
{
	(void)state;
	parse_fails(edit(chrome_offer, "m=application 9 ", "m=application 70000 "), SDP_OFFER,
		    SDP_E_SYNTAX, "line 8: bad m= line");
	parse_fails(edit(chrome_offer, " webrtc-datachannel", ""), SDP_OFFER, SDP_E_SYNTAX,
		    "line 8: m= needs '<media> <port> <proto> <fmt>...'");
	parse_fails(edit(chrome_offer, "m=application 9 UDP/DTLS/SCTP", "m=application 9 UDP/DTLS/SCTP\"x"),
		    SDP_OFFER, SDP_E_SYNTAX, "line 8: bad m= line");
	parse_fails(edit(chrome_offer, " IN IP4 127.0.0.1", " IN IP4"), SDP_OFFER, SDP_E_SYNTAX,
		    "line 2: o= needs 6 fields");
	parse_fails(edit(chrome_offer, "127.0.0.1", "127.0.0.1 x"), SDP_OFFER, SDP_E_SYNTAX,
		    "line 2: o= has more than 6 fields");
	parse_fails(edit(chrome_offer, "1270620933866676358", "18446744073709551616"), SDP_OFFER,
		    SDP_E_INVALID, "line 2: o= session id and version must be 64-bit numbers");
	parse_fails(edit(chrome_offer, "a=sctp-port:5000", "a=sctp-port:0"), SDP_OFFER,
		    SDP_E_INVALID, "line 16: a=sctp-port must be 1-65535");
	parse_fails(edit(chrome_offer, "a=sctp-port:5000", "a=sctp-port:65536"), SDP_OFFER,
		    SDP_E_INVALID, "line 16: a=sctp-port");
	parse_fails(edit(chrome_offer, "a=max-message-size:262144", "a=max-message-size:-1"),
		    SDP_OFFER, SDP_E_INVALID, "line 17: a=max-message-size must be a decimal number");
	parse_fails(edit(chrome_offer, "a=max-message-size:262144",
			 "a=max-message-size:18446744073709551616"),
		    SDP_OFFER, SDP_E_INVALID, "line 17: a=max-message-size");
	parse_fails(edit(aiortc_offer, "a=sctpmap:5000 webrtc-datachannel 65535", "a=sctpmap:5000"),
		    SDP_OFFER, SDP_E_INVALID, "line 10: a=sctpmap needs '<port> <protocol>'");
	parse_fails(edit(chrome_offer, "a=mid:0", "a=mid:0123456789012345678901234567890123"),
		    SDP_OFFER, SDP_E_INVALID, "line 15: a=mid must be a token");
	parse_fails(edit(chrome_offer, L("a=mid:0"), L("a=mid:0") L("a=candidate:1 1 udp 1 1.2.3 5 typ host")),
		    SDP_OFFER, SDP_E_SYNTAX, "line 16: a=candidate: bad connection address");
	parse_fails(edit(chrome_offer, L("a=mid:0"), L("a=mid:0") L("a=candidate")), SDP_OFFER,
		    SDP_E_SYNTAX, "line 16: a=candidate: needs: foundation");
}

static void test_error_bad_type(void **state)
{
	char err[64];
	(void)state;
	parse_fails(chrome_offer, SDP_TYPE_NONE, SDP_E_INVALID, "type must be offer or answer");
	parse_fails(chrome_offer, (enum sdp_type)7, SDP_E_INVALID, "type must be offer or answer");
	assert_int_equal(sdp_parse(chrome_offer, strlen(chrome_offer), SDP_OFFER, NULL, err,
				   sizeof(err)),
			 SDP_E_INVALID);
	assert_int_equal(sdp_parse(NULL, 5, SDP_OFFER, &D1, NULL, 0), SDP_E_SYNTAX);
	/* A short error buffer truncates the message, never overflows it. */
	assert_int_equal(sdp_parse("x", 1, SDP_OFFER, &D1, err, 8), SDP_E_SYNTAX);
	assert_int_equal(strlen(err), 7);
}

/* --- Round trips. ------------------------------------------------------------------------ */

static void test_round_trip_browsers(void **state)
{
	(void)state;
	parse_ok(chrome_offer, SDP_OFFER, &D1);
	assert_round_trip(&D1);
	parse_ok(chrome_answer, SDP_ANSWER, &D1);
	assert_round_trip(&D1);
	parse_ok(firefox_offer, SDP_OFFER, &D1);
	assert_round_trip(&D1);
	parse_ok(firefox_answer, SDP_ANSWER, &D1);
	assert_round_trip(&D1);
	parse_ok(aiortc_offer, SDP_OFFER, &D1);
	assert_round_trip(&D1);
	parse_ok(chrome_av_offer, SDP_OFFER, &D1);
	assert_round_trip(&D1);
	/* Rejected when written: rtcpeer has no media engine. */
	assert_int_equal(D3.sections[0].port, 0);
	assert_int_equal(D3.bundle_count, 1);
}

/* --- Fingerprint helpers. ---------------------------------------------------------------- */

static void test_fingerprint_helpers(void **state)
{
	uint8_t b[SDP_FP_MAX_BYTES];
	char text[SDP_FP_TEXT_MAX];
	size_t n = 0;
	(void)state;
	assert_int_equal(sdp_fingerprint_parse("ab:CD:0f", 8, b, sizeof(b), &n), SDP_OK);
	assert_int_equal(n, 3);
	assert_int_equal(b[0], 0xab);
	assert_int_equal(b[1], 0xcd);
	assert_int_equal(b[2], 0x0f);
	assert_int_equal(sdp_fingerprint_format(b, n, text, 9), SDP_OK);
	assert_string_equal(text, "AB:CD:0F");
	assert_int_equal(sdp_fingerprint_format(b, n, text, 8), SDP_E_LIMIT);
	assert_int_equal(sdp_fingerprint_format(b, 0, text, sizeof(text)), SDP_E_LIMIT);
	assert_int_equal(sdp_fingerprint_format(b, SDP_FP_MAX_BYTES + 1, text, 1000), SDP_E_LIMIT);
	assert_int_equal(sdp_fingerprint_parse("7f", 2, b, sizeof(b), &n), SDP_OK);
	assert_int_equal(n, 1);
	static const char *const bad[] = {"", "A", "ABC", "AB:", ":AB", "AB:CD:", "AB CD",
					  "GG", "AB::CD", "AB:C", "+1:00", "AB;CD"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (sdp_fingerprint_parse(bad[i], strlen(bad[i]), b, sizeof(b), &n) != SDP_E_SYNTAX)
			fail_msg("'%s' should not parse as a fingerprint", bad[i]);
	assert_int_equal(sdp_fingerprint_parse("AB:CD:EF", 8, b, 2, &n), SDP_E_LIMIT);
	/* Formatting what was parsed gives upper-case colon hex of the same length. */
	assert_int_equal(sdp_fingerprint_parse(AIO_FP512, strlen(AIO_FP512), b, sizeof(b), &n),
			 SDP_OK);
	assert_int_equal(n, 64);
	assert_int_equal(sdp_fingerprint_format(b, n, text, sizeof(text)), SDP_OK);
	assert_string_equal(text, AIO_FP512);
	assert_null(sdp_fingerprint_find(NULL, "sha-256"));
}

/* --- Candidates. ------------------------------------------------------------------------- */

static void check_ok(const char *cand, struct sdp_candidate_info *ci)
{
	char err[256] = "";
	int rc = sdp_candidate_check(cand, strlen(cand), ci, err, sizeof(err));
	if (rc != SDP_OK)
		fail_msg("'%s' rejected: %d %s", cand, rc, err);
}

static void normalizes_to(const char *cand, const char *address, const char *want)
{
	char out[SDP_CAND_LINE_MAX + 1];
	char err[256] = "";
	int rc = sdp_candidate_normalize(cand, strlen(cand), address, out, sizeof(out), err,
					 sizeof(err));
	if (rc != SDP_OK)
		fail_msg("normalize '%s' failed: %d %s", cand, rc, err);
	assert_string_equal(out, want);
}

static void test_candidate_chrome_mdns(void **state)
{
	struct sdp_candidate_info ci;
	char out[SDP_CAND_LINE_MAX + 1];
	char err[256];
	(void)state;
	const char *c = "candidate:3416709932 1 udp 2113937151 fefbb9f2-8a4c-4e55-9d5f-2c7e8b1a0d6e.local "
			"52020 typ host generation 0 ufrag TCgj network-cost 999";
	check_ok(c, &ci);
	assert_string_equal(ci.foundation, "3416709932");
	assert_int_equal(ci.component, 1);
	assert_int_equal(ci.proto, SDP_CAND_UDP);
	assert_true(ci.priority == 2113937151u);
	assert_string_equal(ci.address, "fefbb9f2-8a4c-4e55-9d5f-2c7e8b1a0d6e.local");
	assert_int_equal(ci.addr_kind, SDP_ADDR_MDNS);
	assert_true(ci.mdns);
	assert_int_equal(ci.port, 52020);
	assert_int_equal(ci.type, SDP_CAND_HOST);
	assert_false(ci.has_raddr);
	assert_string_equal(ci.ufrag, "TCgj");
	assert_false(ci.dangling);
	/* libnice cannot resolve it: normalising needs the resolved address. */
	assert_int_equal(sdp_candidate_normalize(c, strlen(c), NULL, out, sizeof(out), err,
						 sizeof(err)),
			 SDP_E_UNSUPPORTED);
	assert_non_null(strstr(err, "is a host name"));
	assert_string_equal(out, "");
	normalizes_to(c, "192.168.1.23",
		      "a=candidate:3416709932 1 udp 2113937151 192.168.1.23 52020 typ host "
		      "generation 0 ufrag TCgj network-cost 999");
	normalizes_to(c, "fe80::1",
		      "a=candidate:3416709932 1 udp 2113937151 fe80::1 52020 typ host generation 0 "
		      "ufrag TCgj network-cost 999");
	assert_int_equal(sdp_candidate_normalize(c, strlen(c), "other.local", out, sizeof(out),
						 err, sizeof(err)),
			 SDP_E_INVALID);
	assert_int_equal(sdp_candidate_normalize(c, strlen(c), "1.2.3", out, sizeof(out), err,
						 sizeof(err)),
			 SDP_E_INVALID);
	/* Other host names are not mDNS but still need resolving. */
	check_ok("candidate:1 1 udp 1 turn.example.org 3478 typ relay", &ci);
	assert_int_equal(ci.addr_kind, SDP_ADDR_FQDN);
	assert_false(ci.mdns);
}

static void test_candidate_srflx_relay(void **state)
{
	struct sdp_candidate_info ci;
	(void)state;
	const char *srflx = "candidate:1923148274 1 udp 1677729535 198.51.100.5 50180 typ srflx "
			    "raddr 0.0.0.0 rport 0 generation 0 ufrag TCgj network-cost 999";
	check_ok(srflx, &ci);
	assert_int_equal(ci.type, SDP_CAND_SRFLX);
	assert_int_equal(ci.addr_kind, SDP_ADDR_IPV4);
	assert_true(ci.has_raddr);
	assert_true(ci.has_rport);
	assert_string_equal(ci.raddr, "0.0.0.0");
	assert_int_equal(ci.rport, 0);
	normalizes_to(srflx, NULL, "a=candidate:1923148274 1 udp 1677729535 198.51.100.5 50180 typ "
				   "srflx raddr 0.0.0.0 rport 0 generation 0 ufrag TCgj network-cost 999");
	const char *relay = "candidate:5 1 udp 41885439 203.0.113.50 3478 typ relay raddr "
			    "198.51.100.5 rport 50180 generation 0 ufrag TCgj network-id 1 network-cost 10";
	check_ok(relay, &ci);
	assert_int_equal(ci.type, SDP_CAND_RELAY);
	assert_string_equal(ci.raddr, "198.51.100.5");
	assert_int_equal(ci.rport, 50180);
	check_ok("candidate:7 1 UDP 1862270975 192.0.2.9 61000 typ prflx raddr 192.0.2.9 rport 61000", &ci);
	assert_int_equal(ci.type, SDP_CAND_PRFLX);
}

static void test_candidate_ipv6(void **state)
{
	struct sdp_candidate_info ci;
	(void)state;
	const char *c = "candidate:2 1 UDP 2122262783 2001:db8::1 54321 typ host";
	check_ok(c, &ci);
	assert_int_equal(ci.addr_kind, SDP_ADDR_IPV6);
	assert_false(ci.mdns);
	normalizes_to(c, NULL, "a=candidate:2 1 UDP 2122262783 2001:db8::1 54321 typ host");
	check_ok("candidate:7 1 UDP 2015363839 fe80::1234:5678:9abc:def0 50081 typ host", &ci);
	check_ok("candidate:8 1 UDP 1 ::ffff:192.0.2.1 5 typ host", &ci);
	assert_int_equal(ci.addr_kind, SDP_ADDR_IPV6);
	check_ok("candidate:9 1 udp 1 2001:db8::2 5 typ srflx raddr 2001:db8::3 rport 6", &ci);
	assert_string_equal(ci.raddr, "2001:db8::3");
}

static void test_candidate_tcp(void **state)
{
	struct sdp_candidate_info ci;
	(void)state;
	check_ok("candidate:2 1 TCP 1015021823 192.0.2.10 9 typ host tcptype active", &ci);
	assert_int_equal(ci.proto, SDP_CAND_TCP);
	assert_int_equal(ci.tcptype, SDP_TCPTYPE_ACTIVE);
	assert_int_equal(ci.port, 9);
	check_ok("candidate:3 1 tcp 1010827519 192.0.2.10 50048 typ host tcptype passive generation 0", &ci);
	assert_int_equal(ci.tcptype, SDP_TCPTYPE_PASSIVE);
	check_ok("candidate:4 1 TCP 1 192.0.2.10 50049 typ host tcptype so", &ci);
	assert_int_equal(ci.tcptype, SDP_TCPTYPE_SO);
	/* Chrome puts tcptype first among the extensions, others after them; we normalise. */
	normalizes_to("candidate:5 1 tcp 1518280447 192.0.2.10 9 typ host generation 0 tcptype ACTIVE",
		      NULL, "a=candidate:5 1 tcp 1518280447 192.0.2.10 9 typ host tcptype active generation 0");
}

static void test_candidate_normalize_forms(void **state)
{
	struct sdp_candidate_info ci;
	(void)state;
	const char *want = "a=candidate:1 1 UDP 2015363327 192.0.2.10 50093 typ host";
	normalizes_to("candidate:1 1 UDP 2015363327 192.0.2.10 50093 typ host", NULL, want);
	normalizes_to("a=candidate:1 1 UDP 2015363327 192.0.2.10 50093 typ host\r\n", NULL, want);
	normalizes_to("  candidate:1  1 UDP\t2015363327 192.0.2.10   50093 typ host  ", NULL, want);
	normalizes_to("candidate:1 1 UDP 2015363327 192.0.2.10 50093 TYP HOST", NULL, want);
	normalizes_to("Candidate:1 001 UDP 2015363327 192.0.2.10 050093 typ host", NULL, want);
	/* A dangling odd token is dropped (libnice rejects it). */
	check_ok("candidate:1 1 UDP 2015363327 192.0.2.10 50093 typ host generation", &ci);
	assert_true(ci.dangling);
	normalizes_to("candidate:1 1 UDP 2015363327 192.0.2.10 50093 typ host generation", NULL, want);
	normalizes_to("candidate:1 1 UDP 2015363327 192.0.2.10 50093 typ host generation 0 network-id",
		      NULL, "a=candidate:1 1 UDP 2015363327 192.0.2.10 50093 typ host generation 0");
	/* raddr/rport move next to the type, extensions keep their order. */
	normalizes_to("candidate:1 1 udp 1 192.0.2.10 5 typ srflx generation 0 RPORT 7 raddr 192.0.2.11",
		      NULL, "a=candidate:1 1 udp 1 192.0.2.10 5 typ srflx raddr 192.0.2.11 rport 7 generation 0");
	/* A host-name raddr goes, with its rport: libnice 0.1.21 rejects the candidate otherwise. */
	normalizes_to("candidate:1 1 udp 1 198.51.100.5 5 typ srflx raddr 9b1c3f0e.local rport 5 "
		      "generation 0",
		      NULL, "a=candidate:1 1 udp 1 198.51.100.5 5 typ srflx generation 0");
	normalizes_to("candidate:1 1 udp 1 198.51.100.5 5 typ srflx rport 5", NULL,
		      "a=candidate:1 1 udp 1 198.51.100.5 5 typ srflx rport 5");
	/* Largest priority libnice can hold. */
	normalizes_to("candidate:1 1 udp 4294967295 192.0.2.10 5 typ host", NULL,
		      "a=candidate:1 1 udp 4294967295 192.0.2.10 5 typ host");
	/* Output buffer too small. */
	char out[20];
	char err[256];
	const char *c = "candidate:1 1 UDP 2015363327 192.0.2.10 50093 typ host";
	assert_int_equal(sdp_candidate_normalize(c, strlen(c), NULL, out, sizeof(out), err,
						 sizeof(err)),
			 SDP_E_LIMIT);
	assert_string_equal(out, "");
}

static void test_candidate_malformed(void **state)
{
	static const struct {
		const char *cand;
		int code;
		const char *msg;
	} cases[] = {
		{"", SDP_E_SYNTAX, "empty candidate"},
		{"a=", SDP_E_SYNTAX, "empty candidate"},
		{"   \r\n", SDP_E_SYNTAX, "empty candidate"},
		{"candidate:", SDP_E_SYNTAX, "needs: foundation"},
		{"cand:1 1 udp 1 1.2.3.4 5 typ host", SDP_E_SYNTAX, "does not start with 'candidate:'"},
		{"candidate:1 1 udp 1 1.2.3.4 5 host", SDP_E_SYNTAX, "needs: foundation"},
		{"candidate:1 1 udp 1 1.2.3.4 5 type host", SDP_E_SYNTAX, "expected 'typ'"},
		{"candidate:123456789012345678901234567890123 1 udp 1 1.2.3.4 5 typ host", SDP_E_SYNTAX, "foundation"},
		{"candidate:a-b 1 udp 1 1.2.3.4 5 typ host", SDP_E_SYNTAX, "foundation"},
		{"candidate:1 0 udp 1 1.2.3.4 5 typ host", SDP_E_SYNTAX, "component must be 1-256"},
		{"candidate:1 257 udp 1 1.2.3.4 5 typ host", SDP_E_SYNTAX, "component"},
		{"candidate:1 x udp 1 1.2.3.4 5 typ host", SDP_E_SYNTAX, "component"},
		{"candidate:1 1 udp 4294967296 1.2.3.4 5 typ host", SDP_E_SYNTAX, "priority"},
		{"candidate:1 1 udp -1 1.2.3.4 5 typ host", SDP_E_SYNTAX, "priority"},
		{"candidate:1 1 udp 1 1.2.3 5 typ host", SDP_E_SYNTAX, "bad connection address"},
		{"candidate:1 1 udp 1 256.1.1.1 5 typ host", SDP_E_SYNTAX, "bad connection address"},
		{"candidate:1 1 udp 1 fe80::1%eth0 5 typ host", SDP_E_SYNTAX, "bad connection address"},
		{"candidate:1 1 udp 1 -bad.local 5 typ host", SDP_E_SYNTAX, "bad connection address"},
		{"candidate:1 1 udp 1 a..local 5 typ host", SDP_E_SYNTAX, "bad connection address"},
		{"candidate:1 1 udp 1 1.2.3.4 0 typ host", SDP_E_SYNTAX, "port must be 1-65535"},
		{"candidate:1 1 udp 1 1.2.3.4 70000 typ host", SDP_E_SYNTAX, "port"},
		{"candidate:1 1 udp 1 1.2.3.4 +5 typ host", SDP_E_SYNTAX, "port"},
		{"candidate:1 1 tcp 1 1.2.3.4 9 typ host", SDP_E_SYNTAX, "TCP candidate without tcptype"},
		{"candidate:1 1 udp 1 1.2.3.4 9 typ host tcptype active", SDP_E_SYNTAX, "tcptype on a UDP"},
		{"candidate:1 1 tcp 1 1.2.3.4 9 typ host tcptype sideways", SDP_E_SYNTAX, "tcptype must be"},
		{"candidate:1 1 tcp 1 1.2.3.4 9 typ host tcptype so tcptype so", SDP_E_SYNTAX, "repeated tcptype"},
		{"candidate:1 1 udp 1 1.2.3.4 5 typ srflx raddr 1.2.3.4 raddr 1.2.3.5", SDP_E_SYNTAX, "raddr"},
		{"candidate:1 1 udp 1 1.2.3.4 5 typ srflx raddr nope! rport 1", SDP_E_SYNTAX, "raddr"},
		{"candidate:1 1 udp 1 1.2.3.4 5 typ srflx raddr 1.2.3.4 rport 65536", SDP_E_SYNTAX, "rport"},
		{"candidate:1 1 udp 1 1.2.3.4 5 typ host ufrag a-b", SDP_E_SYNTAX, "ufrag extension"},
		{"candidate:1 1 udp 1 1.2.3.4 5 typ host gen\x01 0", SDP_E_SYNTAX, "bad extension"},
		{"candidate:1 1 udp 1 1.2.3.4 5 typ host generation \x7f", SDP_E_SYNTAX, "bad extension"},
		{"candidate:1 1 udp 1 1.2.3.4 5 typ host (x)", SDP_E_SYNTAX, "bad trailing token"},
		{"candidate:1 1 udp 1 1.2.3.4 5 typ host typ relay", SDP_E_SYNTAX, "repeated typ"},
		{"candidate:1 1 udp 1 1.2.3.4 5 typ host generation 0 TYP relay", SDP_E_SYNTAX, "repeated typ"},
		{"candidate:1 1 udp 1 1.2.3.4 5 typ h\"st", SDP_E_SYNTAX, "bad candidate type"},
		{"candidate:1 1 \"udp 1 1.2.3.4 5 typ host", SDP_E_SYNTAX, "bad transport"},
	};
	char err[256];
	struct sdp_candidate_info ci;
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = sdp_candidate_check(cases[i].cand, strlen(cases[i].cand), &ci, err,
					     sizeof(err));
		if (rc != cases[i].code || !strstr(err, cases[i].msg))
			fail_msg("'%s': got %d \"%s\", want %d containing \"%s\"", cases[i].cand, rc,
				 err, cases[i].code, cases[i].msg);
		assert_int_equal(ci.port, 0); /* info cleared on failure */
	}
	/* Too long, too many fields. */
	char lng[SDP_CAND_MAX + 64];
	snprintf(lng, sizeof(lng), "candidate:1 1 udp 1 1.2.3.4 5 typ host x %0*d", SDP_CAND_MAX, 0);
	assert_int_equal(sdp_candidate_check(lng, strlen(lng), NULL, err, sizeof(err)), SDP_E_LIMIT);
	char many[SDP_CAND_MAX];
	int n = snprintf(many, sizeof(many), "candidate:1 1 udp 1 1.2.3.4 5 typ host");
	for (int i = 0; i < 30; i++)
		n += snprintf(many + n, sizeof(many) - (size_t)n, " a b");
	assert_int_equal(sdp_candidate_check(many, strlen(many), NULL, err, sizeof(err)), SDP_E_LIMIT);
	assert_non_null(strstr(err, "more than 64 fields"));
	assert_int_equal(sdp_candidate_check(NULL, 0, NULL, err, sizeof(err)), SDP_E_SYNTAX);
	/* Only len bytes are read. */
	const char *c = "candidate:1 1 udp 1 1.2.3.4 5 typ host";
	assert_int_equal(sdp_candidate_check(c, strlen(c) - 5, NULL, err, sizeof(err)), SDP_E_SYNTAX);
}

static void test_candidate_unsupported(void **state)
{
	static const char *const cases[] = {
		"candidate:1 2 udp 2113937150 192.0.2.1 5001 typ host", /* RTCP component */
		"candidate:1 1 ssltcp 1 192.0.2.1 443 typ host",
		"candidate:1 1 sctp 1 192.0.2.1 443 typ host",
		"candidate:1 1 udp 1 192.0.2.1 443 typ future",
	};
	char err[256];
	char out[SDP_CAND_LINE_MAX + 1];
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (sdp_candidate_check(cases[i], strlen(cases[i]), NULL, err, sizeof(err)) !=
		    SDP_E_UNSUPPORTED)
			fail_msg("'%s' should be unsupported: %s", cases[i], err);
		assert_int_equal(sdp_candidate_normalize(cases[i], strlen(cases[i]), NULL, out,
							 sizeof(out), err, sizeof(err)),
				 SDP_E_UNSUPPORTED);
	}
	assert_int_equal(sdp_candidate_check(cases[0], strlen(cases[0]), NULL, err, sizeof(err)),
			 SDP_E_UNSUPPORTED);
	assert_non_null(strstr(err, "component 2"));
}

/* --- Names. ------------------------------------------------------------------------------ */

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(sdp_strerror(SDP_OK), "ok");
	assert_string_equal(sdp_strerror(SDP_E_LIMIT), "SDP exceeds a size limit");
	assert_string_equal(sdp_strerror(42), "unknown SDP error");
	assert_string_equal(sdp_type_name(SDP_OFFER), "offer");
	assert_string_equal(sdp_type_name(SDP_ANSWER), "answer");
	assert_string_equal(sdp_type_name(SDP_TYPE_NONE), "none");
	assert_int_equal(sdp_type_from_name("offer"), SDP_OFFER);
	assert_int_equal(sdp_type_from_name("answer"), SDP_ANSWER);
	assert_int_equal(sdp_type_from_name("pranswer"), SDP_TYPE_NONE);
	assert_int_equal(sdp_type_from_name(NULL), SDP_TYPE_NONE);
	assert_string_equal(sdp_setup_name(SDP_SETUP_HOLDCONN), "holdconn");
	assert_string_equal(sdp_setup_name(SDP_SETUP_NONE), "");
	assert_null(sdp_data_section(NULL));
	assert_null(sdp_data_section(&ZERO_DESC));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_write_our_offer),
		cmocka_unit_test(test_write_our_answer),
		cmocka_unit_test(test_answer_rejects_media_sections),
		cmocka_unit_test(test_lanes_attribute),
		cmocka_unit_test(test_answer_roles),
		cmocka_unit_test(test_answer_without_offer_bundle),
		cmocka_unit_test(test_answer_to_legacy_offer),
		cmocka_unit_test(test_local_errors),
		cmocka_unit_test(test_answer_check),
		cmocka_unit_test(test_add_candidate_non_trickle),
		cmocka_unit_test(test_parse_chrome_offer),
		cmocka_unit_test(test_parse_chrome_answer),
		cmocka_unit_test(test_parse_firefox_offer),
		cmocka_unit_test(test_parse_firefox_answer_with_candidates),
		cmocka_unit_test(test_parse_aiortc_legacy_offer),
		cmocka_unit_test(test_parse_chrome_av_offer),
		cmocka_unit_test(test_parse_bundle_tag_inheritance),
		cmocka_unit_test(test_parse_tolerance),
		cmocka_unit_test(test_parse_media_level_wins),
		cmocka_unit_test(test_parse_setup_defaults),
		cmocka_unit_test(test_parse_sctp_defaults),
		cmocka_unit_test(test_parse_candidates_dedupe_and_skip),
		cmocka_unit_test(test_error_no_data_section),
		cmocka_unit_test(test_error_two_data_sections),
		cmocka_unit_test(test_error_missing_transport),
		cmocka_unit_test(test_error_bad_fingerprints),
		cmocka_unit_test(test_error_setup),
		cmocka_unit_test(test_error_limits),
		cmocka_unit_test(test_error_garbage),
		cmocka_unit_test(test_error_ice_credentials),
		cmocka_unit_test(test_error_duplicates),
		cmocka_unit_test(test_error_bad_lines),
		cmocka_unit_test(test_error_bad_type),
		cmocka_unit_test(test_round_trip_browsers),
		cmocka_unit_test(test_fingerprint_helpers),
		cmocka_unit_test(test_candidate_chrome_mdns),
		cmocka_unit_test(test_candidate_srflx_relay),
		cmocka_unit_test(test_candidate_ipv6),
		cmocka_unit_test(test_candidate_tcp),
		cmocka_unit_test(test_candidate_normalize_forms),
		cmocka_unit_test(test_candidate_malformed),
		cmocka_unit_test(test_candidate_unsupported),
		cmocka_unit_test(test_names),
	};
	return cmocka_run_group_tests_name("sdp", tests, NULL, NULL);
}
