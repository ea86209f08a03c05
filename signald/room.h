/*
 * room.h - the room registry: rooms by id, members in join order.
 *
 * A room holds borrowed pointers to its members; the connection layer (server.c) owns the
 * clients and removes a client from its room in exactly one place, when its connection closes
 * or it leaves. Rooms are created by the first join and freed when the last member goes.
 */
#ifndef SIGNALD_ROOM_H
#define SIGNALD_ROOM_H

#include <stddef.h>
#include <stdint.h>

#include "signal_msg.h"

struct client;

struct room {
	char id[SIG_ROOM_MAX_LEN + 1];
	unsigned cap;        /* members allowed */
	unsigned count;      /* members present */
	unsigned alloc;      /* slots in members[] */
	struct client **members;
	struct room *hnext;  /* hash chain */
};

struct room_table {
	struct room **buckets;
	size_t nbuckets;     /* power of two */
	size_t count;
	uint64_t seed;       /* random per process: room ids are attacker-chosen */
};

int room_table_init(struct room_table *t);
void room_table_free(struct room_table *t);

struct room *room_find(struct room_table *t, const char *id);
/* Creates an empty room; NULL on allocation failure. The caller checks the room limit. */
struct room *room_create(struct room_table *t, const char *id, unsigned cap);
/* Appends a member; -1 when full or out of memory. */
int room_add(struct room *r, struct client *c);
/* Removes a member (keeping join order); frees the room when it becomes empty.
 * Returns 1 when the room was freed. */
int room_remove(struct room_table *t, struct room *r, struct client *c);

#endif
