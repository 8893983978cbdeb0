/* Migrations: numbered SQL files applied once each, under a named lock. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/conf.h"
#include "common/crypto.h"
#include "common/db.h"
#include "common/keyfile.h"
#include "common/log.h"
#include "common/vault.h"
#include "migrate.h"
#include "rekey.h"

static const char migrate_table_sql[] =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " version INT UNSIGNED NOT NULL PRIMARY KEY,"
    " name VARCHAR(128) NOT NULL,"
    " applied_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP)";
static const char migrate_lock_sql[] = "SELECT GET_LOCK('vigil.migrate', 60)";
static const char migrate_has_sql[] =
    "SELECT 1 FROM schema_migrations WHERE version = ?";
static const char migrate_done_sql[] =
    "INSERT INTO schema_migrations (version, name) VALUES (?, ?)";

static int
migrate_locked(struct db *db)
{
	struct db_res *res;
	const char *v;
	int error, got;

	if ((error = db_query(db, &res, migrate_lock_sql, "")) != 0)
		return error;
	v = db_res_get(res, 0, 0, NULL);
	got = v != NULL && strcmp(v, "1") == 0;
	db_res_free(res);
	return got ? 0 : ETIMEDOUT;
}

int
migrate_run(const struct vigil_conf *c)
{
	struct db *db;
	unsigned applied = 0;
	int error;

	if ((error = db_open(&db, c, NULL)) != 0)
		return error;
	if ((error = migrate_locked(db)) != 0 ||
	    (error = db_exec_script(db, migrate_table_sql)) != 0)
		goto out;
	for (unsigned i = 0; i < nmigrations; i++) {
		const struct migration *m = &migrations[i];
		struct db_res *res;
		unsigned have;

		if ((error = db_query(db, &res, migrate_has_sql, "i",
		    (int64_t)m->version)) != 0)
			goto out;
		have = db_res_rows(res);
		db_res_free(res);
		if (have)
			continue;
		/* DDL commits by itself: scripts are idempotent instead. */
		if ((error = db_exec_script(db, m->sql)) != 0) {
			log_warnx("migration %s failed: %s", m->name,
			    db_error(db));
			goto out;
		}
		if ((error = db_exec(db, NULL, migrate_done_sql, "is",
		    (int64_t)m->version, m->name)) != 0)
			goto out;
		log_info("applied migration %s", m->name);
		applied++;
	}
	if ((error = rekey_labels(c, db)) != 0)
		goto out;
	log_info("schema at version %u (%u applied now)",
	    nmigrations ? migrations[nmigrations - 1].version : 0, applied);
out:
	if (error)
		log_warnx("migrate: %s", error == ENOTCONN ?
		    "database unreachable" : strerror(error));
	db_close(db);
	return error;
}

int
migrate_init_operator(const struct vigil_conf *c)
{
	static const char sql[] =
	    "INSERT IGNORE INTO api_keys (access_key_id, role, secret_enc)"
	    " VALUES (?, 'operator', ?)";
	char id[KEYFILE_FIELD_MAX], secret[KEYFILE_FIELD_MAX];
	char *path = conf_path(c, "operator.key");
	struct db *db = NULL;
	uint8_t *enc = NULL;
	size_t enclen;
	int error, created = 0;

	if (path == NULL)
		return ENOMEM;
	if ((error = vault_init(c->master_key_file, 1)) != 0)
		goto out;
	if ((error = keyfile_read(path, id, secret)) == ENOENT) {
		if ((error = crypto_random_hex(id, 16, 0)) != 0 ||
		    (error = crypto_random_hex(secret, 16, 1)) != 0)
			goto out;
		created = 1;
	} else if (error) {
		log_warnx("%s: unreadable key file", path);
		goto out;
	}
	if ((error = vault_seal(id, secret, &enc, &enclen)) != 0 ||
	    (error = db_open(&db, c, NULL)) != 0 ||
	    (error = db_exec(db, NULL, sql, "sb", id, enc, enclen)) != 0)
		goto out;
	if (created && (error = keyfile_write(path, id, secret)) != 0) {
		log_warnx("%s: cannot write: %s", path, strerror(error));
		goto out;
	}
	log_info("operator key %s %s", id, created ? "created" : "present");
out:
	db_close(db);
	free(enc);
	free(path);
	return error;
}
