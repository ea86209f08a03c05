/* xfer_send.h - `rtcpeer send FILE...` (proto/TRANSFER.md, sender side). */
#ifndef RTCPEER_XFER_SEND_H
#define RTCPEER_XFER_SEND_H

#include <stdint.h>

#include "cli.h"
#include "session.h"

/* Prints "rtcpeer recv CODE" on stdout, waits for the receiver, sends every file. */
int xfer_send_run(const struct cli *cli, const char *code, const char *room,
		  const uint8_t *secret);

#endif
