/*
 * The outbox as vigil-notifyd sees it: which rows are due, claiming them
 * safely when several dispatchers run, signing, and recording the outcome.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/crypto.h"
#include "common/db.h"
#include "common/log.h"
#include "common/vault.h"
#include "notifyd.h"

#define OUTBOX_BACKOFF_MAX_S	300

/*
 * Due: pending, its time has come, and no older row of the same resource is
 * still pending (delivery is in order per resource). A plain read: the
 * claim re-checks each row under its lock. An event goes to its space's
 * Callback as it is now, not as it was when the event was queued.
 */
static const char outbox_due_sql[] =
    "SELECT o.id, COALESCE(s.callback, '') FROM outbox o"
    " LEFT JOIN spaces s ON s.id = o.group_id AND s.tenant_id = o.tenant_id"
    " WHERE o.state = 'pending' AND o.next_attempt <= UTC_TIMESTAMP(3)"
    " AND NOT EXISTS (SELECT 1 FROM outbox p WHERE"
    " p.resource_id = o.resource_id AND p.state = 'pending' AND p.id < o.id)"
    " ORDER BY o.id LIMIT ?";
/*
 * A row that was the oldest pending one of its resource stays so while it
 * is pending (older rows never return to pending), so re-checking state and
 * next_attempt on the locked, latest version is enough.
 */
static const char outbox_lock_sql[] =
    "SELECT id, tenant_id, resource_id, group_id, body, attempts FROM outbox"
    " WHERE id = ? AND state = 'pending' AND next_attempt <= UTC_TIMESTAMP(3)"
    " FOR UPDATE SKIP LOCKED";
static const char outbox_callback_sql[] =
    "SELECT callback FROM spaces WHERE id = ? AND tenant_id = ?"
    " AND callback <> ''";
static const char outbox_lease_sql[] =
    "UPDATE outbox SET next_attempt = UTC_TIMESTAMP(3) + INTERVAL ? SECOND"
    " WHERE id = ?";
static const char outbox_key_sql[] =
    "SELECT access_key_id, secret_enc FROM api_keys WHERE tenant_id = ?"
    " AND role = 'tenant' AND revoked = 0 ORDER BY created_at DESC LIMIT 1";
static const char outbox_done_sql[] =
    "UPDATE outbox SET state = 'done', attempts = attempts + 1,"
    " last_error = NULL WHERE id = ? AND state = 'pending'";
static const char outbox_retry_sql[] =
    "UPDATE outbox SET attempts = attempts + 1, last_error = ?,"
    " state = IF(created_at + INTERVAL 1 DAY <= UTC_TIMESTAMP(3), 'dead',"
    " 'pending'), next_attempt = LEAST(UTC_TIMESTAMP(3) + INTERVAL ? SECOND,"
    " created_at + INTERVAL 1 DAY) WHERE id = ? AND state = 'pending'";
static const char outbox_dead_sql[] =
    "UPDATE outbox SET state = 'dead', attempts = attempts + 1,"
    " last_error = ? WHERE id = ? AND state = 'pending'";
static const char outbox_state_sql[] =
    "SELECT state, attempts FROM outbox WHERE id = ?";

int
notifyd_outbox_due(struct db *db, unsigned max, struct notifyd_due **dp,
    unsigned *np)
{
	struct db_res *res = NULL;
	struct notifyd_due *d = NULL;
	unsigned i, n = 0;
	int error;

	*dp = NULL;
	*np = 0;
	if ((error = db_query(db, &res, outbox_due_sql, "i",
	    (int64_t)max)) != 0)
		goto out;
	if ((n = db_res_rows(res)) == 0)
		goto out;
	if ((d = calloc(n, sizeof(*d))) == NULL) {
		error = ENOMEM;
		goto out;
	}
	for (i = 0; i < n; i++) {
		d[i].id = strtoull(db_res_get(res, i, 0, NULL), NULL, 10);
		if ((d[i].url = strdup(db_res_get(res, i, 1, NULL))) == NULL) {
			error = ENOMEM;
			goto out;
		}
	}
	*dp = d;
	*np = n;
	d = NULL;
out:
	notifyd_outbox_due_free(d, n);
	db_res_free(res);
	return error;
}

void
notifyd_outbox_due_free(struct notifyd_due *d, unsigned n)
{
	if (d == NULL)
		return;
	for (unsigned i = 0; i < n; i++)
		free(d[i].url);
	free(d);
}

void
notifyd_event_free(struct notifyd_event *e)
{
	if (e == NULL)
		return;
	free(e->url);
	free(e->body);
	free(e);
}

/*
 * The space's Callback as it is now into e->url; a row whose space is gone
 * or has no Callback any more ends dead (ENOENT).
 */
static int
notifyd_outbox_url(struct db *db, struct notifyd_event *e, uint64_t space)
{
	struct db_res *res = NULL;
	int error;

	if ((error = db_query(db, &res, outbox_callback_sql, "ii",
	    (int64_t)space, (int64_t)e->tenant_id)) != 0)
		return error;
	if (db_res_rows(res) == 0) {
		log_info("event %" PRIu64 " dropped: space %" PRIu64 " has no "
		    "Callback any more", e->id, space);
		error = db_exec(db, NULL, outbox_dead_sql, "si",
		    "the space has no Callback any more", (int64_t)e->id);
		db_res_free(res);
		return error ? error : ENOENT;
	}
	if ((e->url = strdup(db_res_get(res, 0, 0, NULL))) == NULL)
		error = ENOMEM;
	db_res_free(res);
	return error;
}

/* Locks row id if it is still due; *ep is NULL when it is not. */
static int
notifyd_outbox_lock(struct db *db, uint64_t id, int lease_s,
    struct notifyd_event **ep)
{
	struct notifyd_event *e = NULL;
	struct db_res *res = NULL;
	int error;

	*ep = NULL;
	if ((error = db_query(db, &res, outbox_lock_sql, "i",
	    (int64_t)id)) != 0)
		goto out;
	if (db_res_rows(res) == 0)
		goto out;
	if ((e = calloc(1, sizeof(*e))) == NULL) {
		error = ENOMEM;
		goto out;
	}
	e->id = strtoull(db_res_get(res, 0, 0, NULL), NULL, 10);
	e->tenant_id = strtoull(db_res_get(res, 0, 1, NULL), NULL, 10);
	e->resource_id = strtoull(db_res_get(res, 0, 2, NULL), NULL, 10);
	e->body = strdup(db_res_get(res, 0, 4, NULL));
	e->attempts = atoi(db_res_get(res, 0, 5, NULL));
	if (e->body == NULL) {
		error = ENOMEM;
		goto out;
	}
	if ((error = notifyd_outbox_url(db, e, strtoull(db_res_get(res, 0, 3,
	    NULL), NULL, 10))) != 0) {
		if (error == ENOENT)
			error = 0;
		goto out;
	}
	if ((error = db_exec(db, NULL, outbox_lease_sql, "ii",
	    (int64_t)lease_s, (int64_t)id)) != 0)
		goto out;
	*ep = e;
	e = NULL;
out:
	notifyd_event_free(e);
	db_res_free(res);
	return error;
}

/*
 * The tenant's secret: the AccessKeySecret of its newest usable key. 0 and
 * *secretp malloc'd (the caller wipes and frees it), ENOENT when there is
 * none, or another errno.
 */
static int
notifyd_outbox_secret(struct db *db, uint64_t tenant, char **secretp)
{
	struct db_res *res = NULL;
	const char *enc;
	size_t len;
	int error;

	*secretp = NULL;
	if ((error = db_query(db, &res, outbox_key_sql, "i",
	    (int64_t)tenant)) != 0)
		goto out;
	if (db_res_rows(res) == 0) {
		error = ENOENT;
		goto out;
	}
	enc = db_res_get(res, 0, 1, &len);
	if ((error = vault_open(db_res_get(res, 0, 0, NULL), enc, len,
	    secretp)) != 0)
		log_warnx("tenant %" PRIu64 ": cannot open the key's secret "
		    "(wrong master key?)", tenant);
out:
	db_res_free(res);
	return error;
}

/* Signs e, or marks it dead when its tenant has no key to sign with. */
static int
notifyd_outbox_sign(struct db *db, struct notifyd_event *e)
{
	char *secret;
	int error;

	if ((error = notifyd_outbox_secret(db, e->tenant_id, &secret)) != 0) {
		if (error != ENOENT && error != EBADMSG)
			return error;
		log_warnx("event %" PRIu64 " dead: tenant %" PRIu64 " has no "
		    "usable key to sign it", e->id, e->tenant_id);
		(void)db_exec(db, NULL, outbox_dead_sql, "si",
		    "tenant has no usable key", (int64_t)e->id);
		return ENOENT;
	}
	crypto_hmac_sha256_hex(e->signature, secret, strlen(secret), e->body,
	    strlen(e->body));
	explicit_bzero(secret, strlen(secret));
	free(secret);
	return 0;
}

int
notifyd_outbox_claim(struct db *db, const uint64_t *ids, unsigned n,
    int lease_s, struct notifyd_event **listp)
{
	struct notifyd_event *list = NULL, **tail = &list, *e, *signed_ = NULL,
	    **stail = &signed_;
	int error;

	*listp = NULL;
	if (n == 0)
		return 0;
	/* one short transaction: the locks are held only while leasing */
	if ((error = db_begin(db)) != 0)
		return error;
	for (unsigned i = 0; i < n; i++) {
		if ((error = notifyd_outbox_lock(db, ids[i], lease_s,
		    &e)) != 0) {
			db_rollback(db);
			goto out;
		}
		if (e != NULL) {
			*tail = e;
			tail = &e->next;
		}
	}
	if ((error = db_commit(db)) != 0)
		goto out;
	/* leased now: signing failures leave the row to its lease or death */
	while ((e = list) != NULL) {
		list = e->next;
		e->next = NULL;
		if (notifyd_outbox_sign(db, e) != 0) {
			notifyd_event_free(e);
			continue;
		}
		*stail = e;
		stail = &e->next;
	}
	*listp = signed_;
out:
	while ((e = list) != NULL) {
		list = e->next;
		notifyd_event_free(e);
	}
	return error;
}

int
notifyd_outbox_done(struct db *db, const struct notifyd_event *e)
{
	return db_exec(db, NULL, outbox_done_sql, "i", (int64_t)e->id);
}

int
notifyd_outbox_dead(struct db *db, const struct notifyd_event *e,
    const char *error)
{
	char why[512];

	snprintf(why, sizeof(why), "%s", error);
	log_warnx("event %" PRIu64 " of resource %" PRIu64 " dead: %s", e->id,
	    e->resource_id, why);
	return db_exec(db, NULL, outbox_dead_sql, "si", why, (int64_t)e->id);
}

int
notifyd_outbox_retry(struct db *db, const struct notifyd_event *e,
    const char *error)
{
	struct db_res *res = NULL;
	int64_t delay = OUTBOX_BACKOFF_MAX_S;
	char why[512];
	int rc;

	/* 1 s after the first failure, doubling */
	if (e->attempts < 9)
		delay = (int64_t)1 << e->attempts;
	if (delay > OUTBOX_BACKOFF_MAX_S)
		delay = OUTBOX_BACKOFF_MAX_S;
	snprintf(why, sizeof(why), "%s", error);
	if ((rc = db_exec(db, NULL, outbox_retry_sql, "sii", why, delay,
	    (int64_t)e->id)) != 0)
		return rc;
	if (db_query(db, &res, outbox_state_sql, "i", (int64_t)e->id) == 0 &&
	    db_res_rows(res) == 1 &&
	    strcmp(db_res_get(res, 0, 0, NULL), "dead") == 0)
		log_warnx("event %" PRIu64 " of resource %" PRIu64 " dead "
		    "after %s attempts over 24 h: %s", e->id, e->resource_id,
		    db_res_get(res, 0, 1, NULL), why);
	else
		log_info("event %" PRIu64 " of resource %" PRIu64 ": attempt "
		    "%d failed (%s); next in %" PRId64 " s", e->id,
		    e->resource_id, e->attempts + 1, why, delay);
	db_res_free(res);
	return 0;
}
