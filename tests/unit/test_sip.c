/*
 * sipd's SIP parsing on captured messages of real devices (tests/data/sip):
 * digest responses (RFC 2617/2069 vectors and a camera's REGISTER), our
 * nonces, the device key and Expires of REGISTER, the SDP offer and the
 * answers devices send, and the hash table behind the lookups.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <osip2/osip.h>

#include "sipd/digest.h"
#include "sipd/htab.h"
#include "sipd/sdp.h"
#include "sipd/sipmsg.h"
#include "t.h"

static char *
load(const char *name, size_t *len)
{
	return t_load(SIP_TEST_DATA, name, len);
}

static osip_message_t *
parse(const char *name)
{
	osip_message_t *m = NULL;
	size_t len;
	char *p = load(name, &len);

	if (osip_message_init(&m) != 0 || osip_message_parse(m, p, len) != 0) {
		printf("not ok: %s does not parse\n", name);
		exit(1);
	}
	free(p);
	return m;
}

static osip_message_t *
parse_text(const char *text)
{
	osip_message_t *m = NULL;

	if (osip_message_init(&m) != 0 ||
	    osip_message_parse(m, text, strlen(text)) != 0) {
		osip_message_free(m);
		return NULL;
	}
	return m;
}

static void
test_digest_vectors(void)
{
	char r[DIGEST_HEX_LEN];

	/* RFC 2617 section 3.5 */
	T_OK(digest_response(r, "Mufasa", "testrealm@host.com",
	    "Circle Of Life", "GET", "/dir/index.html",
	    "dcd98b7102dd2f0e8b11d0f600bfb0c093", "00000001", "0a4f113b",
	    "auth") == 0, "rfc2617");
	T_STREQ(r, "6629fae49393a05397450978507c4ef1");
	/* RFC 2069 section 2.4 (no qop) */
	T_OK(digest_response(r, "Mufasa", "testrealm@host.com",
	    "CircleOfLife", "GET", "/dir/index.html",
	    "dcd98b7102dd2f0e8b11d0f600bfb0c093", NULL, NULL, NULL) == 0,
	    "rfc2069");
	T_STREQ(r, "1949323746fe6a43ef61f9606e7febea");
	T_OK(digest_response(r, "a", "b", "c", "GET", "/", "n", "1", "c",
	    "auth-int") == EINVAL, "auth-int refused");
}

/* The camera's second REGISTER answers LiveGBS's challenge. */
static void
test_digest_capture(void)
{
	osip_message_t *m = parse("register_auth.sip");
	osip_authorization_t *a = NULL;
	struct sipmsg_digest d;
	char want[DIGEST_HEX_LEN];

	T_OK(osip_message_get_authorization(m, 0, &a) >= 0 && a != NULL,
	    "authorization");
	if (a == NULL)
		goto out;
	sipmsg_digest(a, &d);
	T_STREQ(d.user, "34020000001320000264");
	T_STREQ(d.realm, "3402000000");
	T_STREQ(d.uri, "sip:34020000002000000001@3402000000");
	T_STREQ(d.qop, "auth");
	T_STREQ(d.algorithm, "MD5");
	T_OK(digest_response(want, d.user, d.realm, "12345678", "REGISTER",
	    d.uri, d.nonce, d.nc, d.cnonce, d.qop) == 0, "response");
	T_STREQ(want, d.response);
	digest_response(want, d.user, d.realm, "12345679", "REGISTER", d.uri,
	    d.nonce, d.nc, d.cnonce, d.qop);
	T_OK(strcmp(want, d.response) != 0, "a wrong password does not match");
out:
	osip_message_free(m);
}

static void
test_nonce(void)
{
	static const uint8_t key[32] = { 1, 2, 3 };
	char n[DIGEST_NONCE_LEN], bad[DIGEST_NONCE_LEN];
	const char *s = "34020000002000000001:34020000001320000264";

	digest_nonce_make(n, key, sizeof(key), s, 1700000000);
	T_OK(strlen(n) == DIGEST_NONCE_LEN - 1, "nonce length");
	T_OK(digest_nonce_check(n, key, sizeof(key), s, 1700000000, 300) == 0,
	    "fresh");
	T_OK(digest_nonce_check(n, key, sizeof(key), s, 1700000300, 300) == 0,
	    "fresh at ttl");
	T_OK(digest_nonce_check(n, key, sizeof(key), s, 1700000301, 300) ==
	    ESTALE, "stale");
	T_OK(digest_nonce_check(n, key, sizeof(key), s, 1699999000, 300) ==
	    ESTALE, "from the future");
	T_OK(digest_nonce_check(n, key, sizeof(key),
	    "34020000002000000001:34020000001320000265", 1700000000, 300) ==
	    EINVAL, "another device's nonce");
	memcpy(bad, n, sizeof(bad));
	bad[0] = bad[0] == '0' ? '1' : '0';
	T_OK(digest_nonce_check(bad, key, sizeof(key), s, 1700000000, 300) ==
	    EINVAL, "altered stamp");
	T_OK(digest_nonce_check("6eb1340d99c404a0e4d3b68d15d1d46f", key,
	    sizeof(key), s, 1700000000, 300) == EINVAL, "foreign nonce");
	T_OK(digest_nonce_check("", key, sizeof(key), s, 0, 300) == EINVAL,
	    "empty nonce");
}

static void
test_key(void)
{
	char space[GB_ID_LEN + 1], device[GB_ID_LEN + 1];
	osip_message_t *m;

	m = parse("register_noauth.sip");
	T_OK(sipmsg_key(m, space, device) == 0, "register key");
	T_STREQ(space, "34020000002000000001");
	T_STREQ(device, "34020000001320000264");
	T_OK(sipmsg_expires(m, 7) == 3600, "Expires header");
	T_STREQ(sipmsg_branch(m), "z9hG4bK1235305492");
	T_STREQ(sipmsg_tag(m->from), "180588994");
	T_OK(sipmsg_tag(m->to) == NULL, "no To tag");
	osip_message_free(m);

	m = parse("keepalive.sip");
	T_OK(sipmsg_key(m, space, device) == 0, "keepalive key");
	T_STREQ(space, "34020000002000000001");
	T_STREQ(device, "34020000001320000264");
	{
		const char *b;
		size_t len;

		sipmsg_body(m, &b, &len);
		T_OK(b != NULL && len == 178, "keepalive body %zu", len);
		T_OK(b != NULL && strstr(b, "<CmdType>Keepalive</CmdType>"),
		    "keepalive cmd");
	}
	osip_message_free(m);

	/* no user in the Request-URI: the space is To's */
	m = parse_text("REGISTER sip:3402000000 SIP/2.0\r\n"
	    "Via: SIP/2.0/UDP 10.0.0.2:5060;branch=z9hG4bK1\r\n"
	    "From: <sip:34020000001320000001@3402000000>;tag=1\r\n"
	    "To: <sip:34020000002000000001@3402000000>\r\n"
	    "Call-ID: 1\r\nCSeq: 1 REGISTER\r\n"
	    "Contact: <sip:34020000001320000001@10.0.0.2:5060>;expires=120\r\n"
	    "Expires: 3600\r\nContent-Length: 0\r\n\r\n");
	T_OK(m != NULL && sipmsg_key(m, space, device) == 0, "To fallback");
	T_STREQ(space, "34020000002000000001");
	T_OK(m != NULL && sipmsg_expires(m, 7) == 120, "contact expires wins");
	osip_message_free(m);

	/* sip:<domain> and a To without an id (RFC 3261's form): the device
	 * is known, the space is not */
	m = parse_text("MESSAGE sip:3402000000 SIP/2.0\r\n"
	    "Via: SIP/2.0/UDP 10.0.0.2:5060;branch=z9hG4bK1\r\n"
	    "From: <sip:34020000001320000001@3402000000>;tag=1\r\n"
	    "To: <sip:3402000000>\r\n"
	    "Call-ID: 1\r\nCSeq: 1 MESSAGE\r\nContent-Length: 0\r\n\r\n");
	T_OK(m != NULL && sipmsg_key(m, space, device) == ENOENT,
	    "no space: ENOENT");
	T_STREQ(device, "34020000001320000001");
	osip_message_free(m);

	m = parse_text("REGISTER sip:34020000002000000001@3402000000 "
	    "SIP/2.0\r\n"
	    "Via: SIP/2.0/UDP 10.0.0.2:5060;branch=z9hG4bK1\r\n"
	    "From: <sip:admin@3402000000>;tag=1\r\n"
	    "To: <sip:admin@3402000000>\r\n"
	    "Call-ID: 1\r\nCSeq: 1 REGISTER\r\nExpires: 0\r\n"
	    "Content-Length: 0\r\n\r\n");
	T_OK(m != NULL && sipmsg_key(m, space, device) == EINVAL,
	    "not a GB id");
	T_OK(m != NULL && sipmsg_expires(m, 7) == 0, "Expires: 0");
	osip_message_free(m);

	m = parse_text("REGISTER sip:34020000002000000001@3402000000 "
	    "SIP/2.0\r\n"
	    "Via: SIP/2.0/UDP 10.0.0.2:5060;branch=z9hG4bK1\r\n"
	    "From: <sip:340200000013200000011@3402000000>;tag=1\r\n"
	    "To: <sip:34020000001320000001@3402000000>\r\n"
	    "Call-ID: 1\r\nCSeq: 1 REGISTER\r\nExpires: soon\r\n"
	    "Content-Length: 0\r\n\r\n");
	T_OK(m != NULL && sipmsg_key(m, space, device) == EINVAL,
	    "21 digits");
	T_OK(m != NULL && sipmsg_expires(m, 7) == -1, "bad Expires");
	osip_message_free(m);

	m = parse_text("REGISTER sip:34020000002000000001@3402000000 "
	    "SIP/2.0\r\n"
	    "Via: SIP/2.0/UDP 10.0.0.2:5060;branch=z9hG4bK1\r\n"
	    "From: <sip:34020000001320000001@3402000000>;tag=1\r\n"
	    "To: <sip:34020000001320000001@3402000000>\r\n"
	    "Call-ID: 1\r\nCSeq: 1 REGISTER\r\n"
	    "Content-Length: 0\r\n\r\n");
	T_OK(m != NULL && sipmsg_expires(m, 7) == 7, "default Expires");
	osip_message_free(m);
}

static void
test_sdp_offer(void)
{
	char b[1024];
	struct sdp_offer o = { .origin = "34020000002000000001",
	    .ip = "192.168.1.10", .port = 30002, .ssrc = "0200001234" };
	int n;

	n = sdp_offer_build(b, sizeof(b), &o);
	T_OK(n > 0 && (size_t)n == strlen(b), "offer length");
	T_STREQ(b,
	    "v=0\r\n"
	    "o=34020000002000000001 0 0 IN IP4 192.168.1.10\r\n"
	    "s=Play\r\n"
	    "c=IN IP4 192.168.1.10\r\n"
	    "t=0 0\r\n"
	    "m=video 30002 RTP/AVP 96 97 98\r\n"
	    "a=recvonly\r\n"
	    "a=rtpmap:96 PS/90000\r\n"
	    "a=rtpmap:97 MPEG4/90000\r\n"
	    "a=rtpmap:98 H264/90000\r\n"
	    "y=0200001234\r\n");
	o.tcp = 1;
	sdp_offer_build(b, sizeof(b), &o);
	T_OK(strstr(b, "m=video 30002 TCP/RTP/AVP 96 97 98\r\n") != NULL &&
	    strstr(b, "a=setup:passive\r\na=connection:new\r\n") != NULL,
	    "tcp offer");
	o.tcp = 0;
	o.playback = 1;
	o.channel = "34020000001320000001";
	o.start = 1700000000;
	o.end = 1700003600;
	o.ssrc = "1200001235";
	sdp_offer_build(b, sizeof(b), &o);
	T_OK(strstr(b, "s=Playback\r\nu=34020000001320000001:0\r\n") != NULL &&
	    strstr(b, "t=1700000000 1700003600\r\n") != NULL &&
	    strstr(b, "y=1200001235\r\n") != NULL, "playback offer");
	/* what we send parses as an answer would */
	{
		struct sdp_answer a;

		T_OK(sdp_answer_parse(b, strlen(b), &a) == 0 &&
		    a.port == 30002 && strcmp(a.ssrc, "1200001235") == 0 &&
		    strcmp(a.ip, "192.168.1.10") == 0, "offer reparsed");
	}
	T_OK(sdp_offer_build(b, 40, &o) == -1, "too small");
}

static void
test_sdp_answer(void)
{
	osip_message_t *m = parse("invite_200_vcam.sip");
	struct sdp_answer a;
	const char *b;
	size_t len;
	char *p;

	T_OK(m->status_code == 200, "200");
	sipmsg_body(m, &b, &len);
	T_OK(b != NULL && len == 226, "answer body %zu", len);
	T_OK(b != NULL && sdp_answer_parse(b, len, &a) == 0, "vcam parses");
	T_OK(a.port == 9712, "vcam port %d", a.port);
	T_STREQ(a.ssrc, "0100000001");
	T_STREQ(a.ip, "192.168.0.111");
	T_OK(a.tcp == 0 && a.setup[0] == '\0', "vcam udp");
	osip_message_free(m);

	p = load("answer_hik_ncg.sdp", &len);
	T_OK(sdp_answer_parse(p, len, &a) == 0, "ncg parses");
	T_OK(a.port == 5490, "ncg port");
	T_STREQ(a.ssrc, "0703001718");
	free(p);

	b = "v=0\r\no=34020000001320000001 0 0 IN IP4 10.1.1.2\r\ns=Play\r\n"
	    "c=IN IP4 10.1.1.2\r\nt=0 0\r\n"
	    "m=audio 0 RTP/AVP 8\r\nc=IN IP4 10.9.9.9\r\n"
	    "m=video 15060 TCP/RTP/AVP 96\r\nc=IN IP4 10.1.1.3\r\n"
	    "a=setup:active\r\na=connection:new\r\na=sendonly\r\n"
	    "y=0200000001\r\n";
	T_OK(sdp_answer_parse(b, strlen(b), &a) == 0, "tcp answer");
	T_OK(a.port == 15060 && a.tcp == 1, "tcp port");
	T_STREQ(a.setup, "active");
	T_STREQ(a.ip, "10.1.1.3");
	b = "v=0\nm=audio 8000 RTP/AVP 8\ny=12345678901\n";
	T_OK(sdp_answer_parse(b, strlen(b), &a) == EBADMSG &&
	    a.ssrc[0] == '\0', "no video, overlong y=");
}

static int
eq_int(const void *p, const void *key)
{
	return *(const int *)p == *(const int *)key;
}

static void
test_htab(void)
{
	struct htab t = { 0 };
	static int v[5000];
	int ok = 1;

	for (int i = 0; i < 5000; i++) {
		v[i] = i;
		/* few distinct hashes: long collision chains */
		htab_add(&t, (uint32_t)(i % 37), &v[i]);
	}
	for (int i = 0; i < 5000; i += 2)
		ok &= htab_del(&t, (uint32_t)(i % 37), &v[i]) == 0;
	T_OK(ok && t.n == 2500, "deleted half");
	for (int i = 0; i < 5000; i++) {
		void *p = htab_find(&t, (uint32_t)(i % 37), eq_int, &v[i]);

		ok &= (i % 2) ? p == &v[i] : p == NULL;
	}
	T_OK(ok, "finds survivors only");
	T_OK(htab_del(&t, 1, &v[0]) == ENOENT, "absent");
	htab_free(&t);
}

int
main(void)
{
	parser_init();
	test_digest_vectors();
	test_digest_capture();
	test_nonce();
	test_key();
	test_sdp_offer();
	test_sdp_answer();
	test_htab();
	return T_DONE();
}
