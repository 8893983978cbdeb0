/*
 * Secrets at rest: values sealed with AES-256-GCM under the master key,
 * each bound to its owner's id (the AAD) so a sealed value cannot be moved.
 */
#ifndef VIGIL_VAULT_H
#define VIGIL_VAULT_H

#include <stddef.h>
#include <stdint.h>

/* Loads (create != 0: creates if absent) the master key; 0 or errno. */
int	vault_init(const char *master_key_file, int create);
/* Seals s; *outp is malloc'd (*outlen bytes). */
int	vault_seal(const char *aad, const char *s, uint8_t **outp,
	    size_t *outlen);
/* Opens a sealed value into a malloc'd string; EBADMSG when tampered. */
int	vault_open(const char *aad, const void *in, size_t inlen, char **outp);

#endif
