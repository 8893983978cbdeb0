/*
 * gbsim's devices, SIP side: REGISTER with digest, keepalives, MANSCDP
 * answers (Catalog, DeviceInfo, DeviceStatus), INVITE/ACK/BYE driving the
 * media senders, SUBSCRIBE with MobilePosition NOTIFYs, alarms.
 * libosip2 parses every message and builds the responses.
 */
#include <sys/epoll.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <errno.h>
#include <iconv.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <osipparser2/osip_md5.h>
#include <osipparser2/osip_parser.h>

#include "gbsim.h"

#define XML_HEAD	"<?xml version=\"1.0\" encoding=\"%s\"?>\r\n"
#define MANSCDP		"Application/MANSCDP+xml"
#define RETRANSMIT	2.0	/* s before the one REGISTER retransmission */

/* A MobilePosition or Alarm subscription the server holds on a device. */
struct sub {
	int		 active;
	char		*call_id;
	char		*to;		/* the subscriber's From, with its tag */
	char		*uri;		/* its Contact */
	char		*event;
	char		 tag[16];	/* ours */
	double		 interval;
	double		 until;
};

/* An INVITE dialog and its media. */
struct call {
	struct call		*next;
	struct dev		*d;
	char			*call_id;
	char			 channel[GBSIM_ID_LEN + 1];
	struct gbsim_stream	*s;
	int			 playback;
};

struct dev {
	int		 idx;
	char		 id[GBSIM_ID_LEN + 1];
	char		 tag[16];
	char		 reg_call_id[40];
	unsigned	 cseq;		/* of our last request */
	unsigned	 reg_cseq;	/* of the REGISTER in flight */
	int		 reg_expires;	/* asked for by it */
	int		 reg_auth;	/* it carries credentials */
	int		 reg_retries;
	char		*reg_text;	/* it, for the retransmission */
	unsigned	 nc;
	int		 registered;
	int		 done;
	int		 unregistering;
	double		 first_reg;	/* 0: not registered yet */
	unsigned	 sn;
	char		 ka_call_id[33];	/* of the last keepalive */
	double		 t_register, t_retransmit, t_keepalive, t_unregister,
			 t_alarm, t_position, t_restart;
	struct gbsim_fd	 f;
	uint16_t	 port;
	struct gbsim_obuf o;		/* TCP */
	char		*rbuf;		/* TCP: bytes of a partial message */
	size_t		 rlen;
	struct sockaddr_in peer;	/* where the last request came from */
	struct call	*calls;
	struct sub	 pos, alarm;
};

static struct dev *devs;
static const char *transport;

static void
rand_hex(char *out, size_t n)
{
	size_t i;

	for (i = 0; i + 1 < n; i++)
		out[i] = "0123456789abcdef"[rand() & 15];
	out[i] = '\0';
}

static void
md5_hex(char out[33], const char *fmt, ...)
{
	osip_MD5_CTX ctx;
	unsigned char dig[16];
	char buf[1024];
	va_list ap;
	int i;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	osip_MD5Init(&ctx);
	osip_MD5Update(&ctx, (unsigned char *)buf, strlen(buf));
	osip_MD5Final(dig, &ctx);
	for (i = 0; i < 16; i++)
		sprintf(out + 2 * i, "%02x", dig[i]);
}

/* Copies the text of the first <tag> in xml into out; 0 or ENOENT. */
static int
xml_get(const char *xml, const char *tag, char *out, size_t n)
{
	char open[64];
	const char *p, *e;

	snprintf(open, sizeof(open), "<%s>", tag);
	if ((p = strstr(xml, open)) == NULL)
		return ENOENT;
	p += strlen(open);
	if ((e = strchr(p, '<')) == NULL || (size_t)(e - p) >= n)
		return ENOENT;
	memcpy(out, p, e - p);
	out[e - p] = '\0';
	return 0;
}

static void
dev_send(struct dev *d, const char *msg, size_t n)
{
	if (gbsim_opt.sip_tcp)
		(void)gbsim_obuf_send(&d->o, &d->f, msg, n);
	else if (sendto(d->f.fd, msg, n, 0,
	    (struct sockaddr *)&gbsim_opt.server,
	    sizeof(gbsim_opt.server)) == -1)
		gbsim_event("error %s send: %s", d->id, strerror(errno));
}

/*
 * Sends a request from d. to: the To header; hdrs: more header lines,
 * each ending in CRLF; body: MANSCDP XML (converted to GB2312 if gb) or
 * NULL. Returns the text sent (the caller frees it) or NULL.
 */
static char *
dev_request(struct dev *d, const char *method, const char *uri,
    const char *to, const char *from_tag, const char *call_id,
    const char *hdrs, const char *body, int gb)
{
	char branch[17], *msg = NULL, *conv = NULL, *in, *out;
	size_t inl, outl, blen = body ? strlen(body) : 0;
	iconv_t cd;
	int n;

	if (gb && body && (cd = iconv_open("GB2312", "UTF-8")) !=
	    (iconv_t)-1) {
		in = (char *)body;
		inl = blen;
		outl = blen;
		if ((out = conv = malloc(blen + 1)) != NULL &&
		    iconv(cd, &in, &inl, &out, &outl) != (size_t)-1) {
			body = conv;
			blen = out - conv;
		}
		iconv_close(cd);
	}
	rand_hex(branch, sizeof(branch));
	n = asprintf(&msg, "%s %s SIP/2.0\r\n"
	    "Via: SIP/2.0/%s %s:%u;rport;branch=z9hG4bK%s\r\n"
	    "From: <sip:%s@%s>;tag=%s\r\n"
	    "To: %s\r\n"
	    "Call-ID: %s\r\n"
	    "CSeq: %u %s\r\n"
	    "Contact: <sip:%s@%s:%u>\r\n"
	    "Max-Forwards: 70\r\n"
	    "User-Agent: gbsim\r\n"
	    "%s%s%s"
	    "Content-Length: %zu\r\n\r\n%.*s",
	    method, uri, transport, gbsim_opt.local_ip, d->port, branch,
	    d->id, gbsim_opt.domain, from_tag, to, call_id, ++d->cseq, method,
	    d->id, gbsim_opt.local_ip, d->port, hdrs ? hdrs : "",
	    body ? "Content-Type: " : "", body ? MANSCDP "\r\n" : "",
	    blen, (int)blen, body ? body : "");
	free(conv);
	if (n < 0)
		return NULL;
	dev_send(d, msg, n);
	return msg;
}

/* The server's URI as --ruri says (REGISTER's and MESSAGEs' Request-URI). */
static void
dev_server_uri(char *uri, size_t n)
{
	if (gbsim_opt.ruri == GBSIM_RURI_DOMAIN)
		snprintf(uri, n, "sip:%s", gbsim_opt.domain);
	else if (gbsim_opt.ruri == GBSIM_RURI_ADDR)
		snprintf(uri, n, "sip:%s:%u",
		    inet_ntoa(gbsim_opt.server.sin_addr),
		    ntohs(gbsim_opt.server.sin_port));
	else
		snprintf(uri, n, "sip:%s@%s", gbsim_opt.server_id,
		    gbsim_opt.domain);
}

/*
 * Sends a MESSAGE with a MANSCDP body to the server, outside dialogs;
 * its Call-ID goes to call_id if not NULL.
 */
static void
dev_message(struct dev *d, const char *body, int gb, char call_id[33])
{
	char uri[128], to[160], tag[9], cid[33];

	dev_server_uri(uri, sizeof(uri));
	snprintf(to, sizeof(to), "<%s>", uri);
	rand_hex(tag, sizeof(tag));
	rand_hex(cid, sizeof(cid));
	if (call_id)
		memcpy(call_id, cid, sizeof(cid));
	free(dev_request(d, "MESSAGE", uri, to, tag, cid, NULL, body, gb));
}

/* Answers req; to_tag is added to To if it has none. */
static void
dev_respond(struct dev *d, const osip_message_t *req, int code,
    const char *to_tag, const char *hdrs[], const char *ctype,
    const char *body)
{
	osip_message_t *r;
	osip_generic_param_t *tag;
	char contact[128], *s = NULL;
	size_t n;
	int i;

	if (osip_message_init(&r) != 0)
		return;
	osip_message_set_version(r, osip_strdup("SIP/2.0"));
	osip_message_set_status_code(r, code);
	osip_message_set_reason_phrase(r,
	    osip_strdup(osip_message_get_reason(code)));
	osip_list_clone(&req->vias, &r->vias,
	    (int (*)(void *, void **))osip_via_clone);
	osip_from_clone(req->from, &r->from);
	osip_to_clone(req->to, &r->to);
	if (to_tag && r->to && osip_to_get_tag(r->to, &tag) != 0)
		osip_to_set_tag(r->to, osip_strdup(to_tag));
	osip_call_id_clone(req->call_id, &r->call_id);
	osip_cseq_clone(req->cseq, &r->cseq);
	snprintf(contact, sizeof(contact), "<sip:%s@%s:%u>", d->id,
	    gbsim_opt.local_ip, d->port);
	osip_message_set_contact(r, contact);
	osip_message_set_user_agent(r, "gbsim");
	for (i = 0; hdrs && hdrs[i]; i += 2)
		osip_message_set_header(r, hdrs[i], hdrs[i + 1]);
	if (body) {
		osip_message_set_content_type(r, ctype);
		osip_message_set_body(r, body, strlen(body));
	}
	if (osip_message_to_str(r, &s, &n) == 0) {
		if (gbsim_opt.sip_tcp)
			(void)gbsim_obuf_send(&d->o, &d->f, s, n);
		else
			(void)sendto(d->f.fd, s, n, 0,
			    (struct sockaddr *)&d->peer, sizeof(d->peer));
		osip_free(s);
	}
	osip_message_free(r);
}

static void
dev_keepalive(struct dev *d, double now)
{
	char body[512];

	if (!d->registered)
		return;
	if (gbsim_opt.stop_keepalive_after >= 0 &&
	    now - d->first_reg >= gbsim_opt.stop_keepalive_after)
		return;
	snprintf(body, sizeof(body), XML_HEAD "<Notify>\r\n"
	    "<CmdType>Keepalive</CmdType>\r\n<SN>%u</SN>\r\n"
	    "<DeviceID>%s</DeviceID>\r\n<Status>OK</Status>\r\n</Notify>\r\n",
	    "GB2312", ++d->sn, d->id);
	dev_message(d, body, 0, d->ka_call_id);
	if (!gbsim_opt.quiet)
		gbsim_event("keepalive %s", d->id);
	d->t_keepalive = now + gbsim_opt.keepalive;
}

/* The digest Authorization line answering the challenge in resp. */
static int
dev_auth(struct dev *d, const osip_message_t *resp, const char *uri,
    char *out, size_t n)
{
	osip_www_authenticate_t *wa;
	char *realm, *nonce, *opaque, *qop, ha1[33], ha2[33], rsp[33];
	char cnonce[17];
	size_t len;
	int auth;

	if (osip_message_get_www_authenticate(resp, 0, &wa) != 0 ||
	    wa->realm == NULL || wa->nonce == NULL)
		return EPROTO;
	realm = osip_strdup_without_quote(wa->realm);
	nonce = osip_strdup_without_quote(wa->nonce);
	opaque = wa->opaque ? osip_strdup_without_quote(wa->opaque) : NULL;
	qop = wa->qop_options ? osip_strdup_without_quote(wa->qop_options) :
	    NULL;
	auth = qop && strstr(qop, "auth") != NULL;
	md5_hex(ha1, "%s:%s:%s", d->id, realm, gbsim_opt.password);
	md5_hex(ha2, "REGISTER:%s", uri);
	rand_hex(cnonce, sizeof(cnonce));
	if (auth)
		md5_hex(rsp, "%s:%s:%08x:%s:auth:%s", ha1, nonce, ++d->nc,
		    cnonce, ha2);
	else
		md5_hex(rsp, "%s:%s:%s", ha1, nonce, ha2);
	len = snprintf(out, n, "Authorization: Digest username=\"%s\", "
	    "realm=\"%s\", nonce=\"%s\", uri=\"%s\", response=\"%s\", "
	    "algorithm=MD5", d->id, realm, nonce, uri, rsp);
	if (auth && len < n)
		len += snprintf(out + len, n - len,
		    ", cnonce=\"%s\", qop=auth, nc=%08x", cnonce, d->nc);
	if (opaque && len < n)
		len += snprintf(out + len, n - len, ", opaque=\"%s\"", opaque);
	if (len < n)
		len += snprintf(out + len, n - len, "\r\n");
	osip_free(realm);
	osip_free(nonce);
	osip_free(opaque);
	osip_free(qop);
	return len < n ? 0 : EOVERFLOW;
}

/*
 * Sends a REGISTER asking for expires seconds, with the credentials
 * answering challenge if not NULL.
 */
static void
dev_register(struct dev *d, int expires, const osip_message_t *challenge)
{
	char uri[128], to[160], hdrs[2048];
	size_t len;

	dev_server_uri(uri, sizeof(uri));
	snprintf(to, sizeof(to), "<sip:%s@%s>", d->id, gbsim_opt.domain);
	len = snprintf(hdrs, sizeof(hdrs), "Expires: %d\r\n", expires);
	d->reg_auth = challenge != NULL;
	if (challenge && dev_auth(d, challenge, uri, hdrs + len,
	    sizeof(hdrs) - len) != 0) {
		gbsim_event("error %s bad challenge", d->id);
		return;
	}
	free(d->reg_text);
	d->reg_text = dev_request(d, "REGISTER", uri, to, d->tag,
	    d->reg_call_id, hdrs, NULL, 0);
	d->reg_cseq = d->cseq;
	d->reg_expires = expires;
	d->reg_retries = 0;
	d->t_retransmit = gbsim_now() + RETRANSMIT;
}

static void
dev_calls_close(struct dev *d)
{
	struct call *c;

	while ((c = d->calls) != NULL) {
		d->calls = c->next;
		gbsim_stream_close(c->s);
		free(c->call_id);
		free(c);
	}
}

/* Unregistered or given up: no more timers, no more media. */
static void
dev_finish(struct dev *d)
{
	d->done = 1;
	d->registered = 0;
	d->t_register = d->t_retransmit = d->t_keepalive = 0;
	d->t_unregister = d->t_alarm = d->t_position = 0;
	dev_calls_close(d);
}

static void
dev_unregister(struct dev *d)
{
	d->unregistering = 1;
	d->t_keepalive = d->t_register = 0;
	dev_register(d, 0, NULL);
}

static void
dev_on_register(struct dev *d, const osip_message_t *resp)
{
	osip_www_authenticate_t *wa;
	osip_header_t *h;
	double now = gbsim_now(), expires;
	int code = resp->status_code;

	if (code < 200 || strtoul(resp->cseq->number, NULL, 10) !=
	    d->reg_cseq)
		return;
	d->t_retransmit = 0;
	if ((code == 401 || code == 407) && (!d->reg_auth ||
	    (osip_message_get_www_authenticate(resp, 0, &wa) == 0 &&
	    wa->stale && strcasecmp(wa->stale, "true") == 0))) {
		dev_register(d, d->reg_expires, resp);
		return;
	}
	if (code >= 300) {
		gbsim_event("register-failed %s %d", d->id, code);
		d->registered = 0;
		if (d->unregistering)
			dev_finish(d);
		else
			d->t_register = now + gbsim_opt.register_retry;
		return;
	}
	if (d->reg_expires == 0) {
		gbsim_event("unregistered %s", d->id);
		dev_finish(d);
		return;
	}
	expires = d->reg_expires;
	if (osip_message_get_expires(resp, 0, &h) >= 0 && h->hvalue)
		expires = atof(h->hvalue);
	if (!d->registered)
		gbsim_event("registered %s", d->id);
	if (d->first_reg == 0) {
		d->first_reg = now;
		if (gbsim_opt.unregister_after >= 0)
			d->t_unregister = now + gbsim_opt.unregister_after;
		if (gbsim_opt.alarm_after >= 0)
			d->t_alarm = now + gbsim_opt.alarm_after;
		if (gbsim_opt.restart_after >= 0)
			d->t_restart = now + gbsim_opt.restart_after;
	}
	if (!d->registered)
		d->t_keepalive = now + gbsim_opt.keepalive;
	d->registered = 1;
	d->t_register = now + (expires > 3 ? expires * 2 / 3 : 2);
}

static void
dev_fire_register(struct dev *d, double now)
{
	if (!d->unregistering)
		dev_register(d, gbsim_opt.expires, NULL);
}

/* One retransmission over UDP, then the attempt has timed out. */
static void
dev_fire_retransmit(struct dev *d, double now)
{
	if (d->reg_retries++ == 0 && !gbsim_opt.sip_tcp && d->reg_text) {
		dev_send(d, d->reg_text, strlen(d->reg_text));
		d->t_retransmit = now + RETRANSMIT;
		return;
	}
	gbsim_event("register-failed %s timeout", d->id);
	d->registered = 0;
	if (d->unregistering)
		dev_finish(d);
	else
		d->t_register = now + gbsim_opt.register_retry;
}

static void
dev_fire_unregister(struct dev *d, double now)
{
	dev_unregister(d);
}

static void
dev_fire_alarm(struct dev *d, double now)
{
	char body[1024], tm[32], hdrs[256];
	time_t t = time(NULL);

	strftime(tm, sizeof(tm), "%Y-%m-%dT%H:%M:%S", localtime(&t));
	snprintf(body, sizeof(body), XML_HEAD "<Notify>\r\n"
	    "<CmdType>Alarm</CmdType>\r\n<SN>%u</SN>\r\n"
	    "<DeviceID>%s</DeviceID>\r\n<AlarmPriority>1</AlarmPriority>\r\n"
	    "<AlarmMethod>5</AlarmMethod>\r\n<AlarmTime>%s</AlarmTime>\r\n"
	    "<AlarmDescription>gbsim alarm</AlarmDescription>\r\n"
	    "<Longitude>116.397128</Longitude>\r\n"
	    "<Latitude>39.916527</Latitude>\r\n"
	    "<Info>\r\n<AlarmType>2</AlarmType>\r\n</Info>\r\n</Notify>\r\n",
	    "GB2312", ++d->sn, d->id, tm);
	if (d->alarm.active) {
		snprintf(hdrs, sizeof(hdrs), "Event: %s\r\n"
		    "Subscription-State: active;expires=%d\r\n",
		    d->alarm.event, (int)(d->alarm.until - now));
		free(dev_request(d, "NOTIFY", d->alarm.uri, d->alarm.to,
		    d->alarm.tag, d->alarm.call_id, hdrs, body, 0));
	} else
		dev_message(d, body, 0, NULL);
	gbsim_event("alarm %s %s", d->id, d->alarm.active ? "notify" :
	    "message");
}

static void
dev_fire_position(struct dev *d, double now)
{
	struct sub *s = &d->pos;
	char body[1024], tm[32], hdrs[256];
	time_t t = time(NULL);

	if (!s->active || now >= s->until) {
		s->active = 0;
		return;
	}
	strftime(tm, sizeof(tm), "%Y-%m-%dT%H:%M:%S", localtime(&t));
	/* moves a little each time, so that updates are visible */
	snprintf(body, sizeof(body), XML_HEAD "<Notify>\r\n"
	    "<CmdType>MobilePosition</CmdType>\r\n<SN>%u</SN>\r\n"
	    "<DeviceID>%s</DeviceID>\r\n<Time>%s</Time>\r\n"
	    "<Longitude>%.6f</Longitude>\r\n<Latitude>%.6f</Latitude>\r\n"
	    "<Speed>0.0</Speed>\r\n<Direction>90.0</Direction>\r\n"
	    "<Altitude>50</Altitude>\r\n</Notify>\r\n", "GB2312", d->sn + 1,
	    d->id, tm, 116.397128 + d->sn * 1e-5, 39.916527 + d->idx * 1e-4);
	d->sn++;
	snprintf(hdrs, sizeof(hdrs), "Event: %s\r\n"
	    "Subscription-State: active;expires=%d\r\n", s->event,
	    (int)(s->until - now));
	free(dev_request(d, "NOTIFY", s->uri, s->to, s->tag, s->call_id,
	    hdrs, body, 0));
	if (!gbsim_opt.quiet)
		gbsim_event("notify %s MobilePosition", d->id);
	d->t_position = now + s->interval;
}

static int dev_open(struct dev *d);

/*
 * --restart-after: the device reboots keeping its Call-ID, as several do:
 * its dialogs and the server's subscriptions are gone, its CSeq starts
 * again (unless --restart-keep-cseq), from a new port with
 * --restart-new-port; then it registers anew.
 */
static void
dev_fire_restart(struct dev *d, double now)
{
	int error;

	gbsim_event("restart %s", d->id);
	dev_calls_close(d);
	d->pos.active = d->alarm.active = 0;
	d->registered = 0;
	d->t_keepalive = d->t_position = d->t_retransmit = 0;
	if (!gbsim_opt.restart_keep_cseq)
		d->cseq = 0;
	if (gbsim_opt.restart_new_port) {
		gbsim_fd_close(&d->f);
		free(d->rbuf);
		d->rbuf = NULL;
		d->rlen = 0;
		gbsim_obuf_free(&d->o);
		if ((error = dev_open(d)) != 0) {
			gbsim_event("error %s socket: %s", d->id,
			    strerror(error));
			d->t_register = now + gbsim_opt.register_retry;
			return;
		}
	}
	dev_register(d, gbsim_opt.expires, NULL);
}

static const struct dev_timer {
	size_t	  off;
	void	(*fire)(struct dev *, double);
} dev_timers[] = {
	{ offsetof(struct dev, t_register),	dev_fire_register },
	{ offsetof(struct dev, t_retransmit),	dev_fire_retransmit },
	{ offsetof(struct dev, t_keepalive),	dev_keepalive },
	{ offsetof(struct dev, t_unregister),	dev_fire_unregister },
	{ offsetof(struct dev, t_alarm),	dev_fire_alarm },
	{ offsetof(struct dev, t_position),	dev_fire_position },
	{ offsetof(struct dev, t_restart),	dev_fire_restart },
};

/* Channel i (0-based): domain part of the device id, type 131, serial. */
static void
dev_channel(const struct dev *d, int i, char out[GBSIM_ID_LEN + 1])
{
	snprintf(out, GBSIM_ID_LEN + 1, "%.10s1310%03u%03u", d->id,
	    (unsigned)atoi(d->id + 17) % 1000, (unsigned)(i + 1) % 1000);
}

static int
dev_has_channel(const struct dev *d, const char *id)
{
	char ch[GBSIM_ID_LEN + 1];
	int i;

	if (strcmp(id, d->id) == 0)
		return 1;
	for (i = 0; i < gbsim_opt.channels; i++) {
		dev_channel(d, i, ch);
		if (strcmp(ch, id) == 0)
			return 1;
	}
	return 0;
}

/* Answers Query Catalog in MESSAGEs of --catalog-split items. */
static void
dev_catalog(struct dev *d, const char *sn)
{
	int n = gbsim_opt.channels, k, i = 0, j, m, msgs = 0;
	const char *enc = gbsim_opt.gb2312 ? "GB2312" : "UTF-8";
	char ch[GBSIM_ID_LEN + 1], *body;
	size_t cap, len;

	k = gbsim_opt.catalog_split > 0 ? gbsim_opt.catalog_split : n;
	cap = 512 + (size_t)(k > 0 ? k : 1) * 1024;
	if ((body = malloc(cap)) == NULL)
		return;
	do {
		m = n - i < k ? n - i : k;
		len = snprintf(body, cap, XML_HEAD "<Response>\r\n"
		    "<CmdType>Catalog</CmdType>\r\n<SN>%s</SN>\r\n"
		    "<DeviceID>%s</DeviceID>\r\n<SumNum>%d</SumNum>\r\n"
		    "<DeviceList Num=\"%d\">\r\n", enc, sn, d->id, n, m);
		for (j = i; j < i + m; j++) {
			dev_channel(d, j, ch);
			/* Name: "通道<n>" (channel <n>) in UTF-8 */
			len += snprintf(body + len, cap - len, "<Item>\r\n"
			    "<DeviceID>%s</DeviceID>\r\n"
			    "<Name>\xe9\x80\x9a\xe9\x81\x93%d</Name>\r\n"
			    "<Manufacturer>%s</Manufacturer>\r\n"
			    "<Model>%s</Model>\r\n<Owner>Owner</Owner>\r\n"
			    "<CivilCode>%.6s</CivilCode>\r\n"
			    "<Address>Address</Address>\r\n"
			    "<Parental>0</Parental>\r\n"
			    "<ParentID>%s</ParentID>\r\n"
			    "<SafetyWay>0</SafetyWay>\r\n"
			    "<RegisterWay>1</RegisterWay>\r\n"
			    "<Secrecy>0</Secrecy>\r\n<Status>ON</Status>\r\n"
			    "<Longitude>116.397128</Longitude>\r\n"
			    "<Latitude>39.916527</Latitude>\r\n</Item>\r\n",
			    ch, j + 1, gbsim_opt.vendor, gbsim_opt.model, d->id,
			    d->id);
		}
		snprintf(body + len, cap - len, "</DeviceList>\r\n"
		    "</Response>\r\n");
		dev_message(d, body, gbsim_opt.gb2312, NULL);
		msgs++;
		i += m;
	} while (i < n);
	free(body);
	gbsim_event("catalog %s %d", d->id, msgs);
}

static void
dev_device_info(struct dev *d, const char *sn)
{
	char body[1024];

	snprintf(body, sizeof(body), XML_HEAD "<Response>\r\n"
	    "<CmdType>DeviceInfo</CmdType>\r\n<SN>%s</SN>\r\n"
	    "<DeviceID>%s</DeviceID>\r\n<DeviceName>gbsim %s</DeviceName>\r\n"
	    "<Result>OK</Result>\r\n<Manufacturer>%s</Manufacturer>\r\n"
	    "<Model>%s</Model>\r\n<Firmware>%s</Firmware>\r\n"
	    "<Channel>%d</Channel>\r\n</Response>\r\n", "GB2312", sn, d->id,
	    d->id + 14, gbsim_opt.vendor, gbsim_opt.model, gbsim_opt.firmware,
	    gbsim_opt.channels);
	dev_message(d, body, 0, NULL);
	gbsim_event("deviceinfo %s", d->id);
}

static void
dev_device_status(struct dev *d, const char *sn)
{
	char body[1024], tm[32];
	time_t t = time(NULL);

	strftime(tm, sizeof(tm), "%Y-%m-%dT%H:%M:%S", localtime(&t));
	snprintf(body, sizeof(body), XML_HEAD "<Response>\r\n"
	    "<CmdType>DeviceStatus</CmdType>\r\n<SN>%s</SN>\r\n"
	    "<DeviceID>%s</DeviceID>\r\n<Result>OK</Result>\r\n"
	    "<Online>ONLINE</Online>\r\n<Status>OK</Status>\r\n"
	    "<Encode>ON</Encode>\r\n<Record>OFF</Record>\r\n"
	    "<DeviceTime>%s</DeviceTime>\r\n<Alarmstatus Num=\"0\">\r\n"
	    "</Alarmstatus>\r\n</Response>\r\n", "GB2312", sn, d->id, tm);
	dev_message(d, body, 0, NULL);
	gbsim_event("devicestatus %s", d->id);
}

static const struct dev_query {
	const char	*cmd;
	void		(*answer)(struct dev *, const char *sn);
} dev_queries[] = {
	{ "Catalog",		dev_catalog },
	{ "DeviceInfo",		dev_device_info },
	{ "DeviceStatus",	dev_device_status },
};

static void
dev_on_message(struct dev *d, const osip_message_t *req)
{
	osip_body_t *b;
	char cmd[64], sn[32];
	size_t i;

	dev_respond(d, req, 200, d->tag, NULL, NULL, NULL);
	if (osip_message_get_body(req, 0, &b) != 0 || b->body == NULL ||
	    strstr(b->body, "<Query>") == NULL ||
	    xml_get(b->body, "CmdType", cmd, sizeof(cmd)) != 0)
		return;
	if (xml_get(b->body, "SN", sn, sizeof(sn)) != 0)
		strcpy(sn, "0");
	for (i = 0; i < sizeof(dev_queries) / sizeof(dev_queries[0]); i++)
		if (strcmp(cmd, dev_queries[i].cmd) == 0)
			dev_queries[i].answer(d, sn);
}

/* What an INVITE's SDP offers. */
struct offer {
	char		 ip[64];
	int		 port;
	int		 tcp;
	char		 ssrc[16];
	int		 playback;
	unsigned long	 start, end;
};

static int
sdp_parse(const char *sdp, struct offer *o)
{
	char line[256], proto[32];
	const char *e;
	size_t n;

	memset(o, 0, sizeof(*o));
	for (; *sdp; sdp = *e ? e + 1 : e) {
		e = sdp + strcspn(sdp, "\n");
		n = (size_t)(e - sdp) < sizeof(line) ? (size_t)(e - sdp) :
		    sizeof(line) - 1;
		memcpy(line, sdp, n);
		line[n] = '\0';
		line[strcspn(line, "\r")] = '\0';
		if (line[0] == '\0' || line[1] != '=')
			continue;
		switch (line[0]) {
		case 'c':
			sscanf(line, "c=IN IP4 %63s", o->ip);
			break;
		case 'm':
			if (sscanf(line, "m=video %d %31s", &o->port,
			    proto) == 2)
				o->tcp = strstr(proto, "TCP") != NULL;
			break;
		case 's':
			o->playback = strcasecmp(line + 2, "Play") != 0;
			break;
		case 't':
			sscanf(line, "t=%lu %lu", &o->start, &o->end);
			break;
		case 'y':
			snprintf(o->ssrc, sizeof(o->ssrc), "%.15s", line + 2);
			break;
		}
	}
	return o->ip[0] && o->port > 0 ? 0 : EINVAL;
}

static struct call *
dev_call(struct dev *d, const osip_message_t *req)
{
	struct call *c;
	char *id = NULL;

	if (osip_call_id_to_str(req->call_id, &id) != 0)
		return NULL;
	for (c = d->calls; c && strcmp(c->call_id, id) != 0; c = c->next)
		;
	osip_free(id);
	return c;
}

static void
call_on_end(void *arg, int error)
{
	struct call *c = arg;
	char body[512];

	gbsim_event("media-end %s %s", c->d->id, c->channel);
	if (!c->playback)
		return;
	snprintf(body, sizeof(body), XML_HEAD "<Notify>\r\n"
	    "<CmdType>MediaStatus</CmdType>\r\n<SN>%u</SN>\r\n"
	    "<DeviceID>%s</DeviceID>\r\n<NotifyType>121</NotifyType>\r\n"
	    "</Notify>\r\n", "GB2312", ++c->d->sn, c->channel);
	dev_message(c->d, body, 0, NULL);
}

static void
dev_on_invite(struct dev *d, const osip_message_t *req)
{
	osip_body_t *b;
	struct offer o;
	struct call *c;
	struct sockaddr_in to = { .sin_family = AF_INET };
	const char *ch = req->req_uri ? req->req_uri->username : NULL;
	char sdp[1024], tag[9], *id = NULL;
	uint16_t port;
	int error;

	if (dev_call(d, req) != NULL)
		return;		/* a retransmission: the answer is out */
	if (ch == NULL || !dev_has_channel(d, ch)) {
		dev_respond(d, req, 404, d->tag, NULL, NULL, NULL);
		return;
	}
	if (osip_message_get_body(req, 0, &b) != 0 || b->body == NULL ||
	    sdp_parse(b->body, &o) != 0 ||
	    inet_pton(AF_INET, o.ip, &to.sin_addr) != 1 ||
	    gbsim_opt.video == NULL) {
		gbsim_event("error %s invite %s: bad SDP or no --video",
		    d->id, ch);
		dev_respond(d, req, 488, d->tag, NULL, NULL, NULL);
		return;
	}
	dev_respond(d, req, 100, NULL, NULL, NULL, NULL);
	to.sin_port = htons(o.port);
	if ((c = calloc(1, sizeof(*c))) == NULL ||
	    osip_call_id_to_str(req->call_id, &id) != 0 ||
	    (c->call_id = strdup(id)) == NULL ||
	    (error = gbsim_stream_open(&c->s, &to, o.tcp,
	    strtoul(o.ssrc, NULL, 10), o.playback && o.end > o.start ?
	    o.end - o.start : 0, &port, call_on_end, c)) != 0) {
		gbsim_event("error %s invite %s: no media socket", d->id, ch);
		dev_respond(d, req, 500, d->tag, NULL, NULL, NULL);
		if (c)
			free(c->call_id);
		free(c);
		osip_free(id);
		return;
	}
	osip_free(id);
	c->d = d;
	c->playback = o.playback;
	snprintf(c->channel, sizeof(c->channel), "%s", ch);
	c->next = d->calls;
	d->calls = c;
	snprintf(sdp, sizeof(sdp), "v=0\r\no=%s 0 0 IN IP4 %s\r\ns=%s\r\n"
	    "c=IN IP4 %s\r\nt=%lu %lu\r\nm=video %u %s 96\r\n%s"
	    "a=sendonly\r\na=rtpmap:96 PS/90000\r\ny=%s\r\nf=\r\n", ch,
	    gbsim_opt.local_ip, o.playback ? "Playback" : "Play",
	    gbsim_opt.local_ip, o.start, o.end, port,
	    o.tcp ? "TCP/RTP/AVP" : "RTP/AVP",
	    o.tcp ? "a=setup:active\r\na=connection:new\r\n" : "", o.ssrc);
	rand_hex(tag, sizeof(tag));
	dev_respond(d, req, 200, tag, NULL, "application/sdp", sdp);
	gbsim_event("invite %s %s %s %s:%d ssrc=%s %s", d->id, ch,
	    o.tcp ? "tcp" : "udp", o.ip, o.port, o.ssrc,
	    o.playback ? "playback" : "play");
}

static void
dev_on_ack(struct dev *d, const osip_message_t *req)
{
	struct call *c;

	if ((c = dev_call(d, req)) == NULL || c->s == NULL)
		return;
	gbsim_stream_play(c->s);
	gbsim_event("media-start %s %s", d->id, c->channel);
}

static void
dev_on_bye(struct dev *d, const osip_message_t *req)
{
	struct call *c, **cp;

	if ((c = dev_call(d, req)) == NULL) {
		dev_respond(d, req, 481, d->tag, NULL, NULL, NULL);
		return;
	}
	dev_respond(d, req, 200, NULL, NULL, NULL, NULL);
	gbsim_event("bye %s %s", d->id, c->channel);
	for (cp = &d->calls; *cp != c; cp = &(*cp)->next)
		;
	*cp = c->next;
	gbsim_stream_close(c->s);
	free(c->call_id);
	free(c);
}

static void
sub_set(struct sub *s, const osip_message_t *req, double now, int expires,
    double interval)
{
	osip_contact_t *ct;
	osip_header_t *h;
	char *id = NULL;

	free(s->call_id);
	free(s->to);
	free(s->uri);
	free(s->event);
	s->call_id = s->to = s->uri = s->event = NULL;
	osip_call_id_to_str(req->call_id, &id);
	s->call_id = strdup(id ? id : "");
	osip_free(id);
	id = NULL;
	osip_from_to_str(req->from, &id);
	s->to = strdup(id ? id : "");
	osip_free(id);
	id = NULL;
	if (osip_message_get_contact(req, 0, &ct) == 0 && ct->url)
		osip_uri_to_str(ct->url, &id);
	if (id == NULL)
		asprintf(&id, "sip:%s@%s", gbsim_opt.server_id,
		    gbsim_opt.domain);
	s->uri = strdup(id);
	osip_free(id);
	s->event = strdup(osip_message_header_get_byname(req, "event", 0,
	    &h) >= 0 && h->hvalue ? h->hvalue : "presence");
	s->active = expires > 0;
	s->until = now + expires;
	s->interval = interval > 0 ? interval : 5;
}

static void
dev_on_subscribe(struct dev *d, const osip_message_t *req)
{
	osip_body_t *b;
	osip_header_t *h;
	struct sub *s = NULL;
	char cmd[64] = "", ival[32], exp[16];
	const char *hdrs[] = { "Expires", exp, NULL };
	double now = gbsim_now();
	int expires = 3600;

	if (osip_message_get_body(req, 0, &b) == 0 && b->body)
		xml_get(b->body, "CmdType", cmd, sizeof(cmd));
	if (osip_message_get_expires(req, 0, &h) >= 0 && h->hvalue)
		expires = atoi(h->hvalue);
	snprintf(exp, sizeof(exp), "%d", expires);
	if (strcmp(cmd, "MobilePosition") == 0)
		s = &d->pos;
	else if (strcmp(cmd, "Alarm") == 0)
		s = &d->alarm;
	if (s && !s->active)
		rand_hex(s->tag, sizeof(s->tag));
	dev_respond(d, req, 200, s ? s->tag : d->tag, hdrs, NULL, NULL);
	gbsim_event("%s %s %s", expires > 0 ? "subscribe" : "unsubscribe",
	    d->id, cmd[0] ? cmd : "?");
	if (s == NULL)
		return;
	if (b == NULL || b->body == NULL ||
	    xml_get(b->body, "Interval", ival, sizeof(ival)) != 0)
		strcpy(ival, "5");
	sub_set(s, req, now, expires, atof(ival));
	if (s == &d->pos)
		d->t_position = s->active ? now + 0.1 : 0;
}

static void
dev_on_other(struct dev *d, const osip_message_t *req)
{
	dev_respond(d, req, 200, d->tag, NULL, NULL, NULL);
}

static const struct dev_method {
	const char	*method;
	void		(*handle)(struct dev *, const osip_message_t *);
} dev_methods[] = {
	{ "MESSAGE",	dev_on_message },
	{ "INVITE",	dev_on_invite },
	{ "ACK",	dev_on_ack },
	{ "BYE",	dev_on_bye },
	{ "SUBSCRIBE",	dev_on_subscribe },
	{ "NOTIFY",	dev_on_other },
	{ "INFO",	dev_on_other },
	{ "OPTIONS",	dev_on_other },
	{ "CANCEL",	dev_on_other },
};

/* A refused keepalive: the server has forgotten us, register again. */
static void
dev_on_refused(struct dev *d, const osip_message_t *resp)
{
	if (resp->status_code < 400 || !d->registered || d->unregistering ||
	    resp->call_id->number == NULL ||
	    strcmp(resp->call_id->number, d->ka_call_id) != 0)
		return;
	d->registered = 0;
	d->t_keepalive = 0;
	d->t_register = gbsim_now();
}

/* Parses and handles one SIP message from the server. */
static void
dev_input(struct dev *d, const char *buf, size_t n)
{
	osip_message_t *m;
	size_t i;

	if (osip_message_init(&m) != 0)
		return;
	if (osip_message_parse(m, buf, n) != 0 || m->cseq == NULL ||
	    m->call_id == NULL || m->from == NULL || m->to == NULL) {
		gbsim_event("error %s unparsable SIP message", d->id);
		goto out;
	}
	if (MSG_IS_RESPONSE(m)) {
		if (strcmp(m->cseq->method, "REGISTER") == 0)
			dev_on_register(d, m);
		else if (m->status_code >= 300) {
			gbsim_event("error %s %s %d", d->id, m->cseq->method,
			    m->status_code);
			dev_on_refused(d, m);
		}
		goto out;
	}
	for (i = 0; i < sizeof(dev_methods) / sizeof(dev_methods[0]); i++)
		if (strcmp(m->sip_method, dev_methods[i].method) == 0) {
			dev_methods[i].handle(d, m);
			goto out;
		}
	dev_respond(d, m, 405, d->tag, NULL, NULL, NULL);
out:
	osip_message_free(m);
}

/* The length of the first whole message in a TCP stream; 0: need more. */
static size_t
sip_frame(const char *b, size_t n)
{
	const char *e, *p;
	size_t hlen, clen = 0;

	if ((e = memmem(b, n, "\r\n\r\n", 4)) == NULL)
		return 0;
	hlen = e - b + 4;
	for (p = b; p && p < e; p = memmem(p, e - p, "\r\n", 2)) {
		p += p == b ? 0 : 2;
		if (strncasecmp(p, "Content-Length:", 15) == 0)
			clen = strtoul(p + 15, NULL, 10);
		else if (strncasecmp(p, "l:", 2) == 0)
			clen = strtoul(p + 2, NULL, 10);
	}
	return hlen + clen <= n ? hlen + clen : 0;
}


static void
dev_tcp_lost(struct dev *d, const char *why)
{
	gbsim_event("error %s sip-tcp %s", d->id, why);
	gbsim_fd_close(&d->f);
	gbsim_obuf_free(&d->o);
	free(d->rbuf);
	d->rbuf = NULL;
	d->rlen = 0;
	d->registered = 0;
	d->t_keepalive = d->t_retransmit = 0;
	if (d->unregistering)
		dev_finish(d);
	else
		d->t_register = gbsim_now() + gbsim_opt.register_retry;
}

static void
dev_io(struct gbsim_fd *f, uint32_t ev)
{
	struct dev *d = f->arg;
	char buf[65536], *nb;
	socklen_t sl;
	ssize_t n;
	size_t m;

	if (gbsim_opt.sip_tcp) {
		if ((ev & (EPOLLERR | EPOLLHUP)) ||
		    ((ev & EPOLLOUT) && gbsim_obuf_flush(&d->o, f) != 0)) {
			dev_tcp_lost(d, "closed");
			return;
		}
		if (!(ev & EPOLLIN))
			return;
		if ((n = read(f->fd, buf, sizeof(buf))) <= 0) {
			if (n == 0 || errno != EAGAIN)
				dev_tcp_lost(d, "closed");
			return;
		}
		if ((nb = realloc(d->rbuf, d->rlen + n + 1)) == NULL)
			return;
		d->rbuf = nb;
		memcpy(d->rbuf + d->rlen, buf, n);
		d->rlen += n;
		d->rbuf[d->rlen] = '\0';
		while (d->rlen > 0 && f->fd != -1) {
			/* CRLF pings may come between messages */
			if ((m = strspn(d->rbuf, "\r\n")) == 0) {
				if ((m = sip_frame(d->rbuf, d->rlen)) == 0)
					break;
				dev_input(d, d->rbuf, m);
			}
			memmove(d->rbuf, d->rbuf + m, d->rlen - m + 1);
			d->rlen -= m;
		}
		return;
	}
	for (;;) {
		sl = sizeof(d->peer);
		if ((n = recvfrom(f->fd, buf, sizeof(buf) - 1, 0,
		    (struct sockaddr *)&d->peer, &sl)) <= 0)
			return;
		buf[n] = '\0';
		dev_input(d, buf, n);
	}
}

/* Opens d's SIP socket: UDP, or a TCP connection to the server. */
static int
dev_open(struct dev *d)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sin);
	int fd, error;

	inet_pton(AF_INET, gbsim_opt.local_ip, &sin.sin_addr);
	if ((fd = socket(AF_INET, gbsim_opt.sip_tcp ? SOCK_STREAM :
	    SOCK_DGRAM, 0)) == -1)
		return errno;
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    getsockname(fd, (struct sockaddr *)&sin, &sl) == -1) {
		error = errno;
		close(fd);
		return error;
	}
	d->port = ntohs(sin.sin_port);
	if ((error = gbsim_fd_add(&d->f, fd, EPOLLIN, dev_io, d)) != 0)
		return error;
	if (gbsim_opt.sip_tcp && connect(fd,
	    (struct sockaddr *)&gbsim_opt.server,
	    sizeof(gbsim_opt.server)) == -1 && errno != EINPROGRESS) {
		error = errno;
		gbsim_fd_close(&d->f);
		return error;
	}
	return 0;
}

int
gbsim_sip_start(void)
{
	struct dev *d;
	double now = gbsim_now();
	long serial;
	int i, error;

	if (gbsim_opt.channels > 999)
		return EINVAL;
	parser_init();
	transport = gbsim_opt.sip_tcp ? "TCP" : "UDP";
	if ((devs = calloc(gbsim_opt.count, sizeof(*devs))) == NULL)
		return ENOMEM;
	serial = atol(gbsim_opt.device_id + 14);
	for (i = 0; i < gbsim_opt.count; i++) {
		d = &devs[i];
		d->idx = i;
		d->f.fd = -1;
		snprintf(d->id, sizeof(d->id), "%.14s%06u",
		    gbsim_opt.device_id, (unsigned)((serial + i) % 1000000));
		rand_hex(d->tag, sizeof(d->tag));
		rand_hex(d->reg_call_id, sizeof(d->reg_call_id));
		if ((error = dev_open(d)) != 0) {
			gbsim_event("error %s socket: %s", d->id,
			    strerror(error));
			return error;
		}
		/* spread the first REGISTERs over a second */
		d->t_register = now + 0.001 + (double)i / gbsim_opt.count;
	}
	return 0;
}

double
gbsim_sip_tick(double now)
{
	struct dev *d;
	double next = now + 1, *t;
	size_t i;
	int k;

	for (k = 0; k < gbsim_opt.count; k++) {
		d = &devs[k];
		for (i = 0; i < sizeof(dev_timers) / sizeof(dev_timers[0]);
		    i++) {
			t = (double *)((char *)d + dev_timers[i].off);
			if (*t > 0 && *t <= now) {
				*t = 0;
				if (d->f.fd == -1 && dev_timers[i].fire ==
				    dev_fire_register && dev_open(d) != 0)
					*t = now + gbsim_opt.register_retry;
				else
					dev_timers[i].fire(d, now);
			}
			if (*t > 0 && *t < next)
				next = *t;
		}
	}
	return next;
}

void
gbsim_sip_stop(void)
{
	struct dev *d;
	double now = gbsim_now();
	int k;

	for (k = 0; k < gbsim_opt.count; k++) {
		d = &devs[k];
		if (d->done || d->unregistering)
			continue;
		if (d->registered && !gbsim_opt.no_unregister) {
			/* spread over half a second, like the REGISTERs */
			d->t_keepalive = d->t_register = 0;
			d->t_unregister = now + 0.001 +
			    0.5 * k / gbsim_opt.count;
		} else
			dev_finish(d);
	}
}

int
gbsim_sip_done(void)
{
	int k;

	for (k = 0; k < gbsim_opt.count; k++)
		if (!devs[k].done)
			return 0;
	return 1;
}
