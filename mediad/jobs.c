/*
 * Jobs of the API for mediad: stream.forbid and stream.stop drop the
 * publisher at the edge and end the FLV session, then finish the job.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/conf.h"
#include "common/db.h"
#include "common/job.h"
#include "common/log.h"
#include "mediad.h"

#define JOBS_LEASE_S		30
#define JOBS_PER_POLL		16
#define JOBS_MAX_ATTEMPTS	10

static const char *const jobs_kinds[] = { "stream.forbid", "stream.stop",
    NULL };

static int
jobs_stream_drop(struct mediad *md, const struct job *j)
{
	struct db_res *r;
	char name[24];
	int e;

	if ((e = db_query(md->db, &r, "SELECT app FROM streams WHERE id = ?",
	    "i", (int64_t)j->target)) != 0)
		return e;
	if (db_res_rows(r) == 0) {
		/* deleted since: nothing can be live under its name */
		db_res_free(r);
		session_drop(md, j->target);
		return 0;
	}
	snprintf(name, sizeof(name), "%llu", (unsigned long long)j->target);
	e = edge_drop_publisher(md->conf, db_res_get(r, 0, 0, NULL), name);
	db_res_free(r);
	session_drop(md, j->target);
	return e;
}

static const struct {
	const char	*kind;
	int		(*run)(struct mediad *, const struct job *);
} jobs_table[] = {
	{ "stream.forbid", jobs_stream_drop },
	{ "stream.stop", jobs_stream_drop },
};

/*
 * The publishers mediad drops are RTMP ones; jobs about gb28181 streams are
 * left for the GB28181 plane (sipd). A stream deleted since (no row) is
 * still ours to drop.
 */
static const char jobs_rtmp_only[] =
    " AND target NOT IN (SELECT id FROM streams WHERE protocol = 'gb28181')";

void
jobs_poll(void *arg)
{
	struct mediad *md = arg;
	struct job j;

	for (int n = 0; n < JOBS_PER_POLL; n++) {
		int e = ENOENT;

		if (job_claim_where(md->db, md->owner, jobs_kinds,
		    jobs_rtmp_only, JOBS_LEASE_S, &j) != 0)
			return;
		for (size_t i = 0; i < sizeof(jobs_table) /
		    sizeof(jobs_table[0]); i++)
			if (strcmp(jobs_table[i].kind, j.kind) == 0)
				e = jobs_table[i].run(md, &j);
		log_info("job %llu %s %llu: %s", (unsigned long long)j.id,
		    j.kind, (unsigned long long)j.target,
		    e == 0 ? "done" : strerror(e));
		if (e == 0 || j.attempts >= JOBS_MAX_ATTEMPTS)
			job_finish(md->db, j.id, md->owner,
			    e == 0 ? NULL : strerror(e));
		else
			/* the edge is down: try again on a later poll */
			job_release(md->db, j.id, md->owner, strerror(e));
		job_clear(&j);
		if (e != 0)
			return;
	}
}
