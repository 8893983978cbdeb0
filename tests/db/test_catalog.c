/*
 * sipd's MANSCDP side against a real MariaDB: a catalog in four MESSAGEs
 * creates channels and their streams, a smaller one renames and removes
 * (with a stream.stop job for a started stream and its template bindings),
 * other tenants' rows are untouched; DeviceInfo, an alarm (gb_alarms and
 * an "alarm" callback) and a position (gb_positions, the device's
 * coordinates). Needs VIGIL_TEST_CONF (a stack's vigil.conf); without it
 * the test is skipped (exit 77). The SIP side is a recording double.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "common/conf.h"
#include "common/db.h"
#include "common/id.h"
#include "common/vault.h"
#include "sipd/manscdp.h"
#include "../unit/t.h"

/* Rows of tenants no real one has. */
#define T_TENANT	"999999998"
#define T_OTHER		"999999997"
#define T_SPACE		"9000000000000011"
#define T_NVR		"9000000000000012"
#define T_IPC		"9000000000000013"
#define T_SPACE_GB	"99999999992001999911"
#define T_NVR_GB	"34020000001110000001"
#define T_IPC_GB	"34020000001320000002"
#define T_CALLBACK	"http://127.0.0.1:9/catalog-test"

static int messages;

int
sip_message(struct sipd *sd, struct gb_dev *dev, const char *body,
    size_t len)
{
	messages++;
	return 0;
}

int
sip_subscribe(struct sipd *sd, struct gb_dev *dev, const char *event,
    int expires, const char *body, size_t len)
{
	return 0;
}

void
keepalive_seen(struct sipd *sd, struct gb_dev *dev)
{
}

static const char *const cleanup_sql[] = {
	"DELETE FROM template_bindings WHERE tenant_id IN (" T_TENANT ", "
	    T_OTHER ")",
	"DELETE FROM streams WHERE tenant_id IN (" T_TENANT ", " T_OTHER ")",
	"DELETE FROM channels WHERE tenant_id IN (" T_TENANT ", " T_OTHER ")",
	"DELETE FROM devices WHERE tenant_id IN (" T_TENANT ", " T_OTHER ")",
	"DELETE FROM spaces WHERE tenant_id IN (" T_TENANT ", " T_OTHER ")",
	"DELETE FROM gb_alarms WHERE tenant_id = " T_TENANT,
	"DELETE FROM gb_positions WHERE tenant_id = " T_TENANT,
	"DELETE FROM outbox WHERE tenant_id = " T_TENANT,
	"DELETE FROM jobs WHERE tenant_id = " T_TENANT,
	NULL
};

static void
cleanup(struct db *db)
{
	for (int i = 0; cleanup_sql[i] != NULL; i++)
		T_OK(db_exec(db, NULL, cleanup_sql[i], "") == 0, "%s",
		    cleanup_sql[i]);
}

/* The first cell of sql's first row, as a malloc'd string ("" if none). */
static char *
one(struct db *db, const char *sql)
{
	struct db_res *res;
	char *s;

	if (db_query(db, &res, sql, "") != 0)
		return strdup("(error)");
	s = strdup(db_res_rows(res) > 0 && db_res_get(res, 0, 0, NULL) ?
	    db_res_get(res, 0, 0, NULL) : "");
	db_res_free(res);
	return s;
}

static void
expect(struct db *db, const char *sql, const char *want)
{
	char *got = one(db, sql);

	T_OK(strcmp(got, want) == 0, "%s: \"%s\", want \"%s\"", sql, got,
	    want);
	free(got);
}

static char *
slurp(const char *name, size_t *len)
{
	return t_load("tests/data/manscdp", name, len);
}

/* Handles a data file with its SN and SumNum replaced when given. */
static int
handle(struct sipd *sd, struct gb_dev *dev, const char *name,
    const char *sn, const char *sum)
{
	size_t len;
	char *b = slurp(name, &len), *p;
	int status;

	if (sn != NULL && (p = strstr(b, "<SN>419315752<")) != NULL)
		memcpy(p + 4, sn, 9);
	if (sum != NULL && (p = strstr(b, "<SumNum>8<")) != NULL)
		p[8] = sum[0];
	status = manscdp_handle(sd, dev, b, len);
	free(b);
	return status;
}

/* Each channel of the device has its stream, as the design says. */
static void
check_streams(struct db *db, unsigned want)
{
	struct db_res *res;

	if (db_query(db, &res, "SELECT c.id, c.gb_id, c.stream_id, s.id,"
	    " s.channel_id, s.group_id, s.device_id, s.app, s.name,"
	    " s.protocol, s.desired, s.push_token_enc, s.tenant_id"
	    " FROM channels c LEFT JOIN streams s ON s.id = c.stream_id"
	    " WHERE c.device_id = " T_NVR " AND c.tenant_id = " T_TENANT,
	    "") != 0) {
		T_OK(0, "channels query");
		return;
	}
	T_OK(db_res_rows(res) == want, "%u channels, want %u",
	    db_res_rows(res), want);
	for (unsigned i = 0; i < db_res_rows(res); i++) {
		const char *sid = db_res_get(res, i, 3, NULL);
		const void *enc;
		size_t enclen;
		char *token = NULL;

		T_OK(sid != NULL, "channel %s has a stream",
		    db_res_get(res, i, 1, NULL));
		if (sid == NULL)
			continue;
		T_STREQ(db_res_get(res, i, 2, NULL), sid);
		T_STREQ(db_res_get(res, i, 4, NULL),
		    db_res_get(res, i, 0, NULL));
		T_STREQ(db_res_get(res, i, 5, NULL), T_SPACE);
		T_STREQ(db_res_get(res, i, 6, NULL), T_NVR);
		T_STREQ(db_res_get(res, i, 7, NULL), "gbapp");
		T_STREQ(db_res_get(res, i, 8, NULL),
		    db_res_get(res, i, 1, NULL));
		T_STREQ(db_res_get(res, i, 9, NULL), "gb28181");
		T_STREQ(db_res_get(res, i, 12, NULL), T_TENANT);
		T_OK(strlen(sid) == 16, "16-digit stream id %s", sid);
		enc = db_res_get(res, i, 11, &enclen);
		T_OK(enc != NULL && vault_open(sid, enc, enclen, &token) == 0 &&
		    strlen(token) == 32 && strspn(token, "0123456789abcdef") ==
		    32, "push token of %s opens with its id", sid);
		free(token);
	}
	db_res_free(res);
}

static void
test_catalog(struct sipd *sd, struct gb_dev *nvr)
{
	static const char *const parts[] = { "hik_nvr_catalog_part1.xml",
	    "hik_nvr_catalog_part2.xml", "hik_nvr_catalog_part3.xml",
	    "hik_nvr_catalog_part4.xml" };

	/* a row of another tenant under this device id (no real one has
	 * that: every query and delete must still leave it alone) */
	T_OK(db_exec(sd->db, NULL, "INSERT INTO channels (tenant_id,"
	    " device_id, gb_id, name) VALUES (" T_OTHER ", " T_NVR ","
	    " '34020000001320000099', 'not yours')", "") == 0, "other");
	for (int i = 0; i < 4; i++) {
		T_OK(handle(sd, nvr, parts[i], NULL, NULL) == 200, "part %d",
		    i + 1);
		expect(sd->db, "SELECT COUNT(*) FROM channels WHERE"
		    " device_id = " T_NVR " AND tenant_id = " T_TENANT,
		    i < 3 ? "0" : "8");
	}
	check_streams(sd->db, 8);
	expect(sd->db, "SELECT name FROM channels WHERE gb_id ="
	    " '34020000001320000001' AND tenant_id = " T_TENANT, "Camera 01");
	expect(sd->db, "SELECT COUNT(*) FROM streams WHERE desired = 'stopped'"
	    " AND status = 'off' AND tenant_id = " T_TENANT, "8");

	/* channel 5 is started and bound to a template, 6 is plain */
	T_OK(db_exec(sd->db, NULL, "UPDATE streams SET desired = 'started'"
	    " WHERE name = '34020000001320000005' AND tenant_id = " T_TENANT,
	    "") == 0, "start 5");
	T_OK(db_exec(sd->db, NULL, "INSERT INTO template_bindings (tenant_id,"
	    " instance_type, instance_id, template_type, template_id)"
	    " SELECT tenant_id, 'stream', id, 'record', 1 FROM streams"
	    " WHERE name = '34020000001320000005' AND tenant_id = " T_TENANT,
	    "") == 0, "bind 5");

	/* a smaller catalog, in two messages: 1 renamed, 2, 3 kept */
	{
		size_t len;
		char *a = slurp(parts[0], &len), *p;

		memcpy(strstr(a, "<SN>419315752<") + 4, "419315760", 9);
		strstr(a, "<SumNum>8<")[8] = '3';
		p = strstr(a, "Camera 01");
		memcpy(p, "Gate  01", 8);
		p[8] = ' ';
		T_OK(manscdp_handle(sd, nvr, a, len) == 200, "smaller 1");
		free(a);
	}
	expect(sd->db, "SELECT COUNT(*) FROM channels WHERE device_id = "
	    T_NVR " AND tenant_id = " T_TENANT, "8");
	{
		/* part 2 carries 3 and 4: 4 is one too many, still counts */
		T_OK(handle(sd, nvr, parts[1], "419315760", "3") == 200,
		    "smaller 2");
	}
	/* 4 items seen for SumNum 3: applied with 1..4 */
	expect(sd->db, "SELECT COUNT(*) FROM channels WHERE device_id = "
	    T_NVR " AND tenant_id = " T_TENANT, "4");
	check_streams(sd->db, 4);
	expect(sd->db, "SELECT name FROM channels WHERE gb_id ="
	    " '34020000001320000001' AND tenant_id = " T_TENANT, "Gate  01");
	expect(sd->db, "SELECT COUNT(*) FROM streams WHERE tenant_id = "
	    T_TENANT, "4");
	expect(sd->db, "SELECT COUNT(*) FROM jobs WHERE kind = 'stream.stop'"
	    " AND tenant_id = " T_TENANT, "1");
	expect(sd->db, "SELECT COUNT(*) FROM template_bindings WHERE"
	    " tenant_id = " T_TENANT, "0");
	expect(sd->db, "SELECT name FROM channels WHERE tenant_id = " T_OTHER,
	    "not yours");
	/* the NVR's own coordinates are not in its catalog */
	expect(sd->db, "SELECT longitude FROM devices WHERE id = " T_NVR, "");
}

static void
test_ipc(struct sipd *sd, struct gb_dev *ipc)
{
	char *s;
	json_object *o, *al, *v;

	T_OK(handle(sd, ipc, "hik_ipc_catalog_gb2312.xml", NULL, NULL) == 200,
	    "GB2312 catalog");
	expect(sd->db, "SELECT name FROM channels WHERE gb_id ="
	    " '34020000001310000001' AND tenant_id = " T_TENANT,
	    "\xe5\xa4\xa7\xe9\x97\xa8\xe5\x85\xa5\xe5\x8f\xa3\xe6\x91\x84\xe5"
	    "\x83\x8f\xe6\x9c\xba");
	expect(sd->db, "SELECT COUNT(*) FROM channels WHERE device_id = "
	    T_IPC, "2");

	T_OK(handle(sd, ipc, "hik_ipc_deviceinfo.xml", NULL, NULL) == 200,
	    "device info");
	expect(sd->db, "SELECT CONCAT(vendor, '|', model, '|', firmware)"
	    " FROM devices WHERE id = " T_IPC, "Hikvision|DS-2CD5024EFWD|"
	    "V5.5.85");

	messages = 0;
	T_OK(handle(sd, ipc, "hik_ipc_alarm.xml", NULL, NULL) == 200, "alarm");
	T_OK(messages == 1, "alarm acknowledged");
	expect(sd->db, "SELECT CONCAT(gb_id, '|', priority, '|', method, '|',"
	    " type, '|', time) FROM gb_alarms WHERE device_id = " T_IPC,
	    "34020000001310000001|4|5|2|2025-04-22 11:26:02.000");
	s = one(sd->db, "SELECT body FROM outbox WHERE tenant_id = " T_TENANT
	    " AND url = '" T_CALLBACK "'");
	o = json_tokener_parse(s);
	T_OK(o != NULL, "alarm callback: %s", s);
	if (o != NULL) {
		char *stream = one(sd->db, "SELECT stream_id FROM channels"
		    " WHERE gb_id = '34020000001310000001' AND device_id = "
		    T_IPC);

		T_OK(json_object_object_get_ex(o, "Event", &v) &&
		    strcmp(json_object_get_string(v), "alarm") == 0, "Event");
		T_OK(json_object_object_get_ex(o, "DeviceId", &v) &&
		    strcmp(json_object_get_string(v), T_IPC) == 0, "DeviceId");
		T_OK(json_object_object_get_ex(o, "StreamId", &v) &&
		    strcmp(json_object_get_string(v), stream) == 0,
		    "StreamId of the channel");
		T_OK(json_object_object_get_ex(o, "Alarm", &al) &&
		    json_object_object_get_ex(al, "ChannelId", &v) &&
		    strcmp(json_object_get_string(v),
		    "34020000001310000001") == 0, "Alarm.ChannelId");
		T_OK(al != NULL && json_object_object_get_ex(al, "Time", &v) &&
		    strcmp(json_object_get_string(v),
		    "2025-04-22T11:26:02") == 0, "Alarm.Time");
		T_OK(json_object_object_length(o) == 8, "8 fields");
		json_object_put(o);
		free(stream);
	}
	free(s);

	T_OK(handle(sd, ipc, "mobilepos_2016.xml", NULL, NULL) == 200,
	    "position");
	expect(sd->db, "SELECT CONCAT(longitude, ',', latitude, ',', speed,"
	    " ',', direction, ',', time) FROM gb_positions WHERE device_id = "
	    T_IPC, "121.448204,31.222650,0.0,90.5,2025-04-22 11:30:00.000");
	expect(sd->db, "SELECT CONCAT(longitude, ',', latitude) FROM devices"
	    " WHERE id = " T_IPC, "121.448204,31.222650");
	/* a foreign DeviceID is refused before the database */
	/* the Dahua capture has the same GbIds: one channel, renamed */
	T_OK(handle(sd, ipc, "dahua_sd_catalog.xml", NULL, NULL) == 200,
	    "same GbId, Dahua's catalog");
	expect(sd->db, "SELECT GROUP_CONCAT(name) FROM channels WHERE"
	    " device_id = " T_IPC " AND tenant_id = " T_TENANT, "DH71");
	T_OK(handle(sd, ipc, "hik_ipc_keepalive_wvp1605.xml", NULL, NULL) ==
	    400, "foreign keepalive");
}

/* Takes a free id slot as vigil-api's workers do (common/id.h). */
static int
claim_slot(struct db *db)
{
	for (int slot = 999; slot > 900; slot--) {
		struct db_res *res;
		char name[32];
		int got;

		snprintf(name, sizeof(name), "vigil.id.%03d", slot);
		if (db_query(db, &res, "SELECT GET_LOCK(?, 0)", "s", name) != 0)
			return -1;
		got = db_res_get(res, 0, 0, NULL) != NULL &&
		    strcmp(db_res_get(res, 0, 0, NULL), "1") == 0;
		db_res_free(res);
		if (got) {
			id_set_slot(slot);
			return 0;
		}
	}
	return -1;
}

int
main(void)
{
	const char *path = getenv("VIGIL_TEST_CONF");
	struct vigil_conf *c;
	struct sipd sd;
	struct gb_dev nvr, ipc;

	if (path == NULL) {
		printf("# skipped: VIGIL_TEST_CONF is not set\n");
		return 77;
	}
	memset(&sd, 0, sizeof(sd));
	if (conf_load(&c, path) != 0 || db_open(&sd.db, c, NULL) != 0 ||
	    vault_init(c->master_key_file, 0) != 0 || claim_slot(sd.db) != 0) {
		printf("not ok: cannot open %s\n", path);
		return 1;
	}
	sd.conf = c;
	cleanup(sd.db);
	T_OK(db_exec(sd.db, NULL, "INSERT INTO spaces (id, tenant_id, name,"
	    " region, app, in_protocol, out_protocol, callback, gb_id) VALUES ("
	    T_SPACE ", " T_TENANT ", 'catalog test', 'cn-shanghai', 'gbapp',"
	    " 'gb28181', 'flv', '" T_CALLBACK "', '" T_SPACE_GB "')", "") == 0,
	    "space");
	T_OK(db_exec(sd.db, NULL, "INSERT INTO devices (id, tenant_id,"
	    " group_id, type, gb_id, username, password_enc, params) VALUES ("
	    T_NVR ", " T_TENANT ", " T_SPACE ", 'platform', '" T_NVR_GB "',"
	    " 'u', 'x', '{}'), (" T_IPC ", " T_TENANT ", " T_SPACE ", 'ipc', '"
	    T_IPC_GB "', 'u', 'x', '{}')", "") == 0, "devices");

	memset(&nvr, 0, sizeof(nvr));
	nvr.id = strtoull(T_NVR, NULL, 10);
	nvr.tenant_id = strtoull(T_TENANT, NULL, 10);
	nvr.group_id = strtoull(T_SPACE, NULL, 10);
	snprintf(nvr.gb_id, sizeof(nvr.gb_id), T_NVR_GB);
	ipc = nvr;
	ipc.id = strtoull(T_IPC, NULL, 10);
	snprintf(ipc.gb_id, sizeof(ipc.gb_id), T_IPC_GB);

	test_catalog(&sd, &nvr);
	test_ipc(&sd, &ipc);
	manscdp_forget(&sd, &nvr);
	manscdp_forget(&sd, &ipc);
	cleanup(sd.db);
	db_close(sd.db);
	conf_free(c);
	return T_DONE();
}
