/* Unit test of mediad/request.c: HTTP-FLV request lines and headers. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "mediad/mediad.h"
#include "t.h"

static int
parse(const char *req, char *app, uint64_t *id)
{
	return request_parse(req, strlen(req), app, MEDIAD_APP_MAX + 1, id);
}

int
main(void)
{
	static const struct {
		const char	*req;
		int		 want;
	} cases[] = {
		{ "GET /live/1700000000000001.flv HTTP/1.1\r\n\r\n", 0 },
		{ "GET /live/1700000000000001.flv?auth_key=1-2-3-ab HTTP/1.0"
		  "\r\n\r\n", 0 },
		{ "POST /live/1700000000000001.flv HTTP/1.1\r\n\r\n",
		  EOPNOTSUPP },
		{ "GET /live/170000000000001.flv HTTP/1.1\r\n\r\n", ENOENT },
		{ "GET /live/1700000000000001.m3u8 HTTP/1.1\r\n\r\n", ENOENT },
		{ "GET /live/../1700000000000001.flv HTTP/1.1\r\n\r\n",
		  ENOENT },
		{ "GET /1700000000000001.flv HTTP/1.1\r\n\r\n", ENOENT },
		{ "GET /live/1700000000000001.flv\r\n\r\n", EBADMSG },
		{ "GET live HTTP/1.1\r\n\r\n", EBADMSG },
		{ "", EBADMSG },
		{ "GET /a%2f/1700000000000001.flv HTTP/1.1\r\n\r\n", EBADMSG },
	};
	char app[MEDIAD_APP_MAX + 1], v[16], longapp[200];
	const char *h = "GET /cam/1700000000000002.flv HTTP/1.0\r\n"
	    "Host: x\r\nx-real-ip:  10.1.2.3 \r\n\r\n";
	uint64_t id = 0;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int e = parse(cases[i].req, app, &id);

		T_OK(e == cases[i].want, "case %zu: %d, want %d", i, e,
		    cases[i].want);
	}
	T_OK(parse(h, app, &id) == 0, "with headers");
	T_STREQ(app, "cam");
	T_OK(id == 1700000000000002ULL, "stream id %llu",
	    (unsigned long long)id);
	T_OK(request_header(h, strlen(h), "X-Real-IP", v, sizeof(v)) == 0,
	    "header found");
	T_STREQ(v, "10.1.2.3");
	T_OK(request_header(h, strlen(h), "Cookie", v, sizeof(v)) == ENOENT,
	    "absent header");
	snprintf(longapp, sizeof(longapp), "GET /%0100d/1700000000000001.flv"
	    " HTTP/1.1\r\n\r\n", 0);
	T_OK(parse(longapp, app, &id) == ENOENT, "App over 64 characters");
	return T_DONE();
}
