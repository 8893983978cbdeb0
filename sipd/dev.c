/*
 * Registered devices in memory, by (space GbId, device GbId): keepalives
 * and MESSAGEs find their device without the database. A device missing
 * here after a restart is loaded back from gb_registrations.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/db.h"
#include "common/log.h"
#include "common/outbox.h"
#include "sip.h"

struct dev_key {
	const char	*space;
	const char	*device;
};

static uint32_t
dev_hash(const char *space, const char *device)
{
	return htab_hash(htab_hash(HTAB_SEED, space, strlen(space)), device,
	    strlen(device));
}

static int
dev_eq(const void *p, const void *key)
{
	const struct sip_dev *d = p;
	const struct dev_key *k = key;

	return strcmp(d->dev.gb_id, k->device) == 0 &&
	    strcmp(d->dev.group_gb_id, k->space) == 0;
}

struct sip_dev *
dev_find(struct sip_ctx *c, const char *space, const char *device)
{
	struct dev_key k = { space, device };

	return htab_find(&c->devs, dev_hash(space, device), dev_eq, &k);
}

struct dev_peer_key {
	const char		*device;
	const struct sip_peer	*peer;
};

static int
dev_peer_eq(const void *p, const void *key)
{
	const struct sip_dev *d = p;
	const struct dev_peer_key *k = key;

	return strcmp(d->dev.gb_id, k->device) == 0 &&
	    d->peer.tp == k->peer->tp &&
	    d->peer.sa.sin_addr.s_addr == k->peer->sa.sin_addr.s_addr;
}

struct sip_dev *
dev_find_peer(struct sip_ctx *c, const char *device,
    const struct sip_peer *peer)
{
	struct dev_peer_key k = { device, peer };

	return htab_find(&c->devs_by_id, htab_hash(HTAB_SEED, device,
	    strlen(device)), dev_peer_eq, &k);
}

int
dev_add(struct sip_ctx *c, struct sip_dev *d)
{
	uint32_t h = htab_hash(HTAB_SEED, d->dev.gb_id, strlen(d->dev.gb_id));

	if (htab_add(&c->devs_by_id, h, d) != 0)
		return ENOMEM;
	if (htab_add(&c->devs, dev_hash(d->dev.group_gb_id, d->dev.gb_id),
	    d) != 0) {
		htab_del(&c->devs_by_id, h, d);
		return ENOMEM;
	}
	return 0;
}

void
dev_del(struct sip_ctx *c, struct sip_dev *d)
{
	htab_del(&c->devs, dev_hash(d->dev.group_gb_id, d->dev.gb_id), d);
	htab_del(&c->devs_by_id, htab_hash(HTAB_SEED, d->dev.gb_id,
	    strlen(d->dev.gb_id)), d);
}

struct sip_dev *
dev_from_row(const struct db_res *r, unsigned row, unsigned col)
{
	struct sip_dev *d;

	if ((d = calloc(1, sizeof(*d))) == NULL)
		return NULL;
	d->dev.id = strtoull(db_res_get(r, row, col, NULL), NULL, 10);
	d->dev.tenant_id = strtoull(db_res_get(r, row, col + 1, NULL), NULL,
	    10);
	d->dev.group_id = strtoull(db_res_get(r, row, col + 2, NULL), NULL,
	    10);
	snprintf(d->dev.gb_id, sizeof(d->dev.gb_id), "%s",
	    db_res_get(r, row, col + 3, NULL));
	snprintf(d->dev.group_gb_id, sizeof(d->dev.group_gb_id), "%s",
	    db_res_get(r, row, col + 4, NULL));
	d->dev.auto_start = atoi(db_res_get(r, row, col + 5, NULL));
	d->dev.auto_pos = atoi(db_res_get(r, row, col + 6, NULL));
	d->dev.pos_interval = atoi(db_res_get(r, row, col + 7, NULL));
	snprintf(d->dev.alarm_method, sizeof(d->dev.alarm_method), "%s",
	    db_res_get(r, row, col + 8, NULL));
	d->dev.sip = d;
	d->peer.fd = -1;
	return d;
}

void
dev_free(struct sip_dev *d)
{
	free(d);
}

static const char dev_load_sql[] =
    "SELECT " DEV_COLS ", r.transport, UNIX_TIMESTAMP(r.expires_at)"
    " FROM spaces s JOIN devices d ON d.group_id = s.id"
    " AND d.tenant_id = s.tenant_id"
    " JOIN gb_registrations r ON r.device_id = d.id"
    " WHERE s.gb_id = ? AND d.gb_id = ? AND r.owner LIKE ?"
    " AND r.expires_at > UTC_TIMESTAMP(3) AND d.status = 'on'";
static const char dev_claim_sql[] =
    "UPDATE gb_registrations SET owner = ?, contact_ip = ?,"
    " contact_port = ?, keepalive_at = UTC_TIMESTAMP(3)"
    " WHERE device_id = ?";

struct sip_dev *
dev_load(struct sipd *sd, const char *space, const char *device,
    const struct sip_peer *peer)
{
	struct sip_ctx *c = sip_ctx(sd);
	struct db_res *r = NULL;
	struct sip_dev *d = NULL;

	if (db_query(sd->db, &r, dev_load_sql, "sss", space, device,
	    c->owner_like) != 0 || db_res_rows(r) == 0 ||
	    (d = dev_from_row(r, 0, 0)) == NULL)
		goto out;
	d->peer = *peer;
	inet_ntop(AF_INET, &peer->sa.sin_addr, d->ip, sizeof(d->ip));
	d->port = ntohs(peer->sa.sin_port);
	d->expires_at = (time_t)strtoll(db_res_get(r, 0, DEV_NCOLS + 1, NULL),
	    NULL, 10);
	d->keepalive_at = c->now;
	if (dev_add(c, d) != 0) {
		dev_free(d);
		d = NULL;
		goto out;
	}
	db_exec(sd->db, NULL, dev_claim_sql, "ssii", sd->owner, d->ip,
	    (int64_t)d->port, (int64_t)d->dev.id);
	log_info("device %s/%s: registration resumed from %s:%d", space,
	    device, d->ip, d->port);
out:
	db_res_free(r);
	return d;
}

static const char dev_off_sql[] =
    "UPDATE devices SET status = 'off' WHERE id = ? AND tenant_id = ?"
    " AND status = 'on'";
static const char dev_unreg_sql[] =
    "DELETE FROM gb_registrations WHERE device_id = ?";

void
dev_offline(struct sipd *sd, struct sip_dev *d, const char *why)
{
	uint64_t affected = 0;
	int error;

	if ((error = db_begin(sd->db)) == 0 &&
	    (error = db_exec(sd->db, &affected, dev_off_sql, "ii",
	    (int64_t)d->dev.id, (int64_t)d->dev.tenant_id)) == 0 &&
	    (affected == 0 || (error = outbox_add(sd->db, d->dev.group_id,
	    "device.off", d->dev.id, 0, "off")) == 0) &&
	    (error = db_exec(sd->db, NULL, dev_unreg_sql, "i",
	    (int64_t)d->dev.id)) == 0)
		error = db_commit(sd->db);
	if (error) {
		/* kept, and expired: the next keepalive sweep tries again */
		db_rollback(sd->db);
		log_warnx("device %s/%s: cannot record it off (%s), retrying",
		    d->dev.group_gb_id, d->dev.gb_id, strerror(error));
		d->expires_at = 0;
		return;
	}
	log_info("device %s/%s (%" PRIu64 ") off: %s", d->dev.group_gb_id,
	    d->dev.gb_id, d->dev.id, why);
	manscdp_forget(sd, &d->dev);
	dev_del(sip_ctx(sd), d);
	dev_free(d);
}
