/* Crypto helpers: thin wrappers over OpenSSL, no hand-made primitives. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "crypto.h"
#include "log.h"

int
crypto_random(void *buf, size_t n)
{
	return RAND_bytes(buf, (int)n) == 1 ? 0 : EIO;
}

void
crypto_hex(char *out, const void *in, size_t n, int upper)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	const uint8_t *p = in;

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	out[2 * n] = '\0';
}

int
crypto_random_hex(char *out, size_t n, int upper)
{
	uint8_t buf[64];

	if (n > sizeof(buf) || crypto_random(buf, n) != 0)
		return EIO;
	crypto_hex(out, buf, n, upper);
	return 0;
}

int
crypto_uuid(char out[37])
{
	uint8_t b[16];
	char hex[33];

	if (crypto_random(b, sizeof(b)) != 0)
		return EIO;
	b[6] = (b[6] & 0x0f) | 0x40;	/* version 4 */
	b[8] = (b[8] & 0x3f) | 0x80;	/* RFC 4122 variant */
	crypto_hex(hex, b, sizeof(b), 1);
	snprintf(out, 37, "%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8, hex + 12,
	    hex + 16, hex + 20);
	return 0;
}

void
crypto_hmac_sha1_b64(char *out, const char *key, size_t keylen,
    const char *msg, size_t msglen)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	HMAC(EVP_sha1(), key, (int)keylen, (const unsigned char *)msg, msglen,
	    md, &mdlen);
	EVP_EncodeBlock((unsigned char *)out, md, (int)mdlen);
}

void
crypto_hmac_sha256_hex(char *out, const void *key, size_t keylen,
    const void *msg, size_t msglen)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	HMAC(EVP_sha256(), key, (int)keylen, msg, msglen, md, &mdlen);
	crypto_hex(out, md, mdlen, 0);
}

int
crypto_streq(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	if (la != lb)
		return 0;
	return CRYPTO_memcmp(a, b, la) == 0;
}

int
crypto_seal(const uint8_t key[CRYPTO_KEY_LEN], const void *aad, size_t aadlen,
    const void *in, size_t inlen, uint8_t *out)
{
	EVP_CIPHER_CTX *ctx;
	int n, error = EIO;

	if (crypto_random(out, 12) != 0)
		return EIO;
	if ((ctx = EVP_CIPHER_CTX_new()) == NULL)
		return ENOMEM;
	if (EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, key, out) != 1 ||
	    EVP_EncryptUpdate(ctx, NULL, &n, aad, (int)aadlen) != 1 ||
	    EVP_EncryptUpdate(ctx, out + 12, &n, in, (int)inlen) != 1 ||
	    EVP_EncryptFinal_ex(ctx, out + 12 + n, &n) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, 16,
	    out + 12 + inlen) != 1)
		goto out;
	error = 0;
out:
	EVP_CIPHER_CTX_free(ctx);
	return error;
}

int
crypto_open(const uint8_t key[CRYPTO_KEY_LEN], const void *aad, size_t aadlen,
    const uint8_t *in, size_t inlen, uint8_t *out, size_t *outlen)
{
	EVP_CIPHER_CTX *ctx;
	size_t clen;
	int n, error = EBADMSG;

	if (inlen < CRYPTO_SEAL_OVERHEAD)
		return EBADMSG;
	clen = inlen - CRYPTO_SEAL_OVERHEAD;
	if ((ctx = EVP_CIPHER_CTX_new()) == NULL)
		return ENOMEM;
	if (EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, key, in) != 1 ||
	    EVP_DecryptUpdate(ctx, NULL, &n, aad, (int)aadlen) != 1 ||
	    EVP_DecryptUpdate(ctx, out, &n, in + 12, (int)clen) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, 16,
	    (void *)(in + 12 + clen)) != 1 ||
	    EVP_DecryptFinal_ex(ctx, out + n, &n) != 1)
		goto out;
	*outlen = clen;
	error = 0;
out:
	EVP_CIPHER_CTX_free(ctx);
	return error;
}

int
crypto_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Exactly 2n hex digits: sscanf("%2x") would take " 1", "-1", "0x" or a
 * digit and a newline, loading a truncated or mangled file as another key.
 */
static int
crypto_unhex(uint8_t *out, const char *hex, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int hi = crypto_hexval(hex[2 * i]);
		int lo = crypto_hexval(hex[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return EINVAL;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

int
crypto_master_key_load(const char *path, int create,
    uint8_t key[CRYPTO_KEY_LEN])
{
	char hex[2 * CRYPTO_KEY_LEN + 2];
	struct stat st;
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		if (errno != ENOENT || !create) {
			log_warn("master key %s", path);
			return errno;
		}
		if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
		    0600)) == -1) {
			log_warn("create master key %s", path);
			return errno;
		}
		if (crypto_random(key, CRYPTO_KEY_LEN) != 0) {
			close(fd);
			unlink(path);
			return EIO;
		}
		crypto_hex(hex, key, CRYPTO_KEY_LEN, 0);
		strcat(hex, "\n");
		n = write(fd, hex, strlen(hex));
		if (close(fd) != 0 || n != (ssize_t)strlen(hex)) {
			log_warn("write master key %s", path);
			unlink(path);
			return EIO;
		}
		log_info("created master key %s", path);
		return 0;
	}
	if (fstat(fd, &st) == 0 && (st.st_mode & 077) != 0) {
		log_warnx("master key %s is accessible by group/others "
		    "(chmod 600)", path);
		close(fd);
		return EPERM;
	}
	n = read(fd, hex, sizeof(hex) - 1);
	close(fd);
	if (n < 2 * CRYPTO_KEY_LEN ||
	    crypto_unhex(key, hex, CRYPTO_KEY_LEN) != 0) {
		log_warnx("master key %s: expected 64 hex digits", path);
		return EINVAL;
	}
	return 0;
}
