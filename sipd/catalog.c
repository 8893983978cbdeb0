/*
 * Catalog and DeviceInfo: the queries, the aggregation of a Catalog reply
 * that comes in several MESSAGEs (per device and SN, until SumNum items),
 * and its application to channels and their streams in one transaction.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

#include "common/crypto.h"
#include "common/db.h"
#include "common/id.h"
#include "common/job.h"
#include "common/log.h"
#include "common/vault.h"
#include "manscdp.h"

#define CATALOG_NAME_MAX	128	/* characters, as channels.name */
#define CATALOG_INFO_MAX	64	/* characters, as devices.vendor */
#define CATALOG_TOKEN_BYTES	16	/* 32 hex digits */
#define CATALOG_TX_TRIES	3
/* a query without a whole catalog back is sent again (UDP may lose it) */
#define CATALOG_ASK_AGAIN_MS	10000
#define CATALOG_ASK_TRIES	3

static const char catalog_query_fmt[] =
    "<?xml version=\"1.0\" encoding=\"GB2312\"?>\r\n"
    "<Query>\r\n"
    "<CmdType>%s</CmdType>\r\n"
    "<SN>%u</SN>\r\n"
    "<DeviceID>%s</DeviceID>\r\n"
    "</Query>\r\n";

static void
catalog_ask(struct sipd *sd, struct gb_dev *dev, struct mans_dev *m)
{
	static const char *const cmds[] = { "Catalog", "DeviceInfo" };
	char body[sizeof(catalog_query_fmt) + 64];

	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		int n = snprintf(body, sizeof(body), catalog_query_fmt,
		    cmds[i], manscdp_next_sn(), dev->gb_id);
		int error = sip_message(sd, dev, body, (size_t)n);

		if (error != 0)
			log_info("query %s of %s: %s", cmds[i], dev->gb_id,
			    strerror(error));
	}
	if (m != NULL) {
		m->cat_asked_ms = manscdp_ops->now_ms();
		m->cat_tries++;
	}
}

void
catalog_query(struct sipd *sd, struct gb_dev *dev)
{
	struct mans_dev *m = manscdp_state(dev);

	if (m != NULL)
		m->cat_tries = 0;
	catalog_ask(sd, dev, m);
}

int
catalog_is_channel(const char *id)
{
	static const char *const not_channels[] = {
		"200",	/* a central signalling server (a platform) */
		"215",	/* a business group */
		"216",	/* a virtual organisation */
		NULL
	};

	if (strlen(id) != GB_ID_LEN || strspn(id, "0123456789") != GB_ID_LEN)
		return 0;
	for (int i = 0; not_channels[i] != NULL; i++)
		if (memcmp(id + 10, not_channels[i], 3) == 0)
			return 0;
	return 1;
}

void
catalog_clear(struct mans_dev *m)
{
	for (size_t i = 0; i < m->nitems; i++)
		free(m->items[i].name);
	free(m->items);
	m->items = NULL;
	m->nitems = m->items_cap = 0;
	m->cat_active = 0;
	m->cat_sn[0] = '\0';
}

static int
catalog_has(const struct mans_dev *m, const char *id)
{
	/* small catalogs are the rule; a large one is searched once per
	 * item, which stays well under a millisecond per message */
	for (size_t i = m->nitems; i-- > 0; )
		if (strcmp(m->items[i].id, id) == 0)
			return 1;
	return 0;
}

/* Adds one Item; duplicates are ignored so they cannot count twice. */
static int
catalog_add(struct mans_dev *m, const struct manscdp_node *it)
{
	const char *id = manscdp_text(it, "DeviceID");
	const char *name = manscdp_text(it, "Name");
	const char *lon = manscdp_text(it, "Longitude");
	const char *lat = manscdp_text(it, "Latitude");
	char buf[CATALOG_NAME_MAX * 4 + 1], idbuf[65];
	struct catalog_item *c;

	if (id == NULL || *id == '\0')
		return 0;
	snprintf(idbuf, sizeof(idbuf), "%s", id);
	if (catalog_has(m, idbuf))
		return 0;
	if (m->nitems >= CATALOG_ITEMS_MAX)
		return E2BIG;
	if (m->nitems == m->items_cap) {
		size_t cap = m->items_cap ? 2 * m->items_cap : 16;
		void *p = reallocarray(m->items, cap, sizeof(*m->items));

		if (p == NULL)
			return ENOMEM;
		m->items = p;
		m->items_cap = cap;
	}
	c = &m->items[m->nitems];
	memset(c, 0, sizeof(*c));
	memcpy(c->id, idbuf, sizeof(c->id));
	c->channel = catalog_is_channel(c->id);
	manscdp_chars(buf, sizeof(buf), name ? name : "", CATALOG_NAME_MAX);
	if ((c->name = strdup(buf)) == NULL)
		return ENOMEM;
	if (manscdp_coord_ok(lon, 180) && manscdp_coord_ok(lat, 90)) {
		snprintf(c->longitude, sizeof(c->longitude), "%s", lon);
		snprintf(c->latitude, sizeof(c->latitude), "%s", lat);
	}
	m->nitems++;
	return 0;
}

static void
catalog_finish(struct sipd *sd, struct mans_dev *m)
{
	size_t channels = 0;
	int error;

	for (size_t i = 0; i < m->nitems; i++)
		channels += m->items[i].channel;
	error = manscdp_ops->catalog_apply(sd, m->dev, m->items, m->nitems);
	if (error != 0)
		log_warnx("catalog of %s (SN %s, %zu items): not applied: %s",
		    m->dev->gb_id, m->cat_sn, m->nitems, strerror(error));
	else
		log_info("catalog of %s (SN %s): %zu items, %zu channels",
		    m->dev->gb_id, m->cat_sn, m->nitems, channels);
	memcpy(m->cat_done_sn, m->cat_sn, sizeof(m->cat_done_sn));
	m->cat_asked_ms = 0;
	catalog_clear(m);
}

int
catalog_response(struct sipd *sd, struct gb_dev *dev,
    const struct manscdp_node *root)
{
	const char *sum = manscdp_text(root, "SumNum");
	const char *result = manscdp_text(root, "Result");
	const struct manscdp_node *it;
	struct mans_dev *m;
	unsigned long total;
	char sn[24];
	int error;

	snprintf(sn, sizeof(sn), "%s", manscdp_text(root, "SN") ?
	    manscdp_text(root, "SN") : "");
	if (sum == NULL) {
		/* a refusal (Result ERROR) carries no list */
		log_info("catalog of %s (SN %s): no SumNum, Result %.16s",
		    dev->gb_id, sn, result ? result : "(none)");
		if ((m = manscdp_state(dev)) != NULL)
			m->cat_asked_ms = 0;	/* it answered: no more asking */
		return 200;
	}
	if (*sum == '\0' || strlen(sum) > 9 ||
	    strspn(sum, "0123456789") != strlen(sum)) {
		log_info("catalog of %s: SumNum %.16s", dev->gb_id, sum);
		return 400;
	}
	total = strtoul(sum, NULL, 10);
	if (total > CATALOG_ITEMS_MAX) {
		log_warnx("catalog of %s: %lu items, more than %d: ignored",
		    dev->gb_id, total, CATALOG_ITEMS_MAX);
		return 200;
	}
	if ((m = manscdp_state(dev)) == NULL)
		return 500;
	if (!m->cat_active && strcmp(sn, m->cat_done_sn) == 0) {
		log_debug("catalog of %s (SN %s): already applied",
		    dev->gb_id, sn);
		return 200;
	}
	if (m->cat_active && strcmp(sn, m->cat_sn) != 0) {
		log_info("catalog of %s: SN %s abandoned at %zu of %u items "
		    "for SN %s", dev->gb_id, m->cat_sn, m->nitems, m->cat_sum,
		    sn);
		catalog_clear(m);
	}
	if (!m->cat_active) {
		m->cat_active = 1;
		memcpy(m->cat_sn, sn, sizeof(m->cat_sn));
		m->cat_sum = (unsigned)total;
	} else if (total != m->cat_sum)
		log_debug("catalog of %s (SN %s): SumNum %lu after %u",
		    dev->gb_id, sn, total, m->cat_sum);
	for (it = manscdp_find(root, "DeviceList/Item"); it != NULL;
	    it = manscdp_next(it))
		if ((error = catalog_add(m, it)) != 0) {
			log_warnx("catalog of %s (SN %s): %s", dev->gb_id, sn,
			    strerror(error));
			catalog_clear(m);
			return error == ENOMEM ? 500 : 200;
		}
	m->cat_last_ms = manscdp_ops->now_ms();
	if (m->nitems >= m->cat_sum)
		catalog_finish(sd, m);
	return 200;
}

void
catalog_tick(struct sipd *sd, struct mans_dev *m, int64_t now)
{
	if (!m->cat_active && m->cat_asked_ms != 0 &&
	    now - m->cat_asked_ms >= CATALOG_ASK_AGAIN_MS) {
		if (m->cat_tries >= CATALOG_ASK_TRIES) {
			log_warnx("catalog of %s: no answer to %d queries",
			    m->dev->gb_id, m->cat_tries);
			m->cat_asked_ms = 0;
		} else
			catalog_ask(sd, m->dev, m);
		return;
	}
	if (!m->cat_active || now - m->cat_last_ms < CATALOG_TIMEOUT_MS)
		return;
	/* a partial catalog would delete the channels it lacks */
	log_warnx("catalog of %s (SN %s): %zu of %u items, then nothing for "
	    "%d s: not applied", m->dev->gb_id, m->cat_sn, m->nitems,
	    m->cat_sum, CATALOG_TIMEOUT_MS / 1000);
	catalog_clear(m);
}

int
catalog_device_info(struct sipd *sd, struct gb_dev *dev,
    const struct manscdp_node *root)
{
	static const char *const fields[] = { "Manufacturer", "Model",
	    "Firmware" };
	char v[3][CATALOG_INFO_MAX * 4 + 1];
	const char *result = manscdp_text(root, "Result");
	struct manscdp_devinfo info;
	int error;

	if (result != NULL && strcasecmp(result, "OK") != 0) {
		log_info("device info of %s: Result %.16s", dev->gb_id,
		    result);
		return 200;
	}
	for (size_t i = 0; i < 3; i++) {
		const char *s = manscdp_text(root, fields[i]);

		manscdp_chars(v[i], sizeof(v[i]), s ? s : "",
		    CATALOG_INFO_MAX);
	}
	info.vendor = v[0];
	info.model = v[1];
	info.firmware = v[2];
	if ((error = manscdp_ops->device_info(sd, dev, &info)) != 0)
		log_warnx("device info of %s: %s", dev->gb_id,
		    strerror(error));
	return 200;
}

/* --- the database --- */

static const char catalog_channel_known_sql[] =
    "SELECT 1 FROM channels WHERE device_id = ? AND tenant_id = ?"
    " AND gb_id = ?";
static const char catalog_devinfo_sql[] =
    "UPDATE devices SET vendor = COALESCE(NULLIF(?, ''), vendor),"
    " model = COALESCE(NULLIF(?, ''), model),"
    " firmware = COALESCE(NULLIF(?, ''), firmware)"
    " WHERE id = ? AND tenant_id = ?";
/* the space before the device, as the API locks them */
static const char catalog_space_sql[] =
    "SELECT app FROM spaces WHERE id = ? AND tenant_id = ?"
    " LOCK IN SHARE MODE";
static const char catalog_device_sql[] =
    "SELECT type FROM devices WHERE id = ? AND tenant_id = ? FOR UPDATE";
static const char catalog_channels_sql[] =
    "SELECT c.id, c.gb_id, c.name, c.stream_id, s.status, s.desired"
    " FROM channels c LEFT JOIN streams s"
    " ON s.id = c.stream_id AND s.tenant_id = c.tenant_id"
    " WHERE c.device_id = ? AND c.tenant_id = ? ORDER BY c.gb_id"
    " FOR UPDATE";
static const char catalog_channel_insert_sql[] =
    "INSERT INTO channels (tenant_id, device_id, gb_id, name)"
    " VALUES (?, ?, ?, ?)";
static const char catalog_stream_insert_sql[] =
    "INSERT INTO streams (id, tenant_id, group_id, device_id, channel_id,"
    " app, name, protocol, desired, push_token_enc)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, 'gb28181', ?, ?)";
static const char catalog_channel_link_sql[] =
    "UPDATE channels SET stream_id = ? WHERE id = ? AND tenant_id = ?";
static const char catalog_channel_rename_sql[] =
    "UPDATE channels SET name = ? WHERE id = ? AND tenant_id = ?";
static const char catalog_device_pos_sql[] =
    "UPDATE devices SET longitude = ?, latitude = ?"
    " WHERE id = ? AND tenant_id = ?";
/* a removed channel: its stream's bindings, its stream, itself */
static const char *const catalog_remove_sql[] = {
	"DELETE FROM template_bindings WHERE instance_type = 'stream'"
	" AND instance_id = ? AND tenant_id = ?",
	"DELETE FROM streams WHERE id = ? AND tenant_id = ?",
	NULL
};
static const char catalog_channel_delete_sql[] =
    "DELETE FROM channels WHERE id = ? AND tenant_id = ?";
static const char catalog_stop_payload[] =
    "{\"reason\":\"channel removed from the catalog\"}";

int
catalog_db_channel_known(struct sipd *sd, struct gb_dev *dev,
    const char *gb_id)
{
	struct db_res *res;
	int error, found;

	if ((error = db_query(sd->db, &res, catalog_channel_known_sql, "iis",
	    (int64_t)dev->id, (int64_t)dev->tenant_id, gb_id)) != 0)
		return -error;
	found = db_res_rows(res) > 0;
	db_res_free(res);
	return found;
}

int
catalog_db_device_info(struct sipd *sd, struct gb_dev *dev,
    const struct manscdp_devinfo *info)
{
	return db_exec(sd->db, NULL, catalog_devinfo_sql, "sssii",
	    info->vendor, info->model, info->firmware, (int64_t)dev->id,
	    (int64_t)dev->tenant_id);
}

static int
catalog_cmp(const void *a, const void *b)
{
	const struct catalog_item *x = *(const struct catalog_item *const *)a;
	const struct catalog_item *y = *(const struct catalog_item *const *)b;

	return strcmp(x->id, y->id);
}

/*
 * Channel chan's stream (see fcgi/actions/stream.c for RTMP's): named after
 * the channel's GbId, with a sealed push token for the edge; stopped, or
 * started at once when the device has AutoStart (its first registration
 * found no streams to start).
 */
static int
catalog_db_stream(struct sipd *sd, struct gb_dev *dev, const char *app,
    const struct catalog_item *c, int64_t chan)
{
	char sid[ID_LEN], token[2 * CATALOG_TOKEN_BYTES + 1];
	uint8_t *enc = NULL;
	size_t enclen;
	int error;

	if ((error = id_next(sid)) != 0 ||
	    (error = crypto_random_hex(token, CATALOG_TOKEN_BYTES, 0)) != 0 ||
	    (error = vault_seal(sid, token, &enc, &enclen)) != 0)
		goto out;
	if ((error = db_exec(sd->db, NULL, catalog_stream_insert_sql,
	    "iiiiisssb", (int64_t)strtoull(sid, NULL, 10),
	    (int64_t)dev->tenant_id, (int64_t)dev->group_id, (int64_t)dev->id,
	    chan, app, c->id, dev->auto_start ? "started" : "stopped", enc,
	    enclen)) != 0)
		goto out;
	if ((error = db_exec(sd->db, NULL, catalog_channel_link_sql, "sii",
	    sid, chan, (int64_t)dev->tenant_id)) == 0 && dev->auto_start)
		error = job_enqueue(sd->db, dev->tenant_id, "stream.start",
		    strtoull(sid, NULL, 10), "{\"auto\":1}");
out:
	OPENSSL_cleanse(token, sizeof(token));
	free(enc);
	return error;
}

static int
catalog_db_add(struct sipd *sd, struct gb_dev *dev, const char *app,
    const struct catalog_item *c)
{
	int error;

	if ((error = db_exec(sd->db, NULL, catalog_channel_insert_sql, "iiss",
	    (int64_t)dev->tenant_id, (int64_t)dev->id, c->id, c->name)) != 0)
		return error;
	return catalog_db_stream(sd, dev, app, c,
	    (int64_t)db_insert_id(sd->db));
}

/* Row r of the channels query is no longer in the catalog. */
static int
catalog_db_remove(struct sipd *sd, struct gb_dev *dev,
    const struct db_res *res, unsigned r)
{
	const char *sid = db_res_get(res, r, 3, NULL);
	const char *status = db_res_get(res, r, 4, NULL);
	const char *desired = db_res_get(res, r, 5, NULL);
	int64_t chan = strtoll(db_res_get(res, r, 0, NULL), NULL, 10);
	int error = 0;

	if (sid != NULL) {
		int64_t stream = strtoll(sid, NULL, 10);

		/* the media plane closes what runs before the row goes */
		if ((status != NULL && strcmp(status, "on") == 0) ||
		    (desired != NULL && strcmp(desired, "started") == 0))
			error = job_enqueue(sd->db, dev->tenant_id,
			    "stream.stop", (uint64_t)stream,
			    catalog_stop_payload);
		for (size_t i = 0; catalog_remove_sql[i] != NULL && error == 0;
		    i++)
			error = db_exec(sd->db, NULL, catalog_remove_sql[i],
			    "ii", stream, (int64_t)dev->tenant_id);
	}
	if (error == 0)
		error = db_exec(sd->db, NULL, catalog_channel_delete_sql, "ii",
		    chan, (int64_t)dev->tenant_id);
	return error;
}

/* The device's own coordinates, from its own item or an IPC's channel. */
static const struct catalog_item *
catalog_own_item(const struct gb_dev *dev, const char *type,
    struct catalog_item *const *sorted, size_t nch,
    const struct catalog_item *items, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(items[i].id, dev->gb_id) == 0 &&
		    items[i].longitude[0] != '\0')
			return &items[i];
	if (strcmp(type, "ipc") == 0 && nch == 1 &&
	    sorted[0]->longitude[0] != '\0')
		return sorted[0];
	return NULL;
}

/* One attempt: the caller retries on a deadlock. */
static int
catalog_db_tx(struct sipd *sd, struct gb_dev *dev,
    struct catalog_item *const *sorted, size_t nch,
    const struct catalog_item *items, size_t n)
{
	struct db_res *sp = NULL, *dv = NULL, *ch = NULL;
	const struct catalog_item *own;
	unsigned added = 0, removed = 0, renamed = 0, rows;
	size_t i = 0;
	unsigned r = 0;
	char app[65];
	int error;

	if ((error = db_begin(sd->db)) != 0)
		return error;
	if ((error = db_query(sd->db, &sp, catalog_space_sql, "ii",
	    (int64_t)dev->group_id, (int64_t)dev->tenant_id)) != 0 ||
	    (error = db_query(sd->db, &dv, catalog_device_sql, "ii",
	    (int64_t)dev->id, (int64_t)dev->tenant_id)) != 0)
		goto out;
	if (db_res_rows(sp) == 0 || db_res_rows(dv) == 0) {
		/* deleted meanwhile: nothing to attach channels to */
		error = ENOENT;
		goto out;
	}
	snprintf(app, sizeof(app), "%s", db_res_get(sp, 0, 0, NULL));
	if ((error = db_query(sd->db, &ch, catalog_channels_sql, "ii",
	    (int64_t)dev->id, (int64_t)dev->tenant_id)) != 0)
		goto out;
	rows = db_res_rows(ch);
	/* both lists are sorted by GbId: one merge pass */
	while (error == 0 && (i < nch || r < rows)) {
		int cmp = i >= nch ? 1 : r >= rows ? -1 :
		    strcmp(sorted[i]->id, db_res_get(ch, r, 1, NULL));

		if (cmp < 0) {
			error = catalog_db_add(sd, dev, app, sorted[i++]);
			added++;
		} else if (cmp > 0) {
			error = catalog_db_remove(sd, dev, ch, r++);
			removed++;
		} else {
			const char *old = db_res_get(ch, r, 2, NULL);

			if (strcmp(old, sorted[i]->name) != 0) {
				error = db_exec(sd->db, NULL,
				    catalog_channel_rename_sql, "sii",
				    sorted[i]->name, (int64_t)strtoll(
				    db_res_get(ch, r, 0, NULL), NULL, 10),
				    (int64_t)dev->tenant_id);
				renamed++;
			}
			/* a channel without its stream gets one */
			if (error == 0 && db_res_get(ch, r, 3, NULL) == NULL) {
				error = catalog_db_stream(sd, dev, app,
				    sorted[i], strtoll(db_res_get(ch, r, 0,
				    NULL), NULL, 10));
				added++;
			}
			i++, r++;
		}
	}
	own = catalog_own_item(dev, db_res_get(dv, 0, 0, NULL), sorted, nch,
	    items, n);
	if (error == 0 && own != NULL)
		error = db_exec(sd->db, NULL, catalog_device_pos_sql, "ssii",
		    own->longitude, own->latitude, (int64_t)dev->id,
		    (int64_t)dev->tenant_id);
	if (error == 0)
		error = db_commit(sd->db);
	if (error == 0 && (added || removed || renamed))
		log_info("catalog of %s: %u channel(s) added, %u removed, "
		    "%u renamed", dev->gb_id, added, removed, renamed);
out:
	if (error != 0)
		db_rollback(sd->db);
	db_res_free(sp);
	db_res_free(dv);
	db_res_free(ch);
	return error;
}

int
catalog_db_apply(struct sipd *sd, struct gb_dev *dev,
    const struct catalog_item *items, size_t n)
{
	struct catalog_item **sorted;
	size_t nch = 0;
	int error = 0;

	if ((sorted = calloc(n + 1, sizeof(*sorted))) == NULL)
		return ENOMEM;
	for (size_t i = 0; i < n; i++)
		if (items[i].channel)
			sorted[nch++] = (struct catalog_item *)&items[i];
	qsort(sorted, nch, sizeof(*sorted), catalog_cmp);
	for (int t = 0; t < CATALOG_TX_TRIES; t++)
		if ((error = catalog_db_tx(sd, dev, sorted, nch, items,
		    n)) != EDEADLK)
			break;
	free(sorted);
	return error;
}
