/*
 * libFuzzer target for mediad's HTTP-FLV request parser (mediad/request.c):
 * the request line and headers as they arrive on mediad's socket.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mediad/mediad.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c)	do { if (!(c)) abort(); } while (0)

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = { "X-Real-IP", "X-Vigil-Secret",
	    "Host", "Connection" };
	const char *req = (const char *)data;
	char app[MEDIAD_APP_MAX + 1], out[64];
	uint64_t id = 0;
	int error;

	error = request_parse(req, size, app, sizeof(app), &id);
	CHECK(error == 0 || error == EBADMSG || error == EOPNOTSUPP ||
	    error == ENOENT);
	if (error == 0) {
		size_t n = strlen(app);

		CHECK(n > 0 && n <= MEDIAD_APP_MAX);
		CHECK(strspn(app, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQR"
		    "STUVWXYZ0123456789_-") == n);
		CHECK(id < 10000000000000000ULL);	/* 16 digits */
	}
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (request_header(req, size, names[i], out,
		    sizeof(out)) == 0)
			CHECK(strlen(out) < sizeof(out));
	return 0;
}
