#include "buf.h"

#include <stdlib.h>
#include <string.h>

#define BUF_FIRST_CAP 2048

void buf_init(struct buf *b, size_t max)
{
	memset(b, 0, sizeof(*b));
	b->max = max;
}

int buf_append(struct buf *b, const void *p, size_t len)
{
	if (len > b->max - b->len) /* no overflow: len <= max always holds */
		return -1;
	if (len == 0) /* an empty first WebSocket fragment: data may still be NULL */
		return 0;
	if (b->len + len > b->cap) {
		size_t cap = b->cap ? b->cap : BUF_FIRST_CAP;
		while (cap < b->len + len)
			cap *= 2;
		if (cap > b->max)
			cap = b->max;
		char *d = realloc(b->data, cap);
		if (!d)
			return -1;
		b->data = d;
		b->cap = cap;
	}
	memcpy(b->data + b->len, p, len);
	b->len += len;
	return 0;
}

void buf_free(struct buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}
