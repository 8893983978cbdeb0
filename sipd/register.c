/*
 * REGISTER: the device found by its From id (in the space the Request-URI
 * names, if it names one), digest authentication (MD5, realm = the
 * domain, our stateless nonces) against its GbId or Username and its
 * sealed password, lockout per (device, source address) after repeated
 * failures, the registration recorded (gb_registrations, status on +
 * device.on) and kept in memory. A new registration, or a device that
 * restarted, is queried (catalog, subscriptions) and AutoStarted.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "common/conf.h"
#include "common/db.h"
#include "common/job.h"
#include "common/log.h"
#include "common/outbox.h"
#include "common/vault.h"
#include "digest.h"
#include "sip.h"
#include "sipmsg.h"

/* Spaces holding one GbId that a REGISTER naming no space may mean. */
#define REGISTER_CANDIDATES	"8"

/*
 * The devices with the From id in the spaces the Request-URI allows (its
 * space, or any of our domain), their credentials, what may refuse them,
 * and whether the source address is locked out: a lock stands until it
 * expires, the password changes (pw_tag), or, when it made the device
 * failed, UnlockDevice (status no longer failed).
 */
static const char register_dev_sql[] =
    "SELECT " DEV_COLS ", d.username, d.password_enc, d.enabled, d.status,"
    " s.enabled, t.status,"
    " COALESCE(f.locked_until > UTC_TIMESTAMP(3) AND"
    " f.pw_tag = SHA2(d.password_enc, 256) AND"
    " (f.dev_locked = 0 OR d.status = 'failed'), 0),"
    " f.device_id IS NOT NULL"
    " FROM devices d JOIN spaces s ON s.id = d.group_id"
    " AND s.tenant_id = d.tenant_id"
    " JOIN tenants t ON t.id = s.tenant_id"
    " LEFT JOIN gb_auth_failures f ON f.device_id = d.id AND f.ip = ?"
    " WHERE d.gb_id = ? AND s.gb_id LIKE ? AND s.in_protocol = 'gb28181'"
    " ORDER BY d.id LIMIT " REGISTER_CANDIDATES;
enum { RC_USER = DEV_NCOLS, RC_PASS, RC_ENABLED, RC_STATUS, RC_SPACE_ON,
    RC_TENANT, RC_LOCKED, RC_FAILED };

/* The failures of (device, address) so far: a run goes on while it is
 * within lock_window, under the same password and not after a lock. */
static const char register_fail_get_sql[] =
    "SELECT d.status, SHA2(d.password_enc, 256), COALESCE(f.failures, 0),"
    " COALESCE(f.first_at > UTC_TIMESTAMP(3) - INTERVAL ? SECOND AND"
    " f.pw_tag = SHA2(d.password_enc, 256) AND f.locked_until IS NULL, 0)"
    " FROM devices d LEFT JOIN gb_auth_failures f ON f.device_id = d.id"
    " AND f.ip = ? WHERE d.id = ? AND d.tenant_id = ? FOR UPDATE";
static const char register_fail_put_sql[] =
    "INSERT INTO gb_auth_failures (device_id, ip, failures, first_at,"
    " locked_until, dev_locked, pw_tag) VALUES (?, ?, ?, UTC_TIMESTAMP(3),"
    " IF(?, UTC_TIMESTAMP(3) + INTERVAL ? SECOND, NULL), ?, ?)"
    " ON DUPLICATE KEY UPDATE"
    " first_at = IF(VALUES(failures) = 1, VALUES(first_at), first_at),"
    " failures = VALUES(failures), locked_until = VALUES(locked_until),"
    " dev_locked = VALUES(dev_locked), pw_tag = VALUES(pw_tag)";
static const char register_fail_dev_sql[] =
    "UPDATE devices SET status = 'failed' WHERE id = ? AND tenant_id = ?";
/* runs that ended and locks that expired, whatever the device */
static const char register_fail_gc_sql[] =
    "DELETE FROM gb_auth_failures"
    " WHERE first_at < UTC_TIMESTAMP(3) - INTERVAL ? SECOND"
    " AND (locked_until IS NULL OR locked_until < UTC_TIMESTAMP(3))"
    " LIMIT 100";
static const char register_fail_clear_sql[] =
    "DELETE FROM gb_auth_failures WHERE device_id = ? AND ip = ?";

static const char register_upsert_sql[] =
    "INSERT INTO gb_registrations (device_id, tenant_id, group_id,"
    " transport, contact_ip, contact_port, expires_at, keepalive_at, owner)"
    " VALUES (?, ?, ?, ?, ?, ?, UTC_TIMESTAMP(3) + INTERVAL ? SECOND,"
    " UTC_TIMESTAMP(3), ?)"
    " ON DUPLICATE KEY UPDATE transport = VALUES(transport),"
    " contact_ip = VALUES(contact_ip), contact_port = VALUES(contact_port),"
    " expires_at = VALUES(expires_at), keepalive_at = VALUES(keepalive_at),"
    " owner = VALUES(owner),"
    " registered_at = IF(?, UTC_TIMESTAMP(3), registered_at)";
static const char register_lock_sql[] =
    "SELECT status FROM devices WHERE id = ? AND tenant_id = ? FOR UPDATE";
static const char register_on_sql[] =
    "UPDATE devices SET status = 'on', auth_failures = 0,"
    " auth_fail_first = NULL WHERE id = ? AND tenant_id = ?";

/* AutoStart: each enabled stream wanted started, with a job unless one
 * is already pending or running. */
static const char register_streams_sql[] =
    "SELECT id FROM streams WHERE device_id = ? AND tenant_id = ?"
    " AND enabled = 1 FOR UPDATE";
static const char register_want_sql[] =
    "UPDATE streams SET desired = 'started' WHERE id = ? AND tenant_id = ?";
static const char register_job_sql[] =
    "SELECT 1 FROM jobs WHERE target = ? AND kind = 'stream.start'"
    " AND state IN ('pending', 'running') LIMIT 1";

/* One REGISTER being handled. */
struct reg {
	struct sipd		*sd;
	osip_transaction_t	*tr;
	osip_message_t		*req;
	const struct sip_peer	*peer;
	char			 space[GB_ID_LEN + 1];	/* "?" until found */
	char			 device[GB_ID_LEN + 1];
	char			 ip[INET_ADDRSTRLEN];	/* the source */
	char			 from[INET_ADDRSTRLEN + 8];
	struct db_res		*row;		/* the candidates */
	unsigned		 i;		/* the device's row */
};

static const char *
register_col(const struct reg *g, unsigned i, unsigned col)
{
	return db_res_get(g->row, i, col, NULL);
}

static void
register_reply(struct reg *g, int code, const char *headers)
{
	sip_respond(g->sd, g->tr, code, headers, NULL, NULL, 0);
}

static void
register_refuse(struct reg *g, const char *why)
{
	log_warnx("REGISTER %s/%s from %s: %s: 403", g->space, g->device,
	    g->from, why);
	register_reply(g, 403, NULL);
}

static void
register_challenge(struct reg *g, int stale)
{
	struct sip_ctx *c = sip_ctx(g->sd);
	char nonce[DIGEST_NONCE_LEN], subject[64], h[256];

	/* the device only: which space it is in may be unknown yet */
	snprintf(subject, sizeof(subject), "%s", g->device);
	digest_nonce_make(nonce, c->nonce_key, sizeof(c->nonce_key), subject,
	    c->now);
	snprintf(h, sizeof(h), "WWW-Authenticate: Digest realm=\"%s\","
	    " nonce=\"%s\", algorithm=MD5, qop=\"auth\"%s\r\n",
	    g->sd->conf->gb_domain, nonce, stale ? ", stale=TRUE" : "");
	register_reply(g, 401, h);
}

/* Ends a registration in memory and the database (status off). */
static void
register_drop(struct reg *g, const char *why)
{
	struct sip_ctx *c = sip_ctx(g->sd);
	struct sip_dev *d = dev_find(c, g->space, g->device);

	if (d == NULL && (d = dev_from_row(g->row, g->i, 0)) != NULL &&
	    dev_add(c, d) != 0) {
		dev_free(d);
		return;
	}
	if (d != NULL)
		dev_offline(g->sd, d, why);
}

/*
 * A wrong response from this address: one more failure of (device, address)
 * in the window; at the limit the address is locked out for lock_duration.
 * A live registration (status on) is never touched: the failures may come
 * from anyone. A device without one becomes failed (device.failed), which
 * is what an operator sees of a camera with a mistyped password.
 */
static void
register_count(struct reg *g, unsigned i, const char *why)
{
	struct sipd *sd = g->sd;
	const struct vigil_conf *cf = sd->conf;
	int64_t id = strtoll(register_col(g, i, 0), NULL, 10);
	int64_t tenant = strtoll(register_col(g, i, 1), NULL, 10);
	uint64_t group = strtoull(register_col(g, i, 2), NULL, 10);
	const char *space = register_col(g, i, 4), *status;
	struct db_res *r = NULL;
	int error, n = 0, lock = 0, dev_lock = 0;

	if ((error = db_begin(sd->db)) != 0 ||
	    (error = db_exec(sd->db, NULL, register_fail_gc_sql, "i",
	    (int64_t)cf->lock_window)) != 0 ||
	    (error = db_query(sd->db, &r, register_fail_get_sql, "isii",
	    (int64_t)cf->lock_window, g->ip, id, tenant)) != 0 ||
	    db_res_rows(r) == 0)
		goto out;
	status = db_res_get(r, 0, 0, NULL);
	n = strcmp(db_res_get(r, 0, 3, NULL), "1") == 0 ?
	    atoi(db_res_get(r, 0, 2, NULL)) + 1 : 1;
	lock = n >= cf->lock_failures;
	dev_lock = lock && strcmp(status, "on") != 0;
	if ((error = db_exec(sd->db, NULL, register_fail_put_sql, "isiiiis",
	    id, g->ip, (int64_t)n, (int64_t)lock, (int64_t)cf->lock_duration,
	    (int64_t)dev_lock, db_res_get(r, 0, 1, NULL))) != 0 ||
	    (dev_lock && strcmp(status, "failed") != 0 &&
	    ((error = db_exec(sd->db, NULL, register_fail_dev_sql, "ii", id,
	    tenant)) != 0 || (error = outbox_add(sd->db, group,
	    "device.failed", (uint64_t)id, 0, "failed")) != 0)))
		goto out;
	error = db_commit(sd->db);
out:
	if (error)
		db_rollback(sd->db);
	db_res_free(r);
	if (error == 0 && n > 0)
		log_warnx("REGISTER %s/%s from %s: %s (failure %d of %d)%s",
		    space, g->device, g->from, why, n, cf->lock_failures,
		    !lock ? "" : dev_lock ? ": address locked out, device"
		    " failed" : ": address locked out (the device stays"
		    " registered)");
	else if (error)
		log_warnx("REGISTER %s/%s: cannot count a failure: %s",
		    space, g->device, strerror(error));
}

static void
register_failed(struct reg *g, const char *why)
{
	register_count(g, g->i, why);
	register_reply(g, 403, NULL);
}

/* Locked out: refused without a look at the digest. Not logged above
 * debug: a locked camera may retry every few milliseconds, and its lock
 * was logged. */
static void
register_locked(struct reg *g)
{
	log_debug("REGISTER %s/%s from %s: address locked out: 403",
	    g->space, g->device, g->from);
	register_reply(g, 403, NULL);
}

/*
 * Checks the Authorization against the password: 0 (good), EACCES (a
 * wrong response: counted), ESTALE (good but an old or foreign nonce).
 */
static int
register_check(struct reg *g, unsigned i, const osip_authorization_t *a,
    const char **why)
{
	struct sip_ctx *c = sip_ctx(g->sd);
	struct sipmsg_digest d;
	char want[DIGEST_HEX_LEN], subject[64], aad[24];
	const char *enc;
	char *pw = NULL;
	size_t enclen;
	int error;

	sipmsg_digest(a, &d);
	/* devices differ: some give their GbId, some the Username */
	if (strcmp(d.user, g->device) != 0 &&
	    strcmp(d.user, register_col(g, i, RC_USER)) != 0) {
		*why = "unknown digest username";
		return EACCES;
	}
	if (strcmp(d.realm, g->sd->conf->gb_domain) != 0) {
		*why = "wrong realm";
		return EACCES;
	}
	if (*d.algorithm != '\0' && strcasecmp(d.algorithm, "MD5") != 0) {
		*why = "unsupported digest algorithm";
		return EACCES;
	}
	enc = db_res_get(g->row, i, RC_PASS, &enclen);
	snprintf(aad, sizeof(aad), "%s", register_col(g, i, 0));
	if (enc == NULL || vault_open(aad, enc, enclen, &pw) != 0) {
		*why = "the device's password does not unseal";
		return EACCES;
	}
	error = digest_response(want, d.user, d.realm, pw, "REGISTER", d.uri,
	    d.nonce, d.nc, d.cnonce, d.qop);
	explicit_bzero(pw, strlen(pw));
	free(pw);
	if (error != 0 || strcasecmp(want, d.response) != 0) {
		*why = "wrong digest response";
		return EACCES;
	}
	snprintf(subject, sizeof(subject), "%s", g->device);
	if (digest_nonce_check(d.nonce, c->nonce_key, sizeof(c->nonce_key),
	    subject, c->now, SIP_NONCE_TTL) != 0)
		return ESTALE;
	return 0;
}

/* Records the registration; 0, or a db errno. */
static int
register_store(struct reg *g, struct sip_dev *d, int expires, int fresh)
{
	struct sipd *sd = g->sd;
	struct db_res *r = NULL;
	uint64_t affected = 0;
	int error;

	if ((error = db_begin(sd->db)) != 0 ||
	    (error = db_exec(sd->db, NULL, register_upsert_sql, "iiissiisi",
	    (int64_t)d->dev.id, (int64_t)d->dev.tenant_id,
	    (int64_t)d->dev.group_id, d->peer.tp == SIP_TCP ? "tcp" : "udp",
	    d->ip, (int64_t)d->port, (int64_t)expires, sd->owner,
	    (int64_t)fresh)) != 0 ||
	    (strcmp(register_col(g, g->i, RC_FAILED), "1") == 0 &&
	    (error = db_exec(sd->db, NULL, register_fail_clear_sql, "is",
	    (int64_t)d->dev.id, g->ip)) != 0) ||
	    (error = db_query(sd->db, &r, register_lock_sql, "ii",
	    (int64_t)d->dev.id, (int64_t)d->dev.tenant_id)) != 0)
		goto out;
	if (db_res_rows(r) == 0) {
		error = ENOENT;
		goto out;
	}
	if (strcmp(db_res_get(r, 0, 0, NULL), "on") != 0) {
		if ((error = db_exec(sd->db, &affected, register_on_sql, "ii",
		    (int64_t)d->dev.id, (int64_t)d->dev.tenant_id)) != 0 ||
		    (error = outbox_add(sd->db, d->dev.group_id, "device.on",
		    d->dev.id, 0, "on")) != 0)
			goto out;
		log_info("device %s/%s (%" PRIu64 ") on from %s:%d over %s",
		    d->dev.group_gb_id, d->dev.gb_id, d->dev.id, d->ip,
		    d->port, d->peer.tp == SIP_TCP ? "tcp" : "udp");
	}
	error = db_commit(sd->db);
out:
	if (error)
		db_rollback(sd->db);
	db_res_free(r);
	return error;
}

/* The Date of a 200 OK to REGISTER: GB28181 devices set their clock by
 * it, local time with milliseconds. */
static void
register_date(char *out, size_t n)
{
	struct timespec ts;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &ts);
	localtime_r(&ts.tv_sec, &tm);
	snprintf(out, n, "%04d-%02d-%02dT%02d:%02d:%02d.%03ld",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000);
}

/*
 * Whether a REGISTER of a registered device is the device having
 * restarted (its channels and subscriptions are gone): a new Call-ID; or
 * the same one (several devices keep theirs across reboots) with a CSeq
 * not above the last REGISTER's (RFC 3261 wants it to grow within a
 * Call-ID, and a retransmission is absorbed before this), or from a new
 * source address, port or transport. A refresh before expiry is what
 * devices normally do, so its timing alone says nothing.
 */
static int
register_restarted(const struct sip_dev *d, const struct reg *g,
    const char *cid, uint32_t cseq)
{
	const struct sockaddr_in *a = &d->peer.sa, *b = &g->peer->sa;

	return strncmp(d->call_id, cid, sizeof(d->call_id) - 1) != 0 ||
	    cseq <= d->reg_cseq || d->peer.tp != g->peer->tp ||
	    a->sin_addr.s_addr != b->sin_addr.s_addr ||
	    a->sin_port != b->sin_port;
}

static void
register_ok(struct reg *g, int expires)
{
	struct sipd *sd = g->sd;
	struct sip_ctx *c = sip_ctx(sd);
	struct sip_dev *d = dev_find(c, g->space, g->device), *nd = NULL;
	const char *cid = g->req->call_id->number ?
	    g->req->call_id->number : "";
	uint32_t cseq = (uint32_t)strtoul(g->req->cseq->number, NULL, 10);
	osip_contact_t *ct = osip_list_get(&g->req->contacts, 0);
	char date[64], hdrs[600], *contact = NULL;
	int fresh, error;

	/* a device that restarted is queried again, its subscriptions and
	 * the state of a catalog in progress start over */
	fresh = d == NULL || register_restarted(d, g, cid, cseq);
	if (d != NULL && fresh) {
		log_info("device %s/%s restarted (REGISTER from %s): querying"
		    " it again", g->space, g->device, g->from);
		manscdp_forget(sd, &d->dev);
	}
	if (d == NULL) {
		if ((d = nd = dev_from_row(g->row, g->i, 0)) == NULL) {
			register_reply(g, 500, NULL);
			return;
		}
	}
	d->peer = *g->peer;
	inet_ntop(AF_INET, &g->peer->sa.sin_addr, d->ip, sizeof(d->ip));
	d->port = ntohs(g->peer->sa.sin_port);
	if ((error = register_store(g, d, expires, fresh)) != 0 ||
	    (nd != NULL && dev_add(c, nd) != 0)) {
		log_warnx("REGISTER %s/%s: not recorded: %s", g->space,
		    g->device, strerror(error ? error : ENOMEM));
		dev_free(nd);
		register_reply(g, 500, NULL);
		return;
	}
	d->expires_at = c->now + expires;
	d->keepalive_at = c->now;
	snprintf(d->call_id, sizeof(d->call_id), "%s", cid);
	d->reg_cseq = cseq;
	register_date(date, sizeof(date));
	/* the Contact with the Expires granted */
	if (ct != NULL) {
		osip_generic_param_t *p = NULL;
		char v[12];

		snprintf(v, sizeof(v), "%d", expires);
		if (osip_contact_param_get_byname(ct, (char *)"expires",
		    &p) == 0 && p != NULL) {
			osip_free(p->gvalue);
			p->gvalue = osip_strdup(v);
		} else
			osip_contact_param_add(ct, osip_strdup("expires"),
			    osip_strdup(v));
		osip_contact_to_str(ct, &contact);
	}
	snprintf(hdrs, sizeof(hdrs), "%s%.300s%sExpires: %d\r\nDate: %s\r\n",
	    contact ? "Contact: " : "", contact ? contact : "",
	    contact ? "\r\n" : "", expires, date);
	osip_free(contact);
	register_reply(g, 200, hdrs);
	if (fresh && !d->fresh && c->nfresh < sizeof(c->fresh) /
	    sizeof(c->fresh[0])) {
		d->fresh = 1;
		c->fresh[c->nfresh++] = d;
	}
}

static void
register_autostart(struct sipd *sd, struct sip_dev *d)
{
	struct db_res *r = NULL, *j = NULL;
	char payload[80];
	unsigned n = 0;
	int error;

	snprintf(payload, sizeof(payload), "{\"device\":\"%" PRIu64 "\","
	    "\"auto\":true}", d->dev.id);
	if ((error = db_begin(sd->db)) != 0 ||
	    (error = db_query(sd->db, &r, register_streams_sql, "ii",
	    (int64_t)d->dev.id, (int64_t)d->dev.tenant_id)) != 0)
		goto out;
	for (unsigned i = 0; i < db_res_rows(r); i++) {
		int64_t id = strtoll(db_res_get(r, i, 0, NULL), NULL, 10);

		if ((error = db_exec(sd->db, NULL, register_want_sql, "ii", id,
		    (int64_t)d->dev.tenant_id)) != 0 ||
		    (error = db_query(sd->db, &j, register_job_sql, "i",
		    id)) != 0)
			goto out;
		if (db_res_rows(j) == 0) {
			if ((error = job_enqueue(sd->db, d->dev.tenant_id,
			    "stream.start", (uint64_t)id, payload)) != 0)
				goto out;
			n++;
		}
		db_res_free(j);
		j = NULL;
	}
	error = db_commit(sd->db);
out:
	if (error) {
		db_rollback(sd->db);
		log_warnx("device %s/%s: AutoStart failed: %s",
		    d->dev.group_gb_id, d->dev.gb_id, strerror(error));
	} else if (n > 0)
		log_info("device %s/%s: AutoStart of %u stream%s",
		    d->dev.group_gb_id, d->dev.gb_id, n, n == 1 ? "" : "s");
	db_res_free(j);
	db_res_free(r);
}

void
register_fresh(struct sipd *sd, struct sip_dev *d)
{
	catalog_query(sd, &d->dev);
	subscribe_start(sd, &d->dev);
	if (d->dev.auto_start)
		register_autostart(sd, d);
}

/*
 * Several spaces hold a device with this GbId and the Request-URI names
 * none of them: the device is the one whose password the digest answers
 * (a digest of the wrong one would only ever fail). None: a failure of
 * each from this address; more than one: refused, the device must name
 * its space (SIP server ID = the space's GbId). Returns the row, or -1
 * when answered.
 */
static int
register_pick(struct reg *g, const osip_authorization_t *a)
{
	unsigned n = db_res_rows(g->row), open = 0, found = 0, i;
	const char *why = "wrong digest response";
	int pick = -1;

	for (i = 0; i < n; i++) {
		if (strcmp(register_col(g, i, RC_LOCKED), "1") == 0)
			continue;
		open++;
		if (register_check(g, i, a, &why) != EACCES) {
			found++;
			pick = (int)i;
		}
	}
	if (open == 0) {
		register_locked(g);
		return -1;
	}
	if (found == 1)
		return pick;
	if (found > 1) {
		register_refuse(g, "its GbId is in several spaces and the"
		    " password fits more than one: set its SIP server ID to"
		    " the space's GbId");
		return -1;
	}
	for (i = 0; i < n; i++)
		if (strcmp(register_col(g, i, RC_LOCKED), "1") != 0)
			register_count(g, i, why);
	register_reply(g, 403, NULL);
	return -1;
}

/*
 * The device is found by its From id. Devices put the server in the
 * Request-URI in several ways: sip:<server id>@<domain> (GB28181; the id
 * is the space's GbId and the device must be in that space), or
 * sip:<domain> and sip:<server ip>:<port> (RFC 3261's form, common among
 * devices and bridges): then any gb28181 space of our domain (the To of a
 * REGISTER is the device itself, never the server).
 */
void
register_handle(struct sipd *sd, osip_transaction_t *tr, osip_message_t *req,
    const struct sip_peer *peer)
{
	const struct vigil_conf *cf = sd->conf;
	struct reg g = { .sd = sd, .tr = tr, .req = req, .peer = peer };
	osip_authorization_t *auth = NULL;
	const char *why = NULL;
	char like[GB_ID_LEN + 2];
	int expires, error, pick;

	inet_ntop(AF_INET, &peer->sa.sin_addr, g.ip, sizeof(g.ip));
	snprintf(g.from, sizeof(g.from), "%s:%d", g.ip,
	    ntohs(peer->sa.sin_port));
	if (sipmsg_gb_id(req->req_uri, g.space) == 0)
		snprintf(like, sizeof(like), "%s", g.space);
	else {
		snprintf(g.space, sizeof(g.space), "?");
		snprintf(like, sizeof(like), "%.10s%%", cf->gb_domain);
	}
	if (req->from == NULL || sipmsg_gb_id(req->from->url, g.device) != 0) {
		register_refuse(&g, "not a GB28181 device id");
		return;
	}
	if (strncmp(like, cf->gb_domain, 10) != 0) {
		register_refuse(&g, "space outside our domain");
		return;
	}
	if ((expires = sipmsg_expires(req, 3600)) < 0) {
		register_reply(&g, 400, NULL);
		return;
	}
	if ((error = db_query(sd->db, &g.row, register_dev_sql, "sss", g.ip,
	    g.device, like)) != 0) {
		register_reply(&g, 500, NULL);
		return;
	}
	if (osip_message_get_authorization(req, 0, &auth) < 0)
		auth = NULL;
	if (db_res_rows(g.row) == 0) {
		register_refuse(&g, "unknown device");
		goto out;
	}
	if (db_res_rows(g.row) > 1) {
		/* which one it is takes its digest */
		if (auth == NULL) {
			register_challenge(&g, 0);
			goto out;
		}
		if ((pick = register_pick(&g, auth)) < 0)
			goto out;
		g.i = (unsigned)pick;
	}
	snprintf(g.space, sizeof(g.space), "%s", register_col(&g, g.i, 4));
	if (strcmp(register_col(&g, g.i, RC_TENANT), "2") != 0)
		why = "tenant suspended";
	else if (strcmp(register_col(&g, g.i, RC_SPACE_ON), "1") != 0)
		why = "space halted";
	else if (strcmp(register_col(&g, g.i, RC_ENABLED), "1") != 0)
		why = "device disabled";
	if (why != NULL) {
		register_drop(&g, why);
		register_refuse(&g, why);
		goto out;
	}
	if (strcmp(register_col(&g, g.i, RC_LOCKED), "1") == 0) {
		register_locked(&g);
		goto out;
	}
	/* a challenge asked for is not a failure */
	if (auth == NULL) {
		register_challenge(&g, 0);
		goto out;
	}
	switch (register_check(&g, g.i, auth, &why)) {
	case 0:
		break;
	case ESTALE:
		register_challenge(&g, 1);
		goto out;
	default:
		register_failed(&g, why);
		goto out;
	}
	if (expires > cf->register_expires_max)
		expires = cf->register_expires_max;
	if (expires == 0) {
		register_drop(&g, "unregistered");
		register_reply(&g, 200, "Expires: 0\r\n");
	} else
		register_ok(&g, expires);
out:
	db_res_free(g.row);
}

static const char register_restore_sql[] =
    "SELECT " DEV_COLS ", r.transport, r.contact_ip, r.contact_port,"
    " UNIX_TIMESTAMP(r.expires_at), UNIX_TIMESTAMP(r.keepalive_at)"
    " FROM gb_registrations r JOIN devices d ON d.id = r.device_id"
    " JOIN spaces s ON s.id = d.group_id AND s.tenant_id = d.tenant_id"
    " WHERE r.owner LIKE ?";
static const char register_claim_sql[] =
    "UPDATE gb_registrations SET owner = ? WHERE owner LIKE ?";

int
register_restore(struct sipd *sd)
{
	struct sip_ctx *c = sip_ctx(sd);
	const struct vigil_conf *cf = sd->conf;
	struct db_res *r = NULL;
	time_t grace;
	unsigned kept = 0, gone = 0;
	int error;

	if ((error = db_query(sd->db, &r, register_restore_sql, "s",
	    c->owner_like)) != 0)
		return error;
	/* keepalives sent while we were down went unanswered: one more
	 * interval before a silent device counts as gone */
	grace = c->now - (time_t)cf->keepalive_interval *
	    (cf->keepalive_misses - 1);
	for (unsigned i = 0; i < db_res_rows(r); i++) {
		struct sip_dev *d = dev_from_row(r, i, 0);
		const char *ip = db_res_get(r, i, DEV_NCOLS + 1, NULL);

		if (d == NULL)
			break;
		d->peer.tp = strcmp(db_res_get(r, i, DEV_NCOLS, NULL),
		    "tcp") == 0 ? SIP_TCP : SIP_UDP;
		d->peer.sa.sin_family = AF_INET;
		d->port = atoi(db_res_get(r, i, DEV_NCOLS + 2, NULL));
		d->peer.sa.sin_port = htons((uint16_t)d->port);
		snprintf(d->ip, sizeof(d->ip), "%s", ip);
		d->expires_at = strtoll(db_res_get(r, i, DEV_NCOLS + 3, NULL),
		    NULL, 10);
		d->keepalive_at = strtoll(db_res_get(r, i, DEV_NCOLS + 4,
		    NULL), NULL, 10);
		if (d->keepalive_at < grace)
			d->keepalive_at = grace;
		if (inet_pton(AF_INET, ip, &d->peer.sa.sin_addr) != 1 ||
		    dev_add(c, d) != 0) {
			dev_free(d);
			continue;
		}
		/* expired while we were down: the sweep ends it */
		if (d->expires_at <= c->now)
			gone++;
		else
			kept++;
	}
	db_res_free(r);
	if ((error = db_exec(sd->db, NULL, register_claim_sql, "ss",
	    sd->owner, c->owner_like)) != 0)
		return error;
	if (kept + gone > 0)
		log_info("%u registration%s restored, %u expired", kept,
		    kept == 1 ? "" : "s", gone);
	return 0;
}
