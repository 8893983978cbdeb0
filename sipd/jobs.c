/*
 * sipd's jobs: gb.invite and gb.bye (target = stream) and device.catalog
 * (target = device), claimed every 200 ms unless another host's sipd holds
 * the registration or dialog they need. An INVITE's job stays running
 * until its transaction ends (invite.c finishes it).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/db.h"
#include "common/job.h"
#include "common/log.h"
#include "sip.h"

#define JOBS_LEASE_S	30
#define JOBS_PER_POLL	16

static const char *const jobs_kinds[] = { "gb.invite", "gb.bye",
    "device.catalog", NULL };

static const char jobs_device_sql[] =
    "SELECT d.gb_id, s.gb_id FROM devices d JOIN spaces s"
    " ON s.id = d.group_id AND s.tenant_id = d.tenant_id"
    " WHERE d.id = ? AND d.tenant_id = ?";

static int
jobs_invite(struct sipd *sd, const struct job *j, char *err, size_t n)
{
	return invite_start(sd, j->id, j->target, err, n);
}

static int
jobs_bye(struct sipd *sd, const struct job *j, char *err, size_t n)
{
	return invite_bye(sd, j->target, err, n);
}

static int
jobs_catalog(struct sipd *sd, const struct job *j, char *err, size_t n)
{
	struct db_res *r = NULL;
	struct sip_dev *d = NULL;
	int error;

	if ((error = db_query(sd->db, &r, jobs_device_sql, "ii",
	    (int64_t)j->target, (int64_t)j->tenant_id)) != 0)
		return error;
	if (db_res_rows(r) > 0)
		d = dev_find(sip_ctx(sd), db_res_get(r, 0, 1, NULL),
		    db_res_get(r, 0, 0, NULL));
	db_res_free(r);
	if (d == NULL) {
		snprintf(err, n, "device offline");
		return ENOENT;
	}
	catalog_query(sd, &d->dev);
	return 0;
}

static const struct {
	const char	*kind;
	int		(*run)(struct sipd *, const struct job *, char *,
			    size_t);
} jobs_table[] = {
	{ "gb.invite", jobs_invite },
	{ "gb.bye", jobs_bye },
	{ "device.catalog", jobs_catalog },
};

/* Jobs another host's sipd must do (static SQL: built once). */
static char *jobs_where;

static int
jobs_where_init(struct sipd *sd)
{
	const char *me = sip_ctx(sd)->owner_like;

	return asprintf(&jobs_where,
	    " AND (kind <> 'gb.invite' OR target NOT IN (SELECT g.stream_id"
	    " FROM gb_sessions g JOIN gb_registrations r"
	    " ON r.device_id = g.device_id WHERE r.owner NOT LIKE '%s'))"
	    " AND (kind <> 'gb.bye' OR target NOT IN (SELECT stream_id"
	    " FROM gb_sessions WHERE sip_owner NOT LIKE '%s'))"
	    " AND (kind <> 'device.catalog' OR target NOT IN (SELECT device_id"
	    " FROM gb_registrations WHERE owner NOT LIKE '%s'))",
	    me, me, me) < 0 ? ENOMEM : 0;
}

void
jobs_finish(struct sipd *sd, uint64_t job, const char *error)
{
	int e;

	if ((e = job_finish(sd->db, job, sd->owner, error)) != 0)
		log_warnx("job %" PRIu64 " not finished: %s", job,
		    strerror(e));
}

void
jobs_poll(void *arg)
{
	struct sipd *sd = arg;
	struct job j;

	sip_ctx(sd)->now = time(NULL);
	if (jobs_where == NULL && jobs_where_init(sd) != 0)
		return;
	for (int n = 0; n < JOBS_PER_POLL; n++) {
		char err[160] = "";
		int e = EINVAL;

		if (job_claim_where(sd->db, sd->owner, jobs_kinds, jobs_where,
		    JOBS_LEASE_S, &j) != 0)
			return;
		for (size_t i = 0; i < sizeof(jobs_table) /
		    sizeof(jobs_table[0]); i++)
			if (strcmp(jobs_table[i].kind, j.kind) == 0)
				e = jobs_table[i].run(sd, &j, err, sizeof(err));
		if (e != EINPROGRESS) {
			if (e != 0)
				log_warnx("job %" PRIu64 " %s %" PRIu64 ": %s",
				    j.id, j.kind, j.target,
				    *err ? err : strerror(e));
			else
				log_debug("job %" PRIu64 " %s %" PRIu64
				    ": done%s%s", j.id, j.kind, j.target,
				    *err ? ": " : "", err);
			jobs_finish(sd, j.id, e == 0 ? NULL : *err ? err :
			    strerror(e));
		}
		job_clear(&j);
	}
}
