/*
 * turncred.h - the ICE servers a client gets in `joined`, with ephemeral TURN credentials per
 * the TURN REST API convention that coturn implements as use-auth-secret
 * (draft-uberti-behave-turn-rest-00 §2.2):
 *
 *   username   = "<expiry, Unix time>:<peer id>"
 *   credential = base64(HMAC-SHA1(shared secret, username))
 *
 * The shared secret stays on the server; a credential is worth something only until its expiry
 * and names the peer it was issued to.
 */
#ifndef SIGNALD_TURNCRED_H
#define SIGNALD_TURNCRED_H

#include <stddef.h>
#include <time.h>

#include <jansson.h>

#include "config.h"

#define TURNCRED_USER_MAX 96
#define TURNCRED_CRED_MAX 64 /* base64 of 20 bytes is 28 */

/* Fills user and cred. Returns 0, or -1 if HMAC or base64 fails (or buffers are too small). */
int turncred_make(const char *secret, const char *peer_id, time_t expiry, char *user,
		  size_t ulen, char *cred, size_t clen);

/* The `ice_servers` array for one peer: --ice-servers as given, then --stun-url, then
 * --turn-url with fresh credentials when --turn-secret is set. A new reference, or NULL. */
json_t *turncred_ice_servers(const struct signald_config *cfg, const char *peer_id, time_t now);

#endif
