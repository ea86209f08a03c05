/*
 * buf.h - a growable byte buffer with a mandatory maximum (curl's dynbuf habit): every
 * reassembly buffer in the tree has a bound, and exceeding it is an error, never a realloc.
 */
#ifndef COMMON_BUF_H
#define COMMON_BUF_H

#include <stddef.h>

struct buf {
	char *data;
	size_t len, cap;
	size_t max; /* the bound: appends past it fail */
};

void buf_init(struct buf *b, size_t max);
/* Appends len bytes. Returns 0, or -1 past the bound or out of memory (b is unchanged). */
int buf_append(struct buf *b, const void *p, size_t len);
/* Empties the buffer and gives its memory back. */
void buf_free(struct buf *b);

#endif
