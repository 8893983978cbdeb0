/*
 * Records (spec section 6: 录制操作接口): the objects recording and
 * snapshots wrote for a stream, found by the time window they overlap.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fcgi/res.h"
#include "actions.h"

static const char *const record_types[] = { "record", "snapshot", NULL };

/* The spec writes the page number "Page Num"; PageNum is taken too. */
static const struct route_param record_list_params[] = {
	{ "Type", PT_STRING, 1, 1, 16 },
	{ "StreamId", PT_STRING, 1, 1, 20 },
	{ "StartTime", PT_STRING, 1, 1, 32 },
	{ "EndTime", PT_STRING, 1, 1, 32 },
	{ "PageSize", PT_INT, 0, 1, 100 },
	{ "PageNum", PT_INT, 0, 1, INT_MAX },
	{ "Page Num", PT_INT, 0, 1, INT_MAX },
	{ NULL, 0, 0, 0, 0 }
};

static const char record_stream_sql[] =
    "SELECT id FROM streams WHERE id = ? AND tenant_id = ?";
/*
 * Records overlapping [StartTime, EndTime): a recording that runs into the
 * window, or a snapshot (start = end) taken inside it.
 */
#define RECORD_WHERE \
    " FROM records WHERE tenant_id = ? AND stream_id = ? AND type = ?" \
    " AND start_time < ? AND (end_time > ? OR start_time >= ?)"
static const char record_count_sql[] = "SELECT COUNT(*)" RECORD_WHERE;
static const char record_list_sql[] =
    "SELECT id, type, file_format, url, onest_bucket, object_key,"
    " start_time, end_time, height, width, duration" RECORD_WHERE
    " ORDER BY start_time, id LIMIT ? OFFSET ?";

/* time_t as the DATETIME text of the records table (UTC). */
static void
record_datetime(char out[20], time_t t)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 20, "%Y-%m-%d %H:%M:%S", &tm);
}

static json_object *
record_json(struct db_res *res, unsigned row)
{
	static const struct {
		const char	*name;
		void		(*put)(json_object *, const char *,
				    const char *);
	} cols[] = {
		{ "Id", res_json_str }, { "Type", res_json_str },
		{ "FileFormat", res_json_str }, { "Url", res_json_str },
		{ "oNestBucket", res_json_str },
		{ "oNestObject", res_json_str },
		{ "StartTime", res_json_time }, { "EndTime", res_json_time },
		{ "Height", res_json_int }, { "Width", res_json_int },
		{ "Duration", res_json_int },
	};
	json_object *o = json_object_new_object();

	for (unsigned i = 0; i < sizeof(cols) / sizeof(cols[0]); i++)
		cols[i].put(o, cols[i].name, db_res_get(res, row, i, NULL));
	return o;
}

static enum api_err
record_list(struct api_req *r)
{
	struct db_res *res;
	struct res_page pg;
	json_object *list;
	const char *type;
	char start[20], end[20];
	time_t ts, te;
	uint64_t stream;
	long total;
	int error;
	enum api_err e;

	if ((e = res_enum(r, "Type", record_types)) != AE_OK ||
	    (e = res_id(r, "StreamId", &stream)) != AE_OK ||
	    (e = res_time(r, "StartTime", AE_START_TIME_MALFORMED,
	    &ts)) != AE_OK ||
	    (e = res_time(r, "EndTime", AE_END_TIME_MALFORMED, &te)) != AE_OK)
		return e;
	if (te <= ts)
		return api_fail(r, AE_END_TIME_MISMATCH,
		    "The parameter EndTime must be after StartTime.");
	type = api_param(r, "Type");
	res_page(r, &pg);
	if (res_str(r, "PageNum") == NULL)
		pg.num = res_long(r, "Page Num", 1);
	record_datetime(start, ts);
	record_datetime(end, te);

	if ((error = db_query(r->db, &res, record_stream_sql, "ii",
	    (int64_t)stream, (int64_t)r->tenant_id)) != 0)
		return api_fail_errno(r, error, "stream lookup");
	total = db_res_rows(res);
	db_res_free(res);
	if (total == 0)
		return api_fail(r, AE_STREAM_NOT_FOUND, "The stream %" PRIu64
		    " does not exist.", stream);

	if ((error = db_query(r->db, &res, record_count_sql, "iissss",
	    (int64_t)r->tenant_id, (int64_t)stream, type, end, start,
	    start)) != 0)
		return api_fail_errno(r, error, "DescribeRecords");
	total = strtol(db_res_get(res, 0, 0, NULL), NULL, 10);
	db_res_free(res);
	if ((error = db_query(r->db, &res, record_list_sql, "iissssii",
	    (int64_t)r->tenant_id, (int64_t)stream, type, end, start, start,
	    (int64_t)pg.size, (int64_t)((pg.num - 1) * pg.size))) != 0)
		return api_fail_errno(r, error, "DescribeRecords");
	list = json_object_new_array();
	for (unsigned i = 0; i < db_res_rows(res); i++)
		json_object_array_add(list, record_json(res, i));
	db_res_free(res);
	res_page_json(res_body(r), &pg, total);
	json_object_object_add(r->body, "Records", list);
	return AE_OK;
}

const struct route record_routes[] = {
	{ "DescribeRecords", record_list, PERM_TENANT, record_list_params },
	{ NULL, NULL, 0, NULL }
};
