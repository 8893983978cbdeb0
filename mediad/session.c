/*
 * Live sessions: one upstream pull per stream (or a local feed: GB28181
 * H.265), its sequence headers and GOP cache, fanned out to every viewer
 * of the stream.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#include <openssl/crypto.h>

#include "common/conf.h"
#include "common/db.h"
#include "common/log.h"
#include "common/vault.h"
#include "common/vtime.h"
#include "mediad.h"
#include "upstream.h"

static void session_on_upstream(void *arg, uint32_t events);

static struct session *
session_find(struct mediad *md, uint64_t stream_id)
{
	for (struct session *s = md->sessions; s != NULL; s = s->next)
		if (s->stream_id == stream_id && !s->closing)
			return s;
	return NULL;
}

/*
 * The stream must exist, be enabled and be on (publishing; GB28181 H.264
 * is published by mediad's relay, H.265 is a local feed). *token gets its
 * push token (malloc'd), with which the edge lets mediad pull.
 */
static int
session_lookup(struct mediad *md, const char *app, uint64_t stream_id,
    uint64_t *tenant, char **token)
{
	struct db_res *r;
	const char *enc;
	char aad[24];
	size_t len;
	int e;

	if ((e = db_query(md->db, &r, "SELECT tenant_id, push_token_enc"
	    " FROM streams WHERE id = ? AND app = ?"
	    " AND enabled = 1 AND status = 'on'", "is", (int64_t)stream_id,
	    app)) != 0)
		return e;
	if (db_res_rows(r) == 0)
		e = ENOENT;
	else {
		*tenant = strtoull(db_res_get(r, 0, 0, NULL), NULL, 10);
		snprintf(aad, sizeof(aad), "%llu",
		    (unsigned long long)stream_id);
		if ((enc = db_res_get(r, 0, 1, &len)) == NULL ||
		    vault_open(aad, enc, len, token) != 0) {
			log_warnx("stream %s: push token does not open", aad);
			e = ENOENT;
		}
	}
	db_res_free(r);
	return e;
}

/* A session of app/stream_id, not yet fed nor listed; NULL without memory. */
static struct session *
session_new(struct mediad *md, const char *app, uint64_t stream_id,
    uint64_t tenant)
{
	struct session *s;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	s->md = md;
	s->stream_id = stream_id;
	s->tenant_id = tenant;
	snprintf(s->app, sizeof(s->app), "%s", app);
	return s;
}

static int
session_alloc(struct session **sp, struct mediad *md, const char *app,
    uint64_t stream_id, uint64_t tenant, const char *token)
{
	struct session *s;
	char url[768];
	int e;

	if ((s = session_new(md, app, stream_id, tenant)) == NULL)
		return ENOMEM;
	snprintf(url, sizeof(url), "%s/%s/%llu?token=%s", md->conf->edge_rtmp,
	    app, (unsigned long long)stream_id, token);
	e = upstream_start(&s->up, url);
	OPENSSL_cleanse(url, sizeof(url));
	if (e != 0)
		goto out;
	s->ev.fd = upstream_fd(s->up);
	s->ev.events = EPOLLIN;
	s->ev.cb = session_on_upstream;
	s->ev.arg = s;
	if ((e = loop_add(md->loop, &s->ev)) != 0) {
		upstream_free(s->up);
		goto out;
	}
	s->next = md->sessions;
	md->sessions = s;
	log_info("session %s/%llu: pulling from %s", app,
	    (unsigned long long)stream_id, md->conf->edge_rtmp);
	*sp = s;
	return 0;
out:
	free(s);
	return e;
}

int
session_join(struct mediad *md, struct viewer *v, const char *app,
    uint64_t stream_id)
{
	struct usage_entry *u;
	struct session *s;
	uint64_t tenant;
	char *token = NULL;
	int e;

	if ((e = session_lookup(md, app, stream_id, &tenant, &token)) != 0)
		return e;
	if ((s = session_find(md, stream_id)) == NULL)
		e = session_alloc(&s, md, app, stream_id, tenant, token);
	OPENSSL_cleanse(token, strlen(token));
	free(token);
	if (e != 0)
		return e;
	v->s = s;
	v->next = s->viewers;
	s->viewers = v;
	s->nviewers++;
	s->idle_since_us = 0;
	/* the peak is taken here: a viewer may leave before the next flush */
	if ((u = usage_get(md, stream_id, tenant)) != NULL &&
	    s->nviewers > u->peak_viewers)
		u->peak_viewers = s->nviewers;
	if (s->ready)
		viewer_start(v);
	else
		v->state = VIEWER_WAITING;
	return 0;
}

void
session_leave(struct viewer *v)
{
	struct session *s = v->s;
	struct viewer **pp;

	if (s == NULL)
		return;
	for (pp = &s->viewers; *pp != NULL; pp = &(*pp)->next)
		if (*pp == v) {
			*pp = v->next;
			s->nviewers--;
			break;
		}
	if (s->nviewers == 0)
		s->idle_since_us = vtime_mono_us();
	v->s = NULL;
}

/* Closes every viewer: waiting ones get 404 (nothing to play). */
static void
session_close_viewers(struct session *s)
{
	while (s->viewers != NULL)
		viewer_close(s->viewers,
		    s->viewers->state == VIEWER_WAITING ? 404 : 0);
}

static void
session_fanout(struct session *s, const void *tag, size_t len)
{
	struct viewer *v, *next;

	for (v = s->viewers; v != NULL; v = next) {
		next = v->next;	/* viewer_send may close v */
		if (v->state == VIEWER_PLAYING)
			viewer_send(v, tag, len);
	}
}

static void
session_tag(struct session *s, int kind, int video, int key,
    const void *tag, size_t len)
{
	struct viewer *v, *next;
	int was_ready = s->ready;

	switch (kind) {
	case UPSTREAM_VSEQ:
	case UPSTREAM_ASEQ: {
		struct buf *b = kind == UPSTREAM_VSEQ ? &s->vseq : &s->aseq;

		buf_reset(b);
		buf_add(b, tag, len);
		session_fanout(s, tag, len);
		return;
	}
	case UPSTREAM_TAG:
		break;
	}
	if (video && key) {
		buf_reset(&s->gop);
		s->ready = s->vseq.len > 0;
	}
	if (!s->ready)
		return;
	if (s->gop.len + len > MEDIAD_GOP_MAX) {
		/* a huge GOP: new viewers wait for the next keyframe */
		buf_reset(&s->gop);
		s->ready = 0;
	} else
		buf_add(&s->gop, tag, len);
	session_fanout(s, tag, len);
	if (!was_ready && s->ready)
		for (v = s->viewers; v != NULL; v = next) {
			next = v->next;
			if (v->state == VIEWER_WAITING)
				viewer_start(v);
		}
}

static void
session_end(struct session *s)
{
	struct mediad *md = s->md;
	struct session **pp;

	for (pp = &md->sessions; *pp != NULL; pp = &(*pp)->next)
		if (*pp == s) {
			*pp = s->next;
			break;
		}
	if (s->up != NULL)
		loop_del(md->loop, &s->ev);
	session_close_viewers(s);
	log_info("session %s/%llu: ended", s->app,
	    (unsigned long long)s->stream_id);
	s->next = md->dead_sessions;
	md->dead_sessions = s;
}

static void
session_on_upstream(void *arg, uint32_t events)
{
	struct session *s = arg;
	struct upstream_tag *t, *next;
	int ended;

	for (t = upstream_take(s->up, &ended); t != NULL; t = next) {
		next = t->next;
		if (!s->closing)
			session_tag(s, t->kind, t->video, t->key, t->data,
			    t->len);
		free(t);
	}
	if (ended)
		session_end(s);
}

void
session_drop(struct mediad *md, uint64_t stream_id)
{
	/* local feeds end with their GB28181 session (gb.c) */
	for (struct session *s = md->sessions; s != NULL; s = s->next)
		if (s->stream_id == stream_id && s->up != NULL) {
			s->closing = 1;
			upstream_stop(s->up);
			session_close_viewers(s);
		}
}

void
session_sweep(void *arg)
{
	struct mediad *md = arg;
	uint64_t now = vtime_mono_us();

	for (struct session *s = md->sessions; s != NULL; s = s->next)
		if (!s->closing && s->up != NULL && s->nviewers == 0 &&
		    s->idle_since_us != 0 &&
		    now - s->idle_since_us > MEDIAD_IDLE_CLOSE_US) {
			log_info("session %s/%llu: no viewers, closing",
			    s->app, (unsigned long long)s->stream_id);
			s->closing = 1;
			upstream_stop(s->up);
		}
}

void
session_stop_all(struct mediad *md)
{
	while (md->sessions != NULL) {
		struct session *s = md->sessions;

		s->closing = 1;
		if (s->up != NULL)
			upstream_stop(s->up);
		session_end(s);
	}
	session_reap(md);
}

int
session_local_open(struct mediad *md, struct session **sp, const char *app,
    uint64_t stream_id, uint64_t tenant)
{
	struct session *s;

	if ((s = session_new(md, app, stream_id, tenant)) == NULL)
		return ENOMEM;
	s->ev.fd = -1;
	s->next = md->sessions;
	md->sessions = s;
	log_info("session %s/%llu: local feed", app,
	    (unsigned long long)stream_id);
	*sp = s;
	return 0;
}

void
session_local_feed(struct session *s, int kind, int video, int key,
    const void *tag, size_t len)
{
	if (!s->closing)
		session_tag(s, kind, video, key, tag, len);
}

void
session_local_close(struct session *s)
{
	s->closing = 1;
	session_end(s);
}

void
session_reap(void *arg)
{
	struct mediad *md = arg;
	struct session *s;
	struct viewer *v;

	while ((v = md->dead_viewers) != NULL) {
		md->dead_viewers = v->dead_next;
		buf_free(&v->out);
		free(v);
	}
	while ((s = md->dead_sessions) != NULL) {
		md->dead_sessions = s->next;
		upstream_free(s->up);
		buf_free(&s->vseq);
		buf_free(&s->aseq);
		buf_free(&s->gop);
		free(s);
	}
}
