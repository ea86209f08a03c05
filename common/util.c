#include "util.h"

#include <errno.h>
#include <sys/random.h>
#include <time.h>

int util_random(void *buf, size_t len)
{
	uint8_t *p = buf;
	while (len > 0) {
		ssize_t n = getrandom(p, len, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

void util_base32(char *out, const uint8_t *in, size_t len)
{
	static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz234567";
	uint32_t acc = 0;
	int bits = 0;
	size_t o = 0;
	for (size_t i = 0; i < len; i++) {
		acc = (acc << 8) | in[i];
		bits += 8;
		while (bits >= 5) {
			out[o++] = alphabet[(acc >> (bits - 5)) & 31];
			bits -= 5;
		}
	}
	if (bits > 0)
		out[o++] = alphabet[(acc << (5 - bits)) & 31];
	out[o] = '\0';
}

uint64_t util_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t util_now_ms(void)
{
	return util_now_ns() / 1000000u;
}

uint64_t util_bucket_refill(uint64_t tokens, uint64_t elapsed_ms, unsigned long rate,
			    uint64_t depth)
{
	if (elapsed_ms > 3600 * 1000)
		elapsed_ms = 3600 * 1000;
	tokens += elapsed_ms * rate;
	return tokens > depth ? depth : tokens;
}

int util_ct_equal(const char *a, size_t alen, const char *b, size_t blen)
{
	if (alen != blen)
		return 0;
	unsigned char diff = 0;
	for (size_t i = 0; i < alen; i++)
		diff |= (unsigned char)(a[i] ^ b[i]);
	return diff == 0;
}

void util_quote(char *out, size_t cap, const char *in)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;
	if (cap == 0)
		return;
	for (const unsigned char *p = (const unsigned char *)in; *p; p++) {
		/* C1 controls are U+0080..U+009F: UTF-8 0xC2 0x80..0x9F. */
		int c1 = p[0] == 0xC2 && p[1] >= 0x80 && p[1] <= 0x9F;
		if (*p < 0x20 || *p == 0x7F || *p == '\\' || c1) {
			int n = c1 ? 2 : 1;
			if (o + 4 * (size_t)n >= cap)
				break;
			for (int i = 0; i < n; i++) {
				out[o++] = '\\';
				out[o++] = 'x';
				out[o++] = hex[p[i] >> 4];
				out[o++] = hex[p[i] & 15];
			}
			p += n - 1;
			continue;
		}
		if (o + 1 >= cap)
			break;
		out[o++] = (char)*p;
	}
	out[o] = '\0';
}
