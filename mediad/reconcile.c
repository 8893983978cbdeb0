/*
 * Reconciliation: every 2 s the edge's /stat (the live streams with a
 * publisher) is compared with stream statuses, and stale ones are fixed
 * with a callback event, in one transaction per stream. Its bytes_in feed
 * metering. GB28181 streams: H.264 ones are published on the edge by
 * mediad's relay and reconciled alike; H.265 ones are never on the edge,
 * so a gb28181 stream is only turned off when no media session has it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/conf.h"
#include "common/db.h"
#include "common/log.h"
#include "common/outbox.h"
#include "mediad.h"

#define RECONCILE_MAX	4096
#define RECONCILE_ID_DIGITS	16
/* The edge's hooks set statuses too: leave their fresh changes alone. */
#define RECONCILE_GRACE	"INTERVAL 5 SECOND"

struct reconcile_live {
	uint64_t	id;
	uint64_t	bytes_in;
	uint64_t	bytes_out;
	unsigned	clients;	/* publisher included */
	char		app[MEDIAD_APP_MAX + 1];
	/* what the edge read of the video (its <meta>): "" and 0 unknown */
	char		codec[9];
	char		profile[25];
	unsigned	width, height;
};

/*
 * Profiles browsers decode (MSE in Chrome, Firefox, Safari): H.264
 * Baseline, Main and High at 8 bits 4:2:0, as nginx-rtmp names them. It
 * names no other profile: an H.264 stream without one is High 10, 4:2:2,
 * 4:4:4 or another browsers do not take, shown as "Other".
 */
#define RECONCILE_OTHER_PROFILE	"Other"
static const char *const reconcile_browser_profiles[] = {
	"Baseline", "Main", "High",
};

/* What a counter of the edge grew by; a restarted edge counts from 0. */
static uint64_t
reconcile_delta(uint64_t now, uint64_t *last)
{
	uint64_t d = now >= *last ? now - *last : now;

	*last = now;
	return d;
}

/* The text of the first <tag> between p and end, or NULL. */
static const char *
reconcile_elem(const char *p, const char *end, const char *tag,
    size_t *len)
{
	char open[32], close[32];
	const char *s, *e;

	snprintf(open, sizeof(open), "<%s>", tag);
	snprintf(close, sizeof(close), "</%s>", tag);
	if ((s = memmem(p, (size_t)(end - p), open, strlen(open))) == NULL)
		return NULL;
	s += strlen(open);
	if ((e = memmem(s, (size_t)(end - s), close, strlen(close))) == NULL)
		return NULL;
	*len = (size_t)(e - s);
	return s;
}

/* Copies the text of <tag> in p..end to out (n bytes), or "". */
static void
reconcile_copy(const char *p, const char *end, const char *tag, char *out,
    size_t n)
{
	size_t len;
	const char *v = reconcile_elem(p, end, tag, &len);

	if (v == NULL || len >= n)
		len = 0;
	memcpy(out, v ? v : "", len);
	out[len] = '\0';
}

/* The codec, profile and size of a stream's <meta><video>. */
static void
reconcile_video(const char *s, const char *se, struct reconcile_live *l)
{
	const char *v, *ve, *n;
	size_t len;

	if ((v = memmem(s, (size_t)(se - s), "<video>", 7)) == NULL ||
	    (ve = memmem(v, (size_t)(se - v), "</video>", 8)) == NULL)
		return;
	reconcile_copy(v, ve, "codec", l->codec, sizeof(l->codec));
	reconcile_copy(v, ve, "profile", l->profile, sizeof(l->profile));
	/* before the edge parsed the sequence header, only onMetaData is
	 * known (level 0.0): the profile is not "Other" yet */
	n = reconcile_elem(v, ve, "level", &len);
	if (strcmp(l->codec, "H264") == 0 && l->profile[0] == '\0' &&
	    n != NULL && strtod(n, NULL) > 0)
		snprintf(l->profile, sizeof(l->profile), "%s",
		    RECONCILE_OTHER_PROFILE);
	n = reconcile_elem(v, ve, "width", &len);
	l->width = n ? (unsigned)strtoul(n, NULL, 10) : 0;
	n = reconcile_elem(v, ve, "height", &len);
	l->height = n ? (unsigned)strtoul(n, NULL, 10) : 0;
}

/* Parses nginx-rtmp's stat XML: the streams with a publisher. */
static unsigned
reconcile_parse(const char *xml, size_t n, struct reconcile_live *out,
    unsigned max)
{
	const char *p = xml, *end = xml + n, *app_end, *s, *se, *v;
	unsigned count = 0;
	size_t len;

	while ((p = memmem(p, (size_t)(end - p), "<application>", 13))) {
		char app[MEDIAD_APP_MAX + 1];

		if ((app_end = memmem(p, (size_t)(end - p), "</application>",
		    14)) == NULL)
			break;
		if ((v = reconcile_elem(p, app_end, "name", &len)) == NULL ||
		    len > MEDIAD_APP_MAX) {
			p = app_end;
			continue;
		}
		memcpy(app, v, len);
		app[len] = '\0';
		for (s = p; (s = memmem(s, (size_t)(app_end - s), "<stream>",
		    8)) != NULL && count < max; s = se) {
			struct reconcile_live *l = &out[count];

			if ((se = memmem(s, (size_t)(app_end - s), "</stream>",
			    9)) == NULL)
				break;
			if (memmem(s, (size_t)(se - s), "<publishing/>", 13) ==
			    NULL ||
			    (v = reconcile_elem(s, se, "name", &len)) == NULL)
				continue;
			/* only our streams: names of exactly 16 digits */
			if (len != RECONCILE_ID_DIGITS ||
			    strspn(v, "0123456789") < len)
				continue;
			l->id = strtoull(v, NULL, 10);
			v = reconcile_elem(s, se, "bytes_in", &len);
			l->bytes_in = v ? strtoull(v, NULL, 10) : 0;
			v = reconcile_elem(s, se, "bytes_out", &len);
			l->bytes_out = v ? strtoull(v, NULL, 10) : 0;
			v = reconcile_elem(s, se, "nclients", &len);
			l->clients = v ? (unsigned)strtoul(v, NULL, 10) : 0;
			memcpy(l->app, app, strlen(app) + 1);
			reconcile_video(s, se, l);
			if (l->id != 0)
				count++;
		}
		p = app_end;
	}
	return count;
}

/* Sets one stream on or off with its callback event; 1 when changed. */
static int
reconcile_set(struct mediad *md, uint64_t id, const char *app, int on)
{
	static const char *const sql[] = {
		"UPDATE streams SET status = 'off', stop_time = UTC_TIMESTAMP()"
		" WHERE id = ? AND status = 'on' AND (start_time IS NULL OR"
		" start_time < UTC_TIMESTAMP() - " RECONCILE_GRACE ")",
		"UPDATE streams SET status = 'on', start_time = UTC_TIMESTAMP()"
		" WHERE id = ? AND app = ? AND protocol IN ('rtmp', 'gb28181')"
		" AND status = 'off' AND (stop_time IS NULL OR"
		" stop_time < UTC_TIMESTAMP() - " RECONCILE_GRACE ")",
	};
	struct db_res *r = NULL;
	uint64_t changed = 0, group;
	int e;

	if ((e = db_begin(md->db)) != 0)
		return 0;
	if (on)
		e = db_exec(md->db, &changed, sql[1], "is", (int64_t)id, app);
	else
		e = db_exec(md->db, &changed, sql[0], "i", (int64_t)id);
	if (e != 0 || changed == 0)
		goto out;
	if ((e = db_query(md->db, &r, "SELECT group_id FROM streams"
	    " WHERE id = ?", "i", (int64_t)id)) != 0 || db_res_rows(r) == 0)
		goto out;
	group = strtoull(db_res_get(r, 0, 0, NULL), NULL, 10);
	if ((e = outbox_add(md->db, group, on ? "stream.on" : "stream.off", 0,
	    id, on ? "on" : "off")) != 0)
		goto out;
	if ((e = db_commit(md->db)) == 0) {
		log_info("reconcile: stream %s/%llu was %s, now %s", app,
		    (unsigned long long)id, on ? "off" : "on",
		    on ? "on" : "off");
		db_res_free(r);
		return 1;
	}
out:
	db_res_free(r);
	db_rollback(md->db);
	return 0;
}

/* Whether browsers decode this video; unknown counts as yes. */
static int
reconcile_browser_ok(const struct reconcile_live *l)
{
	if (l->codec[0] == '\0' || l->profile[0] == '\0')
		return 1;
	if (strcmp(l->codec, "H264") != 0)
		return 0;
	for (size_t i = 0; i < sizeof(reconcile_browser_profiles) /
	    sizeof(reconcile_browser_profiles[0]); i++)
		if (strcmp(l->profile, reconcile_browser_profiles[i]) == 0)
			return 1;
	return 0;
}

/* Records what the edge saw of a stream's video; warns once per change. */
static void
reconcile_store_video(struct mediad *md, const struct reconcile_live *l)
{
	uint64_t changed = 0;

	if (db_exec(md->db, &changed, "UPDATE streams SET video_codec = ?,"
	    " video_profile = ?, width = ?, height = ? WHERE id = ? AND"
	    " (video_codec <> ? OR video_profile <> ? OR width <> ? OR"
	    " height <> ?)", "ssiiissii", l->codec, l->profile,
	    (int64_t)l->width, (int64_t)l->height, (int64_t)l->id, l->codec,
	    l->profile, (int64_t)l->width, (int64_t)l->height) != 0 ||
	    changed == 0)
		return;
	if (!reconcile_browser_ok(l))
		log_warnx("stream %s/%llu: %s %s %ux%u, browsers cannot decode"
		    " it", l->app, (unsigned long long)l->id, l->codec,
		    l->profile, l->width, l->height);
}

void
reconcile_run(void *arg)
{
	struct mediad *md = arg;
	struct reconcile_live *live;
	struct db_res *r = NULL;
	struct buf xml = { 0 };
	unsigned n, i, j;

	/* no stat, no knowledge: an edge that is down changes nothing */
	if (edge_stat(md->conf, &xml) != 0 || xml.p == NULL)
		goto out;
	if ((live = calloc(RECONCILE_MAX, sizeof(*live))) == NULL)
		goto out;
	n = reconcile_parse(xml.p, xml.len, live, RECONCILE_MAX);
	for (i = 0; i < n; i++) {
		struct usage_entry *u;

		reconcile_set(md, live[i].id, live[i].app, 1);
		reconcile_store_video(md, &live[i]);
		gb_edge_clients(md, live[i].id, live[i].clients);
		/* metering: the edge's counter grows; a restart resets it */
		for (u = md->usage; u != NULL; u = u->next)
			if (u->stream_id == live[i].id)
				break;
		if (u == NULL) {
			struct db_res *t = NULL;

			if (db_query(md->db, &t, "SELECT tenant_id, protocol"
			    " FROM streams WHERE id = ?", "i",
			    (int64_t)live[i].id) == 0 && db_res_rows(t) > 0 &&
			    (u = usage_get(md, live[i].id, strtoull(
			    db_res_get(t, 0, 0, NULL), NULL, 10))) != NULL)
				/* what mediad republishes it counts itself */
				u->own_bytes_in |= strcmp(db_res_get(t, 0, 1,
				    NULL), "gb28181") == 0;
			db_res_free(t);
			if (u == NULL)
				continue;
			u->last_bytes_in = live[i].bytes_in;
			u->last_bytes_out = live[i].bytes_out;
		}
		if (u->own_bytes_in)
			reconcile_delta(live[i].bytes_in, &u->last_bytes_in);
		else
			u->bytes_in += reconcile_delta(live[i].bytes_in,
			    &u->last_bytes_in);
		u->bytes_out_rtmp += reconcile_delta(live[i].bytes_out,
		    &u->last_bytes_out);
	}
	if (db_query(md->db, &r, "SELECT id, app FROM streams s WHERE"
	    " status = 'on' AND (protocol = 'rtmp' OR NOT EXISTS (SELECT 1"
	    " FROM gb_sessions g WHERE g.stream_id = s.id AND"
	    " g.state <> 'closing'))", "") == 0)
		for (j = 0; j < db_res_rows(r); j++) {
			uint64_t id = strtoull(db_res_get(r, j, 0, NULL), NULL,
			    10);

			for (i = 0; i < n && live[i].id != id; i++)
				;
			if (i == n)
				reconcile_set(md, id, db_res_get(r, j, 1, NULL),
				    0);
		}
	db_res_free(r);
	free(live);
out:
	buf_free(&xml);
}
