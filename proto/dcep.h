/*
 * dcep.h - the Data Channel Establishment Protocol (RFC 8832) and the WebRTC PPIDs (RFC 8831).
 *
 * DATA_CHANNEL_OPEN (RFC 8832 §5.1), network byte order:
 *
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |  Message Type |  Channel Type |            Priority           |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                    Reliability Parameter                      |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |         Label Length          |       Protocol Length         |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                     Label (Label Length bytes)                |
 *  |                  Protocol (Protocol Length bytes)             |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * DATA_CHANNEL_ACK (§5.2) is the single byte 0x02. Both travel with PPID 50.
 */
#ifndef PROTO_DCEP_H
#define PROTO_DCEP_H

#include <stddef.h>
#include <stdint.h>

/* RFC 8831 §8 / RFC 8832 §8.1 payload protocol identifiers. */
enum dc_ppid {
	PPID_DCEP = 50,
	PPID_STRING = 51,
	PPID_BINARY_PARTIAL = 52, /* deprecated: accept, never send */
	PPID_BINARY = 53,
	PPID_STRING_PARTIAL = 54, /* deprecated: accept, never send */
	PPID_STRING_EMPTY = 56,
	PPID_BINARY_EMPTY = 57,
};

#define DCEP_MSG_ACK  0x02
#define DCEP_MSG_OPEN 0x03
#define DCEP_OPEN_HEADER_LEN 12

/* Channel types (§5.1); bit 0x80 is "unordered". */
#define DCEP_RELIABLE          0x00
#define DCEP_PR_REXMIT         0x01
#define DCEP_PR_TIMED          0x02
#define DCEP_UNORDERED_BIT     0x80

struct dcep_open {
	uint8_t channel_type;
	uint16_t priority;
	uint32_t reliability;       /* retransmissions or lifetime (ms); 0 for reliable */
	const uint8_t *label;       /* borrowed from the parsed buffer, not NUL-terminated */
	uint16_t label_len;
	const uint8_t *protocol;
	uint16_t protocol_len;
};

enum dcep_result { DCEP_OK = 0, DCEP_E_SHORT = -1, DCEP_E_TYPE = -2, DCEP_E_CHANNEL_TYPE = -3 };

/* Returns the message type (DCEP_MSG_OPEN / DCEP_MSG_ACK) or a negative dcep_result. An OPEN
 * fills *open; its lengths are checked against len before anything is read. */
int dcep_parse(const uint8_t *buf, size_t len, struct dcep_open *open);
/* Writes an OPEN into buf; returns its length, or 0 if cap is too small. */
size_t dcep_write_open(uint8_t *buf, size_t cap, const struct dcep_open *open);
/* Writes an ACK; returns 1, or 0 if cap is 0. */
size_t dcep_write_ack(uint8_t *buf, size_t cap);

#endif
