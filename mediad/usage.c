/*
 * Metering groundwork: bytes in (the edge's counter) and out (HTTP-FLV) per
 * stream into 5-minute stream_usage buckets, and a viewer_sessions row per
 * HTTP-FLV viewer.
 */
#include <stdlib.h>
#include <time.h>

#include "common/db.h"
#include "common/log.h"
#include "mediad.h"

#define USAGE_BUCKET_S	300

struct usage_entry *
usage_get(struct mediad *md, uint64_t stream_id, uint64_t tenant_id)
{
	struct usage_entry *u;

	for (u = md->usage; u != NULL; u = u->next)
		if (u->stream_id == stream_id)
			return u;
	if ((u = calloc(1, sizeof(*u))) == NULL)
		return NULL;
	u->stream_id = stream_id;
	u->tenant_id = tenant_id;
	u->next = md->usage;
	md->usage = u;
	return u;
}

/* Moves what viewers sent since the last flush to their stream's entry. */
static void
usage_collect(struct mediad *md)
{
	for (struct session *s = md->sessions; s != NULL; s = s->next) {
		struct usage_entry *u = usage_get(md, s->stream_id,
		    s->tenant_id);

		if (u == NULL)
			continue;
		if (s->nviewers > u->peak_viewers)
			u->peak_viewers = s->nviewers;
		for (struct viewer *v = s->viewers; v != NULL; v = v->next) {
			u->bytes_out_flv += v->bytes - v->bytes_saved;
			v->bytes_saved = v->bytes;
		}
	}
}

void
usage_flush(void *arg)
{
	struct mediad *md = arg;
	time_t now = time(NULL);
	int64_t bucket = (int64_t)(now - now % USAGE_BUCKET_S);
	struct usage_entry **pp, *u;

	usage_collect(md);
	for (pp = &md->usage; (u = *pp) != NULL; ) {
		if ((u->bytes_in || u->bytes_out_rtmp || u->bytes_out_flv ||
		    u->peak_viewers) &&
		    db_exec(md->db, NULL, "INSERT INTO stream_usage (tenant_id,"
		    " stream_id, bucket, bytes_in, bytes_out_rtmp, bytes_out_flv,"
		    " peak_viewers) VALUES (?, ?,"
		    " '1970-01-01' + INTERVAL ? SECOND, ?, ?, ?, ?)"
		    " ON DUPLICATE KEY UPDATE bytes_in = bytes_in +"
		    " VALUES(bytes_in), bytes_out_rtmp = bytes_out_rtmp +"
		    " VALUES(bytes_out_rtmp), bytes_out_flv = bytes_out_flv +"
		    " VALUES(bytes_out_flv), peak_viewers ="
		    " GREATEST(peak_viewers, VALUES(peak_viewers))", "iiiiiii",
		    (int64_t)u->tenant_id, (int64_t)u->stream_id, bucket,
		    (int64_t)u->bytes_in, (int64_t)u->bytes_out_rtmp,
		    (int64_t)u->bytes_out_flv, (int64_t)u->peak_viewers) == 0) {
			u->bytes_in = u->bytes_out_rtmp = u->bytes_out_flv = 0;
			u->peak_viewers = 0;
		}
		pp = &u->next;
	}
	/* per-viewer bytes survive a crash to within one flush */
	for (struct session *s = md->sessions; s != NULL; s = s->next)
		for (struct viewer *v = s->viewers; v != NULL; v = v->next)
			if (v->row != 0)
				db_exec(md->db, NULL, "UPDATE viewer_sessions"
				    " SET bytes = ? WHERE id = ?", "ii",
				    (int64_t)v->bytes, (int64_t)v->row);
}

void
usage_viewer_open(struct viewer *v)
{
	struct mediad *md = v->md;

	if (db_exec(md->db, NULL, "INSERT INTO viewer_sessions (tenant_id,"
	    " stream_id, protocol, addr, started_at) VALUES (?, ?, 'flv', ?,"
	    " UTC_TIMESTAMP(3))", "iis", (int64_t)v->s->tenant_id,
	    (int64_t)v->s->stream_id, v->addr) == 0)
		v->row = db_insert_id(md->db);
}

void
usage_viewer_close(struct viewer *v)
{
	struct mediad *md = v->md;
	struct usage_entry *u;

	if (v->s != NULL &&
	    (u = usage_get(md, v->s->stream_id, v->s->tenant_id)) != NULL) {
		u->bytes_out_flv += v->bytes - v->bytes_saved;
		v->bytes_saved = v->bytes;
	}
	db_exec(md->db, NULL, "UPDATE viewer_sessions SET bytes = ?,"
	    " ended_at = UTC_TIMESTAMP(3) WHERE id = ?", "ii",
	    (int64_t)v->bytes, (int64_t)v->row);
	v->row = 0;
}

void
usage_viewer_orphans(struct mediad *md)
{
	uint64_t n = 0;

	/* one mediad per node: rows still open belong to a dead worker */
	if (db_exec(md->db, &n, "UPDATE viewer_sessions SET ended_at ="
	    " UTC_TIMESTAMP(3) WHERE protocol = 'flv' AND ended_at IS NULL",
	    "") == 0 && n > 0)
		log_info("closed %llu viewer sessions of a previous worker",
		    (unsigned long long)n);
}
