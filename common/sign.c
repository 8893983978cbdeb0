/* Request signing shared by vigil-api (verifying) and vigilctl (signing). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "crypto.h"
#include "sign.h"

int
sign_pct_encode(struct buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		char esc[3];

		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_' ||
		    c == '.' || c == '~') {
			if (buf_addc(b, (char)c) != 0)
				return -1;
			continue;
		}
		esc[0] = '%';
		esc[1] = hex[c >> 4];
		esc[2] = hex[c & 15];
		if (buf_add(b, esc, 3) != 0)
			return -1;
	}
	return 0;
}

static int
sign_cmp(const void *a, const void *b)
{
	return strcmp(((const struct sign_param *)a)->name,
	    ((const struct sign_param *)b)->name);
}

void
sign_sort(struct sign_param *v, size_t n)
{
	/* an empty set has v == NULL, which qsort must not be given */
	if (n > 1)
		qsort(v, n, sizeof(*v), sign_cmp);
}

int
sign_string_to_sign(struct buf *b, const char *method,
    const struct sign_param *v, size_t n)
{
	struct buf q = { 0 };
	int first = 1, error = -1;

	for (size_t i = 0; i < n; i++) {
		if (strcmp(v[i].name, "Signature") == 0)
			continue;
		if ((!first && buf_addc(&q, '&') != 0) ||
		    sign_pct_encode(&q, v[i].name, strlen(v[i].name)) != 0 ||
		    buf_addc(&q, '=') != 0 ||
		    sign_pct_encode(&q, v[i].value, strlen(v[i].value)) != 0)
			goto out;
		first = 0;
	}
	if (buf_adds(b, method) != 0 || buf_adds(b, "&%2F&") != 0 ||
	    sign_pct_encode(b, q.p ? q.p : "", q.len) != 0)
		goto out;
	error = 0;
out:
	buf_free(&q);
	return error;
}

void
sign_compute(char out[SIGN_B64_LEN], const char *secret,
    const char *string_to_sign, size_t len)
{
	char key[256];
	size_t kl = strlen(secret);

	if (kl > sizeof(key) - 2)
		kl = sizeof(key) - 2;
	memcpy(key, secret, kl);
	key[kl++] = '&';
	crypto_hmac_sha1_b64(out, key, kl, string_to_sign, len);
}

int
sign_play_hash(char hex[33], const char *uri, const char *exp,
    const char *rnd, const char *uid, const char *key)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen;
	char *s;
	int n, error;

	if ((n = asprintf(&s, "%s-%s-%s-%s-%s", uri, exp, rnd, uid, key)) < 0)
		return ENOMEM;
	error = EVP_Digest(s, (size_t)n, md, &mdlen, EVP_md5(), NULL) == 1 &&
	    mdlen == 16 ? 0 : EIO;
	/* the string holds the AuthKey */
	OPENSSL_cleanse(s, (size_t)n);
	free(s);
	if (error == 0)
		crypto_hex(hex, md, mdlen, 0);
	return error;
}
