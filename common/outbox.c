/* The callback outbox (see outbox.h). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <time.h>

#include <json-c/json.h>

#include "crypto.h"
#include "db.h"
#include "outbox.h"
#include "vtime.h"

/* The URL is copied now: a later change of Callback does not redirect it. */
static const char outbox_insert_sql[] =
    "INSERT INTO outbox (tenant_id, group_id, resource_id, url, body)"
    " SELECT tenant_id, id, ?, callback, ? FROM spaces"
    " WHERE id = ? AND callback <> ''";

static void
outbox_id(json_object *o, const char *key, uint64_t id)
{
	char s[24] = "";

	if (id != 0)
		snprintf(s, sizeof(s), "%" PRIu64, id);
	json_object_object_add(o, key, json_object_new_string(s));
}

int
outbox_add(struct db *db, uint64_t group, const char *event, uint64_t device,
    uint64_t stream, const char *status)
{
	return outbox_add_json(db, group, event, device, stream, status, NULL);
}

int
outbox_add_json(struct db *db, uint64_t group, const char *event,
    uint64_t device, uint64_t stream, const char *status, json_object *extra)
{
	char now[VTIME_LEN], event_id[37];
	json_object *o;
	int error;

	if ((error = crypto_uuid(event_id)) != 0)
		return error;
	vtime_format(now, time(NULL));
	o = json_object_new_object();
	json_object_object_add(o, "Event", json_object_new_string(event));
	outbox_id(o, "GroupId", group);
	outbox_id(o, "DeviceId", device);
	outbox_id(o, "StreamId", stream);
	json_object_object_add(o, "Status", json_object_new_string(status));
	json_object_object_add(o, "Time", json_object_new_string(now));
	json_object_object_add(o, "EventId", json_object_new_string(event_id));
	if (extra != NULL) {
		json_object_object_foreach(extra, key, val) {
			if (!json_object_object_get_ex(o, key, NULL))
				json_object_object_add(o, key,
				    json_object_get(val));
		}
	}
	error = db_exec(db, NULL, outbox_insert_sql, "isi",
	    (int64_t)(stream ? stream : device),
	    json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE), (int64_t)group);
	json_object_put(o);
	return error;
}
