/*
 * Stream operations that the channel Actions (channel.c) share with the
 * stream Actions (stream.c): a channel is started, stopped and deleted
 * through the stream it feeds.
 */
#ifndef VIGIL_ACTIONS_STREAM_H
#define VIGIL_ACTIONS_STREAM_H

#include <stdint.h>

#include <json-c/json.h>

#include "fcgi/api.h"

/*
 * Inside the caller's transaction: records that stream id of the caller's
 * tenant should run (start != 0, sealing AccessInfo with it) or not, and
 * enqueues the job for the media plane. A refusal (not found, forbidden,
 * halted space) or a database failure is recorded in r and returned; only
 * AE_INTERNAL and AE_UNAVAILABLE mean the transaction must be abandoned.
 */
enum api_err	 stream_switch(struct api_req *r, uint64_t id, int start);

/* Inside the caller's transaction: deletes a stream and its bindings. */
int		 stream_remove(struct api_req *r, uint64_t id);

/*
 * Enqueues a job of kind for target unless the newest pending job of
 * target matching the LIKE pattern family is already of that kind: the
 * pending job reads the row when it runs, so it covers this request too.
 * The caller holds the lock of the target's row.
 */
int		 stream_job(struct api_req *r, uint64_t target, const char *kind,
		    const char *family);

/*
 * Moves the refusal recorded in r into a Results[] item as its Error
 * ("Code: Message") and clears r for the next item.
 */
void		 stream_item_error(struct api_req *r, json_object *item);

/* Adds id to o as a decimal string (ids are strings in JSON). */
void		 stream_json_id(json_object *o, const char *key, uint64_t id);

/* True when an error ends a whole request, not just one Batch item. */
static inline int
stream_fatal(enum api_err e)
{
	return e == AE_INTERNAL || e == AE_UNAVAILABLE;
}

#endif
