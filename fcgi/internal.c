/*
 * Internal endpoints of the edge (see internal.h). nginx-rtmp POSTs a form
 * (call, app, name, addr, clientid, tcurl, and the stream name's query
 * arguments such as token= or auth_key=); a 2xx answer allows the publish
 * or play, anything else refuses it. Every refusal is logged with its
 * reason. Play URLs carry type-A signatures (NOTES section 5).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>

#include <openssl/crypto.h>

#include "common/crypto.h"
#include "common/db.h"
#include "common/log.h"
#include "common/sign.h"
#include "common/job.h"
#include "common/outbox.h"
#include "common/vault.h"
#include "internal.h"
#include "res.h"

#define INTERNAL_PREFIX		"/internal/"
#define INTERNAL_NAME_MAX	64	/* app, stream id */
#define INTERNAL_AUTH_KEYS	8	/* uid of a signed URL: 1..8 */

#define HTTP_OK		200
#define HTTP_FORBIDDEN	403
#define HTTP_NOT_FOUND	404
#define HTTP_ERROR	500

/* What one request is about, for the handlers and the refusal log. */
struct internal_req {
	struct api_req	*r;
	const char	*what;		/* "publish", "play" ... */
	const char	*app;
	const char	*name;		/* the stream id as text */
	const char	*addr;
	const char	*orig;		/* original URI of an auth check */
	uint64_t	 id;
	/* app and name parsed from orig */
	char		 app_buf[INTERNAL_NAME_MAX + 1];
	char		 name_buf[INTERNAL_NAME_MAX + 1];
};

/* A stream with its space and tenant, from internal_stream_sql. */
struct internal_stream {
	uint64_t	 tenant, group;
	char		 app[INTERNAL_NAME_MAX + 1];
	char		 out_protocol[32];
	int		 rtmp;		/* pushed over RTMP to an rtmp space */
	int		 gb;		/* a GB28181 channel's, mediad relays */
	int		 lazy;		/* its space starts it on a viewer */
	int		 enabled, on, space_enabled, tenant_status;
	uint8_t		*token_enc;	/* sealed push token, malloc'd */
	size_t		 token_len;
};

static const char internal_stream_sql[] =
    "SELECT s.tenant_id, s.group_id, s.app, s.protocol, s.enabled,"
    " s.status, s.push_token_enc, g.in_protocol, g.enabled, g.out_protocol,"
    " t.status, g.lazy_pull FROM streams s JOIN spaces g ON g.id = s.group_id"
    " AND g.tenant_id = s.tenant_id JOIN tenants t ON t.id = s.tenant_id"
    " WHERE s.id = ?";
enum internal_col {
	IC_TENANT, IC_GROUP, IC_APP, IC_PROTOCOL, IC_ENABLED, IC_STATUS,
	IC_TOKEN, IC_IN_PROTOCOL, IC_SPACE_ENABLED, IC_OUT_PROTOCOL,
	IC_TENANT_STATUS, IC_LAZY
};
/* Only one publisher wins: the row changes from off to on once. */
static const char internal_on_sql[] =
    "UPDATE streams SET status = 'on', start_time = UTC_TIMESTAMP(),"
    " stop_time = NULL WHERE id = ? AND status = 'off' AND enabled = 1";
static const char internal_lock_sql[] =
    "SELECT group_id, status FROM streams WHERE id = ? AND app = ?"
    " FOR UPDATE";
static const char internal_off_sql[] =
    "UPDATE streams SET status = 'off', stop_time = UTC_TIMESTAMP()"
    " WHERE id = ?";
static const char internal_live_sql[] =
    "SELECT id, app FROM streams WHERE protocol = 'rtmp' AND status = 'on'"
    " ORDER BY id LIMIT 1000";
/* under the stream's lock: is it off, with no start waiting and no media
 * session being set up? */
static const char internal_idle_sql[] =
    "SELECT 1 FROM streams s WHERE s.id = ? AND s.status = 'off'"
    " AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.target = s.id"
    " AND j.kind = 'stream.start' AND j.state IN ('pending', 'running'))"
    " AND NOT EXISTS (SELECT 1 FROM gb_sessions g WHERE g.stream_id = s.id)"
    " FOR UPDATE";
static const char internal_want_sql[] =
    "UPDATE streams SET desired = 'started' WHERE id = ?";
static const char internal_viewed_sql[] =
    "UPDATE streams SET viewed_at = UTC_TIMESTAMP(3) WHERE id = ?";
static const char internal_key_sql[] =
    "SELECT auth_key_enc FROM play_auth_keys WHERE tenant_id = ?"
    " AND num = ?";

#define TENANT_OPEN	2

static int
internal_refuse(const struct internal_req *q, int status, const char *why)
{
	log_warnx("%s %s/%s from %s refused: %s", q->what,
	    q->app ? q->app : "-", q->name ? q->name : "-",
	    q->addr ? q->addr : "-", why);
	return status;
}

static void
internal_stream_free(struct internal_stream *st)
{
	if (st->token_enc != NULL)
		OPENSSL_cleanse(st->token_enc, st->token_len);
	free(st->token_enc);
	st->token_enc = NULL;
}

static int
internal_col_int(struct db_res *res, enum internal_col col)
{
	const char *v = db_res_get(res, 0, col, NULL);

	return v ? atoi(v) : 0;
}

/*
 * Loads stream q->id: 0, ENOENT when it does not exist in app q->app, or a
 * db errno. st owns token_enc afterwards (internal_stream_free).
 */
static int
internal_stream_load(struct internal_req *q, struct internal_stream *st)
{
	struct db_res *res;
	const char *v;
	size_t len;
	int error;

	memset(st, 0, sizeof(*st));
	if (q->app == NULL || q->name == NULL ||
	    res_parse_id(q->name, &q->id) != 0)
		return ENOENT;
	if ((error = db_query(q->r->db, &res, internal_stream_sql, "i",
	    (int64_t)q->id)) != 0)
		return error;
	if (db_res_rows(res) == 0 ||
	    strcmp(db_res_get(res, 0, IC_APP, NULL), q->app) != 0) {
		db_res_free(res);
		return ENOENT;
	}
	st->tenant = strtoull(db_res_get(res, 0, IC_TENANT, NULL), NULL, 10);
	st->group = strtoull(db_res_get(res, 0, IC_GROUP, NULL), NULL, 10);
	snprintf(st->app, sizeof(st->app), "%s", q->app);
	snprintf(st->out_protocol, sizeof(st->out_protocol), "%s",
	    db_res_get(res, 0, IC_OUT_PROTOCOL, NULL));
	st->rtmp = strcmp(db_res_get(res, 0, IC_PROTOCOL, NULL), "rtmp") == 0 &&
	    strcmp(db_res_get(res, 0, IC_IN_PROTOCOL, NULL), "rtmp") == 0;
	st->gb = strcmp(db_res_get(res, 0, IC_PROTOCOL, NULL), "gb28181") ==
	    0 && strcmp(db_res_get(res, 0, IC_IN_PROTOCOL, NULL), "gb28181") == 0;
	st->lazy = internal_col_int(res, IC_LAZY);
	st->enabled = internal_col_int(res, IC_ENABLED);
	st->on = strcmp(db_res_get(res, 0, IC_STATUS, NULL), "on") == 0;
	st->space_enabled = internal_col_int(res, IC_SPACE_ENABLED);
	st->tenant_status = internal_col_int(res, IC_TENANT_STATUS);
	if ((v = db_res_get(res, 0, IC_TOKEN, &len)) != NULL) {
		if ((st->token_enc = malloc(len)) == NULL) {
			db_res_free(res);
			return ENOMEM;
		}
		memcpy(st->token_enc, v, len);
		st->token_len = len;
	}
	db_res_free(res);
	return 0;
}

/* True when the stream's push token is token (constant time). */
static int
internal_token_ok(const struct internal_req *q,
    const struct internal_stream *st, const char *token)
{
	char aad[24], *plain;
	int ok;

	if (token == NULL || st->token_enc == NULL)
		return 0;
	snprintf(aad, sizeof(aad), "%" PRIu64, q->id);
	if (vault_open(aad, st->token_enc, st->token_len, &plain) != 0) {
		log_warnx("stream %" PRIu64 ": push token does not open",
		    q->id);
		return 0;
	}
	ok = crypto_streq(plain, token);
	OPENSSL_cleanse(plain, strlen(plain));
	free(plain);
	return ok;
}

static int
internal_digits(const char *s, size_t n)
{
	if (n == 0)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

/*
 * Checks auth_key "{exp}-{rand}-{uid}-{md5hex}" of uri for the stream's
 * tenant: HTTP_OK, or a refusal (logged).
 */
static int
internal_auth_key(const struct internal_req *q,
    const struct internal_stream *st, const char *uri, const char *auth)
{
	char exp[24], rnd[64], uid[4], hash[33], want[33], aad[48], *key;
	const char *p = auth, *dash;
	char *fields[] = { exp, rnd, uid };
	const size_t sizes[] = { sizeof(exp), sizeof(rnd), sizeof(uid) };
	struct db_res *res;
	const char *enc;
	size_t len;
	long long t;
	int num, error, ok;

	if (auth == NULL)
		return internal_refuse(q, HTTP_FORBIDDEN, "no auth_key");
	for (size_t i = 0; i < 3; i++) {
		if ((dash = strchr(p, '-')) == NULL ||
		    (size_t)(dash - p) >= sizes[i] || dash == p)
			return internal_refuse(q, HTTP_FORBIDDEN,
			    "malformed auth_key");
		memcpy(fields[i], p, (size_t)(dash - p));
		fields[i][dash - p] = '\0';
		p = dash + 1;
	}
	if (!internal_digits(exp, strlen(exp)) ||
	    !internal_digits(uid, strlen(uid)) || strlen(p) != 32)
		return internal_refuse(q, HTTP_FORBIDDEN, "malformed auth_key");
	snprintf(hash, sizeof(hash), "%s", p);
	t = strtoll(exp, NULL, 10);
	if (t < (long long)time(NULL))
		return internal_refuse(q, HTTP_FORBIDDEN, "auth_key expired");
	num = atoi(uid);
	if (num < 1 || num > INTERNAL_AUTH_KEYS)
		return internal_refuse(q, HTTP_FORBIDDEN, "unknown uid");
	if ((error = db_query(q->r->db, &res, internal_key_sql, "ii",
	    (int64_t)st->tenant, (int64_t)num)) != 0)
		return internal_refuse(q, HTTP_ERROR, "database error");
	if (db_res_rows(res) == 0) {
		db_res_free(res);
		return internal_refuse(q, HTTP_FORBIDDEN, "unknown uid");
	}
	enc = db_res_get(res, 0, 0, &len);
	snprintf(aad, sizeof(aad), "play_auth_key:%" PRIu64, st->tenant);
	error = vault_open(aad, enc, len, &key);
	db_res_free(res);
	if (error != 0)
		return internal_refuse(q, HTTP_ERROR, "AuthKey does not open");
	error = sign_play_hash(want, uri, exp, rnd, uid, key);
	OPENSSL_cleanse(key, strlen(key));
	free(key);
	if (error != 0)
		return internal_refuse(q, HTTP_ERROR, "cannot hash");
	ok = crypto_streq(want, hash);
	OPENSSL_cleanse(want, sizeof(want));
	return ok ? HTTP_OK : internal_refuse(q, HTTP_FORBIDDEN,
	    "auth_key hash mismatch");
}

/* on_publish: the stream's token, everything enabled, nobody on it yet. */
static int
internal_publish(struct internal_req *q)
{
	struct api_req *r = q->r;
	struct internal_stream st;
	const char *why = NULL;
	uint64_t changed;
	int status = HTTP_FORBIDDEN, error;

	if ((error = internal_stream_load(q, &st)) == ENOENT)
		return internal_refuse(q, HTTP_FORBIDDEN, "no such stream");
	if (error != 0)
		return internal_refuse(q, HTTP_ERROR, "database error");
	/* a gb28181 stream is published by mediad, with the stream's token */
	if (!st.rtmp && !st.gb)
		why = "not a stream of its space's protocol";
	else if (!internal_token_ok(q, &st, api_param(r, "token")))
		why = "wrong token";
	else if (st.tenant_status != TENANT_OPEN)
		why = "tenant not open";
	else if (!st.space_enabled)
		why = "space halted";
	else if (!st.enabled)
		why = "stream forbidden";
	else if (st.on)
		why = "already publishing";
	internal_stream_free(&st);
	if (why != NULL)
		return internal_refuse(q, HTTP_FORBIDDEN, why);
	if ((error = db_begin(r->db)) != 0)
		return internal_refuse(q, HTTP_ERROR, "database error");
	if ((error = db_exec(r->db, &changed, internal_on_sql, "i",
	    (int64_t)q->id)) != 0) {
		why = "database error";
		status = HTTP_ERROR;
		goto out;
	}
	/* a concurrent publisher or ForbidVsStream came first */
	if (changed == 0) {
		why = "already publishing or forbidden";
		goto out;
	}
	if ((error = outbox_add(r->db, st.group, "stream.on", 0, q->id,
	    "on")) != 0 || (error = db_commit(r->db)) != 0) {
		why = "database error";
		status = HTTP_ERROR;
		goto out;
	}
	log_info("publish %s/%s from %s: on", q->app, q->name, q->addr);
	return HTTP_OK;
out:
	db_rollback(r->db);
	return internal_refuse(q, status, why);
}

/* on_publish_done: off with stop_time, and stream.off, if it was on. */
static int
internal_publish_done(struct internal_req *q)
{
	struct api_req *r = q->r;
	struct db_res *res = NULL;
	uint64_t group;
	int error, on;

	if (q->app == NULL || q->name == NULL ||
	    res_parse_id(q->name, &q->id) != 0)
		return HTTP_OK;
	if ((error = db_begin(r->db)) != 0)
		goto fail;
	if ((error = db_query(r->db, &res, internal_lock_sql, "is",
	    (int64_t)q->id, q->app)) != 0)
		goto fail;
	on = db_res_rows(res) > 0 &&
	    strcmp(db_res_get(res, 0, 1, NULL), "on") == 0;
	group = on ? strtoull(db_res_get(res, 0, 0, NULL), NULL, 10) : 0;
	db_res_free(res);
	if (!on) {
		db_rollback(r->db);
		return HTTP_OK;
	}
	if ((error = db_exec(r->db, NULL, internal_off_sql, "i",
	    (int64_t)q->id)) != 0 ||
	    (error = outbox_add(r->db, group, "stream.off", 0, q->id,
	    "off")) != 0 || (error = db_commit(r->db)) != 0)
		goto fail;
	log_info("%s %s/%s from %s: off", q->what, q->app, q->name,
	    q->addr ? q->addr : "-");
	return HTTP_OK;
fail:
	db_rollback(r->db);
	log_warnx("publish_done %s/%s: database error, status left on",
	    q->app ? q->app : "-", q->name ? q->name : "-");
	return HTTP_ERROR;
}

/*
 * The edge has just started or stopped, so nothing is published on it: a
 * stream still on is stale, and goes off as if its publish had ended.
 * (One edge per stack; several edges would each need their own streams.)
 */
static int
internal_reset(struct internal_req *q)
{
	struct db_res *res;
	int status = HTTP_OK, n = 0;

	if (db_query(q->r->db, &res, internal_live_sql, "") != 0)
		return HTTP_ERROR;
	for (unsigned i = 0; i < db_res_rows(res); i++) {
		struct internal_req one = *q;

		one.what = "reset";
		one.name = db_res_get(res, i, 0, NULL);
		one.app = db_res_get(res, i, 1, NULL);
		if (internal_publish_done(&one) != HTTP_OK)
			status = HTTP_ERROR;
		else
			n++;
	}
	db_res_free(res);
	log_info("edge reset: %d stale stream%s off", n, n == 1 ? "" : "s");
	return status;
}

/*
 * A viewer of a LazyPull space's gb28181 stream that is off starts it:
 * the stream is wanted, and a stream.start job is queued unless one is
 * waiting already. The viewer retries until the media is there.
 */
static void
internal_lazy_start(struct internal_req *q, const struct internal_stream *st)
{
	struct api_req *r = q->r;
	struct db_res *res = NULL;
	int error, idle;

	if ((error = db_begin(r->db)) != 0 ||
	    (error = db_query(r->db, &res, internal_idle_sql, "i",
	    (int64_t)q->id)) != 0)
		goto fail;
	idle = db_res_rows(res) > 0;
	db_res_free(res);
	if (idle && ((error = db_exec(r->db, NULL, internal_want_sql, "i",
	    (int64_t)q->id)) != 0 || (error = job_enqueue(r->db, st->tenant,
	    "stream.start", q->id, "{\"lazy\":1}")) != 0))
		goto fail;
	if ((error = db_commit(r->db)) != 0)
		goto fail;
	if (idle)
		log_info("lazy start of %s/%s for %s", q->app, q->name,
		    q->addr ? q->addr : "-");
	return;
fail:
	db_rollback(r->db);
	log_warnx("lazy start of %s/%s: database error", q->app, q->name);
}

/*
 * Checks a play of stream q->id under the signed uri for protocol proto
 * (rtmp, flv, hls). The stream's own push token also opens it: that is
 * the publisher, or mediad pulling for its HTTP-FLV viewers.
 */
static int
internal_play_check(struct internal_req *q, const char *proto,
    const char *uri, const char *auth, const char *token)
{
	struct internal_stream st;
	int status, error;

	if ((error = internal_stream_load(q, &st)) == ENOENT)
		return internal_refuse(q, HTTP_FORBIDDEN, "no such stream");
	if (error != 0)
		return internal_refuse(q, HTTP_ERROR, "database error");
	/* a suspended tenant's stream plays for no one, token or not */
	if (st.tenant_status != TENANT_OPEN)
		status = internal_refuse(q, HTTP_FORBIDDEN, "tenant not open");
	else if (token != NULL && auth == NULL)
		status = internal_token_ok(q, &st, token) ? HTTP_OK :
		    internal_refuse(q, HTTP_FORBIDDEN, "wrong token");
	else if (!res_in_list(st.out_protocol, proto))
		status = internal_refuse(q, HTTP_FORBIDDEN,
		    "protocol not enabled in the space");
	else if ((status = internal_auth_key(q, &st, uri, auth)) == HTTP_OK &&
	    st.gb && st.lazy && !st.on && st.enabled && st.space_enabled)
		internal_lazy_start(q, &st);
	else if (status == HTTP_OK && st.gb && st.lazy && st.on &&
	    strcmp(proto, "hls") == 0 && db_exec(q->r->db, NULL,
	    internal_viewed_sql, "i", (int64_t)q->id) != 0)
		log_warnx("%s/%s: HLS view not recorded", q->app, q->name);
	internal_stream_free(&st);
	return status;
}

/* on_play: RTMP play of /<app>/<name>. */
static int
internal_play(struct internal_req *q)
{
	char uri[2 * INTERNAL_NAME_MAX + 3];

	if (q->app == NULL || q->name == NULL)
		return internal_refuse(q, HTTP_FORBIDDEN, "no app or name");
	snprintf(uri, sizeof(uri), "/%s/%s", q->app, q->name);
	return internal_play_check(q, "rtmp", uri,
	    api_param(q->r, "auth_key"), api_param(q->r, "token"));
}

static int
internal_play_done(struct internal_req *q)
{
	return HTTP_OK;
}

/*
 * The suffixes of HTTP play: a segment is authorised by its playlist's
 * key, so .ts maps to the .m3u8 of the stream.
 */
static const struct internal_suffix {
	const char	*suffix;
	const char	*signed_suffix;
	const char	*proto;
	int		 segment;	/* "<id>-<n>.ts" */
} internal_suffixes[] = {
	{ ".flv", ".flv", "flv", 0 },
	{ ".m3u8", ".m3u8", "hls", 0 },
	{ ".ts", ".m3u8", "hls", 1 },
	{ NULL, NULL, NULL, 0 }
};

static int
internal_app_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_' || c == '-';
}

/*
 * nginx auth_request: the original URI must be exactly
 * /<app>/<id><suffix>?<query>; anything unusual is refused rather than
 * normalised, so what is checked is what nginx serves.
 */
static int
internal_auth_play(struct internal_req *q)
{
	const char *orig = q->orig;
	const struct internal_suffix *sx;
	char *app = q->app_buf, *id = q->name_buf;
	char uri[2 * INTERNAL_NAME_MAX + 16], why[128];
	struct params qp = { 0 };
	const char *p, *query, *end;
	size_t n, idlen;
	int status;

	if (orig == NULL || orig[0] != '/')
		return internal_refuse(q, HTTP_FORBIDDEN, "no original URI");
	p = orig + 1;
	for (n = 0; internal_app_char(p[n]); n++)
		;
	if (n == 0 || n > INTERNAL_NAME_MAX || p[n] != '/')
		return internal_refuse(q, HTTP_FORBIDDEN, "malformed URI");
	memcpy(app, p, n);
	app[n] = '\0';
	q->app = app;
	p += n + 1;
	query = strchr(p, '?');
	end = query ? query : p + strlen(p);
	for (idlen = 0; p + idlen < end && p[idlen] >= '0' &&
	    p[idlen] <= '9'; idlen++)
		;
	if (idlen == 0 || idlen > 20)
		return internal_refuse(q, HTTP_FORBIDDEN, "malformed URI");
	memcpy(id, p, idlen);
	id[idlen] = '\0';
	q->name = id;
	p += idlen;
	for (sx = internal_suffixes; sx->suffix != NULL; sx++) {
		const char *s = p;

		if (sx->segment) {
			if (*s++ != '-')
				continue;
			while (s < end && *s >= '0' && *s <= '9')
				s++;
			if (s == p + 1)
				continue;
		}
		n = strlen(sx->suffix);
		if ((size_t)(end - s) == n && strncmp(s, sx->suffix, n) == 0)
			break;
	}
	if (sx->suffix == NULL)
		return internal_refuse(q, HTTP_FORBIDDEN, "malformed URI");
	snprintf(uri, sizeof(uri), "/%s/%s%s", app, id, sx->signed_suffix);
	if (query != NULL && params_parse(&qp, query + 1, strlen(query + 1),
	    why, sizeof(why)) != 0) {
		params_free(&qp);
		return internal_refuse(q, HTTP_FORBIDDEN, "malformed query");
	}
	if (params_finish(&qp, why, sizeof(why)) != 0) {
		params_free(&qp);
		return internal_refuse(q, HTTP_FORBIDDEN, "malformed query");
	}
	/* HTTP play is for viewers only: the push token does not open it */
	status = internal_play_check(q, sx->proto, uri,
	    params_get(&qp, "auth_key"), NULL);
	params_free(&qp);
	return status;
}

static const struct internal_route {
	const char	*path;
	const char	*what;
	int		(*fn)(struct internal_req *);
} internal_routes[] = {
	{ "/internal/rtmp/publish", "publish", internal_publish },
	{ "/internal/rtmp/publish_done", "publish_done",
	    internal_publish_done },
	{ "/internal/rtmp/play", "play", internal_play },
	{ "/internal/rtmp/play_done", "play_done", internal_play_done },
	{ "/internal/rtmp/reset", "reset", internal_reset },
	{ "/internal/auth/play", "http play", internal_auth_play },
	{ NULL, NULL, NULL }
};

int
internal_loopback(const char *addr)
{
	struct in_addr a4;
	struct in6_addr a6;

	if (addr == NULL)
		return 0;
	if (inet_pton(AF_INET, addr, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	if (inet_pton(AF_INET6, addr, &a6) != 1)
		return 0;
	if (IN6_IS_ADDR_LOOPBACK(&a6))
		return 1;
	return IN6_IS_ADDR_V4MAPPED(&a6) && a6.s6_addr[12] == 127;
}

int
internal_path(const char *path)
{
	return path != NULL &&
	    strncmp(path, INTERNAL_PREFIX, sizeof(INTERNAL_PREFIX) - 1) == 0;
}

int
internal_serve(struct api_req *r, const char *path, const char *orig,
    const char *addr)
{
	const struct internal_route *rt;
	struct internal_req q = { 0 };
	size_t n = strcspn(path, "?");

	for (rt = internal_routes; rt->path != NULL; rt++)
		if (strlen(rt->path) == n && strncmp(rt->path, path, n) == 0)
			break;
	if (rt->path == NULL)
		return HTTP_NOT_FOUND;
	q.r = r;
	q.what = rt->what;
	q.orig = orig;
	/* nginx-rtmp names the RTMP client; nginx itself is the caller */
	q.addr = api_param(r, "addr") ? api_param(r, "addr") : addr;
	q.app = api_param(r, "app");
	q.name = api_param(r, "name");
	return rt->fn(&q);
}
