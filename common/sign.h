/* Request signing of the RPC API (HMAC-SHA1 over the canonical query). */
#ifndef VIGIL_SIGN_H
#define VIGIL_SIGN_H

#include <stddef.h>

#include "buf.h"

struct sign_param {
	const char	*name;
	const char	*value;
};

#define SIGN_B64_LEN	29	/* base64 of 20 bytes + NUL */

/* Appends the RFC 3986 percent-encoding of s[0..n) to b. */
int	sign_pct_encode(struct buf *b, const char *s, size_t n);
/* Sorts params by name (byte order), in place. */
void	sign_sort(struct sign_param *v, size_t n);
/*
 * Appends METHOD&%2F&pct(canonical query) for sorted params to b, leaving
 * out any parameter named "Signature".
 */
int	sign_string_to_sign(struct buf *b, const char *method,
	    const struct sign_param *v, size_t n);
/* Base64 HMAC-SHA1 with key secret + "&" of string_to_sign into out. */
void	sign_compute(char out[SIGN_B64_LEN], const char *secret,
	    const char *string_to_sign, size_t len);

/*
 * Type-A play URL signing (NOTES section 5): the hash of
 * auth_key={exp}-{rand}-{uid}-{hash}, md5hex("{uri}-{exp}-{rand}-{uid}-{key}"),
 * into hex. 0, ENOMEM or EIO.
 */
int	sign_play_hash(char hex[33], const char *uri, const char *exp,
	    const char *rnd, const char *uid, const char *key);

#endif
