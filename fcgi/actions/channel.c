/*
 * Device channels (spec section 3: 设备通道操作接口). A channel is what a
 * GB28181 device reports in its catalog; it feeds one stream, through which
 * it is started, stopped and deleted (stream.h). Channel ids are integers.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fcgi/res.h"
#include "actions.h"
#include "stream.h"

#define CHANNEL_ID_MAX		4294967295L	/* INT UNSIGNED */
#define CHANNEL_IDS_MAX		(RES_BATCH_MAX * 11)
#define CHANNEL_NAME_MAX	128
#define DEVICE_ID_MAX		20

static const struct route_param channel_id_params[] = {
	{ "Id", PT_INT, 1, 1, CHANNEL_ID_MAX },
	{ NULL, 0, 0, 0, 0 }
};

static const struct route_param channel_ids_params[] = {
	{ "Id", PT_STRING, 1, 1, CHANNEL_IDS_MAX },
	{ NULL, 0, 0, 0, 0 }
};

static const struct route_param channel_start_params[] = {
	{ "Id", PT_INT, 1, 1, CHANNEL_ID_MAX },
	{ "AccessInfo", PT_JSON, 1, 0, 1024 },
	{ NULL, 0, 0, 0, 0 }
};

static const struct route_param channel_device_params[] = {
	{ "Id", PT_STRING, 1, 1, DEVICE_ID_MAX },
	{ NULL, 0, 0, 0, 0 }
};

static const struct route_param channel_list_params[] = {
	{ "Id", PT_STRING, 1, 1, DEVICE_ID_MAX },
	{ "Status", PT_STRING, 0, 1, 8 },
	{ "Name", PT_STRING, 0, 1, CHANNEL_NAME_MAX },
	{ "PageSize", PT_INT, 0, 1, 100 },
	{ "PageNum", PT_INT, 0, 1, INT_MAX },
	{ NULL, 0, 0, 0, 0 }
};

static const char *const channel_statuses[] = { "on", "off", NULL };

static const char channel_device_sql[] =
    "SELECT status FROM devices WHERE id = ? AND tenant_id = ?";
static const char channel_device_lock_sql[] =
    "SELECT status FROM devices WHERE id = ? AND tenant_id = ? FOR UPDATE";
/* a channel without a stream yet is off */
#define CHANNEL_FROM \
    " FROM channels c LEFT JOIN streams s ON s.id = c.stream_id" \
    " AND s.tenant_id = c.tenant_id WHERE c.tenant_id = ?"
static const char channel_stream_sql[] =
    "SELECT stream_id FROM channels WHERE id = ? AND tenant_id = ?"
    " LOCK IN SHARE MODE";
static const char channel_lock_sql[] =
    "SELECT c.stream_id, s.status, s.desired FROM channels c"
    " LEFT JOIN streams s ON s.id = c.stream_id AND s.tenant_id = c.tenant_id"
    " WHERE c.id = ? AND c.tenant_id = ? FOR UPDATE";
static const char channel_delete_sql[] =
    "DELETE FROM channels WHERE id = ? AND tenant_id = ?";

/* DescribeDeviceChannels: Status filters on the channel's stream. */
static enum api_err
channel_list(struct api_req *r)
{
	struct res_sql count = { 0 }, page = { 0 };
	struct db_res *res = NULL;
	struct res_page pg;
	json_object *list, *o;
	const char *status;
	char *name = NULL, *device_status = NULL;
	uint64_t device;
	enum api_err e;
	int error;

	if ((e = res_id(r, "Id", &device)) != AE_OK ||
	    (e = res_enum(r, "Status", channel_statuses)) != AE_OK)
		return e;
	res_page(r, &pg);
	if ((error = db_query(r->db, &res, channel_device_sql, "ii",
	    (int64_t)device, (int64_t)r->tenant_id)) != 0)
		goto fail;
	if (db_res_rows(res) == 0) {
		db_res_free(res);
		return api_fail(r, AE_DEVICE_NOT_FOUND,
		    "The specified device Id does not exist.");
	}
	device_status = strdup(db_res_get(res, 0, 0, NULL));
	db_res_free(res);
	res_sql_int(&count, "SELECT COUNT(*)" CHANNEL_FROM,
	    (int64_t)r->tenant_id);
	res_sql_int(&page, "SELECT c.id, c.name, c.gb_id, c.stream_id,"
	    " COALESCE(s.status, 'off')" CHANNEL_FROM, (int64_t)r->tenant_id);
	res_sql_int(&count, " AND c.device_id = ?", (int64_t)device);
	res_sql_int(&page, " AND c.device_id = ?", (int64_t)device);
	if ((status = res_str(r, "Status")) != NULL) {
		res_sql_str(&count, " AND COALESCE(s.status, 'off') = ?",
		    status);
		res_sql_str(&page, " AND COALESCE(s.status, 'off') = ?",
		    status);
	}
	if (res_str(r, "Name") != NULL) {
		name = res_like(res_str(r, "Name"));
		res_sql_str(&count, " AND c.name LIKE ?", name);
		res_sql_str(&page, " AND c.name LIKE ?", name);
	}
	/* catalog order */
	res_sql_add(&page, " ORDER BY c.id");
	res_sql_page(&page, &pg);
	if ((error = res_sql_query(r, &count, &res)) != 0)
		goto fail;
	res_page_json(res_body(r), &pg,
	    db_res_rows(res) ? atol(db_res_get(res, 0, 0, NULL)) : 0);
	db_res_free(res);
	if ((error = res_sql_query(r, &page, &res)) != 0)
		goto fail;
	list = json_object_new_array();
	json_object_object_add(res_body(r), "Channels", list);
	for (unsigned i = 0; i < db_res_rows(res); i++) {
		o = json_object_new_object();
		json_object_array_add(list, o);
		res_json_int(o, "Id", db_res_get(res, i, 0, NULL));
		res_json_str(o, "Name", db_res_get(res, i, 1, NULL));
		res_json_str(o, "GbId", db_res_get(res, i, 2, NULL));
		res_json_str(o, "StreamId", db_res_get(res, i, 3, NULL));
		res_json_str(o, "StreamStatus", db_res_get(res, i, 4, NULL));
		stream_json_id(o, "DeviceId", device);
		res_json_str(o, "DeviceStatus", device_status);
	}
	db_res_free(res);
	e = AE_OK;
	goto out;
fail:
	e = api_fail_errno(r, error, "DescribeDeviceChannels");
out:
	res_sql_free(&count);
	res_sql_free(&page);
	free(name);
	free(device_status);
	return e;
}

/*
 * Inside the caller's transaction: deletes channel id and its stream. A
 * channel that pulls, or is asked to, must be stopped first (the spec's
 * note), so that no media job is left working on a deleted stream.
 */
static enum api_err
channel_remove(struct api_req *r, uint64_t id)
{
	struct db_res *res;
	const char *status, *desired;
	uint64_t stream = 0;
	int error, busy;

	if ((error = db_query(r->db, &res, channel_lock_sql, "ii", (int64_t)id,
	    (int64_t)r->tenant_id)) != 0)
		return api_fail_errno(r, error, r->route->action);
	if (db_res_rows(res) == 0) {
		db_res_free(res);
		return api_fail(r, AE_CHANNEL_NOT_FOUND,
		    "The channel %" PRIu64 " does not exist.", id);
	}
	if (db_res_get(res, 0, 0, NULL) != NULL)
		stream = strtoull(db_res_get(res, 0, 0, NULL), NULL, 10);
	status = db_res_get(res, 0, 1, NULL);
	desired = db_res_get(res, 0, 2, NULL);
	busy = (status != NULL && strcmp(status, "on") == 0) ||
	    (desired != NULL && strcmp(desired, "started") == 0);
	db_res_free(res);
	if (busy)
		return api_fail(r, AE_STREAM_STATUS, "The channel %" PRIu64
		    " is pulling or starting; stop it before deleting it.", id);
	if ((error = db_exec(r->db, NULL, channel_delete_sql, "ii",
	    (int64_t)id, (int64_t)r->tenant_id)) != 0 ||
	    (stream && (error = stream_remove(r, stream)) != 0))
		return api_fail_errno(r, error, r->route->action);
	return AE_OK;
}

static enum api_err
channel_delete(struct api_req *r)
{
	enum api_err e;
	int error;

	if ((error = db_begin(r->db)) != 0)
		return api_fail_errno(r, error, "DeleteChannel");
	if ((e = channel_remove(r, res_long(r, "Id", 0))) == AE_OK &&
	    (error = db_commit(r->db)) != 0)
		e = api_fail_errno(r, error, "DeleteChannel");
	if (e != AE_OK)
		db_rollback(r->db);
	return e;
}

/* A channel id of a Batch list: 1..CHANNEL_ID_MAX; 0 when malformed. */
static uint64_t
channel_parse_id(const char *s)
{
	uint64_t id;

	if (res_parse_id(s, &id) != 0 || id > (uint64_t)CHANNEL_ID_MAX)
		return 0;
	return id;
}

/* BatchDeleteChannels: one transaction, an Error per refused item. */
static enum api_err
channel_batch_delete(struct api_req *r)
{
	json_object *results, *item;
	char **ids;
	unsigned n;
	uint64_t id;
	enum api_err e;
	int error;

	if ((e = res_split(r, "Id", &ids, &n)) != AE_OK)
		return e;
	if ((error = db_begin(r->db)) != 0) {
		res_split_free(ids, n);
		return api_fail_errno(r, error, "BatchDeleteChannels");
	}
	results = json_object_new_array();
	for (unsigned i = 0; i < n; i++) {
		item = json_object_new_object();
		json_object_array_add(results, item);
		id = channel_parse_id(ids[i]);
		/* Id is an int: a malformed one shows as 0 */
		json_object_object_add(item, "Id", json_object_new_int64(
		    (int64_t)id));
		if (id == 0)
			api_fail(r, AE_INVALID_PARAMETER, "The channel id %.32s "
			    "is not an integer from 1 to %ld.", ids[i],
			    CHANNEL_ID_MAX);
		else if (stream_fatal(e = channel_remove(r, id)))
			goto fail;
		if (r->err != AE_OK)
			stream_item_error(r, item);
	}
	if ((error = db_commit(r->db)) != 0) {
		e = api_fail_errno(r, error, "BatchDeleteChannels");
		goto fail;
	}
	json_object_object_add(res_body(r), "Results", results);
	res_split_free(ids, n);
	return AE_OK;
fail:
	db_rollback(r->db);
	json_object_put(results);
	res_split_free(ids, n);
	return e;
}

/* Start/StopChannel: the channel's stream is started or stopped. */
static enum api_err
channel_switch(struct api_req *r, int start)
{
	struct db_res *res;
	uint64_t id = res_long(r, "Id", 0), stream = 0;
	enum api_err e;
	int error;

	if (start && (e = res_access_info(r)) != AE_OK)
		return e;
	if ((error = db_begin(r->db)) != 0)
		return api_fail_errno(r, error, r->route->action);
	if ((error = db_query(r->db, &res, channel_stream_sql, "ii",
	    (int64_t)id, (int64_t)r->tenant_id)) != 0) {
		e = api_fail_errno(r, error, r->route->action);
		goto out;
	}
	if (db_res_rows(res) > 0 && db_res_get(res, 0, 0, NULL) != NULL)
		stream = strtoull(db_res_get(res, 0, 0, NULL), NULL, 10);
	if (db_res_rows(res) == 0)
		e = api_fail(r, AE_CHANNEL_NOT_FOUND,
		    "The specified channel Id does not exist.");
	else if (stream == 0)
		e = api_fail(r, AE_STREAM_NOT_FOUND, "The channel %" PRIu64
		    " has no stream yet.", id);
	else
		e = stream_switch(r, stream, start);
	db_res_free(res);
out:
	if ((e = res_tx_end(r, e, 0)) != AE_OK)
		return e;
	json_object_object_add(res_body(r), "Id",
	    json_object_new_int64((int64_t)id));
	return AE_OK;
}

static enum api_err
channel_start(struct api_req *r)
{
	return channel_switch(r, 1);
}

static enum api_err
channel_stop(struct api_req *r)
{
	return channel_switch(r, 0);
}

/*
 * RefreshChannels asks sipd to query the device's catalog; only a device
 * that is online can answer one.
 */
static enum api_err
channel_refresh(struct api_req *r)
{
	struct db_res *res;
	uint64_t device;
	enum api_err e;
	int error, on;

	if ((e = res_id(r, "Id", &device)) != AE_OK)
		return e;
	if ((error = db_begin(r->db)) != 0)
		return api_fail_errno(r, error, "RefreshChannels");
	if ((error = db_query(r->db, &res, channel_device_lock_sql, "ii",
	    (int64_t)device, (int64_t)r->tenant_id)) != 0)
		goto fail;
	if (db_res_rows(res) == 0) {
		db_res_free(res);
		db_rollback(r->db);
		return api_fail(r, AE_DEVICE_NOT_FOUND,
		    "The specified device Id does not exist.");
	}
	on = strcmp(db_res_get(res, 0, 0, NULL), "on") == 0;
	db_res_free(res);
	if (!on) {
		db_rollback(r->db);
		return api_fail(r, AE_DEVICE_STATUS, "The device Id is not "
		    "online: only an online device reports its channels.");
	}
	if ((error = stream_job(r, device, "device.catalog",
	    "device.catalog")) != 0 || (error = db_commit(r->db)) != 0)
		goto fail;
	stream_json_id(res_body(r), "Id", device);
	return AE_OK;
fail:
	db_rollback(r->db);
	return api_fail_errno(r, error, "RefreshChannels");
}

const struct route channel_routes[] = {
	{ "DescribeDeviceChannels", channel_list, PERM_TENANT,
	    channel_list_params },
	{ "DeleteChannel", channel_delete, PERM_TENANT, channel_id_params },
	{ "BatchDeleteChannels", channel_batch_delete, PERM_TENANT,
	    channel_ids_params },
	{ "StartChannel", channel_start, PERM_TENANT, channel_start_params },
	{ "StopChannel", channel_stop, PERM_TENANT, channel_id_params },
	{ "RefreshChannels", channel_refresh, PERM_TENANT,
	    channel_device_params },
	{ NULL, NULL, 0, NULL }
};
