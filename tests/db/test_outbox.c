/*
 * outbox_add against a real MariaDB: the row carries the space's Callback
 * URL and the event JSON of NOTES section 6, nothing is queued for a space
 * without Callback or by a rolled-back transaction. Needs VIGIL_TEST_CONF
 * (a stack's vigil.conf); without it the test is skipped (exit 77).
 *
 * `test_outbox add GROUP EVENT DEVICE STREAM STATUS` queues one event with
 * outbox_add and exits: the integration tests use it to feed vigil-notifyd
 * through the real code path.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "common/conf.h"
#include "common/db.h"
#include "common/outbox.h"
#include "../unit/t.h"

/* Rows of a tenant no real one has: notifyd marks them dead, never sends. */
#define TEST_TENANT	"999999999"
#define TEST_SPACE_CB	"9000000000000001"
#define TEST_SPACE_NONE	"9000000000000002"
#define TEST_CALLBACK	"http://127.0.0.1:9/outbox-test?x=1"

static void
cleanup(struct db *db)
{
	T_OK(db_exec(db, NULL, "DELETE FROM outbox WHERE group_id IN ("
	    TEST_SPACE_CB ", " TEST_SPACE_NONE ")", "") == 0, "clean outbox");
	T_OK(db_exec(db, NULL, "DELETE FROM spaces WHERE id IN ("
	    TEST_SPACE_CB ", " TEST_SPACE_NONE ")", "") == 0, "clean spaces");
}

static unsigned
count(struct db *db, const char *group)
{
	struct db_res *res;
	unsigned n = 0;

	if (db_query(db, &res, "SELECT COUNT(*) FROM outbox WHERE group_id = ?",
	    "s", group) == 0) {
		n = (unsigned)atoi(db_res_get(res, 0, 0, NULL));
		db_res_free(res);
	}
	return n;
}

static unsigned
count_url(struct db *db, const char *url)
{
	struct db_res *res;
	unsigned n = 0;

	if (db_query(db, &res, "SELECT COUNT(*) FROM outbox WHERE group_id = "
	    TEST_SPACE_CB " AND url = ?", "s", url) == 0) {
		n = (unsigned)atoi(db_res_get(res, 0, 0, NULL));
		db_res_free(res);
	}
	return n;
}

static const char *
field(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

/* Checks the newest row of the callback space, read in the caller's tx. */
static void
check_row(struct db *db, const char *event, const char *device,
    const char *stream, const char *resource, const char *status)
{
	struct db_res *res;
	json_object *o;
	const char *s;

	if (db_query(db, &res, "SELECT tenant_id, resource_id, url, body, state"
	    " FROM outbox WHERE group_id = " TEST_SPACE_CB " ORDER BY id DESC"
	    " LIMIT 1", "") != 0 || db_res_rows(res) != 1) {
		T_OK(0, "%s: no row", event);
		return;
	}
	T_STREQ(db_res_get(res, 0, 0, NULL), TEST_TENANT);
	T_STREQ(db_res_get(res, 0, 1, NULL), resource);
	T_STREQ(db_res_get(res, 0, 2, NULL), TEST_CALLBACK);
	T_STREQ(db_res_get(res, 0, 4, NULL), "pending");
	o = json_tokener_parse(db_res_get(res, 0, 3, NULL));
	T_OK(o != NULL, "%s: body is JSON", event);
	if (o != NULL) {
		T_STREQ(field(o, "Event"), event);
		T_STREQ(field(o, "GroupId"), TEST_SPACE_CB);
		T_STREQ(field(o, "DeviceId"), device);
		T_STREQ(field(o, "StreamId"), stream);
		T_STREQ(field(o, "Status"), status);
		s = field(o, "Time");
		T_OK(s && strlen(s) == 20 && s[10] == 'T' && s[19] == 'Z',
		    "Time %s", s ? s : "(null)");
		s = field(o, "EventId");
		T_OK(s && strlen(s) == 36 && s[8] == '-', "EventId %s",
		    s ? s : "(null)");
		T_OK(json_object_object_length(o) == 7, "7 fields");
		json_object_put(o);
	}
	db_res_free(res);
}

static void
test_add(struct db *db)
{
	cleanup(db);
	T_OK(db_exec(db, NULL, "INSERT INTO spaces (id, tenant_id, name,"
	    " region, in_protocol, out_protocol, callback) VALUES ("
	    TEST_SPACE_CB ", " TEST_TENANT ", 'outbox test', 'cn-shanghai',"
	    " 'rtmp', 'flv', ?), ("
	    TEST_SPACE_NONE ", " TEST_TENANT ", 'no callback', 'cn-shanghai',"
	    " 'rtmp', 'flv', '')", "s", TEST_CALLBACK) == 0, "spaces");

	/* checked inside the transaction: a running notifyd cannot see it */
	T_OK(db_begin(db) == 0, "begin");
	T_OK(outbox_add(db, 9000000000000001ULL, "stream.on", 0,
	    1234567890123456ULL, "on") == 0, "add stream.on");
	check_row(db, "stream.on", "", "1234567890123456", "1234567890123456",
	    "on");
	T_OK(outbox_add(db, 9000000000000001ULL, "device.off",
	    2234567890123456ULL, 0, "off") == 0, "add device.off");
	check_row(db, "device.off", "2234567890123456", "", "2234567890123456",
	    "off");
	T_OK(outbox_add(db, 9000000000000002ULL, "stream.on", 0, 77, "on") == 0,
	    "add without callback");
	T_OK(count(db, TEST_SPACE_NONE) == 0, "no row without Callback");
	T_OK(db_commit(db) == 0, "commit");
	T_OK(count(db, TEST_SPACE_CB) == 2, "committed rows");

	/* rolled back with the status change it reported */
	T_OK(db_begin(db) == 0, "begin");
	T_OK(outbox_add(db, 9000000000000001ULL, "stream.off", 0, 77,
	    "off") == 0, "add in a rolled-back tx");
	db_rollback(db);
	T_OK(count(db, TEST_SPACE_CB) == 2, "rollback leaves no row");

	/* extra members: merged, and none replaces the event's own */
	{
		json_object *extra = json_object_new_object(), *al, *o, *v;
		struct db_res *res;

		al = json_object_new_object();
		json_object_object_add(al, "Priority",
		    json_object_new_string("4"));
		json_object_object_add(extra, "Alarm", al);
		json_object_object_add(extra, "Event",
		    json_object_new_string("forged"));
		T_OK(outbox_add_json(db, 9000000000000001ULL, "alarm",
		    2234567890123456ULL, 1234567890123456ULL, "", extra) == 0,
		    "add with extra");
		json_object_put(extra);
		if (db_query(db, &res, "SELECT body FROM outbox WHERE group_id"
		    " = " TEST_SPACE_CB " ORDER BY id DESC LIMIT 1", "") == 0 &&
		    db_res_rows(res) == 1) {
			o = json_tokener_parse(db_res_get(res, 0, 0, NULL));
			T_STREQ(field(o, "Event"), "alarm");
			T_STREQ(field(o, "DeviceId"), "2234567890123456");
			T_STREQ(field(o, "StreamId"), "1234567890123456");
			T_OK(json_object_object_get_ex(o, "Alarm", &al) &&
			    json_object_object_get_ex(al, "Priority", &v) &&
			    strcmp(json_object_get_string(v), "4") == 0,
			    "Alarm.Priority");
			T_OK(json_object_object_length(o) == 8, "8 fields");
			json_object_put(o);
			db_res_free(res);
		} else
			T_OK(0, "row with extra");
		T_OK(count(db, TEST_SPACE_CB) == 3, "three rows");
	}

	/* the URL is the one at the time of the event */
	T_OK(db_exec(db, NULL, "UPDATE spaces SET callback = 'http://other/'"
	    " WHERE id = " TEST_SPACE_CB, "") == 0, "change Callback");
	T_OK(count_url(db, TEST_CALLBACK) == 3, "queued rows keep their URL");
	cleanup(db);
}

/* `add GROUP EVENT DEVICE STREAM STATUS`: one real outbox_add, committed. */
static int
add(struct db *db, char **argv)
{
	int error;

	if ((error = db_begin(db)) != 0 ||
	    (error = outbox_add(db, strtoull(argv[0], NULL, 10), argv[1],
	    strtoull(argv[2], NULL, 10), strtoull(argv[3], NULL, 10),
	    argv[4])) != 0 || (error = db_commit(db)) != 0) {
		db_rollback(db);
		fprintf(stderr, "outbox_add: %s\n", strerror(error));
		return 1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	const char *path = getenv("VIGIL_TEST_CONF");
	struct vigil_conf *c;
	struct db *db;
	int rc;

	if (path == NULL) {
		printf("# skipped: VIGIL_TEST_CONF is not set\n");
		return 77;
	}
	if (argc > 1 && (strcmp(argv[1], "add") != 0 || argc != 7)) {
		fprintf(stderr, "usage: test_outbox [add GROUP EVENT DEVICE "
		    "STREAM STATUS]\n");
		return 2;
	}
	if (conf_load(&c, path) != 0 || db_open(&db, c, NULL) != 0) {
		printf("not ok: cannot open %s\n", path);
		return 1;
	}
	if (argc > 1)
		rc = add(db, argv + 2);
	else {
		test_add(db);
		rc = T_DONE();
	}
	db_close(db);
	conf_free(c);
	return rc;
}
