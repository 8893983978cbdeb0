/*
 * GB28181 media sessions in mediad: stream.start opens a receiver and asks
 * sipd to INVITE (gb_sessions + gb.invite), stream.stop/forbid and the
 * no-media timer close it (gb.bye), AutoStart devices are retried with
 * backoff. Statuses: H.265 streams here, H.264 ones by the edge's hooks.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>
#include <libavutil/log.h>
#include <openssl/crypto.h>

#include "common/conf.h"
#include "common/db.h"
#include "common/job.h"
#include "common/log.h"
#include "common/outbox.h"
#include "common/vault.h"
#include "common/vtime.h"
#include "gb.h"
#include "relay.h"
#include "rtp.h"

#define GB_RETRY_MAX_S		60
#define GB_ORPHAN_SWEEPS	10	/* sessions nobody holds: every 10 s */
/* a 'closing' row this old: sipd never finished its BYE */
#define GB_CLOSING_STALE_S	30
#define GB_CLOSING_WAIT_MS	1000
#define GB_TENANT_OPEN		2

static const char gb_stream_sql[] =
    "SELECT s.group_id, s.device_id, s.app, s.name, s.enabled, s.desired,"
    " s.vod_start, s.vod_end, s.push_token_enc, d.params, d.auto_start,"
    " d.enabled, g.enabled, t.status, c.gb_id, g.lazy_pull"
    " FROM streams s JOIN devices d ON d.id = s.device_id"
    " AND d.tenant_id = s.tenant_id"
    " JOIN spaces g ON g.id = s.group_id AND g.tenant_id = s.tenant_id"
    " JOIN tenants t ON t.id = s.tenant_id"
    " LEFT JOIN channels c ON c.id = s.channel_id AND c.tenant_id = s.tenant_id"
    " WHERE s.id = ? AND s.tenant_id = ? AND s.protocol = 'gb28181'";
enum gb_col {
	GC_GROUP, GC_DEVICE, GC_APP, GC_NAME, GC_ENABLED, GC_DESIRED,
	GC_VOD_START, GC_VOD_END, GC_TOKEN, GC_PARAMS, GC_AUTO_START,
	GC_DEV_ENABLED, GC_SPACE_ENABLED, GC_TENANT_STATUS, GC_CHANNEL,
	GC_LAZY
};
static const char gb_row_sql[] =
    "SELECT state, media_owner, TIMESTAMPDIFF(SECOND, updated_at, NOW(3))"
    " FROM gb_sessions WHERE stream_id = ?";
static const char gb_insert_sql[] =
    "INSERT INTO gb_sessions (stream_id, tenant_id, device_id,"
    " channel_gb_id, kind, range_start, range_end, media_owner, media_ip,"
    " media_port, transport, ssrc, state) VALUES (?, ?, ?, ?, ?, ?, ?, ?,"
    " ?, ?, ?, ?, 'inviting')";
static const char gb_end_lock_sql[] =
    "SELECT s.group_id, s.enabled, s.desired, d.auto_start, s.vod_start"
    " FROM streams s LEFT JOIN devices d ON d.id = s.device_id"
    " WHERE s.id = ? FOR UPDATE";
static const char *const gb_status_sql[] = {
	"UPDATE streams SET status = 'off', stop_time = UTC_TIMESTAMP()"
	" WHERE id = ? AND status = 'on'",
	"UPDATE streams SET status = 'on', start_time = UTC_TIMESTAMP(),"
	" stop_time = NULL WHERE id = ? AND status = 'off' AND enabled = 1",
};

static struct gb_stream *
gb_find(struct mediad *md, uint64_t stream_id)
{
	for (struct gb_stream *gs = md->gb->streams; gs != NULL; gs = gs->next)
		if (gs->stream_id == stream_id)
			return gs;
	return NULL;
}

/* An integer member of a JSON object text, or def. */
static int
gb_json_int(const char *text, const char *key, int def)
{
	json_object *o = text ? json_tokener_parse(text) : NULL, *v;
	int n = def;

	if (o != NULL && json_object_object_get_ex(o, key, &v))
		n = json_object_get_int(v);
	json_object_put(o);
	return n;
}

/* True when a JSON object text has key equal to value (any case). */
static int
gb_json_is(const char *text, const char *key, const char *value)
{
	json_object *o = text ? json_tokener_parse(text) : NULL, *v;
	int is = 0;

	if (o != NULL && json_object_object_get_ex(o, key, &v) &&
	    json_object_is_type(v, json_type_string))
		is = strcasecmp(json_object_get_string(v), value) == 0;
	json_object_put(o);
	return is;
}

int
gb_status(struct mediad *md, uint64_t stream_id, uint64_t group, int on)
{
	uint64_t changed = 0;

	if (db_begin(md->db) != 0)
		return 0;
	if (db_exec(md->db, &changed, gb_status_sql[on ? 1 : 0], "i",
	    (int64_t)stream_id) != 0 || (changed > 0 && outbox_add(md->db,
	    group, on ? "stream.on" : "stream.off", 0, stream_id,
	    on ? "on" : "off") != 0) || db_commit(md->db) != 0) {
		db_rollback(md->db);
		log_warnx("gb stream %llu: status %s not recorded",
		    (unsigned long long)stream_id, on ? "on" : "off");
		return 0;
	}
	if (changed > 0)
		log_info("gb stream %llu: %s", (unsigned long long)stream_id,
		    on ? "on" : "off");
	return changed > 0;
}

void
gb_bury(struct mediad *md, struct relay *r)
{
	struct gb_grave *g;

	relay_stop(r);
	if ((g = malloc(sizeof(*g))) == NULL) {
		relay_free(r);		/* waits, rather than leak a thread */
		return;
	}
	g->relay = r;
	g->next = md->gb->graves;
	md->gb->graves = g;
}

/* Frees the relays whose threads are done (all: wait for them). */
static void
gb_graves(struct mediad *md, int all)
{
	struct gb_grave **pp = &md->gb->graves, *g;

	while ((g = *pp) != NULL)
		if (all || relay_done(g->relay)) {
			*pp = g->next;
			relay_free(g->relay);
			free(g);
		} else
			pp = &g->next;
}

/*
 * The database side of an ended session, in one transaction: status off
 * (with stream.off) if on, gb_sessions 'closing' and gb.bye for sipd, and
 * with retry > 0 a delayed stream.start when the device has AutoStart and
 * the stream is still wanted. A playback stream is deleted.
 */
static int
gb_end_db(struct mediad *md, uint64_t stream_id, uint64_t tenant,
    unsigned retry, int unwant)
{
	struct db_res *r = NULL;
	uint64_t changed = 0, group;
	char payload[32];
	int e, delay;

	if ((e = db_begin(md->db)) != 0)
		return e;
	if ((e = db_query(md->db, &r, gb_end_lock_sql, "i",
	    (int64_t)stream_id)) != 0)
		goto out;
	if (db_res_rows(r) > 0) {
		const char *auto_start = db_res_get(r, 0, 3, NULL);

		group = strtoull(db_res_get(r, 0, 0, NULL), NULL, 10);
		if ((e = db_exec(md->db, &changed, gb_status_sql[0], "i",
		    (int64_t)stream_id)) != 0 || (changed > 0 &&
		    (e = outbox_add(md->db, group, "stream.off", 0, stream_id,
		    "off")) != 0))
			goto out;
		/* a playback ends when its range does: never again */
		if (retry > 0 && auto_start != NULL && atoi(auto_start) == 1 &&
		    db_res_get(r, 0, 4, NULL) == NULL &&
		    atoi(db_res_get(r, 0, 1, NULL)) == 1 &&
		    strcmp(db_res_get(r, 0, 2, NULL), "started") == 0) {
			delay = retry > 5 ? GB_RETRY_MAX_S : 1 << retry;
			snprintf(payload, sizeof(payload), "{\"retry\":%u}",
			    retry);
			if ((e = job_enqueue_after(md->db, tenant,
			    "stream.start", stream_id, payload,
			    delay * 1000)) != 0)
				goto out;
			log_info("gb stream %llu: AutoStart again in %d s",
			    (unsigned long long)stream_id, delay);
		}
	}
	/* a playback stream is temporary: DescribeStreamURL makes another */
	if (db_res_rows(r) > 0 && db_res_get(r, 0, 4, NULL) != NULL &&
	    (e = db_exec(md->db, NULL, "DELETE FROM streams WHERE id = ?"
	    " AND vod_start IS NOT NULL", "i", (int64_t)stream_id)) != 0)
		goto out;
	/* LazyPull: the viewers that wanted it are gone */
	if (unwant && (e = db_exec(md->db, NULL, "UPDATE streams SET desired ="
	    " 'stopped' WHERE id = ?", "i", (int64_t)stream_id)) != 0)
		goto out;
	if ((e = db_exec(md->db, NULL, "UPDATE gb_sessions SET state ="
	    " 'closing' WHERE stream_id = ?", "i", (int64_t)stream_id)) != 0 ||
	    (e = job_enqueue(md->db, tenant, "gb.bye", stream_id,
	    NULL)) != 0)
		goto out;
	e = db_commit(md->db);
out:
	if (e != 0) {
		db_rollback(md->db);
		log_warnx("gb stream %llu: end not recorded: %s",
		    (unsigned long long)stream_id, strerror(e));
	} else if (changed > 0)
		log_info("gb stream %llu: off", (unsigned long long)stream_id);
	db_res_free(r);
	return e;
}

/* Adds the RTP bytes received since the last call to metering. */
static void
gb_meter(struct gb_stream *gs)
{
	struct rtp_stats st;
	struct usage_entry *u;

	gbrecv_stats(gs, &st);
	if (st.bytes == gs->bytes_metered ||
	    (u = usage_get(gs->md, gs->stream_id, gs->tenant_id)) == NULL)
		return;
	u->own_bytes_in = 1;
	u->bytes_in += st.bytes - gs->bytes_metered;
	gs->bytes_metered = st.bytes;
}

static void
gb_free(struct gb_stream *gs)
{
	if (gs->token != NULL) {
		OPENSSL_cleanse(gs->token, strlen(gs->token));
		free(gs->token);
	}
	free(gs);
}

/*
 * Ends gs: receiver, outputs, statuses; retry: after no media (AutoStart);
 * unwant: the stream is no longer desired (LazyPull idle).
 */
static void
gb_close(struct gb_stream *gs, const char *why, int retry, int unwant)
{
	struct mediad *md = gs->md;
	struct gb_stream **pp;
	struct rtp_stats st;

	gbrecv_stats(gs, &st);
	gb_meter(gs);
	log_info("gb stream %llu closed (%s): packets %llu lost %llu"
	    " reordered %llu bytes %llu", (unsigned long long)gs->stream_id,
	    why, (unsigned long long)st.packets, (unsigned long long)st.lost,
	    (unsigned long long)st.reordered, (unsigned long long)st.bytes);
	if (gs->relay != NULL && relay_dropped(gs->relay) > 0)
		log_info("gb stream %llu: %llu frames dropped before the relay"
		    " (output too slow)", (unsigned long long)gs->stream_id,
		    (unsigned long long)relay_dropped(gs->relay));
	if (st.foreign || st.duplicates || st.malformed)
		log_info("gb stream %llu: foreign SSRC %llu duplicates %llu"
		    " malformed %llu", (unsigned long long)gs->stream_id,
		    (unsigned long long)st.foreign,
		    (unsigned long long)st.duplicates,
		    (unsigned long long)st.malformed);
	gbout_close(gs);
	gbrecv_close(gs);
	for (pp = &md->gb->streams; *pp != NULL; pp = &(*pp)->next)
		if (*pp == gs) {
			*pp = gs->next;
			break;
		}
	/* media flowed: the next retry starts the backoff over */
	gb_end_db(md, gs->stream_id, gs->tenant_id, !retry ? 0 :
	    gs->got_media ? 1 : gs->retry + 1, unwant);
	gb_free(gs);
}

/* An SSRC no other session of this worker has. */
static void
gb_ssrc(struct mediad *md, struct gb_stream *gs, int playback)
{
	struct gb *gb = md->gb;
	struct gb_stream *o;

	do {
		gb->serial = gb->serial % 9999 + 1;
		gballoc_ssrc(gs->ssrc, playback, md->conf->gb_domain,
		    gb->serial);
		for (o = gb->streams; o != NULL; o = o->next)
			if (strcmp(o->ssrc, gs->ssrc) == 0)
				break;
	} while (o != NULL);
	gs->ssrc_num = (uint32_t)strtoul(gs->ssrc, NULL, 10);
}

/*
 * A gb_sessions row of the stream: 0 to go on (none, or a stale closing
 * one removed), EALREADY (live elsewhere) or EAGAIN (sipd is still
 * closing it).
 */
static int
gb_row_check(struct mediad *md, uint64_t stream_id)
{
	struct db_res *r;
	const char *state, *age;
	int e;

	if ((e = db_query(md->db, &r, gb_row_sql, "i",
	    (int64_t)stream_id)) != 0)
		return e;
	if (db_res_rows(r) == 0) {
		db_res_free(r);
		return 0;
	}
	state = db_res_get(r, 0, 0, NULL);
	age = db_res_get(r, 0, 2, NULL);
	if (strcmp(state, "closing") != 0) {
		log_info("gb stream %llu: already started by %s",
		    (unsigned long long)stream_id, db_res_get(r, 0, 1, NULL));
		e = EALREADY;
	} else if (age == NULL || atoi(age) < GB_CLOSING_STALE_S)
		e = EAGAIN;
	else {
		log_info("gb stream %llu: BYE of the last session never"
		    " done, its row is taken over",
		    (unsigned long long)stream_id);
		e = db_exec(md->db, NULL, "DELETE FROM gb_sessions WHERE"
		    " stream_id = ? AND state = 'closing'", "i",
		    (int64_t)stream_id);
	}
	db_res_free(r);
	return e;
}

/* The row of gs and the INVITE request for sipd, in one transaction. */
static int
gb_insert(struct mediad *md, struct gb_stream *gs, const char *channel,
    const char *vod_start, const char *vod_end)
{
	int e;

	if ((e = db_begin(md->db)) != 0)
		return e;
	if ((e = db_exec(md->db, NULL, gb_insert_sql, "iiissssssiss",
	    (int64_t)gs->stream_id, (int64_t)gs->tenant_id,
	    (int64_t)gs->device_id, channel, vod_start ? "playback" : "play",
	    vod_start, vod_start ? vod_end : NULL, md->owner,
	    md->conf->rtp_ip, (int64_t)gs->port, gs->tcp ? "tcp" : "udp",
	    gs->ssrc)) != 0 ||
	    (e = job_enqueue(md->db, gs->tenant_id, "gb.invite",
	    gs->stream_id, NULL)) != 0 || (e = db_commit(md->db)) != 0)
		db_rollback(md->db);
	return e;
}

/* Loads the stream of job j; why says what stops it (then e is 0). */
static int
gb_load(struct mediad *md, const struct job *j, unsigned retry,
    struct db_res **rp, const char **why)
{
	struct db_res *r;
	int e;

	*why = NULL;
	if ((e = db_query(md->db, &r, gb_stream_sql, "ii", (int64_t)j->target,
	    (int64_t)j->tenant_id)) != 0)
		return e;
	if (db_res_rows(r) == 0)
		*why = "no such GB28181 stream";
	else if (atoi(db_res_get(r, 0, GC_ENABLED, NULL)) != 1)
		*why = "stream forbidden";
	else if (atoi(db_res_get(r, 0, GC_DEV_ENABLED, NULL)) != 1)
		*why = "device disabled";
	else if (atoi(db_res_get(r, 0, GC_SPACE_ENABLED, NULL)) != 1)
		*why = "space halted";
	else if (atoi(db_res_get(r, 0, GC_TENANT_STATUS, NULL)) !=
	    GB_TENANT_OPEN)
		*why = "tenant not open";
	else if (retry > 0 && (strcmp(db_res_get(r, 0, GC_DESIRED, NULL),
	    "started") != 0 ||
	    atoi(db_res_get(r, 0, GC_AUTO_START, NULL)) != 1))
		*why = "retry no longer wanted";
	*rp = r;
	return 0;
}

int
gb_job_start(struct mediad *md, const struct job *j)
{
	struct gb_stream *gs = NULL;
	struct db_res *r = NULL;
	const char *why, *channel, *enc, *vod;
	char aad[24];
	unsigned retry = (unsigned)gb_json_int(j->payload, "retry", 0);
	size_t len;
	int e;

	if (gb_find(md, j->target) != NULL)
		return 0;
	if ((e = gb_load(md, j, retry, &r, &why)) != 0)
		return e;
	if (why != NULL) {
		log_info("gb stream %llu: not started: %s",
		    (unsigned long long)j->target, why);
		goto out;
	}
	if ((e = gb_row_check(md, j->target)) == EALREADY) {
		e = 0;
		goto out;
	}
	if (e == EAGAIN) {
		/* sipd has yet to BYE the last session: come back later */
		e = job_enqueue_after(md->db, j->tenant_id, "stream.start",
		    j->target, j->payload, GB_CLOSING_WAIT_MS);
		goto out;
	}
	if (e != 0)
		goto out;
	if ((gs = calloc(1, sizeof(*gs))) == NULL) {
		e = ENOMEM;
		goto out;
	}
	gs->md = md;
	gs->stream_id = j->target;
	gs->tenant_id = j->tenant_id;
	gs->group_id = strtoull(db_res_get(r, 0, GC_GROUP, NULL), NULL, 10);
	gs->device_id = strtoull(db_res_get(r, 0, GC_DEVICE, NULL), NULL, 10);
	gs->retry = retry;
	snprintf(gs->app, sizeof(gs->app), "%s", db_res_get(r, 0, GC_APP,
	    NULL));
	gs->tcp = gb_json_is(db_res_get(r, 0, GC_PARAMS, NULL),
	    "MediaTransport", "tcp");
	gs->lazy = atoi(db_res_get(r, 0, GC_LAZY, NULL)) == 1;
	snprintf(aad, sizeof(aad), "%llu", (unsigned long long)j->target);
	if ((enc = db_res_get(r, 0, GC_TOKEN, &len)) == NULL ||
	    vault_open(aad, enc, len, &gs->token) != 0) {
		/* H.265 is served without it; H.264 cannot be republished */
		log_warnx("gb stream %s: push token does not open", aad);
		gs->token = NULL;
	}
	/* a live stream's name is its channel's GbId */
	if ((channel = db_res_get(r, 0, GC_CHANNEL, NULL)) == NULL)
		channel = db_res_get(r, 0, GC_NAME, NULL);
	vod = db_res_get(r, 0, GC_VOD_START, NULL);
	if ((e = gbrecv_open(gs)) != 0) {
		log_warnx("gb stream %llu: no RTP port: %s",
		    (unsigned long long)gs->stream_id, strerror(e));
		goto out;
	}
	gb_ssrc(md, gs, vod != NULL);
	if ((e = gb_insert(md, gs, channel, vod, db_res_get(r, 0, GC_VOD_END,
	    NULL))) != 0) {
		gbrecv_close(gs);
		/* EEXIST: another mediad came first */
		e = e == EEXIST ? 0 : e;
		goto out;
	}
	gs->started_us = vtime_mono_us();
	gs->next = md->gb->streams;
	md->gb->streams = gs;
	log_info("gb stream %llu: receiving on %s:%d (UDP and TCP; device"
	    " asked for %s), SSRC %s%s", (unsigned long long)gs->stream_id,
	    md->conf->rtp_ip, gs->port, gs->tcp ? "TCP" : "UDP", gs->ssrc,
	    vod ? ", playback" : "");
	gs = NULL;
out:
	if (gs != NULL)
		gb_free(gs);
	db_res_free(r);
	return e;
}

int
gb_job_stop(struct mediad *md, const struct job *j)
{
	struct gb_stream *gs;
	struct db_res *r;
	int e, open;

	if ((gs = gb_find(md, j->target)) != NULL) {
		gb_close(gs, strcmp(j->kind, "stream.forbid") == 0 ?
		    "forbidden" : "stopped", 0, 0);
		return 0;
	}
	/* not received here (another mediad, or one that died) */
	if ((e = db_query(md->db, &r, "SELECT state FROM gb_sessions WHERE"
	    " stream_id = ? AND tenant_id = ?", "ii", (int64_t)j->target,
	    (int64_t)j->tenant_id)) != 0)
		return e;
	open = db_res_rows(r) > 0 &&
	    strcmp(db_res_get(r, 0, 0, NULL), "closing") != 0;
	db_res_free(r);
	return open ? gb_end_db(md, j->target, j->tenant_id, 0, 0) : 0;
}

void
gb_drop(struct mediad *md, uint64_t stream_id)
{
	struct gb_stream *gs;

	if (md->gb != NULL && (gs = gb_find(md, stream_id)) != NULL)
		gb_close(gs, "deleted", 0, 0);
}

void
gb_edge_clients(struct mediad *md, uint64_t stream_id, unsigned clients)
{
	struct gb_stream *gs;

	if (md->gb != NULL && (gs = gb_find(md, stream_id)) != NULL)
		gs->edge_clients = clients;
}

/*
 * True while a LazyPull stream has viewers: HTTP-FLV ones here, RTMP ones
 * at the edge (less the relay publishing and mediad's own pull for
 * HTTP-FLV). HLS viewers are seen by gb_hls_viewed.
 */
static int
gb_watched(struct gb_stream *gs)
{
	unsigned flv = 0, pulls = 0;

	for (struct session *s = gs->md->sessions; s != NULL; s = s->next)
		if (s->stream_id == gs->stream_id && !s->closing) {
			flv += s->nviewers;
			pulls += s->up != NULL;
		}
	return flv > 0 || gs->edge_clients > 1 + pulls;
}

/* Timer: the UDP sockets (see gbrecv.c). */
static void
gb_drain(void *arg)
{
	struct mediad *md = arg;

	for (struct gb_stream *gs = md->gb->streams; gs != NULL; gs = gs->next)
		gbrecv_drain(gs);
}

/*
 * True when an HLS viewer fetched the playlist within lazy_idle seconds:
 * nginx serves the files, vigil-api records the authorised playlist
 * requests (streams.viewed_at). Asked only when the stream looks idle.
 */
static int
gb_hls_viewed(struct gb_stream *gs)
{
	struct db_res *r;
	int viewed;

	if (db_query(gs->md->db, &r, "SELECT 1 FROM streams WHERE id = ? AND"
	    " viewed_at > UTC_TIMESTAMP(3) - INTERVAL ? SECOND", "ii",
	    (int64_t)gs->stream_id, (int64_t)gs->md->conf->lazy_idle) != 0)
		return 1;	/* not known: keep it up */
	viewed = db_res_rows(r) > 0;
	db_res_free(r);
	return viewed;
}

static void	gb_orphans(struct mediad *);

void
gb_sweep(void *arg)
{
	struct mediad *md = arg;
	struct gb_stream *gs, *next;
	uint64_t now = vtime_mono_us(), last;
	uint64_t limit = (uint64_t)md->conf->no_media_timeout * 1000000;

	for (gs = md->gb->streams; gs != NULL; gs = next) {
		next = gs->next;
		gb_meter(gs);
		gbout_tick(gs, now);
		last = gs->last_us ? gs->last_us : gs->started_us;
		if (now - last > limit) {
			gb_close(gs, "no media", 1, 0);
			continue;
		}
		/* the idle time counts once the stream plays */
		if (!gs->lazy || !gs->started)
			continue;
		if (gs->viewer_us == 0 || gb_watched(gs))
			gs->viewer_us = now;
		else if (now - gs->viewer_us > (uint64_t)md->conf->lazy_idle *
		    1000000) {
			if (gb_hls_viewed(gs))
				gs->viewer_us = now;
			else
				gb_close(gs, "LazyPull, no viewers", 0, 1);
		}
	}
	if (++md->gb->sweeps % GB_ORPHAN_SWEEPS == 0)
		gb_orphans(md);
	gb_graves(md, 0);
}

/*
 * Sessions of this host that no gb_stream of this worker holds: a previous
 * worker's (it was killed: their devices send to ports nobody reads), or
 * ours whose end could not be recorded (the database failed then). They
 * end as after no media. At start, then every GB_ORPHAN_SWEEPS sweeps.
 */
static void
gb_orphans(struct mediad *md)
{
	struct db_res *r;
	const char *host = md->gb->host;

	if (db_query(md->db, &r, "SELECT stream_id, tenant_id, media_owner"
	    " FROM gb_sessions WHERE LEFT(media_owner, CHAR_LENGTH(?)) = ?"
	    " AND state <> 'closing'", "ss", host, host) != 0)
		return;
	for (unsigned i = 0; i < db_res_rows(r); i++) {
		uint64_t id = strtoull(db_res_get(r, i, 0, NULL), NULL, 10);
		int ours = strcmp(db_res_get(r, i, 2, NULL), md->owner) == 0;

		if (ours && gb_find(md, id) != NULL)
			continue;
		log_info("gb stream %llu: session %s ended",
		    (unsigned long long)id, ours ? "whose end was not recorded" :
		    "of a previous worker");
		gb_end_db(md, id, strtoull(db_res_get(r, i, 1, NULL), NULL, 10),
		    1, 0);
	}
	db_res_free(r);
}

/*
 * libav* messages into mediad's log: errors only, and not the hls muxer's
 * complaint about segments the edge's hls_cleanup (same directory) removed
 * first. Called from the relay and transcode threads too.
 */
static void
gb_av_log(void *avcl, int level, const char *fmt, va_list ap)
{
	static const char gone[] = "failed to delete old segment";
	char line[512];
	int prefix = 1;

	if (level > AV_LOG_ERROR)
		return;
	av_log_format_line2(avcl, level, fmt, ap, line, sizeof(line), &prefix);
	line[strcspn(line, "\n")] = '\0';
	if (strstr(line, gone) != NULL)
		log_debug("libav: %s", line);
	else
		log_warnx("libav: %s", line);
}

int
gb_init(struct mediad *md)
{
	struct gb *gb;
	const char *colon;
	int e;

	if ((gb = calloc(1, sizeof(*gb))) == NULL)
		return ENOMEM;
	if ((e = gballoc_ports_init(&gb->ports, md->conf->rtp_port_min,
	    md->conf->rtp_port_max)) != 0) {
		free(gb);
		return e;
	}
	gb->dgrams = malloc((size_t)GB_BATCH * GB_DGRAM_MAX);
	gb->tcpbuf = malloc(GB_TCP_READ);
	if (gb->dgrams == NULL || gb->tcpbuf == NULL) {
		gballoc_ports_free(&gb->ports);
		free(gb->dgrams);
		free(gb->tcpbuf);
		free(gb);
		return ENOMEM;
	}
	/* SSRCs of a restarted worker differ from the last one's */
	gb->serial = (unsigned)(getpid() ^ time(NULL)) % 9999;
	colon = strchr(md->owner, ':');
	snprintf(gb->host, sizeof(gb->host), "%.*s", colon ? (int)(colon -
	    md->owner + 1) : (int)strlen(md->owner), md->owner);
	av_log_set_callback(gb_av_log);
	md->gb = gb;
	if ((e = loop_every(md->loop, GB_UDP_TICK_MS, gb_drain, md)) != 0)
		return e;
	gb_orphans(md);
	log_info("GB28181 media on %s ports %d-%d", md->conf->rtp_ip,
	    md->conf->rtp_port_min, md->conf->rtp_port_max);
	return 0;
}

void
gb_stop_all(struct mediad *md)
{
	struct gb *gb = md->gb;

	if (gb == NULL)
		return;
	/* AutoStart devices come back with the next worker */
	while (gb->streams != NULL)
		gb_close(gb->streams, "mediad stopping", 1, 0);
	gb_graves(md, 1);
	gballoc_ports_free(&gb->ports);
	free(gb->dgrams);
	free(gb->tcpbuf);
	free(gb);
	md->gb = NULL;
}
