/*
 * Media sessions with devices: INVITE for a gb.invite job (the receiver
 * mediad wrote in gb_sessions), ACK and the dialog stored on 200, BYE in
 * the stored dialog for gb.bye, and a device's own BYE. The job of an
 * INVITE is finished by the transaction's callbacks, never waited for.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "common/conf.h"
#include "common/db.h"
#include "common/job.h"
#include "common/log.h"
#include "sdp.h"
#include "sip.h"
#include "sipmsg.h"

#define INVITE_TIMEOUT_S	25	/* a final answer by then (lease 30 s) */

struct invite {
	struct invite		*next;
	osip_transaction_t	*tr;
	uint64_t		 job;
	uint64_t		 stream;
	uint64_t		 tenant;
	time_t			 deadline;
	struct sip_peer		 peer;
	char			 channel[GB_ID_LEN + 1];
	char			 ssrc[SDP_SSRC_LEN];
};

static const char invite_session_sql[] =
    "SELECT g.tenant_id, g.channel_gb_id, g.kind, g.range_start,"
    " g.range_end, g.media_ip, g.media_port, g.transport, g.ssrc, g.state,"
    " d.gb_id, s.gb_id"
    " FROM gb_sessions g JOIN devices d ON d.id = g.device_id"
    " AND d.tenant_id = g.tenant_id"
    " JOIN spaces s ON s.id = d.group_id AND s.tenant_id = d.tenant_id"
    " WHERE g.stream_id = ?";
static const char invite_playing_sql[] =
    "UPDATE gb_sessions SET dialog = ?, sip_owner = ?, state = 'playing',"
    " ssrc = IF(? <> '', ?, ssrc)"
    " WHERE stream_id = ? AND tenant_id = ? AND state = 'inviting'";
static const char invite_bye_sql[] =
    "SELECT g.dialog, g.state, d.gb_id, s.gb_id"
    " FROM gb_sessions g JOIN devices d ON d.id = g.device_id"
    " AND d.tenant_id = g.tenant_id"
    " JOIN spaces s ON s.id = d.group_id AND s.tenant_id = d.tenant_id"
    " WHERE g.stream_id = ?";
static const char invite_delete_sql[] =
    "DELETE FROM gb_sessions WHERE stream_id = ? AND state = 'closing'";
static const char invite_by_call_sql[] =
    "SELECT stream_id, tenant_id FROM gb_sessions"
    " WHERE state <> 'closing' AND dialog LIKE ?";
static const char invite_closing_sql[] =
    "UPDATE gb_sessions SET state = 'closing', dialog = NULL"
    " WHERE stream_id = ? AND tenant_id = ?";

static void
invite_unlink(struct sipd *sd, struct invite *inv)
{
	struct invite **p;

	for (p = &sip_ctx(sd)->invites; *p != NULL; p = &(*p)->next)
		if (*p == inv) {
			*p = inv->next;
			break;
		}
	if (inv->tr != NULL && inv->tr->reserved1 == inv)
		inv->tr->reserved1 = NULL;
	free(inv);
}

int
invite_start(struct sipd *sd, uint64_t job, uint64_t stream, char *err,
    size_t errsz)
{
	struct sip_ctx *c = sip_ctx(sd);
	struct db_res *r = NULL;
	struct sdp_offer o = { 0 };
	struct invite *inv = NULL;
	struct sip_dev *d;
	char sdp[1024], subject[128];
	osip_transaction_t *tr = NULL;
	int n, error;

	if ((error = db_query(sd->db, &r, invite_session_sql, "i",
	    (int64_t)stream)) != 0) {
		snprintf(err, errsz, "database: %s", strerror(error));
		return error;
	}
	if (db_res_rows(r) == 0 || strcmp(db_res_get(r, 0, 9, NULL),
	    "inviting") != 0) {
		/* stopped meanwhile: nothing to invite */
		snprintf(err, errsz, "no session waiting for an INVITE");
		error = 0;
		goto out;
	}
	if ((d = dev_find(c, db_res_get(r, 0, 11, NULL),
	    db_res_get(r, 0, 10, NULL))) == NULL) {
		snprintf(err, errsz, "device %s not registered",
		    db_res_get(r, 0, 10, NULL));
		error = ENOENT;
		goto out;
	}
	o.origin = d->dev.group_gb_id;
	o.ip = db_res_get(r, 0, 5, NULL);
	o.port = atoi(db_res_get(r, 0, 6, NULL));
	o.tcp = strcmp(db_res_get(r, 0, 7, NULL), "tcp") == 0;
	o.ssrc = db_res_get(r, 0, 8, NULL);
	o.channel = db_res_get(r, 0, 1, NULL);
	if (strcmp(db_res_get(r, 0, 2, NULL), "playback") == 0) {
		o.playback = 1;
		o.start = db_res_get(r, 0, 3, NULL) ?
		    strtoll(db_res_get(r, 0, 3, NULL), NULL, 10) : 0;
		o.end = db_res_get(r, 0, 4, NULL) ?
		    strtoll(db_res_get(r, 0, 4, NULL), NULL, 10) : 0;
	}
	if ((n = sdp_offer_build(sdp, sizeof(sdp), &o)) < 0 ||
	    (inv = calloc(1, sizeof(*inv))) == NULL) {
		snprintf(err, errsz, "no memory");
		error = ENOMEM;
		goto out;
	}
	inv->job = job;
	inv->stream = stream;
	inv->tenant = strtoull(db_res_get(r, 0, 0, NULL), NULL, 10);
	inv->deadline = c->now + INVITE_TIMEOUT_S;
	inv->peer = d->peer;
	snprintf(inv->channel, sizeof(inv->channel), "%s", o.channel);
	snprintf(inv->ssrc, sizeof(inv->ssrc), "%s", o.ssrc);
	snprintf(subject, sizeof(subject), "Subject: %s:%s,%s:0\r\n",
	    o.channel, o.ssrc, d->dev.group_gb_id);
	if ((error = sip_request(sd, d, "INVITE", o.channel, subject,
	    "application/sdp", sdp, (size_t)n, inv, &tr)) != 0 ||
	    tr == NULL) {
		snprintf(err, errsz, "INVITE not sent: %s",
		    strerror(error ? error : EIO));
		free(inv);
		error = error ? error : EIO;
		goto out;
	}
	/* the callbacks may have ended it already (a transport error) */
	if (tr->reserved1 == inv) {
		inv->tr = tr;
		inv->next = c->invites;
		c->invites = inv;
	}
	log_info("INVITE channel %s of %s/%s for stream %" PRIu64 " (%s %s:%d"
	    " ssrc %s)", o.channel, d->dev.group_gb_id, d->dev.gb_id, stream,
	    o.tcp ? "tcp" : "udp", o.ip, o.port, o.ssrc);
	error = EINPROGRESS;
out:
	db_res_free(r);
	return error;
}

/* Sends an in-dialog request (ACK or BYE) as text. */
static void
invite_in_dialog(struct sipd *sd, const char *method, const char *target,
    const char *from, const char *to, const char *call_id, unsigned cseq,
    const struct sip_peer *peer)
{
	struct sip_ctx *c = sip_ctx(sd);
	char buf[2048], branch[25];
	int n;

	sip_random_token(branch, sizeof(branch));
	n = snprintf(buf, sizeof(buf),
	    "%s %s SIP/2.0\r\n"
	    "Via: SIP/2.0/%s %s:%d;rport;branch=z9hG4bK%s\r\n"
	    "From: %s\r\n"
	    "To: %s\r\n"
	    "Call-ID: %s\r\n"
	    "CSeq: %u %s\r\n"
	    "Max-Forwards: 70\r\n"
	    "User-Agent: Vigil\r\n"
	    "Content-Length: 0\r\n\r\n",
	    method, target, peer->tp == SIP_TCP ? "TCP" : "UDP", c->ip,
	    sip_local_port(c, peer->tp), branch, from, to, call_id, cseq,
	    method);
	if (n > 0 && (size_t)n < sizeof(buf))
		sip_send_text(sd, buf, (size_t)n, peer, NULL, NULL);
}

/* The remote target of a 2xx: its Contact, else its To. */
static char *
invite_target(osip_message_t *resp)
{
	osip_contact_t *ct = osip_list_get(&resp->contacts, 0);
	char *s = NULL;

	if (ct != NULL && ct->url != NULL)
		osip_uri_to_str(ct->url, &s);
	else if (resp->to != NULL && resp->to->url != NULL)
		osip_uri_to_str(resp->to->url, &s);
	return s;
}

/* ACKs a 2xx and/or BYEs its dialog (INVITE_ACK | INVITE_BYE). */
#define INVITE_ACK	1
#define INVITE_BYE	2
static void
invite_ack(struct sipd *sd, osip_message_t *resp, const struct sip_peer *peer,
    int what)
{
	char *target = invite_target(resp), *from = NULL, *to = NULL;
	unsigned cseq = (unsigned)strtoul(resp->cseq->number, NULL, 10);

	if (target != NULL && osip_from_to_str(resp->from, &from) == 0 &&
	    osip_to_to_str(resp->to, &to) == 0) {
		if (what & INVITE_ACK)
			invite_in_dialog(sd, "ACK", target, from, to,
			    resp->call_id->number, cseq, peer);
		if (what & INVITE_BYE)
			invite_in_dialog(sd, "BYE", target, from, to,
			    resp->call_id->number, cseq + 1, peer);
	}
	osip_free(target);
	osip_free(from);
	osip_free(to);
}

void
invite_reack(struct sipd *sd, osip_message_t *resp,
    const struct sip_peer *peer)
{
	invite_ack(sd, resp, peer, INVITE_ACK);
}

static void
invite_json_str(json_object *o, const char *k, const char *v)
{
	json_object_object_add(o, k, json_object_new_string(v ? v : ""));
}

/* The dialog as gb_sessions.dialog keeps it; a new string or NULL. */
static char *
invite_dialog(osip_message_t *resp, const struct sip_peer *peer,
    const struct sdp_answer *a)
{
	char *target = invite_target(resp), *from = NULL, *to = NULL, *s;
	char ip[INET_ADDRSTRLEN];
	const char *ftag = sipmsg_tag(resp->from), *ttag = sipmsg_tag(resp->to);
	json_object *o = json_object_new_object();

	inet_ntop(AF_INET, &peer->sa.sin_addr, ip, sizeof(ip));
	osip_from_to_str(resp->from, &from);
	osip_to_to_str(resp->to, &to);
#define J_STR(k, v) invite_json_str(o, k, v)
	J_STR("call_id", resp->call_id->number);
	J_STR("from_tag", ftag);
	J_STR("to_tag", ttag);
	J_STR("from", from);
	J_STR("to", to);
	J_STR("target", target);
	json_object_object_add(o, "cseq", json_object_new_int64(
	    strtoll(resp->cseq->number, NULL, 10)));
	J_STR("transport", peer->tp == SIP_TCP ? "tcp" : "udp");
	J_STR("ip", ip);
	json_object_object_add(o, "port", json_object_new_int(
	    ntohs(peer->sa.sin_port)));
	J_STR("ssrc", a->ssrc);
	json_object_object_add(o, "media_port", json_object_new_int(a->port));
#undef J_STR
	s = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	osip_free(target);
	osip_free(from);
	osip_free(to);
	return s;
}

void
invite_answered(struct sipd *sd, osip_transaction_t *tr,
    osip_message_t *resp)
{
	struct invite *inv = tr->reserved1;
	struct sdp_answer a;
	const char *body;
	char *dialog = NULL;
	uint64_t affected = 0;
	size_t len;
	int error;

	tr->reserved1 = NULL;
	if (inv == NULL) {
		/* its job gave up waiting: the session is not wanted */
		struct sip_peer peer = { .tp = SIP_UDP, .fd = -1 };
		char *ip = NULL;
		int port = 0;

		osip_transaction_get_destination(tr, &ip, &port);
		if (ip != NULL && inet_pton(AF_INET, ip, &peer.sa.sin_addr) ==
		    1) {
			osip_via_t *v = osip_list_get(&resp->vias, 0);

			peer.sa.sin_family = AF_INET;
			peer.sa.sin_port = htons((uint16_t)port);
			if (v && v->protocol && strcmp(v->protocol, "TCP") == 0) {
				peer.tp = SIP_TCP;
				peer.fd = tr->out_socket;
			}
			invite_ack(sd, resp, &peer, INVITE_ACK | INVITE_BYE);
		}
		return;
	}
	sipmsg_body(resp, &body, &len);
	if (body == NULL || sdp_answer_parse(body, len, &a) != 0)
		memset(&a, 0, sizeof(a));
	invite_ack(sd, resp, &inv->peer, INVITE_ACK);
	if (*a.ssrc != '\0' && strcmp(a.ssrc, inv->ssrc) != 0)
		log_info("channel %s answers with ssrc %s, not %s", inv->channel,
		    a.ssrc, inv->ssrc);
	if ((dialog = invite_dialog(resp, &inv->peer, &a)) == NULL)
		error = ENOMEM;
	else
		error = db_exec(sd->db, &affected, invite_playing_sql, "ssssii",
		    dialog, sd->owner, a.ssrc, a.ssrc, (int64_t)inv->stream,
		    (int64_t)inv->tenant);
	if (error == 0 && affected == 0) {
		/* stopped while it rang */
		invite_ack(sd, resp, &inv->peer, INVITE_BYE);
		jobs_finish(sd, inv->job, NULL);
		log_info("channel %s: session of stream %" PRIu64 " ended"
		    " before the answer: BYE", inv->channel, inv->stream);
	} else if (error == 0) {
		jobs_finish(sd, inv->job, NULL);
		log_info("channel %s: playing stream %" PRIu64 " (device sends"
		    " from port %d)", inv->channel, inv->stream, a.port);
	} else {
		jobs_finish(sd, inv->job, "dialog not stored");
		log_warnx("channel %s: dialog not stored: %s", inv->channel,
		    strerror(error));
	}
	free(dialog);
	invite_unlink(sd, inv);
}

void
invite_failed(struct sipd *sd, osip_transaction_t *tr, int code)
{
	struct invite *inv = tr->reserved1;
	char err[64];

	if (inv == NULL)
		return;
	if (code == 0 || code == 408)
		snprintf(err, sizeof(err), "INVITE: no answer");
	else
		snprintf(err, sizeof(err), "INVITE answered %d", code);
	log_warnx("channel %s, stream %" PRIu64 ": %s", inv->channel,
	    inv->stream, err);
	jobs_finish(sd, inv->job, err);
	invite_unlink(sd, inv);
}

void
invite_sweep(struct sipd *sd)
{
	struct sip_ctx *c = sip_ctx(sd);
	struct invite *inv, *next;

	for (inv = c->invites; inv != NULL; inv = next) {
		next = inv->next;
		if (inv->deadline > c->now)
			continue;
		log_warnx("channel %s, stream %" PRIu64 ": no final answer to"
		    " INVITE in %d s", inv->channel, inv->stream,
		    INVITE_TIMEOUT_S);
		jobs_finish(sd, inv->job, "INVITE: no final answer");
		invite_unlink(sd, inv);
	}
}

void
invite_free_all(struct sipd *sd)
{
	while (sip_ctx(sd)->invites != NULL)
		invite_unlink(sd, sip_ctx(sd)->invites);
}

int
invite_bye(struct sipd *sd, uint64_t stream, char *err, size_t errsz)
{
	struct db_res *r = NULL;
	json_object *o = NULL, *v;
	struct sip_peer peer = { .fd = -1 };
	struct sip_dev *d;
	const char *s;
	int error;

	if ((error = db_query(sd->db, &r, invite_bye_sql, "i",
	    (int64_t)stream)) != 0) {
		snprintf(err, errsz, "database: %s", strerror(error));
		return error;
	}
	if (db_res_rows(r) == 0 || strcmp(db_res_get(r, 0, 1, NULL),
	    "closing") != 0)
		goto out;
	if ((s = db_res_get(r, 0, 0, NULL)) != NULL &&
	    (o = json_tokener_parse(s)) != NULL) {
#define J(k) (json_object_object_get_ex(o, k, &v) ? \
	json_object_get_string(v) : "")
		peer.tp = strcmp(J("transport"), "tcp") == 0 ? SIP_TCP :
		    SIP_UDP;
		peer.sa.sin_family = AF_INET;
		peer.sa.sin_port = htons((uint16_t)atoi(J("port")));
		/* the registration's connection, when it still has one */
		d = dev_find(sip_ctx(sd), db_res_get(r, 0, 3, NULL),
		    db_res_get(r, 0, 2, NULL));
		if (d != NULL && d->peer.tp == peer.tp)
			peer = d->peer;
		if (d != NULL || inet_pton(AF_INET, J("ip"),
		    &peer.sa.sin_addr) == 1)
			invite_in_dialog(sd, "BYE", J("target"), J("from"),
			    J("to"), J("call_id"), (unsigned)atoi(J("cseq")) + 1,
			    &peer);
#undef J
		json_object_put(o);
	}
	error = db_exec(sd->db, NULL, invite_delete_sql, "i",
	    (int64_t)stream);
	if (error)
		snprintf(err, errsz, "database: %s", strerror(error));
	else
		log_info("stream %" PRIu64 ": BYE, session deleted", stream);
out:
	db_res_free(r);
	return error;
}

int
invite_bye_received(struct sipd *sd, osip_message_t *req)
{
	const char *cid = req->call_id->number;
	char like[160];
	struct db_res *r = NULL;
	uint64_t stream = 0, tenant = 0;
	int error;

	/* our Call-IDs are hex: anything else is no dialog of ours */
	if (cid == NULL || strlen(cid) > 64 ||
	    strspn(cid, "0123456789abcdef") != strlen(cid))
		return 481;
	snprintf(like, sizeof(like), "%%\"call_id\":\"%s\"%%", cid);
	if (db_query(sd->db, &r, invite_by_call_sql, "s", like) != 0)
		return 500;
	if (db_res_rows(r) == 0) {
		db_res_free(r);
		return 481;
	}
	stream = strtoull(db_res_get(r, 0, 0, NULL), NULL, 10);
	tenant = strtoull(db_res_get(r, 0, 1, NULL), NULL, 10);
	db_res_free(r);
	/* mediad closes the receiver and the stream goes off */
	if ((error = db_begin(sd->db)) == 0 &&
	    (error = db_exec(sd->db, NULL, invite_closing_sql, "ii",
	    (int64_t)stream, (int64_t)tenant)) == 0 &&
	    (error = job_enqueue(sd->db, tenant, "stream.stop", stream,
	    "{\"reason\":\"bye\"}")) == 0)
		error = db_commit(sd->db);
	if (error) {
		db_rollback(sd->db);
		return 500;
	}
	log_info("stream %" PRIu64 ": the device hung up (BYE)", stream);
	return 200;
}
