/*
 * Subscriptions a device's settings ask for (AutoPos: MobilePosition,
 * AlarmMethod: Alarm), renewed at 2/3 of their expiry, and what they bring:
 * positions (gb_positions, the device's coordinates) and alarms (gb_alarms
 * and an "alarm" callback).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "common/db.h"
#include "common/log.h"
#include "common/outbox.h"
#include "manscdp.h"

#define SUBSCRIBE_RESTART_MS	60000	/* subscribe_start resends after */
#define SUBSCRIBE_DESC_MAX	1024	/* characters, as gb_alarms */

enum subscribe_kind { SUB_POSITION, SUB_ALARM };

static const char subscribe_pos_fmt[] =
    "<?xml version=\"1.0\" encoding=\"GB2312\"?>\r\n"
    "<Query>\r\n"
    "<CmdType>MobilePosition</CmdType>\r\n"
    "<SN>%u</SN>\r\n"
    "<DeviceID>%s</DeviceID>\r\n"
    "<Interval>%d</Interval>\r\n"
    "</Query>\r\n";
static const char subscribe_alarm_fmt[] =
    "<?xml version=\"1.0\" encoding=\"GB2312\"?>\r\n"
    "<Query>\r\n"
    "<CmdType>Alarm</CmdType>\r\n"
    "<SN>%u</SN>\r\n"
    "<DeviceID>%s</DeviceID>\r\n"
    "<StartAlarmPriority>0</StartAlarmPriority>\r\n"
    "<EndAlarmPriority>0</EndAlarmPriority>\r\n"
    "<AlarmMethod>%s</AlarmMethod>\r\n"
    "</Query>\r\n";
static const char subscribe_alarm_ok_fmt[] =
    "<?xml version=\"1.0\" encoding=\"GB2312\"?>\r\n"
    "<Response>\r\n"
    "<CmdType>Alarm</CmdType>\r\n"
    "<SN>%s</SN>\r\n"
    "<DeviceID>%s</DeviceID>\r\n"
    "<Result>OK</Result>\r\n"
    "</Response>\r\n";

/*
 * What dev's settings want for kind, as a string that changes with them
 * ("" for nothing). GB28181 writes several alarm methods as one number
 * ("5,7" -> "57"), 0 being all of them.
 */
static void
subscribe_want(const struct gb_dev *dev, enum subscribe_kind kind,
    char *what, size_t sz)
{
	size_t n = 0;

	what[0] = '\0';
	if (kind == SUB_POSITION) {
		if (dev->auto_pos)
			snprintf(what, sz, "%d", dev->pos_interval > 0 ?
			    dev->pos_interval : 1);
		return;
	}
	for (const char *p = dev->alarm_method; *p != '\0' && n + 1 < sz; p++)
		if (*p >= '0' && *p <= '9' && strchr(what, *p) == NULL) {
			what[n++] = *p;
			what[n] = '\0';
		}
	if (strchr(what, '0') != NULL)
		snprintf(what, sz, "0");
}

static int
subscribe_send(struct sipd *sd, struct gb_dev *dev, enum subscribe_kind kind,
    const char *what, int expires)
{
	char body[sizeof(subscribe_alarm_fmt) + 64];
	int n;

	if (kind == SUB_POSITION)
		n = snprintf(body, sizeof(body), subscribe_pos_fmt,
		    manscdp_next_sn(), dev->gb_id, atoi(what));
	else
		n = snprintf(body, sizeof(body), subscribe_alarm_fmt,
		    manscdp_next_sn(), dev->gb_id, what);
	return sip_subscribe(sd, dev, "presence", expires, body, (size_t)n);
}

/*
 * Brings one subscription in line with the settings: subscribes when it
 * is due (start: also when not sent within a minute, as after a new
 * registration), cancels it when the setting went away.
 */
static void
subscribe_update(struct sipd *sd, struct mans_dev *m,
    struct subscribe_state *s, enum subscribe_kind kind, int64_t now,
    int start)
{
	static const char *const names[] = { "MobilePosition", "Alarm" };
	char what[sizeof(s->what)];
	int due, error;

	subscribe_want(m->dev, kind, what, sizeof(what));
	if (what[0] == '\0') {
		if (s->active)
			(void)subscribe_send(sd, m->dev, kind, s->what, 0);
		memset(s, 0, sizeof(*s));
		return;
	}
	if (!start && s->sent_ms == 0)
		return;
	due = strcmp(what, s->what) != 0 ||
	    (s->active ? now >= s->renew_ms : now >= s->retry_ms) ||
	    (start && (s->sent_ms == 0 ||
	    now - s->sent_ms >= SUBSCRIBE_RESTART_MS));
	if (!due)
		return;
	error = subscribe_send(sd, m->dev, kind, what, SUBSCRIBE_EXPIRES);
	s->sent_ms = now;
	memcpy(s->what, what, sizeof(s->what));
	if (error == 0) {
		s->active = 1;
		s->renew_ms = now + SUBSCRIBE_EXPIRES * 1000LL * 2 / 3;
	} else {
		s->active = 0;
		s->retry_ms = now + SUBSCRIBE_RETRY_MS;
		log_info("subscribe %s of %s: %s", names[kind], m->dev->gb_id,
		    strerror(error));
	}
}

void
subscribe_start(struct sipd *sd, struct gb_dev *dev)
{
	struct mans_dev *m = manscdp_state(dev);
	int64_t now = manscdp_ops->now_ms();

	if (m == NULL)
		return;
	subscribe_update(sd, m, &m->sub_pos, SUB_POSITION, now, 1);
	subscribe_update(sd, m, &m->sub_alarm, SUB_ALARM, now, 1);
}

void
subscribe_tick(struct sipd *sd, struct mans_dev *m, int64_t now)
{
	subscribe_update(sd, m, &m->sub_pos, SUB_POSITION, now, 0);
	subscribe_update(sd, m, &m->sub_alarm, SUB_ALARM, now, 0);
}

/* Text of path under n cut to max characters (buf: 4 bytes each), or "". */
static const char *
subscribe_field(const struct manscdp_node *n, const char *path, char *buf,
    size_t sz, size_t max)
{
	const char *s = manscdp_text(n, path);

	if (s == NULL)
		return "";
	manscdp_chars(buf, sz, s, max);
	return buf;
}

/* A number field (speed, direction, altitude) or "". */
static const char *
subscribe_number(const struct manscdp_node *n, const char *path)
{
	const char *s = manscdp_text(n, path);

	return manscdp_coord_ok(s, 1e9) ? s : "";
}

/* One position: n holds Longitude, Latitude, ... for device/channel id. */
static void
subscribe_one_position(struct sipd *sd, struct gb_dev *dev,
    const struct manscdp_node *n, const char *id, const char *time)
{
	struct manscdp_position p;
	char when[20];
	int error;

	p.gb_id = id;
	p.longitude = manscdp_text(n, "Longitude");
	p.latitude = manscdp_text(n, "Latitude");
	if (!manscdp_coord_ok(p.longitude, 180) ||
	    !manscdp_coord_ok(p.latitude, 90)) {
		log_info("position of %s from %s: bad coordinates",
		    id, dev->gb_id);
		return;
	}
	p.time = manscdp_time(time, when) ? when : NULL;
	p.speed = subscribe_number(n, "Speed");
	p.direction = subscribe_number(n, "Direction");
	p.altitude = subscribe_number(n, "Altitude");
	if ((error = manscdp_ops->position(sd, dev, &p)) != 0)
		log_warnx("position of %s from %s: %s", id, dev->gb_id,
		    strerror(error));
}

/*
 * Notify MobilePosition: one position in the body (2016), or a DeviceList
 * of them (2022), each about the device or one of its channels.
 */
int
subscribe_position(struct sipd *sd, struct gb_dev *dev,
    const struct manscdp_node *root)
{
	const struct manscdp_node *it;

	if (manscdp_find(root, "Longitude") != NULL) {
		subscribe_one_position(sd, dev, root,
		    manscdp_text(root, "DeviceID"), manscdp_text(root, "Time"));
		return 200;
	}
	for (it = manscdp_find(root, "DeviceList/Item"); it != NULL;
	    it = manscdp_next(it)) {
		const char *id = manscdp_text(it, "DeviceID");
		const char *t = manscdp_text(it, "CaptureTime");

		if (manscdp_belongs(sd, dev, id) != 1) {
			log_info("position from %s: %.20s is not its own",
			    dev->gb_id, id ? id : "(none)");
			continue;
		}
		subscribe_one_position(sd, dev, it, id, t ? t :
		    manscdp_text(root, "Time"));
	}
	return 200;
}

/* Notify Alarm (and a Response Alarm that carries one). */
int
subscribe_alarm(struct sipd *sd, struct gb_dev *dev,
    const struct manscdp_node *root)
{
	char pri[33], method[33], type[33], desc[SUBSCRIBE_DESC_MAX * 4 + 1];
	char when[20], rawtime[33 * 4];
	char body[sizeof(subscribe_alarm_ok_fmt) + 64];
	const char *lon = manscdp_text(root, "Longitude");
	const char *lat = manscdp_text(root, "Latitude");
	const char *sn = manscdp_text(root, "SN");
	struct manscdp_alarm a;
	int error, n;

	if (manscdp_find(root, "AlarmPriority") == NULL &&
	    manscdp_find(root, "AlarmMethod") == NULL &&
	    manscdp_find(root, "AlarmTime") == NULL) {
		log_debug("alarm %s from %s: no alarm in it",
		    manscdp_name(root), dev->gb_id);
		return 200;
	}
	a.gb_id = manscdp_text(root, "DeviceID");
	a.priority = subscribe_field(root, "AlarmPriority", pri, sizeof(pri),
	    8);
	a.method = subscribe_field(root, "AlarmMethod", method,
	    sizeof(method), 8);
	/* 2016 puts the type in Info, some devices beside the others */
	a.type = subscribe_field(root, "Info/AlarmType", type, sizeof(type),
	    8);
	if (*a.type == '\0')
		a.type = subscribe_field(root, "AlarmType", type, sizeof(type),
		    8);
	a.time_raw = subscribe_field(root, "AlarmTime", rawtime,
	    sizeof(rawtime), 32);
	a.time = manscdp_time(a.time_raw, when) ? when : NULL;
	a.description = subscribe_field(root, "AlarmDescription", desc,
	    sizeof(desc), SUBSCRIBE_DESC_MAX);
	a.longitude = manscdp_coord_ok(lon, 180) ? lon : "";
	a.latitude = manscdp_coord_ok(lat, 90) ? lat : "";
	if ((error = manscdp_ops->alarm(sd, dev, &a)) != 0)
		log_warnx("alarm of %s from %s: %s", a.gb_id, dev->gb_id,
		    strerror(error));
	else
		log_info("alarm of %s from %s: priority %s method %s type %s",
		    a.gb_id, dev->gb_id, a.priority, a.method, a.type);
	/* the standard has the receiver acknowledge a notified alarm */
	if (strcasecmp(manscdp_name(root), "Notify") == 0 && sn != NULL &&
	    strlen(sn) <= 20 && strspn(sn, "0123456789") == strlen(sn)) {
		n = snprintf(body, sizeof(body), subscribe_alarm_ok_fmt, sn,
		    a.gb_id);
		if ((error = sip_message(sd, dev, body, (size_t)n)) != 0)
			log_info("alarm response to %s: %s", dev->gb_id,
			    strerror(error));
	}
	return 200;
}

/* --- the database --- */

static const char subscribe_pos_insert_sql[] =
    "INSERT INTO gb_positions (tenant_id, device_id, gb_id, time,"
    " longitude, latitude, speed, direction, altitude)"
    " VALUES (?, ?, ?, COALESCE(?, NOW(3)), ?, ?, ?, ?, ?)";
static const char subscribe_pos_device_sql[] =
    "UPDATE devices SET longitude = ?, latitude = ?"
    " WHERE id = ? AND tenant_id = ?";
static const char subscribe_alarm_stream_sql[] =
    "SELECT stream_id FROM channels WHERE device_id = ? AND tenant_id = ?"
    " AND gb_id = ?";
static const char subscribe_alarm_insert_sql[] =
    "INSERT INTO gb_alarms (tenant_id, device_id, gb_id, priority, method,"
    " type, time, description, longitude, latitude)"
    " VALUES (?, ?, ?, ?, ?, ?, COALESCE(?, NOW(3)), ?, ?, ?)";

int
subscribe_db_position(struct sipd *sd, struct gb_dev *dev,
    const struct manscdp_position *p)
{
	int error;

	if ((error = db_begin(sd->db)) != 0)
		return error;
	if ((error = db_exec(sd->db, NULL, subscribe_pos_insert_sql,
	    "iisssssss", (int64_t)dev->tenant_id, (int64_t)dev->id, p->gb_id,
	    p->time, p->longitude, p->latitude, p->speed, p->direction,
	    p->altitude)) == 0 &&
	    (error = db_exec(sd->db, NULL, subscribe_pos_device_sql, "ssii",
	    p->longitude, p->latitude, (int64_t)dev->id,
	    (int64_t)dev->tenant_id)) == 0)
		error = db_commit(sd->db);
	if (error != 0)
		db_rollback(sd->db);
	return error;
}

static void
subscribe_json(json_object *o, const char *key, const char *v)
{
	json_object_object_add(o, key, json_object_new_string(v ? v : ""));
}

int
subscribe_db_alarm(struct sipd *sd, struct gb_dev *dev,
    const struct manscdp_alarm *a)
{
	json_object *extra = json_object_new_object(), *o;
	struct db_res *res = NULL;
	uint64_t stream = 0;
	int error;

	o = json_object_new_object();
	subscribe_json(o, "Priority", a->priority);
	subscribe_json(o, "Method", a->method);
	subscribe_json(o, "Type", a->type);
	subscribe_json(o, "Time", a->time_raw);
	subscribe_json(o, "Description", a->description);
	subscribe_json(o, "Longitude", a->longitude);
	subscribe_json(o, "Latitude", a->latitude);
	subscribe_json(o, "ChannelId", a->gb_id);
	json_object_object_add(extra, "Alarm", o);
	if ((error = db_begin(sd->db)) != 0)
		goto out;
	if ((error = db_query(sd->db, &res, subscribe_alarm_stream_sql, "iis",
	    (int64_t)dev->id, (int64_t)dev->tenant_id, a->gb_id)) != 0)
		goto out;
	if (db_res_rows(res) > 0 && db_res_get(res, 0, 0, NULL) != NULL)
		stream = strtoull(db_res_get(res, 0, 0, NULL), NULL, 10);
	if ((error = db_exec(sd->db, NULL, subscribe_alarm_insert_sql,
	    "iissssssss", (int64_t)dev->tenant_id, (int64_t)dev->id, a->gb_id,
	    a->priority, a->method, a->type, a->time, a->description,
	    a->longitude, a->latitude)) != 0 ||
	    (error = outbox_add_json(sd->db, dev->group_id, "alarm", dev->id,
	    stream, "", extra)) != 0)
		goto out;
	error = db_commit(sd->db);
out:
	if (error != 0)
		db_rollback(sd->db);
	db_res_free(res);
	json_object_put(extra);
	return error;
}
