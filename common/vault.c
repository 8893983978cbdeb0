/* Secrets at rest under the master key (see vault.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "crypto.h"
#include "vault.h"

static uint8_t vault_key[CRYPTO_KEY_LEN];
static int vault_ready;

int
vault_init(const char *master_key_file, int create)
{
	int error;

	if ((error = crypto_master_key_load(master_key_file, create,
	    vault_key)) == 0)
		vault_ready = 1;
	return error;
}

int
vault_seal(const char *aad, const char *s, uint8_t **outp, size_t *outlen)
{
	size_t n = strlen(s);
	uint8_t *out;
	int error;

	*outp = NULL;
	if (!vault_ready)
		return EINVAL;
	if ((out = malloc(n + CRYPTO_SEAL_OVERHEAD)) == NULL)
		return ENOMEM;
	if ((error = crypto_seal(vault_key, aad, strlen(aad), s, n, out))) {
		free(out);
		return error;
	}
	*outp = out;
	*outlen = n + CRYPTO_SEAL_OVERHEAD;
	return 0;
}

int
vault_open(const char *aad, const void *in, size_t inlen, char **outp)
{
	size_t n;
	char *out;
	int error;

	*outp = NULL;
	if (!vault_ready)
		return EINVAL;
	if ((out = malloc(inlen + 1)) == NULL)
		return ENOMEM;
	if ((error = crypto_open(vault_key, aad, strlen(aad), in, inlen,
	    (uint8_t *)out, &n)) != 0) {
		free(out);
		return error;
	}
	out[n] = '\0';
	*outp = out;
	return 0;
}
