/*
 * pipe.h - `rtcpeer pipe CODE`: netcat between two machines, peer to peer.
 */
#ifndef RTCPEER_PIPE_H
#define RTCPEER_PIPE_H

#include <stdint.h>

#include "cli.h"
#include "session.h"

/* code: the code we made and must show, or NULL when we were given one. */
int pipe_run(const struct cli *cli, const char *code, const char *room, const uint8_t *secret);

#endif
