#include "dcep.h"

#include <string.h>

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static int channel_type_valid(uint8_t t)
{
	uint8_t base = t & (uint8_t)~DCEP_UNORDERED_BIT;
	return base == DCEP_RELIABLE || base == DCEP_PR_REXMIT || base == DCEP_PR_TIMED;
}

int dcep_parse(const uint8_t *buf, size_t len, struct dcep_open *open)
{
	if (len < 1)
		return DCEP_E_SHORT;
	if (buf[0] == DCEP_MSG_ACK)
		return DCEP_MSG_ACK; /* §5.2: trailing bytes, if any, carry nothing */
	if (buf[0] != DCEP_MSG_OPEN)
		return DCEP_E_TYPE;
	if (len < DCEP_OPEN_HEADER_LEN)
		return DCEP_E_SHORT;
	uint16_t label_len = get16(buf + 8), proto_len = get16(buf + 10);
	if ((size_t)DCEP_OPEN_HEADER_LEN + label_len + proto_len > len)
		return DCEP_E_SHORT;
	if (!channel_type_valid(buf[1]))
		return DCEP_E_CHANNEL_TYPE;
	memset(open, 0, sizeof(*open));
	open->channel_type = buf[1];
	open->priority = get16(buf + 2);
	open->reliability = get32(buf + 4);
	open->label = buf + DCEP_OPEN_HEADER_LEN;
	open->label_len = label_len;
	open->protocol = buf + DCEP_OPEN_HEADER_LEN + label_len;
	open->protocol_len = proto_len;
	return DCEP_MSG_OPEN;
}

size_t dcep_write_open(uint8_t *buf, size_t cap, const struct dcep_open *open)
{
	size_t len = (size_t)DCEP_OPEN_HEADER_LEN + open->label_len + open->protocol_len;
	if (cap < len)
		return 0;
	buf[0] = DCEP_MSG_OPEN;
	buf[1] = open->channel_type;
	put16(buf + 2, open->priority);
	put32(buf + 4, open->reliability);
	put16(buf + 8, open->label_len);
	put16(buf + 10, open->protocol_len);
	if (open->label_len)
		memcpy(buf + DCEP_OPEN_HEADER_LEN, open->label, open->label_len);
	if (open->protocol_len)
		memcpy(buf + DCEP_OPEN_HEADER_LEN + open->label_len, open->protocol,
		       open->protocol_len);
	return len;
}

size_t dcep_write_ack(uint8_t *buf, size_t cap)
{
	if (cap < 1)
		return 0;
	buf[0] = DCEP_MSG_ACK;
	return 1;
}
