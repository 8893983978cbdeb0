/*
 * Rotation of the master key and of the operator key (vigil-api
 * --rotate-master-key, --rotate-operator-key), run while the API and the
 * daemons are stopped: they hold the keys in memory.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "common/conf.h"
#include "common/crypto.h"
#include "common/db.h"
#include "common/keyfile.h"
#include "common/log.h"
#include "common/vault.h"
#include "rekey.h"

/*
 * Every sealed column, with the SQL of the label (AAD) its values are bound
 * to. A second label is one older code also sealed with: a value re-sealed
 * here gets the first.
 */
static const struct rekey_col {
	const char	*table;
	const char	*col;
	const char	*keys;		/* the row's key columns */
	const char	*where;		/* the same as the UPDATE's condition */
	unsigned	 nkeys;
	const char	*aad[2];
} rekey_cols[] = {
	{ "api_keys", "secret_enc", "access_key_id", "access_key_id = ?", 1,
	    { "access_key_id", NULL } },
	{ "tenants", "access_info", "id", "id = ?", 1,
	    { "CONCAT('access_info:', user_id)", NULL } },
	{ "devices", "password_enc", "id", "id = ?", 1, { "id", NULL } },
	{ "streams", "push_token_enc", "id", "id = ?", 1, { "id", NULL } },
	{ "streams", "access_info_enc", "id", "id = ?", 1,
	    { "CONCAT('access_info:', id)", "id" } },
	{ "play_auth_keys", "auth_key_enc", "tenant_id, num",
	    "tenant_id = ? AND num = ?", 2,
	    { "CONCAT('play_auth_key:', tenant_id)", NULL } },
};

#define REKEY_VALUE_MAX	4096

/*
 * Opens in (inlen bytes) with the old key, or with the new one when an
 * interrupted rotation already re-sealed it, under either label. *final is
 * set when it is sealed as it should end: the new key, the first label.
 * 0 or EBADMSG.
 */
static int
rekey_open(const uint8_t *keys[2], const char *aad[2], const uint8_t *in,
    size_t inlen, uint8_t *out, size_t *outlen, int *final)
{
	for (unsigned k = 0; k < 2; k++)
		for (unsigned a = 0; a < 2 && aad[a] != NULL; a++)
			if (crypto_open(keys[k], aad[a], strlen(aad[a]), in,
			    inlen, out, outlen) == 0) {
				*final = a == 0 && memcmp(keys[k], keys[1],
				    CRYPTO_KEY_LEN) == 0;
				return 0;
			}
	return EBADMSG;
}

/*
 * Re-seals every value of one column not yet under keys[1] and its first
 * label; *np counts them, *skipped those that no key opens.
 */
static int
rekey_column(struct db *db, const struct rekey_col *rc,
    const uint8_t *keys[2], unsigned *np, unsigned *skipped)
{
	char sql[512];
	struct db_res *res = NULL;
	uint8_t plain[REKEY_VALUE_MAX], sealed[REKEY_VALUE_MAX +
	    CRYPTO_SEAL_OVERHEAD];
	int error = 0;

	snprintf(sql, sizeof(sql), "SELECT %s, %s, %s, %s FROM %s"
	    " WHERE %s IS NOT NULL FOR UPDATE", rc->keys, rc->aad[0],
	    rc->aad[1] ? rc->aad[1] : "NULL", rc->col, rc->table, rc->col);
	if ((error = db_query(db, &res, sql, "")) != 0)
		return error;
	for (unsigned row = 0; row < db_res_rows(res); row++) {
		const char *aad[2];
		struct db_arg args[3];
		int final;
		const uint8_t *in;
		size_t inlen, n;

		aad[0] = db_res_get(res, row, rc->nkeys, NULL);
		aad[1] = db_res_get(res, row, rc->nkeys + 1, NULL);
		in = (const uint8_t *)db_res_get(res, row, rc->nkeys + 2,
		    &inlen);
		/* Unreadable already (no key opens it): left as it is. */
		if (inlen > sizeof(sealed) || rekey_open(keys, aad, in, inlen,
		    plain, &n, &final) != 0) {
			log_warnx("%s.%s of %s %s does not open with the "
			    "master key: left as it is", rc->table, rc->col,
			    rc->keys, db_res_get(res, row, 0, NULL));
			(*skipped)++;
			continue;
		}
		error = final ? 0 : crypto_seal(keys[1], aad[0], strlen(aad[0]),
		    plain, n, sealed);
		OPENSSL_cleanse(plain, n);
		if (error != 0)
			break;
		if (final)
			continue;
		args[0] = (struct db_arg){ .type = 'b', .s = (char *)sealed,
		    .len = n + CRYPTO_SEAL_OVERHEAD };
		for (unsigned k = 0; k < rc->nkeys; k++)
			args[1 + k] = (struct db_arg){ .type = 's',
			    .s = db_res_get(res, row, k, NULL) };
		snprintf(sql, sizeof(sql), "UPDATE %s SET %s = ? WHERE %s",
		    rc->table, rc->col, rc->where);
		if ((error = db_execv(db, NULL, sql, args,
		    1 + rc->nkeys)) != 0)
			break;
		(*np)++;
	}
	db_res_free(res);
	return error;
}

/* path + suffix, malloc'd. */
static char *
rekey_path(const char *path, const char *suffix)
{
	char *s;

	if (asprintf(&s, "%s%s", path, suffix) == -1)
		return NULL;
	return s;
}

int
rekey_labels(const struct vigil_conf *c, struct db *db)
{
	uint8_t key[CRYPTO_KEY_LEN];
	const uint8_t *keys[2] = { key, key };
	unsigned n = 0, skipped = 0;
	int error;

	/* without a master key nothing was ever sealed */
	if (access(c->master_key_file, F_OK) != 0)
		return 0;
	if ((error = crypto_master_key_load(c->master_key_file, 0, key)) != 0 ||
	    (error = db_begin(db)) != 0)
		goto out;
	for (size_t i = 0; i < sizeof(rekey_cols) / sizeof(rekey_cols[0]); i++)
		if (rekey_cols[i].aad[1] != NULL && (error = rekey_column(db,
		    &rekey_cols[i], keys, &n, &skipped)) != 0)
			break;
	if (error != 0 || (error = db_commit(db)) != 0)
		db_rollback(db);
	else if (n > 0)
		log_info("%u values re-sealed under their purpose's label", n);
out:
	OPENSSL_cleanse(key, sizeof(key));
	return error;
}

int
rekey_master_key(const struct vigil_conf *c)
{
	uint8_t oldkey[CRYPTO_KEY_LEN], newkey[CRYPTO_KEY_LEN];
	const uint8_t *keys[2] = { oldkey, newkey };
	const char *cur = c->master_key_file;
	char *next = rekey_path(cur, ".new"), *old = rekey_path(cur, ".old");
	struct db *db = NULL;
	unsigned n = 0, skipped = 0;
	int error;

	if (next == NULL || old == NULL) {
		error = ENOMEM;
		goto out;
	}
	/* A .new left by an interrupted rotation is the key to finish with. */
	if ((error = crypto_master_key_load(cur, 0, oldkey)) != 0 ||
	    (error = crypto_master_key_load(next, 1, newkey)) != 0 ||
	    (error = db_open(&db, c, NULL)) != 0 ||
	    (error = db_begin(db)) != 0)
		goto out;
	for (size_t i = 0; i < sizeof(rekey_cols) / sizeof(rekey_cols[0]); i++)
		if ((error = rekey_column(db, &rekey_cols[i], keys, &n,
		    &skipped)) != 0)
			break;
	if (error != 0 || (error = db_commit(db)) != 0) {
		db_rollback(db);
		goto out;
	}
	/* The database holds the new key's values: the file follows. */
	if ((unlink(old) == -1 && errno != ENOENT) || link(cur, old) == -1 ||
	    rename(next, cur) == -1) {
		error = errno;
		log_warn("%s: cannot install the new master key (run the "
		    "rotation again)", cur);
		goto out;
	}
	log_info("master key rotated: %u values re-sealed, %u unreadable left "
	    "as they were, the previous key kept in %s", n, skipped, old);
out:
	if (error != 0)
		log_warnx("master key rotation failed: %s", strerror(error));
	OPENSSL_cleanse(oldkey, sizeof(oldkey));
	OPENSSL_cleanse(newkey, sizeof(newkey));
	db_close(db);
	free(next);
	free(old);
	return error;
}

int
rekey_operator(const struct vigil_conf *c)
{
	static const char insert_sql[] =
	    "INSERT INTO api_keys (access_key_id, role, secret_enc)"
	    " VALUES (?, 'operator', ?)";
	static const char revoke_sql[] =
	    "UPDATE api_keys SET revoked = 1"
	    " WHERE role = 'operator' AND access_key_id <> ?";
	char id[KEYFILE_FIELD_MAX], secret[KEYFILE_FIELD_MAX];
	char *path = conf_path(c, "operator.key"), *next = NULL;
	struct db *db = NULL;
	uint8_t *enc = NULL;
	size_t enclen;
	uint64_t revoked = 0;
	int error;

	if (path == NULL || (next = rekey_path(path, ".new")) == NULL) {
		error = ENOMEM;
		goto out;
	}
	if ((error = vault_init(c->master_key_file, 0)) != 0 ||
	    (error = crypto_random_hex(id, 16, 0)) != 0 ||
	    (error = crypto_random_hex(secret, 16, 1)) != 0 ||
	    (error = vault_seal(id, secret, &enc, &enclen)) != 0 ||
	    (error = db_open(&db, c, NULL)) != 0)
		goto out;
	/*
	 * New key in, file replaced, old keys out: an interruption leaves
	 * the file's key usable, and the next run revokes what is left.
	 */
	if ((unlink(next) == -1 && errno != ENOENT) ||
	    (error = keyfile_write(next, id, secret)) != 0 ||
	    (error = db_exec(db, NULL, insert_sql, "sb", id, enc,
	    enclen)) != 0)
		goto out;
	if (rename(next, path) == -1) {
		error = errno;
		log_warn("%s", path);
		goto out;
	}
	if ((error = db_exec(db, &revoked, revoke_sql, "s", id)) != 0)
		goto out;
	log_info("operator key %s created in %s, %" PRIu64 " previous "
	    "revoked", id, path, revoked);
out:
	if (error != 0) {
		if (next != NULL)
			unlink(next);
		log_warnx("operator key rotation failed: %s",
		    error == ENOTCONN ? "database unreachable" :
		    strerror(error));
	}
	OPENSSL_cleanse(secret, sizeof(secret));
	db_close(db);
	free(enc);
	free(next);
	free(path);
	return error;
}
