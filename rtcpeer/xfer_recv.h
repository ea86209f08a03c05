/* xfer_recv.h - `rtcpeer recv CODE` (proto/TRANSFER.md, receiver side). */
#ifndef RTCPEER_XFER_RECV_H
#define RTCPEER_XFER_RECV_H

#include <stdint.h>

#include "cli.h"
#include "session.h"

int xfer_recv_run(const struct cli *cli, const char *room, const uint8_t *secret);

#endif
