/*
 * SIP digest authentication (RFC 2617 as RFC 3261 uses it, MD5): the
 * response a client must send, and our stateless nonces (a timestamp and
 * an HMAC over it and what it was issued for, so no nonce store is needed
 * and an old nonce is recognised as stale).
 */
#ifndef VIGIL_SIPD_DIGEST_H
#define VIGIL_SIPD_DIGEST_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define DIGEST_HEX_LEN		33	/* 32 hex digits + NUL */
#define DIGEST_NONCE_LEN	41	/* 8 + 32 hex digits + NUL */

/*
 * The expected response: MD5(HA1:nonce:nc:cnonce:qop:HA2) when qop is
 * "auth", else MD5(HA1:nonce:HA2) (RFC 2069), with HA1 = MD5(user:realm:
 * password) and HA2 = MD5(method:uri). EINVAL for another qop.
 */
int	digest_response(char out[DIGEST_HEX_LEN], const char *user,
	    const char *realm, const char *password, const char *method,
	    const char *uri, const char *nonce, const char *nc,
	    const char *cnonce, const char *qop);
/* A nonce for subject (e.g. the device's key) issued at now. */
void	digest_nonce_make(char out[DIGEST_NONCE_LEN], const uint8_t *key,
	    size_t keylen, const char *subject, time_t now);
/* 0 for our fresh nonce for subject, ESTALE when older than ttl s (or
 * from the future), EINVAL when not ours. */
int	digest_nonce_check(const char *nonce, const uint8_t *key,
	    size_t keylen, const char *subject, time_t now, int ttl);
/* Copies s without surrounding double quotes (NULL: "") into out. */
void	digest_unquote(char *out, size_t outsz, const char *s);

#endif
