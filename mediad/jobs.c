/*
 * Jobs of the API for mediad: for RTMP streams stream.forbid and
 * stream.stop drop the publisher at the edge and end the FLV session; for
 * GB28181 streams stream.start, stream.stop and stream.forbid open and
 * close the media session (gb.c). Then the job is finished.
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
		gb_drop(md, j->target);
		return 0;
	}
	snprintf(name, sizeof(name), "%llu", (unsigned long long)j->target);
	e = edge_drop_publisher(md->conf, db_res_get(r, 0, 0, NULL), name);
	db_res_free(r);
	session_drop(md, j->target);
	return e;
}

struct jobs_handler {
	const char	*kind;
	int		(*run)(struct mediad *, const struct job *);
};

static const struct jobs_handler jobs_rtmp[] = {
	{ "stream.forbid", jobs_stream_drop },
	{ "stream.stop", jobs_stream_drop },
	{ NULL, NULL }
};

static const struct jobs_handler jobs_gb[] = {
	{ "stream.start", gb_job_start },
	{ "stream.stop", gb_job_stop },
	{ "stream.forbid", gb_job_stop },
	{ NULL, NULL }
};

/*
 * The publishers mediad drops are RTMP ones (a stream deleted since, with
 * no row, is still ours to drop); gb28181 streams are received by mediad
 * and signalled by sipd (gb.invite, gb.bye).
 */
static const struct {
	const char			*kinds[4];
	const char			*where;
	const struct jobs_handler	*handlers;
} jobs_classes[] = {
	{ { "stream.forbid", "stream.stop", NULL },
	  " AND target NOT IN (SELECT id FROM streams WHERE"
	  " protocol = 'gb28181')", jobs_rtmp },
	{ { "stream.start", "stream.stop", "stream.forbid", NULL },
	  " AND target IN (SELECT id FROM streams WHERE"
	  " protocol = 'gb28181')", jobs_gb },
};

/* Claims and runs one job of class c: 0, ENOENT (none) or an errno. */
static int
jobs_run_one(struct mediad *md, size_t c)
{
	const struct jobs_handler *h;
	struct job j;
	int e = ENOENT;

	if (job_claim_where(md->db, md->owner, jobs_classes[c].kinds,
	    jobs_classes[c].where, JOBS_LEASE_S, &j) != 0)
		return ENOENT;
	for (h = jobs_classes[c].handlers; h->kind != NULL; h++)
		if (strcmp(h->kind, j.kind) == 0)
			e = h->run(md, &j);
	log_info("job %llu %s %llu: %s", (unsigned long long)j.id, j.kind,
	    (unsigned long long)j.target, e == 0 ? "done" : strerror(e));
	if (e == 0 || j.attempts >= JOBS_MAX_ATTEMPTS)
		job_finish(md->db, j.id, md->owner,
		    e == 0 ? NULL : strerror(e));
	else
		/* the edge or the database is down: a later poll retries */
		job_release(md->db, j.id, md->owner, strerror(e));
	job_clear(&j);
	return e;
}

void
jobs_poll(void *arg)
{
	struct mediad *md = arg;

	for (size_t c = 0; c < sizeof(jobs_classes) / sizeof(jobs_classes[0]);
	    c++)
		for (int n = 0; n < JOBS_PER_POLL; n++)
			if (jobs_run_one(md, c) != 0)
				break;
}
