/*
 * sdp.h - the part of SDP that rtcpeer speaks: JSEP offers and answers (RFC 9429) for one
 * WebRTC data channel (RFC 8841), with the ICE (RFC 8839), DTLS fingerprint (RFC 8122), DTLS
 * role (RFC 4145, RFC 5763, RFC 8842) and BUNDLE (RFC 9143) attributes it needs.
 *
 * Pure functions over text: no I/O, no global state, no allocation except sdp_write()'s result,
 * so the same code serves rtcpeer, the unit tests and the fuzzer.
 *
 * What is kept. A description is reduced to the fields rtcpeer acts on (struct sdp_desc below).
 * Codecs, extmaps, msids and every unknown attribute are read over and dropped. Non-data
 * sections (audio, video, anything else) keep their kind, port, proto, first format and mid:
 * enough to answer them, rejected, in the same order.
 *
 * Where attributes live. ICE and DTLS attributes may be given at session level or per m-section,
 * and media level wins (WEBRTC-NOTES 1.6). sdp_parse() resolves this once: each section's
 * `transport` holds its *effective* values, in this order of precedence:
 *   1. the section's own attribute;
 *   2. if the section is in the BUNDLE group, the BUNDLE-tag section's own attribute (RFC 9143
 *      §7.1.3 lets a compliant peer put transport attributes only in the tagged section);
 *   3. the session-level attribute.
 * `desc.session` keeps the session-level values as they were written.
 *
 * Ownership. The caller owns every struct; sdp_desc is large (about 80 KiB with the limits
 * below), so keep it on the heap or in a long-lived object rather than on a small stack.
 * On failure every function leaves its output zeroed, never half filled.
 *
 * Errors. Functions return SDP_OK (0) or a negative enum sdp_error, and write a one-line reason
 * into the caller's `err` buffer (NULL/0 allowed). Parse errors start with "line N: ".
 */
#ifndef RTCPEER_SDP_H
#define RTCPEER_SDP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* --- Limits. Each one bounds a buffer below; sdp_parse() fails, naming the line, beyond it. */
#define SDP_MAX_TEXT          65536 /* bytes per description: signald's default frame limit */
#define SDP_MAX_LINES          4096 /* Chrome's audio+video+data offer is ~250 lines */
#define SDP_MAX_LINE           1024 /* bytes per line without its line end */
#define SDP_MAX_SECTIONS         32 /* m= sections */
#define SDP_MAX_CANDIDATES       64 /* distinct a=candidate lines kept */
#define SDP_MAX_FINGERPRINTS      8 /* per level; aiortc sends three (sha-256/384/512) */
#define SDP_MID_MAX              32 /* mid length, same bound as SIG_MID_MAX_LEN */
#define SDP_TOKEN_MAX            32 /* m= media kind, proto and format tokens */
#define SDP_UFRAG_MIN             4 /* RFC 8839 §5.4 */
#define SDP_UFRAG_MAX           256 /* RFC 8839 §5.4 */
#define SDP_PWD_MIN              22 /* RFC 8839 §5.4 */
#define SDP_PWD_MAX             256 /* RFC 8839 §5.4 */
#define SDP_FP_ALG_MAX           15 /* hash names: "sha-256", "sha-512", ... */
#define SDP_FP_MAX_BYTES         64 /* sha-512 */
#define SDP_FP_TEXT_MAX (3 * SDP_FP_MAX_BYTES) /* "AB:..:EF" plus NUL */
#define SDP_CAND_MAX            512 /* bytes of one "candidate:..." string */
#define SDP_CAND_LINE_MAX (SDP_CAND_MAX + 2) /* the same with "a=" */
#define SDP_CAND_ADDR_MAX       253 /* a DNS name (RFC 1035); IPv6 text needs 45 */
#define SDP_CAND_FOUNDATION_MAX  32 /* RFC 8839 §5.1: 1*32ice-char */
#define SDP_MAX_LANES            64 /* a=x-rtcpeer-lanes: SCTP associations (TRANSFER.md §12) */

/* --- Protocol constants. */
#define SDP_DEFAULT_SCTP_PORT        5000   /* RFC 8841 §5.1: a=sctp-port absent */
#define SDP_DEFAULT_MAX_MESSAGE_SIZE 65536  /* RFC 8841 §6.1: a=max-message-size absent */
#define SDP_LOCAL_MAX_MESSAGE_SIZE   262144 /* what we advertise (WEBRTC-NOTES 4.5, 5.5) */
#define SDP_TRICKLE_PORT             9      /* RFC 9429 §5.2.1: m= port with no candidates */

/* X-macro: one table makes the enum and sdp_strerror(). */
#define SDP_ERRORS(X)                                                                      \
	X(SDP_OK,            0, "ok")                                                      \
	X(SDP_E_SYNTAX,     -1, "malformed SDP")                                           \
	X(SDP_E_LIMIT,      -2, "SDP exceeds a size limit")                                \
	X(SDP_E_MISSING,    -3, "required SDP line or attribute missing")                  \
	X(SDP_E_INVALID,    -4, "SDP value out of range or not allowed here")              \
	X(SDP_E_UNSUPPORTED,-5, "SDP describes something rtcpeer cannot use")

enum sdp_error {
#define SDP_X_ENUM(sym, val, text) sym = (val),
	SDP_ERRORS(SDP_X_ENUM)
#undef SDP_X_ENUM
};

const char *sdp_strerror(int code);

enum sdp_type { SDP_TYPE_NONE = 0, SDP_OFFER, SDP_ANSWER };

/* RFC 4145 §4 roles. NONE only appears in desc.session when no session-level a=setup. */
enum sdp_setup {
	SDP_SETUP_NONE = 0,
	SDP_SETUP_ACTPASS,
	SDP_SETUP_ACTIVE,  /* DTLS client: sends the ClientHello */
	SDP_SETUP_PASSIVE, /* DTLS server */
	SDP_SETUP_HOLDCONN
};

enum sdp_media { SDP_MEDIA_OTHER = 0, SDP_MEDIA_AUDIO, SDP_MEDIA_VIDEO, SDP_MEDIA_APPLICATION };

const char *sdp_type_name(enum sdp_type type);     /* "offer", "answer", "none" */
enum sdp_type sdp_type_from_name(const char *name); /* the JSON "type"; NONE if unknown */
const char *sdp_setup_name(enum sdp_setup setup);  /* "actpass", ...; "" for NONE */

/* RFC 8122 §5: a=fingerprint:<hash-func> <hex pairs joined by ':'>. */
struct sdp_fingerprint {
	char alg[SDP_FP_ALG_MAX + 1]; /* lower case: "sha-256" */
	size_t len;                   /* bytes used in `bytes` */
	uint8_t bytes[SDP_FP_MAX_BYTES];
};

/* ICE and DTLS parameters of one level (session, or one m-section). */
struct sdp_transport {
	char ufrag[SDP_UFRAG_MAX + 1]; /* "" when absent */
	char pwd[SDP_PWD_MAX + 1];     /* "" when absent */
	struct sdp_fingerprint fingerprints[SDP_MAX_FINGERPRINTS]; /* in SDP order */
	size_t fingerprint_count;
	enum sdp_setup setup;
	bool setup_implied; /* no a=setup anywhere: the default for the type was applied */
	bool trickle;       /* a=ice-options lists "trickle" (RFC 8838 §3); in a section: at
			     * media level, in the BUNDLE tag or at session level */
};

struct sdp_section {
	enum sdp_media media;
	char kind[SDP_TOKEN_MAX + 1];  /* the m= media token, e.g. "audio" */
	uint16_t port;                 /* 0: rejected / disabled (RFC 3264 §6) */
	char proto[SDP_TOKEN_MAX + 1]; /* e.g. "UDP/TLS/RTP/SAVPF" */
	char fmt[SDP_TOKEN_MAX + 1];   /* first format of the m= line, e.g. "111" */
	char mid[SDP_MID_MAX + 1];     /* "" when the section has no a=mid */
	bool is_data;                  /* the one usable data-channel section */
	bool legacy_sctpmap;           /* it came as "DTLS/SCTP <port>" + a=sctpmap */
	uint16_t sctp_port;            /* data only: remote SCTP port, default 5000 */
	uint64_t max_message_size;     /* data only: default 65536; 0 means no limit */
	uint8_t lanes;                 /* data only: a=x-rtcpeer-lanes, 1 when absent or bad */
	bool end_of_candidates;        /* a=end-of-candidates in this section */
	struct sdp_transport transport; /* effective values, see the top of this file */
};

/* Address kinds of a candidate; libnice 0.1.21 parses only the numeric ones. */
enum sdp_addr_kind { SDP_ADDR_IPV4 = 0, SDP_ADDR_IPV6, SDP_ADDR_MDNS, SDP_ADDR_FQDN };

/* An a=candidate line of the description, normalised (see sdp_candidate_normalize()), without
 * the "a=": "candidate:1 1 UDP 2015363327 192.0.2.10 50093 typ host". */
struct sdp_candidate {
	char line[SDP_CAND_MAX + 1];
	size_t section;               /* index of the m-section it was written in */
	enum sdp_addr_kind addr_kind; /* MDNS/FQDN: resolve before handing it to libnice */
};

struct sdp_desc {
	enum sdp_type type;
	uint64_t session_id;      /* o= line */
	uint64_t session_version; /* o= line; bumped on each new description */
	bool ice_lite;            /* RFC 8839 §5.3: the peer is lite, so we must control */
	struct sdp_transport session; /* session-level attributes as written */
	char bundle[SDP_MAX_SECTIONS][SDP_MID_MAX + 1]; /* first a=group:BUNDLE, in order */
	size_t bundle_count;
	struct sdp_section sections[SDP_MAX_SECTIONS]; /* m= sections in SDP order */
	size_t section_count;
	size_t data_index; /* sections[data_index] is the data-channel section */
	/* Candidates of the data channel's transport: written in the data section, or in any
	 * section of the BUNDLE group the data section belongs to; duplicates removed. */
	struct sdp_candidate candidates[SDP_MAX_CANDIDATES];
	size_t candidate_count;
	size_t candidates_skipped; /* well-formed but unusable: component 2, ssltcp, ... */
	bool end_of_candidates;    /* at session level or in a section of that transport */
};

/* The data section (never NULL for a description that came out of this module). */
const struct sdp_section *sdp_data_section(const struct sdp_desc *d);

/* The fingerprint with hash `alg` ("sha-256"; case-insensitive), or NULL. */
const struct sdp_fingerprint *sdp_fingerprint_find(const struct sdp_transport *t,
						   const char *alg);

/*
 * Parse a remote description of the given type (the signaling message says which).
 *
 * Tolerant (WEBRTC-NOTES 1.6): CRLF or LF line ends, trailing spaces and tabs, blank lines,
 * unknown line types and attributes, session-level defaults, legacy "DTLS/SCTP <port>" with
 * a=sctpmap, upper/lower-case hash names and hex, .local candidates (kept, flagged), candidates
 * we cannot use (skipped and counted).
 * Strict where a mistake would cost a connection or hide an attack: v=0 first and one o= line;
 * exactly one usable data section (kind application, port != 0, "UDP/DTLS/SCTP" or
 * "TCP/DTLS/SCTP webrtc-datachannel", or legacy); ICE ufrag/pwd (RFC 8839 §5.4 lengths and
 * characters) and at least one well-formed fingerprint for it; no a=setup:actpass in an answer
 * (RFC 5763 §5); no holdconn; no duplicate mids or duplicated single-valued attributes at one
 * level; malformed candidates; every limit above.
 * a=setup absent everywhere: actpass for an offer (JSEP offers are always actpass; RFC 5763
 * §5), active for an answer (what Chrome assumes: jsep_transport.cc treats a missing answer
 * role as a DTLS client). setup_implied records that the default was used.
 */
int sdp_parse(const char *text, size_t len, enum sdp_type type, struct sdp_desc *out,
	      char *err, size_t errlen);

/*
 * Check the invariants sdp_write() relies on (everything sdp_parse() guarantees). 0 or error.
 */
int sdp_validate(const struct sdp_desc *d, char *err, size_t errlen);

/*
 * Serialise with CRLF line ends, as WEBRTC-NOTES 1.5 A (offer) and B (answer):
 *   v=0 / o=- <id> <version> IN IP4 0.0.0.0 / s=- / t=0 0
 *   a=group:BUNDLE <mids of accepted sections in desc.bundle>   (if any)
 *   a=ice-lite                      (if desc.ice_lite)
 *   a=ice-options:trickle           (if desc.session.trickle)
 *   a=msid-semantic:WMS *
 * then every section in order. rtcpeer has no media engine, so non-data sections are always
 * written rejected: "m=<kind> 0 <proto> <fmt>", c=, a=mid. The data section is written
 * accepted, in RFC 8841 form whatever form it was parsed from: "m=application <port>
 * UDP/DTLS/SCTP webrtc-datachannel", c=IN IP4 0.0.0.0, a=mid, a=ice-ufrag, a=ice-pwd,
 * a=ice-options:trickle (if its transport.trickle), every fingerprint (lower-case name,
 * upper-case hex), a=setup, a=sctp-port, a=max-message-size, a=x-rtcpeer-lanes (if lanes > 1),
 * the candidates and a=end-of-candidates (if any).
 * Returns a malloc'd NUL-terminated string, or NULL if sdp_validate() fails or memory runs out.
 */
char *sdp_write(const struct sdp_desc *d);

/* --- Building our own descriptions. ----------------------------------------------------- */

/* What we put in our descriptions. Start from sdp_local_init(), then set the rest. */
struct sdp_local {
	uint64_t session_id;      /* RFC 9429 §5.2.1: random and < 2^63; the caller draws it */
	uint64_t session_version; /* 1 for the first description; bump for each new one */
	const char *ufrag;        /* nice_agent_get_local_credentials() */
	const char *pwd;
	struct sdp_fingerprint fingerprint; /* our certificate's sha-256 */
	enum sdp_setup answer_setup; /* our role when answering actpass: ACTIVE (RFC 5763 §5
				      * recommends it) or PASSIVE */
	const char *mid;             /* offers only: the data section's mid */
	uint16_t sctp_port;          /* our SCTP port */
	uint64_t max_message_size;   /* what we accept; 0 would mean no limit */
	unsigned lanes;              /* SCTP associations we can stripe over (0, 1: none; at
				      * most SDP_MAX_LANES). An answer says min(this, the offer's),
				      * and nothing when the offer did not say. */
};

/* session_version 1, answer_setup ACTIVE, mid "0", sctp_port 5000, max_message_size 262144;
 * everything else zero. */
void sdp_local_init(struct sdp_local *local);

/* Our offer (WEBRTC-NOTES 1.5 A): one data section, setup actpass, trickle at session and
 * media level, BUNDLE of that one mid. */
int sdp_offer_create(const struct sdp_local *local, struct sdp_desc *offer, char *err,
		     size_t errlen);

/*
 * Our answer to a parsed remote offer (WEBRTC-NOTES 1.5 B; JSEP RFC 9429 §5.3.1): the same
 * sections in the same order with the same mids and kinds; the data section accepted on port 9
 * with our credentials, fingerprint, SCTP port and message size; every other section rejected
 * (port 0, proto and first format copied: RFC 3264 §6). Setup: the offer's actpass gives
 * local->answer_setup, active gives passive, passive gives active. BUNDLE: the data mid alone,
 * if the offer bundled it (RFC 9143 §7.3: no group the offer did not ask for; §7.3.1 lets the
 * answerer tag the first offered mid it accepts). Trickle at media level only, as in 1.5 B.
 */
int sdp_answer_create(const struct sdp_desc *offer, const struct sdp_local *local,
		      struct sdp_desc *answer, char *err, size_t errlen);

/*
 * Check a parsed remote answer against the offer we sent (RFC 3264 §6, RFC 9143 §7.4): same
 * number of sections with the same kinds and mids, the data section in the same place, and no
 * mid in the answer's BUNDLE group that our offer did not bundle.
 */
int sdp_answer_check(const struct sdp_desc *offer, const struct sdp_desc *answer, char *err,
		     size_t errlen);

/* Append one of our candidates ("candidate:..." or "a=candidate:...") to the data section of a
 * description we are about to write in non-trickle form; duplicates are ignored. */
int sdp_add_candidate(struct sdp_desc *d, const char *cand, size_t len, char *err,
		      size_t errlen);

/* --- Fingerprint text <-> bytes. --------------------------------------------------------- */

/* bytes -> "AB:CD:..." (upper case). Needs outlen >= 3 * len; len 1..SDP_FP_MAX_BYTES. */
int sdp_fingerprint_format(const uint8_t *bytes, size_t len, char *out, size_t outlen);

/* "ab:CD:..." (either case) -> bytes. Exactly two hex digits per byte, ':' between bytes, no
 * spaces; at most `cap` bytes. Returns 0 and sets *out_len, or SDP_E_SYNTAX / SDP_E_LIMIT. */
int sdp_fingerprint_parse(const char *text, size_t len, uint8_t *out, size_t cap,
			  size_t *out_len);

/* --- Candidates (trickled through signaling, or from a=candidate lines). ------------------ */

enum sdp_cand_type { SDP_CAND_HOST = 0, SDP_CAND_SRFLX, SDP_CAND_PRFLX, SDP_CAND_RELAY };
enum sdp_cand_proto { SDP_CAND_UDP = 0, SDP_CAND_TCP };
enum sdp_tcptype { SDP_TCPTYPE_NONE = 0, SDP_TCPTYPE_ACTIVE, SDP_TCPTYPE_PASSIVE, SDP_TCPTYPE_SO };

struct sdp_candidate_info {
	char foundation[SDP_CAND_FOUNDATION_MAX + 1];
	unsigned component;
	enum sdp_cand_proto proto;
	uint32_t priority;
	char address[SDP_CAND_ADDR_MAX + 1];
	enum sdp_addr_kind addr_kind;
	bool mdns; /* address is a "<name>.local" mDNS host name (WEBRTC-NOTES 2.4) */
	uint16_t port;
	enum sdp_cand_type type;
	bool has_raddr, has_rport;
	char raddr[SDP_CAND_ADDR_MAX + 1];
	uint16_t rport;
	enum sdp_tcptype tcptype;
	char ufrag[SDP_UFRAG_MAX + 1]; /* the "ufrag" extension (ICE generation), or "" */
	bool dangling;                 /* an odd last token was present (and is dropped) */
};

/*
 * Validate one candidate against RFC 8839 §5.1 and RFC 6544 §4.5 (WEBRTC-NOTES 1.4):
 *   candidate:<foundation> <component> <transport> <priority> <address> <port> typ <type>
 *             [raddr <addr>] [rport <port>] [tcptype <active|passive|so>] *(<name> <value>)
 * Accepts an optional "a=" prefix, surrounding whitespace, runs of spaces, keywords in any case
 * (ABNF literals are case-insensitive), extension pairs in any order, and one dangling odd last
 * token (noted in info->dangling). A second "typ" is malformed (libnice would take it).
 * Returns 0 for a candidate rtcpeer can use; SDP_E_SYNTAX for a malformed one;
 * SDP_E_UNSUPPORTED for a well-formed one it cannot use (component other than 1: WebRTC always
 * muxes RTCP, RFC 8834 §4.5; transports other than UDP/TCP; candidate types other than
 * host/srflx/prflx/relay); SDP_E_LIMIT beyond SDP_CAND_MAX. An empty string is
 * SDP_E_SYNTAX: end-of-candidates is the caller's to recognise. info may be NULL.
 */
int sdp_candidate_check(const char *cand, size_t len, struct sdp_candidate_info *info,
			char *err, size_t errlen);

/*
 * Write the candidate in the one form libnice 0.1.21's nice_agent_parse_remote_candidate_sdp()
 * accepts (WEBRTC-NOTES 2.3): "a=candidate:" prefix, single spaces, numbers in plain decimal,
 * lower-case keywords, raddr/rport/tcptype right after the type, other extensions kept, no
 * dangling token, no trailing whitespace. A host-name raddr is left out with its rport
 * (libnice rejects it; ICE never uses the related address, RFC 8839 §5.1). `address`, if not
 * NULL, replaces the connection address and must be a numeric IPv4/IPv6 address (the result
 * of resolving an mDNS name).
 * A host name (mDNS or other) without `address` is SDP_E_UNSUPPORTED, since libnice would
 * reject it. out needs SDP_CAND_LINE_MAX + 1 bytes at most.
 */
int sdp_candidate_normalize(const char *cand, size_t len, const char *address, char *out,
			    size_t outlen, char *err, size_t errlen);

#endif
