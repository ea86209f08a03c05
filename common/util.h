#ifndef COMMON_UTIL_H
#define COMMON_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* Fill buf with len bytes from the kernel CSPRNG (getrandom(2)); -1 only if the kernel fails. */
int util_random(void *buf, size_t len);

/* RFC 4648 base32, lower case, no padding: 16 bytes -> 26 characters + NUL. */
void util_base32(char *out, const uint8_t *in, size_t len);

/* Monotonic clock in nanoseconds / milliseconds. */
uint64_t util_now_ns(void);
uint64_t util_now_ms(void);

/* A token bucket kept in thousandths of a unit (so a refill every millisecond loses nothing
 * to rounding): tokens refilled for elapsed_ms at rate units a second, at most depth
 * thousandths. Idle time past an hour refills any bucket anyway; capping it there keeps
 * elapsed_ms * rate far from overflowing. */
uint64_t util_bucket_refill(uint64_t tokens, uint64_t elapsed_ms, unsigned long rate,
			    uint64_t depth);

/* Constant-time comparison of two byte strings (length leaks, content does not). */
int util_ct_equal(const char *a, size_t alen, const char *b, size_t blen);

/* Copies in to out for display, with control characters (C0, DEL, C1) and backslash written
 * as \xNN: a name from a peer or the file system cannot move the cursor or fake a line. */
void util_quote(char *out, size_t cap, const char *in);

#endif
