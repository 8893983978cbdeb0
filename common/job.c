/* The job table (see job.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "db.h"
#include "job.h"

#define JOB_KINDS_MAX	8

static const char job_insert_sql[] =
    "INSERT INTO jobs (tenant_id, kind, target, payload, run_after)"
    " VALUES (?, ?, ?, ?, IF(? > 0, UTC_TIMESTAMP(3) + INTERVAL ? * 1000"
    " MICROSECOND, NULL))";
static const char job_take_sql[] =
    "UPDATE jobs SET state = 'running', owner = ?, attempts = attempts + 1,"
    " lease_expires = UTC_TIMESTAMP(3) + INTERVAL ? SECOND WHERE id = ?";
static const char job_renew_sql[] =
    "UPDATE jobs SET lease_expires = UTC_TIMESTAMP(3) + INTERVAL ? SECOND"
    " WHERE id = ? AND owner = ? AND state = 'running'";
static const char job_finish_sql[] =
    "UPDATE jobs SET state = ?, last_error = ?, lease_expires = NULL"
    " WHERE id = ? AND owner = ? AND state = 'running'";
static const char job_release_sql[] =
    "UPDATE jobs SET state = 'pending', owner = NULL, last_error = ?,"
    " lease_expires = NULL WHERE id = ? AND owner = ? AND state = 'running'";

int
job_enqueue(struct db *db, uint64_t tenant, const char *kind, uint64_t target,
    const char *payload)
{
	return job_enqueue_after(db, tenant, kind, target, payload, 0);
}

int
job_enqueue_after(struct db *db, uint64_t tenant, const char *kind,
    uint64_t target, const char *payload, int delay_ms)
{
	return db_exec(db, NULL, job_insert_sql, "isisii", (int64_t)tenant,
	    kind, (int64_t)target, payload ? payload : "{}", (int64_t)delay_ms,
	    (int64_t)delay_ms);
}

int
job_claim(struct db *db, const char *owner, const char *const *kinds,
    int lease_s, struct job *j)
{
	return job_claim_where(db, owner, kinds, NULL, lease_s, j);
}

int
job_claim_where(struct db *db, const char *owner, const char *const *kinds,
    const char *where, int lease_s, struct job *j)
{
	struct db_arg args[JOB_KINDS_MAX];
	struct buf sql = { 0 };
	struct db_res *res = NULL;
	unsigned n = 0;
	int error;

	memset(j, 0, sizeof(*j));
	buf_adds(&sql, "SELECT id, tenant_id, kind, target, payload, attempts"
	    " FROM jobs WHERE kind IN (");
	for (; kinds[n] != NULL && n < JOB_KINDS_MAX; n++) {
		buf_adds(&sql, n ? ", ?" : "?");
		args[n] = (struct db_arg){ .type = 's', .s = kinds[n] };
	}
	/* pending work, or work whose owner stopped renewing its lease */
	if (buf_adds(&sql, ")") != 0 ||
	    (where != NULL && buf_adds(&sql, where) != 0) ||
	    buf_adds(&sql, " AND (run_after IS NULL OR run_after <="
	    " UTC_TIMESTAMP(3)) AND (state = 'pending' OR (state = 'running'"
	    " AND lease_expires < UTC_TIMESTAMP(3))) ORDER BY id LIMIT 1"
	    " FOR UPDATE SKIP LOCKED") != 0) {
		buf_free(&sql);
		return ENOMEM;
	}
	if ((error = db_begin(db)) != 0)
		goto out;
	if ((error = db_queryv(db, &res, sql.p, args, n)) != 0)
		goto out;
	if (db_res_rows(res) == 0) {
		error = ENOENT;
		goto out;
	}
	j->id = strtoull(db_res_get(res, 0, 0, NULL), NULL, 10);
	j->tenant_id = strtoull(db_res_get(res, 0, 1, NULL), NULL, 10);
	snprintf(j->kind, sizeof(j->kind), "%s", db_res_get(res, 0, 2, NULL));
	j->target = strtoull(db_res_get(res, 0, 3, NULL), NULL, 10);
	j->payload = strdup(db_res_get(res, 0, 4, NULL));
	j->attempts = atoi(db_res_get(res, 0, 5, NULL)) + 1;
	if (j->payload == NULL)
		error = ENOMEM;
	else if ((error = db_exec(db, NULL, job_take_sql, "sii", owner,
	    (int64_t)lease_s, (int64_t)j->id)) == 0)
		error = db_commit(db);
out:
	if (error)
		db_rollback(db);
	if (error)
		job_clear(j);
	db_res_free(res);
	buf_free(&sql);
	return error;
}

static int
job_update(struct db *db, const char *sql, const char *types, ...)
{
	struct db_arg args[4];
	uint64_t affected = 0;
	unsigned n = 0;
	va_list ap;
	int error;

	va_start(ap, types);
	for (; types[n]; n++) {
		args[n] = (struct db_arg){ .type = types[n] };
		if (types[n] == 'i')
			args[n].i = va_arg(ap, int64_t);
		else
			args[n].s = va_arg(ap, const char *);
	}
	va_end(ap);
	if ((error = db_execv(db, &affected, sql, args, n)) != 0)
		return error;
	return affected == 1 ? 0 : ESRCH;
}

int
job_renew(struct db *db, uint64_t id, const char *owner, int lease_s)
{
	return job_update(db, job_renew_sql, "iis", (int64_t)lease_s,
	    (int64_t)id, owner);
}

int
job_finish(struct db *db, uint64_t id, const char *owner, const char *error)
{
	return job_update(db, job_finish_sql, "ssis",
	    error ? "failed" : "done", error, (int64_t)id, owner);
}

int
job_release(struct db *db, uint64_t id, const char *owner, const char *error)
{
	return job_update(db, job_release_sql, "sis", error, (int64_t)id,
	    owner);
}

void
job_clear(struct job *j)
{
	free(j->payload);
	memset(j, 0, sizeof(*j));
}

void
job_owner(char *owner, size_t ownerlen, char *like, size_t likelen)
{
	char host[64] = "localhost";

	gethostname(host, sizeof(host) - 1);
	for (char *p = host; *p != '\0'; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '.' || *p == '-'))
			*p = '-';
	snprintf(owner, ownerlen, "%.40s:%d", host, (int)getpid());
	if (like != NULL)
		snprintf(like, likelen, "%.40s:%%", host);
}
