/*
 * cert.h - the DTLS identity of one rtcpeer run: a fresh self-signed ECDSA P-256 certificate
 * (RFC 8827 §6.5) and its SHA-256 fingerprint for a=fingerprint (RFC 8122 §5).
 */
#ifndef RTCPEER_CERT_H
#define RTCPEER_CERT_H

#include <stddef.h>
#include <stdint.h>

#include <gnutls/gnutls.h>

#define CERT_FP_LEN 32 /* SHA-256 */
/* "AB:CD:...": three characters per byte, the last colon replaced by the NUL. */
#define CERT_FP_TEXT_LEN (CERT_FP_LEN * 3)

struct cert {
	gnutls_certificate_credentials_t creds; /* our key + certificate, for every DTLS session */
	uint8_t fingerprint[CERT_FP_LEN];
	char fingerprint_text[CERT_FP_TEXT_LEN];
};

int cert_generate(struct cert *c, char *err, size_t errlen);
void cert_free(struct cert *c);

/* SHA-256 of a DER certificate, as raw bytes. Returns 0 or -1. */
int cert_fingerprint_der(const gnutls_datum_t *der, uint8_t out[CERT_FP_LEN]);
void cert_fingerprint_format(const uint8_t fp[CERT_FP_LEN], char out[CERT_FP_TEXT_LEN]);

#endif
