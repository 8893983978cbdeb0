/*
 * Ordering Actions (spec section 9, NOTES section 3): tenants and their API
 * keys. Status: 0 never opened (no row), 1 suspended, 2 open, 3 deleted.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "common/crypto.h"
#include "common/db.h"
#include "common/vault.h"
#include "fcgi/res.h"
#include "actions.h"

enum { MTS_NEVER, MTS_SUSPENDED, MTS_OPEN, MTS_DELETED };

#define MTS_USER_ID_MAX		64
#define MTS_ACCESS_INFO_MAX	1024

static const struct route_param mts_create_params[] = {
	{ "UserId", PT_STRING, 1, 1, MTS_USER_ID_MAX },
	{ "AccessInfo", PT_JSON, 1, 0, MTS_ACCESS_INFO_MAX },
	{ NULL, 0, 0, 0, 0 }
};

static const struct route_param mts_user_params[] = {
	{ "UserId", PT_STRING, 1, 1, MTS_USER_ID_MAX },
	{ NULL, 0, 0, 0, 0 }
};

static const char mts_lookup_sql[] =
    "SELECT id, status FROM tenants WHERE user_id = ? FOR UPDATE";
static const char mts_insert_sql[] =
    "INSERT INTO tenants (user_id, status, access_info) VALUES (?, 2, ?)";
static const char mts_reopen_sql[] =
    "UPDATE tenants SET status = 2, access_info = ? WHERE id = ?";
static const char mts_access_sql[] =
    "UPDATE tenants SET access_info = ? WHERE id = ?";
static const char mts_key_sql[] =
    "SELECT access_key_id, secret_enc FROM api_keys"
    " WHERE tenant_id = ? AND role = 'tenant' AND revoked = 0"
    " ORDER BY created_at LIMIT 1";
static const char mts_key_insert_sql[] =
    "INSERT INTO api_keys (access_key_id, role, tenant_id, secret_enc,"
    " enabled) VALUES (?, 'tenant', ?, ?, ?)";
static const char mts_status_sql[] =
    "UPDATE tenants SET status = ? WHERE id = ?";
static const char mts_revoke_sql[] =
    "UPDATE api_keys SET revoked = 1 WHERE tenant_id = ?";
static const char mts_enable_sql[] =
    "UPDATE api_keys SET enabled = ? WHERE tenant_id = ?";
/*
 * A deleted tenant's resources go with it. Live streams are told to stop
 * first: the job outlives the rows, so the media plane still kicks them.
 */
static const char mts_stop_live_sql[] =
    "INSERT INTO jobs (tenant_id, kind, target, payload)"
    " SELECT tenant_id, 'stream.stop', id, ?"
    " FROM streams WHERE tenant_id = ? AND status = 'on'";
static const char *const mts_purge_sql[] = {
	"DELETE FROM template_bindings WHERE tenant_id = ?",
	"DELETE FROM trans_configs WHERE template_id IN"
	" (SELECT id FROM templates WHERE tenant_id = ?)",
	"DELETE FROM templates WHERE tenant_id = ?",
	"DELETE FROM records WHERE tenant_id = ?",
	"DELETE FROM channels WHERE tenant_id = ?",
	"DELETE FROM streams WHERE tenant_id = ?",
	"DELETE FROM devices WHERE tenant_id = ?",
	"DELETE FROM directories WHERE tenant_id = ?",
	"DELETE FROM spaces WHERE tenant_id = ?",
	"DELETE FROM play_auth_keys WHERE tenant_id = ?",
	"DELETE FROM jobs WHERE tenant_id = ? AND state = 'pending'"
	" AND kind <> 'stream.stop'",
	NULL
};

static const char mts_get_sql[] =
    "SELECT status FROM tenants WHERE user_id = ?";

/* UserId: letters, digits and - _ . @ (it appears in logs and URLs). */
static enum api_err
mts_check_user(struct api_req *r, const char **user)
{
	*user = api_param(r, "UserId");
	for (const char *s = *user; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || strchr("-_.@", *s)))
			return api_fail(r, AE_INVALID_PARAMETER,
			    "The parameter UserId may contain only letters, "
			    "digits and - _ . @.");
	return AE_OK;
}

/* Locks the tenant row; *status is MTS_NEVER when there is none. */
static int
mts_lookup(struct api_req *r, const char *user, uint64_t *id, int *status)
{
	struct db_res *res;
	int error;

	if ((error = db_query(r->db, &res, mts_lookup_sql, "s", user)) != 0)
		return error;
	*id = 0;
	*status = MTS_NEVER;
	if (db_res_rows(res) > 0) {
		*id = strtoull(db_res_get(res, 0, 0, NULL), NULL, 10);
		*status = atoi(db_res_get(res, 0, 1, NULL));
	}
	db_res_free(res);
	return 0;
}

/* A key of a suspended tenant is made disabled, like its others. */
static int
mts_new_key(struct api_req *r, uint64_t tenant, int enabled, char id[33],
    char secret[33])
{
	uint8_t *enc;
	size_t enclen;
	int error;

	if ((error = crypto_random_hex(id, 16, 0)) != 0 ||
	    (error = crypto_random_hex(secret, 16, 1)) != 0 ||
	    (error = vault_seal(id, secret, &enc, &enclen)) != 0)
		return error;
	error = db_exec(r->db, NULL, mts_key_insert_sql, "sibi", id,
	    (int64_t)tenant, enc, enclen, (int64_t)enabled);
	free(enc);
	return error;
}

static int
mts_existing_key(struct api_req *r, uint64_t tenant, int status, char id[33],
    char secret[33])
{
	struct db_res *res;
	const char *enc;
	char *plain;
	size_t enclen;
	int error;

	if ((error = db_query(r->db, &res, mts_key_sql, "i",
	    (int64_t)tenant)) != 0)
		return error;
	if (db_res_rows(res) == 0) {
		db_res_free(res);
		return mts_new_key(r, tenant, status == MTS_OPEN, id, secret);
	}
	snprintf(id, 33, "%s", db_res_get(res, 0, 0, NULL));
	enc = db_res_get(res, 0, 1, &enclen);
	if ((error = vault_open(id, enc, enclen, &plain)) == 0) {
		snprintf(secret, 33, "%s", plain);
		OPENSSL_cleanse(plain, strlen(plain));
		free(plain);
	}
	db_res_free(res);
	return error;
}

static int
mts_create_tx(struct api_req *r, const char *user, char id[33],
    char secret[33])
{
	char aad[96];
	uint8_t *info = NULL;
	size_t infolen;
	uint64_t tenant;
	int status, error;

	snprintf(aad, sizeof(aad), "access_info:%s", user);
	if ((error = vault_seal(aad, api_param(r, "AccessInfo"), &info,
	    &infolen)) != 0)
		return error;
	if ((error = db_begin(r->db)) != 0)
		goto out;
	if ((error = mts_lookup(r, user, &tenant, &status)) != 0)
		goto out;
	switch (status) {
	case MTS_NEVER:
		if ((error = db_exec(r->db, NULL, mts_insert_sql, "sb", user,
		    info, infolen)) != 0 ||
		    (error = mts_lookup(r, user, &tenant, &status)) != 0)
			goto out;
		error = mts_new_key(r, tenant, 1, id, secret);
		break;
	case MTS_DELETED:
		/* A deleted tenant opens afresh, with new keys. */
		if ((error = db_exec(r->db, NULL, mts_reopen_sql, "bi", info,
		    infolen, (int64_t)tenant)) != 0)
			goto out;
		error = mts_new_key(r, tenant, 1, id, secret);
		break;
	default:
		/* Idempotent: the same keys; the newest storage keys win. */
		if ((error = db_exec(r->db, NULL, mts_access_sql, "bi", info,
		    infolen, (int64_t)tenant)) != 0)
			goto out;
		error = mts_existing_key(r, tenant, status, id, secret);
		break;
	}
	if (error == 0)
		error = db_commit(r->db);
out:
	if (error)
		db_rollback(r->db);
	free(info);
	return error;
}

static enum api_err
mts_create(struct api_req *r)
{
	char id[33], secret[33];
	const char *user;
	enum api_err e;
	int error;

	if ((e = mts_check_user(r, &user)) != AE_OK ||
	    (e = res_access_info(r)) != AE_OK)
		return e;
	/* Two first creates of one UserId race on the unique key: the
	 * loser retries and finds the winner's row (a deadlock between them
	 * is run again by the router). */
	for (int tries = 0; tries < 3; tries++)
		if ((error = mts_create_tx(r, user, id, secret)) != EEXIST)
			break;
	if (error)
		return api_fail_errno(r, error, "CreateMtsService");
	r->body = json_object_new_object();
	json_object_object_add(r->body, "UserId", json_object_new_string(user));
	json_object_object_add(r->body, "UserAccessKeyId",
	    json_object_new_string(id));
	json_object_object_add(r->body, "UserAccessKeySecret",
	    json_object_new_string(secret));
	OPENSSL_cleanse(secret, sizeof(secret));
	return AE_OK;
}

/* Revokes the keys and removes every resource of a tenant. */
static int
mts_purge(struct api_req *r, uint64_t tenant)
{
	int error;

	if ((error = db_exec(r->db, NULL, mts_revoke_sql, "i",
	    (int64_t)tenant)) != 0 ||
	    (error = db_exec(r->db, NULL, mts_stop_live_sql, "si",
	    "{\"reason\":\"tenant deleted\"}", (int64_t)tenant)) != 0)
		return error;
	for (size_t i = 0; mts_purge_sql[i] != NULL && error == 0; i++)
		error = db_exec(r->db, NULL, mts_purge_sql[i], "i",
		    (int64_t)tenant);
	return error;
}

/* Moves an existing, not deleted tenant to status to. */
static enum api_err
mts_transition(struct api_req *r, int to)
{
	const char *user;
	uint64_t tenant;
	int status, error;
	enum api_err e;

	if ((e = mts_check_user(r, &user)) != AE_OK)
		return e;
	if ((error = db_begin(r->db)) != 0)
		return api_fail_errno(r, error, r->route->action);
	if ((error = mts_lookup(r, user, &tenant, &status)) != 0)
		goto fail;
	if (status == MTS_NEVER || status == MTS_DELETED) {
		db_rollback(r->db);
		return api_fail(r, AE_USER_NOT_FOUND,
		    "The UserId %s has no service.", user);
	}
	if ((error = db_exec(r->db, NULL, mts_status_sql, "ii", (int64_t)to,
	    (int64_t)tenant)) != 0)
		goto fail;
	if (to == MTS_DELETED)
		error = mts_purge(r, tenant);
	else if ((error = db_exec(r->db, NULL, mts_enable_sql, "ii",
	    (int64_t)(to == MTS_OPEN), (int64_t)tenant)) == 0 &&
	    to == MTS_SUSPENDED)
		/* a suspended tenant's live streams are kicked */
		error = db_exec(r->db, NULL, mts_stop_live_sql, "si",
		    "{\"reason\":\"tenant suspended\"}", (int64_t)tenant);
	if (error)
		goto fail;
	if ((error = db_commit(r->db)) != 0)
		goto fail;
	return AE_OK;
fail:
	db_rollback(r->db);
	return api_fail_errno(r, error, r->route->action);
}

static enum api_err
mts_suspend(struct api_req *r)
{
	return mts_transition(r, MTS_SUSPENDED);
}

static enum api_err
mts_renew(struct api_req *r)
{
	return mts_transition(r, MTS_OPEN);
}

static enum api_err
mts_delete(struct api_req *r)
{
	return mts_transition(r, MTS_DELETED);
}

static enum api_err
mts_status(struct api_req *r)
{
	struct db_res *res;
	const char *user;
	enum api_err e;
	int error, status = MTS_NEVER;

	if ((e = mts_check_user(r, &user)) != AE_OK)
		return e;
	if ((error = db_query(r->db, &res, mts_get_sql, "s", user)) != 0)
		return api_fail_errno(r, error, "GetMtsServiceStatus");
	if (db_res_rows(res) > 0)
		status = atoi(db_res_get(res, 0, 0, NULL));
	db_res_free(res);
	r->body = json_object_new_object();
	json_object_object_add(r->body, "Status", json_object_new_int(status));
	return AE_OK;
}

const struct route mts_routes[] = {
	{ "CreateMtsService", mts_create, PERM_OPERATOR, mts_create_params },
	{ "SuspendMtsService", mts_suspend, PERM_OPERATOR, mts_user_params },
	{ "RenewMtsService", mts_renew, PERM_OPERATOR, mts_user_params },
	{ "DeleteMtsService", mts_delete, PERM_OPERATOR, mts_user_params },
	{ "GetMtsServiceStatus", mts_status, PERM_OPERATOR, mts_user_params },
	{ NULL, NULL, 0, NULL }
};
