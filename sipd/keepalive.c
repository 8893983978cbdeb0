/*
 * Keepalives: a device's last keepalive is kept in memory only and written
 * to gb_registrations in batches every few seconds; a device silent for
 * keepalive_misses intervals, or whose registration expired, goes off.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/conf.h"
#include "common/db.h"
#include "common/log.h"
#include "common/vtime.h"
#include "sip.h"

#define KA_BATCH	1000	/* device ids per UPDATE */
#define KA_BEHIND_US	1500000	/* input not drained for so long */

void
keepalive_seen(struct sipd *sd, struct gb_dev *dev)
{
	struct sip_dev *d = dev != NULL ? dev->sip : NULL;

	if (d == NULL)
		return;
	d->keepalive_at = sip_ctx(sd)->now;
	d->dirty = 1;
}

void
keepalive_sweep(void *arg)
{
	struct sipd *sd = arg;
	struct sip_ctx *c = sip_ctx(sd);
	const struct vigil_conf *cf = sd->conf;
	time_t limit = (time_t)cf->keepalive_interval * cf->keepalive_misses;
	struct sip_dev **gone = NULL;
	size_t n = 0, cap = 0;

	c->now = time(NULL);
	/*
	 * Behind on input (a registration storm keeps the loop busy with the
	 * database): the keepalives we miss may be waiting in our own socket.
	 * Judge no one until we have caught up.
	 */
	if (vtime_mono_us() - c->drained_us > KA_BEHIND_US &&
	    transport_backlog(c->tp)) {
		if (c->now - c->behind_logged >= 10) {
			log_warnx("input backlog: keepalive timeouts wait");
			c->behind_logged = c->now;
		}
		return;
	}
	for (size_t i = 0; i < c->devs.cap; i++) {
		struct sip_dev *d = c->devs.e[i].p;

		if (d == NULL || (c->now - d->keepalive_at <= limit &&
		    d->expires_at > c->now))
			continue;
		/* dev_offline reshapes the table: collect first */
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 64;
			struct sip_dev **p = realloc(gone,
			    ncap * sizeof(*p));

			if (p == NULL)
				break;
			gone = p;
			cap = ncap;
		}
		gone[n++] = d;
	}
	for (size_t i = 0; i < n; i++)
		dev_offline(sd, gone[i], gone[i]->expires_at <= c->now ?
		    "registration expired" : "keepalive timeout");
	free(gone);
}

/* The ids travel as one JSON array: a statement per KA_BATCH devices. */
static const char keepalive_flush_sql[] =
    "UPDATE JSON_TABLE(?, '$[*]' COLUMNS (id BIGINT UNSIGNED PATH '$')) AS t"
    " STRAIGHT_JOIN gb_registrations r ON r.device_id = t.id"
    " SET r.keepalive_at = UTC_TIMESTAMP(3) WHERE r.owner = ?";

void
keepalive_flush(void *arg)
{
	struct sipd *sd = arg;
	struct sip_ctx *c = sip_ctx(sd);
	char ids[KA_BATCH * 21 + 3];
	size_t len = 0;
	unsigned n = 0, rows = 0;

	for (size_t i = 0; i <= c->devs.cap; i++) {
		struct sip_dev *d = i < c->devs.cap ? c->devs.e[i].p : NULL;

		if (d != NULL && d->dirty) {
			d->dirty = 0;
			len += (size_t)snprintf(ids + len, sizeof(ids) - len,
			    "%c%" PRIu64, n ? ',' : '[', d->dev.id);
			n++;
		}
		if (n == KA_BATCH || (i == c->devs.cap && n > 0)) {
			snprintf(ids + len, sizeof(ids) - len, "]");
			if (db_exec(sd->db, NULL, keepalive_flush_sql, "ss", ids,
			    sd->owner) != 0)
				log_warnx("keepalive times of %u devices not"
				    " written", n);
			rows += n;
			n = 0;
			len = 0;
		}
	}
	if (rows > 0)
		log_debug("keepalive times of %u devices written", rows);
}
