/* Authentication: signature, timestamp window, nonce ledger, key, tenant. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/crypto.h>

#include "common/buf.h"
#include "common/conf.h"
#include "common/crypto.h"
#include "common/db.h"
#include "common/log.h"
#include "common/sign.h"
#include "common/vault.h"
#include "common/vtime.h"
#include "auth.h"

#define AUTH_NONCE_MAX	128
#define AUTH_KEY_MAX	64
#define AUTH_CACHE_SIZE	64

static const char auth_key_sql[] =
    "SELECT k.secret_enc, k.role, k.tenant_id, t.status"
    " FROM api_keys k LEFT JOIN tenants t ON t.id = k.tenant_id"
    " WHERE k.access_key_id = ? AND k.revoked = 0";

/*
 * Records the nonce only while the key is usable (not revoked, its tenant
 * not suspended: the ordering Actions keep api_keys.enabled in step), in one
 * single-table statement so workers on any node sharing the database agree.
 * Affects 0 rows on a replay or an unusable key (the caller tells them
 * apart), 1 for a new nonce and 2 when an expired row was reused.
 */
static const char auth_nonce_sql[] =
    "INSERT INTO nonces (access_key_id, nonce, expires_at)"
    " SELECT access_key_id, ?, UTC_TIMESTAMP() + INTERVAL ? SECOND"
    " FROM api_keys WHERE access_key_id = ? AND revoked = 0 AND enabled = 1"
    " ON DUPLICATE KEY UPDATE expires_at = IF(expires_at < UTC_TIMESTAMP(),"
    " VALUES(expires_at), expires_at)";

static const char auth_gc_sql[] =
    "DELETE FROM nonces WHERE expires_at < UTC_TIMESTAMP() LIMIT 1000";

static enum api_err
auth_common(struct api_req *r)
{
	static const char *const signing[] = { "AccessKeyId", "Signature",
	    "SignatureMethod", "SignatureVersion", "SignatureNonce" };
	const char *v;

	for (size_t i = 0; i < sizeof(signing) / sizeof(signing[0]); i++) {
		v = api_param(r, signing[i]);
		if (v == NULL || *v == '\0')
			return api_fail(r, AE_INCOMPLETE_SIGNATURE,
			    "The request signature is incomplete: %s is "
			    "missing.", signing[i]);
	}
	if (strcmp(api_param(r, "SignatureMethod"), "HMAC-SHA1") != 0)
		return api_fail(r, AE_INCOMPLETE_SIGNATURE,
		    "SignatureMethod must be HMAC-SHA1.");
	if (strcmp(api_param(r, "SignatureVersion"), "1.0") != 0)
		return api_fail(r, AE_INCOMPLETE_SIGNATURE,
		    "SignatureVersion must be 1.0.");
	if (strlen(api_param(r, "SignatureNonce")) > AUTH_NONCE_MAX)
		return api_fail(r, AE_INCOMPLETE_SIGNATURE,
		    "SignatureNonce is longer than %d characters.",
		    AUTH_NONCE_MAX);
	if (strlen(api_param(r, "AccessKeyId")) > AUTH_KEY_MAX)
		return api_fail(r, AE_KEY_NOT_FOUND,
		    "The specified AccessKeyId is not found.");
	if ((v = api_param(r, "Version")) == NULL || *v == '\0')
		return api_fail(r, AE_MISSING_PARAMETER,
		    "The input parameter Version is mandatory.");
	if (strcmp(v, "2018-12-12") != 0)
		return api_fail(r, AE_INVALID_VERSION,
		    "The specified Version is not supported: use 2018-12-12.");
	if ((v = api_param(r, "Format")) != NULL && strcasecmp(v, "JSON") != 0)
		return api_fail(r, AE_INVALID_PARAMETER,
		    "The specified Format is not supported: use JSON.");
	return AE_OK;
}

static enum api_err
auth_timestamp(struct api_req *r)
{
	const char *v = api_param(r, "Timestamp");
	time_t t, now = time(NULL);

	if (v == NULL || *v == '\0')
		return api_fail(r, AE_MISSING_PARAMETER,
		    "The input parameter Timestamp is mandatory.");
	if (vtime_parse(v, &t) != 0)
		return api_fail(r, AE_TIMESTAMP_FORMAT,
		    "Timestamp must be YYYY-MM-DDThh:mm:ssZ in UTC.");
	if (llabs((long long)(t - now)) > r->conf->timestamp_window)
		return api_fail(r, AE_TIMESTAMP_EXPIRED,
		    "Timestamp is more than %d seconds away from server time.",
		    r->conf->timestamp_window);
	return AE_OK;
}

/*
 * Keys never change once made, so each worker keeps the ones it has seen;
 * revocation and the tenant's status are checked on every request by the
 * nonce statement instead, which saves a round trip per request.
 */
struct auth_key {
	char		id[AUTH_KEY_MAX + 1];
	char		secret[64];
	int		is_operator;
	uint64_t	tenant_id;
};

static struct auth_key auth_cache[AUTH_CACHE_SIZE];
static unsigned auth_cache_next;

static struct auth_key *
auth_cache_find(const char *id)
{
	for (unsigned i = 0; i < AUTH_CACHE_SIZE; i++)
		if (strcmp(auth_cache[i].id, id) == 0)
			return &auth_cache[i];
	return NULL;
}

static void
auth_cache_drop(struct auth_key *k)
{
	OPENSSL_cleanse(k, sizeof(*k));
}

/*
 * Reads the key from the database. With cache set it is remembered (round
 * robin); *status gets the tenant's status (2 for the operator).
 */
static enum api_err
auth_key_load(struct api_req *r, const char *id, struct auth_key *out,
    int *status)
{
	struct db_res *res = NULL;
	const char *enc, *tenant, *st;
	char *secret = NULL;
	size_t enclen;
	enum api_err e = AE_OK;
	int error;

	if ((error = db_query(r->db, &res, auth_key_sql, "s", id)) != 0)
		return api_fail_errno(r, error, "key lookup");
	if (db_res_rows(res) == 0) {
		e = api_fail(r, AE_KEY_NOT_FOUND,
		    "The specified AccessKeyId is not found.");
		goto out;
	}
	enc = db_res_get(res, 0, 0, &enclen);
	tenant = db_res_get(res, 0, 2, NULL);
	st = db_res_get(res, 0, 3, NULL);
	if ((error = vault_open(id, enc, enclen, &secret)) != 0 ||
	    strlen(secret) >= sizeof(out->secret)) {
		e = api_fail_errno(r, error ? error : EINVAL, "key unseal");
		goto out;
	}
	memset(out, 0, sizeof(*out));
	snprintf(out->id, sizeof(out->id), "%s", id);
	snprintf(out->secret, sizeof(out->secret), "%s", secret);
	out->is_operator = strcmp(db_res_get(res, 0, 1, NULL), "operator") == 0;
	out->tenant_id = tenant ? strtoull(tenant, NULL, 10) : 0;
	*status = out->is_operator ? 2 : st ? atoi(st) : 0;
out:
	if (secret != NULL) {
		OPENSSL_cleanse(secret, strlen(secret));
		free(secret);
	}
	db_res_free(res);
	return e;
}

enum api_err
auth_signature(struct api_req *r, const char *secret)
{
	char sig[SIGN_B64_LEN];
	struct buf sts = { 0 };
	const char *given = api_param(r, "Signature");
	enum api_err e = AE_OK;

	if (given == NULL)
		return api_fail(r, AE_INCOMPLETE_SIGNATURE,
		    "The request signature is incomplete: Signature is "
		    "missing.");
	if (sign_string_to_sign(&sts, r->method, r->params.v,
	    r->params.n) != 0) {
		buf_free(&sts);
		return api_fail_errno(r, ENOMEM, "string to sign");
	}
	sign_compute(sig, secret, sts.p, sts.len);
	if (!crypto_streq(sig, given))
		e = api_fail(r, AE_SIGNATURE_MISMATCH,
		    "The request signature does not conform to standards. "
		    "Server StringToSign: %.400s", sts.p);
	buf_free(&sts);
	return e;
}

enum api_err
auth_precheck(struct api_req *r)
{
	enum api_err e;

	if ((e = auth_common(r)) != AE_OK)
		return e;
	return auth_timestamp(r);
}

enum api_err
auth_check(struct api_req *r)
{
	struct auth_key *k, fresh;
	const char *id;
	uint64_t affected = 0;
	enum api_err e;
	int error, status;

	if ((e = auth_precheck(r)) != AE_OK)
		return e;
	id = api_param(r, "AccessKeyId");
	if ((k = auth_cache_find(id)) == NULL) {
		if ((e = auth_key_load(r, id, &fresh, &status)) != AE_OK)
			return e;
		k = &auth_cache[auth_cache_next++ % AUTH_CACHE_SIZE];
		auth_cache_drop(k);
		*k = fresh;
		auth_cache_drop(&fresh);
	}
	if ((e = auth_signature(r, k->secret)) != AE_OK)
		return e;
	if ((error = db_exec(r->db, &affected, auth_nonce_sql, "sis",
	    api_param(r, "SignatureNonce"), (int64_t)r->conf->nonce_ttl,
	    id)) != 0)
		return api_fail_errno(r, error, "nonce ledger");
	if (affected == 0) {
		/* rare: a replay, or the key or tenant changed; look again */
		auth_cache_drop(k);
		if ((e = auth_key_load(r, id, &fresh, &status)) != AE_OK)
			return e;
		auth_cache_drop(&fresh);
		if (status != 2)
			return api_fail(r, AE_USER_SUSPENDED,
			    "The service of this account is suspended.");
		return api_fail(r, AE_NONCE_USED,
		    "The SignatureNonce has been used already.");
	}
	r->key_id = id;
	r->is_operator = k->is_operator;
	r->tenant_id = k->tenant_id;
	return AE_OK;
}

void
auth_gc(struct db *db)
{
	(void)db_exec(db, NULL, auth_gc_sql, "");
}
