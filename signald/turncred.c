#include "turncred.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

int turncred_make(const char *secret, const char *peer_id, time_t expiry, char *user,
		  size_t ulen, char *cred, size_t clen)
{
	uint8_t mac[20]; /* SHA-1 */
	gnutls_datum_t in = {mac, sizeof(mac)}, out = {NULL, 0};
	int n = snprintf(user, ulen, "%lld:%s", (long long)expiry, peer_id);
	if (n < 0 || (size_t)n >= ulen)
		return -1;
	if (gnutls_hmac_fast(GNUTLS_MAC_SHA1, secret, strlen(secret), user, (size_t)n, mac) < 0 ||
	    gnutls_base64_encode2(&in, &out) < 0)
		return -1;
	int ok = out.size < clen;
	if (ok) {
		memcpy(cred, out.data, out.size);
		cred[out.size] = '\0';
	}
	gnutls_free(out.data);
	return ok ? 0 : -1;
}

static int add_turn(json_t *list, const struct signald_config *cfg, const char *peer_id,
		    time_t now)
{
	char user[TURNCRED_USER_MAX], cred[TURNCRED_CRED_MAX];
	if (turncred_make(cfg->turn_secret, peer_id, now + (time_t)cfg->turn_ttl, user,
			  sizeof(user), cred, sizeof(cred)) < 0)
		return -1;
	return json_array_append_new(list, json_pack("{s:O, s:s, s:s}", "urls", cfg->turn_urls,
						     "username", user, "credential", cred));
}

json_t *turncred_ice_servers(const struct signald_config *cfg, const char *peer_id, time_t now)
{
	/* Nothing per peer to add: every join shares the configured array (no copy per join). */
	if (!json_array_size(cfg->stun_urls) && !(json_array_size(cfg->turn_urls) && cfg->turn_secret))
		return json_incref(cfg->ice_servers);
	json_t *list = json_copy(cfg->ice_servers); /* shallow: the entries are shared, read-only */
	if (!list)
		return NULL;
	if (json_array_size(cfg->stun_urls) &&
	    json_array_append_new(list, json_pack("{s:O}", "urls", cfg->stun_urls)) < 0)
		goto fail;
	if (json_array_size(cfg->turn_urls) && cfg->turn_secret &&
	    add_turn(list, cfg, peer_id, now) < 0)
		goto fail;
	return list;
fail:
	json_decref(list);
	return NULL;
}
