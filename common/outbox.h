/*
 * The callback outbox (NOTES section 6): an event is written in the same
 * transaction as the status change it reports, so none is lost and none is
 * sent for a change that rolled back. vigil-notifyd delivers them.
 */
#ifndef VIGIL_OUTBOX_H
#define VIGIL_OUTBOX_H

#include <stdint.h>

struct db;
struct json_object;

/*
 * Queues event ("stream.on", "device.off", ...) about resource (a stream or
 * device id) of space group for the space's Callback URL; nothing when the
 * space has none. device/stream may be 0 (sent as ""). 0 or a db errno.
 */
int	outbox_add(struct db *db, uint64_t group, const char *event,
	    uint64_t device, uint64_t stream, const char *status);
/*
 * As outbox_add, with the members of the JSON object extra (may be NULL;
 * the caller keeps it) added to the event ("Alarm": {...}). A member named
 * like one of the event's own fields is left out.
 */
int	outbox_add_json(struct db *db, uint64_t group, const char *event,
	    uint64_t device, uint64_t stream, const char *status,
	    struct json_object *extra);

#endif
