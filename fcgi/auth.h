/* Authentication of API requests (NOTES section 1). */
#ifndef VIGIL_AUTH_H
#define VIGIL_AUTH_H

#include "api.h"

/*
 * Checks the common parameters, timestamp, key, signature, nonce and the
 * tenant's status of r, in that order; on AE_OK r->key_id, is_operator and
 * tenant_id are set.
 */
enum api_err	auth_check(struct api_req *r);
/* The checks that need no database: common parameters and timestamp. */
enum api_err	auth_precheck(struct api_req *r);
/* Compares the request's Signature with the one secret gives. */
enum api_err	auth_signature(struct api_req *r, const char *secret);
/* Forgets expired nonces; cheap, called now and then by each worker. */
void		auth_gc(struct db *db);

#endif
