/*
 * Streams (spec section 4: 流操作接口) and the RTMP push URLs of a space
 * (section 1: CreateRtmpGroupStreamurl[s]). The API records what is wanted
 * (streams.desired, streams.enabled) and a job for the media plane in one
 * transaction; a stream's status changes only when the media plane reports.
 *
 * Sealed values (common/vault.h) and their AAD: push_token_enc "<stream id>",
 * access_info_enc "access_info:<stream id>", play_auth_keys.auth_key_enc
 * "play_auth_key:<tenant id>".
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "common/conf.h"
#include "common/crypto.h"
#include "common/job.h"
#include "common/sign.h"
#include "common/vault.h"
#include "fcgi/res.h"
#include "actions.h"
#include "stream.h"

#define STREAM_ID_MAX		20	/* digits of a resource id */
#define STREAM_IDS_MAX		(RES_BATCH_MAX * (STREAM_ID_MAX + 1))
#define STREAM_NAME_MAX		128
#define STREAM_NAMES_MAX	100	/* names of one CreateRtmpGroupStreamurls */
#define STREAM_NAMES_LEN	131072	/* room for \uXXXX escapes */
#define STREAM_APP_MAX		64
#define STREAM_ACCESS_INFO_MAX	1024
#define STREAM_TIME_MAX		64
#define STREAM_AUTH_KEY_MAX	128
#define STREAM_AUTH_KEYS	8	/* distinct play AuthKeys per tenant */
#define STREAM_EXPIRE_DEF	3600
#define STREAM_EXPIRE_MAX	604800
#define STREAM_TOKEN_BYTES	16	/* 128-bit push token */
#define STREAM_RAND_BYTES	8	/* rand of a signed URL: 16 hex digits */
#define STREAM_RTMP_PORT	1935
#define STREAM_HTTP_PORT	80

static const struct route_param stream_id_params[] = {
	{ "Id", PT_STRING, 1, 1, STREAM_ID_MAX },
	{ NULL, 0, 0, 0, 0 }
};

static const struct route_param stream_start_params[] = {
	{ "Id", PT_STRING, 1, 1, STREAM_ID_MAX },
	{ "AccessInfo", PT_JSON, 1, 0, STREAM_ACCESS_INFO_MAX },
	{ NULL, 0, 0, 0, 0 }
};

static const struct route_param stream_batch_params[] = {
	{ "Id", PT_STRING, 1, 1, STREAM_IDS_MAX },
	{ NULL, 0, 0, 0, 0 }
};

static const struct route_param stream_batch_start_params[] = {
	{ "Id", PT_STRING, 1, 1, STREAM_IDS_MAX },
	{ "AccessInfo", PT_JSON, 1, 0, STREAM_ACCESS_INFO_MAX },
	{ NULL, 0, 0, 0, 0 }
};

static const struct route_param stream_list_params[] = {
	{ "DeviceId", PT_STRING, 0, 1, STREAM_ID_MAX },
	{ "GroupId", PT_STRING, 0, 1, STREAM_ID_MAX },
	{ "App", PT_STRING, 0, 1, STREAM_APP_MAX },
	{ "Name", PT_STRING, 0, 1, STREAM_NAME_MAX },
	{ "Status", PT_STRING, 0, 1, 8 },
	{ "StartTime", PT_STRING, 1, 1, STREAM_TIME_MAX },
	{ "StopTime", PT_STRING, 1, 1, STREAM_TIME_MAX },
	{ "PageSize", PT_INT, 0, 1, 100 },
	{ "PageNum", PT_INT, 0, 1, INT_MAX },
	{ NULL, 0, 0, 0, 0 }
};

static const struct route_param stream_url_params[] = {
	{ "Id", PT_STRING, 1, 1, STREAM_ID_MAX },
	{ "OutProtocol", PT_STRING, 1, 1, 8 },
	{ "AuthKey", PT_STRING, 1, 1, STREAM_AUTH_KEY_MAX },
	{ "Expire", PT_INT, 0, 1, STREAM_EXPIRE_MAX },
	{ "Type", PT_STRING, 0, 1, 8 },
	{ "StartTime", PT_STRING, 0, 1, STREAM_TIME_MAX },
	{ "EndTime", PT_STRING, 0, 1, STREAM_TIME_MAX },
	{ NULL, 0, 0, 0, 0 }
};

static const struct route_param stream_key_params[] = {
	{ "AuthKey", PT_STRING, 1, 1, STREAM_AUTH_KEY_MAX },
	{ NULL, 0, 0, 0, 0 }
};

static const struct route_param stream_screen_params[] = {
	{ "GroupId", PT_STRING, 0, 1, STREAM_ID_MAX },
	{ "PageSize", PT_INT, 0, 1, 100 },
	{ "PageNum", PT_INT, 0, 1, INT_MAX },
	{ NULL, 0, 0, 0, 0 }
};

static const struct route_param stream_modify_params[] = {
	{ "Id", PT_STRING, 1, 1, STREAM_ID_MAX },
	{ "GroupId", PT_STRING, 1, 1, STREAM_ID_MAX },
	{ "Name", PT_STRING, 1, 1, STREAM_NAME_MAX },
	{ NULL, 0, 0, 0, 0 }
};

static const struct route_param stream_push_params[] = {
	{ "Id", PT_STRING, 1, 1, STREAM_ID_MAX },
	{ "Name", PT_STRING, 1, 1, STREAM_NAME_MAX },
	{ "AccessInfo", PT_JSON, 1, 0, STREAM_ACCESS_INFO_MAX },
	{ NULL, 0, 0, 0, 0 }
};

static const struct route_param stream_pushes_params[] = {
	{ "Id", PT_STRING, 1, 1, STREAM_ID_MAX },
	{ "Name", PT_STRING, 1, 1, STREAM_NAMES_LEN },
	{ "AccessInfo", PT_JSON, 1, 0, STREAM_ACCESS_INFO_MAX },
	{ NULL, 0, 0, 0, 0 }
};

static const char *const stream_statuses[] = { "on", "off", NULL };
static const char *const stream_types[] = { "live", "vod", NULL };

/* OutProtocol of DescribeStreamURL: how each is addressed. */
static const struct stream_out {
	const char	*name;
	const char	*scheme;
	const char	*suffix;	/* of the URI */
	int		 rtmp;		/* on the RTMP port, else HTTP */
} stream_outs[] = {
	{ "rtmp", "rtmp", "", 1 },
	{ "flv", "http", ".flv", 0 },
	{ "hls", "http", ".m3u8", 0 },
	{ NULL, NULL, NULL, 0 }
};

static const char stream_lock_sql[] =
    "SELECT s.enabled, g.enabled FROM streams s JOIN spaces g"
    " ON g.id = s.group_id AND g.tenant_id = s.tenant_id"
    " WHERE s.id = ? AND s.tenant_id = ? FOR UPDATE";
static const char stream_start_sql[] =
    "UPDATE streams SET desired = 'started', access_info_enc = ?"
    " WHERE id = ? AND tenant_id = ?";
static const char stream_stop_sql[] =
    "UPDATE streams SET desired = 'stopped' WHERE id = ? AND tenant_id = ?";
/* The newest job of the family, whatever its state (a daemon may be done). */
static const char stream_last_job_sql[] =
    "SELECT kind, state FROM jobs WHERE target = ?"
    " AND tenant_id = ? AND kind LIKE ? ORDER BY id DESC LIMIT 1";
static const char stream_delete_sql[] =
    "DELETE FROM streams WHERE id = ? AND tenant_id = ?";
static const char stream_unbind_sql[] =
    "DELETE FROM template_bindings WHERE instance_type = 'stream'"
    " AND instance_id = ? AND tenant_id = ?";
static const char stream_space_sql[] =
    "SELECT in_protocol, app FROM spaces WHERE id = ? AND tenant_id = ?"
    " LOCK IN SHARE MODE";
static const char stream_space_exists_sql[] =
    "SELECT 1 FROM spaces WHERE id = ? AND tenant_id = ?";
static const char stream_device_exists_sql[] =
    "SELECT 1 FROM devices WHERE id = ? AND tenant_id = ?";
static const char stream_insert_sql[] =
    "INSERT INTO streams (id, tenant_id, group_id, app, name, protocol,"
    " push_token_enc, access_info_enc) VALUES (?, ?, ?, ?, ?, 'rtmp', ?, ?)";
static const char stream_enable_lock_sql[] =
    "SELECT desired FROM streams WHERE id = ? AND tenant_id = ? FOR UPDATE";
static const char stream_enable_sql[] =
    "UPDATE streams SET enabled = ? WHERE id = ? AND tenant_id = ?";
static const char stream_group_sql[] =
    "SELECT group_id FROM streams WHERE id = ? AND tenant_id = ?"
    " FOR UPDATE";
static const char stream_rename_sql[] =
    "UPDATE streams SET name = ? WHERE id = ? AND tenant_id = ?";
static const char stream_url_sql[] =
    "SELECT s.app, g.out_protocol, s.protocol, s.channel_id, s.device_id,"
    " s.group_id, g.enabled FROM streams s JOIN spaces g"
    " ON g.id = s.group_id AND g.tenant_id = s.tenant_id"
    " WHERE s.id = ? AND s.tenant_id = ?";
enum stream_url_col {
	SU_APP, SU_OUT, SU_PROTOCOL, SU_CHANNEL, SU_DEVICE, SU_GROUP,
	SU_SPACE_ENABLED
};
/* The playback stream of a channel's time range, and whether it idles. */
static const char stream_vod_find_sql[] =
    "SELECT s.id, s.status = 'off' AND NOT EXISTS (SELECT 1 FROM jobs j"
    " WHERE j.target = s.id AND j.kind = 'stream.start'"
    " AND j.state IN ('pending', 'running')) AND NOT EXISTS (SELECT 1"
    " FROM gb_sessions g WHERE g.stream_id = s.id) FROM streams s"
    " WHERE s.tenant_id = ? AND s.channel_id = ? AND s.vod_start = ?"
    " AND s.vod_end = ? FOR UPDATE";
static const char stream_vod_insert_sql[] =
    "INSERT INTO streams (id, tenant_id, group_id, device_id, channel_id,"
    " app, name, protocol, desired, push_token_enc, vod_start, vod_end)"
    " SELECT ?, ?, ?, ?, ?, ?, CONCAT(c.gb_id, '-', ?, '-', ?), 'gb28181',"
    " 'started', ?, ?, ? FROM channels c WHERE c.id = ? AND c.tenant_id = ?";
static const char stream_key_find_sql[] =
    "SELECT num FROM play_auth_keys WHERE tenant_id = ?"
    " AND auth_key_hash = ?";
/*
 * One statement takes the lowest free number (a deleted key's is free
 * again), so no lock is held between; a concurrent taker gets a duplicate.
 */
static const char stream_key_add_sql[] =
    "INSERT INTO play_auth_keys (tenant_id, num, auth_key_enc,"
    " auth_key_hash) SELECT ?, f.num, ?, ? FROM (SELECT 1 AS num UNION"
    " SELECT num + 1 FROM play_auth_keys WHERE tenant_id = ?) f"
    " WHERE f.num <= ? AND NOT EXISTS (SELECT 1 FROM play_auth_keys k"
    " WHERE k.tenant_id = ? AND k.num = f.num) ORDER BY f.num LIMIT 1";
static const char stream_key_delete_sql[] =
    "DELETE FROM play_auth_keys WHERE tenant_id = ? AND auth_key_hash = ?";
static const char stream_key_first_sql[] =
    "SELECT num, auth_key_enc FROM play_auth_keys WHERE tenant_id = ?"
    " ORDER BY num LIMIT 1";

/* The columns of a Stream, in the order of enum stream_col. */
#define STREAM_SELECT \
    "SELECT s.id, s.name, s.app, s.protocol, s.group_id, s.device_id," \
    " s.enabled, s.status, s.created_at, s.start_time, s.stop_time," \
    " s.push_token_enc, c.name, IF(s.status = 'on', s.video_codec, '')," \
    " IF(s.status = 'on', s.video_profile, '')," \
    " IF(s.status = 'on', s.width, 0), IF(s.status = 'on', s.height, 0)" \
    " FROM streams s LEFT JOIN channels c" \
    " ON c.id = s.channel_id AND c.tenant_id = s.tenant_id"
enum stream_col {
	SC_ID, SC_NAME, SC_APP, SC_PROTOCOL, SC_GROUP, SC_DEVICE, SC_ENABLED,
	SC_STATUS, SC_CREATED, SC_START, SC_STOP, SC_TOKEN, SC_CHANNEL,
	SC_VCODEC, SC_VPROFILE, SC_WIDTH, SC_HEIGHT
};

static const char stream_one_sql[] =
    STREAM_SELECT " WHERE s.id = ? AND s.tenant_id = ?";

/* Characters of UTF-8 text (the router counts the same way). */
static size_t
stream_chars(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

static int
stream_seal(const char *prefix, uint64_t id, const char *s, uint8_t **enc,
    size_t *enclen)
{
	char aad[64];

	snprintf(aad, sizeof(aad), "%s%" PRIu64, prefix, id);
	return vault_seal(aad, s, enc, enclen);
}

static int
stream_exists(struct api_req *r, const char *sql, uint64_t id, int *found)
{
	struct db_res *res;
	int error;

	if ((error = db_query(r->db, &res, sql, "ii", (int64_t)id,
	    (int64_t)r->tenant_id)) != 0)
		return error;
	*found = db_res_rows(res) > 0;
	db_res_free(res);
	return 0;
}

/* "scheme://host[:port]", the port left out when it is the default. */
static void
stream_origin(struct buf *b, const char *scheme, const char *host, int port,
    int def)
{
	/* an IPv6 literal needs brackets in a URL */
	int v6 = strchr(host, ':') != NULL && host[0] != '[';

	buf_addf(b, "%s://%s%s%s", scheme, v6 ? "[" : "", host, v6 ? "]" : "");
	if (port != def)
		buf_addf(b, ":%d", port);
}

static void
stream_push_url(struct api_req *r, struct buf *b, const char *app,
    const char *id, const char *token)
{
	stream_origin(b, "rtmp", r->conf->public_host, r->conf->rtmp_port,
	    STREAM_RTMP_PORT);
	buf_addf(b, "/%s/%s?token=%s", app, id, token);
}

int
stream_job(struct api_req *r, uint64_t target, const char *kind,
    const char *family)
{
	char payload[64];
	struct db_res *res;
	const char *last;
	int error, same;

	if ((error = db_query(r->db, &res, stream_last_job_sql, "iis",
	    (int64_t)target, (int64_t)r->tenant_id, family)) != 0)
		return error;
	/* only a still pending request for the same thing covers this one */
	last = db_res_rows(res) > 0 ? db_res_get(res, 0, 0, NULL) : NULL;
	same = last != NULL && strcmp(last, kind) == 0 &&
	    strcmp(db_res_get(res, 0, 1, NULL), "pending") == 0;
	db_res_free(res);
	if (same)
		return 0;
	/* the daemons log which request asked for the work */
	snprintf(payload, sizeof(payload), "{\"RequestId\":\"%s\"}",
	    r->request_id);
	return job_enqueue(r->db, r->tenant_id, kind, target, payload);
}

enum api_err
stream_switch(struct api_req *r, uint64_t id, int start)
{
	struct db_res *res;
	uint8_t *info = NULL;
	size_t infolen;
	int enabled, space_enabled, error;

	if ((error = db_query(r->db, &res, stream_lock_sql, "ii", (int64_t)id,
	    (int64_t)r->tenant_id)) != 0)
		return api_fail_errno(r, error, r->route->action);
	if (db_res_rows(res) == 0) {
		db_res_free(res);
		return api_fail(r, AE_STREAM_NOT_FOUND,
		    "The stream %" PRIu64 " does not exist.", id);
	}
	enabled = atoi(db_res_get(res, 0, 0, NULL));
	space_enabled = atoi(db_res_get(res, 0, 1, NULL));
	db_res_free(res);
	/* stopping is always allowed: it is how a user gets out of trouble */
	if (!start) {
		if ((error = db_exec(r->db, NULL, stream_stop_sql, "ii",
		    (int64_t)id, (int64_t)r->tenant_id)) != 0 ||
		    (error = stream_job(r, id, "stream.stop", "stream.%")) != 0)
			return api_fail_errno(r, error, r->route->action);
		return AE_OK;
	}
	if (!enabled)
		return api_fail(r, AE_STREAM_STATUS, "The stream %" PRIu64
		    " is forbidden; resume it before starting it.", id);
	if (!space_enabled)
		return api_fail(r, AE_GROUP_STATUS, "The space of stream %"
		    PRIu64 " is halted; enable it before starting streams.", id);
	if ((error = stream_seal("access_info:", id, api_param(r,
	    "AccessInfo"), &info, &infolen)) == 0 &&
	    (error = db_exec(r->db, NULL, stream_start_sql, "bii", info,
	    infolen, (int64_t)id, (int64_t)r->tenant_id)) == 0)
		error = stream_job(r, id, "stream.start", "stream.%");
	free(info);
	return error ? api_fail_errno(r, error, r->route->action) : AE_OK;
}

int
stream_remove(struct api_req *r, uint64_t id)
{
	int error;

	if ((error = db_exec(r->db, NULL, stream_delete_sql, "ii",
	    (int64_t)id, (int64_t)r->tenant_id)) != 0)
		return error;
	return db_exec(r->db, NULL, stream_unbind_sql, "ii", (int64_t)id,
	    (int64_t)r->tenant_id);
}

void
stream_json_id(json_object *o, const char *key, uint64_t id)
{
	char s[24];

	snprintf(s, sizeof(s), "%" PRIu64, id);
	res_json_str(o, key, s);
}

void
stream_item_error(struct api_req *r, json_object *item)
{
	char s[sizeof(r->message) + 64];

	snprintf(s, sizeof(s), "%s: %s", api_err_code(r->err), r->message);
	res_json_str(item, "Error", s);
	r->err = AE_OK;
	r->message[0] = '\0';
}

/* One Start/Stop Action: a transaction around stream_switch. */
static enum api_err
stream_switch_one(struct api_req *r, int start)
{
	uint64_t id;
	enum api_err e;
	int error;

	if ((e = res_id(r, "Id", &id)) != AE_OK ||
	    (start && (e = res_access_info(r)) != AE_OK))
		return e;
	if ((error = db_begin(r->db)) != 0)
		return api_fail_errno(r, error, r->route->action);
	if ((e = res_tx_end(r, stream_switch(r, id, start), 0)) != AE_OK)
		return e;
	stream_json_id(res_body(r), "Id", id);
	return AE_OK;
}

static enum api_err
stream_start(struct api_req *r)
{
	return stream_switch_one(r, 1);
}

static enum api_err
stream_stop(struct api_req *r)
{
	return stream_switch_one(r, 0);
}

/*
 * BatchStart/StopStreams: one transaction; a refused item gets its Error
 * and changes nothing, a database failure abandons them all.
 */
static enum api_err
stream_batch(struct api_req *r, int start)
{
	json_object *results = NULL, *item;
	char **ids;
	unsigned n;
	uint64_t id;
	enum api_err e;
	int error;

	if ((e = res_split(r, "Id", &ids, &n)) != AE_OK)
		return e;
	if (start && (e = res_access_info(r)) != AE_OK)
		goto out;
	if ((error = db_begin(r->db)) != 0) {
		e = api_fail_errno(r, error, r->route->action);
		goto out;
	}
	results = json_object_new_array();
	for (unsigned i = 0; i < n; i++) {
		item = json_object_new_object();
		json_object_array_add(results, item);
		res_json_str(item, "Id", ids[i]);
		if (res_parse_id(ids[i], &id) != 0)
			api_fail(r, AE_INVALID_PARAMETER, "The stream id "
			    "%.32s is not a numeric id.", ids[i]);
		else if (stream_fatal(e = stream_switch(r, id, start)))
			goto fail;
		if (r->err != AE_OK)
			stream_item_error(r, item);
	}
	if ((error = db_commit(r->db)) != 0) {
		e = api_fail_errno(r, error, r->route->action);
		goto fail;
	}
	json_object_object_add(res_body(r), "Results", results);
	e = AE_OK;
	goto out;
fail:
	db_rollback(r->db);
	json_object_put(results);
out:
	res_split_free(ids, n);
	return e;
}

static enum api_err
stream_batch_start(struct api_req *r)
{
	return stream_batch(r, 1);
}

static enum api_err
stream_batch_stop(struct api_req *r)
{
	return stream_batch(r, 0);
}

/* A Stream of the spec's tables from row i of STREAM_SELECT. */
static int
stream_json(struct api_req *r, struct db_res *res, unsigned i,
    json_object *o)
{
	const char *id = db_res_get(res, i, SC_ID, NULL);
	const char *enc = db_res_get(res, i, SC_TOKEN, NULL);
	struct buf url = { 0 };
	char *token;
	size_t enclen;
	int error;

	res_json_str(o, "Id", id);
	res_json_str(o, "Name", db_res_get(res, i, SC_NAME, NULL));
	res_json_str(o, "App", db_res_get(res, i, SC_APP, NULL));
	res_json_str(o, "Protocol", db_res_get(res, i, SC_PROTOCOL, NULL));
	res_json_str(o, "GroupId", db_res_get(res, i, SC_GROUP, NULL));
	res_json_str(o, "DeviceId", db_res_get(res, i, SC_DEVICE, NULL));
	res_json_bool(o, "Enabled", db_res_get(res, i, SC_ENABLED, NULL));
	res_json_str(o, "Status", db_res_get(res, i, SC_STATUS, NULL));
	res_json_time(o, "CreatedTime", db_res_get(res, i, SC_CREATED, NULL));
	res_json_time(o, "StartTime", db_res_get(res, i, SC_START, NULL));
	res_json_time(o, "StopTime", db_res_get(res, i, SC_STOP, NULL));
	/* only RTMP streams are pushed to us; GB28181 ones are pulled */
	if (enc != NULL && strcmp(db_res_get(res, i, SC_PROTOCOL, NULL),
	    "rtmp") == 0) {
		db_res_get(res, i, SC_TOKEN, &enclen);
		if ((error = vault_open(id, enc, enclen, &token)) != 0)
			return error;
		stream_push_url(r, &url, db_res_get(res, i, SC_APP, NULL), id,
		    token);
		OPENSSL_cleanse(token, strlen(token));
		free(token);
	}
	res_json_str(o, "PushUrl", url.p);
	buf_free(&url);
	res_json_str(o, "ChannelName", db_res_get(res, i, SC_CHANNEL, NULL));
	/* what the edge saw of a live stream (reconcile.c): empty when off */
	res_json_str(o, "VideoCodec", db_res_get(res, i, SC_VCODEC, NULL));
	res_json_str(o, "VideoProfile", db_res_get(res, i, SC_VPROFILE, NULL));
	res_json_int(o, "Width", db_res_get(res, i, SC_WIDTH, NULL));
	res_json_int(o, "Height", db_res_get(res, i, SC_HEIGHT, NULL));
	return 0;
}

static enum api_err
stream_describe(struct api_req *r)
{
	struct db_res *res;
	uint64_t id;
	enum api_err e;
	int error;

	if ((e = res_id(r, "Id", &id)) != AE_OK)
		return e;
	if ((error = db_query(r->db, &res, stream_one_sql, "ii", (int64_t)id,
	    (int64_t)r->tenant_id)) != 0)
		return api_fail_errno(r, error, "DescribeStream");
	if (db_res_rows(res) == 0)
		e = api_fail(r, AE_STREAM_NOT_FOUND,
		    "The specified stream Id does not exist.");
	else if ((error = stream_json(r, res, 0, res_body(r))) != 0)
		e = api_fail_errno(r, error, "DescribeStream");
	db_res_free(res);
	return e;
}

/* The filters of DescribeStreams, checked before any query. */
struct stream_filter {
	uint64_t	 device, group;
	const char	*app, *status;
	char		*name;		/* LIKE pattern, malloc'd */
	time_t		 start, stop;
	/* as DATETIME text: FROM_UNIXTIME() of 10.x ends in 2038 */
	char		 from[20], to[20];
};

static void
stream_sql_time(char out[20], time_t t)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 20, "%Y-%m-%d %H:%M:%S", &tm);
}

/* An optional id filter: malformed is InvalidParameter, unknown 404. */
static enum api_err
stream_filter_id(struct api_req *r, const char *name, const char *sql,
    enum api_err missing, uint64_t *id)
{
	enum api_err e;
	int error, found;

	*id = 0;
	if (res_str(r, name) == NULL)
		return AE_OK;
	if ((e = res_id(r, name, id)) != AE_OK)
		return e;
	if ((error = stream_exists(r, sql, *id, &found)) != 0)
		return api_fail_errno(r, error, r->route->action);
	if (!found)
		return api_fail(r, missing, "The specified %s does not exist.",
		    name);
	return AE_OK;
}

static enum api_err
stream_filter_parse(struct api_req *r, struct stream_filter *f)
{
	enum api_err e;

	memset(f, 0, sizeof(*f));
	if ((e = res_time(r, "StartTime", AE_START_TIME_MALFORMED,
	    &f->start)) != AE_OK ||
	    (e = res_time(r, "StopTime", AE_END_TIME_MALFORMED,
	    &f->stop)) != AE_OK)
		return e;
	if (f->stop <= f->start)
		return api_fail(r, AE_END_TIME_MISMATCH,
		    "The parameter StopTime must be after StartTime.");
	stream_sql_time(f->from, f->start);
	stream_sql_time(f->to, f->stop);
	if ((e = res_enum(r, "Status", stream_statuses)) != AE_OK ||
	    (e = stream_filter_id(r, "DeviceId", stream_device_exists_sql,
	    AE_DEVICE_NOT_FOUND, &f->device)) != AE_OK ||
	    (e = stream_filter_id(r, "GroupId", stream_space_exists_sql,
	    AE_GROUP_NOT_FOUND, &f->group)) != AE_OK)
		return e;
	f->app = res_str(r, "App");
	f->status = res_str(r, "Status");
	if (res_str(r, "Name") != NULL)
		f->name = res_like(res_str(r, "Name"));
	return AE_OK;
}

/*
 * Appends the WHERE clause of DescribeStreams: a stream is in the window
 * when its latest session [start_time, stop_time or now] overlaps it, or,
 * never started, when it was created in it. A stop_time older than the
 * start_time belongs to the session before: the stream still runs.
 */
static void
stream_filter_sql(struct api_req *r, const struct stream_filter *f,
    struct res_sql *q)
{
	/* playback streams are temporary: DescribeStreamURL hands them out */
	res_sql_int(q, " WHERE s.tenant_id = ? AND s.vod_start IS NULL",
	    (int64_t)r->tenant_id);
	if (f->device)
		res_sql_int(q, " AND s.device_id = ?", (int64_t)f->device);
	if (f->group)
		res_sql_int(q, " AND s.group_id = ?", (int64_t)f->group);
	if (f->app)
		res_sql_str(q, " AND s.app = ?", f->app);
	if (f->name)
		res_sql_str(q, " AND s.name LIKE ?", f->name);
	if (f->status)
		res_sql_str(q, " AND s.status = ?", f->status);
	res_sql_str(q, " AND ((s.start_time IS NULL AND s.created_at >= ?",
	    f->from);
	res_sql_str(q, " AND s.created_at < ?)", f->to);
	res_sql_str(q, " OR (s.start_time < ?", f->to);
	res_sql_str(q, " AND (s.status = 'on' OR s.stop_time IS NULL"
	    " OR s.stop_time < s.start_time OR s.stop_time >= ?)))", f->from);
}

static long
stream_count(struct db_res *res)
{
	return db_res_rows(res) ? atol(db_res_get(res, 0, 0, NULL)) : 0;
}

static enum api_err
stream_list(struct api_req *r)
{
	struct res_sql count = { 0 }, page = { 0 };
	struct db_res *res = NULL;
	struct stream_filter f;
	struct res_page pg;
	json_object *list, *o;
	enum api_err e;
	long total;
	int error;

	if ((e = stream_filter_parse(r, &f)) != AE_OK)
		goto out;
	res_page(r, &pg);
	res_sql_add(&count, "SELECT COUNT(*) FROM streams s");
	stream_filter_sql(r, &f, &count);
	if ((error = res_sql_query(r, &count, &res)) != 0)
		goto fail;
	total = stream_count(res);
	db_res_free(res);
	res_sql_add(&page, STREAM_SELECT);
	stream_filter_sql(r, &f, &page);
	res_sql_add(&page, " ORDER BY s.created_at, s.id");
	res_sql_page(&page, &pg);
	if ((error = res_sql_query(r, &page, &res)) != 0)
		goto fail;
	list = json_object_new_array();
	json_object_object_add(res_body(r), "Streams", list);
	for (unsigned i = 0; i < db_res_rows(res) && error == 0; i++) {
		o = json_object_new_object();
		json_object_array_add(list, o);
		error = stream_json(r, res, i, o);
	}
	db_res_free(res);
	if (error)
		goto fail;
	res_page_json(res_body(r), &pg, total);
	e = AE_OK;
	goto out;
fail:
	e = api_fail_errno(r, error, "DescribeStreams");
out:
	res_sql_free(&count);
	res_sql_free(&page);
	free(f.name);
	return e;
}

static const struct stream_out *
stream_out_find(const char *name)
{
	const struct stream_out *out;

	for (out = stream_outs; out->name && strcmp(out->name, name); out++)
		;
	return out->name ? out : NULL;
}

/* A Unix time parameter of a vod URL: missing, malformed, or *t. */
static enum api_err
stream_unix_time(struct api_req *r, const char *name, enum api_err err,
    long long *t)
{
	const char *v = res_str(r, name);
	char *end;

	if (v == NULL)
		return api_fail(r, AE_MISSING_PARAMETER, "The input parameter "
		    "%s is mandatory when Type is vod.", name);
	errno = 0;
	*t = strtoll(v, &end, 10);
	if (*v < '0' || *v > '9' || *end != '\0' || errno != 0)
		return api_fail(r, err, "The parameter %s must be a Unix time "
		    "in seconds.", name);
	return AE_OK;
}

/*
 * Appends the type-A signature of uri to a URL (NOTES section 5):
 * auth_key={exp}-{rand}-{uid}-{md5hex("{uri}-{exp}-{rand}-{uid}-{key}")}.
 */
static int
stream_sign(struct buf *url, const char *uri, long long exp, int uid,
    const char *key)
{
	char rnd[2 * STREAM_RAND_BYTES + 1], hex[33], exps[24], uids[8];
	int error;

	if ((error = crypto_random_hex(rnd, STREAM_RAND_BYTES, 0)) != 0)
		return error;
	snprintf(exps, sizeof(exps), "%lld", exp);
	snprintf(uids, sizeof(uids), "%d", uid);
	if ((error = sign_play_hash(hex, uri, exps, rnd, uids, key)) != 0)
		return error;
	return buf_addf(url, "auth_key=%s-%s-%s-%s", exps, rnd, uids, hex);
}

/* The signed play URL of stream id in app; its query gets extra after. */
static int
stream_play_url(struct api_req *r, struct buf *url,
    const struct stream_out *out, const char *app, const char *id,
    long long exp, int uid, const char *key, const char *extra)
{
	struct buf uri = { 0 };
	int error;

	if (out->rtmp)
		stream_origin(url, out->scheme, r->conf->public_host,
		    r->conf->rtmp_port, STREAM_RTMP_PORT);
	else
		stream_origin(url, out->scheme, r->conf->public_host,
		    r->conf->http_port, STREAM_HTTP_PORT);
	if (buf_addf(&uri, "/%s/%s%s", app, id, out->suffix) != 0)
		return ENOMEM;
	buf_addf(url, "%s?", uri.p);
	error = stream_sign(url, uri.p, exp, uid, key);
	buf_free(&uri);
	if (error == 0 && extra != NULL)
		error = buf_adds(url, extra);
	return error;
}

/*
 * The number (1..8) of a play AuthKey of the tenant, remembering a new one:
 * 0, ENOSPC when 8 others are known, or a db errno.
 */
static int
stream_auth_key_num(struct api_req *r, const char *key, int *num)
{
	unsigned char hash[EVP_MAX_MD_SIZE];
	unsigned hashlen;
	struct db_res *res;
	uint8_t *enc = NULL;
	size_t enclen;
	uint64_t added;
	int error;

	if (EVP_Digest(key, strlen(key), hash, &hashlen, EVP_sha256(),
	    NULL) != 1)
		return EIO;
	if ((error = stream_seal("play_auth_key:", r->tenant_id, key, &enc,
	    &enclen)) != 0)
		return error;
	/* a duplicate means a concurrent request added a key: look again */
	for (int attempt = 0; attempt < 4; attempt++) {
		if ((error = db_query(r->db, &res, stream_key_find_sql, "ib",
		    (int64_t)r->tenant_id, hash, (size_t)hashlen)) != 0)
			break;
		if (db_res_rows(res) > 0) {
			*num = atoi(db_res_get(res, 0, 0, NULL));
			db_res_free(res);
			goto out;
		}
		db_res_free(res);
		error = db_exec(r->db, &added, stream_key_add_sql, "ibbiii",
		    (int64_t)r->tenant_id, enc, enclen, hash, (size_t)hashlen,
		    (int64_t)r->tenant_id, (int64_t)STREAM_AUTH_KEYS,
		    (int64_t)r->tenant_id);
		if (error == 0 && added == 0)
			error = ENOSPC;
		if (error != 0 && error != EEXIST)
			break;
	}
	if (error == 0 || error == EEXIST)
		error = EAGAIN;
out:
	free(enc);
	return error;
}

/*
 * Playback of a GB28181 channel's recordings from..to (Type=vod): its own
 * temporary stream, found again for the same range, started (INVITE
 * s=Playback) when it idles. *vod gets its id.
 */
static int
stream_vod(struct api_req *r, const struct db_res *base, long long from,
    long long to, uint64_t *vod)
{
	char token[2 * STREAM_TOKEN_BYTES + 1] = "";
	struct db_res *res = NULL;
	uint8_t *tok = NULL;
	size_t toklen;
	uint64_t channel = strtoull(db_res_get(base, 0, SU_CHANNEL, NULL),
	    NULL, 10);
	int error, idle;

	if ((error = db_begin(r->db)) != 0 ||
	    (error = db_query(r->db, &res, stream_vod_find_sql, "iiii",
	    (int64_t)r->tenant_id, (int64_t)channel, (int64_t)from,
	    (int64_t)to)) != 0)
		goto out;
	if (db_res_rows(res) > 0) {
		*vod = strtoull(db_res_get(res, 0, 0, NULL), NULL, 10);
		idle = strcmp(db_res_get(res, 0, 1, NULL), "1") == 0;
	} else {
		idle = 1;
		if ((error = res_new_id(vod)) != 0 ||
		    (error = crypto_random_hex(token, STREAM_TOKEN_BYTES,
		    0)) != 0 ||
		    (error = stream_seal("", *vod, token, &tok, &toklen)) != 0 ||
		    (error = db_exec(r->db, NULL, stream_vod_insert_sql,
		    "iiiiisiibiiii", (int64_t)*vod, (int64_t)r->tenant_id,
		    strtoll(db_res_get(base, 0, SU_GROUP, NULL), NULL, 10),
		    strtoll(db_res_get(base, 0, SU_DEVICE, NULL), NULL, 10),
		    (int64_t)channel, db_res_get(base, 0, SU_APP, NULL),
		    (int64_t)from, (int64_t)to, tok, toklen, (int64_t)from,
		    (int64_t)to, (int64_t)channel, (int64_t)r->tenant_id)) != 0)
			goto out;
	}
	if (idle)
		error = job_enqueue(r->db, r->tenant_id, "stream.start", *vod,
		    "{\"playback\":1}");
out:
	OPENSSL_cleanse(token, sizeof(token));
	free(tok);
	db_res_free(res);
	if (error == 0)
		return db_commit(r->db);
	db_rollback(r->db);
	return error;
}

static enum api_err
stream_url(struct api_req *r)
{
	const char *proto = res_str(r, "OutProtocol"), *type;
	const struct stream_out *out;
	struct buf url = { 0 }, extra = { 0 };
	struct db_res *res = NULL;
	long long from = 0, to = 0, exp;
	char sid[24];
	uint64_t id;
	enum api_err e;
	int uid, error, vod = 0;

	if ((e = res_id(r, "Id", &id)) != AE_OK ||
	    (e = res_enum(r, "Type", stream_types)) != AE_OK)
		return e;
	if ((out = stream_out_find(proto)) == NULL)
		return api_fail(r, AE_INVALID_PARAMETER, "The parameter "
		    "OutProtocol must be one of: rtmp, flv, hls.");
	type = res_str(r, "Type");
	if (type != NULL && strcmp(type, "vod") == 0) {
		if ((e = stream_unix_time(r, "StartTime",
		    AE_START_TIME_MALFORMED, &from)) != AE_OK ||
		    (e = stream_unix_time(r, "EndTime", AE_END_TIME_MALFORMED,
		    &to)) != AE_OK)
			return e;
		if (to <= from)
			return api_fail(r, AE_END_TIME_MISMATCH,
			    "The parameter EndTime must be after StartTime.");
		vod = 1;
	}
	if ((error = db_query(r->db, &res, stream_url_sql, "ii", (int64_t)id,
	    (int64_t)r->tenant_id)) != 0)
		goto fail;
	if (db_res_rows(res) == 0) {
		e = api_fail(r, AE_STREAM_NOT_FOUND,
		    "The specified stream Id does not exist.");
		goto out;
	}
	if (!res_in_list(db_res_get(res, 0, 1, NULL), out->name)) {
		e = api_fail(r, AE_INVALID_PARAMETER, "The parameter "
		    "OutProtocol %s is not enabled in the stream's space (%s).",
		    out->name, db_res_get(res, 0, 1, NULL));
		goto out;
	}
	if (vod && strcmp(db_res_get(res, 0, SU_PROTOCOL, NULL), "gb28181") ==
	    0 && db_res_get(res, 0, SU_CHANNEL, NULL) != NULL) {
		if (strcmp(db_res_get(res, 0, SU_SPACE_ENABLED, NULL), "1")) {
			e = api_fail(r, AE_GROUP_STATUS, "The stream's space "
			    "is halted.");
			goto out;
		}
		if ((error = stream_vod(r, res, from, to, &id)) != 0)
			goto fail;
	} else if (vod)
		buf_addf(&extra, "&start=%lld&end=%lld", from, to);
	if ((error = stream_auth_key_num(r, api_param(r, "AuthKey"),
	    &uid)) == ENOSPC) {
		e = api_fail(r, AE_TOO_MANY_STREAMS, "The account already "
		    "uses %d AuthKeys: the parameter AuthKey must be one of "
		    "them (DeleteStreamAuthKey retires one).",
		    STREAM_AUTH_KEYS);
		goto out;
	}
	if (error)
		goto fail;
	exp = (long long)time(NULL) + res_long(r, "Expire", STREAM_EXPIRE_DEF);
	snprintf(sid, sizeof(sid), "%" PRIu64, id);
	if ((error = stream_play_url(r, &url, out, db_res_get(res, 0, 0, NULL),
	    sid, exp, uid, api_param(r, "AuthKey"), extra.p)) != 0)
		goto fail;
	res_json_str(res_body(r), "Url", url.p);
	json_object_object_add(res_body(r), "ExpireTime",
	    json_object_new_int64(exp));
	e = AE_OK;
	goto out;
fail:
	e = api_fail_errno(r, error, "DescribeStreamURL");
out:
	db_res_free(res);
	buf_free(&url);
	buf_free(&extra);
	return e;
}

/* Forbid (enabled 0) or resume (1) a stream. */
static enum api_err
stream_enable(struct api_req *r, int enabled)
{
	struct db_res *res;
	uint64_t id;
	enum api_err e;
	int error, started;

	if ((e = res_id(r, "Id", &id)) != AE_OK)
		return e;
	if ((error = db_begin(r->db)) != 0)
		return api_fail_errno(r, error, r->route->action);
	if ((error = db_query(r->db, &res, stream_enable_lock_sql, "ii",
	    (int64_t)id, (int64_t)r->tenant_id)) != 0)
		goto fail;
	if (db_res_rows(res) == 0) {
		db_res_free(res);
		db_rollback(r->db);
		return api_fail(r, AE_STREAM_NOT_FOUND,
		    "The specified stream Id does not exist.");
	}
	started = strcmp(db_res_get(res, 0, 0, NULL), "started") == 0;
	db_res_free(res);
	if ((error = db_exec(r->db, NULL, stream_enable_sql, "iii",
	    (int64_t)enabled, (int64_t)id, (int64_t)r->tenant_id)) != 0)
		goto fail;
	/*
	 * The edge kicks a forbidden publisher; a resumed stream that should
	 * run is pulled again (an RTMP publisher reconnects by itself).
	 */
	if (!enabled)
		error = stream_job(r, id, "stream.forbid", "stream.%");
	else if (started)
		error = stream_job(r, id, "stream.start", "stream.%");
	if (error || (error = db_commit(r->db)) != 0)
		goto fail;
	stream_json_id(res_body(r), "Id", id);
	return AE_OK;
fail:
	db_rollback(r->db);
	return api_fail_errno(r, error, r->route->action);
}

static enum api_err
stream_forbid(struct api_req *r)
{
	return stream_enable(r, 0);
}

static enum api_err
stream_resume(struct api_req *r)
{
	return stream_enable(r, 1);
}

/*
 * DeleteStreamAuthKey: retires a play AuthKey (a leaked one), so every URL
 * signed with it is refused from now on (viewers already playing go on);
 * its number is free for another key.
 */
static enum api_err
stream_key_delete(struct api_req *r)
{
	const char *key = api_param(r, "AuthKey");
	unsigned char hash[EVP_MAX_MD_SIZE];
	unsigned hashlen;
	uint64_t deleted;
	int error;

	if (EVP_Digest(key, strlen(key), hash, &hashlen, EVP_sha256(),
	    NULL) != 1)
		return api_fail_errno(r, EIO, r->route->action);
	if ((error = db_exec(r->db, &deleted, stream_key_delete_sql, "ib",
	    (int64_t)r->tenant_id, hash, (size_t)hashlen)) != 0)
		return api_fail_errno(r, error, r->route->action);
	if (deleted == 0)
		return api_fail(r, AE_INVALID_PARAMETER, "The parameter "
		    "AuthKey is not a play AuthKey of the account.");
	return AE_OK;
}

/* The tenant's first play AuthKey (*key NULL when it has none). */
static int
stream_first_key(struct api_req *r, int *num, char **key)
{
	char aad[64];
	struct db_res *res;
	const char *enc;
	size_t enclen;
	int error;

	*key = NULL;
	if ((error = db_query(r->db, &res, stream_key_first_sql, "i",
	    (int64_t)r->tenant_id)) != 0)
		return error;
	if (db_res_rows(res) > 0) {
		*num = atoi(db_res_get(res, 0, 0, NULL));
		enc = db_res_get(res, 0, 1, &enclen);
		snprintf(aad, sizeof(aad), "play_auth_key:%" PRIu64,
		    r->tenant_id);
		error = vault_open(aad, enc, enclen, key);
	}
	db_res_free(res);
	return error;
}

#define STREAM_SCREEN_FROM \
    " FROM streams s JOIN spaces g ON g.id = s.group_id" \
    " AND g.tenant_id = s.tenant_id LEFT JOIN devices d" \
    " ON d.id = s.device_id AND d.tenant_id = s.tenant_id" \
    " WHERE s.tenant_id = ? AND s.status = 'on'"

/*
 * ScreenShowStreams: the online streams with a browser-playable URL, the
 * HTTP-FLV one until WebRTC exists, signed with the tenant's first AuthKey
 * (empty when it has none yet, or when the space does not serve flv).
 */
static enum api_err
stream_screen(struct api_req *r)
{
	struct res_sql count = { 0 }, page = { 0 };
	const struct stream_out *flv = stream_out_find("flv");
	struct db_res *res = NULL;
	struct res_page pg;
	struct buf url = { 0 };
	json_object *list, *o;
	char *key = NULL;
	long long exp = (long long)time(NULL) + STREAM_EXPIRE_DEF;
	uint64_t group;
	enum api_err e;
	int uid = 0, error;

	if ((e = stream_filter_id(r, "GroupId", stream_space_exists_sql,
	    AE_GROUP_NOT_FOUND, &group)) != AE_OK)
		return e;
	res_page(r, &pg);
	if ((error = stream_first_key(r, &uid, &key)) != 0)
		goto fail;
	res_sql_int(&count, "SELECT COUNT(*)" STREAM_SCREEN_FROM,
	    (int64_t)r->tenant_id);
	res_sql_int(&page, "SELECT s.id, s.name, g.in_protocol, s.app,"
	    " g.out_protocol, d.name" STREAM_SCREEN_FROM,
	    (int64_t)r->tenant_id);
	if (group) {
		res_sql_int(&count, " AND s.group_id = ?", (int64_t)group);
		res_sql_int(&page, " AND s.group_id = ?", (int64_t)group);
	}
	res_sql_add(&page, " ORDER BY s.created_at, s.id");
	res_sql_page(&page, &pg);
	if ((error = res_sql_query(r, &count, &res)) != 0)
		goto fail;
	res_page_json(res_body(r), &pg, stream_count(res));
	db_res_free(res);
	if ((error = res_sql_query(r, &page, &res)) != 0)
		goto fail;
	list = json_object_new_array();
	json_object_object_add(res_body(r), "Streams", list);
	for (unsigned i = 0; i < db_res_rows(res) && error == 0; i++) {
		o = json_object_new_object();
		json_object_array_add(list, o);
		res_json_str(o, "Id", db_res_get(res, i, 0, NULL));
		res_json_str(o, "Name", db_res_get(res, i, 1, NULL));
		res_json_str(o, "InProtocol", db_res_get(res, i, 2, NULL));
		buf_reset(&url);
		if (key != NULL && res_in_list(db_res_get(res, i, 4, NULL),
		    flv->name))
			error = stream_play_url(r, &url, flv,
			    db_res_get(res, i, 3, NULL),
			    db_res_get(res, i, 0, NULL), exp, uid, key, NULL);
		res_json_str(o, "Url", url.p);
		res_json_str(o, "DeviceName", db_res_get(res, i, 5, NULL));
	}
	db_res_free(res);
	if (error)
		goto fail;
	e = AE_OK;
	goto out;
fail:
	e = api_fail_errno(r, error, "ScreenShowStreams");
out:
	if (key != NULL) {
		OPENSSL_cleanse(key, strlen(key));
		free(key);
	}
	buf_free(&url);
	res_sql_free(&count);
	res_sql_free(&page);
	return e;
}

/* ModifyStream renames a stream of the space GroupId. */
static enum api_err
stream_modify(struct api_req *r)
{
	struct db_res *res;
	uint64_t id, group, in;
	enum api_err e = AE_OK;
	int error, found;

	if ((e = res_id(r, "Id", &id)) != AE_OK ||
	    (e = res_id(r, "GroupId", &group)) != AE_OK)
		return e;
	if ((error = db_begin(r->db)) != 0)
		return api_fail_errno(r, error, "ModifyStream");
	if ((error = db_query(r->db, &res, stream_group_sql, "ii",
	    (int64_t)id, (int64_t)r->tenant_id)) != 0)
		goto fail;
	in = db_res_rows(res) ? strtoull(db_res_get(res, 0, 0, NULL), NULL,
	    10) : 0;
	db_res_free(res);
	if (in != group) {
		/* tell a wrong space from a wrong stream */
		if ((error = stream_exists(r, stream_space_exists_sql, group,
		    &found)) != 0)
			goto fail;
		e = !found ? api_fail(r, AE_GROUP_NOT_FOUND,
		    "The specified GroupId does not exist.") :
		    api_fail(r, AE_STREAM_NOT_FOUND, "The specified stream Id "
		    "does not exist in the space GroupId.");
		db_rollback(r->db);
		return e;
	}
	if ((error = db_exec(r->db, NULL, stream_rename_sql, "sii",
	    api_param(r, "Name"), (int64_t)id, (int64_t)r->tenant_id)) != 0 ||
	    (error = db_commit(r->db)) != 0)
		goto fail;
	stream_json_id(res_body(r), "Id", id);
	return AE_OK;
fail:
	db_rollback(r->db);
	return api_fail_errno(r, error, "ModifyStream");
}

/* The names of CreateRtmpGroupStreamurl[s] (many: a JSON array). */
static enum api_err
stream_push_names(struct api_req *r, int many, json_object **arr)
{
	json_object *v;
	size_t n;

	if (!many) {
		*arr = json_object_new_array();
		json_object_array_add(*arr,
		    json_object_new_string(api_param(r, "Name")));
		return AE_OK;
	}
	*arr = json_tokener_parse(api_param(r, "Name"));
	if (!json_object_is_type(*arr, json_type_array) ||
	    (n = json_object_array_length(*arr)) == 0 ||
	    n > STREAM_NAMES_MAX)
		goto bad;
	for (size_t i = 0; i < n; i++) {
		v = json_object_array_get_idx(*arr, i);
		if (!json_object_is_type(v, json_type_string) ||
		    json_object_get_string_len(v) == 0 ||
		    stream_chars(json_object_get_string(v)) > STREAM_NAME_MAX)
			goto bad;
	}
	return AE_OK;
bad:
	json_object_put(*arr);
	*arr = NULL;
	return api_fail(r, AE_INVALID_PARAMETER, "The parameter Name must be "
	    "a JSON array of 1 to %d names of 1 to %d characters.",
	    STREAM_NAMES_MAX, STREAM_NAME_MAX);
}

/* Creates one RTMP stream and appends its {Id, PushUrl} to results. */
static int
stream_push_add(struct api_req *r, uint64_t group, const char *app,
    const char *name, json_object *results)
{
	char token[2 * STREAM_TOKEN_BYTES + 1], id[24];
	uint8_t *tok = NULL, *info = NULL;
	size_t toklen, infolen;
	struct buf url = { 0 };
	json_object *o;
	uint64_t sid;
	int error;

	if ((error = res_new_id(&sid)) != 0 ||
	    (error = crypto_random_hex(token, STREAM_TOKEN_BYTES, 0)) != 0 ||
	    (error = stream_seal("", sid, token, &tok, &toklen)) != 0 ||
	    (error = stream_seal("access_info:", sid, api_param(r,
	    "AccessInfo"), &info, &infolen)) != 0)
		goto out;
	if ((error = db_exec(r->db, NULL, stream_insert_sql, "iiissbb",
	    (int64_t)sid, (int64_t)r->tenant_id, (int64_t)group, app, name,
	    tok, toklen, info, infolen)) != 0)
		goto out;
	snprintf(id, sizeof(id), "%" PRIu64, sid);
	stream_push_url(r, &url, app, id, token);
	o = json_object_new_object();
	res_json_str(o, "Id", id);
	res_json_str(o, "PushUrl", url.p);
	json_object_array_add(results, o);
out:
	OPENSSL_cleanse(token, sizeof(token));
	buf_free(&url);
	free(tok);
	free(info);
	return error;
}

/*
 * CreateRtmpGroupStreamurl[s]: new RTMP streams in an rtmp space, all or
 * none. The Id of each result is the new stream's id (the space's is the
 * request's own Id): it is what every Stream Action takes.
 */
static enum api_err
stream_push_create(struct api_req *r, int many)
{
	json_object *names = NULL, *results = NULL, *o;
	struct db_res *res = NULL;
	uint64_t group;
	enum api_err e;
	int error;

	if ((e = res_id(r, "Id", &group)) != AE_OK ||
	    (e = stream_push_names(r, many, &names)) != AE_OK)
		return e;
	if ((e = res_access_info(r)) != AE_OK)
		goto out;
	if ((error = db_begin(r->db)) != 0)
		goto fail;
	if ((error = db_query(r->db, &res, stream_space_sql, "ii",
	    (int64_t)group, (int64_t)r->tenant_id)) != 0)
		goto fail;
	if (db_res_rows(res) == 0) {
		e = api_fail(r, AE_GROUP_NOT_FOUND,
		    "The specified space Id does not exist.");
		goto undo;
	}
	if (strcmp(db_res_get(res, 0, 0, NULL), "rtmp") != 0) {
		e = api_fail(r, AE_INVALID_PARAMETER, "The space Id uses %s, "
		    "not rtmp: its streams are not pushed.",
		    db_res_get(res, 0, 0, NULL));
		goto undo;
	}
	results = json_object_new_array();
	for (size_t i = 0; i < json_object_array_length(names); i++)
		if ((error = stream_push_add(r, group, db_res_get(res, 0, 1,
		    NULL), json_object_get_string(json_object_array_get_idx(
		    names, i)), results)) != 0)
			goto fail;
	if ((error = db_commit(r->db)) != 0)
		goto fail;
	if (many) {
		json_object_object_add(res_body(r), "Results", results);
		results = NULL;
	} else {
		o = json_object_array_get_idx(results, 0);
		json_object_object_foreach(o, k, v)
			json_object_object_add(res_body(r), k,
			    json_object_get(v));
	}
	e = AE_OK;
	goto out;
fail:
	e = api_fail_errno(r, error, r->route->action);
undo:
	db_rollback(r->db);
out:
	db_res_free(res);
	json_object_put(results);
	json_object_put(names);
	return e;
}

static enum api_err
stream_push_one(struct api_req *r)
{
	return stream_push_create(r, 0);
}

static enum api_err
stream_push_many(struct api_req *r)
{
	return stream_push_create(r, 1);
}

const struct route stream_routes[] = {
	{ "CreateRtmpGroupStreamurl", stream_push_one, PERM_TENANT,
	    stream_push_params },
	{ "CreateRtmpGroupStreamurls", stream_push_many, PERM_TENANT,
	    stream_pushes_params },
	{ "BatchStartStreams", stream_batch_start, PERM_TENANT,
	    stream_batch_start_params },
	{ "BatchStopStreams", stream_batch_stop, PERM_TENANT,
	    stream_batch_params },
	{ "DescribeStream", stream_describe, PERM_TENANT, stream_id_params },
	{ "DescribeStreams", stream_list, PERM_TENANT, stream_list_params },
	{ "DescribeStreamURL", stream_url, PERM_TENANT, stream_url_params },
	{ "DeleteStreamAuthKey", stream_key_delete, PERM_TENANT,
	    stream_key_params },
	{ "StartStream", stream_start, PERM_TENANT, stream_start_params },
	{ "StopStream", stream_stop, PERM_TENANT, stream_id_params },
	{ "ForbidVsStream", stream_forbid, PERM_TENANT, stream_id_params },
	{ "ResumeVsStream", stream_resume, PERM_TENANT, stream_id_params },
	{ "ScreenShowStreams", stream_screen, PERM_TENANT,
	    stream_screen_params },
	{ "ModifyStream", stream_modify, PERM_TENANT, stream_modify_params },
	{ NULL, NULL, 0, NULL }
};
