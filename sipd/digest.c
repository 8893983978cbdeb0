/* SIP digest authentication and stateless nonces (see digest.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>

#include "common/crypto.h"
#include "digest.h"

/* MD5 of "a:b[:c...]" as lowercase hex; the parts end with NULL. */
static void
digest_md5(char out[DIGEST_HEX_LEN], const char *first, ...)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	const char *s;
	va_list ap;

	out[0] = '\0';
	if (ctx == NULL || EVP_DigestInit_ex(ctx, EVP_md5(), NULL) != 1)
		goto out;
	va_start(ap, first);
	for (s = first; s != NULL; s = va_arg(ap, const char *)) {
		if (s != first)
			EVP_DigestUpdate(ctx, ":", 1);
		EVP_DigestUpdate(ctx, s, strlen(s));
	}
	va_end(ap);
	if (EVP_DigestFinal_ex(ctx, md, &mdlen) == 1 && mdlen == 16)
		crypto_hex(out, md, 16, 0);
out:
	EVP_MD_CTX_free(ctx);
}

int
digest_response(char out[DIGEST_HEX_LEN], const char *user,
    const char *realm, const char *password, const char *method,
    const char *uri, const char *nonce, const char *nc, const char *cnonce,
    const char *qop)
{
	char ha1[DIGEST_HEX_LEN], ha2[DIGEST_HEX_LEN];

	out[0] = '\0';
	digest_md5(ha1, user, realm, password, NULL);
	digest_md5(ha2, method, uri, NULL);
	if (qop == NULL || *qop == '\0')
		digest_md5(out, ha1, nonce, ha2, NULL);
	else if (strcasecmp(qop, "auth") == 0)
		digest_md5(out, ha1, nonce, nc ? nc : "", cnonce ? cnonce : "",
		    qop, ha2, NULL);
	else
		return EINVAL;
	explicit_bzero(ha1, sizeof(ha1));
	return out[0] != '\0' ? 0 : EIO;
}

static void
digest_nonce_mac(char mac[65], const uint8_t *key, size_t keylen,
    const char *subject, const char *stamp)
{
	char msg[160];
	int n;

	n = snprintf(msg, sizeof(msg), "%s:%s", stamp, subject);
	if (n < 0 || (size_t)n >= sizeof(msg))
		n = sizeof(msg) - 1;
	crypto_hmac_sha256_hex(mac, key, keylen, msg, (size_t)n);
}

void
digest_nonce_make(char out[DIGEST_NONCE_LEN], const uint8_t *key,
    size_t keylen, const char *subject, time_t now)
{
	char stamp[9], mac[65];

	snprintf(stamp, sizeof(stamp), "%08x", (unsigned)(uint32_t)now);
	digest_nonce_mac(mac, key, keylen, subject, stamp);
	snprintf(out, DIGEST_NONCE_LEN, "%s%.32s", stamp, mac);
}

int
digest_nonce_check(const char *nonce, const uint8_t *key, size_t keylen,
    const char *subject, time_t now, int ttl)
{
	char stamp[9], mac[65], want[33];
	unsigned long t;
	char *end;

	if (strlen(nonce) != DIGEST_NONCE_LEN - 1)
		return EINVAL;
	memcpy(stamp, nonce, 8);
	stamp[8] = '\0';
	t = strtoul(stamp, &end, 16);
	if (*end != '\0')
		return EINVAL;
	digest_nonce_mac(mac, key, keylen, subject, stamp);
	snprintf(want, sizeof(want), "%.32s", mac);
	if (!crypto_streq(want, nonce + 8))
		return EINVAL;
	/* 32-bit stamps: compare the difference, which wraps correctly */
	if ((uint32_t)((uint32_t)now - (uint32_t)t) > (uint32_t)ttl)
		return ESTALE;
	return 0;
}

void
digest_unquote(char *out, size_t outsz, const char *s)
{
	size_t n;

	if (outsz == 0)
		return;
	if (s == NULL)
		s = "";
	n = strlen(s);
	if (n >= 2 && s[0] == '"' && s[n - 1] == '"') {
		s++;
		n -= 2;
	}
	if (n >= outsz)
		n = outsz - 1;
	memcpy(out, s, n);
	out[n] = '\0';
}
