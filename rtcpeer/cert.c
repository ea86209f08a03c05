#include "cert.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include <gnutls/crypto.h>
#include <gnutls/x509.h>

/* Browsers accept any validity window; these keep clocks a little off from mattering. */
#define CERT_BACKDATE_SECS (24 * 3600)
#define CERT_LIFETIME_SECS (30 * 24 * 3600)

void cert_fingerprint_format(const uint8_t fp[CERT_FP_LEN], char out[CERT_FP_TEXT_LEN])
{
	static const char hex[] = "0123456789ABCDEF";
	for (size_t i = 0; i < CERT_FP_LEN; i++) {
		out[i * 3] = hex[fp[i] >> 4];
		out[i * 3 + 1] = hex[fp[i] & 15];
		out[i * 3 + 2] = i + 1 < CERT_FP_LEN ? ':' : '\0';
	}
}

int cert_fingerprint_der(const gnutls_datum_t *der, uint8_t out[CERT_FP_LEN])
{
	return gnutls_hash_fast(GNUTLS_DIG_SHA256, der->data, der->size, out) < 0 ? -1 : 0;
}

static int make_crt(gnutls_x509_crt_t crt, gnutls_x509_privkey_t key)
{
	uint8_t serial[16];
	time_t now = time(NULL);

	/* RFC 5280 §4.1.2.2: a positive serial of at most 20 octets. */
	if (gnutls_rnd(GNUTLS_RND_NONCE, serial, sizeof(serial)) < 0)
		return -1;
	serial[0] &= 0x7f;
	if (gnutls_x509_crt_set_version(crt, 3) < 0 ||
	    gnutls_x509_crt_set_serial(crt, serial, sizeof(serial)) < 0 ||
	    gnutls_x509_crt_set_activation_time(crt, now - CERT_BACKDATE_SECS) < 0 ||
	    gnutls_x509_crt_set_expiration_time(crt, now + CERT_LIFETIME_SECS) < 0 ||
	    gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, "rtcpeer", 7) < 0 ||
	    gnutls_x509_crt_set_key(crt, key) < 0 ||
	    gnutls_x509_crt_sign2(crt, crt, key, GNUTLS_DIG_SHA256, 0) < 0)
		return -1;
	return 0;
}

int cert_generate(struct cert *c, char *err, size_t errlen)
{
	gnutls_x509_privkey_t key = NULL;
	gnutls_x509_crt_t crt = NULL;
	gnutls_datum_t der = {NULL, 0};
	int rc = -1;

	memset(c, 0, sizeof(*c));
	if (gnutls_x509_privkey_init(&key) < 0 || gnutls_x509_crt_init(&crt) < 0 ||
	    gnutls_x509_privkey_generate(key, GNUTLS_PK_ECDSA,
					 GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0) < 0 ||
	    make_crt(crt, key) < 0) {
		snprintf(err, errlen, "cannot generate the DTLS certificate");
		goto out;
	}
	if (gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_DER, &der) < 0 ||
	    cert_fingerprint_der(&der, c->fingerprint) < 0) {
		snprintf(err, errlen, "cannot hash the DTLS certificate");
		goto out;
	}
	cert_fingerprint_format(c->fingerprint, c->fingerprint_text);
	if (gnutls_certificate_allocate_credentials(&c->creds) < 0 ||
	    gnutls_certificate_set_x509_key(c->creds, &crt, 1, key) < 0) {
		snprintf(err, errlen, "cannot load the DTLS certificate");
		goto out;
	}
	rc = 0;
out:
	gnutls_free(der.data);
	if (crt)
		gnutls_x509_crt_deinit(crt);
	if (key)
		gnutls_x509_privkey_deinit(key);
	if (rc < 0)
		cert_free(c);
	return rc;
}

void cert_free(struct cert *c)
{
	if (c->creds)
		gnutls_certificate_free_credentials(c->creds);
	c->creds = NULL;
}
