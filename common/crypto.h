/* Crypto on OpenSSL: random, hex, base64, HMAC, MD5, AES-256-GCM sealing. */
#ifndef VIGIL_CRYPTO_H
#define VIGIL_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#define CRYPTO_KEY_LEN		32
#define CRYPTO_SEAL_OVERHEAD	(12 + 16)	/* IV + tag */

/* Fills buf with n cryptographically random bytes; 0 or EIO. */
int	crypto_random(void *buf, size_t n);
/* Writes 2n hex digits and a NUL to out (upper != 0: A-F). */
void	crypto_hex(char *out, const void *in, size_t n, int upper);
/* The value of one hex digit (either case), or -1. */
int	crypto_hexval(char c);
/* n random bytes as 2n hex digits plus NUL into out. */
int	crypto_random_hex(char *out, size_t n, int upper);
/* Uppercase UUID text (36 chars + NUL) from random bits. */
int	crypto_uuid(char out[37]);

/* Base64 of HMAC-SHA1(key, msg) into out (at least 29 bytes). */
void	crypto_hmac_sha1_b64(char *out, const char *key, size_t keylen,
	    const char *msg, size_t msglen);
/* Lowercase hex of HMAC-SHA256(key, msg) into out (65 bytes). */
void	crypto_hmac_sha256_hex(char *out, const void *key, size_t keylen,
	    const void *msg, size_t msglen);
/* Constant-time equality of two NUL-terminated strings. */
int	crypto_streq(const char *a, const char *b);

/*
 * AES-256-GCM: seal writes IV | ciphertext | tag (inlen + 28 bytes) to out,
 * binding aad; open reverses it and returns EBADMSG when anything was
 * altered. out must hold inlen (+28 for seal) bytes.
 */
int	crypto_seal(const uint8_t key[CRYPTO_KEY_LEN], const void *aad,
	    size_t aadlen, const void *in, size_t inlen, uint8_t *out);
int	crypto_open(const uint8_t key[CRYPTO_KEY_LEN], const void *aad,
	    size_t aadlen, const uint8_t *in, size_t inlen, uint8_t *out,
	    size_t *outlen);

/*
 * Loads the 32-byte master key (64 hex digits) from path, creating it with
 * mode 0600 when absent and create is set. Refuses a file readable by others.
 */
int	crypto_master_key_load(const char *path, int create,
	    uint8_t key[CRYPTO_KEY_LEN]);

#endif
