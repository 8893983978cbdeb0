/* Reading GB28181 ids and parameters from parsed SIP messages. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "digest.h"
#include "sipmsg.h"

int
sipmsg_gb_id(const osip_uri_t *u, char out[GB_ID_LEN + 1])
{
	const char *s;

	out[0] = '\0';
	if (u == NULL || (s = u->username) == NULL ||
	    strlen(s) != GB_ID_LEN || strspn(s, "0123456789") != GB_ID_LEN)
		return EINVAL;
	memcpy(out, s, GB_ID_LEN + 1);
	return 0;
}

int
sipmsg_key(const osip_message_t *m, char space[GB_ID_LEN + 1],
    char device[GB_ID_LEN + 1])
{
	space[0] = device[0] = '\0';
	if (m->from == NULL || sipmsg_gb_id(m->from->url, device) != 0)
		return EINVAL;
	if (sipmsg_gb_id(m->req_uri, space) != 0 &&
	    (m->to == NULL || sipmsg_gb_id(m->to->url, space) != 0))
		return ENOENT;
	return 0;
}

static int
sipmsg_seconds(const char *s)
{
	char *end;
	long v;

	if (s == NULL)
		return -1;
	while (*s == ' ' || *s == '\t')
		s++;
	v = strtol(s, &end, 10);
	while (*end == ' ' || *end == '\t')
		end++;
	if (end == s || *end != '\0' || v < 0)
		return -1;
	return v > 0x7fffffff ? 0x7fffffff : (int)v;
}

int
sipmsg_expires(const osip_message_t *m, int def)
{
	osip_contact_t *c = osip_list_get(&m->contacts, 0);
	osip_generic_param_t *p = NULL;
	osip_header_t *h = NULL;

	if (c != NULL && osip_contact_param_get_byname(c, (char *)"expires",
	    &p) == 0 && p != NULL)
		return sipmsg_seconds(p->gvalue);
	if (osip_message_get_expires(m, 0, &h) >= 0 && h != NULL)
		return sipmsg_seconds(h->hvalue);
	return def;
}

const char *
sipmsg_branch(const osip_message_t *m)
{
	osip_via_t *v = osip_list_get(&m->vias, 0);
	osip_generic_param_t *b = NULL;

	if (v == NULL || osip_via_param_get_byname(v, (char *)"branch",
	    &b) != 0 || b == NULL)
		return NULL;
	return b->gvalue;
}

const char *
sipmsg_tag(const osip_from_t *f)
{
	osip_generic_param_t *t = NULL;

	if (f == NULL || osip_from_get_tag((osip_from_t *)f, &t) != 0 ||
	    t == NULL)
		return NULL;
	return t->gvalue;
}

void
sipmsg_body(const osip_message_t *m, const char **p, size_t *len)
{
	osip_body_t *b = osip_list_get(&m->bodies, 0);

	*p = b != NULL ? b->body : NULL;
	*len = b != NULL && b->body != NULL ? b->length : 0;
}

const char *
sipmsg_header(const osip_message_t *m, const char *name)
{
	osip_header_t *h = NULL;

	if (osip_message_header_get_byname(m, name, 0, &h) < 0 || h == NULL)
		return NULL;
	return h->hvalue;
}

void
sipmsg_digest(const osip_authorization_t *a, struct sipmsg_digest *d)
{
	digest_unquote(d->user, sizeof(d->user), a->username);
	digest_unquote(d->realm, sizeof(d->realm), a->realm);
	digest_unquote(d->nonce, sizeof(d->nonce), a->nonce);
	digest_unquote(d->uri, sizeof(d->uri), a->uri);
	digest_unquote(d->response, sizeof(d->response), a->response);
	digest_unquote(d->algorithm, sizeof(d->algorithm), a->algorithm);
	digest_unquote(d->cnonce, sizeof(d->cnonce), a->cnonce);
	digest_unquote(d->nc, sizeof(d->nc), a->nonce_count);
	digest_unquote(d->qop, sizeof(d->qop), a->message_qop);
}
