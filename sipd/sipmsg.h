/*
 * What sipd reads from parsed SIP messages (libosip2's osip_message_t):
 * the GB28181 ids that key a device, Expires, tags, the body. Pure
 * functions over the parsed message: unit-tested and fuzzed.
 */
#ifndef VIGIL_SIPD_SIPMSG_H
#define VIGIL_SIPD_SIPMSG_H

#include <stddef.h>

#include <osipparser2/osip_parser.h>

#include "sipd.h"

/* Copies u's user part into out when it is a 20-digit GB id; 0/EINVAL. */
int	sipmsg_gb_id(const osip_uri_t *u, char out[GB_ID_LEN + 1]);
/*
 * The key of the device a request is from: space = the Request-URI's user
 * (or To's when the Request-URI has none), device = From's user. 0,
 * EINVAL when From's is not a GB id, or ENOENT (device set) when neither
 * the Request-URI nor To names a space (sip:<domain>, sip:<ip>:<port>).
 */
int	sipmsg_key(const osip_message_t *m, char space[GB_ID_LEN + 1],
	    char device[GB_ID_LEN + 1]);
/* The Expires of a REGISTER: the first Contact's expires parameter, else
 * the Expires header, else def; -1 when the value is not a number. */
int	sipmsg_expires(const osip_message_t *m, int def);
/* The top Via's branch, a From/To tag, or NULL. */
const char *sipmsg_branch(const osip_message_t *m);
const char *sipmsg_tag(const osip_from_t *f);
/* The first body (NULL/0 when none). */
void	sipmsg_body(const osip_message_t *m, const char **p, size_t *len);
/* The fields of a digest Authorization, unquoted (absent: ""). */
struct sipmsg_digest {
	char	user[130], realm[64], nonce[128], uri[256], response[64];
	char	algorithm[16], cnonce[128], nc[16], qop[16];
};
void	sipmsg_digest(const osip_authorization_t *a, struct sipmsg_digest *d);
/* The value of a header osip keeps as an unknown one, or NULL. */
const char *sipmsg_header(const osip_message_t *m, const char *name);

#endif
