/*
 * sipd's SIP core on libosip2: the transaction layer (ICT/IST/NICT/NIST)
 * driven from the loop, requests dispatched by method, responses and new
 * requests built here. Transactions are found by our own hash of their
 * branch (libosip2's lists are searched linearly) and their events run at
 * once; libosip2's timers run every SIP_TICK_MS.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "common/conf.h"
#include "common/crypto.h"
#include "common/log.h"
#include "common/vtime.h"
#include "mediad/loop.h"
#include "pool.h"
#include "sip.h"
#include "sipmsg.h"

#define SIP_UA		"Vigil"
#define SIP_KEY_MAX	256

/* The request being handled comes from here (callbacks lack it). */
static const struct sip_peer *sip_cur_peer;
/* Room for a request we build as text. */
static char sip_out[SIP_MAX_MSG + 1];

static int
sip_tr_class(const char *cseq_method, int request)
{
	int inv = strcmp(cseq_method, "INVITE") == 0 ||
	    strcmp(cseq_method, "ACK") == 0;

	return request ? (inv ? IST : NIST) : (inv ? ICT : NICT);
}

/* The key of a transaction: its class and branch (or Call-ID and CSeq for
 * an RFC 2543 peer without a magic-cookie branch). */
static size_t
sip_tr_key(char *out, int cls, osip_via_t *via, const osip_call_id_t *cid,
    const osip_cseq_t *cseq)
{
	osip_generic_param_t *b = NULL;
	int n;

	if (via != NULL)
		osip_via_param_get_byname(via, (char *)"branch", &b);
	if (b != NULL && b->gvalue != NULL &&
	    strncmp(b->gvalue, "z9hG4bK", 7) == 0)
		n = snprintf(out, SIP_KEY_MAX, "%d|%s", cls, b->gvalue);
	else
		n = snprintf(out, SIP_KEY_MAX, "%d|%s@%s|%s", cls,
		    cid && cid->number ? cid->number : "",
		    cid && cid->host ? cid->host : "",
		    cseq && cseq->number ? cseq->number : "");
	return n < 0 ? 0 : (size_t)n >= SIP_KEY_MAX ? SIP_KEY_MAX - 1 :
	    (size_t)n;
}

static size_t
sip_tr_key_of(char *out, const osip_transaction_t *tr)
{
	return sip_tr_key(out, tr->ctx_type, tr->topvia, tr->callid,
	    tr->cseq);
}

static int
sip_tr_eq(const void *p, const void *key)
{
	char k[SIP_KEY_MAX];

	sip_tr_key_of(k, p);
	return strcmp(k, key) == 0;
}

static osip_transaction_t *
sip_tr_find(struct sip_ctx *c, const char *key, size_t n)
{
	return htab_find(&c->trs, htab_hash(HTAB_SEED, key, n), sip_tr_eq,
	    key);
}

static void
sip_tr_index(struct sip_ctx *c, osip_transaction_t *tr)
{
	char k[SIP_KEY_MAX];
	size_t n = sip_tr_key_of(k, tr);

	if (htab_add(&c->trs, htab_hash(HTAB_SEED, k, n), tr) != 0)
		log_warnx("sip: transaction table full");
}

/* Runs evt on tr, then what the callbacks queued for it. */
static void
sip_tr_run(osip_transaction_t *tr, osip_event_t *evt)
{
	osip_event_t *e;

	osip_transaction_execute(tr, evt);
	/* a killed transaction is on the dead list: its events die with it */
	while (tr->reserved6 == NULL &&
	    (e = osip_fifo_tryget(tr->transactionff)) != NULL)
		osip_transaction_execute(tr, e);
}

/*
 * Final answers of non-INVITE requests over UDP, kept SIP_ABSORB_S seconds
 * to answer a retransmitted request again (what a NIST does in its
 * Completed state). The transaction itself ends at once: libosip2 keeps
 * transactions in lists it appends to and walks, which at thousands of
 * keepalives a second would cost more than all the rest.
 */
struct absorb {
	struct absorb		*next;		/* by age */
	uint32_t		 h;
	time_t			 expires;
	size_t			 len;
	char			*key;
	char			 data[];	/* the answer, then the key */
};

static int
sip_absorb_eq(const void *p, const void *key)
{
	return strcmp(((const struct absorb *)p)->key, key) == 0;
}

static void
sip_absorb_put(struct sip_ctx *c, const char *key, size_t klen,
    const char *buf, size_t len)
{
	struct absorb *a;

	if ((a = malloc(sizeof(*a) + len + klen + 1)) == NULL)
		return;
	memcpy(a->data, buf, len);
	a->key = a->data + len;
	memcpy(a->key, key, klen + 1);
	a->len = len;
	a->h = htab_hash(HTAB_SEED, key, klen);
	a->expires = c->now + SIP_ABSORB_S;
	a->next = NULL;
	if (htab_add(&c->absorb, a->h, a) != 0) {
		free(a);
		return;
	}
	if (c->absorb_tail != NULL)
		c->absorb_tail->next = a;
	else
		c->absorb_head = a;
	c->absorb_tail = a;
}

static void
sip_absorb_expire(struct sip_ctx *c, time_t now)
{
	struct absorb *a;

	while ((a = c->absorb_head) != NULL && (now == 0 || a->expires <= now)) {
		c->absorb_head = a->next;
		if (c->absorb_head == NULL)
			c->absorb_tail = NULL;
		htab_del(&c->absorb, a->h, a);
		free(a);
	}
}

/* Ends a NIST that answered: the answer is kept for retransmissions. */
static void
sip_tr_done(struct sip_ctx *c, osip_transaction_t *tr)
{
	char k[SIP_KEY_MAX];
	size_t n;

	if (tr->reserved6 != NULL)
		return;
	n = sip_tr_key_of(k, tr);
	htab_del(&c->trs, htab_hash(HTAB_SEED, k, n), tr);
	osip_remove_transaction(c->osip, tr);
	tr->reserved6 = c->dead != NULL ? (void *)c->dead : (void *)tr;
	c->dead = tr;
}

/* --- libosip2 callbacks --- */

static struct sipd *
sip_sd(osip_transaction_t *tr)
{
	return osip_get_application_context(tr->config);
}

static int
sip_cb_send(osip_transaction_t *tr, osip_message_t *msg, char *host,
    int port, int out_socket)
{
	struct sipd *sd = sip_sd(tr);
	osip_via_t *via = osip_list_get(&msg->vias, 0);
	struct sip_peer peer = { .tp = SIP_UDP, .fd = -1 };
	char *buf = NULL;
	size_t len;
	int error;

	if (host == NULL || via == NULL)
		return -1;
	if (via->protocol != NULL && strcasecmp(via->protocol, "TCP") == 0) {
		peer.tp = SIP_TCP;
		peer.fd = out_socket > 0 ? out_socket : -1;
	}
	peer.sa.sin_family = AF_INET;
	peer.sa.sin_port = htons((uint16_t)(port > 0 ? port : 5060));
	if (inet_pton(AF_INET, host, &peer.sa.sin_addr) != 1) {
		log_debug("sip: cannot send to %s", host);
		return -1;
	}
	if (osip_message_to_str(msg, &buf, &len) != 0)
		return -1;
	error = transport_send(sip_ctx(sd)->tp, &peer, buf, len);
	if (tr != NULL && tr->ctx_type == NIST && peer.tp == SIP_UDP &&
	    MSG_IS_RESPONSE(msg) && msg->status_code >= 200) {
		char k[SIP_KEY_MAX];

		sip_absorb_put(sip_ctx(sd), k, sip_tr_key_of(k, tr), buf, len);
	}
	osip_free(buf);
	return error ? -1 : 0;
}

static void
sip_cb_kill(int type, osip_transaction_t *tr)
{
	struct sipd *sd = sip_sd(tr);
	struct sip_ctx *c = sip_ctx(sd);
	char k[SIP_KEY_MAX];
	size_t n;

	if (tr->reserved6 != NULL)
		return;
	if (type == OSIP_ICT_KILL_TRANSACTION && tr->reserved1 != NULL)
		invite_failed(sd, tr, 0);
	n = sip_tr_key_of(k, tr);
	htab_del(&c->trs, htab_hash(HTAB_SEED, k, n), tr);
	osip_remove_transaction(c->osip, tr);
	/* freed after the batch: the caller still holds it */
	tr->reserved6 = c->dead != NULL ? (void *)c->dead : (void *)tr;
	c->dead = tr;
}

static void
sip_cb_tp_error(int type, osip_transaction_t *tr, int error)
{
	log_debug("sip: transport error %d on transaction %d", error,
	    tr->transactionid);
	if (type == OSIP_ICT_TRANSPORT_ERROR && tr->reserved1 != NULL)
		invite_failed(sip_sd(tr), tr, 503);
}

static void
sip_cb_ict(int type, osip_transaction_t *tr, osip_message_t *msg)
{
	struct sipd *sd = sip_sd(tr);

	switch (type) {
	case OSIP_ICT_STATUS_2XX_RECEIVED:
		invite_answered(sd, tr, msg);
		break;
	case OSIP_ICT_STATUS_TIMEOUT:
		if (tr->reserved1 != NULL)
			invite_failed(sd, tr, 408);
		break;
	default:
		if (msg != NULL && msg->status_code >= 300 &&
		    tr->reserved1 != NULL)
			invite_failed(sd, tr, msg->status_code);
		break;
	}
}

static void
sip_cb_nict(int type, osip_transaction_t *tr, osip_message_t *msg)
{
	const char *m = tr->cseq && tr->cseq->method ? tr->cseq->method : "";

	if (type == OSIP_NICT_STATUS_TIMEOUT)
		log_debug("sip: %s to %s: no answer", m,
		    tr->to && tr->to->url && tr->to->url->username ?
		    tr->to->url->username : "?");
	else if (msg != NULL && msg->status_code >= 300)
		log_info("sip: %s to %s: %d %s", m,
		    tr->to && tr->to->url && tr->to->url->username ?
		    tr->to->url->username : "?", msg->status_code,
		    msg->reason_phrase ? msg->reason_phrase : "");
}

/* --- requests from devices --- */

static void
sip_on_message(struct sipd *sd, osip_transaction_t *tr,
    osip_message_t *req, const struct sip_peer *peer)
{
	struct sip_ctx *c = sip_ctx(sd);
	char space[GB_ID_LEN + 1], device[GB_ID_LEN + 1];
	struct sip_dev *d;
	const char *body;
	size_t len;
	int code;

	switch (sipmsg_key(req, space, device)) {
	case 0:
		/* after a restart devices keep sending: their registration
		 * holds */
		if ((d = dev_find(c, space, device)) == NULL)
			d = dev_load(sd, space, device, peer);
		break;
	case ENOENT:
		/* sent to sip:<domain> as it registered: from where it did */
		snprintf(space, sizeof(space), "?");
		d = dev_find_peer(c, device, peer);
		break;
	default:
		sip_respond(sd, tr, 400, NULL, NULL, NULL, 0);
		return;
	}
	if (d == NULL) {
		log_debug("sip: %s from %s/%s, not registered: 403",
		    req->sip_method, space, device);
		sip_respond(sd, tr, 403, NULL, NULL, NULL, 0);
		return;
	}
	/*
	 * A new NAT port or TCP connection from the registered address: send
	 * there. Another address must REGISTER (MESSAGEs are not
	 * authenticated: one must not be able to redirect a device's media).
	 */
	if (peer->tp == d->peer.tp && peer->sa.sin_addr.s_addr ==
	    d->peer.sa.sin_addr.s_addr && (peer->sa.sin_port !=
	    d->peer.sa.sin_port || peer->gen != d->peer.gen)) {
		d->peer = *peer;
		inet_ntop(AF_INET, &peer->sa.sin_addr, d->ip, sizeof(d->ip));
		d->port = ntohs(peer->sa.sin_port);
	}
	sipmsg_body(req, &body, &len);
	code = body != NULL && len > 0 ?
	    manscdp_handle(sd, &d->dev, body, len) : 400;
	sip_respond(sd, tr, code, NULL, NULL, NULL, 0);
}

static void
sip_on_bye(struct sipd *sd, osip_transaction_t *tr, osip_message_t *req,
    const struct sip_peer *peer)
{
	/* its From is the channel, not the device: the Call-ID finds it */
	sip_respond(sd, tr, invite_bye_received(sd, req), NULL, NULL, NULL,
	    0);
}

static void
sip_on_options(struct sipd *sd, osip_transaction_t *tr, osip_message_t *req,
    const struct sip_peer *peer)
{
	sip_respond(sd, tr, 200, "Allow: REGISTER, MESSAGE, NOTIFY, BYE, "
	    "OPTIONS, ACK\r\n", NULL, NULL, 0);
}

static void
sip_on_not_allowed(struct sipd *sd, osip_transaction_t *tr,
    osip_message_t *req, const struct sip_peer *peer)
{
	sip_respond(sd, tr, 405, "Allow: REGISTER, MESSAGE, NOTIFY, BYE, "
	    "OPTIONS, ACK\r\n", NULL, NULL, 0);
}

static void
sip_on_cancel(struct sipd *sd, osip_transaction_t *tr, osip_message_t *req,
    const struct sip_peer *peer)
{
	/* we answer every INVITE at once: nothing is left to cancel */
	sip_respond(sd, tr, 481, NULL, NULL, NULL, 0);
}

static const struct {
	const char	*method;
	void		(*fn)(struct sipd *, osip_transaction_t *,
			    osip_message_t *, const struct sip_peer *);
} sip_methods[] = {
	{ "REGISTER", register_handle },
	{ "MESSAGE", sip_on_message },
	{ "NOTIFY", sip_on_message },
	{ "BYE", sip_on_bye },
	{ "OPTIONS", sip_on_options },
	{ "CANCEL", sip_on_cancel },
	{ "INVITE", sip_on_not_allowed },
	{ "SUBSCRIBE", sip_on_not_allowed },
	{ "INFO", sip_on_not_allowed },
	{ "UPDATE", sip_on_not_allowed },
	{ "PRACK", sip_on_not_allowed },
	{ "REFER", sip_on_not_allowed },
	{ "PUBLISH", sip_on_not_allowed },
};

static void
sip_cb_request(int type, osip_transaction_t *tr, osip_message_t *req)
{
	struct sipd *sd = sip_sd(tr);
	const struct sip_peer *peer = sip_cur_peer;

	if (peer == NULL || req->sip_method == NULL)
		return;
	for (size_t i = 0; i < sizeof(sip_methods) / sizeof(sip_methods[0]);
	    i++)
		if (strcmp(sip_methods[i].method, req->sip_method) == 0) {
			sip_methods[i].fn(sd, tr, req, peer);
			return;
		}
	sip_respond(sd, tr, 501, NULL, NULL, NULL, 0);
}

/* --- input --- */

/* Sets the top Via's received and rport to the source address, so
 * responses go where the request came from (NAT, RFC 3581). */
static void
sip_fix_via(osip_message_t *m, const struct sip_peer *peer)
{
	osip_via_t *via = osip_list_get(&m->vias, 0);
	osip_generic_param_t *p;
	char ip[INET_ADDRSTRLEN], port[8];

	if (via == NULL)
		return;
	inet_ntop(AF_INET, &peer->sa.sin_addr, ip, sizeof(ip));
	snprintf(port, sizeof(port), "%u", ntohs(peer->sa.sin_port));
	p = NULL;
	if (osip_via_param_get_byname(via, (char *)"received", &p) == 0 &&
	    p != NULL) {
		osip_free(p->gvalue);
		p->gvalue = osip_strdup(ip);
	} else
		osip_via_param_add(via, osip_strdup("received"),
		    osip_strdup(ip));
	p = NULL;
	if (osip_via_param_get_byname(via, (char *)"rport", &p) == 0 &&
	    p != NULL) {
		osip_free(p->gvalue);
		p->gvalue = osip_strdup(port);
	} else
		osip_via_param_add(via, osip_strdup("rport"),
		    osip_strdup(port));
}

void
sip_input(struct sipd *sd, const char *buf, size_t len,
    const struct sip_peer *peer)
{
	struct sip_ctx *c = sip_ctx(sd);
	osip_transaction_t *tr;
	osip_event_t *evt;
	osip_message_t *m;
	char key[SIP_KEY_MAX];
	size_t n;

	c->rx++;
	c->now = time(NULL);
	if ((evt = osip_parse(buf, len)) == NULL) {
		c->rx_bad++;
		log_debug("sip: unparsable message from %s:%d",
		    inet_ntoa(peer->sa.sin_addr), ntohs(peer->sa.sin_port));
		return;
	}
	m = evt->sip;
	if (m->cseq == NULL || m->cseq->method == NULL ||
	    m->cseq->number == NULL || m->call_id == NULL ||
	    m->from == NULL || m->to == NULL ||
	    osip_list_get(&m->vias, 0) == NULL ||
	    (MSG_IS_REQUEST(m) && (m->req_uri == NULL ||
	    strcmp(m->sip_method, m->cseq->method) != 0))) {
		c->rx_bad++;
		osip_event_free(evt);
		return;
	}
	if (MSG_IS_REQUEST(m))
		sip_fix_via(m, peer);
	n = sip_tr_key(key, sip_tr_class(m->cseq->method, MSG_IS_REQUEST(m)),
	    osip_list_get(&m->vias, 0), m->call_id, m->cseq);
	tr = sip_tr_find(c, key, n);
	if (tr == NULL && MSG_IS_RESPONSE(m)) {
		if (MSG_IS_STATUS_2XX(m) && strcmp(m->cseq->method,
		    "INVITE") == 0)
			invite_reack(sd, m, peer);
		osip_event_free(evt);
		return;
	}
	if (tr == NULL && MSG_IS_REQUEST(m) && !MSG_IS_ACK(m)) {
		struct absorb *a = htab_find(&c->absorb, htab_hash(HTAB_SEED,
		    key, n), sip_absorb_eq, key);

		if (a != NULL) {
			/* a retransmission: the same answer again */
			transport_send(c->tp, peer, a->data, a->len);
			osip_event_free(evt);
			return;
		}
	}
	if (tr == NULL && MSG_IS_ACK(m)) {
		/* the ACK of a 2xx: we accept no INVITE, nothing to do */
		osip_event_free(evt);
		return;
	}
	if (tr == NULL) {
		if ((tr = osip_create_transaction(c->osip, evt)) == NULL) {
			osip_event_free(evt);
			return;
		}
		if (peer->tp == SIP_TCP) {
			osip_transaction_set_in_socket(tr, peer->fd);
			osip_transaction_set_out_socket(tr, peer->fd);
		}
		sip_tr_index(c, tr);
	}
	sip_cur_peer = peer;
	sip_tr_run(tr, evt);
	sip_cur_peer = NULL;
	if (tr->ctx_type == NIST && tr->state == NIST_COMPLETED)
		sip_tr_done(c, tr);
	/* nothing holds them now: their memory is reused hot by the next
	 * message rather than after a batch of hundreds */
	sip_reap(sd);
	/* the 200 OK is out: now the device may be queried */
	while (c->nfresh > 0) {
		struct sip_dev *d = c->fresh[--c->nfresh];

		d->fresh = 0;
		register_fresh(sd, d);
	}
}

void
sip_tick(void *arg)
{
	struct sipd *sd = arg;
	osip_t *o = sip_ctx(sd)->osip;

	sip_ctx(sd)->now = time(NULL);
	sip_absorb_expire(sip_ctx(sd), sip_ctx(sd)->now);
	osip_timers_ict_execute(o);
	osip_timers_ist_execute(o);
	osip_timers_nict_execute(o);
	osip_timers_nist_execute(o);
	osip_ict_execute(o);
	osip_ist_execute(o);
	osip_nict_execute(o);
	osip_nist_execute(o);
}

void
sip_reap(void *arg)
{
	struct sip_ctx *c = sip_ctx(arg);
	osip_transaction_t *tr, *next;

	for (tr = c->dead; tr != NULL; tr = next) {
		next = tr->reserved6 == tr ? NULL : tr->reserved6;
		osip_transaction_free2(tr);
	}
	c->dead = NULL;
}

/* --- output --- */

void
sip_random_token(char *out, size_t n)
{
	uint8_t b[32];
	size_t k = (n - 1) / 2 < sizeof(b) ? (n - 1) / 2 : sizeof(b);

	crypto_random(b, k);
	crypto_hex(out, b, k, 0);
}

int
sip_local_port(const struct sip_ctx *c, enum sip_tp tp)
{
	return tp == SIP_TCP ? c->tcp_port : c->udp_port;
}

/* Adds "Name: value" lines of hdrs to m. */
static void
sip_add_headers(osip_message_t *m, const char *hdrs)
{
	char name[64], value[512];

	while (hdrs != NULL && *hdrs != '\0') {
		const char *colon = strchr(hdrs, ':');
		const char *eol = strstr(hdrs, "\r\n");
		size_t nl, vl;

		if (colon == NULL || eol == NULL || colon > eol)
			return;
		nl = (size_t)(colon - hdrs);
		for (colon++; *colon == ' '; colon++)
			;
		vl = (size_t)(eol - colon);
		if (nl < sizeof(name) && vl < sizeof(value)) {
			memcpy(name, hdrs, nl);
			name[nl] = '\0';
			memcpy(value, colon, vl);
			value[vl] = '\0';
			osip_message_set_header(m, name, value);
		}
		hdrs = eol + 2;
	}
}

int
sip_respond(struct sipd *sd, osip_transaction_t *tr, int code,
    const char *headers, const char *ctype, const char *body, size_t len)
{
	osip_message_t *req = tr->orig_request, *r = NULL;
	osip_event_t *evt;
	int i;

	if (req == NULL || osip_message_init(&r) != 0)
		return ENOMEM;
	r->sip_version = osip_strdup("SIP/2.0");
	osip_message_set_status_code(r, code);
	osip_message_set_reason_phrase(r,
	    osip_strdup(osip_message_get_reason(code) ?
	    osip_message_get_reason(code) : "Unknown"));
	for (i = 0; i < osip_list_size(&req->vias); i++) {
		osip_via_t *v = NULL;

		if (osip_via_clone(osip_list_get(&req->vias, i), &v) == 0)
			osip_list_add(&r->vias, v, -1);
	}
	if (osip_from_clone(req->from, &r->from) != 0 ||
	    osip_to_clone(req->to, &r->to) != 0 ||
	    osip_call_id_clone(req->call_id, &r->call_id) != 0 ||
	    osip_cseq_clone(req->cseq, &r->cseq) != 0) {
		osip_message_free(r);
		return ENOMEM;
	}
	if (code > 100 && sipmsg_tag(r->to) == NULL) {
		char tag[17];

		sip_random_token(tag, sizeof(tag));
		osip_to_set_tag(r->to, osip_strdup(tag));
	}
	osip_message_set_header(r, "User-Agent", SIP_UA);
	sip_add_headers(r, headers);
	if (body != NULL && len > 0) {
		osip_message_set_content_type(r, ctype);
		osip_message_set_body(r, body, len);
	}
	if ((evt = osip_new_outgoing_sipmessage(r)) == NULL) {
		osip_message_free(r);
		return ENOMEM;
	}
	osip_transaction_add_event(tr, evt);
	return 0;
}

/* Starts a client transaction for m (parsed, ours) towards peer. */
static int
sip_client(struct sipd *sd, osip_message_t *m, const struct sip_peer *peer,
    void *inst, osip_transaction_t **trp)
{
	struct sip_ctx *c = sip_ctx(sd);
	int inv = strcmp(m->sip_method, "INVITE") == 0;
	char ip[INET_ADDRSTRLEN];
	osip_transaction_t *tr;
	osip_event_t *evt;

	if (osip_transaction_init(&tr, inv ? ICT : NICT, c->osip, m) != 0) {
		osip_message_free(m);
		return EINVAL;
	}
	inet_ntop(AF_INET, &peer->sa.sin_addr, ip, sizeof(ip));
	/* where the device speaks from, not what its Contact claims */
	if (inv)
		osip_ict_set_destination(tr->ict_context, osip_strdup(ip),
		    ntohs(peer->sa.sin_port));
	else
		osip_nict_set_destination(tr->nict_context, osip_strdup(ip),
		    ntohs(peer->sa.sin_port));
	if (peer->tp == SIP_TCP)
		osip_transaction_set_out_socket(tr, peer->fd);
	osip_transaction_set_your_instance(tr, inst);
	sip_tr_index(c, tr);
	if (trp != NULL)
		*trp = tr;
	if ((evt = osip_new_outgoing_sipmessage(m)) == NULL)
		return ENOMEM;
	sip_tr_run(tr, evt);
	return 0;
}

int
sip_send_text(struct sipd *sd, const char *text, size_t len,
    const struct sip_peer *peer, void *inst, osip_transaction_t **trp)
{
	osip_message_t *m = NULL;

	if (trp != NULL)
		*trp = NULL;
	if (strncmp(text, "ACK ", 4) == 0)
		return transport_send(sip_ctx(sd)->tp, peer, text, len);
	if (osip_message_init(&m) != 0)
		return ENOMEM;
	if (osip_message_parse(m, text, len) != 0 || m->sip_method == NULL) {
		log_warnx("sip: a request we built does not parse");
		osip_message_free(m);
		return EINVAL;
	}
	return sip_client(sd, m, peer, inst, trp);
}

int
sip_request(struct sipd *sd, struct sip_dev *d, const char *method,
    const char *ruri_user, const char *headers, const char *ctype,
    const char *body, size_t len, void *inst, osip_transaction_t **trp)
{
	struct sip_ctx *c = sip_ctx(sd);
	const char *tp = d->peer.tp == SIP_TCP ? "TCP" : "UDP";
	char branch[25], tag[17], cid[33];
	int n;

	sip_random_token(branch, sizeof(branch));
	sip_random_token(tag, sizeof(tag));
	sip_random_token(cid, sizeof(cid));
	n = snprintf(sip_out, sizeof(sip_out),
	    "%s sip:%s@%s:%d SIP/2.0\r\n"
	    "Via: SIP/2.0/%s %s:%d;rport;branch=z9hG4bK%s\r\n"
	    "From: <sip:%s@%s>;tag=%s\r\n"
	    "To: <sip:%s@%s:%d>\r\n"
	    "Call-ID: %s\r\n"
	    "CSeq: %u %s\r\n"
	    "Contact: <sip:%s@%s:%d>\r\n"
	    "Max-Forwards: 70\r\n"
	    "User-Agent: " SIP_UA "\r\n"
	    "%s"
	    "%s%s%s"
	    "Content-Length: %zu\r\n\r\n",
	    method, ruri_user, d->ip, d->port,
	    tp, c->ip, sip_local_port(c, d->peer.tp), branch,
	    d->dev.group_gb_id, sd->conf->gb_domain, tag,
	    ruri_user, d->ip, d->port,
	    cid,
	    ++d->cseq, method,
	    d->dev.group_gb_id, c->ip, sip_local_port(c, d->peer.tp),
	    headers ? headers : "",
	    ctype ? "Content-Type: " : "", ctype ? ctype : "",
	    ctype ? "\r\n" : "", len);
	if (n < 0 || (size_t)n + len >= sizeof(sip_out))
		return EMSGSIZE;
	memcpy(sip_out + n, body, len);
	sip_out[n + len] = '\0';
	return sip_send_text(sd, sip_out, (size_t)n + len, &d->peer, inst,
	    trp);
}

/* --- the MANSCDP side's requests --- */

int
sip_message(struct sipd *sd, struct gb_dev *dev, const char *body,
    size_t len)
{
	struct sip_dev *d = dev != NULL ? dev->sip : NULL;

	if (d == NULL)
		return ENOENT;
	return sip_request(sd, d, "MESSAGE", dev->gb_id, NULL,
	    "Application/MANSCDP+xml", body, len, NULL, NULL);
}

int
sip_subscribe(struct sipd *sd, struct gb_dev *dev, const char *event,
    int expires, const char *body, size_t len)
{
	struct sip_dev *d = dev != NULL ? dev->sip : NULL;
	char hdrs[128];

	if (d == NULL)
		return ENOENT;
	snprintf(hdrs, sizeof(hdrs), "Event: %s\r\nExpires: %d\r\n", event,
	    expires);
	return sip_request(sd, d, "SUBSCRIBE", dev->gb_id, hdrs,
	    "Application/MANSCDP+xml", body, len, NULL, NULL);
}

/* --- setup --- */

/* libosip2's trace logger: its lines are dropped (see sip_init). */
static void
sip_osip_trace(const char *file, int line, osip_trace_level_t level,
    const char *fmt, va_list ap)
{
}

int
sip_init(struct sipd *sd, struct loop *l)
{
	struct sip_ctx *c;
	osip_t *o;
	int error;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return ENOMEM;
	sd->priv = c;
	c->sd = sd;
	c->loop = l;
	c->now = time(NULL);
	c->drained_us = vtime_mono_us();
	snprintf(c->ip, sizeof(c->ip), "%s", sd->conf->gb_ip);
	c->udp_port = sd->conf->gb_udp_port;
	c->tcp_port = sd->conf->gb_tcp_port;
	if ((error = crypto_random(c->nonce_key, sizeof(c->nonce_key))) != 0)
		return error;
	pool_install();
	if (osip_init(&o) != 0)
		return ENOMEM;
	/*
	 * Its traces, lines per malformed message, would flood our log: ours
	 * count them instead (rx_bad in the stats line). Disabling the levels
	 * alone is not enough: Debian's build (ENABLE_TRACE) writes to stdout,
	 * whatever the levels, until a logger is installed; so one is, that
	 * drops them, and then every level is off.
	 */
	osip_trace_initialize_func(TRACE_LEVEL0, sip_osip_trace);
	for (int lvl = TRACE_LEVEL0; lvl < END_TRACE_LEVEL; lvl++)
		osip_trace_disable_level((osip_trace_level_t)lvl);
	c->osip = o;
	osip_set_application_context(o, sd);
	osip_set_cb_send_message(o, sip_cb_send);
	for (int t = OSIP_ICT_KILL_TRANSACTION; t < OSIP_KILL_CALLBACK_COUNT;
	    t++)
		osip_set_kill_transaction_callback(o, t, sip_cb_kill);
	for (int t = OSIP_ICT_TRANSPORT_ERROR;
	    t < OSIP_TRANSPORT_ERROR_CALLBACK_COUNT; t++)
		osip_set_transport_error_callback(o, t, sip_cb_tp_error);
	for (int t = OSIP_ICT_STATUS_1XX_RECEIVED;
	    t <= OSIP_ICT_STATUS_3456XX_RECEIVED_AGAIN; t++)
		osip_set_message_callback(o, t, sip_cb_ict);
	osip_set_message_callback(o, OSIP_ICT_STATUS_TIMEOUT, sip_cb_ict);
	for (int t = OSIP_NICT_STATUS_1XX_RECEIVED;
	    t <= OSIP_NICT_STATUS_3456XX_RECEIVED_AGAIN; t++)
		osip_set_message_callback(o, t, sip_cb_nict);
	osip_set_message_callback(o, OSIP_NICT_STATUS_TIMEOUT, sip_cb_nict);
	osip_set_message_callback(o, OSIP_IST_INVITE_RECEIVED, sip_cb_request);
	for (int t = OSIP_NIST_REGISTER_RECEIVED;
	    t <= OSIP_NIST_UNKNOWN_REQUEST_RECEIVED; t++)
		osip_set_message_callback(o, t, sip_cb_request);
	return transport_open(sd, l, &c->tp);
}

void
sip_free(struct sipd *sd)
{
	struct sip_ctx *c = sip_ctx(sd);

	if (c == NULL)
		return;
	invite_free_all(sd);
	/* the devices stay registered in the database for the next start */
	for (size_t i = 0; i < c->devs.cap; i++) {
		struct sip_dev *d = c->devs.e[i].p;

		if (d != NULL) {
			manscdp_forget(sd, &d->dev);
			dev_free(d);
		}
	}
	htab_free(&c->devs);
	htab_free(&c->devs_by_id);
	sip_reap(sd);
	htab_free(&c->trs);
	sip_absorb_expire(c, 0);
	htab_free(&c->absorb);
	transport_close(c->tp);
	/* transactions still live are left to the process's end */
	free(c);
	sd->priv = NULL;
}
