/*
 * Spaces (spec section 1: 空间操作接口): CreateGroup, DeleteGroup,
 * DescribeGroup(s), ModifyGroup, HaltGroup, EnableGroup. The streams section
 * serves CreateRtmpGroupStreamurl(s). The table is "spaces" (GROUPS is
 * reserved in SQL); Status on/off is derived from enabled.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/conf.h"
#include "fcgi/res.h"
#include "actions.h"

#define GROUP_ID_MAX		20
#define GROUP_NAME_MAX		128
#define GROUP_DESC_MAX		1024
#define GROUP_REGION_MAX	64
#define GROUP_APP_MAX		64
#define GROUP_PROTO_MAX		32
#define GROUP_WORD_MAX		32	/* Status, SortBy, SortDirection */
#define GROUP_CALLBACK_MAX	1024
/* A GbId taken by a row not from our sequence (fixtures, imports). */
#define GROUP_GB_TRIES		4

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

static const char *const group_in_protocols[] = { "gb28181", "rtmp", NULL };
static const char *const group_out_protocols[] = { "flv", "hls", "rtmp",
    NULL };
static const char *const group_statuses[] = { "on", "off", NULL };

static const struct res_sort group_sort[] = {
	{ "id", "s.id" },
	{ "name", "s.name" },
	{ "createdTime", "s.created_at" },
	{ NULL, NULL }
};

static const struct route_param group_create_params[] = {
	{ "Name", PT_STRING, 1, 1, GROUP_NAME_MAX },
	{ "Description", PT_STRING, 0, 0, GROUP_DESC_MAX },
	{ "Region", PT_STRING, 1, 1, GROUP_REGION_MAX },
	{ "App", PT_STRING, 0, 1, GROUP_APP_MAX },
	{ "InProtocol", PT_STRING, 1, 1, GROUP_PROTO_MAX },
	{ "OutProtocol", PT_STRING, 1, 1, GROUP_PROTO_MAX },
	{ "LazyPull", PT_BOOL, 0, 0, 0 },
	{ "Callback", PT_STRING, 0, 0, GROUP_CALLBACK_MAX },
	{ NULL, 0, 0, 0, 0 }
};

static const struct route_param group_id_params[] = {
	{ "Id", PT_STRING, 1, 1, GROUP_ID_MAX },
	{ NULL, 0, 0, 0, 0 }
};

static const struct route_param group_describe_params[] = {
	{ "Id", PT_STRING, 1, 1, GROUP_ID_MAX },
	{ "IncludeStats", PT_BOOL, 0, 0, 0 },
	{ NULL, 0, 0, 0, 0 }
};

static const struct route_param group_list_params[] = {
	{ "Id", PT_STRING, 0, 1, GROUP_ID_MAX },
	{ "Name", PT_STRING, 0, 1, GROUP_NAME_MAX },
	{ "Region", PT_STRING, 0, 1, GROUP_REGION_MAX },
	{ "InProtocol", PT_STRING, 0, 1, GROUP_PROTO_MAX },
	{ "Status", PT_STRING, 0, 1, GROUP_WORD_MAX },
	{ "SortBy", PT_STRING, 0, 1, GROUP_WORD_MAX },
	{ "SortDirection", PT_STRING, 0, 1, GROUP_WORD_MAX },
	{ "PageSize", PT_INT, 0, 1, 100 },
	{ "PageNum", PT_INT, 0, 1, INT_MAX },
	{ "IncludeStats", PT_BOOL, 0, 0, 0 },
	{ NULL, 0, 0, 0, 0 }
};

static const struct route_param group_modify_params[] = {
	{ "Id", PT_STRING, 1, 1, GROUP_ID_MAX },
	{ "Name", PT_STRING, 0, 1, GROUP_NAME_MAX },
	{ "Description", PT_STRING, 0, 0, GROUP_DESC_MAX },
	{ "Region", PT_STRING, 0, 1, GROUP_REGION_MAX },
	{ "InProtocol", PT_STRING, 0, 1, GROUP_PROTO_MAX },
	{ "OutProtocol", PT_STRING, 0, 1, GROUP_PROTO_MAX },
	{ "Enabled", PT_BOOL, 0, 0, 0 },
	{ "LazyPull", PT_BOOL, 0, 0, 0 },
	{ "Callback", PT_STRING, 0, 0, GROUP_CALLBACK_MAX },
	{ NULL, 0, 0, 0, 0 }
};

/* Columns of group_select_sql; GC_STATS only with the stats column. */
enum {
	GC_ID, GC_NAME, GC_DESC, GC_REGION, GC_APP, GC_IN, GC_OUT,
	GC_ENABLED, GC_CREATED, GC_LAZY, GC_CALLBACK, GC_GBID, GC_STATS
};

static const char group_select_sql[] =
    "SELECT s.id, s.name, s.description, s.region, s.app, s.in_protocol,"
    " s.out_protocol, s.enabled, s.created_at, s.lazy_pull, s.callback,"
    " s.gb_id";
/*
 * "devices,ipc,ied,platform" from the space's few device_counts rows (kept
 * by triggers: no scan of its devices). A select-list subquery runs only
 * for the rows of the page.
 */
static const char group_stats_sql[] =
    ", (SELECT CONCAT_WS(',', COALESCE(SUM(c.n), 0),"
    " COALESCE(SUM(IF(c.type = 'ipc', c.n, 0)), 0),"
    " COALESCE(SUM(IF(c.type = 'ied', c.n, 0)), 0),"
    " COALESCE(SUM(IF(c.type = 'platform', c.n, 0)), 0))"
    " FROM device_counts c WHERE c.group_id = s.id)";

static const char group_serial_sql[] = "SELECT NEXTVAL(spaces_gb_serial)";
static const char group_insert_sql[] =
    "INSERT INTO spaces (id, tenant_id, name, description, region, app,"
    " in_protocol, out_protocol, lazy_pull, callback, gb_id)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
static const char group_lock_sql[] =
    "SELECT in_protocol, enabled FROM spaces WHERE tenant_id = ? AND id = ?"
    " FOR UPDATE";
static const char group_busy_sql[] =
    "SELECT EXISTS (SELECT 1 FROM devices WHERE tenant_id = ? AND"
    " group_id = ?) OR EXISTS (SELECT 1 FROM streams WHERE tenant_id = ?"
    " AND group_id = ?)";
/* NULL keeps a column; gb_id takes its value only when the flag is set. */
static const char group_update_sql[] =
    "UPDATE spaces SET name = COALESCE(?, name),"
    " description = COALESCE(?, description),"
    " region = COALESCE(?, region), in_protocol = COALESCE(?, in_protocol),"
    " out_protocol = COALESCE(?, out_protocol),"
    " enabled = COALESCE(?, enabled), lazy_pull = COALESCE(?, lazy_pull),"
    " callback = COALESCE(?, callback), gb_id = IF(?, ?, gb_id)"
    " WHERE tenant_id = ? AND id = ?";
/* Events waiting for a Callback that changed go to the new one at once. */
static const char group_outbox_now_sql[] =
    "UPDATE outbox SET next_attempt = UTC_TIMESTAMP(3)"
    " WHERE tenant_id = ? AND group_id = ? AND state = 'pending'";
static const char group_enable_sql[] =
    "UPDATE spaces SET enabled = ? WHERE tenant_id = ? AND id = ?";
static const char group_stop_live_sql[] =
    "INSERT INTO jobs (tenant_id, kind, target, payload)"
    " SELECT tenant_id, 'stream.stop', id, ? FROM streams"
    " WHERE tenant_id = ? AND group_id = ? AND status = 'on'";
static const char group_halted[] = "{\"reason\":\"group halted\"}";
static const char group_deleted[] = "{\"reason\":\"group deleted\"}";

/*
 * DeleteGroup: everything in the space, children before parents, each
 * statement taking (tenant, space). Channels go with their devices,
 * template bindings with their instances.
 */
static const char *const group_delete_sql[] = {
	"DELETE b FROM template_bindings b JOIN streams s"
	" ON b.instance_type = 'stream' AND b.instance_id = s.id"
	" WHERE s.tenant_id = ? AND s.group_id = ?",
	"DELETE FROM template_bindings WHERE tenant_id = ?"
	" AND instance_type = 'group' AND instance_id = ?",
	"DELETE c FROM channels c JOIN devices d ON c.device_id = d.id"
	" WHERE d.tenant_id = ? AND d.group_id = ?",
	"DELETE FROM streams WHERE tenant_id = ? AND group_id = ?",
	"DELETE FROM devices WHERE tenant_id = ? AND group_id = ?",
	"DELETE FROM directories WHERE tenant_id = ? AND group_id = ?",
	"DELETE FROM spaces WHERE tenant_id = ? AND id = ?",
};

/* Printable text: control characters break logs and SIP headers. */
static enum api_err
group_check_text(struct api_req *r, const char *name)
{
	const char *v = res_str(r, name);

	for (; v != NULL && *v; v++)
		if ((unsigned char)*v < 0x20 || *v == 0x7f)
			return api_fail(r, AE_INVALID_PARAMETER, "The parameter "
			    "%s may not contain control characters.", name);
	return AE_OK;
}

/* App is a path segment of every push and play URL. */
static enum api_err
group_check_app(struct api_req *r, const char *name)
{
	const char *v = res_str(r, name);

	for (; v != NULL && *v; v++)
		if (!((*v >= 'a' && *v <= 'z') || (*v >= 'A' && *v <= 'Z') ||
		    (*v >= '0' && *v <= '9') || *v == '_' || *v == '-'))
			return api_fail(r, AE_INVALID_PARAMETER, "The parameter "
			    "%s may contain only letters, digits, _ and -.",
			    name);
	return AE_OK;
}

static enum api_err
group_check_in(struct api_req *r, const char *name)
{
	return res_enum(r, name, group_in_protocols);
}

static enum api_err
group_check_out(struct api_req *r, const char *name)
{
	return res_list(r, name, group_out_protocols, NULL);
}

static enum api_err
group_check_status(struct api_req *r, const char *name)
{
	return res_enum(r, name, group_statuses);
}

/* The event sender POSTs to it: an absolute http(s) URL with a host. */
static enum api_err
group_check_callback(struct api_req *r, const char *name)
{
	const char *v = res_str(r, name);

	return v == NULL ? AE_OK : res_callback(r, name, v);
}

/* Value checks beyond the route's table, run for the Action's parameters. */
static const struct {
	const char	*name;
	enum api_err	(*check)(struct api_req *, const char *);
} group_checks[] = {
	{ "Name", group_check_text },
	{ "Region", group_check_text },
	{ "App", group_check_app },
	{ "InProtocol", group_check_in },
	{ "OutProtocol", group_check_out },
	{ "Status", group_check_status },
	{ "Callback", group_check_callback },
};

static enum api_err
group_check(struct api_req *r)
{
	enum api_err e;

	for (const struct route_param *p = r->route->params; p->name; p++)
		for (size_t i = 0; i < NELEM(group_checks); i++)
			if (strcmp(group_checks[i].name, p->name) == 0 &&
			    (e = group_checks[i].check(r, p->name)) != AE_OK)
				return e;
	return AE_OK;
}

static enum api_err
group_not_found(struct api_req *r, uint64_t id)
{
	return api_fail(r, AE_GROUP_NOT_FOUND, "The specified group %llu does "
	    "not exist.", (unsigned long long)id);
}

/* <10-digit domain> 200 (signaling server) 0 (network) <6-digit serial>. */
static int
group_new_gb_id(struct api_req *r, char gb[21])
{
	struct db_res *res;
	const char *v;
	int error;

	if ((error = db_query(r->db, &res, group_serial_sql, "")) != 0)
		return error;
	if ((v = db_res_get(res, 0, 0, NULL)) == NULL)
		error = EIO;
	else
		snprintf(gb, 21, "%.10s2000%06lld", r->conf->gb_domain,
		    strtoll(v, NULL, 10));
	db_res_free(res);
	return error;
}

/* rtmp://<host>[:<port>]/<App>; 1935 is RTMP's default port. */
static void
group_push_url(const struct api_req *r, const char *app, char *url,
    size_t len)
{
	if (r->conf->rtmp_port == 1935)
		snprintf(url, len, "rtmp://%s/%s", r->conf->public_host, app);
	else
		snprintf(url, len, "rtmp://%s:%d/%s", r->conf->public_host,
		    r->conf->rtmp_port, app);
}

/*
 * The access fields every reply about a space carries: GB28181 signalling
 * for gb28181 spaces, the RTMP push base for rtmp ones, empty otherwise.
 * CreateGroup names the UDP port GbPort; Describe* give both ports.
 */
static void
group_json_access(const struct api_req *r, json_object *o, const char *proto,
    const char *app, const char *gb_id, int describe)
{
	int gb = strcmp(proto, "gb28181") == 0;
	char url[512] = "";

	res_json_str(o, "GbId", gb ? gb_id : NULL);
	res_json_str(o, "GbIp", gb ? r->conf->gb_ip : NULL);
	json_object_object_add(o, describe ? "GbUdpPort" : "GbPort",
	    json_object_new_int(gb ? r->conf->gb_udp_port : 0));
	if (describe)
		json_object_object_add(o, "GbTcpPort",
		    json_object_new_int(gb ? r->conf->gb_tcp_port : 0));
	if (!gb)
		group_push_url(r, app, url, sizeof(url));
	res_json_str(o, "PushRtmpBaseUrl", url);
}

static const struct {
	const char	*key;
	int		 col;
	void		(*put)(json_object *, const char *, const char *);
} group_fields[] = {
	{ "Id", GC_ID, res_json_str },
	{ "Name", GC_NAME, res_json_str },
	{ "Description", GC_DESC, res_json_str },
	{ "Region", GC_REGION, res_json_str },
	{ "App", GC_APP, res_json_str },
	{ "InProtocol", GC_IN, res_json_str },
	{ "OutProtocol", GC_OUT, res_json_str },
	{ "Enabled", GC_ENABLED, res_json_bool },
	{ "CreatedTime", GC_CREATED, res_json_time },
	{ "LazyPull", GC_LAZY, res_json_bool },
	{ "Callback", GC_CALLBACK, res_json_str },
};

/* In the order of group_stats_sql's list. */
static const char *const group_stats[] = {
	"DeviceNum", "IpcNum", "IedNum", "PlatformNum"
};

/* One space of a group_select_sql row (with the stats column if stats). */
static void
group_json(const struct api_req *r, json_object *o, const struct db_res *res,
    unsigned row, int stats)
{
	const char *enabled = db_res_get(res, row, GC_ENABLED, NULL), *v;
	json_object *st;
	char *end;

	for (size_t i = 0; i < NELEM(group_fields); i++)
		group_fields[i].put(o, group_fields[i].key,
		    db_res_get(res, row, group_fields[i].col, NULL));
	res_json_str(o, "Status",
	    enabled != NULL && strcmp(enabled, "0") != 0 ? "on" : "off");
	group_json_access(r, o, db_res_get(res, row, GC_IN, NULL),
	    db_res_get(res, row, GC_APP, NULL),
	    db_res_get(res, row, GC_GBID, NULL), 1);
	if (!stats)
		return;
	st = json_object_new_object();
	v = db_res_get(res, row, GC_STATS, NULL);
	for (size_t i = 0; i < NELEM(group_stats); i++) {
		long long n = v != NULL ? strtoll(v, &end, 10) : 0;

		json_object_object_add(st, group_stats[i],
		    json_object_new_int64(n));
		if (v != NULL)
			v = *end == ',' ? end + 1 : NULL;
	}
	json_object_object_add(o, "Stats", st);
}

/* SELECT ... [, stats] FROM spaces s WHERE s.tenant_id = ? */
static void
group_select(struct api_req *r, struct res_sql *q, int stats)
{
	res_sql_add(q, group_select_sql);
	if (stats)
		res_sql_add(q, group_stats_sql);
	res_sql_int(q, " FROM spaces s WHERE s.tenant_id = ?",
	    (int64_t)r->tenant_id);
}

/* The reply of most Actions here: {"Id": ...}. */
static enum api_err
group_reply_id(struct api_req *r, uint64_t id)
{
	char ids[24];

	snprintf(ids, sizeof(ids), "%llu", (unsigned long long)id);
	res_json_str(res_body(r), "Id", ids);
	return AE_OK;
}

static enum api_err
group_create(struct api_req *r)
{
	const char *proto = api_param(r, "InProtocol"), *app, *cb;
	struct buf out = { 0 };
	char gb[21] = "";
	uint64_t id;
	enum api_err e;
	int gbproto, error = 0;

	if ((e = group_check(r)) != AE_OK)
		return e;
	res_list(r, "OutProtocol", group_out_protocols, &out);
	app = res_str(r, "App") ? res_str(r, "App") : "live";
	cb = res_str(r, "Callback") ? res_str(r, "Callback") : "";
	gbproto = strcmp(proto, "gb28181") == 0;
	if ((error = res_new_id(&id)) != 0)
		goto out;
	/* A serial can only collide with a GbId set outside the sequence. */
	for (int i = 0; i < GROUP_GB_TRIES; i++) {
		if (gbproto && (error = group_new_gb_id(r, gb)) != 0)
			break;
		error = db_exec(r->db, NULL, group_insert_sql, "iissssssiss",
		    (int64_t)id, (int64_t)r->tenant_id, api_param(r, "Name"),
		    res_str(r, "Description") ? res_str(r, "Description") : "",
		    api_param(r, "Region"), app, proto, out.p,
		    (int64_t)res_bool(r, "LazyPull", 0), cb, gbproto ? gb : NULL);
		if (error != EEXIST || !gbproto)
			break;
	}
out:
	buf_free(&out);
	if (error)
		return api_fail_errno(r, error, "CreateGroup");
	group_reply_id(r, id);
	group_json_access(r, r->body, proto, app, gb, 0);
	return AE_OK;
}

/* The space's row, for the reply of DescribeGroup. */
static enum api_err
group_describe(struct api_req *r)
{
	struct res_sql q = { 0 };
	struct db_res *res = NULL;
	int stats = res_bool(r, "IncludeStats", 0), error;
	uint64_t id;
	enum api_err e;

	if ((e = res_id(r, "Id", &id)) != AE_OK)
		return e;
	group_select(r, &q, stats);
	res_sql_int(&q, " AND s.id = ?", (int64_t)id);
	if ((error = res_sql_query(r, &q, &res)) != 0)
		e = api_fail_errno(r, error, "DescribeGroup");
	else if (db_res_rows(res) == 0)
		e = group_not_found(r, id);
	else
		group_json(r, res_body(r), res, 0, stats);
	db_res_free(res);
	res_sql_free(&q);
	return e;
}

/* The WHERE terms of DescribeGroups' filters (validated already). */
static void
group_filter(struct api_req *r, struct res_sql *q, uint64_t id,
    const char *like)
{
	const char *v;

	if (id != 0)
		res_sql_int(q, " AND s.id = ?", (int64_t)id);
	if (like != NULL)
		res_sql_str(q, " AND s.name LIKE ?", like);
	if ((v = res_str(r, "Region")) != NULL)
		res_sql_str(q, " AND s.region = ?", v);
	if ((v = res_str(r, "InProtocol")) != NULL)
		res_sql_str(q, " AND s.in_protocol = ?", v);
	if ((v = res_str(r, "Status")) != NULL)
		res_sql_int(q, " AND s.enabled = ?", strcmp(v, "on") == 0);
}

static enum api_err
group_list(struct api_req *r)
{
	struct res_sql count = { 0 }, q = { 0 };
	struct db_res *res = NULL;
	struct res_page pg;
	char *like = NULL;
	json_object *list;
	int stats = res_bool(r, "IncludeStats", 0), error;
	uint64_t id = 0;
	long total;
	enum api_err e;

	if ((e = group_check(r)) != AE_OK)
		return e;
	if (res_str(r, "Id") != NULL && (e = res_id(r, "Id", &id)) != AE_OK)
		return e;
	if (res_str(r, "Name") != NULL &&
	    (like = res_like(res_str(r, "Name"))) == NULL)
		return api_fail_errno(r, ENOMEM, "Name");
	res_page(r, &pg);

	res_sql_int(&count, "SELECT COUNT(*) FROM spaces s WHERE"
	    " s.tenant_id = ?", (int64_t)r->tenant_id);
	group_filter(r, &count, id, like);
	group_select(r, &q, stats);
	group_filter(r, &q, id, like);
	if ((e = res_order(r, group_sort, &q)) != AE_OK)
		goto out;
	res_sql_page(&q, &pg);

	if ((error = res_sql_query(r, &count, &res)) != 0) {
		e = api_fail_errno(r, error, "DescribeGroups");
		goto out;
	}
	total = strtol(db_res_get(res, 0, 0, NULL), NULL, 10);
	db_res_free(res);
	res = NULL;
	if ((error = res_sql_query(r, &q, &res)) != 0) {
		e = api_fail_errno(r, error, "DescribeGroups");
		goto out;
	}
	list = json_object_new_array();
	for (unsigned i = 0; i < db_res_rows(res); i++) {
		json_object *o = json_object_new_object();

		group_json(r, o, res, i, stats);
		json_object_array_add(list, o);
	}
	res_page_json(res_body(r), &pg, total);
	json_object_object_add(r->body, "Groups", list);
out:
	db_res_free(res);
	res_sql_free(&count);
	res_sql_free(&q);
	free(like);
	return e;
}

/*
 * Locks the space; *enabled and proto (may be NULL) get its state. ENOENT
 * when the caller has no such space.
 */
static int
group_lock(struct api_req *r, uint64_t id, int *enabled, char proto[16])
{
	struct db_res *res;
	int error;

	if ((error = db_query(r->db, &res, group_lock_sql, "ii",
	    (int64_t)r->tenant_id, (int64_t)id)) != 0)
		return error;
	if (db_res_rows(res) == 0)
		error = ENOENT;
	else {
		if (proto != NULL)
			snprintf(proto, 16, "%s", db_res_get(res, 0, 0, NULL));
		*enabled = strcmp(db_res_get(res, 0, 1, NULL), "0") != 0;
	}
	db_res_free(res);
	return error;
}

/*
 * A halted or deleted space's live streams are kicked by the media plane;
 * the jobs outlive the rows (as DeleteMtsService's do). Registrations are
 * refused by sipd, which reads spaces.enabled.
 */
static int
group_stop_live(struct api_req *r, uint64_t id, const char *payload)
{
	return db_exec(r->db, NULL, group_stop_live_sql, "sii", payload,
	    (int64_t)r->tenant_id, (int64_t)id);
}

/* Devices and streams were made for the old protocol. */
static int
group_busy(struct api_req *r, uint64_t id, int *busy)
{
	struct db_res *res;
	int error;

	if ((error = db_query(r->db, &res, group_busy_sql, "iiii",
	    (int64_t)r->tenant_id, (int64_t)id, (int64_t)r->tenant_id,
	    (int64_t)id)) != 0)
		return error;
	*busy = strcmp(db_res_get(res, 0, 0, NULL), "0") != 0;
	db_res_free(res);
	return 0;
}

/* Parameters as group_update_sql binds them: NULL keeps the column. */
static const char *
group_set_bool(struct api_req *r, const char *name)
{
	const char *v = res_str(r, name);

	return v == NULL ? NULL : strcmp(v, "true") == 0 ? "1" : "0";
}

/* Clearable text: present but empty sets it to "". */
static const char *
group_set_text(struct api_req *r, const char *name)
{
	return res_given(r, name) ? api_param(r, name) : NULL;
}

static enum api_err
group_modify(struct api_req *r)
{
	const char *proto = res_str(r, "InProtocol"), *enabled;
	struct buf out = { 0 };
	char cur[16], gb[21] = "";
	uint64_t id;
	enum api_err e;
	int was, newgb = 0, busy, error;

	if ((e = res_id(r, "Id", &id)) != AE_OK ||
	    (e = group_check(r)) != AE_OK)
		return e;
	res_list(r, "OutProtocol", group_out_protocols, &out);
	enabled = group_set_bool(r, "Enabled");
	if ((error = db_begin(r->db)) != 0)
		goto out;
	if ((error = group_lock(r, id, &was, cur)) != 0)
		goto out;
	if (proto != NULL && strcmp(proto, cur) != 0) {
		if ((error = group_busy(r, id, &busy)) != 0)
			goto out;
		if (busy) {
			e = api_fail(r, AE_GROUP_STATUS, "The InProtocol of "
			    "group %llu cannot change while it has devices or "
			    "streams.", (unsigned long long)id);
			goto out;
		}
		/* Leaving gb28181 retires the GbId (NULL); entering takes one. */
		newgb = 1;
	}
	for (int i = 0; i < GROUP_GB_TRIES; i++) {
		if (newgb && strcmp(proto, "gb28181") == 0 &&
		    (error = group_new_gb_id(r, gb)) != 0)
			break;
		error = db_exec(r->db, NULL, group_update_sql, "ssssssssisii",
		    res_str(r, "Name"), group_set_text(r, "Description"),
		    res_str(r, "Region"), proto, out.p, enabled,
		    group_set_bool(r, "LazyPull"),
		    group_set_text(r, "Callback"), (int64_t)newgb,
		    *gb ? gb : NULL, (int64_t)r->tenant_id, (int64_t)id);
		if (error != EEXIST || *gb == '\0')
			break;
	}
	if (error == 0 && enabled != NULL && *enabled == '0' && was)
		error = group_stop_live(r, id, group_halted);
	if (error == 0 && res_given(r, "Callback"))
		error = db_exec(r->db, NULL, group_outbox_now_sql, "ii",
		    (int64_t)r->tenant_id, (int64_t)id);
	if (error == 0)
		error = db_commit(r->db);
out:
	buf_free(&out);
	if (e == AE_OK && error == ENOENT)
		e = group_not_found(r, id);
	else if (e == AE_OK && error != 0)
		e = api_fail_errno(r, error, "ModifyGroup");
	if (e != AE_OK) {
		db_rollback(r->db);
		return e;
	}
	return group_reply_id(r, id);
}

/* HaltGroup / EnableGroup: idempotent, jobs only on a real halt. */
static enum api_err
group_switch(struct api_req *r, int to)
{
	uint64_t id;
	enum api_err e;
	int was, error;

	if ((e = res_id(r, "Id", &id)) != AE_OK)
		return e;
	if ((error = db_begin(r->db)) != 0)
		return api_fail_errno(r, error, r->route->action);
	if ((error = group_lock(r, id, &was, NULL)) == 0 && was != to &&
	    (error = db_exec(r->db, NULL, group_enable_sql, "iii",
	    (int64_t)to, (int64_t)r->tenant_id, (int64_t)id)) == 0 && !to)
		error = group_stop_live(r, id, group_halted);
	if (error == 0)
		error = db_commit(r->db);
	if (error != 0) {
		db_rollback(r->db);
		if (error == ENOENT)
			return group_not_found(r, id);
		return api_fail_errno(r, error, r->route->action);
	}
	return group_reply_id(r, id);
}

static enum api_err
group_halt(struct api_req *r)
{
	return group_switch(r, 0);
}

static enum api_err
group_enable(struct api_req *r)
{
	return group_switch(r, 1);
}

/*
 * Only a halted space, so nothing of it should be live; a stream that still
 * is gets a stop job all the same.
 */
static enum api_err
group_delete(struct api_req *r)
{
	uint64_t id;
	enum api_err e = AE_OK;
	int enabled, error;

	if ((e = res_id(r, "Id", &id)) != AE_OK)
		return e;
	if ((error = db_begin(r->db)) != 0)
		goto out;
	if ((error = group_lock(r, id, &enabled, NULL)) != 0)
		goto out;
	if (enabled) {
		e = api_fail(r, AE_GROUP_STATUS, "The group %llu must be "
		    "halted (HaltGroup) before it is deleted.",
		    (unsigned long long)id);
		goto out;
	}
	error = group_stop_live(r, id, group_deleted);
	for (size_t i = 0; i < NELEM(group_delete_sql) && error == 0; i++)
		error = db_exec(r->db, NULL, group_delete_sql[i], "ii",
		    (int64_t)r->tenant_id, (int64_t)id);
	if (error == 0)
		error = db_commit(r->db);
out:
	if (e == AE_OK && error == ENOENT)
		e = group_not_found(r, id);
	else if (e == AE_OK && error != 0)
		e = api_fail_errno(r, error, "DeleteGroup");
	if (e != AE_OK) {
		db_rollback(r->db);
		return e;
	}
	return group_reply_id(r, id);
}

const struct route group_routes[] = {
	{ "CreateGroup", group_create, PERM_TENANT, group_create_params },
	{ "DeleteGroup", group_delete, PERM_TENANT, group_id_params },
	{ "DescribeGroup", group_describe, PERM_TENANT,
	    group_describe_params },
	{ "DescribeGroups", group_list, PERM_TENANT, group_list_params },
	{ "ModifyGroup", group_modify, PERM_TENANT, group_modify_params },
	{ "HaltGroup", group_halt, PERM_TENANT, group_id_params },
	{ "EnableGroup", group_enable, PERM_TENANT, group_id_params },
	{ NULL, NULL, 0, NULL }
};
