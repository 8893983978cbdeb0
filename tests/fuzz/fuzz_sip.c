/*
 * libFuzzer target for what sipd reads from untrusted SIP: libosip2's
 * parser, then our extraction on the parsed message (device key, Expires,
 * tags, the digest credentials and their check, the SDP answer).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <osip2/osip.h>

#include "sipd/digest.h"
#include "sipd/sdp.h"
#include "sipd/sipmsg.h"

int	LLVMFuzzerInitialize(int *argc, char ***argv);
int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c)	do { if (!(c)) abort(); } while (0)

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	parser_init();
	for (int lvl = TRACE_LEVEL0; lvl < END_TRACE_LEVEL; lvl++)
		osip_trace_disable_level((osip_trace_level_t)lvl);
	return 0;
}

static void
fuzz_auth(const osip_message_t *m)
{
	static const uint8_t key[32];
	osip_authorization_t *a = NULL;
	struct sipmsg_digest d;
	char want[DIGEST_HEX_LEN];

	if (osip_message_get_authorization(m, 0, &a) < 0 || a == NULL)
		return;
	sipmsg_digest(a, &d);
	if (digest_response(want, d.user, d.realm, "12345678", "REGISTER",
	    d.uri, d.nonce, d.nc, d.cnonce, d.qop) == 0)
		CHECK(strlen(want) == 32);
	(void)digest_nonce_check(d.nonce, key, sizeof(key), "a:b", 0, 300);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char space[GB_ID_LEN + 1], device[GB_ID_LEN + 1];
	osip_message_t *m = NULL;
	struct sdp_answer a;
	const char *body;
	size_t len;
	char *buf;

	/* the transport hands the parser a terminated copy */
	if ((buf = malloc(size + 1)) == NULL)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	if (osip_message_init(&m) != 0 ||
	    osip_message_parse(m, buf, size) != 0)
		goto out;
	if (sipmsg_key(m, space, device) == 0)
		CHECK(strlen(space) == GB_ID_LEN && strlen(device) == GB_ID_LEN);
	(void)sipmsg_expires(m, 3600);
	(void)sipmsg_branch(m);
	(void)sipmsg_tag(m->from);
	(void)sipmsg_tag(m->to);
	(void)sipmsg_header(m, "subject");
	fuzz_auth(m);
	sipmsg_body(m, &body, &len);
	if (body != NULL && sdp_answer_parse(body, len, &a) == 0)
		CHECK(a.port > 0 && a.port < 65536 && strlen(a.ssrc) <= 10);
out:
	osip_message_free(m);
	free(buf);
	return 0;
}
